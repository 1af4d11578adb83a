"""Devices for write tests: plain loop devices, and a disk that fails on command.

``loop_device(size)`` gives a loop device over a sparse file in a temporary folder, always
detached afterwards. ``make_disk_image`` writes random bytes with a valid MBR (0x55AA at 510
and one partition), so "no valid partition table" can be checked on the device.

The failing disk: a loop device over a one-file FUSE filesystem served here.

The design asked for device-mapper (dm-error, dm-linear reloads), but this kernel has no
device-mapper, while FUSE is built in. A loop device whose backing file lives on a FUSE mount
served by this module gives the same real block-device path (/dev/loopN, O_DIRECT, the kernel's
error propagation) with faults we control precisely:

- ``error_at``: requests touching a byte range fail with EIO (a bad sector);
- ``gone``: every request fails (the stick was pulled);
- ``hold_writes_at``: the first write touching an offset blocks until released (observe the
  disk mid-write, change the image mid-write, or stall the writer);
- ``hold_reads_at``: the same for a read (stop the writer in its verify pass, e.g. to kill it);
- ``corrupt_reads``: reads return altered data (verification mismatch);
- ``fake_capacity``: writes past an offset are acknowledged but dropped (a fake-capacity stick);
- ``short_writes_from``: writes past an offset are only half done (a short write);
- ``writes``: the log of (offset, length) of every write, in order; ``ops`` the log of every
  ("read"|"write", offset, length).

Only the FUSE wire protocol is spoken (fuse_kernel.h, protocol 7.x); no libfuse needed. The
file opens with FOPEN_DIRECT_IO so every read and write of the loop device reaches us.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# opcodes (fuse_kernel.h)
LOOKUP, FORGET, GETATTR, SETATTR = 1, 2, 3, 4
OPEN, READ, WRITE, STATFS, RELEASE, FSYNC = 14, 15, 16, 17, 18, 20
GETXATTR, LISTXATTR, FLUSH, INIT, OPENDIR, READDIR, RELEASEDIR = 22, 23, 25, 26, 27, 28, 29
ACCESS, INTERRUPT, DESTROY, BATCH_FORGET, FALLOCATE = 34, 36, 38, 42, 43
NO_REPLY = {FORGET, BATCH_FORGET, INTERRUPT}

IN_HEADER = struct.Struct("<IIQQIIII")  # len, opcode, unique, nodeid, uid, gid, pid, padding
OUT_HEADER = struct.Struct("<IiQ")  # len, error, unique
ATTR = struct.Struct(
    "<QQQQQQIIIIIIIIII"
)  # ino size blocks atime mtime ctime *nsec mode nlink uid gid rdev blksize flags
FOPEN_DIRECT_IO = 1
FUSE_MAX_PAGES = 1 << 22
MAX_WRITE = 1024 * 1024
ROOT, FILE_NODE = 1, 2
FILE_NAME = "disk"


class FaultDisk:
    """Serve one file of ``size`` bytes at ``mountpoint/disk``, stored in ``store`` (a real file)."""

    def __init__(self, size: int, workdir: Path) -> None:
        self.size = size
        self.workdir = workdir
        self.store = workdir / "store.bin"
        with open(self.store, "wb") as handle:
            handle.truncate(size)
        self.mountpoint = workdir / "mnt"
        self.mountpoint.mkdir()
        self.lock = threading.Lock()
        self.error_ranges: list[tuple[int, int, str]] = []  # start, end, "read"|"write"|"any"
        self.gone = False
        self.corrupt_reads: tuple[int, bytes] | None = None
        self.hold_at: int | None = None
        self.hold_read_at: int | None = None
        self.held = threading.Event()  # set when a write (or read) is being held
        self.release = threading.Event()
        self.writes: list[tuple[int, int]] = []
        self.ops: list[tuple[str, int, int]] = []
        self.fake_capacity: int | None = None  # writes past this are "accepted" and dropped
        self.short_writes_from: int | None = None  # writes past this store and report only half
        self._fd = -1
        self._store_fd = -1
        self._thread: threading.Thread | None = None
        self.loop: str | None = None

    # ----- control (called from tests) ---------------------------------------------------------

    def error_at(self, start: int, length: int, op: str = "write") -> None:
        with self.lock:
            self.error_ranges.append((start, start + length, op))

    def hold_writes_at(self, offset: int) -> None:
        self.release.clear()
        self.held.clear()
        self.hold_at = offset

    def hold_reads_at(self, offset: int) -> None:
        self.release.clear()
        self.held.clear()
        self.hold_read_at = offset

    def read_store(self, offset: int, length: int) -> bytes:
        with open(self.store, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    # ----- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        self._fd = os.open("/dev/fuse", os.O_RDWR)
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        options = f"fd={self._fd},rootmode=40000,user_id=0,group_id=0,allow_other".encode()
        if libc.mount(b"ecsfault", str(self.mountpoint).encode(), b"fuse", 0, options) != 0:
            err = ctypes.get_errno()
            os.close(self._fd)
            raise OSError(err, f"mount fuse: {os.strerror(err)}")
        self._store_fd = os.open(self.store, os.O_RDWR)
        self._thread = threading.Thread(target=self._serve, name="faultdisk", daemon=True)
        self._thread.start()
        self.loop = losetup(self.mountpoint / FILE_NAME)
        return self.loop

    def stop(self) -> None:
        self.release.set()
        self.gone = False
        if self.loop:
            detach(self.loop)
            self.loop = None
        subprocess.run(["umount", "-l", str(self.mountpoint)], capture_output=True, timeout=30)
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._store_fd >= 0:
            os.close(self._store_fd)
            self._store_fd = -1

    # ----- protocol ----------------------------------------------------------------------------

    def _attr(self, node: int) -> bytes:
        now = int(time.time())
        if node == ROOT:
            return ATTR.pack(ROOT, 0, 0, now, now, now, 0, 0, 0, 0o40755, 2, 0, 0, 0, 4096, 0)
        return ATTR.pack(
            FILE_NODE, self.size, self.size // 512, now, now, now, 0, 0, 0, 0o100644, 1, 0, 0, 0, 4096, 0
        )

    def _reply(self, unique: int, error: int = 0, payload: bytes = b"") -> None:
        header = OUT_HEADER.pack(OUT_HEADER.size + len(payload), -error if error else 0, unique)
        with contextlib.suppress(OSError):  # the request may have been interrupted/aborted
            os.write(self._fd, header + payload)

    def _serve(self) -> None:
        while True:
            try:
                data = os.read(self._fd, MAX_WRITE + 64 * 1024)
            except OSError as exc:
                if exc.errno in (errno.EINTR, errno.EAGAIN, errno.ENOENT):
                    continue
                return  # ENODEV: unmounted
            if not data:
                return
            length, opcode, unique, node, *_ = IN_HEADER.unpack_from(data)
            body = data[IN_HEADER.size : length]
            if opcode in NO_REPLY:
                continue
            try:
                self._handle(opcode, unique, node, body)
            except Exception:  # a bug here must not hang the kernel waiting for a reply
                self._reply(unique, errno.EIO)
            if opcode == DESTROY:
                return

    def _handle(self, opcode: int, unique: int, node: int, body: bytes) -> None:
        if opcode == INIT:
            _major, minor, readahead, _flags = struct.unpack_from("<IIII", body)
            out = struct.pack(
                "<IIIIHHIIHHII6I",
                7,
                min(minor, 31),
                readahead,
                FUSE_MAX_PAGES,
                16,
                12,
                MAX_WRITE,
                1,
                MAX_WRITE // 4096,
                0,
                0,
                0,
                *([0] * 6),
            )
            self._reply(unique, 0, out)
        elif opcode == LOOKUP:
            if node == ROOT and body.rstrip(b"\0") == FILE_NAME.encode():
                self._reply(
                    unique, 0, struct.pack("<QQQQII", FILE_NODE, 0, 1, 1, 0, 0) + self._attr(FILE_NODE)
                )
            else:
                self._reply(unique, errno.ENOENT)
        elif opcode in (GETATTR, SETATTR):
            self._reply(unique, 0, struct.pack("<QII", 1, 0, 0) + self._attr(node))
        elif opcode in (OPEN, OPENDIR):
            self._reply(unique, 0, struct.pack("<QII", 1, FOPEN_DIRECT_IO if opcode == OPEN else 0, 0))
        elif opcode == READDIR:
            self._reply(unique, 0, b"")
        elif opcode in (RELEASE, RELEASEDIR, FLUSH, ACCESS, DESTROY):
            self._reply(unique, 0)
        elif opcode == FSYNC:
            self._reply(unique, errno.EIO if self.gone else 0)
        elif opcode == STATFS:
            self._reply(unique, 0, struct.pack("<QQQQQIIII6I", 0, 0, 0, 0, 0, 4096, 255, 4096, 0, *([0] * 6)))
        elif opcode == READ:
            _fh, offset, size = struct.unpack_from("<QQI", body)
            hold = self.hold_read_at
            if hold is not None and offset <= hold < offset + size:
                self.hold_read_at = None
                self.held.set()
                self.release.wait(120)
            with self.lock:
                self.ops.append(("read", offset, size))
            if self._fails(offset, size, "read"):
                self._reply(unique, errno.EIO)
                return
            chunk = os.pread(self._store_fd, size, offset)
            if self.corrupt_reads is not None:
                at, garbage = self.corrupt_reads
                if offset <= at < offset + len(chunk):
                    i = at - offset
                    chunk = chunk[:i] + garbage[: len(chunk) - i] + chunk[i + len(garbage) :]
            self._reply(unique, 0, chunk)
        elif opcode == WRITE:
            _fh, offset, size = struct.unpack_from("<QQI", body)
            payload = body[40 : 40 + size]
            hold = self.hold_at
            if hold is not None and offset <= hold < offset + size:
                self.hold_at = None
                self.held.set()
                self.release.wait(120)
            if self._fails(offset, size, "write"):
                self._reply(unique, errno.EIO)
                return
            if self.fake_capacity is not None and offset + size > self.fake_capacity:
                payload = payload[: max(0, self.fake_capacity - offset)]
            if self.short_writes_from is not None and offset + size > self.short_writes_from:
                size = max(0, size // 2)
                payload = payload[:size]
            os.pwrite(self._store_fd, payload, offset)
            with self.lock:
                self.writes.append((offset, size))
                self.ops.append(("write", offset, size))
            self._reply(unique, 0, struct.pack("<II", size, 0))
        else:
            self._reply(unique, errno.ENOSYS)

    def _fails(self, offset: int, size: int, op: str) -> bool:
        if self.gone:
            return True
        with self.lock:
            return any(
                start < offset + size and offset < end and kind in (op, "any")
                for start, end, kind in self.error_ranges
            )


@contextlib.contextmanager
def fault_disk(size: int, fill: bytes = b""):  # type: ignore[no-untyped-def]
    """A started FaultDisk (store pre-filled with ``fill``) with its loop device; always torn down."""
    with tempfile.TemporaryDirectory(prefix="ecs-faultdisk-") as tmp:
        disk = FaultDisk(size, Path(tmp))
        if fill:
            with open(disk.store, "r+b") as handle:
                handle.write(fill[:size])
        try:
            disk.start()
            yield disk
        finally:
            disk.stop()


def losetup(backing: Path) -> str:
    """Attach ``backing`` to a free loop device and return its path."""
    loop = subprocess.run(
        ["losetup", "--find", "--show", str(backing)], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()
    assert loop.startswith("/dev/loop"), loop  # never anything else
    return loop


def detach(loop: str) -> None:
    subprocess.run(["losetup", "-d", loop], capture_output=True, timeout=30)


@contextlib.contextmanager
def attached_loop(backing: Path, size: int | None = None) -> Iterator[str]:
    """Attach ``backing`` (made sparse, ``size`` bytes, when given) to a free loop device; always detach."""
    if size is not None:
        with open(backing, "wb") as handle:
            handle.truncate(size)
    loop = losetup(backing)
    try:
        yield loop
    finally:
        detach(loop)


@contextlib.contextmanager
def loop_device(size: int, folder: Path) -> Iterator[tuple[str, Path]]:
    """(loop path, backing file) of a zeroed ``size``-byte device; detached and deleted even on failure."""
    backing = folder / f"loopdev-{os.getpid()}-{time.monotonic_ns()}.img"
    try:
        with attached_loop(backing, size) as loop:
            yield loop, backing
    finally:
        with contextlib.suppress(OSError):
            backing.unlink()


def make_disk_image(path: Path, size: int, *, seed: int = 1) -> bytes:
    """Random bytes with a valid MBR: one active FAT32 (LBA) partition from 1 MiB (from sector 1 in
    images of 2 MiB or less, so it is never empty); returns the bytes."""
    import random

    data = bytearray(random.Random(seed).randbytes(size))
    start = 2048 if size > 2 * 1024 * 1024 else 1
    sectors = size // 512 - start
    data[446:462] = (
        bytes([0x80, 0, 0, 0, 0x0C, 0, 0, 0]) + start.to_bytes(4, "little") + sectors.to_bytes(4, "little")
    )
    data[462:510] = bytes(48)
    data[510:512] = b"\x55\xaa"
    path.write_bytes(data)
    return bytes(data)


def has_partition_table(blob: bytes) -> bool:
    return blob[510:512] == b"\x55\xaa"


def make_gpt_disk_image(path: Path, size: int, *, seed: int = 2) -> bytes:
    """Random bytes with a valid GPT (protective MBR, primary and backup headers and tables, one
    EFI system partition), as partitioning tools write it; returns the bytes. ``size``: whole sectors."""
    import random
    import uuid
    import zlib

    assert size % 512 == 0
    sectors = size // 512
    rng = random.Random(seed)
    data = bytearray(rng.randbytes(size))
    data[446:462] = bytes([0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF]) + (1).to_bytes(4, "little") + \
        min(sectors - 1, 0xFFFFFFFF).to_bytes(4, "little")
    data[462:510] = bytes(48)
    data[510:512] = b"\x55\xaa"
    entries = bytearray(128 * 128)
    esp = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B").bytes_le
    name = "EFI".encode("utf-16-le").ljust(72, b"\0")
    entries[0:128] = (esp + uuid.UUID(int=rng.getrandbits(128)).bytes_le + (2048).to_bytes(8, "little")
                      + (sectors - 34).to_bytes(8, "little") + bytes(8) + name)
    entries_crc = zlib.crc32(entries)
    disk_guid = uuid.UUID(int=rng.getrandbits(128)).bytes_le

    def header(mine: int, other: int, table: int) -> bytes:
        fields = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0, mine, other, 34,
                             sectors - 34, disk_guid, table, 128, 128, entries_crc)
        crc = zlib.crc32(fields)
        return (fields[:16] + crc.to_bytes(4, "little") + fields[20:]).ljust(512, b"\0")

    data[512:1024] = header(1, sectors - 1, 2)
    data[1024 : 1024 + len(entries)] = entries
    data[size - 33 * 512 : size - 512] = entries
    data[size - 512 :] = header(sectors - 1, 1, sectors - 33)
    path.write_bytes(data)
    return bytes(data)


def partition_table_type(path: Path | str) -> str:
    """What blkid's low-level probe finds: "dos", "gpt", or "" for no partition table."""
    done = subprocess.run(["blkid", "-p", "-o", "export", str(path)], capture_output=True, text=True,
                          timeout=30)
    for line in done.stdout.splitlines():
        if line.startswith("PTTYPE="):
            return line.split("=", 1)[1]
    return ""
