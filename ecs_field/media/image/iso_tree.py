"""The file tree of an ISO 9660 image, with where each file's bytes live in the ISO.

The FAT32 stick synthesis (fat32.py) copies every file of the ISO without extracting it: it
needs each file's name, size, timestamp and byte extents inside the ISO file, and reads the
data straight from there while streaming.

We read the tree with pycdlib: a maintained, pure-Python ISO 9660 / Joliet / Rock Ridge /
El Torito reader that runs unchanged on Linux, Windows and macOS. Parsing directory records,
Joliet UCS-2 names, Rock Ridge NM/CL/RE entries and multi-extent files by hand is exactly the
parser we should not write.
"""

from __future__ import annotations

import os
import re
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from ecs_field.errors import BadInput

# (year, month, day, hour, minute, second) as recorded in the ISO (the author's local time).
Timestamp = tuple[int, int, int, int, int, int]

# What an ISO without usable dates gets: the FAT epoch, so output stays reproducible.
FAT_EPOCH: Timestamp = (1980, 1, 1, 0, 0, 0)

_VERSION_SUFFIX = re.compile(r";\d*$")
_HIDDEN_FLAG = 0x01  # ISO 9660 file flags bit 0: "existence" (hidden from the user)


class IsoTruncated(BadInput):
    """A file of the ISO lies beyond the end of the ISO file: the ISO was cut short."""


@dataclass(frozen=True)
class IsoFile:
    name: str
    size: int
    # (byte offset in the ISO file, length) in file order; several for multi-extent files.
    extents: tuple[tuple[int, int], ...]
    mtime: Timestamp = FAT_EPOCH
    hidden: bool = False


@dataclass
class IsoDir:
    name: str
    mtime: Timestamp = FAT_EPOCH
    hidden: bool = False
    dirs: list[IsoDir] = field(default_factory=list)
    files: list[IsoFile] = field(default_factory=list)

    def walk(self, prefix: str = "") -> Iterator[tuple[str, IsoDir]]:
        """Every directory below (and including) this one, depth first, with its path."""
        yield prefix or "/", self
        for child in self.dirs:
            yield from child.walk(f"{prefix}/{child.name}")

    def iter_files(self) -> Iterator[tuple[str, IsoFile]]:
        """Every file below this directory, with its path from here ("/EFI/BOOT/BOOTX64.EFI")."""
        for path, folder in self.walk():
            base = "" if path == "/" else path
            for item in folder.files:
                yield f"{base}/{item.name}", item


@dataclass
class IsoTree:
    root: IsoDir
    volume_id: str
    names_from: str  # "rock-ridge", "joliet" or "iso9660"
    iso_size: int
    skipped: list[str] = field(default_factory=list)  # symlinks, devices: FAT cannot hold them

    @property
    def file_count(self) -> int:
        return sum(len(folder.files) for _, folder in self.root.walk())

    @property
    def dir_count(self) -> int:
        return sum(1 for _ in self.root.walk())

    @property
    def data_bytes(self) -> int:
        return sum(item.size for _, item in self.root.iter_files())


def read_iso_tree(iso_path: Path, handle: BinaryIO | None = None) -> IsoTree:
    """Read the directory tree of ``iso_path``; raises BadInput when it is not a readable ISO.

    With ``handle`` (``iso_path`` opened in binary mode) the tree is read through it: the writer
    reads the tree and the file data through one open file, so both come from the same file even
    if the path is replaced meanwhile.
    """
    iso = pycdlib.PyCdlib()
    try:
        if handle is not None:
            info = os.fstat(handle.fileno())
            # a block device (an ISO on a stick or disc) has no st_size: its end is its size
            iso_size = handle.seek(0, os.SEEK_END) if stat.S_ISBLK(info.st_mode) else info.st_size
            handle.seek(0)
            iso.open_fp(handle)
        else:
            iso_size = os.path.getsize(iso_path)
            iso.open(str(iso_path))
    except FileNotFoundError as exc:
        raise BadInput(f"{iso_path}: no such file", "Check the path of the ISO image.") from exc
    # A damaged ISO can trip pycdlib's parser in many ways, not only with its own exception.
    except (PyCdlibException, OSError, ValueError, IndexError, KeyError, struct.error) as exc:
        raise BadInput(
            f"{iso_path}: not a readable ISO 9660 image ({exc})",
            "Use the ECS/ESXi installer ISO as downloaded; re-download it if it may be damaged.",
        ) from exc
    try:
        return _Reader(iso, iso_path, iso_size).read()
    except (PyCdlibException, ValueError, IndexError, KeyError, struct.error) as exc:
        raise BadInput(
            f"{iso_path}: the ISO directory tree cannot be read ({exc})",
            "Re-download the image; if it persists, write it with --mode raw.",
        ) from exc
    finally:
        iso.close()


