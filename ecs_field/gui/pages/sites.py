"""The Sites page: the fleet at a glance, one site's detail beside it.

The list is what `ecs-field sites list` shows (ecs_field.sites.status.fleet.site_overview: each
site's sync, health, snapshot age and last error, and the fleet's counts above it); it reads only
small cached files (snapshot heads, last status summaries) in a worker. Choosing a site empties
every tab at once, so no other site's rows ever stand under its title.
Opening a site runs git, the manifest loader, the linter and the status comparison in a worker
(ecs_field.sites.status.overview.load_site_detail); the GUI thread only fills models, so the event
loop never stalls. Pull and Fetch snapshot are workers too, with progress and Cancel.
"""

from __future__ import annotations

import html
import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ecs_field.events import CancelToken, Progress
from ecs_field.gui.pages.base import Page
from ecs_field.gui.theme import PALETTE_EVENTS, Tones, box_sheet, current_tones
from ecs_field.gui.widgets.sites_badge import StatusBadge, colour_for, label_for
from ecs_field.gui.widgets.sites_detail import RowDetail
from ecs_field.gui.widgets.sites_list import (
    ROLE_NAME,
    ROLE_OVERVIEW,
    SiteItemDelegate,
    fleet_summary_html,
    site_tooltip,
)
from ecs_field.gui.widgets.sites_network import NetworkDiagram
from ecs_field.gui.widgets.sites_tables import DiffHighlighter, FittedTable, RowsModel

log = logging.getLogger(__name__)

