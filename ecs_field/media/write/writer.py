"""Write an image to a whole device and verify it (DESIGN.md 4, reference/writers.md lessons).

The order of work is chosen so that a stick is never left looking bootable when it is not:

1. prepare: wipe the first and last MiB (old partition table, boot signature, backup GPT; a
   fake-capacity stick that drops writes near its claimed end shows up in verification).
2. write: a reader thread fills page-aligned 4 MiB buffers from the image while a writer
   thread writes the one before (two buffers circulate); a hasher works beside them when the
   image's SHA-256 is not known yet (it is checked once per image and cached, see
   library/hashing.py). The image's first block (MBR/partition table, boot signature, GPT
   header, the ISO's volume descriptors) and its last block (a backup GPT header) are kept aside
   in memory. At the end the image's SHA-256 (computed or known) is matched against the
   expected hash and the file checked unchanged.
3. flush: fsync, its own phase because a stick's cache can take a while to drain.
4. verify: only after every block is written and flushed (so a fake-capacity stick that wraps
   late writes onto early blocks is caught), every other block is read back with the cache
   bypassed, by a reader thread, while a comparer checks the block before byte for byte with
   the image (a memcmp, not a second hash pass: it runs at the stick's read speed on any CPU,
   and names the first differing byte at once).
5. boot record: the image file is checked unchanged once more (its fingerprint, see
   fingerprint.py), then the kept blocks go on (the last block, then block 0), are flushed, read
   back and compared byte for byte. Only now can the stick boot.

So a write that is cancelled, fails, or is killed outright (SIGKILL, power loss, a pulled stick)
anywhere before step 5 leaves a stick whose first MiB is zeros: no boot signature, no partition
table, no GPT, no ISO volume; a failure in step 5 re-wipes it. ``--no-verify`` skips step 4 only.
All progress callbacks run on the caller's thread, every ~250 ms, which also watches for stalls.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ecs_field.errors import BadInput, Cancelled, DeviceError, EcsFieldError, SafetyRefusal, VerifyMismatch
from ecs_field.events import CancelToken, Progress, ProgressCallback, RateMeter, ignore_progress
from ecs_field.media.image.source import ImageSource
from ecs_field.media.write.blockio import GONE_ERRNOS, BlockDevice, MiB, aligned_buffer, round_up
from ecs_field.media.write.fingerprint import ImageChanged, ImageFingerprint

log = logging.getLogger(__name__)

PHASES = ("prepare", "write", "flush", "verify", "done", "error")
DEFAULT_BLOCK_SIZE = 4 * MiB
WIPE_BYTES = MiB
# The comparer checks a block this much at a time: the image's copy is still in the CPU cache.
VERIFY_CHUNK = 512 * 1024
PROGRESS_INTERVAL_S = 0.25
T = TypeVar("T")


__all__ = ["PHASES", "ChecksumMismatch", "ImageChanged", "PhaseTiming", "WriteResult", "write_image"]


class ChecksumMismatch(BadInput):
    """The image's SHA-256 is not the one it should have: the image itself is wrong."""


@dataclass(frozen=True)
class PhaseTiming:
    phase: str
    bytes: int
    seconds: float

    @property
    def rate_bps(self) -> float:
        return self.bytes / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "rate_bps": round(self.rate_bps, 1)}


@dataclass
class WriteResult:
    device_path: str
    source: str
    bytes_written: int
    sha256: str
    verified: bool
    expected_sha256: str | None = None
    verify_sha256: str | None = None
    phases: list[PhaseTiming] = field(default_factory=list)
    started_at: float = 0.0
    ended_at: float = 0.0

    @property
    def summary(self) -> str:
        if self.verified:
            return f"written and verified ({self.bytes_written} bytes, sha256 {self.sha256})"
        return (f"written, NOT verified (verification skipped) "
                f"({self.bytes_written} bytes, sha256 {self.sha256})")

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["phases"] = [p.to_dict() for p in self.phases]
        return document


class _Stopped(Exception):
    """Internal: another thread failed or the user cancelled; unwind quietly."""


