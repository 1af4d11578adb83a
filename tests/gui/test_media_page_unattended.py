"""Boot media page: the "Unattended install" section and "Verify stick" (issue 8).

The section's values go through ecs_field.media.kickstart (the CLI's rules); the written stick
and the comparison are real (loop devices, as root) where a drive is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from ecs_field.gui.widgets.media_kickstart import KickstartDialog, KickstartState
from ecs_field.media.kickstart.cryptpw import verify as password_matches
from tests.conftest import needs_root
from tests.e2e.test_safety_loop import MiB, small_image
from tests.e2e.write_devices import attached_loop
from tests.gui.test_media_page import make_page, ready_to_pick
from tests.gui.test_media_page_flow import Listing, done_outcome, ready_page
from tests.unit.media.test_image_inspect import build_esxi_iso
from tests.unit.media.test_image_inspect import pytestmark as iso_tools

PASSWORD = "Vq7#mT2!pLx9"
HOST = {"hostname": "esx01.depot7.example", "ip": "10.7.0.10/24", "gateway": "10.7.0.1", "dns": "10.7.0.2"}


@pytest.fixture
def listing(monkeypatch: pytest.MonkeyPatch) -> Listing:
    from ecs_field.gui.pages import media

    fake = Listing()
    monkeypatch.setattr(media, "list_drives", fake)
    return fake


def fill(dialog: KickstartDialog, values: dict[str, str], password: str = PASSWORD) -> None:
    for name, value in values.items():
        dialog.fields[name].setText(value)
    dialog.password.setText(password)
    dialog.password_again.setText(password)
    dialog.take_password()


def filler(values: dict[str, str], password: str = PASSWORD, seen: list[Any] | None = None) -> Any:
    def hook(dialog: KickstartDialog) -> bool:
        fill(dialog, values, password)
        if seen is not None:
            seen.append(dialog)
        return True

    return hook


def test_the_section_is_off_by_default_and_the_dialog_hashes_the_password_at_once(qtbot: Any) -> None:
    dialog = KickstartDialog(KickstartState())
    qtbot.addWidget(dialog)
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.password_again.echoMode() == QLineEdit.EchoMode.Password
    fill(dialog, HOST)
    assert dialog.password.text() == "" and dialog.password_again.text() == ""  # forgotten at once
    assert password_matches(PASSWORD, dialog.state.root_hash)
    preview = dialog.preview.toPlainText()
    assert PASSWORD not in preview and f"rootpw --iscrypted {dialog.state.root_hash}" in preview
    assert "network --bootproto=static --ip=10.7.0.10 --netmask=255.255.255.0 --gateway=10.7.0.1" in preview
    assert "hostname=esx01.depot7.example" in preview and "vmaccepteula" in preview
    assert "kept only as a SHA-512 crypt hash" in dialog.password_state.text()


def test_problems_are_shown_beside_their_field_in_the_dialogs_words(qtbot: Any) -> None:
    dialog = KickstartDialog(KickstartState())
    qtbot.addWidget(dialog)
    fill(dialog, {**HOST, "gateway": "10.8.0.1", "vlan": "0"}, password="root1234")
    gateway = dialog.problems["gateway"]
    assert not gateway.isHidden() and "outside 10.7.0.0/24" in gateway.text()
    assert "--" not in gateway.text() and "“Address/prefix”" in gateway.text()
    assert "untagged" in dialog.problems["vlan"].text() and "--vlan" not in dialog.problems["vlan"].text()
    assert dialog.problems["hostname"].isHidden()
    assert "ESXi would refuse it" in dialog.password_state.text() and not dialog.state.root_hash
    assert "Fill in the fields marked" in dialog.preview.toPlainText()
    required = KickstartDialog(KickstartState())
    qtbot.addWidget(required)
    assert "is required (e.g. esx01.depot7.example)" in required.problems["hostname"].text()


def test_site_defaults_fill_what_is_not_typed(qtbot: Any, tmp_path: Path) -> None:
    from ecs_field.sites.registry import Registry, Site

    Registry.load().add(
        Site(
            "depot-7",
            str(tmp_path / "repo"),
            install={
                "hostname": "esx-{site}.corp.example",
                "prefix": 24,
                "gateway": "10.7.0.1",
                "dns": ["10.7.0.2"],
            },
        )
    )
    dialog = KickstartDialog(KickstartState())
    qtbot.addWidget(dialog)
    dialog.site.setCurrentIndex(dialog.site.findData("depot-7"))
    fill(dialog, {"ip": "10.7.0.11"})
    assert "esx-depot-7.corp.example" in dialog.fields["hostname"].placeholderText()
    preview = dialog.preview.toPlainText()
    assert "--ip=10.7.0.11 --netmask=255.255.255.0 --gateway=10.7.0.1" in preview
    assert "--hostname=esx-depot-7.corp.example" in preview


def test_the_site_selected_on_the_sites_page_gives_the_defaults(qtbot: Any, tmp_path: Path) -> None:
    from ecs_field.gui.main_window import MainWindow
    from ecs_field.sites.registry import Registry, Site

    Registry.load().add(Site("depot-9", str(tmp_path / "repo"), install={"gateway": "10.9.0.1"}))
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: [p.shutdown() for p in w.pages])
    window.page("sites").current = "depot-9"
    section = window.page("media").unattended
    seen: list[Any] = []
    section.dialog_hook = lambda dialog: seen.append(dialog) or False  # look, then Cancel
    section.edit()
    assert seen[0].site.currentData() == "depot-9"
    assert "10.9.0.1 (from depot-9)" in seen[0].fields["gateway"].placeholderText()


def test_write_carries_the_kickstart_and_the_confirmation_says_so(
    qtbot: Any, tmp_path: Path, listing: Listing
) -> None:
    page, runner = ready_page(qtbot, tmp_path)
    section = page.unattended
    assert not section.enabled.isChecked() and section.summary.text().count("Off")
    seen: list[Any] = []
    section.dialog_hook = filler(HOST, seen=seen)
    section.enabled.setChecked(True)  # ticking opens the settings
    assert seen and section.ready() and "esx01.depot7.example (10.7.0.10/24)" in section.summary.text()
    assert page.write_button.isEnabled()
    asked: list[str] = []
    page.confirm_hook = lambda dialog: asked.append(dialog.text()) or True
    page.start_write()
    assert "unattended install" in asked[0] and "esx01.depot7.example" in asked[0]
    qtbot.waitUntil(lambda: bool(runner.requests), timeout=5000)
    request = runner.requests[0]
    ks = Path(request.kickstart_path)
    text = ks.read_text()
    assert f"rootpw --iscrypted {section.state.root_hash}" in text and PASSWORD not in text
    assert ks.stat().st_mode & 0o077 == 0  # only the user (and the helper as root) can read it
    runner.finish([done_outcome(page.drives[0], 1)])
    qtbot.waitUntil(lambda: not page.writing, timeout=5000)
    assert not ks.exists()  # gone with the write


def test_an_incomplete_unattended_install_blocks_write_and_says_what_is_missing(
    qtbot: Any,
    tmp_path: Path,
    listing: Listing,
) -> None:
    page, _ = ready_page(qtbot, tmp_path)
    page.unattended.dialog_hook = filler({"hostname": "esx01"}, password="")
    page.unattended.enabled.setChecked(True)
    assert not page.write_button.isEnabled()
    assert "Unattended install: fix Address/prefix, Gateway, DNS servers" in page.phase_label.text()


@pytest.mark.parametrize("mode", ["raw", None])  # a hybrid ISO or disk image; an image that will not boot
def test_an_image_written_byte_for_byte_cannot_carry_a_kickstart(
    qtbot: Any, tmp_path: Path, listing: Listing, mode: str | None
) -> None:
    page, _ = ready_page(qtbot, tmp_path, write_mode=mode)
    assert not page.unattended.enabled.isEnabled() and not page.unattended.active()
    assert "FAT32 stick built from an ESXi installer ISO" in page.unattended.summary.text()


def test_the_helper_carries_the_kickstart(tmp_path: Path) -> None:
    """Behind the password prompt the helper gets the kickstart too: never a stick without it."""
    from ecs_field.media.write.helper import HelperOptions, build_helper

    ks = tmp_path / "ks.cfg"
    ks.write_text("vmaccepteula\n")
    options = HelperOptions(mode="uefi-fat32", kickstart_path=ks)
    cmd = build_helper(tmp_path / "x.iso", ["/dev/sdz"], options, workdir=tmp_path, platform="linux",
                       elevated=False)
    assert cmd.argv[cmd.argv.index("--kickstart") + 1] == str(ks.absolute())


# -- real sticks (loop devices) ---------------------------------------------------------------------------
@needs_root
def test_verify_an_inserted_stick_same_then_different(qtbot: Any, tmp_path: Path) -> None:
    image = small_image(tmp_path / "stick.img", 3 * MiB)
    with attached_loop(tmp_path / "target.bin", 8 * MiB) as device:
        page = ready_to_pick(qtbot, make_page(qtbot), image)
        page.drive_list.setCurrentItem(page.drive_list.item_for(device))
        assert page.verify_button.isEnabled()  # no tick and no typed path needed: it only reads
        with open(device, "r+b") as stick:
            stick.write(image.read_bytes())
        page.start_verify()
        qtbot.waitUntil(lambda: not page.writing, timeout=30000)
        (outcome,) = page.last_outcomes
        assert outcome.ok and outcome.kind == "verify", outcome.summary
        shown = page.result_label.text()
        assert "Same as the image" in shown and "Safe to remove" in shown and "nothing was written" in shown
        with open(device, "r+b") as stick:
            stick.seek(2 * MiB + 5)
            stick.write(b"\xff")
        page.start_verify()
        qtbot.waitUntil(lambda: not page.writing, timeout=30000)
        (outcome,) = page.last_outcomes
        assert not outcome.ok and outcome.exit_code == 6
        assert f"the first difference is at byte {2 * MiB + 5}" in page.result_label.text()
        assert "Different from the image" in page.phase_label.text()


@iso_tools
@needs_root
def test_unattended_stick_written_then_verified_with_its_kickstart(qtbot: Any, tmp_path: Path) -> None:
    import subprocess

    iso = build_esxi_iso(tmp_path)
    with attached_loop(tmp_path / "target.bin", 96 * MiB) as device:
        page = ready_to_pick(qtbot, make_page(qtbot), iso)
        page.confirm_edit.setText(device)
        page.drive_list.set_checked(device)
        page.unattended.dialog_hook = filler(HOST)
        page.unattended.enabled.setChecked(True)
        page.confirm_hook = lambda dialog: True
        page.start_write()
        qtbot.waitUntil(lambda: bool(page.last_outcomes), timeout=60000)
        (outcome,) = page.last_outcomes
        assert outcome.ok and outcome.verified, outcome.summary + outcome.hint
        # the stick holds /KS.CFG and boots with it (mtools reads the FAT32 partition at 1 MiB)
        ks = subprocess.run(
            ["mtype", "-i", f"{device}@@1M", "::/KS.CFG"], capture_output=True, text=True, check=True
        ).stdout
        assert "hostname=esx01.depot7.example" in ks and page.unattended.state.root_hash in ks
        boot = subprocess.run(
            ["mtype", "-i", f"{device}@@1M", "::/EFI/BOOT/BOOT.CFG"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "ks=usb:/KS.CFG" in boot
        page.drive_list.setCurrentItem(page.drive_list.item_for(device))
        page.start_verify()
        qtbot.waitUntil(lambda: not page.writing, timeout=60000)
        (checked,) = page.last_outcomes
        assert checked.ok, checked.summary
        assert "with the unattended install of esx01.depot7.example" in checked.summary


def test_a_stick_that_cannot_be_read_is_said_in_the_pages_words(
    qtbot: Any, tmp_path: Path, listing: Listing, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecs_field.errors import DeviceError
    from ecs_field.media.write import verify as core_verify
    from ecs_field.media.write import writejob

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise DeviceError(
            "No permission to read /dev/sdb",
            "Reading a whole drive needs administrator rights: "
            "run it with sudo (Linux, macOS) or as Administrator.",
        )

    monkeypatch.setattr(core_verify, "verify_device", refused)
    monkeypatch.setattr(
        writejob, "open_source", lambda *_a, **_k: type("S", (), {"close": lambda self: None})()
    )
    page, _ = ready_page(qtbot, tmp_path)
    page.drive_list.setCurrentItem(page.drive_list.item_for("/dev/sdb"))
    page.start_verify()
    assert page.writing and not page.library.isEnabled()  # locked while it compares
    qtbot.waitUntil(lambda: not page.writing, timeout=5000)
    shown = page.result_label.text()
    assert "Could not compare" in shown and "No permission to read /dev/sdb" in shown
    assert "start the app as administrator" in shown and "run it with sudo" not in shown
    assert page.library.isEnabled() and page.phase_label.text() == "Not compared."
