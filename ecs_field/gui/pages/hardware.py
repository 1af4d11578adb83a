"""Hardware page: probe this machine or import a report, see the verdict, its fixes and the NICs.

The probe and the import run in worker jobs; only the newest request's result is shown (a slow
probe finishing after an import must not replace it). A NetDeviceWatcher reports USB/network
device changes from its own thread; a Qt signal carries them to the GUI thread, which re-probes
only while the page is about THIS machine, so a USB NIC plugged into the laptop shows up within
a couple of seconds. While the page shows (or is reading) an imported report, a device change
never replaces it: an info bar offers to re-check this machine instead.
"""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ecs_field import storage
from ecs_field.compat.catalog import Catalog, load_catalog
from ecs_field.compat.report import render_html
from ecs_field.compat.verdict import Verdict, evaluate
from ecs_field.errors import BadInput, EcsFieldError
from ecs_field.events import CancelToken, Progress
from ecs_field.gui.keyboard import add_key
from ecs_field.gui.pages.base import Page
from ecs_field.gui.widgets.hardware_checks import SHOW_ALL_LINK, checks_html, counts_html, counts_text
from ecs_field.gui.widgets.hardware_notice import NoticeBar
from ecs_field.gui.widgets.hardware_style import SUPPORT_WORDS, Tones, tones_for
from ecs_field.gui.widgets.hardware_warnings import InputWarningsPanel
from ecs_field.gui.widgets.verdict_banner import GREETING, VerdictBanner
from ecs_field.gui.workers import Job, JobFunction
from ecs_field.hardware.inventory import Inventory
from ecs_field.resources import resource_path

log = logging.getLogger(__name__)

SAMPLE_INVENTORY = ("samples", "nuc11-usb-nic.inventory.json")
SNIFF_BYTES = 64 * 1024
MAX_DROP_BYTES = 16 * 1024 * 1024

NIC_COLUMNS = ["ESXi name", "Interface", "Chip", "ID", "Link", "Driver", "Support", "Component"]


