"""Re-check a written stick against its image, read-only (``ecs-field verify``).

The device is opened read-only (O_RDONLY, never O_RDWR, no exclusive claim so a mounted stick
can be checked too) with the cache bypassed where the OS allows (O_DIRECT; else the cached pages
are dropped first with posix_fadvise, which writes nothing). Nothing here writes, flushes,
re-reads partition tables or unmounts. Each block read back is compared byte for byte with the
same block of the image's stream (the raw file, or the FAT32 stick image synthesised again, with
the same kickstart), so the first differing byte is known at once; on a FAT32 stick it is named
by the file (or FAT structure) it belongs to.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import stat
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ecs_field.errors import BadInput, Cancelled, DeviceError
from ecs_field.events import CancelToken, ProgressCallback, RateMeter, ignore_progress
from ecs_field.media.image.source import ImageSource
from ecs_field.media.write.blockio import GONE_ERRNOS, BlockDevice, MiB, aligned_buffer, round_up
from ecs_field.media.write.writer import VERIFY_CHUNK, first_difference

DEFAULT_BLOCK_SIZE = 4 * MiB
PROGRESS_INTERVAL_S = 0.25


@dataclass
class VerifyOutcome:
    image: str
    device: str
    mode: str
    bytes_total: int
    bytes_compared: int
    same: bool
    first_difference: int | None = None  # offset on the device
    where: str | None = None  # what lies there in the image (a FAT32 stick's file), when known
    seconds: float = 0.0
    kickstart: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "ecs-field/verify@1", **asdict(self)}


def open_read_only(path: str) -> BlockDevice:
    """``path`` opened for reading only: a block device (or a disk image file), never a FIFO or tty.

    O_NONBLOCK keeps the open itself from waiting on a FIFO; the type is checked before any read.
    """
    base = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    flags = base | getattr(os, "O_NONBLOCK", 0)
    direct = getattr(os, "O_DIRECT", 0)
    try:
        fd = os.open(path, flags | direct)
    except OSError as exc:
        if exc.errno == errno.EINVAL and direct:  # the driver or file system refuses direct I/O
            fd = _open(path, flags)
        else:
            raise _open_error(path, exc) from exc
    try:
        info = os.fstat(fd)
        # macOS raw disks are character devices; on Linux a character device is never a disk.
        raw_disk = stat.S_ISCHR(info.st_mode) and not sys.platform.startswith("linux")
        disk_node = stat.S_ISBLK(info.st_mode) or raw_disk
        if not (disk_node or stat.S_ISREG(info.st_mode)):
            raise BadInput(f"{path} is neither a drive nor a disk image file",
                           "Give the whole drive, e.g. /dev/sdb (`ecs-field drives` lists them).")
        if sys.platform != "win32":
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~getattr(os, "O_NONBLOCK", 0))
        device = BlockDevice(path, fd=fd, write=False, exclusive=False)
    except BaseException:
        os.close(fd)
        raise
    if not device.direct and hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):  # read what the stick holds, not what RAM remembers
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    return device


def _open(path: str, flags: int) -> int:
    try:
        return os.open(path, flags)
    except OSError as exc:
        raise _open_error(path, exc) from exc


def _open_error(path: str, exc: OSError) -> Exception:
    if exc.errno in (errno.ENOENT, errno.ENXIO, errno.ENODEV):
        return BadInput(f"{path}: no such drive", "Plug the stick in; `ecs-field drives` lists the drives.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return DeviceError(f"No permission to read {path}",
                           "Reading a whole drive needs administrator rights: run it with sudo "
                           "(Linux, macOS) or as Administrator.")
    if exc.errno == errno.EISDIR:
        return BadInput(f"{path} is a folder, not a drive", "Give the whole drive, e.g. /dev/sdb.")
    return DeviceError(f"Cannot open {path}: {exc.strerror or exc}", None)


def verify_device(
    source: ImageSource,
    device_path: str,
    *,
    mode: str,
    image_name: str,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    stall_timeout_s: float = 60.0,
    describe: Callable[[int], str] | None = None,
) -> VerifyOutcome:
    """Compare the device with ``source`` (every byte of it, block 0 included); never writes."""
    cancel = cancel or CancelToken()
    started = time.monotonic()
    total = source.size_bytes
    outcome = VerifyOutcome(image=image_name, device=device_path, mode=mode, bytes_total=total,
                            bytes_compared=0, same=False)
    device = open_read_only(device_path)
    thread: threading.Thread | None = None
    try:
        size = device.size_bytes()
        limit = total if size is None else min(total, size)
        meter = RateMeter()
        blocks: queue.Queue[tuple[int, int, Any] | BaseException | None] = queue.Queue(maxsize=2)
        free: queue.Queue[Any] = queue.Queue()
        for _ in range(3):
            free.put(aligned_buffer(block_size))
        stop = threading.Event()

        def hand_over(item: tuple[int, int, Any] | BaseException | None) -> bool:
            while not stop.is_set():
                with contextlib.suppress(queue.Full):
                    blocks.put(item, timeout=0.1)
                    return True
            return False

        def reader() -> None:
            try:
                for offset in range(0, limit, block_size):
                    length = min(block_size, limit - offset)
                    buf = None
                    while buf is None:
                        if stop.is_set():
                            return
                        with contextlib.suppress(queue.Empty):
                            buf = free.get(timeout=0.1)
                    # Whole sectors for direct I/O; past the end of a file or device it reads less.
                    view = memoryview(buf)[: round_up(length, device.sector_size)]
                    got = _read(device, offset, view)
                    if not hand_over((offset, min(got, length), buf)):
                        return
                hand_over(None)
            except BaseException as exc:  # handed to the comparing thread
                hand_over(exc)

        thread = threading.Thread(target=reader, name="ecs-verify-read", daemon=True)
        thread.start()
        # The image is taken a piece at a time: its copy is still in the CPU cache when compared.
        expected = bytearray(min(VERIFY_CHUNK, block_size))
        next_emit = 0.0
        try:
            while True:
                item = _next(blocks, cancel, stall_timeout_s, device_path, outcome.bytes_compared)
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                offset, got, buf = item
                length = min(block_size, limit - offset)
                at = _compare(source, offset, length, memoryview(buf)[:got], expected=expected,
                              image_name=image_name)
                if at is not None:
                    outcome.first_difference = at
                    outcome.where = describe(at) if describe else None
                    outcome.bytes_compared = at
                    break
                outcome.bytes_compared = offset + length
                free.put(buf)
                now = time.monotonic()
                if now >= next_emit:
                    next_emit = now + PROGRESS_INTERVAL_S
                    _emit(progress, meter.progress("verify", outcome.bytes_compared, total,
                                                   f"Comparing {device_path} with {image_name}"))
        finally:
            stop.set()
            thread.join(timeout=3.0)
        if outcome.first_difference is None and limit < total:
            outcome.first_difference = limit  # the device ends before the image does
            outcome.where = f"the end of the device ({limit} bytes): it is smaller than the image"
        outcome.same = outcome.first_difference is None
        outcome.seconds = time.monotonic() - started
        meter.reset()
        _emit(progress, meter.progress("done", outcome.bytes_compared, total,
                                       "same as the image" if outcome.same else "different from the image"))
        return outcome
    finally:
        # A reader stuck in a system call on a dead stick keeps the descriptor: its number must
        # not be reused under it.
        if thread is None or not thread.is_alive():
            device.close()


def _compare(
    source: ImageSource, offset: int, length: int, actual: memoryview, *, expected: bytearray, image_name: str
) -> int | None:
    """The device offset of the first byte of ``actual`` (read from ``offset``) that differs from the
    image's ``length`` bytes there, or None when all are the same; compared ``len(expected)`` at a time.

    ``actual`` shorter than ``length`` (the device ended) differs where it ends.
    """
    chunk = len(expected)
    image = memoryview(expected)
    for start in range(0, length, chunk):
        n = min(chunk, length - start)
        if source.read_into(offset + start, image[:n]) != n:
            raise BadInput(f"{image_name} ended early while it was being compared (was it changed?)",
                           "Keep the image unchanged while verifying, then run it again.")
        piece = actual[start : start + n]
        # bytearray == buffer is one memcmp; a short last piece compares a copy.
        if len(piece) < n or (expected if n == chunk else expected[:n]) != piece:
            return offset + start + first_difference(image[:n], piece)
    return None


def _read(device: BlockDevice, offset: int, view: memoryview) -> int:
    try:
        return device.read_at(offset, view)
    except OSError as exc:
        gone = exc.errno in GONE_ERRNOS
        raise DeviceError(
            f"{device.path}: {'the device is gone' if gone else 'read error'} at offset {offset}: "
            f"{exc.strerror or exc}",
            "Plug the stick in again (directly, not through a hub) and verify again; a stick that fails "
            "to read back is worn out: write the image to another one.",
        ) from exc


def _next(
    blocks: queue.Queue[Any], cancel: CancelToken, stall_timeout_s: float, device_path: str, position: int
) -> Any:
    waited = 0.0
    while True:
        if cancel.cancelled:
            raise Cancelled("Verification cancelled; nothing was changed on the stick.")
        try:
            return blocks.get(timeout=0.1)
        except queue.Empty:
            waited += 0.1
            if waited > stall_timeout_s:
                raise DeviceError(f"{device_path}: the stick stopped answering at offset {position}",
                                  "Unplug the stick, plug it into another port and verify again.") from None


def _emit(progress: ProgressCallback, event: Any) -> None:
    with contextlib.suppress(Exception):  # a broken listener must not break a verify
        progress(event)
