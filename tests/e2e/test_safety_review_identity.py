"""Safety review: the device opened must be the device checked (check-then-open race).

``final_check`` looks the drive up, then ``prepare_for_write`` may spend seconds unmounting before
the writer opens the path. A stick swapped in under the same name in that window must be refused
after the open, before a single byte is written. Only loop devices made here are opened.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from ecs_field.errors import SafetyRefusal
from ecs_field.media.drives import Drive, find_drive, safety
from ecs_field.media.write import writejob
from ecs_field.media.write.writejob import WriteRequest, write_to_drive
from tests.conftest import needs_root
from tests.e2e.write_devices import attached_loop, make_disk_image

pytestmark = [needs_root, pytest.mark.root]
MiB = 1024 * 1024


def _swap_before_open(monkeypatch: pytest.MonkeyPatch, device: str, replacement: Path) -> None:
    """Make prepare_for_write (the last step before the open) put another file under ``device``."""
    real = safety.prepare_for_write

    def swapping(drive: Drive) -> list[str]:
        done = real(drive)
        subprocess.run(["losetup", "-d", device], check=True)
        subprocess.run(["losetup", device, str(replacement)], check=True)
        return done

    monkeypatch.setattr(writejob.safety, "prepare_for_write", swapping)


@pytest.mark.parametrize("size", [8 * MiB, 16 * MiB], ids=["same-size", "larger"])
def test_stick_swapped_between_check_and_open_is_refused_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 2 * MiB)
    other = tmp_path / "someone-elses.bin"
    content = os.urandom(size)
    other.write_bytes(content)
    with attached_loop(tmp_path / "chosen.bin", 8 * MiB) as device:
        chosen = find_drive(device)
        assert chosen is not None
        _swap_before_open(monkeypatch, device, other)
        request = WriteRequest(image, mode="raw", allow_non_removable=True, confirm_devices=(device,))
        outcome = write_to_drive(request, chosen, keep_record=False)
        assert isinstance(outcome.error, SafetyRefusal), outcome.error
        assert outcome.exit_code == 4
        assert "not the drive that was chosen" in outcome.error.message
        assert outcome.result is None
    assert other.read_bytes() == content  # not one byte of the swapped-in device changed


def test_check_opened_refuses_a_descriptor_of_another_device(tmp_path: Path) -> None:
    with attached_loop(tmp_path / "a.bin", 8 * MiB) as a, attached_loop(tmp_path / "b.bin", 8 * MiB) as b:
        drive_a, drive_b = find_drive(a), find_drive(b)
        assert drive_a is not None and drive_b is not None
        fd = safety.open_exclusive(a)
        try:
            safety.check_opened(fd, drive_a)  # the right one passes
            # b described, a opened: same size, different device number
            with pytest.raises(SafetyRefusal, match="not the drive that was chosen"):
                safety.check_opened(fd, dataclasses.replace(drive_b, backing_file=drive_b.backing_file))
        finally:
            os.close(fd)


def test_loop_reattached_to_another_file_of_the_same_size_is_another_drive(tmp_path: Path) -> None:
    with attached_loop(tmp_path / "first.bin", 8 * MiB) as device:
        chosen = find_drive(device)
        assert chosen is not None
        second = tmp_path / "second.bin"
        with open(second, "wb") as handle:
            handle.truncate(8 * MiB)
        subprocess.run(["losetup", "-d", device], check=True)
        subprocess.run(["losetup", device, str(second)], check=True)
        with pytest.raises(SafetyRefusal, match=r"second\.bin"):
            safety.recheck_identity(chosen)


def test_a_character_device_is_never_opened_for_writing_on_linux() -> None:
    with pytest.raises(SafetyRefusal, match="not a device"):
        safety.open_exclusive("/dev/null")


def test_a_link_to_the_system_disk_is_refused_as_the_system_disk(tmp_path: Path) -> None:
    from ecs_field.media.drives import devices_holding, list_all_drives
    from tests.clirun import run_process as cli

    holding_root = devices_holding(Path("/"), list_all_drives())
    if not holding_root:
        pytest.skip("/ is not on a whole disk this machine lists")
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    for path in sorted(holding_root):
        link = tmp_path / "usb-Fake_Stick-0:0"  # looks like a /dev/disk/by-id name
        link.unlink(missing_ok=True)
        link.symlink_to(path)
        # Only looked up and refused by the rules: the CLI never opens a refused device.
        done = cli("write", str(image), str(link), "--allow-non-removable", "--confirm-device", str(link),
                   "--yes")
        assert done.returncode == 4, done.stderr
        assert "system drive" in done.stderr


def test_not_a_whole_disk_is_refused_and_untouched(tmp_path: Path) -> None:
    from tests.clirun import run_process as cli

    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"keep me" * 100000)
    for target in (str(plain), "/dev/null", "/dev/zero"):
        done = cli("write", str(image), target, "--allow-non-removable", "--confirm-device", target, "--yes")
        assert done.returncode == 4, (target, done.stderr)
        assert "not a drive" in done.stderr
    assert plain.read_bytes() == b"keep me" * 100000


def test_one_stick_named_twice_through_a_link_is_refused_before_writing(tmp_path: Path) -> None:
    from tests.clirun import run_process as cli

    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with attached_loop(tmp_path / "stick.bin", 8 * MiB) as device:
        link = tmp_path / "same-stick"
        link.symlink_to(device)
        done = cli("write", str(image), device, str(link), "--allow-non-removable",
                   "--confirm-device", device, "--yes")
        assert done.returncode == 2, done.stderr
        assert "twice" in done.stderr
        with open(device, "rb") as handle:
            assert handle.read(8 * MiB) == bytes(8 * MiB)
