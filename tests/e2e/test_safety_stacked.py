"""A device stacked on another block device is refused like that device (issue 8, safety item 1).

Reproduced as reported: ``losetup -f --show /dev/loopN`` where loopN carries a mounted file
system was offered with the non-removable override and writing it destroyed the mounted file
system. Every device opened here is a loop device these tests made.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field import paths
from ecs_field.media.drives import find_drive, list_all_drives, safety
from tests.clirun import run_process as cli
from tests.conftest import needs_root
from tests.e2e.test_safety_loop import mounted, small_image
from tests.e2e.write_devices import attached_loop, detach

pytestmark = [needs_root, pytest.mark.root]
MiB = 1024 * 1024


@contextlib.contextmanager
def stacked(device: str) -> Iterator[str]:
    """A loop device backed by the block device ``device`` (what `losetup -f --show /dev/loopN` makes)."""
    loop = subprocess.run(["losetup", "--find", "--show", device], check=True, capture_output=True,
                          text=True, timeout=30).stdout.strip()
    assert loop.startswith("/dev/loop") and loop != device
    try:
        yield loop
    finally:
        detach(loop)


def digest(device: str, length: int = 8 * MiB) -> str:
    with open(device, "rb") as handle:
        return hashlib.sha256(handle.read(length)).hexdigest()


def write(image: Path, device: str) -> subprocess.CompletedProcess[str]:
    return cli("write", str(image), device, "--mode", "raw", "--yes", "--allow-non-removable",
               "--confirm-device", device)


def test_loop_on_a_mounted_loop_is_refused_and_the_file_system_survives(tmp_path: Path) -> None:
    image = small_image(tmp_path / "small.img", 2 * MiB)
    with attached_loop(tmp_path / "disk.bin", 32 * MiB) as lower, \
            mounted(lower, tmp_path / "mnt") as mnt, stacked(lower) as upper:
        (mnt / "keep.txt").write_text("site notes")
        subprocess.run(["sync"], check=True)
        drive = find_drive(upper)
        assert drive is not None and drive.stacked_on == [lower]
        assert not drive.writable
        decision = safety.evaluate(drive, 2 * MiB, image, allow_non_removable=True, confirm_device=upper)
        assert not decision.allowed and "mounted-internal" in decision.codes
        # the same reason as the mounted device itself, naming it
        assert any(lower in r and str(mnt) in r for r in decision.refusals)
        before = digest(lower)
        done = write(image, upper)
        assert done.returncode == 4, done.stderr
        assert lower in done.stderr and str(mnt) in done.stderr and "Nothing was written" in done.stderr
        assert digest(lower) == before
        assert (mnt / "keep.txt").read_text() == "site notes"
        subprocess.run(["umount", str(mnt)], check=True)
        fsck = subprocess.run(["fsck.ext4", "-n", "-f", lower], capture_output=True, text=True)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_protection_is_inherited_through_every_level(tmp_path: Path) -> None:
    image = small_image(tmp_path / "small.img", MiB)
    with attached_loop(tmp_path / "disk.bin", 32 * MiB) as bottom, \
            mounted(bottom, tmp_path / "mnt"), stacked(bottom) as middle, stacked(middle) as top:
        drives = {d.path: d for d in list_all_drives()}
        assert drives[top].stacked_on == [middle, bottom]
        assert sorted(drives[bottom].stacked_by) == sorted([middle, top])
        for device in (middle, top):
            decision = safety.evaluate(drives[device], MiB, image, allow_non_removable=True,
                                       confirm_device=device)
            assert "mounted-internal" in decision.codes, decision.refusals
        before = digest(bottom)
        done = write(image, top)
        assert done.returncode == 4, done.stderr
        assert bottom in done.stderr
        assert digest(bottom) == before


def test_a_device_something_is_stacked_on_is_not_written(tmp_path: Path) -> None:
    image = small_image(tmp_path / "small.img", MiB)
    with attached_loop(tmp_path / "disk.bin", 16 * MiB) as lower, stacked(lower) as upper:
        drive = find_drive(lower)
        assert drive is not None and drive.stacked_by == [upper]
        decision = safety.evaluate(drive, MiB, image, allow_non_removable=True, confirm_device=lower)
        assert decision.codes == ["stacked"]
        assert f"losetup -d {upper}" in decision.refusals[0]
        before = digest(lower)
        done = write(image, lower)
        assert done.returncode == 4 and upper in done.stderr, done.stderr
        assert digest(lower) == before


def test_loop_on_the_apps_own_data_disk_is_a_system_drive(tmp_path: Path) -> None:
    # The app's data folder is a protected place: the disk under it is a system drive, and so
    # is every device stacked on that disk (the real system disk cannot be opened in CI sandboxes).
    data = paths.data_dir()
    data.mkdir(parents=True, exist_ok=True)
    image = small_image(tmp_path / "small.img", MiB)
    with attached_loop(tmp_path / "data.bin", 32 * MiB) as lower, mounted(lower, data), \
            stacked(lower) as upper:
        drives = {d.path: d for d in list_all_drives()}
        assert drives[lower].system
        assert drives[upper].system and not drives[upper].writable
        decision = safety.evaluate(drives[upper], MiB, image, allow_non_removable=True, confirm_device=upper)
        assert "system" in decision.codes
        assert any("app's data" in r and lower in r for r in decision.refusals)
        done = write(image, upper)
        assert done.returncode == 4 and "system drive" in done.stderr, done.stderr


def test_loop_on_the_system_disk_is_a_system_drive(tmp_path: Path) -> None:
    drives = list_all_drives()
    system = [d for d in drives if d.protected and d.kind != "loop"]
    if not system:
        pytest.skip("no system disk this machine lists (overlay or network root)")
    disk = system[0]
    attach = subprocess.run(["losetup", "--find", "--show", "--read-only", disk.path], capture_output=True,
                            text=True, timeout=30)
    if attach.returncode != 0:
        pytest.skip(f"this sandbox does not let root open {disk.path} ({attach.stderr.strip()})")
    loop = attach.stdout.strip()
    try:
        drive = find_drive(loop)
        assert drive is not None and disk.path in drive.stacked_on
        assert drive.system
        decision = safety.evaluate(drive, MiB, None, allow_non_removable=True, confirm_device=loop)
        assert "system" in decision.codes
    finally:
        detach(loop)


def test_loop_on_an_unmounted_loop_is_written_through_with_the_override(tmp_path: Path) -> None:
    image = small_image(tmp_path / "small.img", 2 * MiB)
    data = image.read_bytes()
    with attached_loop(tmp_path / "disk.bin", 16 * MiB) as lower, stacked(lower) as upper:
        drive = find_drive(upper)
        assert drive is not None and drive.stacked_on == [lower]
        assert safety.evaluate(drive, 2 * MiB, image).codes == ["internal"]
        done = write(image, upper)
        assert done.returncode == 0, done.stderr
        with open(tmp_path / "disk.bin", "rb") as handle:
            assert handle.read(len(data)) == data
