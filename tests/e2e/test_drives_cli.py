"""`ecs-field drives` against this machine's real drives plus loop devices made here; hot-plug watcher."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ecs_field.media.drives import DriveWatcher, PollingWatcher
from tests.clirun import run_cli
from tests.conftest import needs_root
from tests.e2e.test_safety_loop import MiB
from tests.e2e.write_devices import attached_loop

CONTRACT = ["path", "size_bytes", "vendor", "model", "serial", "bus", "removable", "read_only", "system",
            "mountpoints", "writable", "reasons"]


def test_drives_json_contract_on_this_machine() -> None:
    done = run_cli("drives", "--all", "--json")
    assert done.returncode == 0, done.stderr
    drives = json.loads(done.stdout)
    assert isinstance(drives, list)
    for drive in drives:
        assert list(drive)[: len(CONTRACT)] == CONTRACT
        assert isinstance(drive["size_bytes"], int) and drive["size_bytes"] > 0
        assert drive["writable"] == (not drive["reasons"])
        if drive["system"]:
            assert not drive["writable"]


@needs_root
def test_loop_device_only_with_all(tmp_path: Path) -> None:
    with attached_loop(tmp_path / "stick.bin", 8 * MiB) as device:
        shown = json.loads(run_cli("drives", "--json").stdout)
        assert device not in [d["path"] for d in shown]
        everything = json.loads(run_cli("drives", "--all", "--json").stdout)
        (entry,) = [d for d in everything if d["path"] == device]
        assert entry["kind"] == "loop" and entry["bus"] == "loop"
        assert entry["size_bytes"] == 8 * MiB and entry["removable"] is False
        assert entry["writable"] is False and entry["system"] is False
        assert entry["reasons"] == [f"a loop device, not a removable or USB drive: to write it anyway, "
                                    f"use --allow-non-removable --confirm-device {device}"]
        human = run_cli("drives", "--all")
        assert human.returncode == 0
        line = next(ln for ln in human.stdout.splitlines() if ln.startswith(device))
        assert "8.4 MB" in line and "OVERRIDE" in line
        assert "--confirm-device" in human.stdout


@needs_root
def test_system_disk_shown_as_system_in_table() -> None:
    done = run_cli("drives", "--all")
    root = subprocess.run(["findmnt", "-n", "-o", "SOURCE", "/"], capture_output=True,
                          text=True).stdout.strip()
    if not root.startswith("/dev/"):
        pytest.skip(f"/ is on {root or 'nothing'}, not a device")
    assert "SYSTEM" in done.stdout and "system drive" in done.stdout


@needs_root
def test_watcher_sees_a_loop_device_come_and_go(tmp_path: Path) -> None:
    seen = threading.Event()
    watcher = DriveWatcher(seen.set)
    watcher.start()
    try:
        with attached_loop(tmp_path / "hotplug.bin", 4 * MiB):
            assert seen.wait(10), f"no event from {watcher.mechanism}"
            seen.clear()
        assert seen.wait(10), "no event when the device went away"
    finally:
        watcher.stop()
    assert watcher.mechanism == "stopped"


@needs_root
def test_polling_watcher(tmp_path: Path) -> None:
    from ecs_field.media.drives import linux

    seen = threading.Event()
    watcher = PollingWatcher(seen.set, interval_s=0.2, lister=linux.list_all)
    watcher.start()
    try:
        with attached_loop(tmp_path / "poll.bin", 4 * MiB):
            assert seen.wait(10)
    finally:
        watcher.stop()


@needs_root
def test_partitioned_loop_device_reports_partitions_and_mounts(tmp_path: Path) -> None:
    from ecs_field.media.drives import find_drive, safety
    from tests.e2e.test_safety_loop import mounted

    backing = tmp_path / "parted.bin"
    with open(backing, "wb") as handle:
        handle.truncate(32 * MiB)
    # an MBR with two partitions: 16 MiB Linux at 1 MiB, then FAT32 to the end (sfdisk may be missing)
    table = bytearray(512)
    for index, (start, count, kind) in enumerate([(2048, 32768, 0x83), (34816, 65536 - 34816, 0x0C)]):
        table[446 + 16 * index: 462 + 16 * index] = bytes([0, 0, 0, 0, kind, 0, 0, 0]) + \
            start.to_bytes(4, "little") + count.to_bytes(4, "little")
    table[510:512] = b"\x55\xaa"
    with open(backing, "r+b") as handle:
        handle.write(table)
    device = subprocess.run(["losetup", "--find", "--show", "--partscan", str(backing)], check=True,
                            capture_output=True, text=True).stdout.strip()
    assert device.startswith("/dev/loop")
    try:
        name = device.rsplit("/", 1)[-1]
        partition = Path(f"/sys/block/{name}/{name}p1")
        for _ in range(10):
            if partition.exists() and Path(f"{device}p1").exists():
                break
            time.sleep(0.1)
        else:
            pytest.skip("this kernel does not scan partition tables on loop devices")
        with mounted(f"{device}p1", tmp_path / "p1") as mnt:
            drive = find_drive(device)
            assert drive is not None
            assert [p.path for p in drive.partitions] == [f"{device}p1", f"{device}p2"]
            assert drive.partitions[0].mountpoints == [str(mnt)]
            assert drive.all_mountpoints() == [str(mnt)]
            decision = safety.evaluate(drive, MiB, None, allow_non_removable=True, confirm_device=device)
            assert decision.codes == ["mounted-internal"]
            with pytest.raises(safety.SafetyRefusal, match="in use"):
                safety.open_exclusive(device)  # a mounted partition holds the whole disk
    finally:
        subprocess.run(["losetup", "-d", device], capture_output=True, check=False)
