"""Drive enumeration parsers on recorded outputs (Linux lsblk + udev, Windows Get-Disk, macOS diskutil).

The Windows and macOS fixtures used here are hand-written (tests/fixtures/drives/real/SOURCES.md says
why each stays); the same parsers on outputs published by others are in test_drives_real_outputs.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_field.errors import DeviceError
from ecs_field.media.drives import linux, macos, windows
from ecs_field.media.drives.model import Drive

SNAP = "/var/lib/snapd/snaps/core20_2318.snap"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "drives"


def udev_blocks(text: str) -> dict[str, dict[str, str]]:
    blocks: dict[str, dict[str, str]] = {}
    name = ""
    chunk: list[str] = []
    for line in text.splitlines():
        if line.startswith("== "):
            if name:
                blocks[name] = linux.parse_udev_properties("\n".join(chunk))
            name, chunk = line.strip("= ").strip(), []
        elif not line.startswith("#"):
            chunk.append(line)
    if name:
        blocks[name] = linux.parse_udev_properties("\n".join(chunk))
    return blocks


def laptop() -> dict[str, Drive]:
    udev = udev_blocks((FIXTURES / "udev_laptop.txt").read_text())
    sysfs = {"mmcblk0": {"mmc_type": "SD"}, "loop3": {"backing_file": SNAP}}
    drives = linux.parse_lsblk((FIXTURES / "lsblk_laptop.json").read_text(), udev, sysfs)
    return {d.name: d for d in drives}


def test_linux_laptop_lists_whole_disks_only() -> None:
    drives = laptop()
    # zram (swap in RAM), the optical drive and the empty card reader (size 0) are left out
    assert sorted(drives) == ["loop3", "mmcblk0", "nvme0n1", "sda", "sdb"]


def test_linux_usb_stick_facts() -> None:
    stick = laptop()["sda"]
    assert stick.path == "/dev/sda"
    assert stick.size_bytes == 30752636928
    assert (stick.vendor, stick.model, stick.serial) == ("SanDisk", "Ultra", "4C530001230817105404")
    assert (stick.kind, stick.bus, stick.removable, stick.read_only) == ("usb", "usb", True, False)
    assert stick.offered_by_default
    assert [(p.path, p.fstype, p.label) for p in stick.partitions] == [("/dev/sda1", "vfat", "ESXI")]
    assert stick.all_mountpoints() == []


def test_linux_mounted_usb_disk_not_removable_but_usb() -> None:
    disk = laptop()["sdb"]
    assert (disk.kind, disk.removable) == ("usb", False)
    assert disk.offered_by_default  # USB counts, even when the RM flag is off
    assert disk.all_mountpoints() == ["/media/tech/Backup"]
    assert disk.partitions[0].mountpoints == ["/media/tech/Backup"]


def test_linux_sd_card_in_builtin_reader() -> None:
    card = laptop()["mmcblk0"]
    assert (card.kind, card.bus) == ("sd", "sd")
    assert card.offered_by_default


def test_linux_emmc_is_internal() -> None:
    text = (FIXTURES / "lsblk_laptop.json").read_text()
    drives = {d.name: d for d in linux.parse_lsblk(text, {}, {"mmcblk0": {"mmc_type": "MMC"}})}
    assert drives["mmcblk0"].kind == "internal"
    assert not drives["mmcblk0"].offered_by_default


def test_linux_nvme_system_disk_tree() -> None:
    nvme = laptop()["nvme0n1"]
    assert (nvme.kind, nvme.bus, nvme.removable) == ("internal", "nvme", False)
    # mounts inside LUKS + LVM count for the whole disk
    assert set(nvme.all_mountpoints()) == {"/boot/efi", "/", "[SWAP]"}
    assert nvme.holders == ["nvme0n1p2_crypt", "vg-root", "vg-swap"]
    assert [p.name for p in nvme.partitions] == ["nvme0n1p1", "nvme0n1p2"]


def test_linux_loop_device() -> None:
    loop = laptop()["loop3"]
    assert (loop.kind, loop.read_only, loop.backing_file) == ("loop", True, SNAP)
    assert not loop.offered_by_default


def test_linux_old_lsblk_mountpoint_column_and_string_flags() -> None:
    text = ('{"blockdevices": [{"name": "sdb", "size": "16008609792", "type": "disk", "rm": "1", "ro": "0", '
            '"tran": "usb", "model": "DataTraveler 3.0", "mountpoint": "/media/usb"}]}')
    (drive,) = linux.parse_lsblk(text)
    assert drive.path == "/dev/sdb" and drive.removable and not drive.read_only
    assert drive.size_bytes == 16008609792 and drive.mountpoints == ["/media/usb"]


def test_linux_garbage_is_a_device_error() -> None:
    with pytest.raises(DeviceError, match="lsblk"):
        linux.parse_lsblk("lsblk: unknown column")


def test_windows_storage() -> None:
    drives = {d.name: d for d in windows.parse_storage_json((FIXTURES / "windows_storage.json").read_text())}
    system = drives["0"]
    assert system.path == "\\\\.\\PHYSICALDRIVE0"
    assert system.kind == "internal" and system.bus == "nvme"
    assert len(system.protected) == 2  # IsSystem and IsBoot
    assert system.all_mountpoints() == ["C:\\"]
    stick = drives["1"]
    assert (stick.kind, stick.removable, stick.serial) == ("usb", True, "4C530001230817105404")
    assert stick.partitions[0].fstype == "FAT32" and stick.partitions[0].label == "ESXI"
    assert stick.mountpoints == ["E:\\"]
    assert drives["2"].bus == "usb" and drives["2"].partitions == []  # BusType as a number
    card = drives["3"]
    assert (card.kind, card.read_only, card.serial) == ("sd", True, "")
    assert card.mountpoints == ["F:\\"]  # DriveLetter as a character code
    vhd = drives["4"]
    assert vhd.kind == "virtual" and vhd.mountpoints == ["D:\\Mounts\\vhd\\"]
    assert vhd.partitions[0].label == "Scratch"


def test_windows_single_objects_are_lists() -> None:
    (stick,) = windows.parse_storage_json((FIXTURES / "windows_single.json").read_text())
    assert stick.path == "\\\\.\\PHYSICALDRIVE1" and stick.kind == "usb"
    assert stick.mountpoints == ["G:\\"] and stick.partitions[0].label == "KINGSTON"


def test_windows_not_json() -> None:
    with pytest.raises(DeviceError, match="not JSON"):
        windows.parse_storage_json("Get-Disk : Access denied")


def mac_drives() -> dict[str, Drive]:
    infos = {name: (FIXTURES / f"macos_info_{name}.plist").read_bytes()
             for name in ("disk0", "disk3", "disk4", "disk5", "disk6")}
    drives = macos.parse_diskutil((FIXTURES / "macos_diskutil_list.plist").read_bytes(), infos)
    return {d.name: d for d in drives}


def test_macos_diskutil() -> None:
    drives = mac_drives()
    assert sorted(drives) == ["disk0", "disk4", "disk5", "disk6"]  # the APFS container is not a device
    internal = drives["disk0"]
    assert internal.kind == "internal" and not internal.offered_by_default
    # "/" lives on the APFS container disk3 whose physical store is disk0s2
    assert "/" in internal.mountpoints and "/System/Volumes/Data" in internal.mountpoints
    stick = drives["disk4"]
    assert stick.path == "/dev/rdisk4" and stick.display_path == "/dev/disk4"
    assert (stick.kind, stick.removable, stick.model) == ("usb", True, "SanDisk Ultra")
    assert stick.mountpoints == ["/Volumes/ESXI"]
    card = drives["disk5"]
    assert (card.kind, card.read_only, card.removable) == ("sd", True, True)
    assert drives["disk6"].kind == "virtual"


def test_macos_bad_plist() -> None:
    with pytest.raises(DeviceError, match="diskutil"):
        macos.parse_diskutil(b"not a plist", {})
