"""Who performs a write for the Boot media page: the page talks to a runner, never to the writer.

``InProcessRunner`` runs ``writejob.write_many`` on a worker thread; it needs the app to have
write access to the device (root, or a test). ``HelperRunner`` starts the privileged helper
(``ecs_field.media.write.helper``: ``ecs-field write ... --progress json`` in its own elevated process)
so the window itself stays unprivileged. ``default_runner()`` picks: in-process when already
root, else the helper. Both emit the same signals, so the page (and its tests) do not care.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from ecs_field.errors import EcsFieldError
from ecs_field.events import CancelToken, Progress
from ecs_field.media.drives import Drive, human_size

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """What happened on one drive, in words a technician can repeat."""

    device: str
    label: str
    ok: bool
    verified: bool
    exit_code: int
    summary: str  # says exactly what was (or was not) verified
    hint: str = ""
    sha256: str = ""  # of the bytes written to the stick (and read back when verified)
    seconds: float | None = None  # how long the whole job on this stick took
    bytes_written: int = 0
    display: str = ""  # the device as people know it (/dev/sdb, \\.\PhysicalDrive2, disk4)
    size_bytes: int = 0
    kind: str = "write"  # or "verify": a read-only comparison of an inserted stick


def result_sentence(drive: Drive, bytes_written: int, sha256: str, verified: bool) -> str:
    """The one sentence a technician reads after a write: exactly what was (or was not) checked."""
    name = f"{drive.display_path or drive.path} ({drive.label}, {human_size(drive.size_bytes)})"
    written = f"{bytes_written:,} bytes".replace(",", " ")
    if verified:
        return (
            f"{name}: written and verified. All {written} were read back from the stick with the "
            f"cache bypassed, and their SHA-256 {sha256[:16]}… matches what was written"
        )
    return (
        f"{name}: written but NOT verified (verification was switched off); {written} written, "
        f"SHA-256 {sha256[:16]}…"
    )


def failed_outcome(
    drive: Drive, exit_code: int, message: str, hint: str = "", *, kind: str = "write"
) -> RunOutcome:
    return RunOutcome(
        drive.path,
        drive.label,
        False,
        False,
        exit_code,
        f"{drive.display_path or drive.path} ({drive.label}): {message}",
        hint,
        display=drive.display_path or drive.path,
        size_bytes=drive.size_bytes,
        kind=kind,
    )


def done_outcome(
    drive: Drive, bytes_written: int, sha256: str, verified: bool, *, seconds: float | None, extra: str = ""
) -> RunOutcome:
    """A stick that was written (and, when ``verified``, read back and matched)."""
    text = result_sentence(drive, bytes_written, sha256, verified) + extra + "."
    return RunOutcome(
        drive.path,
        drive.label,
        True,
        verified,
        0,
        text,
        sha256=sha256,
        seconds=seconds,
        bytes_written=bytes_written,
        display=drive.display_path or drive.path,
        size_bytes=drive.size_bytes,
    )


def verify_outcome(drive: Drive, outcome: Any, with_kickstart: str = "") -> RunOutcome:
    """A comparison's result (media.write.verify.VerifyOutcome): same, or where the stick differs."""
    name = f"{drive.display_path or drive.path} ({drive.label}, {human_size(drive.size_bytes)})"
    stick = {"uefi-fat32": "FAT32 (UEFI) stick", "raw": "byte-for-byte copy"}.get(outcome.mode, "stick")
    if outcome.same:
        summary = (
            f"{name} holds exactly the {stick} of {outcome.image}{with_kickstart}: "
            f"{human_size(outcome.bytes_total)} compared."
        )
        exit_code, hint = 0, ""
    else:
        where = f" ({outcome.where})" if outcome.where else ""
        summary = (
            f"{name} is not the {stick} of {outcome.image}{with_kickstart}: the first "
            f"difference is at byte {outcome.first_difference}{where}."
        )
        exit_code = 6
        hint = (
            "Check it was written from this image (and with the same unattended install, if any); a stick "
            "that was mounted and changed differs too. Otherwise write it again; if it differs again, "
            "use another stick."
        )
    return RunOutcome(
        drive.path,
        drive.label,
        bool(outcome.same),
        bool(outcome.same),
        exit_code,
        summary,
        hint,
        seconds=outcome.seconds,
        bytes_written=outcome.bytes_compared,
        display=drive.display_path or drive.path,
        size_bytes=drive.size_bytes,
        kind="verify",
    )


