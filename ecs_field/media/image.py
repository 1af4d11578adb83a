"""What an image file is and how it must be written (``ecs-field image inspect``).

Reads the ISO 9660 primary volume descriptor, the El Torito boot catalog (BIOS entries are
platform 0x00, UEFI entries 0xEF) and the MBR in the first sector. An ISO with a sane MBR
(0x55AA and a partition table that fits the file) is "hybrid" and is written raw; a plain
El Torito ISO (a stock ESXi ISO) does not boot from USB when copied raw, so it is written as
a FAT32 stick ("uefi-fat32", DESIGN.md 5).

The fixed-layout structures (volume descriptors, boot catalog, MBR) are read directly: they are
a few fixed offsets and reading them ourselves keeps working on damaged ISOs. Files inside
the ISO (BOOT.CFG, the EFI boot loader) are read with pycdlib, a maintained ISO 9660 reader,
because walking directory records, Rock Ridge and Joliet by hand is the parser we should not
write.
"""

from __future__ import annotations

import logging
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ecs_field.errors import BadInput

log = logging.getLogger(__name__)

SECTOR = 2048
PVD_OFFSET = 16 * SECTOR
PLATFORM_BIOS = 0x00
PLATFORM_UEFI = 0xEF
PLATFORM_NAMES = {0x00: "bios", 0x01: "powerpc", 0x02: "mac", 0xEF: "uefi"}
MEDIA_NAMES = {0: "no-emulation", 1: "floppy-1.2M", 2: "floppy-1.44M", 3: "floppy-2.88M", 4: "hard-disk"}

_COMPRESSED = [
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
]


@dataclass
class BootEntry:
    platform: str  # "bios", "uefi", ...
    platform_id: int
    bootable: bool
    media: str
    load_rba: int
    sector_count: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MbrPartition:
    index: int
    active: bool
    type_id: int
    start_lba: int
    sectors: int

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "active": self.active, "type": f"0x{self.type_id:02x}",
                "start_lba": self.start_lba, "sectors": self.sectors}


@dataclass
class ImageInfo:
    path: str
    size_bytes: int
    format: str  # "iso9660" | "disk-image" | "unknown"
    volume_id: str = ""
    hybrid: bool = False
    bios: bool = False
    uefi: bool = False
    esxi: dict[str, str] | None = None
    write_mode: str = "raw"  # "raw" | "uefi-fat32"
    el_torito: list[BootEntry] = field(default_factory=list)
    partitions: list[MbrPartition] = field(default_factory=list)
    gpt: bool = False
    iso_size_bytes: int = 0
    files: int | None = None
    efi_loader: str = ""  # e.g. "/EFI/BOOT/BOOTX64.EFI": what UEFI starts from a FAT32 stick
    notes: list[str] = field(default_factory=list)  # what people should know (why this mode, risks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size_bytes": self.size_bytes,
            "format": self.format,
            "volume_id": self.volume_id,
            "hybrid": self.hybrid,
            "boot": {"bios": self.bios, "uefi": self.uefi},
            "esxi": self.esxi,
            "write_mode": self.write_mode,
            "el_torito": [e.to_dict() for e in self.el_torito],
            "mbr_partitions": [p.to_dict() for p in self.partitions],
            "gpt": self.gpt,
            "iso_size_bytes": self.iso_size_bytes,
            "files": self.files,
            "efi_loader": self.efi_loader,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- fixed structures
def parse_mbr(sector: bytes, image_size: int) -> tuple[bool, list[MbrPartition]]:
    """(sane, partitions): 0x55AA plus a table whose entries are valid and start inside the file."""
    if len(sector) < 512 or sector[510:512] != b"\x55\xaa":
        return False, []
    partitions: list[MbrPartition] = []
    for index in range(4):
        entry = sector[446 + 16 * index: 446 + 16 * (index + 1)]
        status, type_id = entry[0], entry[4]
        start, count = struct.unpack_from("<II", entry, 8)
        if status not in (0x00, 0x80):
            return False, []  # boot code or a file system's boot sector, not a partition table
        if type_id == 0:
            continue
        if count == 0 or start * 512 >= max(image_size, 1):
            return False, []
        partitions.append(MbrPartition(index + 1, status == 0x80, type_id, start, count))
    return bool(partitions), partitions


