"""What the writer writes: a byte stream of known size, from a file or synthesised.

The writer does not care whether bytes come from a raw image file or from the FAT32 stick
image built on the fly (fat32.py): both are an ImageSource. ``read_into`` fills a caller-owned
buffer so the hot loop allocates nothing.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import Protocol

_HAVE_PREADV = hasattr(os, "preadv")


class ImageSource(Protocol):
    """A readable, seekable-by-offset byte stream of ``size_bytes`` bytes."""

    @property
    def size_bytes(self) -> int: ...

    @property
    def description(self) -> str: ...

    def read_into(self, offset: int, buffer: memoryview) -> int:
        """Fill ``buffer`` with bytes starting at ``offset``; returns how many (short only at the end)."""
        ...

    def close(self) -> None: ...


class FileSource:
    """A raw image file, written byte for byte."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._size = os.fstat(self._fd).st_size
        self._file = io.FileIO(self._fd, "rb", closefd=False)
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._size

    @property
    def description(self) -> str:
        return f"raw image {self.path.name}"

    def opened_stat(self) -> os.stat_result:
        """The file actually being read (the writer checks it is the fingerprinted image)."""
        return os.fstat(self._fd)

    def read_into(self, offset: int, buffer: memoryview) -> int:
        done = 0
        while done < len(buffer):
            chunk = self._pread(offset + done, buffer[done:])
            if chunk == 0:
                break
            done += chunk
        return done

    def _pread(self, offset: int, buffer: memoryview) -> int:
        if _HAVE_PREADV:
            return os.preadv(self._fd, [buffer], offset)
        # Windows has no preadv: seek + readinto under a lock (the writer reads from one thread,
        # but the verify phase and a re-check may share the source).
        with self._lock:
            os.lseek(self._fd, offset, os.SEEK_SET)
            return self._file.readinto(buffer) or 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