class SitesPage(Page):
    key = "sites"
    title = "Sites"
    icon_name = "sites"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.current: str | None = None
        self.detail: Any = None
        self._load_generation = 0
        self._list_generation = 0
        self._loading_name: str | None = None
        self._loading_site: Any = None  # the registry entry the load in flight was started with
        self._action_job: Any = None
        self._sites: dict[str, Any] = {}
        self._workloads: list[dict[str, Any]] = []
        self._findings: list[dict[str, Any]] = []
        self._overview: list[Any] = []
        self.demo_problem = ""  # why the demo site could not be created on first open ("" = fine)
        self._build()

    # -- layout ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(splitter)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("Sites")
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        left_layout.addWidget(heading)
        self.fleet_summary = QLabel("")
        self.fleet_summary.setObjectName("fleetSummary")
        self.fleet_summary.setWordWrap(True)
        self.fleet_summary.setTextFormat(Qt.TextFormat.RichText)
        left_layout.addWidget(self.fleet_summary)
        self.site_list = QListWidget()
        self.site_list.setObjectName("siteList")
        self.site_list.setAccessibleName("Sites")
        self.site_list.setItemDelegate(SiteItemDelegate(self.site_list))
        # a site with a last error takes a third line: items are not all the same height
        self.site_list.setUniformItemSizes(False)
        self.site_list.setMinimumWidth(190)
        self.site_list.currentItemChanged.connect(self._site_chosen)
        left_layout.addWidget(self.site_list, 1)
        self.empty_hint = QLabel("No sites yet. Add one, or drop a repository folder here.")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.hide()
        left_layout.addWidget(self.empty_hint)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add site…")
        _on_click(self.add_button, self.add_site)
        self.import_button = QPushButton("&Import snapshot…")
        self.import_button.setToolTip(
            "Use a snapshot file or kubectl -o json/yaml output as this site's snapshot"
        )
        _on_click(self.import_button, self.import_snapshot_dialog)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.import_button)
        left_layout.addLayout(buttons)
        splitter.addWidget(left)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        header = QHBoxLayout()
        self.site_title = QLabel("Select a site")
        self.site_title.setObjectName("siteTitle")
        self.site_title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.badge = StatusBadge("unknown")
        self.badge.setObjectName("syncBadge")
        header.addWidget(self.site_title)
        header.addWidget(self.badge)
        header.addStretch(1)
        self.pull_button = QPushButton("&Pull")
        self.pull_button.setToolTip(
            "Fetch the site repository and fast-forward (never merges, never loses commits)"
        )
        _on_click(self.pull_button, self.pull)
        self.fetch_button = QPushButton("Fetch &snapshot")
        self.fetch_button.setToolTip("Read the host's status over its API (needs the site LAN)")
        self.fetch_button.setDefault(True)
        _on_click(self.fetch_button, self.fetch_snapshot)
        self.edit_button = QPushButton("&Edit…")
        _on_click(self.edit_button, self.edit_site)
        self.remove_button = QPushButton("Re&move")
        _on_click(self.remove_button, self.remove_site)
        for button in (self.pull_button, self.fetch_button, self.edit_button, self.remove_button):
            header.addWidget(button)
        right_layout.addLayout(header)

        self.sync_line = QLabel("")
        self.sync_line.setObjectName("syncLine")
        self.sync_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sync_message = QLabel("")
        self.sync_message.setObjectName("syncMessage")
        self.sync_message.setWordWrap(True)
        right_layout.addWidget(self.sync_line)
        right_layout.addWidget(self.sync_message)
        # the last action's result (Pull, Fetch, Import, Edit): stays through the reload it causes
        self.action_result = QLabel("")
        self.action_result.setObjectName("actionResult")
        self.action_result.setWordWrap(True)
        self.action_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_result.hide()
        right_layout.addWidget(self.action_result)
        # why Fetch snapshot is off, in the page (a disabled button's tooltip is easy to miss)
        self.fetch_note = QLabel("")
        self.fetch_note.setObjectName("fetchNote")
        self.fetch_note.setWordWrap(True)
        self.fetch_note.setTextFormat(Qt.TextFormat.RichText)
        self.fetch_note.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                                | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.fetch_note.linkActivated.connect(self._note_link)
        self.fetch_note.hide()
        right_layout.addWidget(self.fetch_note)
        self.problem = QLabel("")
        self.problem.setObjectName("siteProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        right_layout.addWidget(self.problem)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        # Escape, not a mnemonic: every letter of "Cancel" is taken on this page (File menu included)
        self.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_button.setToolTip("Stop the running pull or fetch (Esc)")
        _on_click(self.cancel_button, self.cancel_action)
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(progress_row)
        self.progress_box.hide()
        right_layout.addWidget(self.progress_box)

        self.tabs = QTabWidget()
        self.workloads_model = RowsModel(["Health", "Kind", "Name", "Reason"], word_column=0)
        self.workloads_view = self._table(self.workloads_model, "workloadsTable")
        self.workload_detail = RowDetail("Choose a workload to see its desired and observed state.",
                                         "workloadDetail")
        self.workloads_view.selectionModel().currentRowChanged.connect(self._workload_chosen)
        self.tabs.addTab(_with_pane(self.workloads_view, self.workload_detail), "&Workloads")

        changes = QSplitter(Qt.Orientation.Vertical)
        self.pending_list = QListWidget()
        self.pending_list.setObjectName("pendingList")
        self.pending_list.currentItemChanged.connect(self._pending_chosen)
        self.diff_view = QPlainTextEdit()
        self.diff_view.setObjectName("diffView")
        self.diff_view.setReadOnly(True)
        self.diff_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._highlighter = DiffHighlighter(self.diff_view.document())
        changes.addWidget(self.pending_list)
        changes.addWidget(self.diff_view)
        changes.setStretchFactor(0, 1)
        changes.setStretchFactor(1, 4)
        self.tabs.addTab(changes, "&Changes")

        self.lint_model = RowsModel(["Severity", "Rule", "Where", "Message"], word_column=0)
        self.lint_view = self._table(self.lint_model, "lintTable")
        self.lint_detail = RowDetail("Choose a finding to see it in full with its hint.", "lintDetail")
        self.lint_view.selectionModel().currentRowChanged.connect(self._finding_chosen)
        self.tabs.addTab(_with_pane(self.lint_view, self.lint_detail), "&Lint")

        self.flux_model = RowsModel(
            ["Health", "Name", "Ready", "Suspended", "Revision", "Message"], word_column=0
        )
        self.events_model = RowsModel(["Time", "Type", "Reason", "Object", "Message"])
        flux_box = QSplitter(Qt.Orientation.Vertical)
        self.flux_view = self._table(self.flux_model, "fluxTable")
        self.events_view = self._table(self.events_model, "eventsTable")
        flux_box.addWidget(self.flux_view)
        flux_box.addWidget(self.events_view)
        flux_box.setStretchFactor(0, 1)
        flux_box.setStretchFactor(1, 2)
        self.tabs.addTab(flux_box, "Flu&x && events")

        self.network = NetworkDiagram()
        scroll = QScrollArea()
        scroll.setWidget(self.network)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.tabs.addTab(scroll, "&Network")
        right_layout.addWidget(self.tabs, 1)
        splitter.addWidget(right)
        splitter.setSizes([220, 880])
        splitter.setStretchFactor(1, 1)
        refresh = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        refresh.activated.connect(self.reload_current)
        self._set_actions_enabled(False)
        self._tones: Tones | None = None
        self._apply_tones()

    # -- light and dark ----------------------------------------------------------------------------------
    def _apply_tones(self) -> None:
        """Colours for the current palette; what was drawn with the old ones is redrawn."""
        self._tones = tones = current_tones()
        # the problem is a tinted banner (text on its own background), readable in light and dark
        self.problem.setStyleSheet(box_sheet("QLabel#siteProblem", tones.box("fail")))
        self._highlighter.set_tones(tones)
        self._show_fleet_summary()
        if self.fetch_note.isVisible():
            self.fetch_note.setStyleSheet(box_sheet("QLabel#fetchNote", tones.box("info")))
        if self.action_result.isVisible():
            ok = self.action_result.property("ok") is not False
            self.action_result.setStyleSheet(
                box_sheet("QLabel#actionResult", tones.box("pass" if ok else "warn"))
            )
        if self._workloads:
            self._workload_chosen(self.workloads_view.currentIndex())
        if self._findings:
            self._finding_chosen(self.lint_view.currentIndex())
        if self.detail is not None:
            self.sync_line.setText(self._sync_line_html(self.detail.status))
        self.site_list.viewport().update()

    def changeEvent(self, event: QEvent) -> None:
        if (
            event.type() in PALETTE_EVENTS
            and hasattr(self, "_tones")
            and current_tones() != self._tones  # light <-> dark only
        ):
            self._apply_tones()
        super().changeEvent(event)

    def _table(self, model: RowsModel, name: str) -> FittedTable:
        view = FittedTable()
        view.setObjectName(name)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setAlternatingRowColors(True)
        view.setWordWrap(True)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
        header = view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        return view

    # -- the list ------------------------------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh_list()

    def refresh_list(self, select: str | None = None) -> None:
        """Reload the registry and the cached overview in a worker; keep or set the selection."""
        wanted = select or self.current

        def job(progress: Any, cancel: CancelToken) -> tuple[list[Any], list[Any]]:
            from ecs_field.sites.registry import Registry
            from ecs_field.sites.status.overview import site_overview

            registry = Registry.load()
            if not registry.sites and first_run():
                # the README's promise: the demo site is there on first run (as self-test makes it)
                from ecs_field.sites.demo import ensure_demo_site

                with DEMO_LOCK:
                    ensure_demo_site()
                registry = Registry.load()
            return registry.sites, site_overview(registry.names())

        if not self._sites and first_run() and not git_available():
            self._show_problem(*NO_GIT)
            return

        # Only the newest refresh fills the list: an older one finishing last (the page's first
        # open racing self-test's refresh) would clear the selection it cannot restore.
        self._list_generation += 1
        generation = self._list_generation

        def fill(result: tuple[list[Any], list[Any]]) -> None:
            if generation == self._list_generation:
                self._fill_list(result, wanted)

        self.jobs.run(
            job,
            name="site list",
            on_success=self.guarded(fill),
            on_failure=self._show_problem,
        )

    def _fill_list(self, result: tuple[list[Any], list[Any]], wanted: str | None) -> None:
        sites, overview = result
        self._sites = {s.name: s for s in sites}
        self._overview = list(overview)
        self._show_fleet_summary()
        self.site_list.blockSignals(True)
        self.site_list.clear()
        for row in overview:
            item = QListWidgetItem(row.name)
            item.setData(ROLE_NAME, row.name)
            item.setData(ROLE_OVERVIEW, row)
            item.setToolTip(site_tooltip(row))
            self.site_list.addItem(item)
        self.site_list.blockSignals(False)
        self.empty_hint.setVisible(not overview)
        names = [row.name for row in overview]
        if wanted in names:
            self.site_list.setCurrentRow(names.index(wanted))
        elif names and self.current not in names:
            self.site_list.setCurrentRow(0)
        elif not names:
            self._clear_detail()

    def _site_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is None:
            return
        name = str(item.data(ROLE_NAME))
        if name == self._loading_name and self._sites.get(name) == self._loading_site:
            # A refreshed list re-selects the site whose load is still on its way (the page's
            # first open and self-test's refresh): a second load would only discard the first.
            return
        self.load_site(name)

    # -- one site --------------------------------------------------------------------------------------------
    def load_site(self, name: str) -> None:
        """Start loading a site's detail in a worker; a newer request makes older results ignored."""
        from ecs_field.sites.status.snapshot import human_age  # noqa: F401 - warm the import off the hot path

        if name != self.current:
            self.action_result.hide()  # a result belongs to the site it was done on
        self.current = name
        self._load_generation += 1
        generation = self._load_generation
        self._loading_name = name
        if self.detail is not None and self.detail.name != name:
            self._clear_site_data()  # never another site's rows under this title
        self.site_title.setText(name)
        self.sync_line.setText("Loading…")
        self.sync_message.setText("")
        self.problem.hide()
        self._set_actions_enabled(True)
        site = self._sites.get(name)
        self._loading_site = site

        def job(progress: Any, cancel: CancelToken) -> Any:
            from ecs_field.errors import BadInput
            from ecs_field.sites.registry import Registry, local_repo_path
            from ecs_field.sites.status.overview import load_site_detail

            chosen = site or Registry.load().get(name)
            path = local_repo_path(chosen)
            if not path.exists():
                raise BadInput(
                    f"The repository of {name} is not cloned yet ({path}).",
                    "Press Pull to clone it (needs the network).",
                )
            return load_site_detail(chosen, repo_path=path, progress=progress, cancel=cancel)

        self.jobs.run(
            job,
            name=f"load site {name}",
            on_success=self.guarded(lambda detail: self._show_detail(detail, generation)),
            on_failure=self.guarded(lambda message, hint: self._load_failed(message, hint, generation)),
        )

    def reload_current(self) -> None:
        if self.current:
            self.load_site(self.current)

    def _load_failed(self, message: str, hint: str, generation: int) -> None:
        if generation != self._load_generation:
            return
        self._loading_name = None
        self._clear_site_data()
        self.sync_line.setText("")
        self.badge.set_word("unknown")
        self._show_problem(message, hint)

    def _show_detail(self, detail: Any, generation: int) -> None:
        if generation != self._load_generation:
            return  # the user moved on to another site
        self._loading_name = None
        self.detail = detail
        status = detail.status
        sync = status["sync"]
        badge_text = label_for(sync)
        if sync == "behind":
            badge_text += f" by {status['commits_behind']}"
        elif sync == "ahead":
            badge_text += f" by {status.get('commits_ahead', 0)}"
        self.badge.set_word(sync, badge_text)
        repo = status["repo"]
        snapshot = status["snapshot"]
        applied = status.get("applied_revision") or "not reported"
        self.sync_line.setText(self._sync_line_html(status))
        self.sync_line.setToolTip(
            f"Applied: {applied}\nSnapshot source: {snapshot.get('source') or '-'}\n"
            f"Repository: {repo['path']}"
        )
        self.sync_message.setText(status.get("sync_message") or "")
        problems = list(detail.problems) + ([detail.lint_error] if detail.lint_error else [])
        if problems:
            self._show_problem("\n".join(problems), "")
        else:
            self.problem.hide()
        self._fill_workloads(status)
        self._fill_changes(status, detail.diffs)
        self._fill_lint(detail.lint)
        self._fill_flux(status)
        self.network.set_view(detail.network)
        self._update_list_item(detail)

    def _sync_line_html(self, status: dict[str, Any]) -> str:
        """Applied and HEAD commits, how far behind, the snapshot's age; cautions in the action tone."""
        from ecs_field.sites.status.snapshot import human_age

        caution = current_tones().action
        sync = status["sync"]
        repo = status["repo"]
        snapshot = status["snapshot"]
        applied = status.get("applied_revision") or "not reported"
        applied_short = _short(applied)
        head = html.escape((repo.get("head") or "")[:8]) or "no commits"
        parts = [
            f"Applied <b>{html.escape(applied_short)}</b>",
            f"HEAD <b>{head}</b> on {html.escape(repo.get('branch') or 'detached HEAD')}",
        ]
        if sync == "behind":
            parts.append(
                f"{status['commits_behind']} commit{'s' if status['commits_behind'] != 1 else ''} behind"
            )
        if repo.get("dirty"):
            parts.append(f"<span style='color:{caution}'>uncommitted changes</span>")
        if snapshot.get("taken_at"):
            age = human_age(snapshot.get("age_s"))
            stale = f" <span style='color:{caution}'>(stale)</span>" if snapshot.get("stale") else ""
            parts.append(f"snapshot {age} old{stale}")
        else:
            parts.append(f"<span style='color:{caution}'>no snapshot</span>")
        return " · ".join(parts)

    def _fill_workloads(self, status: dict[str, Any]) -> None:
        self._workloads = list(status["workloads"])
        rows = [
            [
                w["health"],
                w["kind"],
                f"{w['namespace']}/{w['name']}" if w.get("namespace") else w["name"],
                w["message"] or "",
            ]
            for w in self._workloads
        ]
        tips = [
            f"{w.get('file') or 'not in the repository'}{':' + str(w['line']) if w.get('line') else ''}\n"
            f"Desired: {w['desired']}\nObserved: {w['observed']}\n{w['message']}"
            for w in self._workloads
        ]
        self.workloads_model.set_rows(rows, tips)
        self.workload_detail.clear()
        counts = status.get("counts") or {}
        failing = counts.get("failed", 0) + counts.get("missing", 0)
        # short, so all five tabs fit a 1024 px window; the tooltip says it in full
        self.tabs.setTabText(0, f"&Workloads ({len(rows)}{' · ' + str(failing) + ' ✖' if failing else ''})")
        self.tabs.setTabToolTip(
            0, f"{len(rows)} workloads" + (f", {failing} failed or missing" if failing else ", none failing")
        )
        self.workloads_view.set_caps([100, 150, 190])
        self.select_first_failing()

    def select_first_failing(self) -> None:
        """Choose the first failed (else missing, else first) workload: its reason shows at once."""
        words = [row[0] for row in self.workloads_model.rows]
        if not words:
            return
        row = next((words.index(w) for w in ("failed", "missing") if w in words), 0)
        self.workloads_view.selectRow(row)
        self._workload_chosen(self.workloads_model.index(row, 0))

    def _workload_chosen(self, current: QModelIndex, _previous: QModelIndex | None = None) -> None:
        row = current.row() if current.isValid() else -1
        if not 0 <= row < len(self._workloads):
            self.workload_detail.clear()
            return
        w = self._workloads[row]
        where = w.get("file") or "not in the repository"
        if w.get("line"):
            where += f":{w['line']}"
        self.workload_detail.show_fields(
            [
                ("Workload", f"{w['kind']} {w['namespace'] + '/' if w.get('namespace') else ''}{w['name']}"),
                ("Health", label_for(w["health"])),
                ("Reason", w.get("message") or ""),
                ("Desired", str(w.get("desired") or "")),
                ("Observed", str(w.get("observed") or "")),
                ("Defined in", where),
            ],
            colour={"Health": colour_for(w["health"])},
        )

    def _fill_changes(self, status: dict[str, Any], diffs: dict[str, str]) -> None:
        self.pending_list.clear()
        self.diff_view.clear()
        for commit in status["pending"]:
            files = ", ".join(commit["files"][:3]) + (" …" if len(commit["files"]) > 3 else "")
            item = QListWidgetItem(f"{commit['commit'][:8]}  {commit['subject']}    ({files})")
            item.setData(ROLE_NAME, commit["commit"])
            self.pending_list.addItem(item)
        if status["pending"]:
            self.pending_list.setCurrentRow(0)
        else:
            self.diff_view.setPlainText(
                "No pending changes: the host applied the local HEAD."
                if status["sync"] == "in-sync"
                else "No pending commits to show."
            )
        count = len(status["pending"])
        self.tabs.setTabText(1, f"&Changes ({status['commits_behind']})" if count else "&Changes")

    def _pending_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is None or self.detail is None:
            return
        sha = str(item.data(ROLE_NAME))
        self.diff_view.setPlainText(self.detail.diffs.get(sha, "(diff not loaded for this commit)"))

    def _fill_lint(self, lint: dict[str, Any] | None) -> None:
        self._findings = list((lint or {}).get("findings") or [])
        rows = [
            [
                f["severity"],
                f["rule"],
                f"{f['file']}:{f['line']}" if f.get("line") else f["file"],
                f["message"],
            ]
            for f in self._findings
        ]
        self.lint_model.set_rows(rows)
        self.lint_detail.clear()
        counts = (lint or {}).get("counts") or {}
        errors = counts.get("error", 0)
        self.tabs.setTabText(2, f"&Lint ({errors} error{'s' if errors != 1 else ''})" if errors else "&Lint")
        self.lint_view.set_caps([90, 150, 200])
        if rows:
            self.lint_view.selectRow(0)
            self._finding_chosen(self.lint_model.index(0, 0))

    def _finding_chosen(self, current: QModelIndex, _previous: QModelIndex | None = None) -> None:
        row = current.row() if current.isValid() else -1
        if not 0 <= row < len(self._findings):
            self.lint_detail.clear()
            return
        f = self._findings[row]
        self.lint_detail.show_fields(
            [
                ("Severity", label_for(f["severity"])),
                ("Rule", f["rule"]),
                ("Where", f"{f['file']}:{f['line']}" if f.get("line") else f["file"]),
                ("Object", f.get("object") or ""),
                ("Message", f["message"]),
                ("Hint", f.get("hint") or ""),
            ],
            colour={"Severity": colour_for(f["severity"])},
        )

    def _fill_flux(self, status: dict[str, Any]) -> None:
        rows = [
            [
                k.get("health") or "unknown",
                k["name"],
                {True: "True", False: "False"}.get(k["ready"], "Unknown"),
                "yes" if k.get("suspended") else "no",
                _short(k.get("revision") or ""),
                k.get("message") or "",
            ]
            for k in status["kustomizations"]
        ]
        self.flux_model.set_rows(rows)
        events = status.get("events") or []
        self.events_model.set_rows(
            [
                [
                    e["time"].replace("T", " ").replace("Z", ""),
                    e["type"],
                    e["reason"],
                    e["object"],
                    e["message"],
                ]
                for e in events
            ]
        )
        self.flux_view.set_caps([100, 160, 60, 80, 160])
        self.events_view.set_caps([150, 70, 160, 220])

    def _update_list_item(self, detail: Any) -> None:
        from ecs_field.sites.status.overview import site_overview

        fresh = site_overview([detail.name])[0]
        for row in range(self.site_list.count()):
            item = self.site_list.item(row)
            if item.data(ROLE_NAME) == detail.name:
                item.setData(ROLE_OVERVIEW, fresh)
                item.setToolTip(site_tooltip(fresh))
        self._overview = [fresh if o.name == detail.name else o for o in self._overview]
        self._show_fleet_summary()

    def _clear_site_data(self) -> None:
        """Empty every tab and its count: what is shown belongs to no site until the next load."""
        from ecs_field.sites.status.overview import NetworkView

        self.detail = None
        self._workloads, self._findings = [], []
        for model in (self.workloads_model, self.lint_model, self.flux_model, self.events_model):
            model.set_rows([])
        self.workload_detail.clear()
        self.lint_detail.clear()
        self.pending_list.clear()
        self.diff_view.clear()
        self.network.set_view(NetworkView())
        for index, text in enumerate(TAB_TITLES):
            self.tabs.setTabText(index, text)
        self.tabs.setTabToolTip(0, "")
        self.badge.set_word("unknown")

    def _clear_detail(self) -> None:
        self.current = None
        self._clear_site_data()
        self.site_title.setText("No site")
        self.sync_line.setText("")
        self.sync_message.setText("Add a site (its Git repository and host API) to see its state here.")
        self.action_result.hide()
        self._set_actions_enabled(False)

    def _show_problem(self, message: str, hint: str = "") -> None:
        self.problem.setText(message + (f"\n{hint}" if hint else ""))
        self.problem.show()

    def _set_actions_enabled(self, enabled: bool) -> None:
        busy = self._action_job is not None
        for button in (self.pull_button, self.fetch_button, self.edit_button, self.remove_button):
            button.setEnabled(enabled and not busy)
        self.import_button.setEnabled(enabled and not busy)
        site = self._sites.get(self.current or "")
        note = fetch_note(site) if enabled and site is not None else ""
        if note:
            self.fetch_button.setEnabled(False)
            self.fetch_button.setToolTip(_plain(note))
            self.fetch_note.setText(note)
            self.fetch_note.setStyleSheet(box_sheet("QLabel#fetchNote", current_tones().box("info")))
        else:
            self.fetch_button.setToolTip("Read the host's status over its API (needs the site LAN)")
            self.fetch_note.clear()
        self.fetch_note.setVisible(bool(note))

    def _note_link(self, link: str) -> None:
        if link == "edit":
            self.edit_site()
        elif link == "import":
            self.import_snapshot_dialog()

    def _show_fleet_summary(self) -> None:
        self.fleet_summary.setText(fleet_summary_html(self._overview, current_tones()))
        self.fleet_summary.setVisible(bool(self._overview))

    # -- actions -------------------------------------------------------------------------------------------
    def _run_action(self, label: str, fn: Any, on_success: Any) -> None:
        self.action_result.hide()  # this action's result replaces the last one
        self.progress_label.setText(label)
        self.progress.setRange(0, 0)
        self.progress_box.show()
        self.problem.hide()

        def progress(event: Progress) -> None:
            if event.bytes_total:
                self.progress.setRange(0, int(event.bytes_total))
                self.progress.setValue(int(event.bytes_done))
            if event.message:
                self.progress_label.setText(event.message)

        def done() -> None:
            self._action_job = None
            self.progress_box.hide()
            self._set_actions_enabled(self.current is not None)

        def failed(message: str, hint: str) -> None:
            self._show_problem(message, hint)

        # every handler goes in with run(): a quick job can finish before a later connect()
        job = self.jobs.run(
            fn,
            name=label,
            on_success=self.guarded(on_success),
            on_failure=self.guarded(failed),
            on_progress=self.guarded(progress),
            on_cancelled=self.guarded(lambda: self._show_problem(f"{label}: cancelled.", "")),
            on_finished=self.guarded(done),
        )
        self._action_job = job
        self._set_actions_enabled(True)

    def cancel_action(self) -> None:
        if self._action_job is not None:
            self._action_job.cancel()

    def pull(self) -> None:
        name = self.current
        site = self._sites.get(name or "")
        if site is None:
            return

        def job(progress: Any, cancel: CancelToken) -> tuple[bool, str]:
            import os

            from ecs_field.sites.registry import local_repo_path
            from ecs_field.sites.repo.gitrepo import SiteRepo

            token = os.environ.get(site.token_env) if site.token_env else None
            path = local_repo_path(site)
            if not path.exists() and site.is_remote:
                SiteRepo.clone(
                    site.repo, path, branch=site.branch or None, progress=progress, cancel=cancel, token=token
                )
                return True, f"Cloned {site.repo}."
            result = SiteRepo(path).pull_ff_only(progress=progress, cancel=cancel, token=token)
            return bool(result.ok), result.message

        def pulled(outcome: tuple[bool, str]) -> None:
            ok, message = outcome
            # the result stays above the tabs; the reload that follows fills the rest around it
            self.show_result(f"Pull: {message}", ok=ok)
            self.reload_current()

        self._run_action(f"Pulling {name}", job, pulled)

    def fetch_snapshot(self, ca_file: str | None = None) -> None:
        name = self.current
        site = self._sites.get(name or "")
        if site is None:
            return

        def job(progress: Any, cancel: CancelToken) -> Any:
            from ecs_field.sites.status.snapshot import fetch_site_snapshot

            snapshot, _ = fetch_site_snapshot(site, ca_file=ca_file, progress=progress, cancel=cancel)
            return snapshot

        def fetched(_snapshot: Any) -> None:
            self.show_result(f"Fetched a new snapshot of {name} from its host.", ok=True)
            self.reload_current()

        self._run_action(f"Fetching the snapshot of {name}", job, fetched)

    def import_snapshot_dialog(self) -> None:
        if not self.current:
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            f"Snapshot for {self.current}",
            "",
            "Snapshots and kubectl output (*.json *.yaml *.yml);;All files (*)",
        )
        if chosen:
            self.import_snapshot(Path(chosen))

    def import_snapshot(self, path: Path) -> None:
        name = self.current
        if not name:
            return

        def job(progress: Any, cancel: CancelToken) -> Any:
            from ecs_field.sites.status.snapshot import import_snapshot, save_snapshot

            snapshot = import_snapshot(path, site=name)
            snapshot.site = name
            save_snapshot(name, snapshot)
            return snapshot

        def imported(_snapshot: Any) -> None:
            self.show_result(f"Imported {path.name} as the snapshot of {name}.", ok=True)
            self.reload_current()

        self._run_action(f"Importing {path.name}", job, imported)

    def add_site(self, repo_hint: str = "") -> None:
        from ecs_field.gui.widgets.sites_dialog import SiteDialog

        dialog = SiteDialog(self, repo_hint=repo_hint)
        if dialog.exec() and dialog.result_site is not None:
            self._save_site(dialog.result_site, new=True)

    def edit_site(self) -> None:
        from ecs_field.gui.widgets.sites_dialog import SiteDialog

        site = self._sites.get(self.current or "")
        if site is None:
            return
        dialog = SiteDialog(self, site)
        if dialog.exec() and dialog.result_site is not None:
            self.save_edit(site.name, dialog.changed_fields())

    def save_edit(self, name: str, changes: dict[str, Any]) -> None:
        """Save an edited site through the registry's edit (what `ecs-field sites edit` uses)."""
        from ecs_field.errors import EcsFieldError
        from ecs_field.sites.registry import Registry

        if not changes:
            self.show_result(f"{name}: nothing changed.", ok=True)
            return
        try:
            Registry.load().update_fields(name, **changes)
        except EcsFieldError as exc:
            QMessageBox.warning(self, "Site not saved", str(exc))
            return
        said = ", ".join(sorted(FIELD_WORDS.get(key, key) for key in changes))
        self.show_result(f"Saved {name}: changed {said}.", ok=True)
        self.refresh_list(select=name)

    def _save_site(self, site: Any, *, new: bool) -> None:
        from ecs_field.errors import EcsFieldError
        from ecs_field.sites.registry import Registry

        try:
            registry = Registry.load()
            registry.add(site) if new else registry.update(site)
        except EcsFieldError as exc:
            QMessageBox.warning(self, "Site not saved", str(exc))
            return
        self.refresh_list(select=site.name)

    def show_result(self, message: str, *, ok: bool) -> None:
        """The last action's result, kept until the user picks another site or acts again."""
        self.action_result.setText(message)
        self.action_result.setProperty("ok", ok)
        self.action_result.setStyleSheet(
            box_sheet("QLabel#actionResult", current_tones().box("pass" if ok else "warn"))
        )
        self.action_result.show()

    def remove_site(self) -> None:
        from ecs_field.errors import EcsFieldError
        from ecs_field.sites.registry import Registry

        name = self.current
        if not name:
            return
        answer = QMessageBox.question(
            self, "Remove site", f"Remove {name} from the list? Its clone and snapshots stay on disk."
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            Registry.load().remove(name)
        except EcsFieldError as exc:
            QMessageBox.warning(self, "Site not removed", str(exc))
            return
        self.current = None
        self.refresh_list()

    # -- drops, self-test ------------------------------------------------------------------------------------
    def accepts_drop(self, path: Path) -> bool:
        if path.is_dir():
            return (path / ".git").exists()
        return (
            path.suffix.lower() in (".json", ".yaml", ".yml")
            and self.current is not None
            and _looks_like_snapshot(path)
        )

    def open_path(self, path: Path) -> None:
        if path.is_dir():
            self.add_site(repo_hint=str(path))
        else:
            self.import_snapshot(path)

    def self_test(self) -> None:
        """Create the demo site if needed and show it, the way a newcomer first sees the page."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop, QTimer
        from PySide6.QtWidgets import QApplication

        from ecs_field.sites.demo import ensure_demo_site

        if not git_available():
            # A laptop without Git: the page must say so in one clear message, not fail.
            self._show_problem(*NO_GIT)
            return
        with DEMO_LOCK:  # the first open may be building it in a worker right now
            site = ensure_demo_site()
        self.refresh_list(select=site.name)
        deadline = QDeadlineTimer(20000)
        # Sleep until the next event (the load's result is one) instead of polling every 10 ms,
        # which added up to 10 ms to each wait; the ticker wakes the loop to check the deadline.
        ticker = QTimer(self)
        ticker.start(50)
        try:
            while (self.detail is None or self.detail.name != site.name) and not deadline.hasExpired():
                QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
                if self.problem.isVisible() and self._loading_name is None and self.detail is None:
                    raise RuntimeError(f"demo site did not load: {self.problem.text()}")
        finally:
            ticker.stop()
            ticker.deleteLater()
        if self.detail is None or self.detail.name != site.name:
            raise RuntimeError("demo site did not load within 20 s")
        if not self.detail.status["workloads"]:
            raise RuntimeError("demo site shows no workloads")


DEMO_LOCK = threading.Lock()  # one demo build at a time: the first open's worker and self-test
TAB_TITLES = ("&Workloads", "&Changes", "&Lint", "Flu&x && events", "&Network")
FIELD_WORDS = {"hosts": "host API", "token_env": "token variable", "ca_file": "host CA file"}
NO_GIT = (
    "Git is not installed on this computer, so site repositories cannot be read.",
    "Install Git (Windows: Git for Windows; macOS: the Xcode command line tools; "
    "Linux: the git package), then open this page again.",
)


def git_available() -> bool:
    """Whether the app has a git to run; asked without importing GitPython (~0.1 s of the start)."""
    from ecs_field.sites.status.overview import git_executable

    return git_executable() is not None


def first_run() -> bool:
    """No demo was ever built here: the registry's emptiness is the user's first start, not a
    choice (a removed demo leaves its folder, so it is not created again)."""
    from ecs_field.sites.demo import demo_dir

    return not demo_dir().exists()


def fetch_note(site: Any) -> str:
    """Why Fetch snapshot is off for ``site``, with the page's ways on ("" when it is on)."""
    from ecs_field.sites.demo import DEMO_SITE

    if site.hosts:
        return ""
    ways = (
        "Give it one with <a href='edit'>Edit…</a> (Host API), or "
        "<a href='import'>import a snapshot</a> taken on the site's LAN."
    )
    if site.name == DEMO_SITE:
        return (
            "<b>Fetch snapshot is off:</b> the demo site has no host API address (its snapshot came with "
            "the app). " + ways
        )
    return "<b>Fetch snapshot is off:</b> this site has no host API address. " + ways


def _plain(html_text: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html_text)


def _on_click(button: QPushButton, action: Any) -> None:
    # clicked(bool) would land in the action's first optional parameter; drop it.
    button.clicked.connect(lambda _checked=False: action())


def _looks_like_snapshot(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
    except OSError:
        return False
    return b"ecs-field/snapshot@1" in head or b"kind" in head


def _short(revision: str) -> str:
    from ecs_field.sites.status.sync import parse_revision

    parsed = parse_revision(revision)
    if parsed is None or not parsed.sha:
        return revision or "-"
    return f"{parsed.ref + '@' if parsed.ref else ''}{parsed.sha[:8]}"


def _with_pane(table: QWidget, pane: QWidget) -> QSplitter:
    """The table above, the chosen row in full below (the pane keeps a few lines at 640 px)."""
    box = QSplitter(Qt.Orientation.Vertical)
    box.addWidget(table)
    box.addWidget(pane)
    box.setStretchFactor(0, 3)
    box.setStretchFactor(1, 2)
    box.setChildrenCollapsible(False)
    return box
