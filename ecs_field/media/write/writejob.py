"""One write job from image file to drive(s): mode, safety re-check, unmount, write, record.

``writer.write_image`` only moves bytes. This module adds what must happen around it, in this
order, for every drive: decide the mode (raw or the UEFI FAT32 stick image), check the image's
expected SHA-256 where it cannot be checked while writing, look the drive up again (same size and
serial as the one chosen) and apply every safety rule, unmount it, write and verify, and leave a
history record whatever happened. ``write_many`` does this for several sticks in parallel: one
thread per stick, each verified and recorded on its own, one failure not stopping the others.

An image is hashed once: the SHA-256 of what goes on the stick is taken from the cache
(library/hashing.py, keyed by the file's full identity) when this very file was hashed before,
so a repeated write does no hashing at all; otherwise it is computed beside the writer and
cached. A kickstart (``WriteRequest.kickstart_path``) is validated before anything else and
goes on uefi-fat32 sticks only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ecs_field.errors import BadInput, Cancelled, EcsFieldError, SafetyRefusal
from ecs_field.events import CancelToken, Progress, ProgressCallback, ignore_progress
from ecs_field.media.drives import Drive, safety
from ecs_field.media.image.source import FileSource, ImageSource
from ecs_field.media.write.fingerprint import ImageFingerprint
from ecs_field.media.write.kickstart_stick import StickKickstart, load_kickstart, refuse_raw
from ecs_field.media.write.writer import ChecksumMismatch, WriteResult, write_image

if TYPE_CHECKING:
    from ecs_field.media import history

log = logging.getLogger(__name__)


def _prefetch_history() -> None:
    """Import the history module (and its storage, YAML) on the side while the stick is written: it
    is needed only for the record at the end, and a write waits on the device, not the CPU."""
    import importlib

    def load() -> None:
        with contextlib.suppress(Exception):  # the record step imports it again and reports errors
            importlib.import_module("ecs_field.media.history")

    threading.Thread(target=load, name="ecs-prefetch-history", daemon=True).start()

MODES = ("auto", "raw", "uefi-fat32")

DeviceProgress = Callable[[str, Progress], None]  # (device path, event)

# A drive looked up this recently, with no person in between (no confirmation asked), is not
# looked up again before the write: the rules are applied to that look-up, and the opened device
# is still checked against a fresh look-up right after the open (safety.check_opened).
FRESH_LOOKUP_S = 2.0


@dataclass
class WriteRequest:
    image_path: Path
    mode: str = "auto"
    expected_sha256: str | None = None  # of the image FILE (what the download page lists)
    verify: bool = True
    allow_non_removable: bool = False
    confirm_devices: tuple[str, ...] = ()  # each internal/loop target's path, typed again
    stall_timeout_s: float = 60.0
    kickstart_path: Path | None = None  # a ks.cfg to put on the (uefi-fat32) stick
    _kickstart: StickKickstart | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        import math

        self.image_path = Path(self.image_path)
        if not (math.isfinite(self.stall_timeout_s) and self.stall_timeout_s > 0):
            raise BadInput(f"stall timeout {self.stall_timeout_s!r} s: it must be a positive number of "
                           "seconds",
                           "Leave it at the default (60 s) unless a stick is known to pause longer.")
        if self.expected_sha256:
            from ecs_field.media.library.hashing import normalize_sha256

            self.expected_sha256 = normalize_sha256(self.expected_sha256)
        if self.kickstart_path is not None:
            self.kickstart_path = Path(self.kickstart_path)

    def kickstart(self) -> StickKickstart | None:
        """The validated kickstart (read and checked once; BadInput, exit 2, when it is not usable)."""
        if self.kickstart_path is None:
            return None
        if self._kickstart is None:
            self._kickstart = load_kickstart(self.kickstart_path)
        return self._kickstart

    def confirmation_for(self, drive: Drive) -> str | None:
        """The typed confirmation meant for ``drive`` (so one stick's confirmation never covers another)."""
        for typed in self.confirm_devices:
            if typed.strip() in {drive.path, drive.display_path} - {""}:
                return typed
        return self.confirm_devices[0] if len(self.confirm_devices) == 1 else None


@dataclass
class DriveOutcome:
    """The result for one drive: ``result`` on success, ``error`` otherwise, and its history record."""

    drive: Drive
    result: WriteResult | None = None
    error: EcsFieldError | None = None
    record: history.WriteRecord | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.error is None else self.error.exit_code


class NotBootable(BadInput):
    """Auto mode does not write an image it does not recognise as bootable (``--mode raw`` does)."""


def resolve_mode(image_path: Path, mode: str, *, kickstart: bool = False) -> str:
    """ "raw" or "uefi-fat32"; auto asks the image inspector (hybrid/disk images: raw; El Torito: FAT32).

    Auto refuses (NotBootable, exit 2) what it does not recognise as bootable; every mode refuses
    an image whose own header says it was cut short (exit 2). With ``kickstart`` a raw write is
    refused (exit 2): a raw copy cannot carry the file.
    """
    from ecs_field.media.image.inspect import check_not_truncated, inspect_image

    if mode not in MODES:
        raise BadInput(f"--mode {mode!r} is not one of {', '.join(MODES)}", None)
    if kickstart and mode == "raw":
        refuse_raw(mode)
    if mode != "auto":
        check_not_truncated(image_path)
        return mode
    info = inspect_image(image_path)
    if info.write_mode is None:
        raise NotBootable(
            f"{info.refusal}. Auto mode does not write it; `--mode raw` writes it anyway, byte for byte",
            "Nothing was written. Check that this is the installer image you meant (ecs-field image "
            "inspect shows what it is); to put it on the stick as it is, add --mode raw.",
        )
    if kickstart and info.write_mode == "raw":
        refuse_raw(f"{info.write_mode} (what auto chose for this hybrid image)")
    return info.write_mode


def open_source(image_path: Path, mode: str, kickstart: bytes | None = None) -> ImageSource:
    """The byte stream to write for ``mode`` ("raw" or "uefi-fat32"), with ``kickstart`` on a FAT32 stick."""
    if kickstart is not None and mode != "uefi-fat32":
        refuse_raw(mode)
    try:
        if mode == "uefi-fat32":
            from ecs_field.media.image.fat32 import Fat32StickSource

            return Fat32StickSource(image_path, kickstart=kickstart)
        return FileSource(image_path)
    except FileNotFoundError as exc:
        raise BadInput(f"{image_path}: no such file", "Check the image path.") from exc
    except IsADirectoryError as exc:
        raise BadInput(f"{image_path} is a folder, not an image file", "Pick the .iso file itself.") from exc
    except OSError as exc:
        raise BadInput(f"{image_path}: cannot read it ({exc.strerror})",
                       "Check the file's permissions.") from exc


def stream_variant(mode: str, kickstart: StickKickstart | None) -> str:
    """The hash cache's name for the stream written in ``mode`` (library/hashing.py variants)."""
    if mode == "raw":
        return ""  # the file itself
    import hashlib

    from ecs_field import __version__

    ks = hashlib.sha256(kickstart.data).hexdigest() if kickstart is not None else "-"
    # The synthesiser's output may change between versions: its hashes are kept per version.
    return f"{mode}@{__version__};ks={ks}"


def check_image_sha256(
    request: WriteRequest, mode: str, progress: ProgressCallback, cancel: CancelToken,
    fingerprint: ImageFingerprint | None = None,
) -> str | None:
    """For uefi-fat32 the stream written is not the file, so the file's hash is checked up front
    (unless this very file was hashed before: the cache).

    Raw writes check the expected hash while writing (before block 0 goes on), costing nothing.
    """
    if not request.expected_sha256 or mode == "raw":
        return None
    from ecs_field.media.library.hashing import cached_sha256, sha256_file

    actual = cached_sha256(request.image_path, fingerprint) if fingerprint is not None else None
    if actual is None:
        actual = sha256_file(request.image_path, progress=progress, cancel=cancel, phase="prepare")
    if actual != request.expected_sha256:
        raise ChecksumMismatch(
            f"{request.image_path.name} has SHA-256 {actual}, expected {request.expected_sha256}: the "
            "image is not the one it should be (corrupt download or wrong file)",
            "Nothing was written. Download the image again or check the expected hash.",
        )
    return actual


@contextlib.contextmanager
def _volumes_locked(drive: Drive) -> Iterator[None]:
    """Windows keeps a stick's volumes locked and dismounted during the write (see winvolumes)."""
    if sys.platform != "win32":
        yield
        return
    from ecs_field.media.winvolumes import locked_volumes  # pragma: no cover - Windows only

    with locked_volumes(drive.all_mountpoints()):  # pragma: no cover
        yield


def _record(
    request: WriteRequest, mode: str, drive: Drive, *, started: float, outcome: DriveOutcome,
    image_sha256: str | None,
) -> history.WriteRecord:
    from ecs_field.media import history

    result, error = outcome.result, outcome.error
    if error is None:
        status = history.VERIFIED if result and result.verified else history.NOT_VERIFIED
    elif isinstance(error, Cancelled):
        status = history.CANCELLED
    elif isinstance(error, SafetyRefusal):
        status = history.REFUSED
    else:
        status = history.FAILED
    written = (result.sha256 or None) if result else None
    if mode == "raw" and written and image_sha256 is None:
        image_sha256 = written  # a raw write streams the file itself
    extra: dict[str, object] = {}
    kickstart = request._kickstart
    if kickstart is not None:
        extra["kickstart"] = kickstart.describe()  # file, host name, IP: never the password hash
    return history.WriteRecord(
        image_name=request.image_path.name,
        image_path=str(request.image_path),
        device_path=drive.path,
        result=status,
        started_at=history.utc_iso(started),
        ended_at=history.utc_iso(time.time()),
        mode=mode,
        image_sha256=image_sha256,
        written_sha256=written,
        bytes_written=result.bytes_written if result else 0,
        device_vendor=drive.vendor,
        device_model=drive.model,
        device_serial=drive.serial,
        device_size_bytes=drive.size_bytes,
        phases=[p.to_dict() for p in result.phases] if result else [],
        verified=bool(result and result.verified),
        error=str(error) if error else None,
        exit_code=outcome.exit_code,
        **extra,  # type: ignore[arg-type]
    )


def write_to_drive(
    request: WriteRequest,
    drive: Drive,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    mode: str | None = None,
    image_checked: bool = False,
    keep_record: bool = True,
    fingerprint: ImageFingerprint | None = None,
    looked_up_at: float | None = None,
) -> DriveOutcome:
    """Write ``request`` to ``drive``; never raises for the drive's own failure (see ``outcome.error``).

    ``looked_up_at`` (time.monotonic()) says ``drive`` is a look-up the caller made just now with no
    one asked anything since: within FRESH_LOOKUP_S the rules are applied to it instead of a
    second look-up (the opened device is still compared with a fresh look-up after the open).

    ``mode`` and ``image_checked`` let ``write_many`` resolve the mode and check the image hash once.
    ``fingerprint`` is the image file as it was before anything read it (the caller's first look,
    taken here when not given): the writer refuses to put the boot record on if it changed since.
    ``keep_record=False`` builds the history record without saving it: the elevated helper hands it
    to the app, which saves it in the user's own history (not root's).
    """
    _prefetch_history()
    cancel = cancel or CancelToken()
    tracker = progress if isinstance(progress, _ErrorTracker) else _ErrorTracker(progress)
    progress = tracker
    started = time.time()
    outcome = DriveOutcome(drive)
    confirm = request.confirmation_for(drive)
    image_sha256: str | None = request.expected_sha256 if image_checked else None
    resolved = mode or "raw"
    source: ImageSource | None = None
    try:
        # Before anything reads the image (the mode, its hash, the ISO's file tree).
        fingerprint = fingerprint or ImageFingerprint.take(request.image_path)
        kickstart = request.kickstart()  # validated before anything else: a bad one exits 2
        resolved = mode or resolve_mode(request.image_path, request.mode, kickstart=kickstart is not None)
        if not image_checked:
            # store loads YAML and the library's state: imported when a write begins, not with this
            # module, whose import is on the CLI's critical path.
            from ecs_field.media.library.store import recheck_image_for_write

            recheck_image_for_write(request.image_path)
            image_sha256 = check_image_sha256(request, resolved, progress, cancel, fingerprint)
        fingerprint = fingerprint.with_sha256(image_sha256)
        from ecs_field.media.library.hashing import cached_sha256, remember_sha256

        variant = stream_variant(resolved, kickstart)
        known_stream = cached_sha256(request.image_path, fingerprint, variant=variant)
        if image_sha256 is None:
            image_sha256 = cached_sha256(request.image_path, fingerprint)  # known for free, or None
        source = open_source(request.image_path, resolved, kickstart.data if kickstart else None)
        if looked_up_at is not None and time.monotonic() - looked_up_at <= FRESH_LOOKUP_S:
            # Looked up a moment ago: every rule applies to that look-up.
            safety.require_safe(drive, source.size_bytes, request.image_path,
                                allow_non_removable=request.allow_non_removable, confirm_device=confirm)
            fresh = drive
        else:
            # The drive chosen minutes ago must still be the same stick, and every rule still pass.
            fresh = safety.final_check(
                drive, source.size_bytes, request.image_path,
                allow_non_removable=request.allow_non_removable, confirm_device=confirm,
            )
        outcome.drive = fresh
        outcome.warnings += safety.evaluate(
            fresh, source.size_bytes, request.image_path,
            allow_non_removable=request.allow_non_removable, confirm_device=confirm,
        ).warnings
        unmounted = safety.prepare_for_write(fresh)
        if unmounted:
            log.info("unmounted %s before writing %s", ", ".join(unmounted), fresh.path)
        with _volumes_locked(fresh):
            outcome.result = write_image(
                source, fresh.path,
                expected_sha256=request.expected_sha256 if resolved == "raw" else None,
                verify=request.verify, progress=progress, cancel=cancel,
                stall_timeout_s=request.stall_timeout_s, device_size=fresh.size_bytes or None,
                check_device=functools.partial(safety.check_opened, expected=fresh),
                fingerprint=fingerprint, known_sha256=known_stream,
            )
        if known_stream is None and outcome.result.sha256:
            # Verified and the file still the fingerprinted one: its hash is good for next time.
            remember_sha256(request.image_path, fingerprint, outcome.result.sha256, variant=variant)
    except EcsFieldError as exc:
        outcome.error = exc
    except KeyboardInterrupt:
        outcome.error = Cancelled()
    finally:
        if source is not None:
            source.close()
        outcome.record = _record(request, resolved, outcome.drive, started=started, outcome=outcome,
                                 image_sha256=image_sha256)
        try:
            from ecs_field.media import history

            warning = history.append_record(outcome.record) if keep_record else None
        except (OSError, EcsFieldError) as exc:  # a full disk must not turn a good write into a failure
            warning = f"the write record could not be saved: {exc}"
            log.warning("%s", warning)
        if warning:
            outcome.warnings.append(warning)
    if outcome.error is not None and not tracker.sent_error:
        # Failures before the writer started (refusal, bad image) get an "error" event too.
        _emit(tracker, Progress("error", message=outcome.error.message))
    return outcome


class _ErrorTracker:
    """Remembers whether the writer already sent its "error" event, so listeners get exactly one."""

    def __init__(self, progress: ProgressCallback) -> None:
        self.progress = progress
        self.sent_error = False

    def __call__(self, event: Progress) -> None:
        if event.phase == "error":
            self.sent_error = True
        self.progress(event)


def _emit(progress: ProgressCallback, event: Progress) -> None:
    try:
        progress(event)
    except Exception:
        log.exception("progress listener failed")


def write_many(
    request: WriteRequest,
    drives: list[Drive],
    *,
    progress: DeviceProgress | None = None,
    cancel: CancelToken | None = None,
    keep_record: bool = True,
    fingerprint: ImageFingerprint | None = None,
    looked_up_at: float | None = None,
) -> list[DriveOutcome]:
    """Write the same image to every drive at once; one outcome per drive, in the order given.

    The mode is decided and (for uefi-fat32) the image hash checked once, before any stick is
    touched; each stick then gets its own source, writer, verification and history record.
    """
    if len({d.path for d in drives}) != len(drives):
        raise BadInput("the same device is named twice", "Name each stick once.")
    cancel = cancel or CancelToken()
    report: DeviceProgress = progress or (lambda _device, _event: None)
    fingerprint = fingerprint or ImageFingerprint.take(request.image_path)
    kickstart = request.kickstart()
    mode = resolve_mode(request.image_path, request.mode, kickstart=kickstart is not None)
    from ecs_field.media.library.store import recheck_image_for_write  # see write_to_drive

    recheck_image_for_write(request.image_path)
    first = drives[0].path if drives else ""
    image_sha256 = check_image_sha256(request, mode, lambda e: report(first, e), cancel, fingerprint)
    fingerprint = fingerprint.with_sha256(image_sha256)
    outcomes: list[DriveOutcome | None] = [None] * len(drives)

    def run(index: int, drive: Drive) -> None:
        def listener(event: Progress) -> None:
            report(drive.path, event)

        outcomes[index] = write_to_drive(
            request, drive, progress=listener, cancel=cancel, mode=mode, image_checked=True,
            keep_record=keep_record, fingerprint=fingerprint, looked_up_at=looked_up_at,
        )

    threads = [
        threading.Thread(target=run, args=(i, d), name=f"ecs-write-{d.name or i}", daemon=True)
        for i, d in enumerate(drives)
    ]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(timeout=0.2)  # short joins keep Ctrl+C/SIGTERM handlers running
    return [o if o is not None else DriveOutcome(d, error=EcsFieldError("the write thread died"))
            for o, d in zip(outcomes, drives, strict=True)]