@dataclass
class _Block:
    index: int
    offset: int
    length: int
    buffer: Any  # mmap.mmap
    kept: bool = False  # a block kept aside for the boot-record step: its buffer is not recycled
    users: int = 1  # threads still using the buffer (writer, hasher); recycled at 0


@dataclass
class _Shared:
    phase: str = "prepare"
    bytes_done: int = 0
    bytes_total: int = 0
    position: int = 0  # device offset being worked on, for stall messages
    failure: BaseException | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    # Set when a worker thread ends (or fails): the supervisor wakes at once, not at its next tick.
    ended: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            if self.failure is None:
                self.failure = exc
        self.stop.set()
        self.ended.set()


def _source_file(source: ImageSource) -> Path | None:
    """The file behind a source, to notice it changing mid-write (FileSource.path, fat32 iso_path)."""
    for name in ("path", "iso_path"):
        value = getattr(source, name, None)
        if isinstance(value, (str, Path)):
            return Path(value)
    return None


def _opened_stat(source: ImageSource) -> Any:
    """os.fstat of the file the source actually reads (None for synthetic sources)."""
    stat_of = getattr(source, "opened_stat", None)
    return stat_of() if callable(stat_of) else None


def first_difference(expected: memoryview, actual: memoryview) -> int:
    """Index of the first differing byte of two buffers (their common length when one is shorter).

    Narrowed in 64 KiB then 512-byte steps (memcmp each), so only the last step goes byte by byte.
    """
    length = min(len(expected), len(actual))
    start = 0
    for step in (64 * 1024, 512):
        while start < length and bytes(expected[start : start + step]) == bytes(actual[start : start + step]):
            start += step
    for i in range(start, min(start + 512, length)):
        if expected[i] != actual[i]:
            return i
    return length


def _bind_write(device: BlockDevice, offset: int, view: memoryview) -> Callable[[], None]:
    return lambda: device.write_at(offset, view)


def _bind_read(device: BlockDevice, offset: int, view: memoryview) -> Callable[[], int]:
    return lambda: device.read_at(offset, view)


