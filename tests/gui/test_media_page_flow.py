"""The Boot media page as a technician sees it (issue 8, "Boot media page (seen on screen)").

Drives here are stand-ins (the page's drive listing is replaced) and the write runner only
reports what it is told: these tests are about what the page shows and locks. Real writes to
loop devices are in test_media_page.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt, QThreadPool, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from ecs_field.events import CancelToken, Progress
from ecs_field.gui import theme
from ecs_field.gui.pages import media
from ecs_field.gui.pages.media import MediaPage
from ecs_field.gui.widgets.media_confirm import ConfirmWriteDialog, confirmation_text
from ecs_field.gui.widgets.media_progress import format_eta, overall
from ecs_field.gui.widgets.media_reasons import page_words
from ecs_field.gui.widgets.media_runner import RunOutcome, WriteRunner
from ecs_field.gui.widgets.media_runner import done_outcome as runner_done_outcome
from ecs_field.gui.widgets.media_speed import SpeedGraph
from ecs_field.gui.widgets.media_style import phase_colour
from ecs_field.media.drives import Drive, safety
from ecs_field.media.image.inspect import ImageInfo
from tests.unit.media.test_image_inspect import build_esxi_iso
from tests.unit.media.test_image_inspect import pytestmark as iso_tools

SHA = "3f1c5e0a9b7d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e"


def stand_in_drives() -> list[Drive]:
    return [
        Drive(path="/dev/sdb", size_bytes=30_752_636_928, vendor="SanDisk", model="Ultra",
              serial="4C530001230817105404", bus="usb", removable=True, kind="usb", name="sdb",
              writable=True),
        Drive(path="/dev/nvme1n1", size_bytes=512_110_190_592, vendor="Samsung", model="SSD 980",
              serial="S64ANS0T1234", bus="nvme", kind="nvme", name="nvme1n1"),
        Drive(path="/dev/nvme0n1", size_bytes=1_024_209_543_168, vendor="WD", model="SN770", bus="nvme",
              kind="nvme", name="nvme0n1", system=True, mountpoints=["/", "/boot/efi"],
              protected=["the running system (/)"]),
    ]  # fmt: skip


def done_outcome(drive: Drive, size: int, seconds: float = 72.4) -> RunOutcome:
    return runner_done_outcome(drive, size, SHA, True, seconds=seconds)


class HeldRunner(WriteRunner):
    """Writes nothing: holds its job until ``finish(outcomes)``; the test sends the progress."""

    def __init__(self) -> None:
        super().__init__()
        self._release = threading.Event()
        self._outcomes: list[RunOutcome] = []
        self.requests: list[Any] = []

    def _run(self, request: Any, drives: list[Drive], cancel: CancelToken) -> list[RunOutcome]:
        self.requests.append(request)
        while not self._release.wait(0.02):
            if cancel.cancelled:
                return [
                    RunOutcome(d.path, d.label, False, False, 130, f"{d.path}: cancelled") for d in drives
                ]
        self._release.clear()
        return self._outcomes

    def finish(self, outcomes: list[RunOutcome]) -> None:
        self._outcomes = outcomes
        self._release.set()


def fake_image(tmp_path: Path, write_mode: str | None = "uefi-fat32") -> tuple[Path, ImageInfo]:
    path = tmp_path / "ECS-host.iso"
    path.write_bytes(b"\0" * 4096)
    info = ImageInfo(
        str(path),
        630_194_176,
        "iso9660",
        volume_id="ESXI-8.0.2",
        bios=True,
        uefi=True,
        esxi={"version": "8.0.2", "build": "22380479"},
        write_mode=write_mode,
        refusal="" if write_mode else "ECS-host.iso is a plain data ISO: no El Torito boot record",
    )
    return path, info


class Listing:
    """The page's drive listing, counted (a refresh behind a dialog is a call here)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, include_internal: bool = False) -> list[Drive]:
        self.calls += 1
        time.sleep(0.05)
        return [d for d in stand_in_drives() if include_internal or d.removable]


