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
import stat
import struct
import sys
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
    # What `write --mode auto` does: "raw", "uefi-fat32", or None when it refuses (see ``refusal``).
    write_mode: str | None = "raw"
    bootable: bool = True  # recognised as bootable from a USB stick written in ``write_mode``
    refusal: str = ""  # why auto mode refuses it (empty when it does not); --mode raw writes it anyway
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
            # The contract's two values only: when auto mode refuses, the one way to write the image
            # is an explicit `--mode raw`, and auto_refusal says why auto will not.
            "write_mode": self.write_mode or "raw",
            "bootable": self.bootable,
            "auto_refusal": self.refusal or None,
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


# --------------------------------------------------------------------------- files via the ISO tree
FAT32_MAX_FILE = 0xFFFFFFFF  # FAT32 stores a file's size in 32 bits: 4 GiB - 1 byte at most
_WANTED_CFG = ("/BOOT.CFG", "/EFI/BOOT/BOOT.CFG")
_LOADERS = ("/EFI/BOOT/BOOTX64.EFI", "/EFI/BOOT/BOOTAA64.EFI")


@dataclass
class _IsoFiles:
    count: int | None = None  # None: the tree could not be read
    configs: dict[str, bytes] = field(default_factory=dict)  # "/BOOT.CFG" -> its first 64 KiB
    loader: str = ""
    too_big: list[tuple[str, int]] = field(default_factory=list)  # files FAT32 cannot hold
    problem: str = ""


def _iso_files(path: Path, handle: BinaryIO) -> _IsoFiles:
    """What the ISO holds, read through the same tree reader the FAT32 stick is built from.

    So inspect and write agree: a file the FAT32 stick cannot hold is found here too. A cut-short
    ISO (a file beyond its end) raises BadInput; any other damage becomes ``problem``.
    """
    from ecs_field.media.image.iso_tree import IsoTruncated, read_iso_tree

    found = _IsoFiles()
    try:
        tree = read_iso_tree(path, handle)
    except IsoTruncated:
        raise
    except BadInput as exc:
        found.problem = exc.message
        return found
    found.count = tree.file_count
    for name, item in tree.root.iter_files():
        upper = name.upper()
        if upper in _WANTED_CFG and item.extents:
            offset, length = item.extents[0]
            handle.seek(offset)
            found.configs[upper] = handle.read(min(length, 65536))
        if upper in _LOADERS and not found.loader:
            found.loader = upper
        if item.size > FAT32_MAX_FILE:
            found.too_big.append((name, item.size))
    return found


# --------------------------------------------------------------------------- inspect
RAW_ANYWAY = "`ecs-field write IMAGE DEVICE --mode raw` writes it anyway, byte for byte, with no boot check"


def _file_size(path: Path, handle: BinaryIO, info: os.stat_result) -> int:
    """Bytes in the file, or in the device for a block device (whose st_size is 0)."""
    if not stat.S_ISBLK(info.st_mode):
        return info.st_size
    if sys.platform.startswith("linux"):
        import fcntl

        try:  # BLKGETSIZE64
            return int.from_bytes(fcntl.ioctl(handle.fileno(), 0x80081272, b"\0" * 8), sys.byteorder)
        except OSError:
            pass
    try:
        return handle.seek(0, os.SEEK_END)
    except OSError as exc:
        raise BadInput(f"{path}: cannot tell the size of this device ({exc.strerror})",
                       "Inspect an image file instead.") from exc


def _open_image(path: Path) -> tuple[BinaryIO, os.stat_result]:
    """Open ``path`` for reading, but only a regular file or a block device: never wait on a FIFO."""
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise BadInput(f"{path}: no such file",
                       "Check the path, or pick the image from the library.") from exc
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror})", "Check the file's permissions.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{path} is a folder, not an image file", "Pick the .iso file itself.")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISBLK(info.st_mode)):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else
                "a character device" if stat.S_ISCHR(info.st_mode) else "not a regular file")
        # Opening a FIFO would wait for a writer forever; nothing here opens it.
        raise BadInput(f"{path} is {kind}, not an image file",
                       "Save the image to a file first (a download or copy that has finished).")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror})", "Check the file's permissions.") from exc
    try:
        again = os.fstat(handle.fileno())
    except OSError:
        handle.close()
        raise
    if (again.st_dev, again.st_ino, again.st_mode) != (info.st_dev, info.st_ino, info.st_mode):
        handle.close()  # replaced between the look and the open (by a FIFO, say)
        raise BadInput(f"{path} changed while it was being opened", "Try again once it stays put.")
    return handle, again


