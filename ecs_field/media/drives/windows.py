"""Windows drive enumeration through the Storage Management cmdlets (Get-Disk, Get-Partition, Get-Volume).

Why PowerShell and not WMI through a Python binding: the cmdlets ship with every Windows 8+,
their objects carry IsSystem/IsBoot/BusType directly, and ConvertTo-Json gives us a format the
standard library reads. One PowerShell process prints all three lists as one JSON document,
because PowerShell's start-up dominates the cost. The parser (``parse_storage_json``) is pure
and tested on recorded documents.
"""

from __future__ import annotations

import json
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

# STORAGE_BUS_TYPE (winioctl.h); Get-Disk serialises BusType as this number in some
# PowerShell versions and as its name in others, so both are accepted.
BUS_TYPES = {
    0: "Unknown", 1: "SCSI", 2: "ATAPI", 3: "ATA", 4: "1394", 5: "SSA", 6: "Fibre Channel",
    7: "USB", 8: "RAID", 9: "iSCSI", 10: "SAS", 11: "SATA", 12: "SD", 13: "MMC", 14: "Virtual",
    15: "File Backed Virtual", 16: "Storage Spaces", 17: "NVMe", 18: "SCM", 19: "UFS",
}

SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$disks = @(Get-Disk | Select-Object Number, FriendlyName, Manufacturer, Model, SerialNumber, Size,
    @{n='BusType';e={[string]$_.BusType}}, IsSystem, IsBoot, IsReadOnly, IsOffline, PartitionStyle,
    @{n='OperationalStatus';e={[string]$_.OperationalStatus}})
$parts = @(Get-Partition | Select-Object DiskNumber, PartitionNumber, Size,
    @{n='DriveLetter';e={[string]$_.DriveLetter}}, AccessPaths, @{n='Type';e={[string]$_.Type}},
    IsSystem, IsBoot)
$vols = @(Get-Volume | Select-Object @{n='DriveLetter';e={[string]$_.DriveLetter}}, FileSystemLabel,
    FileSystem, Size, Path)
[pscustomobject]@{ disks = $disks; partitions = $parts; volumes = $vols } | ConvertTo-Json -Depth 4
"""


def _list(value: Any) -> list[Any]:
    # ConvertTo-Json turns a one-element array into a bare object.
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _letter(value: Any) -> str:
    text = _str(value)
    if isinstance(value, int):
        text = chr(value) if value else ""
    return text if text.isalpha() and len(text) == 1 else ""


def bus_name(value: Any) -> str:
    if isinstance(value, int):
        return BUS_TYPES.get(value, "Unknown")
    text = _str(value)
    return BUS_TYPES.get(int(text), "Unknown") if text.isdigit() else (text or "Unknown")


def _kind(bus: str) -> str:
    key = bus.lower()
    if key == "usb":
        return KIND_USB
    if key in ("sd", "mmc"):
        return KIND_SD
    if key in ("virtual", "file backed virtual", "storage spaces"):
        return KIND_VIRTUAL
    if key in ("unknown", ""):
        return KIND_UNKNOWN
    return KIND_INTERNAL


def parse_storage_json(text: str) -> list[Drive]:
    """Drives from the JSON document that ``SCRIPT`` prints."""
    try:
        document = json.loads(text)
        disks = _list(document.get("disks"))
    except (ValueError, AttributeError) as exc:
        raise DeviceError(f"PowerShell's disk list is not JSON ({exc})",
                          "Run PowerShell's Get-Disk to check the Storage module works.") from exc
    volumes_by_path: dict[str, Mapping[str, Any]] = {}
    volumes_by_letter: dict[str, Mapping[str, Any]] = {}
    for found in _list(document.get("volumes")):
        if _str(found.get("Path")):
            volumes_by_path[_str(found.get("Path")).lower()] = found
        if _letter(found.get("DriveLetter")):
            volumes_by_letter[_letter(found.get("DriveLetter"))] = found
    partitions_by_disk: dict[int, list[Mapping[str, Any]]] = {}
    for part in _list(document.get("partitions")):
        partitions_by_disk.setdefault(int(part.get("DiskNumber", -1)), []).append(part)

    drives: list[Drive] = []
    for disk in disks:
        number = int(disk.get("Number", -1))
        size = int(disk.get("Size") or 0)
        if number < 0 or size <= 0:
            continue
        path = f"\\\\.\\PHYSICALDRIVE{number}"
        bus = bus_name(disk.get("BusType"))
        partitions: list[Partition] = []
        mounts: list[str] = []
        parts = sorted(partitions_by_disk.get(number, []), key=lambda p: int(p.get("PartitionNumber", 0)))
        for part in parts:
            letter = _letter(part.get("DriveLetter"))
            access = [_str(a) for a in _list(part.get("AccessPaths")) if _str(a)]
            volume: Mapping[str, Any] = volumes_by_letter.get(letter, {}) if letter else {}
            for entry in access:
                volume = volume or volumes_by_path.get(entry.lower(), {})
            # Mount points people know: drive letters and folder mounts, not \\?\Volume{...} names.
            part_mounts = [a for a in access if not a.startswith("\\\\?\\")]
            if letter and f"{letter}:\\" not in part_mounts:
                part_mounts.insert(0, f"{letter}:\\")
            mounts.extend(part_mounts)
            partitions.append(
                Partition(
                    name=str(part.get("PartitionNumber", "")),
                    path=f"{path} partition {part.get('PartitionNumber', '')}",
                    size=int(part.get("Size") or 0),
                    fstype=_str(volume.get("FileSystem")),
                    label=_str(volume.get("FileSystemLabel")),
                    mountpoints=part_mounts,
                )
            )
        kind = _kind(bus)
        drive = Drive(
            path=path,
            size_bytes=size,
            vendor=_str(disk.get("Manufacturer")),
            model=_str(disk.get("Model")) or _str(disk.get("FriendlyName")),
            serial=_str(disk.get("SerialNumber")),
            bus=bus.lower(),
            removable=kind in (KIND_USB, KIND_SD),
            read_only=bool(disk.get("IsReadOnly")),
            mountpoints=mounts,
            partitions=partitions,
            kind=kind,
            name=str(number),
        )
        if disk.get("IsSystem"):
            drive.protected.append("Windows marks it as the system disk (it holds the boot loader)")
        if disk.get("IsBoot"):
            drive.protected.append("Windows marks it as the boot disk (it holds the running Windows)")
        if disk.get("IsOffline"):
            drive.warnings.append("Windows has this disk offline")
        drives.append(drive)
    return drives


def list_all() -> list[Drive]:  # pragma: no cover - needs Windows
    try:
        done = subprocess.run(
            ["powershell.exe", "-NoProfile", "-NonInteractive", "-Command", SCRIPT],
            capture_output=True, text=True, timeout=60, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeviceError(f"PowerShell could not list the disks ({exc})",
                          "Check that Windows PowerShell 5.1 or later is available.") from exc
    if done.returncode != 0:
        raise DeviceError(f"Get-Disk failed: {done.stderr.strip()[:300]}",
                          "Run the app as an administrator, or check the Storage service.")
    return parse_storage_json(done.stdout)