@pytest.fixture
def listing(monkeypatch: pytest.MonkeyPatch) -> Listing:
    fake = Listing()
    monkeypatch.setattr(media, "list_drives", fake)
    return fake


def close(page: MediaPage) -> None:
    page.shutdown()
    page.runner.wait(10)
    QThreadPool.globalInstance().waitForDone(10000)


def ready_page(
    qtbot: Any, tmp_path: Path, *, size: tuple[int, int] = (1100, 720), write_mode: str | None = "uefi-fat32"
) -> tuple[MediaPage, HeldRunner]:
    """A page with all drives listed, an image chosen (its facts set directly) and /dev/sdb ticked."""
    runner = HeldRunner()
    page = MediaPage(runner=runner, watch=False)
    qtbot.addWidget(page, before_close_func=close)
    page.resize(*size)
    page.show()
    page.activated()
    page.show_all.setChecked(True)
    qtbot.waitUntil(lambda: not page._drive_job_running and len(page.drives) == 3, timeout=10000)
    path, info = fake_image(tmp_path, write_mode)
    page.image_path, page.image_info, page.write_size = path, info, 640_000_000
    page.facts.show_info(info, page.write_size)
    page.not_bootable.show_for(info)
    page._apply_rules()
    page.drive_list.set_checked("/dev/sdb")
    return page, runner


def start(page: MediaPage) -> None:
    page.confirm_hook = lambda dialog: True
    page.start_write()
    assert page.writing


# -- while writing ----------------------------------------------------------------------------------------
def test_a_running_write_locks_image_library_download_refresh_and_ticks(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, runner = ready_page(qtbot, tmp_path)
    start(page)
    locked = {"choose image": page.drop_zone.choose_button, "library": page.library,
              "download": page.download_button, "refresh": page.refresh_button, "show all": page.show_all,
              "typed path": page.confirm_edit}  # fmt: skip
    assert [name for name, widget in locked.items() if widget.isEnabled()] == []
    assert page.cancel_button.isEnabled() and not page.write_button.isEnabled()
    item = page.drive_list.item_for("/dev/sdb")
    assert item.checkState(0) == Qt.CheckState.Checked  # still shown ticked...
    assert not item.flags() & Qt.ItemFlag.ItemIsUserCheckable  # ...and cannot be unticked
    with pytest.raises(KeyError):
        page.drive_list.set_checked("/dev/sdb", False)
    # a click on the tick does nothing either
    rect = page.drive_list.visualItemRect(item)
    qtbot.mouseClick(
        page.drive_list.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y())
    )
    assert page.drive_list.checked_paths() == ["/dev/sdb"]
    # a dropped image and a hot-plug wait for the end of the write
    before = page.image_path
    page.open_path(tmp_path / "other.iso")
    assert page.image_path == before and "write is running" in page.download_label.text()
    calls = listing.calls
    page.reload_drives()
    qtbot.wait(200)
    assert listing.calls == calls
    runner.finish([done_outcome(page.drives[0], page.write_size)])
    qtbot.waitUntil(lambda: not page.writing, timeout=5000)
    assert all(widget.isEnabled() for widget in locked.values())
    qtbot.waitUntil(lambda: listing.calls == calls + 1, timeout=5000)  # the held refresh ran after