def verify_hint(hint: str) -> str:
    """The core's hint for a stick that could not be read, for a person in the app."""
    if "sudo" in hint or "Administrator" in hint:
        return (
            "Reading a whole drive needs administrator rights: start the app as administrator, or run "
            "“ecs-field verify IMAGE DEVICE” in a terminal with sudo."
        )
    return hint


def outcome_from_job(outcome: Any, expected_sha256: str | None) -> RunOutcome:
    drive = outcome.drive
    result = outcome.result
    if outcome.error is None and result is not None:
        extra = ""
        if result.verified and expected_sha256 and result.expected_sha256:
            extra = "; the image also matched its expected SHA-256"
        seconds = result.ended_at - result.started_at if result.ended_at > result.started_at else None
        return done_outcome(
            drive, result.bytes_written, result.sha256, bool(result.verified), seconds=seconds, extra=extra
        )
    error = outcome.error
    return failed_outcome(
        drive,
        getattr(error, "exit_code", 1),
        str(getattr(error, "message", error)),
        getattr(error, "hint", "") or "",
    )


class WriteRunner(QObject):
    """``start(request, drives)``; emits ``progress(device, Progress)``, then ``finished([RunOutcome])``.

    The write runs on a worker thread; subclasses say how (``_run``). Whatever goes wrong, every
    drive gets an outcome, so the page never waits for a result that will not come.
    """

    progress = Signal(str, object)
    finished = Signal(list)
    thread_name = "ecs-gui-write"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._cancel = CancelToken()

    def _run(self, request: Any, drives: list[Drive], cancel: CancelToken) -> list[RunOutcome]:
        """Write and return one outcome per drive (runs on the worker thread)."""
        raise NotImplementedError  # abstract: InProcessRunner and HelperRunner implement it

    def start(self, request: Any, drives: list[Drive]) -> None:
        if self.is_running():
            raise RuntimeError("a write is already running")
        self._cancel = cancel = CancelToken()

        def work() -> None:
            outcomes: list[RunOutcome]
            try:
                outcomes = self._run(request, drives, cancel)
            except EcsFieldError as exc:  # the image or the elevation failed: nothing was written
                outcomes = [failed_outcome(d, exc.exit_code, exc.message, exc.hint or "") for d in drives]
            except Exception as exc:
                log.exception("write crashed")
                hint = "Details are in the log (Help > Open log folder)."
                outcomes = [failed_outcome(d, 70, f"Unexpected error: {exc}", hint) for d in drives]
            self.finished.emit(outcomes)

        self._thread = threading.Thread(target=work, name=self.thread_name, daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.cancel()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, seconds: float = 60.0) -> bool:
        if self._thread is not None:
            self._thread.join(seconds)
        return not self.is_running()


class InProcessRunner(WriteRunner):
    """Writes from this process (it must be allowed to open the device: root, or a test)."""

    def _run(self, request: Any, drives: list[Drive], cancel: CancelToken) -> list[RunOutcome]:
        from ecs_field.media.write.writejob import write_many

        results = write_many(request, drives, cancel=cancel, progress=self.progress.emit)
        return [outcome_from_job(o, request.expected_sha256) for o in results]


def default_runner(parent: QObject | None = None) -> WriteRunner:
    """In-process when the app already runs with admin rights; otherwise the privileged helper."""
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if is_root:
        return InProcessRunner(parent)
    from ecs_field.gui.widgets.media_helper_runner import HelperRunner

    return HelperRunner(parent)


def merge_progress(events: dict[str, Progress]) -> Progress:
    """One event for several sticks: bytes summed, rates summed, the slowest phase shown."""
    if len(events) == 1:
        return next(iter(events.values()))
    order = ["prepare", "write", "flush", "verify", "done", "error"]
    phase = min((e.phase for e in events.values()), key=lambda p: order.index(p) if p in order else 0)
    done = sum(e.bytes_done for e in events.values())
    total = sum(e.bytes_total for e in events.values())
    rate = sum(e.rate_bps for e in events.values() if e.phase not in ("done", "error"))
    etas = [e.eta_s for e in events.values() if e.eta_s is not None]
    return Progress(phase, done, total, rate, max(etas) if etas else None, f"{len(events)} sticks")
