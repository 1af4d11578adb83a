"""macOS drive enumeration through diskutil's property lists.

Why diskutil and not DiskArbitration through ctypes: diskutil ships with every macOS, its
``-plist`` output is the documented machine format and ``plistlib`` reads it; DiskArbitration
from Python needs PyObjC. ``diskutil list -plist`` gives the tree and mount points, ``diskutil
info -plist diskN`` per whole disk gives bus and removability. The writer opens ``/dev/rdiskN``
(the raw, unbuffered node), which is many times faster than ``/dev/diskN``. APFS puts "/" on a
synthesised container disk; its mounts are credited to the physical disk behind it, so that
disk is recognised as the system disk. The parsers are pure and tested on plists published
by others (tests/fixtures/drives/real/SOURCES.md).
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


def _load(data: bytes | str, what: str) -> dict[str, Any]:
    raw = data.encode("utf-8", errors="replace") if isinstance(data, str) else data
    # A pasted or captured plist may start with a blank line or a BOM; plistlib refuses both.
    raw = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    try:
        document = plistlib.loads(raw)
    except Exception as exc:  # plistlib raises several unrelated types for bad input
        raise DeviceError(f"diskutil printed an unreadable property list for {what} ({str(exc)[:200]})",
                          "Run 'diskutil list' in Terminal to check the disks answer.") from exc
    if not isinstance(document, dict):
        raise DeviceError(f"diskutil's answer for {what} is not a dictionary", None)
    return document


def _whole_disk(identifier: str) -> str:
    # disk4s1 -> disk4; disk3s1s1 -> disk3
    head, sep, _ = identifier[4:].partition("s")
    return f"disk{head}" if identifier.startswith("disk") and sep else identifier


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    text = _text(value)
    return int(text) if text.isdigit() and len(text) < 20 else 0


# BusProtocol values of the machine's own disks: "Apple Fabric" (Apple silicon), "PCI-Express" and
# "PCI" (NVMe on Intel Macs), "SATA". An external disk on these buses (Thunderbolt enclosures
# report PCI-Express) says Internal false.
def _kind(info: Mapping[str, Any]) -> tuple[str, str]:
    bus = _text(info.get("BusProtocol"))
    key = bus.lower()
    if not info:
        return KIND_UNKNOWN, ""  # no diskutil info: nothing says what it is
    if info.get("VirtualOrPhysical") == "Virtual" or key == "disk image":
        return KIND_VIRTUAL, key
    if key == "usb":
        return KIND_USB, "usb"
    if key in ("secure digital", "sd"):
        return KIND_SD, "sd"
    if info.get("Internal") is True:
        return KIND_INTERNAL, key
    # Internal false or missing on another bus (Thunderbolt, FireWire, external PCIe): not the
    # machine's own disk, but not a stick either.
    return KIND_UNKNOWN, key


# Keys of a partition's or volume's info that describe that slice, not its disk: a sealed APFS
# system snapshot says WritableMedia false, which is not true of the SSD behind it.
_PARTITION_ONLY = ("TotalSize", "Size", "MediaName", "IORegistryEntryName", "Writable", "WritableMedia",
                   "WritableVolume")


def _infos_by_whole_disk(infos: Mapping[str, bytes | str]) -> dict[str, dict[str, Any]]:
    by_disk: dict[str, dict[str, Any]] = {}
    partial: dict[str, dict[str, Any]] = {}
    for identifier, data in infos.items():
        info = _load(data, str(identifier))
        own = _text(info.get("DeviceIdentifier")) or str(identifier)
        parent = _text(info.get("ParentWholeDisk")) or _whole_disk(own)
        if own == parent or info.get("WholeDisk") is True:
            by_disk[own] = info
        else:
            # A partition's info carries its disk's bus and location: use it when the disk's own
            # info is missing (its size and media name are the partition's, so not those).
            shared = {k: v for k, v in info.items() if k not in _PARTITION_ONLY}
            partial.setdefault(parent, shared)
            # An APFS volume's parent is its synthesised container; the bus is the physical
            # store's, so the disk behind the store gets it too.
            for store in _dicts(info.get("APFSPhysicalStores")):
                name = _text(store.get("APFSPhysicalStore")) or _text(store.get("DeviceIdentifier"))
                if name:
                    partial.setdefault(_whole_disk(name), shared)
    for disk, info in partial.items():
        by_disk.setdefault(disk, info)
    return by_disk


def parse_diskutil(list_plist: bytes | str, infos: Mapping[str, bytes | str]) -> list[Drive]:
    """Drives from ``diskutil list -plist`` and ``diskutil info -plist`` per whole disk.

    A disk without an info plist is listed with kind "unknown" (never "internal" by default):
    the listing alone does not say whether it is the machine's own disk or a stick.
    """
    listing = _load(list_plist, "diskutil list")
    entries = _dicts(listing.get("AllDisksAndPartitions"))
    info_by_disk = _infos_by_whole_disk(infos)
    mounts_by_disk: dict[str, list[str]] = {}
    for entry in entries:
        # An APFS container's volumes live on its physical store(s): credit their mounts there.
        stores = [_whole_disk(_text(s.get("DeviceIdentifier")) or _text(s.get("APFSPhysicalStore")))
                  for s in _dicts(entry.get("APFSPhysicalStores"))]
        owners = stores or [_text(entry.get("DeviceIdentifier"))]
        mounts = [_text(entry.get("MountPoint"))] if _text(entry.get("MountPoint")) else []
        for child in [*_dicts(entry.get("Partitions")), *_dicts(entry.get("APFSVolumes"))]:
            if _text(child.get("MountPoint")):
                mounts.append(_text(child.get("MountPoint")))
            for volume in _dicts(child.get("APFSVolumes")):
                if _text(volume.get("MountPoint")):
                    mounts.append(_text(volume.get("MountPoint")))
        for owner in owners:
            mounts_by_disk.setdefault(owner, []).extend(mounts)

    drives: list[Drive] = []
    for entry in entries:
        identifier = _text(entry.get("DeviceIdentifier"))
        if not identifier or entry.get("APFSPhysicalStores"):
            continue  # synthesised container: not a device anyone writes to
        info = info_by_disk.get(identifier, {})
        kind, bus = _kind(info)
        size = _int(info.get("TotalSize")) or _int(info.get("Size")) or _int(entry.get("Size"))
        if size <= 0:
            continue
        partitions = [
            Partition(
                name=_text(part.get("DeviceIdentifier")),
                path=f"/dev/{_text(part.get('DeviceIdentifier'))}",
                size=_int(part.get("Size")),
                fstype=_text(part.get("Content")),
                label=_text(part.get("VolumeName")),
                mountpoints=[_text(part.get("MountPoint"))] if _text(part.get("MountPoint")) else [],
            )
            for part in _dicts(entry.get("Partitions"))
        ]
        writable = info.get("WritableMedia", info.get("Writable", True))
        drive = Drive(
            path=f"/dev/r{identifier}",
            size_bytes=size,
            vendor="",
            model=_text(info.get("MediaName")) or _text(info.get("IORegistryEntryName")),
            serial="",  # diskutil does not report serial numbers; ioreg would, at a cost
            bus=bus,
            # The built-in SD slot says Internal but RemovableMedia: the medium is what counts.
            removable=info.get("RemovableMedia") is True or info.get("Removable") is True,
            read_only=writable is False,
            mountpoints=list(dict.fromkeys(mounts_by_disk.get(identifier, []))),
            partitions=partitions,
            kind=kind,
            name=identifier,
            display_path=f"/dev/{identifier}",
        )
        if not info:
            drive.warnings.append(f"diskutil info for {identifier} is missing: bus and location not checked "
                                  f"(run 'diskutil info {identifier}' to check)")
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
