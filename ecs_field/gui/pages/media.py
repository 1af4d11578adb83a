"""Boot media: pick an image, pick one or more sticks, write and verify them.

The page never touches a device itself: listing and inspecting run as background jobs, the
safety verdict for each drive comes from ecs_field.media.drives.safety (the same rules the CLI and
the writer apply), and the write goes through a runner (widgets/media_runner.py): the
privileged helper normally, in-process when the app already has admin rights (tests as root).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ecs_field.events import CancelToken, Progress
from ecs_field.gui.keyboard import add_key
from ecs_field.gui.pages.base import Page
from ecs_field.gui.widgets.media_confirm import ConfirmWriteDialog
from ecs_field.gui.widgets.media_download import DownloadDialog
from ecs_field.gui.widgets.media_drives import DriveList
from ecs_field.gui.widgets.media_image import (
    ImageDropZone,
    ImageFacts,
    LibraryList,
    NotBootableWarning,
    is_image_file,
)
from ecs_field.gui.widgets.media_kickstart import UnattendedSection
from ecs_field.gui.widgets.media_progress import PHASE_WORDS, format_eta, overall
from ecs_field.gui.widgets.media_results import WriteResults
from ecs_field.gui.widgets.media_runner import (
    RunOutcome,
    WriteRunner,
    default_runner,
    failed_outcome,
    verify_hint,
    verify_outcome,
)
from ecs_field.gui.widgets.media_speed import SpeedGraph, format_rate
from ecs_field.gui.widgets.media_style import PALETTE_EVENTS, media_tones
from ecs_field.media.drives import Drive, DriveWatcher, human_size, list_drives, safety
from ecs_field.media.image.inspect import ImageInfo, inspect_image

log = logging.getLogger(__name__)


def inspect_for_writing(path: Path) -> tuple[ImageInfo, int]:
    """The image's facts and the number of bytes that will go on the stick (FAT32 image or file)."""
    info = inspect_image(path)
    size = info.size_bytes  # raw, or "write anyway" (byte for byte) for an image auto mode refuses
    if info.write_mode == "uefi-fat32":
        # imported here: the write machinery is not needed to start the app (~13 ms of its start)
        from ecs_field.media.write.writejob import open_source

        source = open_source(path, info.write_mode)
        try:
            size = source.size_bytes
        finally:
            source.close()
    return info, size


