"""Windows drive enumeration through the Storage Management cmdlets (Get-Disk, Get-Partition, Get-Volume).

Why PowerShell and not WMI through a Python binding: the cmdlets ship with every Windows 8+,
their objects carry IsSystem/IsBoot/BusType directly, and ConvertTo-Json gives us a format the
standard library reads. One PowerShell process prints all three lists as one JSON document,
because PowerShell's start-up dominates the cost. The parser (``parse_storage_json``) is pure
and tested on outputs published by others (tests/fixtures/drives/real/SOURCES.md). When the
Storage module does not answer, ``CIM_SCRIPT`` lists Win32_DiskDrive instead (``parse_cim_json``).
"""

from __future__ import annotations

import base64
import json
import math
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
$ProgressPreference = 'SilentlyContinue'
# Without this, Windows PowerShell writes redirected output in the OEM code page (cp437/cp850):
# labels such as "Données" would arrive garbled.
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
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

# Fallback when the Storage module does not answer (Windows 7, a broken Storage WMI provider,
# "Access denied" for Get-Disk): Win32_DiskDrive is readable by every user. It does not say
# which disk is the system disk, so the script also maps drive letters to disk indexes and
# names the Windows drive ($env:SystemDrive).
CIM_SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
$drives = @(Get-CimInstance -ClassName Win32_DiskDrive |
    Select-Object Index, Model, Caption, Manufacturer, SerialNumber, Size, InterfaceType, MediaType,
                  PNPDeviceID)
$letters = @(foreach ($ld in @(Get-CimInstance -ClassName Win32_LogicalDisk)) {
    foreach ($p in @(Get-CimAssociatedInstance -InputObject $ld -ResultClassName Win32_DiskPartition)) {
        [pscustomobject]@{ DeviceID = $ld.DeviceID; DiskIndex = $p.DiskIndex; FileSystem = $ld.FileSystem;
                           VolumeName = $ld.VolumeName }
    }
})
[pscustomobject]@{ diskdrives = $drives; logicaldisks = $letters; systemdrive = $env:SystemDrive } |
    ConvertTo-Json -Depth 4