class _Reader:
    def __init__(self, iso: Any, iso_path: Path, iso_size: int) -> None:
        self.iso = iso
        self.iso_path = iso_path
        self.iso_size = iso_size
        self.block = int(iso.logical_block_size)
        # Rock Ridge keeps the names the ISO author chose (case, length); Joliet is the next
        # best; the plain ISO 9660 names (upper-case 8.3, what ESXi ISOs use) are the fallback.
        if iso.has_rock_ridge():
            self.kind, self.key = "rock-ridge", "rr_path"
        elif iso.has_joliet():
            self.kind, self.key = "joliet", "joliet_path"
        else:
            self.kind, self.key = "iso9660", "iso_path"
        self.skipped: list[str] = []

    def read(self) -> IsoTree:
        raw_id = self.iso.pvd.volume_identifier
        volume_id = raw_id.decode("ascii", "replace").strip() if isinstance(raw_id, bytes) else str(raw_id)
        root = IsoDir(name="")
        # An explicit stack, not recursion: a hostile ISO may nest directories very deeply.
        stack: list[tuple[str, IsoDir]] = [("/", root)]
        while stack:
            path, folder = stack.pop()
            for rec in self.iso.list_children(**{self.key: path}):
                if rec.is_dot() or rec.is_dotdot():
                    continue
                name = self._name(rec)
                child_path = f"{path.rstrip('/')}/{name}"
                if rec.is_symlink() or not self._is_regular(rec):
                    self.skipped.append(child_path)
                    continue
                hidden = bool(rec.file_flags & _HIDDEN_FLAG)
                mtime = _timestamp(rec)
                if rec.is_dir():
                    sub = IsoDir(name=name, mtime=mtime, hidden=hidden)
                    folder.dirs.append(sub)
                    stack.append((child_path, sub))
                else:
                    folder.files.append(self._file(rec, name, child_path, mtime, hidden))
        return IsoTree(root=root, volume_id=volume_id, names_from=self.kind, iso_size=self.iso_size,
                       skipped=self.skipped)

    def _name(self, rec: Any) -> str:
        if self.kind == "rock-ridge" and rec.rock_ridge is not None:
            raw: bytes = rec.rock_ridge.name()
            return raw.decode("utf-8", "replace")
        ident: bytes = rec.file_identifier()
        encoding = "utf-16_be" if self.kind == "joliet" else "ascii"
        text = ident.decode(encoding, "replace")
        if not rec.is_dir():
            # ISO 9660 file names carry a version (";1") and a dot even without an extension.
            text = _VERSION_SUFFIX.sub("", text)
            if text.endswith(".") and self.kind == "iso9660":
                text = text[:-1]
        return text

    def _is_regular(self, rec: Any) -> bool:
        if self.kind != "rock-ridge" or rec.rock_ridge is None:
            return True
        try:
            mode = rec.rock_ridge.get_file_mode()
        except PyCdlibException:
            return True  # no PX entry: treat like plain ISO 9660
        return stat.S_ISDIR(mode) or stat.S_ISREG(mode) or mode == 0

    def _file(self, rec: Any, name: str, path: str, mtime: Timestamp, hidden: bool) -> IsoFile:
        extents: list[tuple[int, int]] = []
        chunk: Any = rec
        # Multi-extent files (ISO level 3) are chained by pycdlib as data_continuation; each
        # chunk is a run of whole blocks except the last. The extent location comes from the
        # directory record itself, which is where the bytes are on disk.
        while chunk is not None:
            length = int(chunk.data_length)
            if length:
                offset = (int(chunk.extent_location()) + int(getattr(chunk, "data_extent_offset", 0))) \
                    * self.block
                extents.append((offset, length))
            chunk = getattr(chunk, "data_continuation", None)
        size = sum(length for _, length in extents)
        for offset, length in extents:
            if offset + length > self.iso_size:
                raise IsoTruncated(
                    f"{self.iso_path} is truncated: {path} lies beyond the end of the file "
                    f"(needs {offset + length} bytes, the ISO has {self.iso_size})",
                    "The ISO is truncated: download it again and check its SHA-256.",
                )
        return IsoFile(name=name, size=size, extents=tuple(extents), mtime=mtime, hidden=hidden)


def _timestamp(rec: Any) -> Timestamp:
    date = getattr(rec, "date", None)
    if date is None:
        return FAT_EPOCH
    try:
        value = (1900 + int(date.years_since_1900), int(date.month), int(date.day_of_month),
                 int(date.hour), int(date.minute), int(date.second))
    except (TypeError, ValueError, AttributeError):
        return FAT_EPOCH
    _, month, day, hour, minute, second = value
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        return FAT_EPOCH
    return value
