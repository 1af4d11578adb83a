"""Stacked devices on drives built in memory: a device inherits the refusals of what it writes through to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecs_field.media.drives import safety
from ecs_field.media.drives.model import Drive, Partition

MiB = 1024 * 1024
GB = 10**9


def loop(name: str, **changes: object) -> Drive:
    drive = Drive(path=f"/dev/{name}", size_bytes=64 * MiB, bus="loop", kind="loop", name=name)
    for key, value in changes.items():
        setattr(drive, key, value)
    return drive


def usb(**changes: object) -> Drive:
    drive = Drive(path="/dev/sdb", size_bytes=32 * GB, vendor="SanDisk", model="Ultra", serial="S1",
                  bus="usb", removable=True, kind="usb", name="sdb")
    for key, value in changes.items():
        setattr(drive, key, value)
    return drive


def test_a_stacked_device_inherits_system_and_mounts_and_codes_stay_the_same() -> None:
    system = Drive(path="/dev/nvme0n1", size_bytes=512 * GB, bus="nvme", kind="internal", name="nvme0n1",
                   protected=["holds / (the running system)"], mountpoints=["/"])
    upper = loop("loop10", backing_file="/dev/nvme0n1", stacked_on=["/dev/nvme0n1"])
    drives = [system, upper]
    safety.link_stacked(drives)
    safety.apply_verdict(drives)
    assert upper.backing_drives == [system] and system.stacked_by == ["/dev/loop10"]
    assert upper.system and not upper.writable
    decision = safety.evaluate(upper, MiB, None, allow_non_removable=True, confirm_device="/dev/loop10")
    assert {"system", "mounted-internal"} <= set(decision.codes)
    assert all("/dev/nvme0n1" in r for r in decision.refusals)
    # the system disk itself is also refused for the stack built on it
    assert "stacked" in safety.evaluate(system, MiB, None).codes


def test_a_removable_lower_device_with_mounts_refuses_the_stack_but_not_itself() -> None:
    stick = usb(partitions=[Partition("sdb1", "/dev/sdb1", 32 * GB, "vfat", "", ["/media/stick"])])
    upper = loop("loop3", stacked_on=["/dev/sdb"])
    safety.link_stacked([stick, upper])
    decision = safety.evaluate(upper, MiB, None, allow_non_removable=True, confirm_device="/dev/loop3")
    assert decision.codes == ["lower-mounted"]
    assert "/media/stick" in decision.refusals[0] and "write /dev/sdb itself" in decision.refusals[0]


def test_an_unmounted_lower_drive_needs_only_the_override_of_the_stacked_device() -> None:
    lower = loop("loop9", backing_file="/tmp/stick.bin")
    upper = loop("loop10", backing_file="/dev/loop9", stacked_on=["/dev/loop9"])
    safety.link_stacked([lower, upper])
    assert safety.evaluate(upper, MiB, None).codes == ["internal"]
    assert safety.evaluate(upper, MiB, None, allow_non_removable=True, confirm_device="/dev/loop10").allowed
    # ...and a read-only or image-holding lower device is inherited
    lower.read_only = True
    assert "read-only" in safety.evaluate(upper, MiB, None).codes


def test_the_image_file_on_a_lower_device_is_inherited(tmp_path: Path) -> None:
    image = tmp_path / "esxi.iso"
    image.write_bytes(b"x")
    lower = loop("loop9", backing_file=str(image))  # the lower device is the image itself
    upper = loop("loop10", stacked_on=["/dev/loop9"])
    safety.link_stacked([lower, upper])
    decision = safety.evaluate(upper, MiB, image, allow_non_removable=True, confirm_device="/dev/loop10")
    assert decision.codes == ["holds-image"]


def test_a_lower_device_the_app_cannot_see_is_never_written() -> None:
    upper = loop("loop4", stacked_on=["/dev/sr0"])
    safety.link_stacked([upper])
    decision = safety.evaluate(upper, MiB, None, allow_non_removable=True, confirm_device="/dev/loop4")
    assert decision.codes == ["stacked-unknown"] and "/dev/sr0" in decision.refusals[0]


def test_json_names_the_stack_without_nesting_drives() -> None:
    lower = loop("loop9")
    upper = loop("loop10", stacked_on=["/dev/loop9"])
    safety.link_stacked([lower, upper])
    document = upper.to_dict()
    assert document["stacked_on"] == ["/dev/loop9"] and "backing_drives" not in document
    assert lower.to_dict()["stacked_by"] == ["/dev/loop10"]
    json.dumps(document)
    assert upper.backing_drives == [lower]  # to_dict leaves the drive as it was


def _fake_sysfs(root: Path) -> tuple[Path, Path]:
    """/sys/class/block and /sys/dev/block for: sda (sda1, sda2), sdb, dm-0 over sda2, md0 over sda1 + sdb,
    dm-1 over md0 (as LVM on RAID would be)."""
    devices = root / "devices"
    disks = {"sda": devices / "pci0000:00" / "block" / "sda", "sdb": devices / "pci0000:00" / "block" / "sdb"}
    for disk in disks.values():
        disk.mkdir(parents=True)
    parts = {"sda1": disks["sda"] / "sda1", "sda2": disks["sda"] / "sda2"}
    for part in parts.values():
        part.mkdir()
        (part / "partition").write_text("1\n")
    virtual = {name: devices / "virtual" / "block" / name for name in ("dm-0", "md0", "dm-1")}
    for node in virtual.values():
        (node / "slaves").mkdir(parents=True)
    (virtual["dm-0"] / "slaves" / "sda2").symlink_to(parts["sda2"])
    (virtual["md0"] / "slaves" / "sda1").symlink_to(parts["sda1"])
    (virtual["md0"] / "slaves" / "sdb").symlink_to(disks["sdb"])
    (virtual["dm-1"] / "slaves" / "md0").symlink_to(virtual["md0"])
    class_block = root / "class" / "block"
    class_block.mkdir(parents=True)
    for name, node in {**disks, **parts, **virtual}.items():
        (class_block / name).symlink_to(node)
    dev_block = root / "dev" / "block"
    dev_block.mkdir(parents=True)
    return class_block, dev_block


def test_device_mapper_and_md_members_are_followed_level_by_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecs_field.media.drives import linux

    class_block, dev_block = _fake_sysfs(tmp_path)
    monkeypatch.setattr(linux, "SYS_CLASS_BLOCK", class_block)
    monkeypatch.setattr(linux, "SYS_DEV_BLOCK", dev_block)
    assert linux.stacked_on("dm-0") == ["/dev/sda"]  # a partition counts as its whole disk
    assert linux.stacked_on("md0") == ["/dev/sda", "/dev/sdb"]
    assert linux.stacked_on("dm-1") == ["/dev/md0", "/dev/sda", "/dev/sdb"]  # every level down
    assert linux.stacked_on("sdb") == [] and linux.stacked_on("nvme9n1") == []