def _truncated(path: Path, what: str, needs: int, size: int) -> BadInput:
    return BadInput(f"{path} is truncated: {what} {needs} bytes but the file has {size} "
                    f"({100 * size / max(needs, 1):.0f}%)", "Download or copy the image again.")


def _partition_table_end(sector: bytes) -> int:
    """Bytes an MBR partition table describes (the end of its last partition), 0 if it is no table."""
    if len(sector) < 512 or sector[510:512] != b"\x55\xaa":
        return 0
    end = 0
    for index in range(4):
        entry = sector[446 + 16 * index: 446 + 16 * (index + 1)]
        if entry[0] not in (0x00, 0x80):
            return 0  # boot code or a file system's boot sector, not a partition table
        start, count = struct.unpack_from("<II", entry, 8)
        if entry[4] and count:
            end = max(end, (start + count) * 512)
    return end


def _gpt_end(header: bytes) -> int:
    """Bytes a GPT header describes (through its backup header), 0 if there is none."""
    if len(header) < 92 or header[:8] != b"EFI PART":
        return 0
    alternate = struct.unpack_from("<Q", header, 32)[0]
    return (alternate + 1) * 512 if 1 < alternate < 1 << 40 else 0


def inspect_image(path: Path) -> ImageInfo:
    """Describe an image file; BadInput (naming the file) when it is not an image or is truncated.

    ``write_mode`` is what ``write --mode auto`` does: "raw", "uefi-fat32", or None when auto
    refuses an image it does not recognise as bootable (``refusal`` says why; ``--mode raw``
    writes it anyway).
    """
    path = Path(path)
    handle, stat_info = _open_image(path)
    with handle:
        size = _file_size(path, handle, stat_info)

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
        gpt_header = read_at(512, 92)
        gpt = gpt_header[:8] == b"EFI PART"
        table_end = max(_partition_table_end(head), _gpt_end(gpt_header))
        if table_end > size:
            # A hybrid ISO or disk image cut short (even to its first sector).
            raise _truncated(path, "its partition table describes", table_end, size)
        if len(pvd) == SECTOR and pvd[0] == 1 and pvd[1:6] == b"CD001":
            info = _inspect_iso(path, handle, read_at, pvd, _Mbr(mbr_sane, partitions, gpt), size=size)
        elif pvd[1:6] == b"CD001" or (size < PVD_OFFSET + SECTOR and size > PVD_OFFSET and not mbr_sane):
            raise BadInput(f"{path} is truncated: the ISO 9660 volume descriptor at 32 KiB is cut off "
                           f"(the file has {size} bytes)", "Download or copy the image again.")
        elif mbr_sane or gpt:
            info = ImageInfo(str(path), size, "disk-image", hybrid=False, partitions=partitions, gpt=gpt,
                             write_mode="raw", bootable=True)
            info.bios = any(p.active for p in partitions)
            info.uefi = gpt or any(p.type_id in (0xEF,) for p in partitions)
            info.notes.append("a disk image with a partition table: written byte for byte")
        elif head[510:512] == b"\x55\xaa":
            info = ImageInfo(str(path), size, "unknown", write_mode=None, bootable=False)
            info.refusal = (f"{path.name} is not recognised as bootable: it has a boot signature but no "
                            "partition table (a file system or boot sector image?)")
            info.notes.append(RAW_ANYWAY)
        else:
            raise BadInput(
                f"{path} is not a disk or ISO image: no ISO 9660 volume descriptor at 32 KiB and no "
                "MBR boot signature (0x55AA) in the first sector",
                "Pick the ESXi/ECS installer .iso (or a raw .img disk image).",
            )
    return info


def check_not_truncated(path: Path) -> None:
    """For ``--mode raw``/``uefi-fat32``: refuse (BadInput) an ISO or disk image that was cut short.

    Only the fixed structures are read (no file tree): the explicit modes write what they are
    given, but never an image whose own header says bytes are missing.
    """
    path = Path(path)
    handle, stat_info = _open_image(path)
    with handle:
        size = _file_size(path, handle, stat_info)
        handle.seek(0)
        head = handle.read(512)
        header = handle.read(92)
        table_end = max(_partition_table_end(head), _gpt_end(header))
        if table_end > size:
            raise _truncated(path, "its partition table describes", table_end, size)
        handle.seek(PVD_OFFSET)
        pvd = handle.read(SECTOR)
        if len(pvd) == SECTOR and pvd[0] == 1 and pvd[1:6] == b"CD001":
            iso_size = _volume_bytes(pvd)
            if iso_size > size:
                raise _truncated(path, "the ISO says it holds", iso_size, size)
        elif pvd[1:6] == b"CD001":
            raise BadInput(f"{path} is truncated: the ISO 9660 volume descriptor at 32 KiB is cut off "
                           f"(the file has {size} bytes)", "Download or copy the image again.")