class _Writer:
    def __init__(
        self,
        source: ImageSource,
        device_path: str,
        *,
        expected_sha256: str | None,
        verify: bool,
        progress: ProgressCallback,
        cancel: CancelToken,
        block_size: int,
        queue_depth: int,
        stall_timeout_s: float,
        retries: int,
        retry_wait_s: float,
        direct: bool,
        device_size: int | None,
        check_device: Callable[[int], None] | None = None,
        fingerprint: ImageFingerprint | None = None,
        known_sha256: str | None = None,
        hash_stream: bool = True,
    ) -> None:
        if block_size % MiB:
            raise ValueError("block_size must be a whole number of MiB")
        self.source = source
        self.device_path = device_path
        self.expected = expected_sha256.lower() if expected_sha256 else None
        # The stream's SHA-256 when already known (checked once per image and cached): then no
        # hashing on the way. Otherwise hashed beside the writer when asked for or needed.
        self.known = known_sha256.lower() if known_sha256 else None
        self.hashing = self.known is None and (hash_stream or self.expected is not None)
        self.verify = verify
        self.progress = progress
        self.cancel = cancel
        self.block_size = block_size
        self.queue_depth = max(2, queue_depth)
        self.stall_timeout_s = stall_timeout_s
        self.retries = retries
        self.retry_wait_s = retry_wait_s
        self.direct = direct
        self.device_size_hint = device_size
        self.check_device = check_device
        self.size = source.size_bytes
        self.shared = _Shared(bytes_total=self.size)
        self.meter = RateMeter()
        self.timings: list[PhaseTiming] = []
        self.written_sha256 = ""
        self.verify_sha256: str | None = None
        self.device: BlockDevice | None = None
        self.leaked_threads = False
        block_count = max(1, -(-self.size // block_size))
        # The first block (boot record, partition table) and the last (a backup GPT header) go on
        # only after everything else is written and verified.
        self.kept_indices = sorted({0, block_count - 1})
        self.kept: dict[int, _Block] = {}
        self.boot_record_written = False
        # queue_depth buffers circulate (2 by default: measured faster than 3 or 4 at RAM speed, the
        # buffers recycled while still in the CPU's cache), plus one per kept block.
        self.pool = [aligned_buffer(block_size) for _ in range(self.queue_depth + len(self.kept_indices))]
        self.fingerprint = fingerprint
        self.source_file = _source_file(source)

    # ----- progress, phases -------------------------------------------------------------------

    def emit(self, message: str = "") -> None:
        s = self.shared
        event = self.meter.progress(s.phase, s.bytes_done, s.bytes_total, message)
        try:
            self.progress(event)
        except Exception:  # a broken listener must not break a write half way
            log.exception("progress listener failed")

    def enter(self, phase: str, total: int, message: str, done: int = 0) -> None:
        s = self.shared
        with s.lock:
            s.phase, s.bytes_done, s.bytes_total, s.position = phase, done, total, 0
        self.meter.reset()
        self.emit(message)

    # ----- device I/O with retries ------------------------------------------------------------

    def device_io(self, what: str, offset: int, length: int, op: Callable[[], T]) -> T:
        """Run ``op`` with brief retries; persistent failure becomes DeviceError naming the offset."""
        last: OSError | None = None
        for attempt in range(self.retries + 1):
            if self.shared.stop.is_set():
                raise _Stopped()
            try:
                return op()
            except OSError as exc:
                last = exc
                log.warning("%s at offset %d failed (try %d): %s", what, offset, attempt + 1, exc)
                if exc.errno in GONE_ERRNOS:
                    break
                if exc.errno == errno.ENOSPC:
                    raise DeviceError(
                        f"{self.device_path}: the device ended at offset {offset} while {what} "
                        f"{length} bytes; it is smaller than it claims",
                        "This stick reports more capacity than it has (fake or failing). Use another stick.",
                    ) from exc
                if attempt < self.retries and self.cancel.wait(self.retry_wait_s * (attempt + 1)):
                    raise _Stopped() from exc
        assert last is not None
        raise DeviceError(
            f"{self.device_path}: device lost at offset {offset} while {what} "
            f"(bytes {offset}..{offset + length - 1}): {last.strerror or last}",
            "The stick stopped working or was unplugged. Plug it into another port (directly, not "
            "through a hub) and write again; a stick that fails again is worn out: use another one.",
        ) from last

    # ----- thread plumbing --------------------------------------------------------------------

    def get(self, q: queue.Queue[T]) -> T:
        while True:
            if self.shared.stop.is_set():
                raise _Stopped()
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                continue

    def put(self, q: queue.Queue[T], item: T) -> None:
        while True:
            if self.shared.stop.is_set():
                raise _Stopped()
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def spawn(self, name: str, target: Callable[[], None]) -> threading.Thread:
        def run() -> None:
            try:
                target()
            except _Stopped:
                pass
            except BaseException as exc:
                self.shared.fail(exc)
            finally:
                self.shared.ended.set()

        thread = threading.Thread(target=run, name=f"ecs-writer-{name}", daemon=True)
        thread.start()
        return thread

    def supervise(self, threads: list[threading.Thread], message: str, *, stall_limit_s: float) -> None:
        """Wait for the phase's threads, reporting progress and watching cancel and stalls."""
        s = self.shared
        last_bytes, last_change = -1, time.monotonic()
        next_emit = time.monotonic() + PROGRESS_INTERVAL_S
        while any(t.is_alive() for t in threads):
            if s.ended.wait(0.05):
                s.ended.clear()
                for t in threads:  # a thread that just ended may need a moment to be "not alive"
                    t.join(timeout=0.005)
            now = time.monotonic()
            if s.failure is not None:
                break
            if self.cancel.cancelled:
                s.stop.set()
                break
            if s.bytes_done != last_bytes:
                last_bytes, last_change = s.bytes_done, now
            elif stall_limit_s > 0 and now - last_change > stall_limit_s:
                s.fail(DeviceError(
                    f"{self.device_path}: the stick stopped answering: no progress for "
                    f"{int(now - last_change)} s during {s.phase} at offset {s.position}",
                    "Unplug the stick, plug it into another port and write again; if it stalls again, "
                    "use another stick.",
                ))
                break
            if now >= next_emit:
                self.emit(message)
                next_emit = now + PROGRESS_INTERVAL_S
        self.join_or_leak(threads)
        if s.failure is not None:
            raise s.failure
        if self.cancel.cancelled:
            raise Cancelled(
                f"Write to {self.device_path} cancelled; the stick was wiped and holds no partition table.",
                "Write the image again before using this stick.",
            )

    def join_or_leak(self, threads: list[threading.Thread]) -> None:
        deadline = time.monotonic() + 3.0  # threads poll the stop flag every 0.1 s
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in threads):
            # A thread is stuck inside a system call on the device. Never close the descriptor
            # under it: the number could be reused and its next write would land elsewhere.
            self.leaked_threads = True
            log.error("writer threads still blocked in device I/O; keeping the device open")

    # ----- phases ------------------------------------------------------------------------------

    def run(self) -> WriteResult:
        started = time.time()
        self.enter("prepare", self.size, f"Preparing {self.device_path}")
        t0 = time.monotonic()
        if self.fingerprint is None and self.source_file is not None:
            # Callers that read the image before (the mode, the ISO tree) pass the fingerprint they
            # took before that; without one, "unchanged from now on" is the best there is.
            self.fingerprint = ImageFingerprint.take(self.source_file)
        self.check_source("before the write started")
        if self.known is not None:
            self.written_sha256 = self.known
            self.check_expected_hash()  # a known wrong image is refused before the stick is opened
        self.device = self.open_device()
        try:
            if self.check_device is not None:
                self.check_device(self.device.fd)  # the opened device is still the chosen one
            # macOS raw disks and Windows drive handles do not tell their size: use the drive list's.
            device_size = self.device.size_bytes() or self.device_size_hint
            if device_size is not None and self.size > device_size:
                raise SafetyRefusal(
                    f"{self.device_path} holds {device_size} bytes but the image needs {self.size}",
                    "Use a larger stick. Nothing was written.",
                )
            if self.size == 0:
                raise BadInput(f"{self.source.description} is empty", "Choose a complete image file.")
            self.cancel.check()
            self.wipe(device_size, ends=True)
            self.timings.append(PhaseTiming("prepare", 0, time.monotonic() - t0))
            try:
                self.write_pass()
                self.flush_pass()
                if self.verify:
                    self.verify_pass()
                self.boot_record_pass()
            except BaseException:
                self.rewipe_after_failure()
                raise
            self.device.reread_partitions()
        finally:
            if not self.leaked_threads:
                self.device.close()
        result = WriteResult(
            device_path=self.device_path,
            source=self.source.description,
            bytes_written=self.size,
            sha256=self.written_sha256,
            verified=self.verify,
            expected_sha256=self.expected,
            verify_sha256=self.verify_sha256,
            phases=self.timings,
            started_at=started,
            ended_at=time.time(),
        )
        s = self.shared
        with s.lock:
            s.phase, s.bytes_done, s.bytes_total = "done", self.size, self.size
        self.meter.reset()
        self.emit("Written and verified" if self.verify else "Written, NOT verified (verification skipped)")
        return result

    def open_device(self) -> BlockDevice:
        """Exclusive, unbuffered, and only ever a device node (never a regular file by mistake)."""
        from ecs_field.media.drives import safety

        try:
            fd = safety.open_exclusive(self.device_path, direct=self.direct)
        except DeviceError:
            if not self.direct:
                raise
            # Some drivers refuse O_DIRECT: fall back to buffered writes + cache drop before verify.
            fd = safety.open_exclusive(self.device_path, direct=False)
            log.warning("%s refuses direct I/O; writing buffered", self.device_path)
        return BlockDevice(self.device_path, fd=fd, direct=self.direct)

    def wipe(self, device_size: int | None, *, ends: bool) -> None:
        assert self.device is not None
        zeros = aligned_buffer(WIPE_BYTES)  # freed with its views by the GC: close() would race them
        regions = [0]
        if ends and device_size is not None and device_size > WIPE_BYTES:
            regions.append(round_up(device_size - WIPE_BYTES, self.device.sector_size))
        for offset in regions:
            length = min(WIPE_BYTES, (device_size - offset) if device_size else WIPE_BYTES)
            view = memoryview(zeros)[:length]
            self.device_io("wiping", offset, length, _bind_write(self.device, offset, view))
        self.device_io("flushing the wipe", 0, 0, self.device.flush)

    def rewipe_after_failure(self) -> None:
        """Best effort: leave no valid partition table behind a cancelled or failed write.

        Before the boot-record step the first MiB is still zeros from the start; wiping it again
        costs nothing. After it, the kept last block (a backup GPT header) is zeroed too.
        """
        if self.leaked_threads or self.device is None:
            return
        self.shared.stop.clear()
        saved_retries, self.retries = self.retries, 0
        try:
            self.wipe(None, ends=False)
            last = self.kept.get(self.kept_indices[-1])
            if self.boot_record_written and last is not None and last.index != 0:
                zeros = aligned_buffer(round_up(last.length, self.device.sector_size))
                self.device.write_at(last.offset, memoryview(zeros)[: last.length])
                self.device.flush()
            log.info("re-wiped the first MiB of %s after a failed or cancelled write", self.device_path)
        except (EcsFieldError, OSError, _Stopped) as exc:
            log.warning("could not re-wipe %s: %s", self.device_path, exc)
        finally:
            self.retries = saved_retries

    def blocks(self, total: int) -> Iterator[tuple[int, int, int]]:
        for index, offset in enumerate(range(0, total, self.block_size)):
            yield index, offset, min(self.block_size, total - offset)

    def write_pass(self) -> None:
        """A reader thread fills buffers from the image; a writer thread writes them in order.

        While the device takes block N (the kernel copies it, or the stick receives it), the
        reader is already copying block N+1 out of the image: the two halves of dd's loop, which
        dd runs one after the other, overlap. The hand-over costs two thread wake-ups per 4 MiB
        block, tens of microseconds: re-measured for 2 GiB at RAM speed on 2 vCPUs, 0.32-0.36 s
        pipelined against 0.38-0.46 s for the same loop in one thread on a quiet machine, and
        no slower under load (two buffers; three or four were slower). When the stream's SHA-256
        is wanted and not known yet, each block also goes to a hasher; its buffer is reused once
        the writer and the hasher are both done with it, so the hash delays the device only when
        it is the slower.
        A failure reading the image travels down the write queue, behind the blocks before it:
        errors are reported in the order of the image.
        """
        t0 = time.monotonic()
        self.enter("write", self.size, f"Writing {self.source.description}")
        free: queue.Queue[Any] = queue.Queue()
        for buf in self.pool:
            free.put(buf)
        to_write: queue.Queue[_Block | BaseException | None] = queue.Queue()  # bounded by the pool
        to_hash: queue.Queue[_Block | None] | None = queue.Queue() if self.hashing else None
        digest = hashlib.sha256() if self.hashing else None
        users = 2 if self.hashing else 1
        release_lock = threading.Lock()

        def release(block: _Block) -> None:
            with release_lock:
                block.users -= 1
                done = block.users == 0
            if done and not block.kept:
                free.put(block.buffer)

        def reader() -> None:
            try:
                for index, offset, length in self.blocks(self.size):
                    buf = self.get(free)
                    self.read_source(offset, memoryview(buf)[:length], "while it was being written")
                    block = _Block(index, offset, length, buf, kept=index in self.kept_indices, users=users)
                    if block.kept:
                        self.kept[index] = block  # goes on in the boot-record step
                    if to_hash is not None:
                        self.put(to_hash, block)
                    self.put(to_write, block)
            except _Stopped:
                raise
            except BaseException as exc:  # raised by the writer, after the blocks before it
                self.put(to_write, exc)
                return
            self.put(to_write, None)
            if to_hash is not None:
                self.put(to_hash, None)

        def writer() -> None:
            assert self.device is not None
            device = self.device
            while (block := self.get(to_write)) is not None:
                if isinstance(block, BaseException):
                    raise block
                if not block.kept:
                    self.write_block(device, block)
                else:
                    with self.shared.lock:
                        self.shared.bytes_done += block.length
                release(block)

        def hasher() -> None:
            assert to_hash is not None and digest is not None
            while (block := self.get(to_hash)) is not None:
                digest.update(memoryview(block.buffer)[: block.length])  # releases the GIL
                release(block)

        threads = [self.spawn("read", reader), self.spawn("write", writer)]
        if self.hashing:
            threads.append(self.spawn("hash", hasher))
        self.supervise(threads, f"Writing {self.source.description}", stall_limit_s=self.stall_timeout_s)
        self.written_sha256 = digest.hexdigest() if digest is not None else (self.known or "")
        self.check_source("while it was being written")
        self.check_expected_hash()
        self.timings.append(PhaseTiming("write", self.size, time.monotonic() - t0))

    def read_source(self, offset: int, view: memoryview, when: str) -> None:
        """Fill ``view`` from the image at ``offset``; a short read means the image changed."""
        try:
            got = self.source.read_into(offset, view)
        except OSError as exc:
            raise BadInput(f"cannot read {self.source.description} at offset {offset}: "
                           f"{exc.strerror or exc}", "Check the image file and its disk.") from exc
        if got != len(view):
            raise ImageChanged(
                f"{self.source.description} ended at offset {offset + got}, expected "
                f"{self.size} bytes: the image changed {when}",
                "Do not modify or move the image during a write. Write it again.",
            )

    def write_block(self, device: BlockDevice, block: _Block) -> None:
        view = memoryview(block.buffer)[: block.length]
        self.shared.position = block.offset
        self.device_io("writing", block.offset, block.length, lambda: device.write_at(block.offset, view))
        with self.shared.lock:
            self.shared.bytes_done += block.length

    def check_source(self, when: str) -> None:
        """The image file (its path, and the file the source has open) is still the fingerprinted one."""
        if self.fingerprint is not None:
            self.fingerprint.check(_opened_stat(self.source), when=when)

    def check_expected_hash(self) -> None:
        """Before the boot record goes on: when known, the image must have the expected hash."""
        if self.expected and self.written_sha256 != self.expected:
            raise ChecksumMismatch(
                f"{self.source.description} has SHA-256 {self.written_sha256}, expected {self.expected}: "
                "the image is not the one it should be (corrupt download or wrong file)",
                "The stick was NOT made bootable. Download the image again or check the expected hash.",
            )

    def flush_pass(self) -> None:
        assert self.device is not None
        device = self.device
        t0 = time.monotonic()
        # Everything is handed over; the stick finishes it.
        self.enter("flush", self.size, "Flushing the stick's write cache", done=self.size)
        thread = self.spawn("flush", lambda: self.device_io("flushing", 0, 0, device.flush))
        # Draining a slow stick's cache legitimately takes a while with no byte counter moving.
        self.supervise([thread], "Flushing the stick's write cache", stall_limit_s=self.stall_timeout_s * 3)
        self.timings.append(PhaseTiming("flush", self.size, time.monotonic() - t0))

    def verify_pass(self) -> None:
        """Read every block but the kept ones back (cache bypassed) and compare it with the image.

        Compared byte for byte with the source read again (from the page cache, usually): a
        memcmp instead of a second SHA-256 pass, so verification runs at the stick's read speed
        even on a slow CPU, and a difference is located at once. Two threads: a reader reads
        the stick's next block while a comparer checks the one before (a direct read releases
        the GIL and the kernel or the stick does the copying). The comparer takes the image a
        ``VERIFY_CHUNK`` at a time, so the copy it just made is still in the CPU cache when it
        is compared. A read error travels down the queue behind the blocks before it, so the
        first problem in the order of the image is the one reported. The source is the
        fingerprinted file (checked again before the boot record goes on), so the bytes it gives
        now are the bytes that were written; when its SHA-256 was computed or known, the
        read-back therefore has that SHA-256 too.
        """
        assert self.device is not None
        device = self.device
        t0 = time.monotonic()
        self.enter("verify", self.size, "Verifying: reading the stick back")
        if not device.direct:
            device.drop_cache()
        kept_buffers = {id(block.buffer) for block in self.kept.values()}
        free: queue.Queue[Any] = queue.Queue()
        for buf in self.pool:
            if id(buf) not in kept_buffers:
                free.put(buf)
        # (offset, length, buffer or None for a kept block), an error, or None at the end
        ready: queue.Queue[tuple[int, int, Any] | BaseException | None] = queue.Queue()

        def reader() -> None:
            try:
                for index, offset, length in self.blocks(self.size):
                    if index in self.kept:
                        # Not on the stick yet: compared byte for byte after it goes on.
                        self.put(ready, (offset, length, None))
                        continue
                    buf = self.get(free)
                    # Direct reads need whole sectors; the device is at least that large (sizes are sectors).
                    want = round_up(length, device.sector_size)
                    self.shared.position = offset
                    got = self.device_io("reading back", offset, want,
                                         _bind_read(device, offset, memoryview(buf)[:want]))
                    if got < length:
                        raise DeviceError(
                            f"{self.device_path}: reading back stopped at offset {offset + got} "
                            f"of {self.size}",
                            "The stick is smaller than it claims or failing. Use another stick.",
                        )
                    self.put(ready, (offset, length, buf))
            except _Stopped:
                raise
            except BaseException as exc:  # raised by the comparer, after the blocks before it
                self.put(ready, exc)
                return
            self.put(ready, None)

        def comparer() -> None:
            chunk = min(VERIFY_CHUNK, self.block_size)
            expected = bytearray(chunk)
            while (item := self.get(ready)) is not None:
                if isinstance(item, BaseException):
                    raise item
                offset, length, buf = item
                if buf is not None:
                    self.compare_block(offset, length, memoryview(buf), expected)
                    free.put(buf)
                with self.shared.lock:
                    self.shared.bytes_done += length

        self.supervise([self.spawn("verify-read", reader), self.spawn("verify", comparer)],
                       "Verifying: reading the stick back", stall_limit_s=self.stall_timeout_s)
        self.verify_sha256 = self.written_sha256 or None
        self.timings.append(PhaseTiming("verify", self.size, time.monotonic() - t0))

    def compare_block(self, offset: int, length: int, actual: memoryview, expected: bytearray) -> None:
        """Compare ``actual`` (read back from ``offset``) with the image, ``len(expected)`` bytes at a time.

        Raises VerifyMismatch naming the first differing byte's offset on the device.
        """
        chunk = len(expected)
        image = memoryview(expected)
        for start in range(0, length, chunk):
            n = min(chunk, length - start)
            self.read_source(offset + start, image[:n], "during verification")
            # bytearray == buffer is one memcmp; a short last piece compares a copy.
            if (expected if n == chunk else expected[:n]) != actual[start : start + n]:
                self.raise_mismatch(offset + start + first_difference(image[:n], actual[start : start + n]))

    def raise_mismatch(self, offset: int) -> None:
        raise VerifyMismatch(
            f"{self.device_path}: verification failed: the data read back differs from what was written, "
            f"first at offset {offset}",
            "The stick does not keep what is written to it (fake capacity, worn out, or a bad port). "
            "It was left without a boot record so it cannot boot a broken installer; use another stick.",
        )

    def boot_record_pass(self) -> None:
        """The kept blocks go on last: only a stick whose every other byte is verified gets a boot record."""
        assert self.device is not None
        device = self.device
        t0 = time.monotonic()
        self.check_source("during the write or its verification")
        message = "Writing the boot record (kept for last) and reading it back"
        self.emit(message)
        mismatch: list[int] = []
        # A pool buffer the verify pass is done with (its pages are already mapped), else a new one.
        kept_buffers = {id(block.buffer) for block in self.kept.values()}
        spare = next((b for b in self.pool if id(b) not in kept_buffers), None)
        if spare is None:
            spare = aligned_buffer(self.block_size)

        def commit() -> None:
            # The last block first: block 0 (boot signature, partition table) is the very last write.
            for index in sorted(self.kept, reverse=True):
                block = self.kept[index]
                view = memoryview(block.buffer)[: block.length]
                self.shared.position = block.offset
                self.boot_record_written = True
                self.device_io("writing the boot record", block.offset, block.length,
                               _bind_write(device, block.offset, view))
            self.device_io("flushing the boot record", 0, 0, device.flush)
            if not device.direct:
                device.drop_cache()
            for index in sorted(self.kept):
                block = self.kept[index]
                want = round_up(block.length, device.sector_size)
                actual = memoryview(spare)[:want]
                got = self.device_io("reading the boot record back", block.offset, want,
                                     _bind_read(device, block.offset, actual))
                expected = memoryview(block.buffer)[: block.length]
                # bytearray == buffer is one memcmp (memoryview == memoryview goes item by item).
                if got < block.length or bytearray(actual[: block.length]) != expected:
                    got_view = actual[: min(got, block.length)]
                    mismatch.append(block.offset + first_difference(expected, got_view))
                    return

        thread = self.spawn("boot-record", commit)
        self.supervise([thread], message, stall_limit_s=self.stall_timeout_s * 3)
        if mismatch:
            raise VerifyMismatch(
                f"{self.device_path}: verification failed: the boot record read back differs from what was "
                f"written, first at offset {mismatch[0]}",
                "The stick does not keep what is written to it (fake capacity, worn out, or a bad port). "
                "It was wiped so it cannot boot a broken installer; use another stick.",
            )
        kept_bytes = sum(block.length for block in self.kept.values())
        self.timings.append(PhaseTiming("boot-record", kept_bytes, time.monotonic() - t0))

    def close(self) -> None:
        if self.leaked_threads:
            return  # buffers may still be in use by a blocked thread
        for buf in self.pool:
            with contextlib.suppress(BufferError):
                buf.close()


def write_image(
    source: ImageSource,
    device_path: str,
    *,
    expected_sha256: str | None = None,
    verify: bool = True,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    queue_depth: int = 2,
    stall_timeout_s: float = 60.0,
    retries: int = 3,
    retry_wait_s: float = 0.5,
    direct: bool = True,
    device_size: int | None = None,
    check_device: Callable[[int], None] | None = None,
    fingerprint: ImageFingerprint | None = None,
    known_sha256: str | None = None,
    hash_stream: bool = True,
) -> WriteResult:
    """Write ``source`` to the whole device ``device_path`` and (by default) verify it.

    Safety checks (which device, is it removable, unmounted) are the caller's job: see
    ``write_to_drive``. Raises DeviceError (5), VerifyMismatch (6), Cancelled (130), BadInput (2:
    image unreadable, changed during the write, or not matching ``expected_sha256``). The boot
    record goes on only after everything else is verified, so after any failure (or a kill) the
    stick holds no partition table. ``fingerprint`` is the image file as it was before anything
    read it (fingerprint.py); it must still match before the boot record goes on. A progress
    event with phase "error" precedes the exception.

    ``known_sha256`` is the stream's SHA-256 when it is already known (the library's record or the
    hash cache, for this very file: see ``hashing.cached_sha256``): nothing is hashed on the way
    then. Otherwise the stream is hashed beside the writer unless ``hash_stream`` is False (and no
    ``expected_sha256`` asks for it); ``WriteResult.sha256`` is "" then. Verification compares the
    read-back with the image byte for byte either way.
    """
    from ecs_field.media.library.hashing import normalize_sha256

    if expected_sha256 is not None:
        expected_sha256 = normalize_sha256(expected_sha256)
    if known_sha256 is not None:
        known_sha256 = normalize_sha256(known_sha256, where="the recorded SHA-256")
    job = _Writer(
        source,
        device_path,
        expected_sha256=expected_sha256,
        verify=verify,
        progress=progress,
        cancel=cancel or CancelToken(),
        block_size=block_size,
        queue_depth=queue_depth,
        stall_timeout_s=stall_timeout_s,
        retries=retries,
        retry_wait_s=retry_wait_s,
        direct=direct,
        device_size=device_size,
        check_device=check_device,
        fingerprint=fingerprint,
        known_sha256=known_sha256,
        hash_stream=hash_stream,
    )
    try:
        return job.run()
    except BaseException as exc:
        message = "Cancelled" if isinstance(exc, (Cancelled, KeyboardInterrupt)) else str(
            getattr(exc, "message", exc))
        s = job.shared
        with contextlib.suppress(Exception):
            progress(Progress("error", s.bytes_done, s.bytes_total, 0.0, None, message))
        if isinstance(exc, KeyboardInterrupt):
            raise Cancelled() from exc
        raise
    finally:
        job.close()
