"""Which image file a write is made from, so a file that changes mid-way is never left bootable.

A write reads its image more than once: inspecting it (the mode), hashing it (``--sha256``),
reading the ISO's file tree (uefi-fat32), then streaming it onto the stick. If the file changes
between those reads, the stick holds a tree from one file and data from another, and the
read-back still matches what was streamed. So the fingerprint is taken before anything reads
the file, the streams are checked to be reading that very file, and it is compared again after
verification, right before the boot record goes on: a changed image fails (exit 2) and the stick
is left without a boot record.

Size, modification and change times (nanoseconds) and the file's identity (device + inode)
together notice an in-place edit (even one that restores the modification time: the change time
moves with it), a truncation or growth, and a replacement by rename.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ecs_field.errors import BadInput


class ImageChanged(BadInput):
    """The image file changed (size, time, identity or content) while it was being written."""


@dataclass(frozen=True)
class ImageFingerprint:
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int
    sha256: str | None = None  # the file's SHA-256 where the pipeline computed it (--sha256, library)

    @classmethod
    def of(cls, path: Path, info: os.stat_result) -> ImageFingerprint:
        return cls(str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)

    @classmethod
    def take(cls, path: Path) -> ImageFingerprint:
        try:
            return cls.of(path, os.stat(path))
        except FileNotFoundError as exc:
            raise BadInput(f"{path}: no such file", "Check the image path.") from exc
        except OSError as exc:
            raise BadInput(f"{path}: cannot read it ({exc.strerror})",
                           "Check the file's permissions.") from exc

    # The file identity the SHA-256 cache keys on (library/hashing.py FileIdentity).
    @property
    def st_dev(self) -> int:
        return self.device

    @property
    def st_ino(self) -> int:
        return self.inode

    @property
    def st_size(self) -> int:
        return self.size

    @property
    def st_mtime_ns(self) -> int:
        return self.mtime_ns

    @property
    def st_ctime_ns(self) -> int:
        return self.ctime_ns

    def with_sha256(self, sha256: str | None) -> ImageFingerprint:
        return ImageFingerprint(self.path, self.size, self.mtime_ns, self.ctime_ns, self.inode, self.device,
                                sha256)

    def differences(self, info: os.stat_result) -> list[str]:
        """What differs between this fingerprint and ``info`` (a stat of the path or of an open file)."""
        found = []
        if (info.st_dev, info.st_ino) != (self.device, self.inode):
            found.append("it was replaced by another file")
        if info.st_size != self.size:
            found.append(f"its size went from {self.size} to {info.st_size} bytes")
        if info.st_mtime_ns != self.mtime_ns or info.st_ctime_ns != self.ctime_ns:
            found.append("it was modified")
        return found

    def check(self, opened: os.stat_result | None = None, *, when: str) -> None:
        """Raise ImageChanged unless the path (and the open file we read, if given) is still this file."""
        name = Path(self.path).name
        try:
            now = os.stat(self.path)
        except OSError as exc:
            raise ImageChanged(
                f"{name} disappeared {when}: {exc.strerror or exc}",
                "Do not move or delete the image during a write. Write it again; the stick was left "
                "without a boot record, so it cannot boot a half-written installer.",
            ) from exc
        found = self.differences(now)
        if opened is not None:
            found += [f"the file being read: {d}" for d in self.differences(opened) if d not in found]
        if found:
            raise ImageChanged(
                f"{name} changed {when} ({'; '.join(found)}): what was written may mix the old and the "
                "new file. Exit code 2: the image is the problem, not the stick",
                "Do not modify, replace or re-download the image during a write. Write it again; the "
                "stick was left without a boot record, so it cannot boot a half-written installer.",
            )