class MediaPage(Page):
    key = "media"
    title = "Boot media"

    _drives_changed = Signal()  # from the watcher's thread

    def __init__(
        self, parent: QWidget | None = None, *, runner: WriteRunner | None = None, watch: bool = True
    ) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.image_path: Path | None = None
        self.image_info: ImageInfo | None = None
        self.write_size = 0
        self.drives: list[Drive] = []
        self.last_outcomes: list[RunOutcome] = []
        self._progress: dict[str, Progress] = {}
        self._status_note = ""  # the last write's outcome, shown until the user changes something
        self._watch = watch
        self._watcher: DriveWatcher | None = None
        self._drive_job_running = False
        self._drive_reload_pending = False
        self._drive_problem = ""  # why the last drive listing failed ("" = it worked)
        self._asking = False  # the confirmation dialog is open: the drive list it names stays put
        self._write_verify = True  # the running job reads back (its progress counts two passes)
        self._write_active = False  # a write or a comparison runs: the page is locked
        self._verify_job: Any = None
        self._connected_runner: WriteRunner | None = None
        self._kickstart_dir: Path | None = None  # the ks.cfg of the running write, removed after it
        # Tests replace this to answer the confirmation dialog.
        self.confirm_hook: Callable[[ConfirmWriteDialog], bool] = lambda dialog: (
            dialog.exec() == QDialog.DialogCode.Accepted
        )
        self.runner = runner or default_runner(self)
        self.set_runner(self.runner)
        self._build()
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(400)  # one reload for a burst of hot-plug events
        self._reload_timer.timeout.connect(self.reload_drives)
        self._drives_changed.connect(self._reload_timer.start)
        self._loaded_once = False
        self._closed = False

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        heading = QLabel(
            "<h2 style='margin:0'>Boot media</h2>Write the ESXi / ECS installer to USB sticks "
            "that boot. Each stick is read back and checked after writing."
        )
        heading.setWordWrap(True)
        outer.addWidget(heading)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        image_box = QGroupBox("1 · Image")
        image_layout = QVBoxLayout(image_box)
        self.drop_zone = ImageDropZone()
        self.drop_zone.path_chosen.connect(self.open_path)
        image_layout.addWidget(self.drop_zone)
        library_label = QLabel("From the &library:")
        image_layout.addWidget(library_label)
        self.library = LibraryList()
        library_label.setBuddy(self.library)
        self.library.path_chosen.connect(self.open_path)
        image_layout.addWidget(self.library)
        self.download_button = QPushButton("&Download…")
        self.download_button.setAccessibleName("Download from the orchestrator")
        self.download_button.setToolTip("Fetch an ISO by URL into the library (resumes, checks SHA-256)")
        self.download_button.clicked.connect(self.ask_download)
        self.drop_zone.add_button(self.download_button)
        self.download_label = QLabel("")
        self.download_label.setWordWrap(True)
        self.download_label.setVisible(False)
        image_layout.addWidget(self.download_label)
        # Prominent, above the facts: an image that will not boot needs an explicit "write anyway".
        self.not_bootable = NotBootableWarning()
        self.not_bootable.write_anyway_changed.connect(self._write_anyway_toggled)
        image_layout.addWidget(self.not_bootable)
        self.facts = ImageFacts()
        # The facts scroll rather than set a minimum height: the page must fit a 1024x640 window.
        facts_scroll = QScrollArea()
        facts_scroll.setObjectName("imageFactsScroll")
        facts_scroll.setWidget(self.facts)
        facts_scroll.setWidgetResizable(True)
        facts_scroll.setFrameShape(QFrame.Shape.NoFrame)
        facts_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        facts_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        facts_scroll.viewport().setAutoFillBackground(False)  # same background as the group box
        facts_scroll.setMinimumHeight(60)
        image_layout.addWidget(facts_scroll, 1)
        splitter.addWidget(image_box)

        drive_box = QGroupBox("2 · Drives")
        drive_layout = QVBoxLayout(drive_box)
        bar = QHBoxLayout()
        self.show_all = QCheckBox("&Show all drives")
        self.show_all.setToolTip(
            "Also list internal disks and loop devices. They are flagged, and "
            "writing one needs its device path typed below."
        )
        self.show_all.toggled.connect(self._show_all_toggled)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.reload_drives)
        self.drive_status = QLabel("")
        self.drive_status.setAccessibleName("Drive count")
        bar.addWidget(self.show_all)
        bar.addWidget(self.drive_status, 1)
        bar.addWidget(self.refresh_button)
        drive_layout.addLayout(bar)
        self.drive_list = DriveList()
        self.drive_list.selection_changed.connect(self._update_write_button)
        self.drive_list.user_toggled.connect(self._clear_note)
        drive_layout.addWidget(self.drive_list, 1)
        self.drive_details = QLabel("Select a drive to see everything about it.")
        self.drive_details.setWordWrap(True)
        self.drive_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.drive_details.setMinimumHeight(48)
        self.drive_details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.drive_list.currentItemChanged.connect(self._show_drive_details)
        self.drive_list.currentItemChanged.connect(self._update_write_button)
        drive_layout.addWidget(self.drive_details)
        self.override_row = QWidget()
        override_layout = QHBoxLayout(self.override_row)
        override_layout.setContentsMargins(0, 0, 0, 0)
        override_label = QLabel("To allow an internal drive, type its device &path:")
        override_layout.addWidget(override_label)
        self.confirm_edit = QLineEdit()
        override_label.setBuddy(self.confirm_edit)
        self.confirm_edit.setPlaceholderText("e.g. /dev/sdb")
        self.confirm_edit.setAccessibleName("Confirm internal device")
        self.confirm_edit.textChanged.connect(self._apply_rules)
        override_layout.addWidget(self.confirm_edit, 1)
        self.override_row.setVisible(False)
        drive_layout.addWidget(self.override_row)
        splitter.addWidget(drive_box)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        outer.addWidget(splitter, 1)

        write_box = QGroupBox("3 · Write")
        write_layout = QVBoxLayout(write_box)
        row = QHBoxLayout()
        self.write_button = QPushButton("&Write")
        self.write_button.setDefault(True)
        self.write_button.setMinimumWidth(120)
        self.write_button.setStyleSheet("QPushButton:enabled { font-weight: bold; }")
        self.write_button.clicked.connect(self.start_write)
        self.cancel_button = QPushButton("&Cancel")
        add_key(self.cancel_button, QKeySequence(Qt.Key.Key_Escape))
        self.cancel_button.setToolTip("Stop writing (Esc); a cancelled stick is left unbootable")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_write)
        self.verify_button = QPushButton("&Verify stick")
        self.verify_button.setToolTip(
            "Compare the selected drive with the chosen image, read-only: is this stick still exactly "
            "what Write puts there (with the unattended install, if ticked)?"
        )
        self.verify_button.clicked.connect(self.start_verify)
        self.phase_label = QLabel("Choose an image and a drive.")
        self.phase_label.setWordWrap(True)
        self.unattended = UnattendedSection()
        self.unattended.changed.connect(self._update_write_button)
        self.unattended.selected_site = self._selected_site
        write_layout.addWidget(self.unattended)
        row.addWidget(self.write_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.verify_button)
        row.addWidget(self.phase_label, 1)
        write_layout.addLayout(row)
        # Progress and results share one slot of one height: hidden while idle (no empty bar and
        # graph), progress while writing, then the per-stick results in its place (no jump).
        self.activity = QStackedWidget()
        self.activity.setObjectName("writeActivity")
        progress_page = QWidget()
        progress_layout = QVBoxLayout(progress_page)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName("Write progress")
        progress_layout.addWidget(self.progress_bar)
        self.speed_graph = SpeedGraph()
        progress_layout.addWidget(self.speed_graph)
        self.activity.addWidget(progress_page)
        self.results = WriteResults()
        self.result_label = self.results.label
        self.activity.addWidget(self.results)
        self.activity.setFixedHeight(progress_page.sizeHint().height())
        self.activity.setVisible(False)
        write_layout.addWidget(self.activity)
        outer.addWidget(write_box)
        # Tab follows the numbered steps (image, drives, write), not the order widgets were made in.
        chain = [
            self.drop_zone.choose_button,
            self.library,
            self.download_button,
            self.not_bootable.write_anyway,
            self.show_all,
            self.refresh_button,
            self.drive_list,
            self.confirm_edit,
            self.unattended.enabled,
            self.unattended.settings_button,
            self.write_button,
            self.cancel_button,
            self.verify_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        # what a running write locks: the image, where it comes from, and the drives
        self._locked_while_writing: list[QWidget] = [
            self.drop_zone,
            self.library,
            self.download_button,
            self.not_bootable.write_anyway,
            self.show_all,
            self.refresh_button,
            self.confirm_edit,
            self.unattended,
            self.verify_button,
        ]
        self._restyle()
        self._update_write_button()

    def set_runner(self, runner: WriteRunner) -> None:
        """Who writes (tests and the render script put a stand-in here)."""
        old = self._connected_runner
        if old is not None:
            old.progress.disconnect(self._on_progress)
            old.finished.disconnect(self._on_finished)
        self.runner = runner
        runner.progress.connect(self._on_progress)
        runner.finished.connect(self._on_finished)
        self._connected_runner = runner
        if hasattr(self, "unattended"):  # built: what the new runner can carry may differ
            self._update_write_button()

    # ----------------------------------------------------------------- palette
    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS and hasattr(self, "results"):
            self._restyle()

    def _restyle(self) -> None:
        """Colours for the palette in use: every status colour comes from the theme's tones."""
        self._restyle_status()
        self.drop_zone._set_highlight(False)
        self.facts.restyle()
        self.not_bootable.restyle()
        self.results.restyle()
        self.unattended.restyle()
        if self.drives:
            self._apply_rules()

    def _alive(self) -> bool:
        # A background job can finish after the page (or the window) was closed and deleted.
        return not self._closed and shiboken6.isValid(self)

    # ----------------------------------------------------------------- page hooks
    def activated(self) -> None:
        if not self._loaded_once:
            self._loaded_once = True
            self.reload_library()
            self.reload_drives()
        if self._watch and self._watcher is None:
            self._watcher = DriveWatcher(self._drives_changed.emit)
            try:
                self._watcher.start()
            except Exception as exc:  # no hot-plug: the Refresh button still works
                log.info("drive watcher not started: %s", exc)
                self._watcher = None

    def accepts_drop(self, path: Path) -> bool:
        return is_image_file(path)

    def self_test(self) -> None:
        """List the drives and read the library, as the page does when it opens.

        The drive listing is the page's own job (activated() starts it when the page is shown):
        the self-test waits for it and fails as it failed, rather than running a second listing
        (lsblk, udevadm) beside it; with none running it starts one.
        """
        from PySide6.QtCore import QDeadlineTimer, QEventLoop
        from PySide6.QtWidgets import QApplication

        if not self._drive_job_running:
            self.reload_drives()
        deadline = QDeadlineTimer(30000)
        ticker = QTimer(self)  # wakes the wait to check the deadline
        ticker.start(50)
        try:
            while self._drive_job_running and not deadline.hasExpired():
                QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        finally:
            ticker.stop()
            ticker.deleteLater()
        if self._drive_job_running:
            raise RuntimeError("the drive listing did not end within 30 s")
        if self._drive_problem:
            raise RuntimeError(f"the drive listing failed: {self._drive_problem}")
        self.reload_library()

    def shutdown(self) -> None:
        self._closed = True
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        if self.runner.is_running():
            self.runner.cancel()
        super().shutdown()

    # ----------------------------------------------------------------- image
    def ask_download(self) -> None:
        dialog = DownloadDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.start_download(dialog.request())

    def start_download(self, request: dict[str, Any]) -> None:
        """Download into the library in a worker; progress and Cancel in the image column."""
        from ecs_field.media.library.download import download_image

        progress = QProgressDialog("Downloading…", "Cancel", 0, 1000, self)
        progress.setWindowTitle("Download")
        progress.setMinimumDuration(0)
        self.download_button.setEnabled(False)

        def work(report: Callable[[Progress], None], cancel: CancelToken) -> Any:
            return download_image(progress=report, cancel=cancel, **request)

        def on_progress(event: Progress) -> None:
            if event.bytes_total:
                progress.setValue(int(1000 * event.bytes_done / event.bytes_total))
            rate = f" · {human_size(int(event.rate_bps))}/s" if event.rate_bps else ""
            progress.setLabelText(
                f"{event.phase.capitalize()}: {human_size(event.bytes_done)} of "
                f"{human_size(event.bytes_total)}{rate}"
            )

        def on_success(result: Any) -> None:
            record, download = result
            verified = "SHA-256 verified" if record.checksum_verified else "NOT verified (no checksum given)"
            fresh = "downloaded" if download is not None else "already in the library"
            self._image_note(f"{record.name}: {fresh}, {verified}.")
            self.reload_library()
            self.open_path(Path(record.path))

        def on_failure(message: str, hint: str) -> None:
            self._image_note(f"Download failed: {message}" + (f" {hint}" if hint else ""))

        def on_finished() -> None:
            progress.close()
            self.download_button.setEnabled(True)

        job = self.jobs.run(
            work,
            name="download",
            on_success=on_success,
            on_failure=on_failure,
            on_progress=on_progress,
            on_finished=on_finished,
            on_cancelled=lambda: self._image_note(
                "Download cancelled; starting it again resumes where it stopped."
            ),
        )
        progress.canceled.connect(job.cancel)
        self.download_job = job

    def _image_note(self, text: str) -> None:
        """A line under the image sources (a download's result, a refused drop); hidden when empty."""
        self.download_label.setText(text)
        self.download_label.setVisible(bool(text))

    def reload_library(self) -> None:
        problem = self.library.reload()
        if problem:
            self.library.setToolTip(problem)

    def open_path(self, path: Path) -> None:
        path = Path(path)
        if self.writing:
            # A drop on the window lands here too: the image of a running write never changes.
            self._image_note(f"{path.name} not opened: a write is running. Open it when the write has ended.")
            return
        self.image_path = path
        self.image_info = None
        self._status_note = ""
        if not self.writing:  # the last write's results were about the last image: make room
            self.activity.setVisible(False)
        self.write_size = 0
        self.not_bootable.show_for(None)
        self.facts.fields["file"].setText(path.name)
        self.facts.fields["notes"].setText("Reading the image…")
        self._update_write_button()

        def done(result: tuple[ImageInfo, int]) -> None:
            if not self._alive() or self.image_path != path:
                return  # another image was chosen meanwhile
            self.image_info, self.write_size = result
            self.facts.show_info(self.image_info, self.write_size)
            self.not_bootable.show_for(self.image_info)
            self._apply_rules()

        def failed(message: str, hint: str) -> None:
            if not self._alive() or self.image_path != path:
                return
            self.image_info = None
            self.not_bootable.show_for(None)
            self.facts.show_error(path, message + (f" {hint}" if hint else ""))
            self._apply_rules()

        self.jobs.run(
            lambda _p, _c: inspect_for_writing(path), name="inspect image", on_success=done, on_failure=failed
        )

    # ----------------------------------------------------------------- drives
    def _show_all_toggled(self, on: bool) -> None:
        self.override_row.setVisible(on)
        if not on:
            self.confirm_edit.clear()
        self.reload_drives()

    def reload_drives(self) -> None:
        # Not while a job lists them, the confirmation names them or a write uses them: once that
        # ends, the list is read again.
        if self._drive_job_running or self._asking or self.writing:
            self._drive_reload_pending = True
            return
        self._drive_job_running = True
        include_internal = self.show_all.isChecked()
        self.drive_status.setText("Looking for drives…")

        def done(drives: list[Drive]) -> None:
            if not self._alive():
                return
            self._drive_problem = ""
            self.drives = drives
            self._apply_rules()
            count = len(drives)
            self.drive_status.setText(
                f"{count} drive{'s' if count != 1 else ''}" if count else "No USB stick found: plug one in."
            )
            self.drive_status.setToolTip("")
            self._restyle_status()

        def failed(message: str, hint: str) -> None:
            if not self._alive():
                return
            self._drive_problem = message
            self.drives = []
            self._apply_rules()
            self.drive_status.setText(f"✖ {message}")
            self.drive_status.setToolTip(hint)
            self._restyle_status()

        def finished() -> None:
            if not self._alive():
                return
            self._drive_job_running = False
            self._reload_if_pending()

        self.jobs.run(
            lambda _p, _c: list_drives(include_internal=include_internal),
            name="list drives",
            on_success=done,
            on_failure=failed,
            on_finished=finished,
        )

    def _reload_if_pending(self) -> None:
        if self._drive_reload_pending and not (self._asking or self.writing):
            self._drive_reload_pending = False
            self.reload_drives()

    def _restyle_status(self) -> None:
        tones = media_tones()
        failed = self.drive_status.text().startswith("✖")
        self.drive_status.setStyleSheet(f"color: {tones.failed if failed else tones.muted};")

    def typed_devices(self) -> list[str]:
        """Device paths typed to allow internal drives (several: separated by spaces or commas)."""
        return [t for t in self.confirm_edit.text().replace(",", " ").split() if t]

    def decision_for(self, drive: Drive) -> safety.SafetyDecision:
        typed = next((t for t in self.typed_devices() if t in {drive.path, drive.display_path}), None)
        return safety.evaluate(
            drive,
            self.write_size or None,
            self.image_path if self.image_info is not None else None,
            allow_non_removable=typed is not None,
            confirm_device=typed,
        )

    def _apply_rules(self) -> None:
        current = self.drive_list.current_path()
        decisions = {d.path: self.decision_for(d) for d in self.drives}
        self.drive_list.set_drives(self.drives, decisions)
        item = self.drive_list.item_for(current) if current else None
        if item is None and self.drive_list.topLevelItemCount():
            item = self.drive_list.topLevelItem(0)
        if item is not None:
            self.drive_list.setCurrentItem(item)
        self._show_drive_details()
        self._update_write_button()

    def _show_drive_details(self, *_: object) -> None:
        text = self.drive_list.details_html(self.drive_list.current_path())
        if not text:
            text = (
                "No drive selected."
                if self.drives
                else "Plug in a USB stick: it appears here by itself (or press Refresh)."
            )
        self.drive_details.setText(text)

    # ----------------------------------------------------------------- write
    @property
    def writing(self) -> bool:
        """From the confirmed start until the outcomes are shown (the runner's thread may outlive it)."""
        return self._write_active

    def _clear_note(self) -> None:
        self._status_note = ""

    def _write_anyway_toggled(self, _on: bool) -> None:
        self._status_note = ""
        self._update_write_button()

    def write_mode(self) -> str | None:
        """How the chosen image goes on the stick: the inspector's mode, or byte for byte when the
        person ticked "Write anyway" for an image that is not bootable; None: not writable yet."""
        if self.image_info is None:
            return None
        if self.image_info.write_mode is None:
            return "raw" if self.not_bootable.confirmed else None
        return self.image_info.write_mode

    def chosen_drives(self) -> list[Drive]:
        chosen = self.drive_list.checked_drives()
        return [d for d in chosen if self.drive_list.decisions[d.path].allowed]

    def _update_write_button(self) -> None:
        running = self.writing
        checked = self.drive_list.checked_drives()
        allowed = self.chosen_drives()
        self.unattended.set_unavailable(self._kickstart_unavailable())
        ready = (
            self.write_mode() is not None
            and bool(checked)
            and len(allowed) == len(checked)
            and not running
            and self.unattended.ready()
        )
        self.write_button.setEnabled(ready)
        self.verify_button.setEnabled(
            not running
            and self.write_mode() is not None
            and self.drive_list.current_path() is not None
            and self.unattended.ready()
        )
        count = len(checked)
        self.write_button.setText(f"&Write {count} sticks" if count > 1 else "&Write")
        if running:
            return
        if self._status_note:
            hint = self._status_note
        elif self.image_info is None:
            hint = "Choose an image."
        elif self.write_mode() is None:
            hint = (
                "This image will not boot: see the warning; tick “Write anyway” only if you need it "
                "on a stick as it is."
            )
        elif not checked:
            hint = "Tick the drive(s) to write."
        elif len(allowed) != len(checked):
            hint = "A ticked drive is not allowed yet: see its reasons."
        elif not self.unattended.ready():
            hint = self.unattended.missing()
        else:
            hint = "Ready. Everything on the ticked drive(s) will be erased."
        self.phase_label.setText(hint)

    def _selected_site(self) -> str:
        """The site selected on this window's Sites page, if any: its install defaults fill the fields."""
        window = self.window()
        try:
            sites = window.page("sites")  # type: ignore[attr-defined]
        except (AttributeError, KeyError):
            return ""
        return str(getattr(sites, "current", None) or "")

    def _kickstart_unavailable(self) -> str:
        """Why the chosen image cannot carry an unattended install ("" when it can, or none is chosen)."""
        # an image that is not bootable can only go on byte for byte ("Write anyway"): no kickstart either
        if self.image_info is None or self.image_info.write_mode == "uefi-fat32":
            return ""
        return "Not for this image: a kickstart goes on a FAT32 stick built from an ESXi installer ISO."

    def _lock(self, locked: bool) -> None:
        """While writing nothing that decides what is written can change: image, source, drives."""
        for widget in self._locked_while_writing:
            widget.setEnabled(not locked)
        self.drive_list.set_locked(locked)
        self.cancel_button.setEnabled(locked)

    def start_write(self) -> None:
        drives = self.chosen_drives()
        mode = self.write_mode()
        if self.image_info is None or self.image_path is None or not drives or mode is None or self.writing:
            return
        anyway = self.image_info.write_mode is None
        kickstart = self.unattended.state.text() if self.unattended.active() else None
        dialog = ConfirmWriteDialog(
            self.image_path.name,
            "anyway" if anyway else mode,
            self.write_size,
            drives,
            self,
            warning=self.image_info.refusal if anyway else "",
            kickstart=self.unattended.describe() if kickstart else "",
        )
        self._asking = True
        try:
            confirmed = self.confirm_hook(dialog)
        finally:
            self._asking = False
        if not confirmed:
            self._status_note = "Not written: cancelled at the confirmation."
            self.phase_label.setText(self._status_note)
            self._reload_if_pending()
            return
        self._status_note = ""
        from ecs_field.media.write.writejob import WriteRequest

        needs_override = any(self.drive_list.decisions[d.path].needs_override for d in drives)
        request = WriteRequest(
            image_path=self.image_path,
            mode=mode,
            allow_non_removable=needs_override,
            confirm_devices=tuple(self.typed_devices()) if needs_override else (),
            kickstart_path=self._kickstart_file(kickstart) if kickstart else None,
        )
        self._write_verify = bool(getattr(request, "verify", True))
        self._progress.clear()
        self.speed_graph.clear()
        self.progress_bar.setValue(0)
        self.results.show_outcomes([])
        self.last_outcomes = []
        self.activity.setCurrentIndex(0)
        self.activity.setVisible(True)
        self._write_active = True
        self._lock(True)
        self.write_button.setEnabled(False)
        try:
            self.runner.start(request, drives)
        except RuntimeError as exc:  # the last job's thread has not ended yet
            self._write_active = False
            self._lock(False)
            self._status_note = f"Not started: {exc}; try again in a moment."
            self._update_write_button()
            return
        self.phase_label.setText("Starting…")

    def _kickstart_file(self, text: str) -> Path:
        """ks.cfg in a private folder (0700; the file 0600) that lives until the write has ended."""
        import tempfile

        from ecs_field import storage

        self._drop_kickstart_file()
        folder = Path(tempfile.mkdtemp(prefix="ecs-field-ks-"))
        path = folder / "ks.cfg"
        storage.atomic_write_text(path, text)
        self._kickstart_dir = folder
        return path

    def _drop_kickstart_file(self) -> None:
        import shutil

        folder = self._kickstart_dir
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            self._kickstart_dir = None

    def cancel_write(self) -> None:
        self.cancel_button.setEnabled(False)
        if self._verify_job is not None:
            self._verify_job.cancel()
            self.phase_label.setText("Stopping the comparison (nothing on the stick changes)…")
            return
        self.runner.cancel()
        self.phase_label.setText("Cancelling: the stick is being left without a partition table…")

    # ----------------------------------------------------------------- verify an inserted stick
    def start_verify(self) -> None:
        """Compare the selected drive with the chosen image (read-only), as ``ecs-field verify`` does."""
        path = self.drive_list.current_path()
        drive = next((d for d in self.drives if d.path == path), None)
        mode = self.write_mode()
        image = self.image_path
        if drive is None or mode is None or image is None or self.writing or not self.unattended.ready():
            return
        kickstart = self.unattended.state.text() if self.unattended.active() else None
        with_ks = f" with the unattended install of {self.unattended.describe()}" if kickstart else ""

        def work(report: Callable[[Progress], None], cancel: CancelToken) -> Any:
            from ecs_field.media.write.verify import verify_device
            from ecs_field.media.write.writejob import open_source

            source = open_source(image, mode, kickstart.encode() if kickstart else None)
            try:
                return verify_device(
                    source,
                    drive.path,
                    mode=mode,
                    image_name=image.name,
                    progress=report,
                    cancel=cancel,
                    describe=getattr(source, "describe_offset", None),
                )
            finally:
                source.close()

        def done(outcome: Any) -> None:
            self._end_verify([verify_outcome(drive, outcome, with_ks)])

        def failed(message: str, hint: str) -> None:
            self._end_verify([failed_outcome(drive, 5, message, verify_hint(hint), kind="verify")])

        def cancelled() -> None:
            self._end_verify(
                [
                    failed_outcome(
                        drive, 130, "comparison stopped; nothing on the stick changed", kind="verify"
                    )
                ]
            )

        self._status_note = ""
        self._progress.clear()
        self._write_verify = False  # one pass: the comparison
        self.speed_graph.clear()
        self.progress_bar.setValue(0)
        self.results.show_outcomes([])
        self.activity.setCurrentIndex(0)
        self.activity.setVisible(True)
        self._write_active = True
        self._lock(True)
        self.write_button.setEnabled(False)
        self.phase_label.setText(f"Comparing {drive.display_path or drive.path} with {image.name}{with_ks}…")
        self._verify_job = self.jobs.run(
            work,
            name="verify stick",
            on_success=self.guarded(done),
            on_failure=self.guarded(failed),
            on_cancelled=self.guarded(cancelled),
            on_progress=self.guarded(lambda event: self._on_progress(drive.path, event)),
        )

    def _end_verify(self, outcomes: list[RunOutcome]) -> None:
        self._verify_job = None
        self.last_outcomes = outcomes
        self._write_active = False
        self._write_verify = True
        self._lock(False)
        self.results.show_outcomes(outcomes)
        self.activity.setCurrentIndex(1)
        self.activity.setVisible(True)
        (outcome,) = outcomes
        self._status_note = (
            "Same as the image."
            if outcome.ok
            else "Different from the image."
            if outcome.exit_code == 6
            else "Not compared."
        )
        self._update_write_button()
        self.phase_label.setText(self._status_note)
        self._reload_if_pending()

    def _on_progress(self, device: str, event: Progress) -> None:
        if not self._alive():
            return
        self._progress[device] = event
        total = overall(self._progress, self._write_verify)  # a comparison alone is one pass
        self.progress_bar.setValue(int(1000 * total.fraction))
        parts = [PHASE_WORDS.get(total.phase, total.phase)]
        if any(e.bytes_total for e in self._progress.values()):
            parts.append(f"{100 * total.fraction:.0f} %")
        if total.rate_bps > 0:
            parts.append(format_rate(total.rate_bps))
        eta = format_eta(total.eta_s) if total.phase not in ("done", "error") else ""
        if eta:
            parts.append(eta)
        if len(self._progress) > 1:
            parts.append(f"{len(self._progress)} sticks")
        if self.cancel_button.isEnabled() or not self.writing:
            self.phase_label.setText(" · ".join(parts))
        if total.phase in ("write", "verify", "flush"):
            self.speed_graph.add(total.rate_bps, total.phase)

    def _on_finished(self, outcomes: list[RunOutcome]) -> None:
        if not self._alive():
            return
        self.last_outcomes = outcomes
        self._write_active = False
        self._drop_kickstart_file()
        self._lock(False)
        # A stick that was written is done: untick it, so Write cannot write it twice by accident.
        self.drive_list.uncheck({o.device for o in outcomes if o.ok})
        self.results.show_outcomes(outcomes)
        self.activity.setCurrentIndex(1)
        self.activity.setVisible(True)
        good = sum(1 for o in outcomes if o.ok and o.verified)
        written = [o for o in outcomes if o.ok]
        note = f"Finished: {good} of {len(outcomes)} written and verified."
        if written:
            note += " Written sticks are safe to remove." if len(written) > 1 else " Safe to remove."
        self._status_note = note
        if all(o.ok for o in outcomes):
            self.progress_bar.setValue(1000)
        self._update_write_button()
        self.phase_label.setText(note)
        self._drive_reload_pending = True
        self._reload_if_pending()

    def result_text(self) -> str:
        return "\n".join(o.summary for o in self.last_outcomes)

    # tests and keyboard users
    def drive_paths(self) -> list[str]:
        return [d.path for d in self.drives]

    @property
    def busy(self) -> bool:
        """A drive listing or a write is still running."""
        return self._drive_job_running or self.runner.is_running()
