"""The Sites page: every site's sync state at a glance, one site's detail beside it.

The list reads only small cached files (snapshot heads, last status summaries) in a worker.
Opening a site runs git, the manifest loader, the linter and the status comparison in a worker
(ecs_field.sites.status.overview.load_site_detail); the GUI thread only fills models, so the event
loop never stalls. Pull and Fetch snapshot are workers too, with progress and Cancel.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QKeySequence, QPainter, QShortcut
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
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ecs_field.events import CancelToken, Progress
from ecs_field.gui.pages.base import Page
from ecs_field.gui.theme import PALETTE_EVENTS, Tones, box_sheet, current_tones, tones_for
from ecs_field.gui.widgets.sites_badge import StatusBadge, colour_for, label_for
from ecs_field.gui.widgets.sites_network import NetworkDiagram
from ecs_field.gui.widgets.sites_tables import DiffHighlighter, RowsModel

log = logging.getLogger(__name__)

ROLE_NAME = Qt.ItemDataRole.UserRole
ROLE_OVERVIEW = Qt.ItemDataRole.UserRole + 1


class SiteItemDelegate(QStyledItemDelegate):
    """Two lines per site: its name, then a coloured dot with the sync word and the snapshot age."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        height = option.fontMetrics.height()
        return QSize(200, height * 2 + 14)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        from ecs_field.sites.status.snapshot import human_age

        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        overview = index.data(ROLE_OVERVIEW)
        name = str(index.data(ROLE_NAME) or "")
        rect: QRect = option.rect.adjusted(10, 5, -8, -5)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_colour = option.palette.highlightedText().color() if selected else option.palette.text().color()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_colour)
        line_h = option.fontMetrics.height()
        painter.drawText(
            QRect(rect.left(), rect.top(), rect.width(), line_h),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            name,
        )
        word = overview.sync if overview else "unknown"
        colour = QColor(colour_for(word, tones_for(option.palette)))  # readable on this list's base
        dot = QRect(rect.left(), rect.top() + line_h + 6, 10, 10)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(dot)
        detail = label_for(word)
        if overview is not None:
            if word == "behind" and overview.commits_behind:
                detail += f" by {overview.commits_behind}"
            failed = overview.counts.get("failed", 0)
            if failed:
                detail += f" · {failed} failed"
            if overview.snapshot_taken_at:
                detail += f" · {human_age(overview.snapshot_age_s)}" + (" (stale)" if overview.stale else "")
            else:
                detail += " · no snapshot"
        painter.setFont(option.font)
        painter.setPen(text_colour if selected else colour)
        painter.drawText(
            QRect(rect.left() + 16, rect.top() + line_h + 2, rect.width() - 16, line_h + 4),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            option.fontMetrics.elidedText(detail, Qt.TextElideMode.ElideRight, rect.width() - 16),
        )
        painter.restore()


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
        self._loading_name: str | None = None
        self._action_job: Any = None
        self._sites: dict[str, Any] = {}
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
        self.site_list = QListWidget()
        self.site_list.setObjectName("siteList")
        self.site_list.setAccessibleName("Sites")
        self.site_list.setItemDelegate(SiteItemDelegate(self.site_list))
        self.site_list.setUniformItemSizes(True)
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
        self.workloads_model = RowsModel(
            ["Health", "Kind", "Namespace", "Name", "Desired", "Observed", "Message"], word_column=0
        )
        self.workloads_view = self._table(self.workloads_model, "workloadsTable")
        self.tabs.addTab(self.workloads_view, "&Workloads")

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

        self.lint_model = RowsModel(["Severity", "Rule", "File", "Object", "Message", "Hint"], word_column=0)
        self.lint_view = self._table(self.lint_model, "lintTable")
        self.tabs.addTab(self.lint_view, "&Lint")

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
        splitter.setSizes([250, 850])
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

    def _table(self, model: RowsModel, name: str) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
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
            return registry.sites, site_overview(registry.names())

        self.jobs.run(
            job,
            name="site list",
            on_success=self.guarded(lambda result: self._fill_list(result, wanted)),
            on_failure=self._show_problem,
        )

    def _fill_list(self, result: tuple[list[Any], list[Any]], wanted: str | None) -> None:
        sites, overview = result
        self._sites = {s.name: s for s in sites}
        self.site_list.blockSignals(True)
        self.site_list.clear()
        for row in overview:
            item = QListWidgetItem(row.name)
            item.setData(ROLE_NAME, row.name)
            item.setData(ROLE_OVERVIEW, row)
            item.setToolTip(f"{row.name}: {label_for(row.sync)}")
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
        self.load_site(str(item.data(ROLE_NAME)))

    # -- one site --------------------------------------------------------------------------------------------
    def load_site(self, name: str) -> None:
        """Start loading a site's detail in a worker; a newer request makes older results ignored."""
        from ecs_field.sites.status.snapshot import human_age  # noqa: F401 - warm the import off the hot path

        self.current = name
        self._load_generation += 1
        generation = self._load_generation
        self._loading_name = name
        self.site_title.setText(name)
        self.sync_line.setText("Loading…")
        self.sync_message.setText("")
        self.problem.hide()
        self._set_actions_enabled(True)
        site = self._sites.get(name)

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
        head = (repo.get("head") or "")[:8] or "no commits"
        parts = [
            f"Applied <b>{applied_short}</b>",
            f"HEAD <b>{head}</b> on {repo.get('branch') or 'detached HEAD'}",
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
        rows = [
            [
                w["health"],
                w["kind"],
                w["namespace"] or "",
                w["name"],
                w["desired"],
                w["observed"],
                w["message"],
            ]
            for w in status["workloads"]
        ]
        tips = [
            f"{w.get('file') or 'not in the repository'}{':' + str(w['line']) if w.get('line') else ''}\n"
            f"{w['message']}"
            for w in status["workloads"]
        ]
        self.workloads_model.set_rows(rows, tips)
        counts = status.get("counts") or {}
        failing = counts.get("failed", 0) + counts.get("missing", 0)
        # short, so all five tabs fit a 1024 px window; the tooltip says it in full
        self.tabs.setTabText(0, f"&Workloads ({len(rows)}{' · ' + str(failing) + ' ✖' if failing else ''})")
        self.tabs.setTabToolTip(
            0, f"{len(rows)} workloads" + (f", {failing} failed or missing" if failing else ", none failing")
        )
        _fit_columns(self.workloads_view, [95, 140, 95, 120, 210, 210])

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
        findings = (lint or {}).get("findings") or []
        rows = [
            [
                f["severity"],
                f["rule"],
                f"{f['file']}:{f['line']}" if f.get("line") else f["file"],
                f.get("object") or "",
                f["message"],
                f.get("hint") or "",
            ]
            for f in findings
        ]
        self.lint_model.set_rows(rows)
        counts = (lint or {}).get("counts") or {}
        errors = counts.get("error", 0)
        self.tabs.setTabText(2, f"&Lint ({errors} error{'s' if errors != 1 else ''})" if errors else "&Lint")
        _fit_columns(self.lint_view, [80, 130, 200, 200, 430])

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
        _fit_columns(self.flux_view, [90, 130, 60, 80, 150])
        _fit_columns(self.events_view, [140, 70, 200, 220])

    def _update_list_item(self, detail: Any) -> None:
        from ecs_field.sites.status.overview import site_overview

        for row in range(self.site_list.count()):
            item = self.site_list.item(row)
            if item.data(ROLE_NAME) == detail.name:
                item.setData(ROLE_OVERVIEW, site_overview([detail.name])[0])

    def _clear_detail(self) -> None:
        self.current = None
        self.detail = None
        self.site_title.setText("No site")
        self.badge.set_word("unknown")
        self.sync_line.setText("")
        self.sync_message.setText("Add a site (its Git repository and host API) to see its state here.")
        for model in (self.workloads_model, self.lint_model, self.flux_model, self.events_model):
            model.set_rows([])
        self.pending_list.clear()
        self.diff_view.clear()
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
        if site is not None and not site.hosts:
            self.fetch_button.setEnabled(False)
            self.fetch_button.setToolTip("This site has no host API address: add one with Edit…, "
                                         "or import a snapshot file.")
        else:
            self.fetch_button.setToolTip("Read the host's status over its API (needs the site LAN)")

    # -- actions -------------------------------------------------------------------------------------------
    def _run_action(self, label: str, fn: Any, on_success: Any) -> None:
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

        def job(progress: Any, cancel: CancelToken) -> str:
            import os

            from ecs_field.sites.registry import local_repo_path
            from ecs_field.sites.repo.gitrepo import SiteRepo

            token = os.environ.get(site.token_env) if site.token_env else None
            path = local_repo_path(site)
            if not path.exists() and site.is_remote:
                SiteRepo.clone(
                    site.repo, path, branch=site.branch or None, progress=progress, cancel=cancel, token=token
                )
                return f"Cloned {site.repo}."
            result = SiteRepo(path).pull_ff_only(progress=progress, cancel=cancel, token=token)
            return result.message

        def pulled(message: str) -> None:
            self.sync_message.setText(message)
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

        self._run_action(f"Fetching the snapshot of {name}", job, lambda _snapshot: self.reload_current())

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

        self._run_action(f"Importing {path.name}", job, lambda _snapshot: self.reload_current())

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
            self._save_site(dialog.result_site, new=False)

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
        from PySide6.QtCore import QDeadlineTimer
        from PySide6.QtWidgets import QApplication

        from ecs_field.sites.demo import ensure_demo_site
        from ecs_field.sites.repo.gitrepo import git_available

        if not git_available():
            # A laptop without Git: the page must say so in one clear message, not fail.
            self._show_problem(
                "Git is not installed on this computer, so site repositories cannot be read.",
                "Install Git (Windows: Git for Windows; macOS: the Xcode command line tools; "
                "Linux: the git package), then open this page again.",
            )
            return
        site = ensure_demo_site()
        self.refresh_list(select=site.name)
        deadline = QDeadlineTimer(20000)
        while (self.detail is None or self.detail.name != site.name) and not deadline.hasExpired():
            QApplication.processEvents()
            if self.problem.isVisible() and self._loading_name is None and self.detail is None:
                raise RuntimeError(f"demo site did not load: {self.problem.text()}")
            time.sleep(0.01)
        if self.detail is None or self.detail.name != site.name:
            raise RuntimeError("demo site did not load within 20 s")
        if not self.detail.status["workloads"]:
            raise RuntimeError("demo site shows no workloads")


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


def _fit_columns(view: QTableView, widths: list[int]) -> None:
    for column, width in enumerate(widths):
        view.setColumnWidth(column, width)