"""

_HINT = "Run PowerShell's Get-Disk to check the Storage module works."


def decode_output(data: bytes | str) -> str:
    """PowerShell output as text, whatever encoding it came in.

    Windows PowerShell writes UTF-8 with a BOM once OutputEncoding is UTF8, UTF-16 LE with a
    BOM when its output is redirected to a file (``> disks.json``), and the OEM code page when
    nothing was set; a NUL every other byte without a BOM is UTF-16 too.
    """
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:1] != b"\x00":
        return data.decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8: the OEM code page of a western install is the usual other case.
        return data.decode("cp850", errors="replace")


def _list(value: Any) -> list[Any]:
    # ConvertTo-Json turns a one-element array into a bare object; keep only records.
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _get(record: Mapping[str, Any], *names: str) -> Any:
    # Property names are case-insensitive in PowerShell, and scripts differ ("disks", "Disks").
    for name in names:
        if name in record:
            return record[name]
    lowered = {str(k).lower(): v for k, v in record.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _str(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).replace("\x00", "").strip()


def _int(value: Any) -> int | None:
    # Sizes come as numbers, as strings (Select-Object with [string], wmic) or as floats.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and abs(value) < 2**63 else None
    text = _str(value)
    return int(text) if text.isdigit() and len(text) < 20 else None


def _bool(value: Any) -> bool:
    # bool("False") is True: a string form must be read, not cast.
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    if isinstance(value, (int, float)):
        return bool(value)
    return value is True


def _letter(value: Any) -> str:
    # "C", "C:", 67 (a [char] serialised by number) or "\u0000" (no letter).
    if isinstance(value, int) and not isinstance(value, bool):
        text = chr(value) if 65 <= value <= 90 or 97 <= value <= 122 else ""
    else:
        text = _str(value).rstrip(":\\")
    return text.upper() if len(text) == 1 and text.isascii() and text.isalpha() else ""


def bus_name(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return BUS_TYPES.get(value, "Unknown")
    text = _str(value)
    return BUS_TYPES.get(int(text), "Unknown") if text.isdigit() and len(text) < 6 else (text or "Unknown")


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


def _is_access_path(text: str) -> bool:
    # E:\ , D:\Mounts\vhd\ or \\?\Volume{...}\ . Anything else is not a path: with too small a
    # -Depth, Windows PowerShell 5.1 writes an array as its type name ("System.String[]").
    return (len(text) >= 3 and text[1:3] == ":\\" and text[0].isascii() and text[0].isalpha()) or \
        text.startswith("\\\\?\\")


def _load(text: bytes | str, what: str) -> Any:
    try:
        return json.loads(decode_output(text))
    except (ValueError, RecursionError) as exc:
        raise DeviceError(f"{what} is not JSON ({str(exc)[:200]})", _HINT) from exc


def parse_storage_json(text: bytes | str) -> list[Drive]:
    """Drives from the JSON document that ``SCRIPT`` prints.

    Also read: the same lists under other capitalisations ("Disks", "Partitions"), file system
    and label on the partition records themselves, and a bare ``Get-Disk | ConvertTo-Json``
    (an array, or one object for one disk) without partitions.
    """
    document = _load(text, "PowerShell's disk list")
    if isinstance(document, list) or (isinstance(document, dict) and _get(document, "Number") is not None):
        document = {"disks": document}
    if not isinstance(document, dict):
        raise DeviceError("PowerShell's disk list is not JSON (not an object or a list)", _HINT)
    try:
        return _drives(document)
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:  # pragma: no cover - guard
        raise DeviceError(f"PowerShell's disk list has an unexpected shape ({exc})", _HINT) from exc


def _drives(document: Mapping[str, Any]) -> list[Drive]:
    volumes_by_path: dict[str, Mapping[str, Any]] = {}
    volumes_by_letter: dict[str, Mapping[str, Any]] = {}
    for found in _list(_get(document, "volumes")):
        if _str(_get(found, "Path")):
            volumes_by_path[_str(_get(found, "Path")).lower()] = found
        if _letter(_get(found, "DriveLetter")):
            volumes_by_letter[_letter(_get(found, "DriveLetter"))] = found
    partitions_by_disk: dict[int, list[Mapping[str, Any]]] = {}
    for part in _list(_get(document, "partitions")):
        number = _int(_get(part, "DiskNumber"))
        if number is not None:
            partitions_by_disk.setdefault(number, []).append(part)

    drives: list[Drive] = []
    for disk in _list(_get(document, "disks")):
        number = _int(_get(disk, "Number", "DiskNumber"))
        size = _int(_get(disk, "Size")) or 0
        if number is None or size <= 0:
            continue  # no number: not a disk Windows can open; size 0: a card reader without a card
        path = f"\\\\.\\PHYSICALDRIVE{number}"
        bus = bus_name(_get(disk, "BusType"))
        partitions: list[Partition] = []
        mounts: list[str] = []
        parts = sorted(partitions_by_disk.get(number, []),
                       key=lambda p: _int(_get(p, "PartitionNumber")) or 0)
        for part in parts:
            part_number = _int(_get(part, "PartitionNumber"))
            letter = _letter(_get(part, "DriveLetter"))
            raw_access = _get(part, "AccessPaths")
            raw_list = raw_access if isinstance(raw_access, list) else [raw_access]
            access = [_str(a) for a in raw_list if _is_access_path(_str(a))]
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
                    name="" if part_number is None else str(part_number),
                    path=f"{path} partition {'' if part_number is None else part_number}",
                    size=_int(_get(part, "Size")) or 0,
                    fstype=_str(_get(volume, "FileSystem")) or _str(_get(part, "FileSystem")),
                    label=(_str(_get(volume, "FileSystemLabel"))
                           or _str(_get(part, "Label", "FileSystemLabel"))),
                    mountpoints=part_mounts,
                )
            )
        kind = _kind(bus)
        drive = Drive(
            path=path,
            size_bytes=size,
            vendor=_str(_get(disk, "Manufacturer")),
            model=_str(_get(disk, "Model")) or _str(_get(disk, "FriendlyName")),
            serial=_str(_get(disk, "SerialNumber")),
            bus=bus.lower(),
            removable=kind in (KIND_USB, KIND_SD),
            read_only=_bool(_get(disk, "IsReadOnly")),
            mountpoints=mounts,
            partitions=partitions,
            kind=kind,
            name=str(number),
        )
        if _bool(_get(disk, "IsSystem")):
            drive.protected.append("Windows marks it as the system disk (it holds the boot loader)")
        if _bool(_get(disk, "IsBoot")):
            drive.protected.append("Windows marks it as the boot disk (it holds the running Windows)")
        if _bool(_get(disk, "IsOffline")) or "offline" in _str(_get(disk, "OperationalStatus")).lower():
            drive.warnings.append("Windows has this disk offline")
        drives.append(drive)
    return drives


# Win32_DiskDrive.MediaType values (English; other languages keep these invariant strings).
_REMOVABLE_MEDIA = ("removable media", "removable media other than floppy")


def classify_diskdrive(record: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, bus) of a Win32_DiskDrive record from InterfaceType, PNPDeviceID and Model."""
    interface = _str(_get(record, "InterfaceType")).lower()
    pnp = _str(_get(record, "PNPDeviceID")).upper().replace("&AMP;", "&")
    model = (_str(_get(record, "Model")) or _str(_get(record, "Caption"))).lower()
    if interface == "usb" or pnp.startswith(("USBSTOR\\", "USB\\")):
        return KIND_USB, "usb"
    if pnp.startswith(("SD\\", "SDBUS\\")):
        return KIND_SD, "sd"
    if "VEN_MSFT&PROD_VIRTUAL_DISK" in pnp or model.startswith("msft virtual disk"):
        return KIND_VIRTUAL, "virtual"
    if "VEN_NVME" in pnp or "nvme" in model:
        return KIND_INTERNAL, "nvme"
    if "external" in _str(_get(record, "MediaType")).lower():
        # "External hard disk media" on SCSI: a USB disk driven by UAS (Samsung T5/T7 and most USB
        # SSDs) reports InterfaceType SCSI. Not the machine's own disk, not a stick either.
        return KIND_UNKNOWN, interface
    if interface in ("ide", "scsi", "1394"):
        # IDE and SCSI are how Windows files SATA and NVMe disks; 1394 is FireWire.
        return KIND_INTERNAL, interface
    return KIND_UNKNOWN, interface