def _volume_bytes(pvd: bytes) -> int:
    space_blocks = struct.unpack_from("<I", pvd, 80)[0]
    block_size = struct.unpack_from("<H", pvd, 128)[0] or SECTOR
    return int(space_blocks * block_size)


@dataclass
class _Mbr:
    sane: bool
    partitions: list[MbrPartition]
    gpt: bool


def _inspect_iso(
    path: Path, handle: BinaryIO, read_at: Any, pvd: bytes, mbr: _Mbr, *, size: int
) -> ImageInfo:
    mbr_sane, partitions, gpt = mbr.sane, mbr.partitions, mbr.gpt
    volume_id = pvd[40:72].decode("ascii", errors="replace").strip()
    iso_size = _volume_bytes(pvd)
    if iso_size > size:
        raise _truncated(path, "the ISO says it holds", iso_size, size)
    info = ImageInfo(str(path), size, "iso9660", volume_id=volume_id, partitions=partitions, gpt=gpt,
                     iso_size_bytes=iso_size)
    info.hybrid = mbr_sane or gpt
    entries, notes = parse_el_torito(read_at, size)
    info.el_torito = entries
    info.notes.extend(notes)
    info.bios = any(e.bootable and e.platform_id == PLATFORM_BIOS for e in entries)
    info.uefi = any(e.bootable and e.platform_id == PLATFORM_UEFI for e in entries) or (
        mbr_sane and any(p.type_id == 0xEF for p in partitions)) or gpt
    if info.hybrid:
        info.bios = info.bios or any(p.active for p in partitions)
    files = _iso_files(path, handle)
    info.files = files.count
    info.efi_loader = files.loader
    if files.problem:
        info.notes.append(f"the ISO's directory tree could not be read completely ({files.problem})")
    cfg = files.configs.get("/BOOT.CFG") or files.configs.get("/EFI/BOOT/BOOT.CFG")
    if cfg is not None:
        facts = parse_boot_cfg(cfg.decode("utf-8", errors="replace"))
        if "version" in facts:
            info.esxi = {"version": facts["version"], "build": facts["build"], "source": "BOOT.CFG",
                         "title": facts["title"], "build_string": facts["build_string"]}
    if info.esxi is None:
        info.esxi = _esxi_from_volume_id(volume_id)
    _decide_iso_mode(info, files, path.name)
    return info


def _decide_iso_mode(info: ImageInfo, files: _IsoFiles, name: str) -> None:
    """Raw for a hybrid ISO; a FAT32 stick when that boots (an EFI loader, every file fits); else refuse.

    Exactly one explanation per ISO, so the notes never contradict each other.
    """
    has_boot_record = any(e.bootable for e in info.el_torito)
    if info.hybrid:
        info.write_mode, info.bootable = "raw", True
        info.notes.append("hybrid ISO (MBR or GPT partition table): written byte for byte")
        return
    if files.count is None:
        info.write_mode, info.bootable = None, False
        info.refusal = (f"{name}: the ISO's file tree cannot be read, so it cannot be put on a FAT32 stick, "
                        "and a raw copy of an ISO without a hybrid MBR does not boot from USB")
    elif not files.loader:
        info.write_mode, info.bootable = None, False
        if not has_boot_record:
            what = "a plain data ISO: no El Torito boot record, no EFI boot loader (/EFI/BOOT/BOOTX64.EFI)"
            what += ", not an ESXi installer" if info.esxi is None else ""
        else:
            what = ("El Torito only (" + ", ".join(sorted({e.platform for e in info.el_torito if e.bootable}))
                    + ") with no EFI boot loader (/EFI/BOOT/BOOTX64.EFI) and no hybrid MBR: neither a raw "
                    "copy nor a FAT32 stick boots from USB")
        info.refusal = f"{name} is not recognised as bootable: {what}"
    elif files.too_big:
        big, big_size = files.too_big[0]
        info.write_mode, info.bootable = None, True
        info.refusal = (f"{name} is not writable as FAT32: {big} is {big_size} bytes, over the 4 GiB FAT32 "
                        "holds per file; and a raw copy of an El Torito-only ISO (no hybrid MBR) does not "
                        "boot from USB")
    else:
        info.write_mode, info.bootable = "uefi-fat32", True
        boot = "El Torito only" if has_boot_record else "no El Torito boot record"
        info.notes.append(f"{boot}, no hybrid MBR: a raw copy would not boot from USB, so the stick is built "
                          f"as one FAT32 partition holding the ISO's files; UEFI starts {files.loader}")
    if info.refusal:
        info.notes.append(RAW_ANYWAY)
