"""macOS drive enumeration through diskutil's property lists.

Why diskutil and not DiskArbitration through ctypes: diskutil ships with every macOS, its
``-plist`` output is the documented machine format and ``plistlib`` reads it; DiskArbitration
from Python needs PyObjC. ``diskutil list -plist`` gives the tree and mount points, ``diskutil
info -plist diskN`` per whole disk gives bus and removability. The writer opens ``/dev/rdiskN``
(the raw, unbuffered node), which is many times faster than ``/dev/diskN``. APFS puts "/" on a
synthesised container disk; its mounts are credited to the physical disk behind it, so that
disk is recognised as the system disk. The parsers are pure and tested on recorded plists.
"""

from __future__ import annotations

import plistlib
import subprocess
from collections.abc import Mapping
from typing import Any

from ecs_field.errors import DeviceError
from ecs_field.media.drives.model import (
    KIND_INTERNAL,
    KIND_SD,
    KIND_UNKNOWN,
    KIND_USB,
    KIND_VIRTUAL,
    Drive,
    Partition,
)


def _load(data: bytes, what: str) -> dict[str, Any]:
    try:
        document = plistlib.loads(data)
    except Exception as exc:  # plistlib raises several unrelated types for bad input
        raise DeviceError(f"diskutil printed an unreadable property list for {what} ({exc})",
                          "Run 'diskutil list' in Terminal to check the disks answer.") from exc
    if not isinstance(document, dict):
        raise DeviceError(f"diskutil's answer for {what} is not a dictionary", None)
    return document


def _whole_disk(identifier: str) -> str:
    # disk4s1 -> disk4; disk3s1s1 -> disk3
    head, sep, _ = identifier[4:].partition("s")
    return f"disk{head}" if identifier.startswith("disk") and sep else identifier


def _kind(info: Mapping[str, Any]) -> tuple[str, str]:
    bus = str(info.get("BusProtocol") or "")
    key = bus.lower()
    if info.get("VirtualOrPhysical") == "Virtual" or key == "disk image":
        return KIND_VIRTUAL, key
    if key == "usb":
        return KIND_USB, "usb"
    if key in ("secure digital", "sd"):
        return KIND_SD, "sd"
    if info.get("Internal") is False and (info.get("Removable") or info.get("RemovableMedia")):
        return KIND_UNKNOWN, key
    return KIND_INTERNAL, key


def parse_diskutil(list_plist: bytes, infos: Mapping[str, bytes]) -> list[Drive]:
    """Drives from ``diskutil list -plist`` and ``diskutil info -plist`` per whole disk."""
    listing = _load(list_plist, "diskutil list")
    entries = listing.get("AllDisksAndPartitions") or []
    mounts_by_disk: dict[str, list[str]] = {}
    for entry in entries:
        # An APFS container's volumes live on its physical store(s): credit their mounts there.
        stores = [_whole_disk(str(s.get("DeviceIdentifier", "")))
                  for s in entry.get("APFSPhysicalStores") or []]
        owners = stores or [str(entry.get("DeviceIdentifier", ""))]
        mounts = [str(entry["MountPoint"])] if entry.get("MountPoint") else []
        for child in [*(entry.get("Partitions") or []), *(entry.get("APFSVolumes") or [])]:
            if child.get("MountPoint"):
                mounts.append(str(child["MountPoint"]))
            for volume in child.get("APFSVolumes") or []:
                if volume.get("MountPoint"):
                    mounts.append(str(volume["MountPoint"]))
        for owner in owners:
            mounts_by_disk.setdefault(owner, []).extend(mounts)

    drives: list[Drive] = []
    for entry in entries:
        identifier = str(entry.get("DeviceIdentifier", ""))
        if entry.get("APFSPhysicalStores"):
            continue  # synthesised container: not a device anyone writes to
        info = _load(infos[identifier], identifier) if identifier in infos else {}
        kind, bus = _kind(info)
        size = int(info.get("TotalSize") or info.get("Size") or entry.get("Size") or 0)
        if size <= 0:
            continue
        partitions = [
            Partition(
                name=str(part.get("DeviceIdentifier", "")),
                path=f"/dev/{part.get('DeviceIdentifier', '')}",
                size=int(part.get("Size") or 0),
                fstype=str(part.get("Content") or ""),
                label=str(part.get("VolumeName") or ""),
                mountpoints=[str(part["MountPoint"])] if part.get("MountPoint") else [],
            )
            for part in entry.get("Partitions") or []
        ]
        writable = info.get("WritableMedia", info.get("Writable", True))
        drive = Drive(
            path=f"/dev/r{identifier}",
            size_bytes=size,
            vendor="",
            model=str(info.get("MediaName") or info.get("IORegistryEntryName") or "").strip(),
            serial="",  # diskutil does not report serial numbers; ioreg would, at a cost
            bus=bus,
            # The built-in SD slot says Internal but RemovableMedia: the medium is what counts.
            removable=bool(info.get("RemovableMedia") or info.get("Removable")),
            read_only=not bool(writable),
            mountpoints=list(dict.fromkeys(mounts_by_disk.get(identifier, []))),
            partitions=partitions,
            kind=kind,
            name=identifier,
            display_path=f"/dev/{identifier}",
        )
        drives.append(drive)
    return drives


def _run(args: list[str]) -> bytes:  # pragma: no cover - needs macOS
    try:
        done = subprocess.run(args, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeviceError(f"{' '.join(args)} failed ({exc})",
                          "Check that diskutil works in Terminal.") from exc
    if done.returncode != 0:
        raise DeviceError(f"{' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}", None)
    return done.stdout


def list_all() -> list[Drive]:  # pragma: no cover - needs macOS
    listing = _run(["diskutil", "list", "-plist"])
    whole = _load(listing, "diskutil list").get("WholeDisks") or []
    infos = {str(name): _run(["diskutil", "info", "-plist", str(name)]) for name in whole}
    return parse_diskutil(listing, infos)


def unmount_disk(identifier: str) -> list[str]:  # pragma: no cover - needs macOS
    done = subprocess.run(["diskutil", "unmountDisk", f"/dev/{identifier}"],
                          capture_output=True, text=True, timeout=60, check=False)
    if done.returncode == 0:
        return []
    return [f"/dev/{identifier}: {done.stderr.strip() or done.stdout.strip()}"]
