"""The Boot media page: image facts, drive list with safety badges, and real writes to loop devices."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ecs_field.events import Progress
from ecs_field.gui.pages.media import MediaPage
from ecs_field.gui.widgets.media_confirm import ConfirmWriteDialog
from ecs_field.gui.widgets.media_runner import InProcessRunner, merge_progress
from ecs_field.gui.widgets.media_speed import SpeedGraph
from ecs_field.gui.widgets.media_style import phase_colour
from tests.conftest import needs_root
from tests.e2e.test_safety_loop import MiB, mounted, small_image
from tests.e2e.write_devices import attached_loop
from tests.unit.media.test_image_inspect import build_esxi_iso
from tests.unit.media.test_image_inspect import pytestmark as iso_tools


def head(path: str, length: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(length)


SHOTS = os.environ.get("ECS_FIELD_SCREENSHOTS")  # set to a folder to keep screenshots for review


def shot(widget, name: str) -> None:
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def close_page(page: MediaPage) -> None:
    from PySide6.QtCore import QThreadPool

    page.shutdown()
    runner = page.runner
    if isinstance(runner, InProcessRunner):
        runner.wait(30)
    QThreadPool.globalInstance().waitForDone(10000)


def make_page(qtbot) -> MediaPage:
    page = MediaPage(runner=InProcessRunner(), watch=False)
    qtbot.addWidget(page, before_close_func=close_page)
    page.resize(1000, 700)
    page.show()
    return page


def wait_drives(qtbot, page: MediaPage) -> None:
    qtbot.waitUntil(
        lambda: not page._drive_job_running and "Looking" not in page.drive_status.text(), timeout=10000
    )


def load_image(qtbot, page: MediaPage, path: Path) -> None:
    page.open_path(path)
    qtbot.waitUntil(
        lambda: page.image_info is not None or "✖" in page.facts.fields["notes"].text(), timeout=10000
    )


def ready_to_pick(qtbot, page: MediaPage, image: Path) -> MediaPage:
    """``page`` listing every drive (loop devices are not removable) with ``image`` loaded."""
    page.show_all.setChecked(True)
    wait_drives(qtbot, page)
    load_image(qtbot, page, image)
    return page


@iso_tools
def test_image_facts_and_drop(qtbot, tmp_path: Path) -> None:
    page = make_page(qtbot)
    iso = build_esxi_iso(tmp_path)
    assert page.accepts_drop(iso) and not page.accepts_drop(tmp_path)
    load_image(qtbot, page, iso)
    facts = page.facts.fields
    assert facts["esxi"].text() == "8.0.2 build 22380479"
    assert facts["boot"].text() == "BIOS yes · UEFI yes"
    assert "FAT32" in facts["mode"].text()
    assert "no hybrid MBR" in facts["format"].text()
    assert page.write_size >= iso.stat().st_size  # the FAT32 stick image, not the ISO file
    shot(page, "media-image")


def test_bad_image_is_shown_in_place(qtbot, tmp_path: Path) -> None:
    page = make_page(qtbot)
    junk = tmp_path / "notes.iso"
    junk.write_text("not an image" * 1000)
    load_image(qtbot, page, junk)
    assert page.image_info is None
    assert "not a disk or ISO image" in page.facts.fields["notes"].text()
    assert not page.write_button.isEnabled()


@needs_root
def test_loop_device_needs_typed_path_then_writes_and_verifies(qtbot, tmp_path: Path) -> None:
    image = small_image(tmp_path / "stick.img", 3 * MiB)
    with attached_loop(tmp_path / "target.bin", 8 * MiB) as device:
        page = make_page(qtbot)
        page.activated()
        wait_drives(qtbot, page)
        assert device not in page.drive_paths()  # loop devices are hidden by default
        page.show_all.setChecked(True)
        wait_drives(qtbot, page)
        assert device in page.drive_paths()
        load_image(qtbot, page, image)
        item = page.drive_list.item_for(device)
        assert item is not None and "Internal" in item.text(3)
        page.drive_list.set_checked(device)
        assert not page.write_button.isEnabled()  # not confirmed yet
        assert "not allowed yet" in page.phase_label.text()
        qtbot.keyClicks(page.confirm_edit, device)
        item = page.drive_list.item_for(device)
        assert item is not None and "Check" in item.text(3)  # allowed, with the override warning
        assert page.drive_list.checked_paths() == [device]  # ticks survive the refresh
        assert page.write_button.isEnabled()
        shot(page, "media-ready")

        asked: list[str] = []

        def confirm(dialog: ConfirmWriteDialog) -> bool:
            asked.append(dialog.text())
            return True

        page.confirm_hook = confirm
        qtbot.mouseClick(page.write_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(page.last_outcomes), timeout=30000)
        assert device in asked[0] and "8.4 MB" in asked[0] and "erased" in asked[0]
        (outcome,) = page.last_outcomes
        assert outcome.ok and outcome.verified, outcome.summary
        assert "read back" in outcome.summary and "matches what was written" in outcome.summary
        shown = page.result_label.text()
        assert "Written and verified" in shown and "Safe to remove" in shown
        assert outcome.sha256 and outcome.sha256 in shown  # the whole hash, as the stick holds it
        assert outcome.seconds is not None and "took " in shown
        assert page.progress_bar.value() == 1000
        assert page.drive_list.checked_paths() == []  # written: unticked, Write cannot repeat it
        assert not page.write_button.isEnabled()
        sha = hashlib.sha256(head(device, page.write_size)).hexdigest()
        assert sha == outcome.sha256
        assert hashlib.sha256(head(device, 3 * MiB)).digest() == hashlib.sha256(image.read_bytes()).digest()
        shot(page, "media-done")
        page.shutdown()


@needs_root
def test_two_sticks_at_once(qtbot, tmp_path: Path) -> None:
    image = small_image(tmp_path / "stick.img", 2 * MiB)
    with (
        attached_loop(tmp_path / "a.bin", 4 * MiB) as first,
        attached_loop(tmp_path / "b.bin", 4 * MiB) as second,
    ):
        page = ready_to_pick(qtbot, make_page(qtbot), image)
        page.confirm_edit.setText(f"{first}, {second}")
        page.drive_list.set_checked(first)
        page.drive_list.set_checked(second)
        assert page.write_button.text().replace("&", "") == "Write 2 sticks"
        page.confirm_hook = lambda dialog: True
        page.start_write()
        qtbot.waitUntil(lambda: len(page.last_outcomes) == 2, timeout=30000)
        assert all(o.ok and o.verified for o in page.last_outcomes)
        assert "2 of 2 written and verified" in page.phase_label.text()
        for device in (first, second):
            assert head(device, 2 * MiB) == image.read_bytes()


@needs_root
def test_mounted_loop_is_blocked_and_cancelled_confirmation_writes_nothing(qtbot, tmp_path: Path) -> None:
    image = small_image(tmp_path / "stick.img", MiB)
    with (
        attached_loop(tmp_path / "m.bin", 16 * MiB) as busy,
        mounted(busy, tmp_path / "mnt"),
        attached_loop(tmp_path / "free.bin", 4 * MiB) as free,
    ):
        page = ready_to_pick(qtbot, make_page(qtbot), image)
        page.confirm_edit.setText(f"{busy} {free}")
        item = page.drive_list.item_for(busy)
        assert item is not None and "Blocked" in item.text(3)
        assert not item.flags() & Qt.ItemFlag.ItemIsUserCheckable
        reasons = [item.child(i).text(0) for i in range(item.childCount())]
        assert any("never written, even with the override" in r for r in reasons)
        with pytest.raises(KeyError):
            page.drive_list.set_checked(busy)
        shot(page, "media-blocked")
        before = head(free, MiB)
        page.drive_list.set_checked(free)
        page.confirm_hook = lambda dialog: False
        page.start_write()
        assert "cancelled at the confirmation" in page.phase_label.text()
        assert not page.runner.is_running()
        assert head(free, MiB) == before


def test_speed_graph_and_progress_merge(qtbot) -> None:
    graph = SpeedGraph()
    qtbot.addWidget(graph)
    graph.resize(400, 90)
    for i in range(50):
        graph.add(30e6 + i * 1e6, "write" if i < 35 else "verify")
    assert graph.peak == pytest.approx(79e6)
    image = graph.grab().toImage()
    assert image.width() == 400
    # the line is drawn: some pixels carry the write colour
    colours = {image.pixelColor(x, y).name() for x in range(0, 400, 2) for y in range(0, 90, 1)}
    assert phase_colour("write").name() in colours
    shot(graph, "speed-graph")
    merged = merge_progress(
        {"/dev/a": Progress("write", 10, 100, 5.0, 18.0), "/dev/b": Progress("verify", 50, 100, 7.0, 7.0)}
    )
    assert (merged.phase, merged.bytes_done, merged.bytes_total, merged.rate_bps, merged.eta_s) == (
        "write",
        60,
        200,
        12.0,
        18.0,
    )


@needs_root
def test_page_follows_hot_plug(qtbot, tmp_path: Path) -> None:
    page = MediaPage(runner=InProcessRunner(), watch=True)
    qtbot.addWidget(page, before_close_func=close_page)
    page.show_all.setChecked(True)
    page.activated()  # starts the watcher
    wait_drives(qtbot, page)
    with attached_loop(tmp_path / "plugged.bin", 4 * MiB) as device:
        qtbot.waitUntil(lambda: device in page.drive_paths(), timeout=10000)
    qtbot.waitUntil(lambda: device not in page.drive_paths(), timeout=10000)
    page.shutdown()
    assert page._watcher is None


def test_main_window_routes_a_dropped_iso_to_the_media_page(qtbot, tmp_path: Path) -> None:
    from ecs_field.gui.main_window import MainWindow

    iso = build_esxi_iso(tmp_path) if iso_tools.args[0] is False else None
    if iso is None:
        pytest.skip("needs xorriso")
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: [p.shutdown() for p in w.pages])
    window.resize(1150, 760)
    window.show()
    assert window.open_path(iso)
    page = window.page("media")
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.image_info is not None, timeout=10000)
    qtbot.waitUntil(lambda: not page._drive_job_running, timeout=10000)
    if SHOTS:
        window.grab().save(str(Path(SHOTS) / "window-media.png"))


@needs_root
def test_write_through_the_helper_process(qtbot, tmp_path: Path) -> None:
    """The runner the app uses normally: a separate `ecs-field write --progress json` process."""
    from ecs_field.gui.widgets.media_helper_runner import HelperRunner
    from ecs_field.media import history

    image = small_image(tmp_path / "stick.img", 2 * MiB)
    with attached_loop(tmp_path / "target.bin", 4 * MiB) as device:
        runner = HelperRunner(elevated=True)  # root already: no password prompt
        page = MediaPage(runner=runner, watch=False)
        qtbot.addWidget(page, before_close_func=lambda p: (p.shutdown(), runner.wait(60)))
        ready_to_pick(qtbot, page, image)
        page.confirm_edit.setText(device)
        page.drive_list.set_checked(device)
        page.confirm_hook = lambda dialog: True
        page.start_write()
        qtbot.waitUntil(lambda: bool(page.last_outcomes), timeout=60000)
        (outcome,) = page.last_outcomes
        assert outcome.ok and outcome.verified, outcome.summary
        assert "read back" in outcome.summary
        assert page.speed_graph.samples or page.progress_bar.value() == 1000
        assert head(device, 2 * MiB) == image.read_bytes()
        records = history.load_history()
        assert records and records[-1].device_path == device and records[-1].verified


@needs_root
def test_cancel_mid_write(qtbot, tmp_path: Path) -> None:
    """Cancel while a write is held inside the device (a FUSE-backed loop device that pauses writes)."""
    from tests.e2e.write_devices import fault_disk

    image = small_image(tmp_path / "stick.img", 6 * MiB)
    with fault_disk(8 * MiB) as disk:
        device = disk.loop
        page = ready_to_pick(qtbot, make_page(qtbot), image)
        page.confirm_edit.setText(device)
        page.drive_list.set_checked(device)
        page.confirm_hook = lambda dialog: True
        disk.hold_writes_at(3 * MiB)
        page.start_write()
        assert disk.held.wait(20), "the write never reached the held offset"
        assert page.cancel_button.isEnabled() and not page.write_button.isEnabled()
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        assert "Cancelling" in page.phase_label.text()
        disk.release.set()
        qtbot.waitUntil(lambda: bool(page.last_outcomes), timeout=30000)
        (outcome,) = page.last_outcomes
        assert not outcome.ok and outcome.exit_code == 130, outcome.summary
        assert "0 of 1 written and verified" in page.phase_label.text()
        assert "✖" in page.result_label.text()
        assert disk.read_store(510, 2) != b"\x55\xaa"  # no partition table left behind


def test_download_from_the_page_lands_in_the_library_and_is_chosen(qtbot, tmp_path: Path) -> None:
    import hashlib as _hashlib

    from ecs_field.gui.widgets.media_download import DownloadDialog
    from tests.httpserver import HttpTestServer, Resource
    from tests.imagefiles import make_iso

    body = make_iso(tmp_path / "ECS-test.iso").read_bytes()
    digest = _hashlib.sha256(body).hexdigest()
    page = make_page(qtbot)
    with HttpTestServer() as server:
        server.add("/isos/ECS-test.iso", Resource(body))
        dialog = DownloadDialog(page)
        dialog.url.setText("not a url")
        dialog._accept()
        assert "not an http" in dialog.error.text() and dialog.result() != dialog.DialogCode.Accepted
        dialog.url.setText(server.url("/isos/ECS-test.iso"))
        dialog.sha256.setText(digest.upper())
        page.start_download(dialog.request())
        qtbot.waitUntil(lambda: "ECS-test.iso" in page.download_label.text(), timeout=30000)
    assert "SHA-256 verified" in page.download_label.text()
    assert page.image_path is not None and page.image_path.name == "ECS-test.iso"
    assert any("ECS-test.iso" in page.library.item(i).text() for i in range(page.library.count()))


def test_a_failed_download_is_said_in_place(qtbot, tmp_path: Path) -> None:
    from tests.httpserver import HttpTestServer, Resource
    from tests.imagefiles import make_iso

    body = make_iso(tmp_path / "ECS-test.iso").read_bytes()
    page = make_page(qtbot)
    with HttpTestServer() as server:
        server.add("/isos/ECS-test.iso", Resource(body))
        page.start_download({"url": server.url("/isos/ECS-test.iso"), "sha256": "0" * 64})
        qtbot.waitUntil(lambda: page.download_label.text().startswith("Download failed"), timeout=30000)
    assert "SHA-256" in page.download_label.text()
    assert page.download_button.isEnabled()


@iso_tools
def test_a_plain_data_iso_shows_a_prominent_warning_and_needs_write_anyway(qtbot, tmp_path: Path) -> None:
    from tests.unit.media.test_image_honesty import build_plain_iso

    page = make_page(qtbot)
    load_image(qtbot, page, build_plain_iso(tmp_path))
    warning = page.not_bootable
    assert warning.isVisible() and "will not make a bootable stick" in warning.title.text()
    assert "plain data ISO" in warning.reason.text()
    assert not warning.write_anyway.isChecked() and page.write_mode() is None
    assert "will not boot" in page.phase_label.text()
    # the page's own words: no command-line flags anywhere on it
    shown = " ".join(
        [
            warning.reason.text(),
            warning.write_anyway.text(),
            page.phase_label.text(),
            *(label.text() for label in page.facts.fields.values()),
        ]
    )
    assert "--mode" not in shown and "--" not in warning.reason.text()
    shot(page, "media-not-bootable")
    warning.write_anyway.setChecked(True)
    assert page.write_mode() == "raw"
    assert "will not boot" not in page.phase_label.text()
    # choosing another image resets the choice: a bootable ISO hides the warning
    (tmp_path / "esxi").mkdir()
    load_image(qtbot, page, build_esxi_iso(tmp_path / "esxi"))
    qtbot.waitUntil(
        lambda: page.image_info is not None and page.image_info.write_mode is not None, timeout=10000
    )
    assert not warning.isVisible() and not warning.write_anyway.isChecked()
    assert page.write_mode() == "uefi-fat32"


@iso_tools
@needs_root
def test_write_anyway_writes_a_plain_iso_byte_for_byte_after_a_warned_confirmation(
    qtbot, tmp_path: Path
) -> None:
    from tests.unit.media.test_image_honesty import build_plain_iso

    iso = build_plain_iso(tmp_path)
    with attached_loop(tmp_path / "target.bin", 8 * MiB) as device:
        page = ready_to_pick(qtbot, make_page(qtbot), iso)
        qtbot.keyClicks(page.confirm_edit, device)
        page.drive_list.set_checked(device)
        # the drive is fine, the image is not
        assert page.chosen_drives() and not page.write_button.isEnabled()
        page.not_bootable.write_anyway.setChecked(True)
        assert page.write_button.isEnabled()
        asked: list[str] = []

        def confirm(dialog: ConfirmWriteDialog) -> bool:
            asked.append(dialog.text())
            return True

        page.confirm_hook = confirm
        qtbot.mouseClick(page.write_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(page.last_outcomes), timeout=30000)
        assert "Not bootable" in asked[0] and "byte-for-byte" in asked[0] and "plain data ISO" in asked[0]
        (outcome,) = page.last_outcomes
        assert outcome.ok and outcome.verified, outcome.summary
        assert head(device, iso.stat().st_size) == iso.read_bytes()
