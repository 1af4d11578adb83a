"""The safety rules on real devices: loop devices made here, and this machine's real system disk.

Every device opened for writing is a loop device these tests created; the system disk is only
ever looked up and evaluated, never opened.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field.errors import DeviceError, SafetyRefusal
from ecs_field.media.drives import devices_holding, find_drive, list_all_drives, list_drives, safety
from tests.clirun import run_process as cli
from tests.conftest import needs_root
from tests.e2e.write_devices import attached_loop

pytestmark = [needs_root, pytest.mark.root]
MiB = 1024 * 1024


@contextlib.contextmanager
def mounted(device: str, where: Path) -> Iterator[Path]:
    # lazy_itable_init=0: no background zeroing after mount, so the device's bytes stay still
    subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", device],
                   check=True, capture_output=True)
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", device, str(where)], check=True, capture_output=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True, check=False)


def digest(device: str, length: int = 4 * MiB) -> str:
    with open(device, "rb") as handle:
        return hashlib.sha256(handle.read(length)).hexdigest()


def small_image(path: Path, size: int) -> Path:
    # a raw disk image: MBR with one partition, then random bytes
    data = bytearray(os.urandom(size))
    data[446:462] = bytes([0x80, 0, 0, 0, 0x0C, 0, 0, 0]) + (1).to_bytes(4, "little") + \
        (size // 512 - 1).to_bytes(4, "little")
    data[462:510] = bytes(48)
    data[510:512] = b"\x55\xaa"
    path.write_bytes(bytes(data))
    return path


def test_loop_device_is_listed_as_loop_and_needs_override(tmp_path: Path) -> None:
    with attached_loop(tmp_path / "stick.bin", 8 * MiB) as device:
        assert device not in {d.path for d in list_drives()}  # not offered by default
        drive = find_drive(device)
        assert drive is not None
        assert (drive.kind, drive.removable, drive.size_bytes) == ("loop", False, 8 * MiB)
        assert drive.backing_file == str(tmp_path / "stick.bin")
        assert not drive.writable and not drive.system
        assert safety.evaluate(drive, MiB, None).codes == ["internal"]
        assert safety.evaluate(drive, MiB, None, allow_non_removable=True, confirm_device=device).allowed


def test_mounted_loop_refused_even_with_override(tmp_path: Path) -> None:
    with attached_loop(tmp_path / "disk.bin", 16 * MiB) as device, mounted(device, tmp_path / "mnt") as mnt:
        drive = find_drive(device)
        assert drive is not None and drive.all_mountpoints() == [str(mnt)]
        decision = safety.evaluate(drive, MiB, None, allow_non_removable=True, confirm_device=device)
        assert not decision.allowed and "mounted-internal" in decision.codes
        with pytest.raises(SafetyRefusal) as caught:
            safety.require_safe(drive, MiB, None, allow_non_removable=True, confirm_device=device)
        message = caught.value.message
        assert caught.value.exit_code == 4 and device in message and str(mnt) in message
        # the kernel agrees: O_EXCL fails while mounted
        with pytest.raises(SafetyRefusal, match="in use"):
            safety.open_exclusive(device)
        # never unmounted by the app: it is not removable
        with pytest.raises(SafetyRefusal, match="not removable"):
            safety.prepare_for_write(drive)
        assert os.path.ismount(mnt)


def test_mounted_loop_refused_by_write_cli_and_untouched(tmp_path: Path) -> None:
    image = small_image(tmp_path / "small.img", MiB)
    with attached_loop(tmp_path / "disk.bin", 16 * MiB) as device, mounted(device, tmp_path / "mnt") as mnt:
        (mnt / "keep.txt").write_text("field notes")
        subprocess.run(["sync"], check=True)
        before = digest(device)
        done = cli("write", str(image), device, "--allow-non-removable", "--confirm-device", device, "--yes")
        assert done.returncode == 4, done.stderr
        assert device in done.stderr and "mounted" in done.stderr
        assert digest(device) == before
        assert (mnt / "keep.txt").read_text() == "field notes"


def test_system_disk_is_refused(tmp_path: Path) -> None:
    drives = list_all_drives()
    holding_root = devices_holding(Path("/"), drives)
    if not holding_root:
        pytest.skip("/ is not on a whole disk this machine lists (overlay or network root)")
    for path in holding_root:
        drive = next(d for d in drives if d.path == path)
        assert drive.system and not drive.writable
        assert any("system drive" in r for r in drive.reasons)
        decision = safety.evaluate(drive, MiB, None, allow_non_removable=True, confirm_device=path)
        assert not decision.allowed and "system" in decision.codes
        with pytest.raises(SafetyRefusal, match="system drive"):
            safety.require_safe(drive, MiB, None, allow_non_removable=True, confirm_device=path)
        with pytest.raises(SafetyRefusal):
            safety.prepare_for_write(drive)  # refuses before touching anything
        assert path not in {d.path for d in list_drives()} or drive.offered_by_default


def test_too_small_device(tmp_path: Path) -> None:
    image = small_image(tmp_path / "big.img", 4 * MiB)
    with attached_loop(tmp_path / "tiny.bin", 2 * MiB) as device:
        drive = find_drive(device)
        assert drive is not None
        decision = safety.evaluate(drive, image.stat().st_size, image, allow_non_removable=True,
                                   confirm_device=device)
        assert decision.codes == ["too-small"]
        before = digest(device, 2 * MiB)
        done = cli("write", str(image), device, "--allow-non-removable", "--confirm-device", device, "--yes")
        assert done.returncode == 4, done.stderr
        assert "too small" in done.stderr
        assert digest(device, 2 * MiB) == before
        # without the override every reason is named, the override included, with the exact flags
        done = cli("write", str(image), device, "--yes")
        assert done.returncode == 4, done.stderr
        assert "too small" in done.stderr and f"--confirm-device {device}" in done.stderr
        assert digest(device, 2 * MiB) == before


def test_recheck_identity_notices_another_device_under_the_same_name(tmp_path: Path) -> None:
    first = tmp_path / "first.bin"
    with attached_loop(first, 8 * MiB) as device:
        chosen = find_drive(device)
        assert chosen is not None
        assert safety.recheck_identity(chosen).path == device
        # same name, different serial (loop devices have none: pretend the chosen one had)
        with pytest.raises(SafetyRefusal, match="serial"):
            safety.recheck_identity(dataclasses.replace(chosen, serial="4C530001230817105404"))
        # the stick is swapped: the same /dev name now holds a 16 MiB device
        second = tmp_path / "second.bin"
        with open(second, "wb") as handle:
            handle.truncate(16 * MiB)
        subprocess.run(["losetup", "-d", device], check=True)
        subprocess.run(["losetup", device, str(second)], check=True)
        with pytest.raises(SafetyRefusal, match="size") as caught:
            safety.recheck_identity(chosen)
        assert "not the drive that was chosen" in caught.value.message
        with pytest.raises(SafetyRefusal, match="size"):
            safety.final_check(chosen, MiB, None, allow_non_removable=True, confirm_device=device)
        # unplugged
        subprocess.run(["losetup", "-d", device], check=True)
        with pytest.raises(SafetyRefusal, match="gone"):
            safety.recheck_identity(chosen)


def test_the_image_files_own_disk(tmp_path: Path) -> None:
    # The image lives on ext4 on loop A (whose file is on this machine's disk).
    with attached_loop(tmp_path / "a.bin", 32 * MiB) as disk_a, mounted(disk_a, tmp_path / "mnt") as mnt:
        image = small_image(mnt / "esxi.img", MiB)
        drives = list_all_drives()
        holders = devices_holding(image, drives)
        assert disk_a in holders
        root_disks = devices_holding(tmp_path, drives)
        assert root_disks <= holders  # ...and the disk under loop A's backing file
        drive_a = next(d for d in drives if d.path == disk_a)
        decision = safety.evaluate(drive_a, MiB, image, allow_non_removable=True, confirm_device=disk_a)
        assert "holds-image" in decision.codes
        # A loop device backed by the image file itself would overwrite the image while reading it.
        with attached_loop(image) as disk_b:
            drive_b = find_drive(disk_b)
            assert drive_b is not None
            decision = safety.evaluate(drive_b, MiB, image, allow_non_removable=True, confirm_device=disk_b)
            assert decision.codes == ["holds-image"]
            before = digest(disk_b, MiB)
            done = cli("write", str(image), disk_b, "--allow-non-removable", "--confirm-device", disk_b,
                       "--yes")
            assert done.returncode == 4, done.stderr
            assert "image file" in done.stderr
            assert digest(disk_b, MiB) == before


def test_open_exclusive_and_prepare_for_write(tmp_path: Path) -> None:
    with attached_loop(tmp_path / "stick.bin", 16 * MiB) as device:
        fd = safety.open_exclusive(device, expected_size=16 * MiB)
        try:
            with pytest.raises(SafetyRefusal, match="in use"):
                safety.open_exclusive(device)  # O_EXCL: one writer at a time
        finally:
            os.close(fd)
        with pytest.raises(SafetyRefusal, match="expected"):
            safety.open_exclusive(device, expected_size=8 * MiB)
        fd = safety.open_exclusive(device, direct=True)
        os.close(fd)
        with pytest.raises(SafetyRefusal, match="not a device"):
            safety.open_exclusive(str(tmp_path / "stick.bin"))
        with pytest.raises(DeviceError, match="gone"):
            safety.open_exclusive(str(tmp_path / "missing"))
        # A removable drive's mounts are unmounted: pretend this loop device is a USB stick.
        with mounted(device, tmp_path / "mnt") as mnt:
            drive = find_drive(device)
            assert drive is not None
            as_stick = dataclasses.replace(drive, kind="usb", removable=True)
            assert safety.evaluate(as_stick, MiB, None).will_unmount == [str(mnt)]
            assert safety.prepare_for_write(as_stick) == [str(mnt)]
            assert not os.path.ismount(mnt)
            fd = safety.open_exclusive(device)  # nothing holds it any more
            os.close(fd)


def test_unmount_failure_is_reported(tmp_path: Path) -> None:
    with attached_loop(tmp_path / "stick.bin", 16 * MiB) as device, mounted(device, tmp_path / "mnt") as mnt:
        drive = find_drive(device)
        assert drive is not None
        as_stick = dataclasses.replace(drive, kind="usb", removable=True)
        with open(mnt / "busy.txt", "w") as busy:  # an open file keeps the mount busy
            busy.write("x")
            with pytest.raises(SafetyRefusal, match="Could not unmount") as caught:
                safety.prepare_for_write(as_stick)
            assert str(mnt) in caught.value.message and "Close files" in (caught.value.hint or "")
        assert os.path.ismount(mnt)