def parse_el_torito(read_at: Any, image_size: int) -> tuple[list[BootEntry], list[str]]:
    """Boot catalog entries; ``read_at(offset, length)`` reads the image."""
    notes: list[str] = []
    entries: list[BootEntry] = []
    catalog_lba = None
    for index in range(17, 17 + 32):  # the boot record sits among the volume descriptors
        descriptor = read_at(index * SECTOR, SECTOR)
        if len(descriptor) < SECTOR or descriptor[1:6] != b"CD001":
            break
        if descriptor[0] == 0 and descriptor[7:30].rstrip(b"\x00") == b"EL TORITO SPECIFICATION":
            catalog_lba = struct.unpack_from("<I", descriptor, 0x47)[0]
            break
        if descriptor[0] == 0xFF:
            break
    if catalog_lba is None:
        return entries, notes
    if catalog_lba * SECTOR >= image_size:
        notes.append("the El Torito boot catalog points past the end of the file")
        return entries, notes
    catalog = read_at(catalog_lba * SECTOR, SECTOR)
    if len(catalog) < 64 or catalog[0] != 0x01 or catalog[30:32] != b"\x55\xaa":
        notes.append("the El Torito boot catalog is damaged (bad validation entry)")
        return entries, notes

    def entry(record: bytes, platform: int) -> BootEntry:
        indicator, media, _seg, _sys, _unused, count, rba = struct.unpack_from("<BBHBBHI", record, 0)
        return BootEntry(PLATFORM_NAMES.get(platform, f"0x{platform:02x}"), platform, indicator == 0x88,
                         MEDIA_NAMES.get(media & 0x0F, f"media-{media}"), rba, count)

    entries.append(entry(catalog[32:64], catalog[1]))
    offset = 64
    while offset + 32 <= len(catalog):
        header = catalog[offset]
        if header not in (0x90, 0x91):
            break
        platform, count = catalog[offset + 1], struct.unpack_from("<H", catalog, offset + 2)[0]
        offset += 32
        for _ in range(count):
            if offset + 32 > len(catalog):
                break
            record = catalog[offset: offset + 32]
            if record[0] in (0x88, 0x00):
                entries.append(entry(record, platform))
            offset += 32
            while offset + 32 <= len(catalog) and catalog[offset] == 0x44:  # extension records
                offset += 32
        if header == 0x91:
            break
    return entries, notes


# --------------------------------------------------------------------------- ESXi
_BUILD = re.compile(r"^(?P<version>\d+\.\d+(?:\.\d+)?)(?:-(?P<rel>[\d.]+))?\.(?P<build>\d{5,})$")
_VOLUME = re.compile(r"ESXI-(?P<version>\d+\.\d+(?:\.\d+)?(?:U\w+)?)-(?P<build>\d{5,})", re.IGNORECASE)


def parse_boot_cfg(text: str) -> dict[str, str]:
    """ESXi facts from BOOT.CFG: "build=8.0.2-0.0.22380479" -> version 8.0.2, build 22380479."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            values[key.strip().lower()] = value.strip()
    facts: dict[str, str] = {"title": values.get("title", ""), "kernelopt": values.get("kernelopt", "")}
    build = values.get("build", "")
    match = _BUILD.match(build)
    if match:
        facts["version"] = match.group("version")
        facts["build"] = match.group("build")
        facts["build_string"] = build
    return facts


def _esxi_from_volume_id(volume_id: str) -> dict[str, str] | None:
    match = _VOLUME.search(volume_id)
    if not match:
        return None
    return {"version": match.group("version"), "build": match.group("build"), "source": "volume id"}


# --------------------------------------------------------------------------- files via pycdlib
def _iso_files(handle: BinaryIO) -> tuple[int, dict[str, bytes], str, str]:
    """(file count, {"/BOOT.CFG": bytes, ...}, EFI loader path, problem) read through pycdlib."""
    import pycdlib
    from pycdlib.pycdlibexception import PyCdlibException

    iso = pycdlib.PyCdlib()
    wanted = {"/BOOT.CFG", "/EFI/BOOT/BOOT.CFG"}
    found: dict[str, bytes] = {}
    loader = ""
    count = 0
    try:
        handle.seek(0)
        iso.open_fp(handle)
        for dirpath, _dirs, files in iso.walk(iso_path="/"):
            for name in files:
                count += 1
                plain = name.split(";")[0].rstrip(".").upper()
                full = ("" if dirpath == "/" else dirpath.upper()) + "/" + plain
                if full in wanted:
                    from io import BytesIO

                    buffer = BytesIO()
                    iso.get_file_from_iso_fp(buffer, iso_path=f"{dirpath.rstrip('/')}/{name}")
                    found[full] = buffer.getvalue()[:65536]
                if full in ("/EFI/BOOT/BOOTX64.EFI", "/EFI/BOOT/BOOTAA64.EFI") and not loader:
                    loader = full
        return count, found, loader, ""
    except PyCdlibException as exc:
        return count, found, loader, str(exc)
    finally:
        try:
            iso.close()
        except Exception:  # closing a half-opened PyCdlib can itself raise
            log.debug("pycdlib close failed", exc_info=True)


# --------------------------------------------------------------------------- inspect
def inspect_image(path: Path) -> ImageInfo:
    """Describe an image file; BadInput (naming the file) when it is not an image or is truncated."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        raise BadInput(f"{path}: no such file",
                       "Check the path, or pick the image from the library.") from exc
    except IsADirectoryError as exc:
        raise BadInput(f"{path} is a folder, not an image file", "Pick the .iso file itself.") from exc
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror})", "Check the file's permissions.") from exc
    with handle:
        size = os.fstat(handle.fileno()).st_size

        def read_at(offset: int, length: int) -> bytes:
            handle.seek(offset)
            return handle.read(length)

        if size == 0:
            raise BadInput(f"{path} is empty (0 bytes)",
                           "The download or copy did not finish; fetch it again.")
        head = read_at(0, 512)
        for magic, kind in _COMPRESSED:
            if head.startswith(magic):
                raise BadInput(f"{path} is a compressed {kind} file, not an image",
                               "Decompress it first and inspect the .iso or .img inside.")
        pvd = read_at(PVD_OFFSET, SECTOR)
        mbr_sane, partitions = parse_mbr(head, size)
        gpt = read_at(512, 8) == b"EFI PART"
        if len(pvd) == SECTOR and pvd[0] == 1 and pvd[1:6] == b"CD001":
            info = _inspect_iso(path, handle, read_at, pvd, _Mbr(mbr_sane, partitions, gpt))
        elif pvd[1:6] == b"CD001" or (size < PVD_OFFSET + SECTOR and size > PVD_OFFSET and not mbr_sane):
            raise BadInput(f"{path} is truncated: the ISO 9660 volume descriptor at 32 KiB is cut off "
                           f"(the file has {size} bytes)", "Download or copy the image again.")
        elif mbr_sane or gpt:
            info = ImageInfo(str(path), size, "disk-image", hybrid=False, partitions=partitions, gpt=gpt,
                             write_mode="raw")
            info.bios = any(p.active for p in partitions)
            info.uefi = gpt or any(p.type_id in (0xEF,) for p in partitions)
            info.notes.append("a disk image with a partition table: written byte for byte")
        elif head[510:512] == b"\x55\xaa":
            info = ImageInfo(str(path), size, "unknown", write_mode="raw")
            info.notes.append("has a boot signature but no partition table (a file system or boot sector "
                              "image?): it can only be written byte for byte, and may not boot")
        else:
            raise BadInput(
                f"{path} is not a disk or ISO image: no ISO 9660 volume descriptor at 32 KiB and no "
                "MBR boot signature (0x55AA) in the first sector",
                "Pick the ESXi/ECS installer .iso (or a raw .img disk image).",
            )
    return info


