"""Drive model, look-ups by other names, which disk holds a path, and the verdict on this machine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecs_field.media.drives import _is_under, _same_device, devices_holding, list_all_drives, list_drives
from ecs_field.media.drives.model import Drive, Partition, human_size

CONTRACT = ["path", "size_bytes", "vendor", "model", "serial", "bus", "removable", "read_only", "system",
            "mountpoints", "writable", "reasons"]


def test_to_dict_contract_and_extras() -> None:
    drive = Drive(path="/dev/sdb", size_bytes=32 * 10**9, vendor="SanDisk", model="Ultra", kind="usb",
                  partitions=[Partition("sdb1", "/dev/sdb1", 10**9, "vfat", "ESXI", ["/media/ESXI"])])
    document = drive.to_dict()
    assert list(document)[: len(CONTRACT)] == CONTRACT
    assert document["partitions"][0] == {"name": "sdb1", "path": "/dev/sdb1", "size": 10**9, "fstype": "vfat",
                                         "label": "ESXI", "mountpoints": ["/media/ESXI"]}
    assert document["kind"] == "usb" and document["display_path"] == "/dev/sdb"
    assert drive.all_mountpoints() == ["/media/ESXI"]


def test_labels() -> None:
    assert Drive(path="/dev/sdb", size_bytes=1, vendor="SanDisk", model="Ultra").label == "SanDisk Ultra"
    assert Drive(path="/dev/loop3", size_bytes=1, kind="loop", backing_file="/srv/a/stick.bin").label == \
        "Loop device (stick.bin)"
    assert Drive(path="/dev/vda", size_bytes=1, bus="virtio").label == "virtio disk"


@pytest.mark.parametrize(("size", "text"), [(0, "0 B"), (999, "999 B"), (8 * 1024 * 1024, "8.4 MB"),
                                            (30_752_636_928, "30.8 GB"), (512_110_190_592, "512 GB"),
                                            (4 * 10**12, "4.0 TB")])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_same_device_names() -> None:
    mac = Drive(path="/dev/rdisk4", display_path="/dev/disk4", size_bytes=1)
    assert _same_device(mac, "/dev/disk4") and _same_device(mac, "/dev/rdisk4")
    assert not _same_device(mac, "/dev/disk41")
    win = Drive(path="\\\\.\\PHYSICALDRIVE2", size_bytes=1)
    assert _same_device(win, "\\\\.\\PhysicalDrive2") and not _same_device(win, "\\\\.\\PhysicalDrive12")


def test_is_under() -> None:
    assert _is_under("/media/usb/esxi.iso", "/media/usb")
    assert _is_under("/media/usb", "/media/usb/")
    assert not _is_under("/media/usb2/esxi.iso", "/media/usb")
    assert _is_under("/anything", "/")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux sysfs")
def test_this_machines_drives_carry_a_verdict(tmp_path: Path) -> None:
    drives = list_all_drives()
    for drive in drives:
        assert drive.writable == (not drive.reasons)
        assert not (drive.system and drive.writable)
    offered = list_drives()
    assert all(d.offered_by_default for d in offered)
    # the disk under this test's folder (when it is a listed disk) is protected: it holds the home/app
    holding = devices_holding(tmp_path, drives)
    for drive in drives:
        if drive.path in holding and drive.path in devices_holding(Path(sys.executable), drives):
            assert drive.system
