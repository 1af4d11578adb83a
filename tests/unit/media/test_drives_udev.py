"""The udev facts of every disk, gathered with the udevadm processes running side by side, are the
ones udevadm gives for each disk alone (this machine's real disks; loop devices are added when root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_field.media.drives import linux

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("udevadm") is None or shutil.which("lsblk") is None,
    reason="needs Linux with lsblk and udevadm",
)


def _disks() -> list[str]:
    command = ["lsblk", "--json", "--nodeps", "--output", "KNAME"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return [d["kname"] for d in json.loads(done.stdout)["blockdevices"]]


def _alone(name: str) -> dict[str, str]:
    done = subprocess.run(
        ["udevadm", "info", "--query=property", f"--name=/dev/{name}"], capture_output=True, text=True
    )
    return linux.parse_udev_properties(done.stdout) if done.returncode == 0 else {}


def test_side_by_side_equals_one_by_one() -> None:
    names = _disks()
    assert names  # every machine that runs this has a disk
    together = linux._udev_properties_of(names)
    assert set(together) == set(names)
    for name in names:
        assert together[name] == _alone(name), name
    assert any(together.values())  # udev knows at least one disk here


def test_a_name_udev_does_not_know_gives_no_facts_and_no_error() -> None:
    together = linux._udev_properties_of(["no-such-disk-xyz", *_disks()[:1]])
    assert together["no-such-disk-xyz"] == {}


@pytest.mark.skipif(os.geteuid() != 0, reason="loop devices need root")
def test_listing_keeps_udev_facts_of_a_loop_device(tmp_path: Path) -> None:
    backing = tmp_path / "disk.img"
    backing.write_bytes(b"\0" * (8 << 20))
    loop = subprocess.run(["losetup", "-f", "--show", str(backing)], capture_output=True, text=True)
    if loop.returncode != 0:
        pytest.skip("no free loop device")
    device = loop.stdout.strip()
    try:
        drives = {d.path: d for d in linux.list_all()}
        assert device in drives and drives[device].kind == "loop"
        name = device.removeprefix("/dev/")
        assert linux._udev_properties_of([name])[name] == _alone(name)
    finally:
        subprocess.run(["losetup", "-d", device], check=False)