@dataclass
class _Mbr:
    sane: bool
    partitions: list[MbrPartition]
    gpt: bool


def _inspect_iso(path: Path, handle: BinaryIO, read_at: Any, pvd: bytes, mbr: _Mbr) -> ImageInfo:
    size = os.fstat(handle.fileno()).st_size
    mbr_sane, partitions, gpt = mbr.sane, mbr.partitions, mbr.gpt
    volume_id = pvd[40:72].decode("ascii", errors="replace").strip()
    space_blocks = struct.unpack_from("<I", pvd, 80)[0]
    block_size = struct.unpack_from("<H", pvd, 128)[0] or SECTOR
    iso_size = space_blocks * block_size
    if iso_size > size:
        raise BadInput(f"{path} is truncated: the ISO says it holds {iso_size} bytes but the file has "
                       f"{size} ({100 * size / iso_size:.0f}%)", "Download or copy the image again.")
    info = ImageInfo(str(path), size, "iso9660", volume_id=volume_id, partitions=partitions, gpt=gpt,
                     iso_size_bytes=iso_size)
    info.hybrid = mbr_sane
    entries, notes = parse_el_torito(read_at, size)
    info.el_torito = entries
    info.notes.extend(notes)
    info.bios = any(e.bootable and e.platform_id == PLATFORM_BIOS for e in entries)
    info.uefi = any(e.bootable and e.platform_id == PLATFORM_UEFI for e in entries) or (
        mbr_sane and any(p.type_id == 0xEF for p in partitions))
    if info.hybrid:
        info.bios = info.bios or any(p.active for p in partitions)
    files, found, loader, problem = _iso_files(handle)
    info.files = files if not problem else None
    info.efi_loader = loader
    if problem:
        info.notes.append(f"the ISO's directory tree could not be read completely ({problem})")
    cfg = found.get("/BOOT.CFG") or found.get("/EFI/BOOT/BOOT.CFG")
    if cfg is not None:
        facts = parse_boot_cfg(cfg.decode("utf-8", errors="replace"))
        if "version" in facts:
            info.esxi = {"version": facts["version"], "build": facts["build"], "source": "BOOT.CFG",
                         "title": facts["title"], "build_string": facts["build_string"]}
    if info.esxi is None:
        info.esxi = _esxi_from_volume_id(volume_id)
    if info.hybrid:
        info.write_mode = "raw"
        info.notes.append("hybrid ISO (MBR with a partition table): written byte for byte")
    else:
        info.write_mode = "uefi-fat32"
        info.notes.append("El Torito only, no hybrid MBR: a raw copy would not boot from USB, so the stick "
                          "is built as one FAT32 partition holding the ISO's files (UEFI boot)")
        if not loader:
            info.notes.append("no EFI/BOOT/BOOTX64.EFI in the ISO: UEFI firmware will not start the stick")
    if not entries and not info.hybrid:
        info.notes.append("no El Torito boot record: this ISO is not bootable")
    return info
