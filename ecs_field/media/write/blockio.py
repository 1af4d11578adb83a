"""Unbuffered block-device I/O with page-aligned, reused buffers.

Why unbuffered: a buffered write "finishes" in RAM and the real write happens during the final
flush, so progress lies and a yanked stick loses data the app thought was written. Linux gets
O_DIRECT, macOS F_NOCACHE; Windows raw disk handles (``\\\\.\\PhysicalDriveN``) bypass the file
cache anyway. O_DIRECT needs sector-aligned memory, offsets and lengths: anonymous mmap gives
page-aligned memory; the unaligned tail of an image is merged into the device's last sector
(read, overlay, write back), so nothing beyond the image changes.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import sys

if sys.platform != "win32":
    import fcntl

SECTOR = 512
MiB = 1024 * 1024

# <linux/fs.h>: BLKSSZGET = _IO(0x12, 104), BLKGETSIZE64 = _IOR(0x12, 114, size_t), BLKRRPART = _IO(0x12, 95)
_BLKSSZGET = 0x1268
_BLKGETSIZE64 = 0x80081272
_BLKRRPART = 0x125F
_F_NOCACHE = 48  # <sys/fcntl.h> on macOS

# errno values meaning the device itself is gone (unplugged, removed), not a bad sector.
GONE_ERRNOS = frozenset(
    e for e in (getattr(errno, n, None) for n in ("ENODEV", "ENXIO", "ENOMEDIUM", "ESHUTDOWN")) if e
)


def aligned_buffer(size: int) -> mmap.mmap:
    """A zeroed, page-aligned buffer of ``size`` bytes (anonymous mmap, not on the Python heap)."""
    return mmap.mmap(-1, size)


def round_up(value: int, multiple: int) -> int:
    return (value + multiple - 1) // multiple * multiple


def _pwrite(fd: int, data: memoryview, offset: int) -> int:
    if hasattr(os, "pwrite"):
        return os.pwrite(fd, data, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has no pwrite; each fd is used by one thread
    return os.write(fd, data)


def _pread_into(fd: int, buffer: memoryview, offset: int) -> int:
    if hasattr(os, "preadv"):
        return os.preadv(fd, [buffer], offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has neither preadv nor readv
    data = os.read(fd, len(buffer))
    buffer[: len(data)] = data
    return len(data)


class BlockDevice:
    """A device opened for whole-disk writing: exclusive where the OS can, cache bypassed.

    Linux: O_EXCL on a block device makes the open fail with EBUSY while anything has it mounted
    or claimed, and keeps the kernel from mounting it while we hold it.
    """

    def __init__(
        self, path: str, *, write: bool = True, direct: bool = True, exclusive: bool = True,
        fd: int | None = None,
    ) -> None:
        """Open ``path``, or adopt ``fd`` (already opened, e.g. by safety.open_exclusive)."""
        self.path = path
        if fd is None:
            flags = os.O_RDWR if write else os.O_RDONLY
            flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
            if exclusive and sys.platform.startswith("linux"):
                flags |= os.O_EXCL
            if direct and hasattr(os, "O_DIRECT"):
                flags |= os.O_DIRECT
            fd = os.open(path, flags)
        self.fd = fd
        self.direct = False
        if sys.platform != "win32" and hasattr(os, "O_DIRECT"):
            self.direct = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT)
        if direct and sys.platform == "darwin":
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.fd, _F_NOCACHE, 1)
        self.sector_size = self._sector_size()

    def _sector_size(self) -> int:
        if sys.platform.startswith("linux"):
            try:
                value = int.from_bytes(fcntl.ioctl(self.fd, _BLKSSZGET, b"\0" * 4), sys.byteorder)
            except OSError:
                return SECTOR  # a regular file (tests) or a driver without the ioctl
            if value >= SECTOR and value & (value - 1) == 0:
                return value
        return SECTOR

    def size_bytes(self) -> int | None:
        """The device's size as the OS reports it, or None where it cannot tell."""
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):
                return int.from_bytes(fcntl.ioctl(self.fd, _BLKGETSIZE64, b"\0" * 8), sys.byteorder)
        try:
            end = os.lseek(self.fd, 0, os.SEEK_END)
        except OSError:
            return None
        return end or None  # macOS raw disks report 0 here: unknown, not empty

    def write_at(self, offset: int, data: memoryview) -> None:
        """Write all of ``data`` at ``offset`` (a sector boundary).

        An image whose size is not a whole number of sectors ends in a partial sector. Raw disks
        (O_DIRECT here, Windows always) only take whole sectors, so that last sector is read,
        the image's bytes laid over its start, and written back: the bytes after the image stay
        exactly as they were (never padded with anything of ours).
        """
        length = len(data)
        aligned = length - length % self.sector_size
        done = 0
        while done < aligned:
            n = _pwrite(self.fd, data[done:aligned], offset + done)
            if n <= 0:
                raise OSError(errno.EIO, "the device accepted no more bytes (short write)")
            done += n
        if done < length:
            sector = aligned_buffer(max(mmap.PAGESIZE, self.sector_size))
            view = memoryview(sector)[: self.sector_size]
            if self.read_at(offset + done, view) < self.sector_size:
                raise OSError(errno.EIO, f"could not read the last sector at offset {offset + done}")
            view[: length - done] = data[done:length]
            if _pwrite(self.fd, view, offset + done) != self.sector_size:
                raise OSError(errno.EIO, "the device accepted no more bytes (short write)")

    def read_at(self, offset: int, buffer: memoryview) -> int:
        """Fill ``buffer`` from ``offset``; its length must be a multiple of the sector size when direct."""
        done = 0
        while done < len(buffer):
            n = _pread_into(self.fd, buffer[done:], offset + done)
            if n == 0:
                break
            done += n
        return done

    def flush(self) -> None:
        os.fsync(self.fd)

    def drop_cache(self) -> None:
        """Make later reads come from the device, not RAM (for verification without O_DIRECT)."""
        os.fsync(self.fd)
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def reread_partitions(self) -> None:
        """Ask the kernel to read the new partition table (best effort: loops without partscan refuse)."""
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):
                fcntl.ioctl(self.fd, _BLKRRPART)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> BlockDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