# -- after success ----------------------------------------------------------------------------------------
def test_after_success_each_stick_has_its_result_and_is_unticked_without_a_layout_jump(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, runner = ready_page(qtbot, tmp_path)
    start(page)
    page.drive_list.setCurrentItem(page.drive_list.item_for("/dev/sdb"))
    runner.progress.emit("/dev/sdb", Progress("write", 10, 100, 30e6, 3.0))
    qtbot.wait(50)
    during = (page.activity.geometry(), page.drive_list.geometry(), page.write_button.geometry())
    runner.finish([done_outcome(page.drives[0], 640_000_000, 72.4)])
    qtbot.waitUntil(lambda: bool(page.last_outcomes), timeout=5000)
    qtbot.wait(50)
    after = (page.activity.geometry(), page.drive_list.geometry(), page.write_button.geometry())
    assert after == during, "the page moved when the write ended"
    assert page.activity.currentWidget() is page.results and page.results.isVisible()
    shown = page.result_label.text()
    for fact in (
        "Written and verified",
        "/dev/sdb",
        "SanDisk Ultra",
        SHA,
        "took 1 min 12 s",
        "Safe to remove",
    ):
        assert fact in shown, fact
    assert "read back and matched" in shown
    # the stick is unticked: Write cannot write it again by a second press
    assert page.drive_list.checked_paths() == []
    assert not page.write_button.isEnabled()
    assert "Safe to remove" in page.phase_label.text()
    qtbot.waitUntil(lambda: not page._drive_job_running, timeout=5000)
    assert page.drive_list.checked_paths() == []  # and stays so after the list is read again


def test_a_failed_stick_says_so_in_the_pages_words_and_stays_ticked(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, runner = ready_page(qtbot, tmp_path)
    start(page)
    drive = page.drives[0]
    runner.finish(
        [
            RunOutcome(
                drive.path,
                drive.label,
                False,
                False,
                4,
                "/dev/sdb: refused",
                "Nothing was written. If /dev/sdb really is the target, add "
                "--allow-non-removable --confirm-device /dev/sdb.",
            )
        ]
    )
    qtbot.waitUntil(lambda: bool(page.last_outcomes), timeout=5000)
    shown = page.result_label.text()
    assert "✖ Failed" in shown and "Safe to remove" not in shown
    assert "--" not in shown and "type /dev/sdb in the box below the list" in shown
    assert page.drive_list.checked_paths() == ["/dev/sdb"]  # to try again


# -- progress and speed -----------------------------------------------------------------------------------
def test_verify_never_says_0_s_left_and_the_bar_never_runs_back(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, runner = ready_page(qtbot, tmp_path)
    start(page)
    size = 100 * 2**20
    events = [
        Progress("write", size * i // 10, size, 40e6, (size - size * i // 10) / 40e6) for i in range(1, 11)
    ]
    events += [Progress("flush", size, size, 0.0, None)]
    events += [
        Progress("verify", size * 46 // 100, size, 400e6, 0.14),
        Progress("verify", size, size, 400e6, 0.0),
    ]
    shown, values = [], []
    for event in events:
        runner.progress.emit("/dev/sdb", event)
        qtbot.wait(5)
        shown.append(page.phase_label.text())
        values.append(page.progress_bar.value())
    assert values == sorted(values), "the bar ran back"
    assert values[9] == 500 and values[-1] == 1000  # the write is the first half of a verified job
    assert not any("0 s left" in text and "under" not in text for text in shown), shown
    verify_46 = shown[11]
    assert "Verifying" in verify_46 and "73 %" in verify_46 and "under 1 s left" in verify_46
    # while writing, the time left counts the read-back still to come
    assert overall({"/dev/sdb": events[0]}).eta_s == pytest.approx(events[0].eta_s + size / 40e6)
    runner.finish([done_outcome(page.drives[0], size)])


@pytest.mark.parametrize(("seconds", "words"), [
    (None, ""), (0.0, ""), (0.2, "under 1 s left"), (1.0, "1 s left"), (1.2, "2 s left"),
    (59.5, "1 min left"),
    (61, "1 min 1 s left"), (3725, "1 h 2 min left"),
])  # fmt: skip
def test_format_eta_rounds_up(seconds: float | None, words: str) -> None:
    assert format_eta(seconds) == words


def line_pixels(graph: SpeedGraph, phase: str) -> list[tuple[int, int]]:
    image = graph.grab().toImage()
    want = phase_colour(phase)
    found = []
    for x in range(image.width()):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 40:
                found.append((x, y))
    return found


def test_a_short_write_fills_the_speed_graph_and_no_word_sits_on_the_line(qtbot: Any) -> None:
    graph = SpeedGraph()
    qtbot.addWidget(graph)
    graph.resize(600, 84)
    graph.show()
    for rate in (20e6, 35e6, 38e6, 40e6, 39e6, 41e6):  # a 1.5 s write: six events
        graph.add(rate, "write")
    for rate in (90e6, 95e6, 97e6):
        graph.add(rate, "verify")
    plot = graph.plot_rect()
    xs = [point.x() for _, point in graph.points()]
    assert xs[0] == pytest.approx(plot.left()) and xs[-1] == pytest.approx(plot.right())
    pixels = line_pixels(graph, "verify")
    assert max(x for x, _ in pixels) >= 0.95 * graph.width(), "the graph does not reach its right edge"
    header = graph.header_height()
    # the peak sample touches the top of the plot, which starts below the words
    assert min(point.y() for _, point in graph.points()) == pytest.approx(plot.top())
    assert plot.top() > header
    assert min(y for _, y in line_pixels(graph, "verify")) > header
    # no line under the peak and current-rate words (the header only holds the legend's swatches)
    assert not [(x, y) for x, y in line_pixels(graph, "write") if y <= header and (x < 150 or x > 500)]
    # a long job keeps its start: the samples shrink, they do not scroll away
    for _ in range(1000):
        graph.add(50e6, "verify")
    assert len(graph.samples) < graph.capacity and graph.samples[0][1] == "write"


# -- drives -----------------------------------------------------------------------------------------------
def reason_rows(page: MediaPage, path: str) -> list[Any]:
    item = page.drive_list.item_for(path)
    return [item.child(i) for i in range(item.childCount())]


def test_drive_reasons_are_in_the_pages_words_whole_and_shown_in_full_on_selection(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, _ = ready_page(qtbot, tmp_path, size=(760, 640))
    rows = reason_rows(page, "/dev/nvme1n1")
    texts = [row.text(0) for row in rows]
    assert texts and not any("--" in t for t in texts), texts
    assert any("type /dev/nvme1n1 in the box below the list" in t for t in texts)
    view = page.drive_list
    for row in rows + reason_rows(page, "/dev/nvme0n1"):
        index = view.indexFromItem(row)
        assert view.isFirstColumnSpanned(index.row(), index.parent()), row.text(0)
        rect = view.visualItemRect(row)
        visible = min(rect.right(), view.viewport().width()) - rect.left() - 8  # the width it may use
        needed = (
            view.fontMetrics()
            .boundingRect(0, 0, visible, 10_000, Qt.TextFlag.TextWordWrap, row.text(0))
            .height()
        )
        assert rect.height() >= needed, f"{row.text(0)!r} is cut: {rect.height()} < {needed}"
    # the rows follow the width: wider, the same sentence takes fewer lines
    tall = view.visualItemRect(rows[0]).height()
    page.resize(1600, 640)
    qtbot.wait(50)
    assert view.visualItemRect(rows[0]).height() < tall
    view.setCurrentItem(rows[0])  # selecting a reason selects its drive
    details = page.drive_details.text()
    assert "/dev/nvme1n1" in details and "--" not in details
    assert "type /dev/nvme1n1 in the box below the list" in details
    qtbot.keyClicks(page.confirm_edit, "/dev/nvme")  # half typed
    details = page.drive_details.text()
    assert "type /dev/nvme1n1 in the box below the list" in details  # still: not the whole path
    page.confirm_edit.setText("/dev/nvme1n1")
    assert "written only because you confirmed /dev/nvme1n1" in page.drive_details.text()


reason_text = st.sampled_from([
    "an internal drive, not a removable or USB drive: to write it anyway, use --allow-non-removable "
    "--confirm-device {d}",
    "Nothing was written. If {d} really is the target, add --allow-non-removable --confirm-device {d}.",
    "Nothing was written. Pick another drive (ecs-field drives lists them).",
    "a loop device: the confirmation must repeat the device path {d} exactly (got '{t}')",
    "{t} --mode raw writes it anyway",
])  # fmt: skip
device = st.from_regex(r"/dev/(sd[a-z]|nvme[0-9]n[0-9]|loop[0-9]{1,3}|disk[0-9])", fullmatch=True)


@given(reason_text, device, st.text(max_size=40))
def test_page_words_never_show_a_command_line_flag(template: str, drive: str, typed: str) -> None:
    out = page_words(template.format(d=drive, t=typed.replace("--", "")))
    assert "--allow-non-removable" not in out and "--confirm-device" not in out and "--mode" not in out
    assert "ecs-field" not in out


def test_every_safety_refusal_reaches_the_page_without_flags(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, _ = ready_page(qtbot, tmp_path)
    loop = Drive(
        path="/dev/loop7", size_bytes=8 * 2**20, kind="loop", name="loop7", backing_file="/tmp/x.bin"
    )
    for typed in ("", "/dev/loop", "/dev/loop7"):
        page.confirm_edit.setText(typed)
        decision = page.decision_for(loop)
        page.drives = [*stand_in_drives(), loop]
        page._apply_rules()
        texts = [row.text(0) for row in reason_rows(page, "/dev/loop7")]
        assert not any("--" in t for t in texts), (typed, texts, decision)


# -- the confirmation -------------------------------------------------------------------------------------
def test_the_confirmation_has_a_warning_sign_and_says_the_mode_in_words(qtbot: Any) -> None:
    drive = stand_in_drives()[0]
    dialog = ConfirmWriteDialog("ECS-host.iso", "uefi-fat32", 640_000_000, [drive])
    qtbot.addWidget(dialog)
    pixmap = dialog.icon.pixmap()
    assert not pixmap.isNull() and pixmap.width() >= 16
    text = dialog.text()
    assert "one FAT32 partition with the installer's files (UEFI boot)" in text
    assert "uefi-fat32" not in text and "4C530001230817105404" in text and "erased" in text
    raw = confirmation_text("x.img", "raw", 1, [drive])
    assert "a byte-for-byte copy of the image" in raw and "raw" not in raw.replace("x.img", "")
    anyway = confirmation_text("d.iso", "anyway", 1, [drive], warning="a plain data ISO")
    assert "will not start an installer" in anyway and "Not bootable" in anyway


def test_the_drive_list_does_not_refresh_behind_the_open_confirmation(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, _ = ready_page(qtbot, tmp_path)
    seen: dict[str, Any] = {}

    def confirm(dialog: ConfirmWriteDialog) -> bool:
        calls = listing.calls
        rows = page.drive_list.topLevelItemCount()
        page.reload_drives()  # what a hot-plug event or the watcher's timer does
        page._reload_timer.start()
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.01)
        seen["calls"] = listing.calls - calls
        seen["rows"] = page.drive_list.topLevelItemCount() == rows
        return False

    page.confirm_hook = confirm
    calls = listing.calls
    page.start_write()
    assert seen == {"calls": 0, "rows": True}
    qtbot.waitUntil(lambda: listing.calls > calls, timeout=5000)  # read again once it closed
    assert "cancelled at the confirmation" in page.phase_label.text()


# -- layout -----------------------------------------------------------------------------------------------
def test_idle_shows_no_empty_progress_bar_or_speed_box(qtbot: Any, tmp_path: Path, listing: Listing) -> None:
    page, runner = ready_page(qtbot, tmp_path)
    assert not page.activity.isVisible() and not page.progress_bar.isVisible()
    assert not page.speed_graph.isVisible()
    start(page)
    assert page.progress_bar.isVisible() and page.speed_graph.isVisible()
    runner.finish([done_outcome(page.drives[0], 1)])
    qtbot.waitUntil(lambda: not page.writing, timeout=5000)


@iso_tools
def test_image_facts_fit_at_1024_by_640(qtbot: Any, tmp_path: Path, listing: Listing) -> None:
    from ecs_field.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: [p.shutdown() for p in w.pages])
    window.resize(1024, 640)
    window.show()
    page = window.show_page("media")
    qtbot.waitUntil(lambda: not page._drive_job_running and bool(page.drives), timeout=10000)
    page.open_path(build_esxi_iso(tmp_path))  # a real one: its notes take three lines
    qtbot.waitUntil(lambda: page.image_info is not None, timeout=15000)
    qtbot.wait(100)
    assert page.facts.fields["notes"].text()
    scroll = page.findChild(media.QScrollArea, "imageFactsScroll")
    assert scroll.verticalScrollBar().maximum() == 0, "the image facts need scrolling at 1024x640"
    for key in ("file", "size", "esxi", "boot", "mode"):
        label = page.facts.fields[key]
        assert label.visibleRegion().boundingRect().height() >= label.fontMetrics().height(), key
    QThreadPool.globalInstance().waitForDone(10000)


# -- dark palette -----------------------------------------------------------------------------------------
@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    theme.apply_theme(qapp, "dark")
    yield
    theme.apply_theme(qapp, "", style, palette)


def outline_contrast(image: Any, left: int, top: int, width: int, height: int, behind: str) -> float:
    best = 1.0
    for x in range(max(0, left), min(image.width(), left + width)):
        for y in range(max(0, top), min(image.height(), top + height)):
            best = max(best, theme.contrast_ratio(image.pixelColor(x, y), behind))
    return best


def test_dark_palette_unticked_boxes_and_the_drive_count_are_visible(
    qtbot: Any, tmp_path: Path, listing: Listing, dark: None
) -> None:
    page, _ = ready_page(qtbot, tmp_path)
    page.drive_list.set_checked("/dev/sdb", False)
    window = QApplication.palette().color(QPalette.ColorRole.Window).name()
    sheet = page.drive_status.styleSheet()
    assert "color:" in sheet
    value = sheet.split("color:", 1)[1].strip().rstrip(";").strip()
    assert theme.contrast_ratio(value, window) >= theme.MIN_TEXT_CONTRAST, (value, window)
    assert page.drive_status.text() == "3 drives"
    view = page.drive_list
    base = view.palette().color(QPalette.ColorRole.Base).name()
    image = view.viewport().grab().toImage()
    for path in ("/dev/sdb", "/dev/nvme1n1"):
        rect = view.visualItemRect(view.item_for(path))
        assert (
            outline_contrast(image, rect.left(), rect.top(), 26, rect.height(), base) >= theme.MIN_UI_CONTRAST
        )
    box = page.show_all
    box.setChecked(False)
    qtbot.waitUntil(lambda: not page._drive_job_running, timeout=5000)
    shot = box.grab().toImage()
    assert outline_contrast(shot, 0, 0, 22, shot.height(), window) >= theme.MIN_UI_CONTRAST
    # every reason and badge in the list is readable on the list's background
    for item in view.top_items():
        for brush_owner, column in [(item, 3), *((item.child(i), 0) for i in range(item.childCount()))]:
            fg = brush_owner.foreground(column).color().name()
            assert theme.contrast_ratio(fg, base) >= theme.MIN_TEXT_CONTRAST, (brush_owner.text(column), fg)


def test_switching_to_dark_recolours_what_is_already_shown(
    qtbot: Any, tmp_path: Path, listing: Listing, qapp: QApplication
) -> None:
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    page, runner = ready_page(qtbot, tmp_path)
    start(page)
    runner.finish([done_outcome(page.drives[0], 1)])
    qtbot.waitUntil(lambda: not page.writing, timeout=5000)
    light_result = page.result_label.text()
    try:
        QTimer.singleShot(0, lambda: theme.apply_theme(qapp, "dark"))
        qtbot.wait(200)
        assert theme.DARK.passed in page.result_label.text() and page.result_label.text() != light_result
        assert theme.DARK.muted in page.drive_status.styleSheet()
        badge = page.drive_list.item_for("/dev/sdb").foreground(3).color().name()
        assert badge == theme.DARK.passed
    finally:
        theme.apply_theme(qapp, "", style, palette)
        qapp.setStyle(QStyleFactory.create(style))


def test_safety_module_still_words_its_reasons_for_the_command_line() -> None:
    """The translation above is needed: the core keeps the flags for CLI users (if it stops, drop it)."""
    drive = stand_in_drives()[1]
    decision = safety.evaluate(drive, None, None)
    assert any("--allow-non-removable" in r for r in decision.refusals)
