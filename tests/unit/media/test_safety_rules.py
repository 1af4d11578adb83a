"""The safety rules on drives built from recorded outputs (no device is touched)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_field.errors import SafetyRefusal
from ecs_field.media.drives import safety
from ecs_field.media.drives.model import Drive, Partition
from tests.unit.media.test_drives_parsers import laptop, mac_drives

GB = 10**9


def stick(**changes: object) -> Drive:
    drive = Drive(path="/dev/sdx", size_bytes=32 * GB, vendor="SanDisk", model="Ultra", serial="S1",
                  bus="usb", removable=True, kind="usb", name="sdx")
    for key, value in changes.items():
        setattr(drive, key, value)
    return drive


def test_plain_stick_is_allowed() -> None:
    decision = safety.evaluate(stick(), 2 * GB, None)
    assert decision.allowed and decision.refusals == [] and decision.warnings == []


def test_laptop_verdicts() -> None:
    drives = list(laptop().values())
    safety.mark_by_mounts(drives)
    safety.apply_verdict(drives)
    by_name = {d.name: d for d in drives}
    nvme = by_name["nvme0n1"]
    assert nvme.system and not nvme.writable
    assert "holds / (the running system)" in nvme.protected and "holds active swap" in nvme.protected
    assert any("system drive" in r for r in nvme.reasons)
    assert any("LVM" in r for r in nvme.reasons)
    assert by_name["sda"].writable and not by_name["sda"].system
    backup = by_name["sdb"]
    assert backup.writable  # a USB disk: offered, mounts get unmounted, but...
    assert any("128 GB" in w for w in backup.warnings)  # ...1 TB is flagged
    assert any("unmounted" in w for w in backup.warnings)
    loop = by_name["loop3"]
    assert not loop.writable and "read-only" in " ".join(loop.reasons)


def test_system_drive_refused_even_with_override() -> None:
    drive = stick(path="/dev/nvme0n1", kind="internal", removable=False,
                  protected=["holds / (the running system)"])
    decision = safety.evaluate(drive, GB, None, allow_non_removable=True, confirm_device="/dev/nvme0n1")
    assert not decision.allowed and "system" in decision.codes


def test_internal_needs_override_and_exact_confirmation() -> None:
    drive = stick(path="/dev/sdb", kind="internal", removable=False)
    refused = safety.evaluate(drive, GB, None)
    assert refused.codes == ["internal"] and refused.needs_override
    assert "--confirm-device /dev/sdb" in refused.refusals[0]
    wrong = safety.evaluate(drive, GB, None, allow_non_removable=True, confirm_device="/dev/sdc")
    assert wrong.codes == ["not-confirmed"] and "'/dev/sdc'" in wrong.refusals[0]
    missing = safety.evaluate(drive, GB, None, allow_non_removable=True)
    assert missing.codes == ["not-confirmed"]
    ok = safety.evaluate(drive, GB, None, allow_non_removable=True, confirm_device=" /dev/sdb ")
    assert ok.allowed and any("confirmed /dev/sdb" in w for w in ok.warnings)


def test_internal_with_mounts_refused_even_with_override() -> None:
    drive = stick(path="/dev/sdb", kind="internal", removable=False,
                  partitions=[Partition("sdb1", "/dev/sdb1", GB, "ext4", "", ["/data"])])
    decision = safety.evaluate(drive, GB, None, allow_non_removable=True, confirm_device="/dev/sdb")
    assert not decision.allowed and decision.codes == ["mounted-internal"]
    assert "/data" in decision.refusals[0]


def test_loop_device_is_treated_like_internal() -> None:
    loop = stick(path="/dev/loop7", kind="loop", removable=False, bus="loop")
    assert safety.evaluate(loop, GB, None).codes == ["internal"]
    assert "a loop device" in safety.evaluate(loop, GB, None).refusals[0]
    assert safety.evaluate(loop, GB, None, allow_non_removable=True, confirm_device="/dev/loop7").allowed


def test_read_only_too_small_no_medium_holders() -> None:
    assert safety.evaluate(stick(read_only=True), GB, None).codes == ["read-only"]
    small = safety.evaluate(stick(size_bytes=GB), 2 * GB, None)
    assert small.codes == ["too-small"] and "1.0 GB" in small.refusals[0] and "2.0 GB" in small.refusals[0]
    assert safety.evaluate(stick(size_bytes=0), None, None).codes == ["no-medium"]
    assert safety.evaluate(stick(holders=["dm-3"]), GB, None).codes == ["in-use"]
    exact = safety.evaluate(stick(size_bytes=2 * GB), 2 * GB, None)
    assert exact.allowed


def test_every_reason_is_reported() -> None:
    drive = stick(read_only=True, size_bytes=GB, protected=["holds the home folder"])
    decision = safety.evaluate(drive, 2 * GB, None)
    assert decision.codes == ["system", "read-only", "too-small"]
    with pytest.raises(SafetyRefusal) as caught:
        safety.require_safe(drive, 2 * GB, None)
    message = str(caught.value)
    assert "/dev/sdx" in message and "SanDisk Ultra" in message
    assert "home folder" in message and "read-only" in message and "too small" in message
    assert caught.value.exit_code == 4


def test_large_drive_warning() -> None:
    decision = safety.evaluate(stick(size_bytes=256 * GB), GB, None)
    assert decision.allowed and any("128 GB" in w for w in decision.warnings)


def test_loop_backed_by_the_image_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "esxi.iso"
    image.write_bytes(b"x" * 4096)
    loop = stick(path="/dev/loop9", kind="loop", removable=False, backing_file=str(image))
    decision = safety.evaluate(loop, 4096, image, allow_non_removable=True, confirm_device="/dev/loop9")
    assert "holds-image" in decision.codes


def test_drive_mounted_where_the_image_lives_is_refused(tmp_path: Path) -> None:
    # The mount-point rule: the image's innermost mount point belongs to the drive.
    import psutil

    image = tmp_path / "esxi.iso"
    image.write_bytes(b"x")
    mounts = [p.mountpoint for p in psutil.disk_partitions(all=True)]
    innermost = max((m for m in mounts if str(image).startswith(m.rstrip("/") + "/")), key=len)
    root_stick = stick(mountpoints=[innermost])
    assert "holds-image" in safety.evaluate(root_stick, 1, image).codes


def test_mac_and_windows_system_disks() -> None:
    mac = list(mac_drives().values())
    safety.mark_by_mounts(mac)
    safety.apply_verdict(mac)
    by_name = {d.name: d for d in mac}
    assert by_name["disk0"].system and not by_name["disk0"].writable
    assert by_name["disk4"].writable and not by_name["disk5"].writable  # disk5 is locked (read-only)
    assert not by_name["disk6"].writable  # a mounted disk image


def test_confirm_accepts_display_path_on_macos() -> None:
    drive = stick(path="/dev/rdisk2", display_path="/dev/disk2", kind="internal", removable=False)
    assert safety.evaluate(drive, GB, None, allow_non_removable=True, confirm_device="/dev/disk2").allowed
    assert safety.evaluate(drive, GB, None, allow_non_removable=True, confirm_device="/dev/rdisk2").allowed