class Watcher(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


ProbeFunction = Callable[[Collection[str]], Inventory]
WatcherFactory = Callable[[Callable[[], None]], Watcher]


def _default_probe(usb_nic_ids: Collection[str]) -> Inventory:
    from ecs_field.hardware.probe import probe_local

    return probe_local(usb_nic_ids=usb_nic_ids)


def _default_watcher(callback: Callable[[], None]) -> Watcher:
    from ecs_field.hardware.monitor import NetDeviceWatcher

    return NetDeviceWatcher(callback, interval_s=1.0)


class _DeviceBridge(QObject):
    """Lives in the GUI thread; ``changed.emit`` from the watcher thread is delivered queued."""

    changed = Signal()


class HardwarePage(Page):
    key = "hardware"
    title = "Hardware"

    verdict_changed = Signal(object)  # the verdict document (dict)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        probe: ProbeFunction | None = None,
        watcher_factory: WatcherFactory | None = None,
    ) -> None:
        super().__init__(parent)
        self._probe = probe or _default_probe
        self._watcher_factory = watcher_factory or _default_watcher
        self._watcher: Watcher | None = None
        self._bridge = _DeviceBridge(self)
        self._bridge.changed.connect(self._on_devices_changed)
        self.inventory: Inventory | None = None
        self.verdict: Verdict | None = None
        self.doc: dict[str, Any] | None = None  # the verdict document on screen
        self.origin = ""  # "this machine" or the imported file names
        self.from_probe = False
        self._busy = False
        self._busy_kind = ""  # "probe" | "import" while a job runs
        self._busy_origin = ""
        self._busy_message = ""
        self._request = 0  # only the newest request's result is shown
        self._job: Job | None = None
        self._reprobe_pending = False
        self.probe_count = 0
        self._pending_paths: list[Path] = []
        self._catalog_note = ""
        self._all_adapters = False  # the full list of recommended adapters was asked for
        self._tones: Tones = tones_for(QApplication.palette())
        self.setAcceptDrops(True)
        self._build()

    # layout ----------------------------------------------------------------
    def _build(self) -> None:
        heading = QLabel("Hardware check")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)

        self.release_box = QComboBox()
        self.release_box.setAccessibleName("ESXi release")
        self.release_box.setToolTip("The ESXi release the host image is built on")
        release_label = QLabel("ESXi &release:")
        release_label.setBuddy(self.release_box)

        self.check_button = QPushButton("&Check this machine")
        self.check_button.setDefault(True)
        add_key(self.check_button, "Ctrl+R")
        self.check_button.setToolTip("Probe this computer's hardware and check it (Ctrl+R)")
        self.check_button.clicked.connect(self.check_this_machine)

        self.import_button = QPushButton("&Import report…")
        add_key(self.import_button, QKeySequence.StandardKey.Open)
        self.import_button.setToolTip(
            "Open lspci / lsusb / dmidecode / esxcli output or an inventory JSON of ONE box (Ctrl+O); "
            "several files merge"
        )
        self.import_button.clicked.connect(self.choose_files)

        self.export_button = QToolButton()
        self.export_button.setText("E&xport")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.export_json_action = QAction("Verdict as &JSON…", self)
        self.export_json_action.triggered.connect(lambda: self.choose_export("json"))
        self.export_html_action = QAction("Report as &HTML…", self)
        self.export_html_action.triggered.connect(lambda: self.choose_export("html"))
        self.export_inventory_action = QAction("&Inventory as JSON…", self)
        self.export_inventory_action.triggered.connect(lambda: self.choose_export("inventory"))
        menu.addAction(self.export_json_action)
        menu.addAction(self.export_html_action)
        menu.addAction(self.export_inventory_action)
        # The site linter checks vSwitch uplinks against the box: recording the inventory with a
        # site here saves retyping it (ecs-field sites / the Sites page read it).
        self.site_menu = menu.addMenu("Record for &site")
        self.site_menu.aboutToShow.connect(self._fill_site_menu)
        self.export_button.setMenu(menu)
        self.export_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(release_label)
        top.addWidget(self.release_box)
        top.addSpacing(12)
        top.addWidget(self.import_button)
        top.addWidget(self.export_button)
        top.addWidget(self.check_button)

        self.banner = VerdictBanner()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumHeight(6)
        self.busy_bar.setTextVisible(False)
        self.cancel_button = QPushButton("C&ancel")
        self.cancel_button.setToolTip(
            "Stop waiting for this result; the page keeps what it showed before (Esc)"
        )
        add_key(self.cancel_button, "Escape")
        self.cancel_button.clicked.connect(self.cancel_work)
        busy_row = QHBoxLayout()
        busy_row.setContentsMargins(0, 0, 0, 0)
        busy_row.addWidget(self.busy_bar, 1)
        busy_row.addWidget(self.cancel_button)
        self.busy_row = QWidget()
        self.busy_row.setLayout(busy_row)
        self.busy_row.hide()
        self.notice = NoticeBar("Re-check &this machine")
        self.notice.action.setToolTip("Replace the report shown with a check of this computer")
        self.notice.action_clicked.connect(self.check_this_machine)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.warnings_panel = InputWarningsPanel()

        self.checks_view = QTextBrowser()
        self.checks_view.setObjectName("checksView")
        self.checks_view.setAccessibleName("Checks and fixes")
        self.checks_view.setOpenLinks(False)  # the one link ("show all adapters") is handled here
        self.checks_view.anchorClicked.connect(self._link_clicked)

        self.nic_table = QTableWidget(0, len(NIC_COLUMNS))
        self.nic_table.setObjectName("nicTable")
        self.nic_table.setAccessibleName("Network adapters")
        self.nic_table.setHorizontalHeaderLabels(NIC_COLUMNS)
        self.nic_table.verticalHeader().setVisible(False)
        self.nic_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.nic_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.nic_table.setAlternatingRowColors(True)
        header = self.nic_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        checks_box = QWidget()
        checks_layout = QVBoxLayout(checks_box)
        checks_layout.setContentsMargins(0, 0, 0, 0)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("checkCounts")
        self.counts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        checks_head = QHBoxLayout()
        checks_head.addWidget(self._section_label("Chec&ks and fixes", self.checks_view))
        checks_head.addStretch(1)
        checks_head.addWidget(self.counts_label)
        checks_layout.addLayout(checks_head)
        checks_layout.addWidget(self.checks_view)
        nics_box = QWidget()
        nics_layout = QVBoxLayout(nics_box)
        nics_layout.setContentsMargins(0, 0, 0, 0)
        self.nics_title = nics_title = self._section_label(
            "&Network adapters (as ESXi will name them)", self.nic_table
        )
        nics_layout.addWidget(nics_title)
        nics_layout.addWidget(self.nic_table)
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(checks_box)
        splitter.addWidget(nics_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)  # a taller window gives the checks the room, not empty NIC rows
        splitter.setSizes([420, 170])  # checks need the room; a box rarely has more than four NICs
        splitter.setChildrenCollapsible(False)

        self.footer = QLabel()
        self.footer.setObjectName("hardwareFooter")
        self.footer.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.busy_row)
        layout.addWidget(self.notice)
        layout.addWidget(self.error_label)
        layout.addWidget(self.warnings_panel)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.footer)
        self._fill_releases()
        self.release_box.currentIndexChanged.connect(self._release_changed)
        self._apply_tones()

    @staticmethod
    def _section_label(text: str, buddy: QWidget) -> QLabel:
        # the buddy makes the label's mnemonic jump to the view it names (keyboard path)
        label = QLabel(text)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        label.setBuddy(buddy)
        return label

    def catalog(self) -> Catalog:
        return load_catalog()

    def _fill_releases(self) -> None:
        try:
            catalog = self.catalog()
        except Exception as exc:
            log.exception("catalog not loaded")
            self._show_error(f"The hardware catalog could not be loaded: {exc}", "Reinstall ecs-field.")
            return
        self.release_box.blockSignals(True)
        self.release_box.clear()
        default = catalog.default_release.id if catalog.releases else None
        for release in catalog.releases:
            suffix = " (default)" if release.id == default else ""
            self.release_box.addItem(f"{release.name}{suffix}", release.id)
        self.release_box.setCurrentIndex(max(0, self.release_box.findData(default)))
        self.release_box.blockSignals(False)
        problems = ""
        if catalog.errors:
            # say it in the page's words; the entries themselves are in the footer's tooltip
            problems = f" · {len(catalog.errors)} catalog entries could not be read (point here for details)"
            self.footer.setToolTip("\n".join(str(e) for e in catalog.errors[:20]))
        self._catalog_note = f"Catalog {catalog.version}{problems}"
        self._update_footer()

    @property
    def release_id(self) -> str | None:
        data = self.release_box.currentData()
        return str(data) if data else None

    def set_release(self, release_id: str) -> None:
        index = self.release_box.findData(release_id)
        if index < 0:
            raise BadInput(f"Unknown ESXi release {release_id!r}")
        self.release_box.setCurrentIndex(index)

    # actions ---------------------------------------------------------------
    def check_this_machine(self) -> None:
        """Primary action: probe in a worker, then evaluate. Supersedes an import being read."""
        if self._busy and self._busy_kind == "probe":
            self._reprobe_pending = True  # devices changed mid-probe: probe once more afterwards
            return
        catalog = self.catalog()
        probe = self._probe
        ids = catalog.usb_nic_ids()

        def job(_progress: Callable[[Progress], None], cancel: CancelToken) -> Inventory:
            inventory = probe(ids)
            cancel.check()
            return inventory

        self._start("probe", "this machine", job, "Checking this machine…")

    def import_files(self, paths: list[Path]) -> None:
        """Read one box's report files in a worker, merge them, evaluate. Supersedes a running probe."""
        if not paths:
            return
        ids = self.catalog().usb_nic_ids()
        names = ", ".join(p.name for p in paths)

        def job(_progress: Callable[[Progress], None], _cancel: CancelToken) -> Inventory:
            from ecs_field.hardware.importer import load_inputs

            return load_inputs(paths, usb_nic_ids=ids)

        self._reprobe_pending = False  # the page is about another box from now on
        self._start("import", names, job, f"Reading {names}…")

    def _start(self, kind: str, origin: str, fn: JobFunction, message: str) -> None:
        # A newer request supersedes the running one: its result, failure and end are ignored
        # (the request number no longer matches), so a slow probe cannot replace an import.
        if self._job is not None:
            self._job.cancel()
        self._request += 1
        request = self._request
        self._busy_kind, self._busy_origin = kind, origin
        self.notice.hide()
        self._set_busy(True, message)
        # Every signal is connected before the job starts: a fast job could otherwise finish
        # before ``finished`` is connected and leave the page busy for ever.
        job = Job(fn, f"{'probe this machine' if kind == 'probe' else 'import hardware report'}")
        job.signals.succeeded.connect(self.guarded(lambda inv: self._job_succeeded(request, inv)))
        job.signals.failed.connect(self.guarded(lambda m, h: self._job_failed(request, m, h)))
        job.signals.finished.connect(self.guarded(lambda: self._job_finished(request)))
        self._job = job
        self.jobs.start(job)

    def cancel_work(self) -> None:
        """Stop waiting for the running probe or import; what the page showed before stays."""
        if not self._busy:
            return
        what = "Checking this machine" if self._busy_kind == "probe" else f"Reading {self._busy_origin}"
        if self._job is not None:
            self._job.cancel()
        self._job = None
        self._request += 1  # the cancelled job's late result is dropped
        self._reprobe_pending = False
        self._set_busy(False)
        kept = f"; still showing the result for {self.origin}" if self.doc is not None else ""
        self._status(f"{what} cancelled{kept}.")

    def _status(self, message: str) -> None:
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 5000)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Import hardware report of one box",
            "",
            "Reports (*.json *.txt *.log *.out);;All files (*)",
        )
        self.import_files([Path(f) for f in files])

    def _fill_site_menu(self) -> None:
        from ecs_field.sites.registry import Registry

        self.site_menu.clear()
        try:
            names = Registry.load().names()
        except EcsFieldError as exc:
            self.site_menu.addAction(f"Sites not readable: {exc.message}").setEnabled(False)
            return
        if not names:
            self.site_menu.addAction("No sites yet (add one on the Sites page)").setEnabled(False)
        for name in names:
            action = self.site_menu.addAction(name)
            action.triggered.connect(lambda _=False, n=name: self.record_for_site(n))

    def record_for_site(self, name: str) -> None:
        """Store the inventory shown with site ``name`` (embedded in sites.yaml)."""
        from ecs_field.sites.registry import Registry

        if self.inventory is None:
            return
        try:
            Registry.load().update_fields(name, inventory=self.inventory.to_dict())
        except EcsFieldError as exc:
            self._show_error(exc.message, exc.hint or "")
            return
        self._status(f"Inventory recorded for site {name}")

    def choose_export(self, kind: str) -> None:
        if self.verdict is None:
            return
        if kind == "inventory":
            suggested, pattern = "box.inventory.json", "JSON (*.json)"
        else:
            suggested = f"ecs-verdict-{self.verdict.release.id}.{kind}"
            pattern = "JSON (*.json)" if kind == "json" else "HTML (*.html)"
        target, _ = QFileDialog.getSaveFileName(self, "Export verdict", suggested, pattern)
        if target:
            try:
                self.export(Path(target), kind)
            except OSError as exc:
                self._show_error(
                    f"{target}: could not be written ({exc.strerror or exc})", "Choose another folder."
                )

    def export(self, path: Path, kind: str) -> None:
        """Write the verdict as JSON (ecs-field/verdict@1) or as a standalone HTML report."""
        if self.verdict is None:
            raise BadInput(
                "There is no verdict to export yet.", "Check this machine or import a report first."
            )
        if kind == "inventory" and self.inventory is not None:
            storage.atomic_write_json(path, self.inventory.to_dict())
            return
        doc = self.verdict.to_dict()
        if kind == "json":
            storage.atomic_write_json(path, doc)
        elif kind == "html":
            storage.atomic_write_text(path, render_html(doc))
        else:
            raise BadInput(f"Unknown export format {kind!r}", "Use json or html.")

    # drops -----------------------------------------------------------------
    def accepts_drop(self, path: Path) -> bool:
        try:
            if not path.is_file() or path.stat().st_size > MAX_DROP_BYTES:
                return False
            with path.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            return False
        from ecs_field.hardware.importer import decode, sniff_kind

        try:
            return sniff_kind(decode(head)) is not None
        except (UnicodeDecodeError, ValueError):
            return False
        except Exception:  # a half-read JSON head, say: let the full import decide
            return path.suffix.lower() == ".json" and b"ecs-field/inventory@1" in head

    def open_path(self, path: Path) -> None:
        # The main window hands over dropped files one at a time; files dropped together are
        # dumps of one box, so they are collected for one event-loop turn and merged.
        if not self._pending_paths:
            QTimer.singleShot(0, self._import_pending)
        self._pending_paths.append(path)

    def _import_pending(self) -> None:
        paths, self._pending_paths = self._pending_paths, []
        self.import_files(paths)

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    # hot-plug --------------------------------------------------------------
    def activated(self) -> None:
        self._start_watcher()

    def _start_watcher(self) -> None:
        if self._watcher is not None:
            return
        try:
            self._watcher = self._watcher_factory(self._bridge.changed.emit)
            self._watcher.start()
        except Exception:
            log.exception("device watcher could not start; hot-plug updates are off")
            self._watcher = None

    def _subject(self) -> str:
        """What the page is about: "probe" (this machine), "import" (another box's report) or ""."""
        if self._busy:
            return self._busy_kind
        if self.inventory is None:
            return ""
        return "probe" if self.from_probe else "import"

    def _on_devices_changed(self) -> None:
        # Only a page about this machine is refreshed. An imported report (shown or being read)
        # stays; the info bar offers to check this machine instead.
        subject = self._subject()
        if subject == "probe":
            log.info("network/USB devices changed; re-probing")
            self.check_this_machine()
        elif subject == "import":
            report = self._busy_origin if self._busy else self.origin
            log.info("network/USB devices changed; keeping the imported report %s", report)
            self.notice.show_message(
                f"USB or network devices changed on this computer. The report for {report} stays on the page."
            )

    def shutdown(self) -> None:
        if self._watcher is not None:
            try:
                self._watcher.stop()
            except Exception:
                log.exception("device watcher did not stop cleanly")
            self._watcher = None
        super().shutdown()

    # results ---------------------------------------------------------------
    def _set_busy(self, busy: bool, message: str = "") -> None:
        self._busy = busy
        self._busy_message = message if busy else ""
        if not busy:
            self._busy_kind = self._busy_origin = ""
        self.busy_row.setVisible(busy)
        self.check_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)
        self.notice.action.setEnabled(not busy)
        if busy:
            self.error_label.hide()
            if self.doc is None:
                self.banner.show_state("busy", message, "")
        elif self.banner.state == "busy":
            self.banner.show_state("", GREETING, "")
        self._update_footer()

    def _update_footer(self) -> None:
        """Busy: what runs (and what stays shown meanwhile); idle: catalog and watcher state."""
        if self._busy:
            shown = f" The result shown is still for {self.origin}." if self.doc is not None else ""
            self.footer.setText(f"{self._busy_message}{shown}")
            return
        watch = " · watching for USB/network changes" if self.from_probe and self._watcher is not None else ""
        self.footer.setText(f"{self._catalog_note}{watch}")

    def _job_succeeded(self, request: int, inventory: Inventory) -> None:
        if request != self._request:
            return  # superseded or cancelled
        kind, origin = self._busy_kind, self._busy_origin
        self._show_inventory(inventory, origin, from_probe=kind == "probe")

    def _job_finished(self, request: int) -> None:
        if request != self._request:
            return
        self._job = None
        self._set_busy(False)
        if self._reprobe_pending:
            self._reprobe_pending = False
            if self.from_probe:
                self.check_this_machine()

    def _job_failed(self, request: int, message: str, hint: str) -> None:
        if request != self._request:
            return
        failed = "this machine" if self._busy_kind == "probe" else self._busy_origin
        previous = self.origin if self.doc is not None else ""
        # The old verdict is cleared: left on screen it reads as the verdict for the files that failed.
        self._clear_result()
        word = "Could not check this machine" if self._busy_kind == "probe" else "Could not read the report"
        # the clearing first: at the end of a long hint it was missed
        lines = (
            [f"The result shown before, for {previous}, was cleared."]
            if previous and previous != failed
            else []
        )
        lines += [f"Hint: {hint}"] if hint else []
        box = "\n".join(lines)
        self.banner.show_state("error", message, box, word=word)
        self.checks_view.setHtml(
            f"<p style='color:{self._tones.muted}'>No result for {html.escape(failed)}. "
            "Choose the box's files again (<b>Import report…</b>) or <b>Check this machine</b>.</p>"
        )

    def _clear_result(self) -> None:
        self.inventory = None
        self.verdict = None
        self.doc = None
        self.origin = ""
        self.from_probe = False
        self.export_button.setEnabled(False)
        self.nic_table.setRowCount(0)
        self.counts_label.clear()
        self.warnings_panel.set_warnings([])
        self.notice.hide()
        self._render_checks(None)
        self.verdict_changed.emit(None)

    def _show_error(self, message: str, hint: str) -> None:
        text = html.escape(message) + (f"<br><b>Hint:</b> {html.escape(hint)}" if hint else "")
        self.error_label.setText(text)
        self.error_label.show()

    def _show_inventory(self, inventory: Inventory, origin: str, *, from_probe: bool) -> None:
        self._all_adapters = False
        self.checks_view.verticalScrollBar().setValue(0)
        self.inventory = inventory
        self.origin = origin
        self.from_probe = from_probe
        if from_probe:
            self.probe_count += 1
            self.notice.hide()
        self.refresh()

    def show_inventory(self, inventory: Inventory, origin: str) -> None:
        """Evaluate and show an inventory that is already in memory (tests, self-test)."""
        self._show_inventory(inventory, origin, from_probe=False)

    def _release_changed(self) -> None:
        if self.inventory is not None:
            self.refresh()

    def refresh(self) -> None:
        """Re-evaluate the current inventory against the selected release (fast: no I/O)."""
        if self.inventory is None:
            return
        try:
            verdict = evaluate(self.inventory, self.catalog(), self.release_id)
        except EcsFieldError as exc:
            self._show_error(exc.message, exc.hint or "")
            return
        self.verdict = verdict
        doc = verdict.to_dict()
        if "input_warnings" not in doc:
            # verdicts from before the field existed: the inventory carries the same list
            doc["input_warnings"] = [
                w.to_dict() for w in getattr(self.inventory, "input_warnings", None) or []
            ]
        stamp = time.strftime("%H:%M:%S")
        origin = f"from {self.origin}, {stamp}" if self.origin else stamp
        self.doc = doc
        self.banner.show_verdict(doc, origin)
        self.error_label.hide()
        self._render_doc()
        self.export_button.setEnabled(True)
        self._update_footer()
        self.verdict_changed.emit(doc)

    def _render_doc(self) -> None:
        doc = self.doc
        self._render_checks(doc)
        if doc is None:
            return
        checks = doc.get("checks") or []
        self.counts_label.setText(counts_html(checks, self._tones))
        self.counts_label.setAccessibleName(f"Checks: {counts_text(checks)}")
        self.warnings_panel.set_warnings(doc.get("input_warnings") or [])
        self._render_nics(doc)

    def _render_checks(self, doc: dict[str, Any] | None) -> None:
        scroll = self.checks_view.verticalScrollBar().value()
        self.checks_view.setHtml(checks_html(doc, self._tones, all_adapters=self._all_adapters))
        self.checks_view.verticalScrollBar().setValue(scroll)

    def _link_clicked(self, url: Any) -> None:
        if url.toString() == SHOW_ALL_LINK:
            self._all_adapters = True
            self._render_checks(self.doc)

    def _apply_tones(self) -> None:
        """Colours for the current palette (light or dark); everything drawn with them is redrawn."""
        self._tones = tones = tones_for(QApplication.palette())
        self.error_label.setStyleSheet(f"color: {tones.failed};")
        self.footer.setStyleSheet(f"color: {tones.muted};")
        self.warnings_panel.set_tones(tones)
        self.notice.set_tones(tones)
        if self.doc is not None:
            self._render_doc()
        elif self.banner.state != "error":
            self._render_checks(None)

    def changeEvent(self, event: QEvent) -> None:
        palette_events = (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange)
        if (
            event.type() in palette_events
            and hasattr(self, "notice")
            and tones_for(QApplication.palette()) != self._tones  # light <-> dark only
        ):
            self._apply_tones()
        super().changeEvent(event)

    def _render_nics(self, doc: dict[str, Any]) -> None:
        nics = doc.get("nics") or []
        self.nic_table.setRowCount(len(nics))
        self._fit_nic_pane(len(nics))
        for row, nic in enumerate(nics):
            word = SUPPORT_WORDS.get(nic.get("support"), "? unknown")
            colour = self._tones.support(nic.get("support"))
            values = [
                nic.get("esxi_name") or "—",
                nic.get("name") or "—",
                nic.get("chip") or "unknown device",
                f"{str(nic.get('bus', '')).upper()} {nic.get('id')}",
                nic.get("link") or "unknown",
                nic.get("driver") or "—",
                word,
                nic.get("component") or "—",
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                tip = "\n".join([*(nic.get("notes") or []), f"Location: {nic.get('location') or '?'}"])
                item.setToolTip(tip)
                if column == 6:
                    item.setForeground(QBrush(QColor(colour)))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.nic_table.setItem(row, column, item)

    def _fit_nic_pane(self, rows: int) -> None:
        # The NIC table gets the rows it has (2 to 6 shown), the checks the rest: an empty
        # table half the page high pushed the checks out of sight on a 1024x640 screen.
        table = self.nic_table
        shown = min(max(rows, 2), 6)
        row_height = table.verticalHeader().defaultSectionSize()
        wanted = (
            table.horizontalHeader().sizeHint().height() + row_height * shown + 2 * table.frameWidth() + 4
        )
        pane = wanted + self.nics_title.sizeHint().height() + 4
        total = sum(self.splitter.sizes())
        if total > pane:
            self.splitter.setSizes([total - pane, pane])

    # self-test -------------------------------------------------------------
    def self_test(self) -> None:
        catalog = self.catalog()
        if catalog.errors:
            raise RuntimeError(f"catalog has {len(catalog.errors)} problem(s): {catalog.errors[0]}")
        sample = resource_path(*SAMPLE_INVENTORY)
        inventory = Inventory.from_dict(json.loads(sample.read_text(encoding="utf-8")))
        self.show_inventory(inventory, f"sample {sample.name}")
        if self.verdict is None or not self.verdict.nics:
            raise RuntimeError("the sample inventory gave no verdict")