def drives_from_diskdrives(
    records: list[Mapping[str, Any]],
    logical_disks: list[Mapping[str, Any]] | None = None,
    system_drive: str = "",
) -> list[Drive]:
    """Drives from Win32_DiskDrive records (the fallback when Get-Disk does not answer).

    ``logical_disks`` maps drive letters to disk indexes (DeviceID "C:", DiskIndex 0); the disk
    holding ``system_drive`` is marked protected. Without that map no disk can be called the
    system disk, which every drive then says in a warning.
    """
    letters: dict[int, list[Mapping[str, Any]]] = {}
    for entry in logical_disks or []:
        index = _int(_get(entry, "DiskIndex"))
        if index is not None and _letter(_get(entry, "DeviceID")):
            letters.setdefault(index, []).append(entry)
    system_letter = _letter(system_drive)
    located = any(_letter(_get(e, "DeviceID")) == system_letter for group in letters.values() for e in group)
    drives: list[Drive] = []
    for record in records:
        index = _int(_get(record, "Index"))
        if index is None:
            device = _str(_get(record, "DeviceID")).upper()
            index = _int(device.rpartition("PHYSICALDRIVE")[2]) if "PHYSICALDRIVE" in device else None
        size = _int(_get(record, "Size")) or 0
        if index is None or size <= 0:
            continue  # an empty card reader reports no Size
        kind, bus = classify_diskdrive(record)
        media = _str(_get(record, "MediaType")).lower()
        path = f"\\\\.\\PHYSICALDRIVE{index}"
        partitions = []
        mounts = []
        for entry in letters.get(index, []):
            mount = f"{_letter(_get(entry, 'DeviceID'))}:\\"
            mounts.append(mount)
            partitions.append(Partition(name="", path=f"{path} volume {mount}",
                                        fstype=_str(_get(entry, "FileSystem")),
                                        label=_str(_get(entry, "VolumeName")), mountpoints=[mount]))
        vendor = _str(_get(record, "Manufacturer"))
        drive = Drive(
            path=path,
            size_bytes=size,
            # "(Standard disk drives)" / "(Lecteurs de disque standard)" name the driver, not a maker.
            vendor="" if vendor.startswith("(") else vendor,
            model=_str(_get(record, "Model")) or _str(_get(record, "Caption")),
            serial=_str(_get(record, "SerialNumber")),
            bus=bus,
            removable=media in _REMOVABLE_MEDIA or kind in (KIND_USB, KIND_SD),
            mountpoints=mounts,
            partitions=partitions,
            kind=kind,
            name=str(index),
        )
        if located and any(_letter(_get(e, "DeviceID")) == system_letter for e in letters.get(index, [])):
            drive.protected.append(f"it holds the Windows drive {system_letter}:")
        elif not located:
            drive.warnings.append("Windows' Storage module did not answer: which disk holds Windows was "
                                  "not checked (run Get-Disk as an administrator to check)")
        drives.append(drive)
    return drives


def parse_cim_json(text: bytes | str) -> list[Drive]:
    """Drives from ``CIM_SCRIPT``'s document, or from a bare Win32_DiskDrive ConvertTo-Json."""
    document = _load(text, "PowerShell's Win32_DiskDrive list")
    if isinstance(document, list) or (isinstance(document, dict) and _get(document, "diskdrives") is None):
        document = {"diskdrives": document}
    if not isinstance(document, dict):
        raise DeviceError("PowerShell's Win32_DiskDrive list is not an object or a list", _HINT)
    return drives_from_diskdrives(_list(_get(document, "diskdrives")), _list(_get(document, "logicaldisks")),
                                  _str(_get(document, "systemdrive")))


def _powershell(script: str) -> subprocess.CompletedProcess[bytes]:  # pragma: no cover - needs Windows
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    try:
        return subprocess.run(
            ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
             "-EncodedCommand", encoded],
            capture_output=True, timeout=60, check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeviceError(f"PowerShell could not list the disks ({exc})",
                          "Check that Windows PowerShell 5.1 or later is available.") from exc


def list_all() -> list[Drive]:  # pragma: no cover - needs Windows
    done = _powershell(SCRIPT)
    if done.returncode == 0:
        return parse_storage_json(done.stdout)
    first_error = decode_output(done.stderr).strip()[:300]
    fallback = _powershell(CIM_SCRIPT)
    if fallback.returncode == 0:
        drives = parse_cim_json(fallback.stdout)
        for drive in drives:
            drive.warnings.append("listed through Win32_DiskDrive because Get-Disk failed: "
                                  f"{first_error[:120]}")
        return drives
    raise DeviceError(f"Get-Disk failed: {first_error}",
                      "Run the app as an administrator, or check the Storage service.")
