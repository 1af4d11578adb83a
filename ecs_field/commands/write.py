"""``ecs-field write IMAGE DEVICE [DEVICE ...]`` and ``ecs-field history`` (DESIGN.md 4).

Exit codes: 0 written (and verified, unless --no-verify was asked for), 2 usage or bad image,
4 refused by the safety rules (or not confirmed without a TTY), 5 I/O error or device lost,
6 verification mismatch, 130 cancelled. With several devices, every stick is written in
parallel and reported; the exit code is the first failing device's (in the order given).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ecs_field.commands.output import print_json, say, table
from ecs_field.errors import BadInput, Cancelled, EcsFieldError, SafetyRefusal

if TYPE_CHECKING:
    from ecs_field.events import CancelToken, Progress
    from ecs_field.media.drives import Drive
    from ecs_field.media.write.writejob import DriveOutcome

# The writer's modules (and the library, YAML, the image inspector they pull in) are imported
# only once the drive look-up runs in its thread: the look-up mostly waits for lsblk/udev, so the
# imports happen while it waits instead of before it starts. writejob.MODES is the same tuple
# (tests/unit/test_write_pipeline_cli.py checks).
MODES = ("auto", "raw", "uefi-fat32")


def human_size(size: int) -> str:
    from ecs_field.media.drives import human_size as size_text

    return size_text(size)


PHASE_WORDS = {"prepare": "Preparing", "write": "Writing", "flush": "Flushing", "verify": "Verifying",
               "done": "Done", "error": "Failed"}


def _rate(bps: float) -> str:
    return f"{bps / 1e6:.1f} MB/s" if bps else "-"


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f", {minutes}:{secs:02d} left"


class ProgressPrinter:
    """JSON lines on stdout or a file (--progress json), or one updating line on stderr for people.

    As the app's elevated helper (``--helper``), the last event of each device (done/error) is
    held back until its history record exists and then carries it as ``record``: the app saves
    it in the user's history, not root's.
    """

    def __init__(self, json_lines: bool, several: bool, *, progress_file: str | None = None,
                 helper: bool = False) -> None:
        self.json_lines = json_lines or progress_file is not None
        self.several = several
        self.helper = helper
        self.tty = sys.stderr.isatty()
        self.lock = threading.Lock()
        self.last_phase: dict[str, str] = {}
        self.held: dict[str, dict[str, Any]] = {}
        self.reported = False  # the final error line went out already
        self.open_line = False  # a progress line without its newline yet (terminal)
        self.stream: TextIO = sys.stdout
        if progress_file is not None:
            # The app made this file in its own private temp folder; never follow a link there.
            fd = os.open(progress_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0),
                         0o600)
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                # A hard link planted there would make this elevated process append to another file.
                os.close(fd)
                raise BadInput(f"--progress-file {progress_file} is not a plain file of its own",
                               "Start the write from the app again.")
            self.stream = os.fdopen(fd, "w", encoding="utf-8")

    def emit_json(self, document: dict[str, Any]) -> None:
        with self.lock:
            self.stream.write(json.dumps(document) + "\n")
            self.stream.flush()

    def __call__(self, device: str, event: Progress) -> None:
        if self.json_lines:
            document: dict[str, Any] = {
                "phase": event.phase, "bytes_done": event.bytes_done, "bytes_total": event.bytes_total,
                "rate_bps": round(event.rate_bps, 1),
                "eta_s": None if event.eta_s is None else round(event.eta_s, 1),
                "message": event.message, "device": device,
            }
            if self.helper and event.phase in ("done", "error"):
                self.held[device] = document
                return
            self.emit_json(document)
            return
        with self.lock:
            if event.phase == "error":
                return  # the error itself is printed once, with its hint, at the end
            prefix = f"{device}: " if self.several else ""
            line = (f"{prefix}{PHASE_WORDS.get(event.phase, event.phase)} {event.fraction * 100:5.1f}% "
                    f"({human_size(event.bytes_done)} of {human_size(event.bytes_total)}, "
                    f"{_rate(event.rate_bps)}{_eta(event.eta_s)})")
            if self.tty and not self.several:
                end = "\n" if event.phase == "done" else ""
                sys.stderr.write("\r\x1b[K" + line + end)
                sys.stderr.flush()
                self.open_line = not end
            elif self.last_phase.get(device) != event.phase:
                self.last_phase[device] = event.phase
                say(f"{prefix}{PHASE_WORDS.get(event.phase, event.phase)}: {event.message}")

    def outcome(self, outcome: DriveOutcome) -> None:
        """Helper mode: the device's final event, now with its exit code, hint and history record."""
        if not (self.json_lines and self.helper):
            return
        device = outcome.drive.path
        document = self.held.pop(device, None) or {
            "phase": "error" if outcome.error else "done", "bytes_done": 0, "bytes_total": 0,
            "rate_bps": 0.0, "eta_s": None, "message": outcome.error.message if outcome.error else "",
            "device": device,
        }
        document["exit_code"] = outcome.exit_code
        if outcome.error is not None:
            document["message"] = outcome.error.message
            document["hint"] = outcome.error.hint
        document["record"] = outcome.record.to_dict() if outcome.record else None
        document["warnings"] = outcome.warnings
        self.emit_json(document)

    def failure(self, exc: EcsFieldError) -> None:
        """A failure before any stick was touched (bad image, refusal), as one final JSON line."""
        if self.json_lines and not self.reported:
            self.emit_json({"phase": "error", "bytes_done": 0, "bytes_total": 0, "rate_bps": 0.0,
                            "eta_s": None, "message": exc.message, "hint": exc.hint,
                            "exit_code": exc.exit_code, "device": None})

    def finish_line(self) -> None:
        if self.open_line:
            sys.stderr.write("\n")
            self.open_line = False

    def close(self) -> None:
        if self.stream is not sys.stdout:
            self.stream.close()


@contextlib.contextmanager
def cancel_on_file(cancel: CancelToken, path: str | None) -> Iterator[None]:
    """Cancel when ``path`` appears: how the unprivileged app reaches its elevated helper (no signals
    cross that boundary, and UAC/osascript give no stdin)."""
    if not path:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            if os.path.exists(path):
                cancel.cancel()
                return

    thread = threading.Thread(target=watch, name="cancel-file", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


@contextlib.contextmanager
def cancel_on_signals(cancel: CancelToken) -> Iterator[None]:
    """SIGINT/SIGTERM cancel cleanly (the writer re-wipes the first MiB) instead of killing mid-block."""
    def handler(_signum: int, _frame: object) -> None:
        cancel.cancel()

    saved = {}
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is not None:
            saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


class _DriveLookup:
    """The drives looked up in a thread while the image and kickstart are checked: one look-up per
    run before the write, and it costs nothing on the critical path (lsblk/udev wait, not compute)."""

    def __init__(self, devices: list[str]) -> None:
        if len(set(devices)) != len(devices):
            raise BadInput("the same DEVICE is named twice", "Name each stick once.")
        self.drives: list[Drive] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(devices,), name="ecs-drive-lookup",
                                       daemon=True)
        self.thread.start()

    def _run(self, devices: list[str]) -> None:
        try:
            self.drives = _resolve_drives(devices)
        except BaseException as exc:  # handed to the caller in result()
            self.error = exc

    def result(self) -> tuple[list[Drive], float]:
        """The drives (or the look-up's error) and when the look-up finished (time.monotonic())."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.drives is not None
        return self.drives, time.monotonic()


def _resolve_drives(devices: list[str]) -> list[Drive]:
    from ecs_field.media.drives import find_drive

    if len(set(devices)) != len(devices):
        raise BadInput("the same DEVICE is named twice", "Name each stick once.")
    drives = []
    for device in devices:
        drive = find_drive(device)
        if drive is None:
            raise SafetyRefusal(f"{device} is not a drive this computer shows "
                                "(not a whole disk, or unplugged)",
                                "Nothing was written. `ecs-field drives --all` lists the drives.")
        drives.append(drive)
    return drives


def _confirm(drives: list[Drive], image: Path, mode: str, size: int, kickstart: str | None = None) -> None:
    if not sys.stdin.isatty():
        raise SafetyRefusal(
            "not confirmed: writing erases the whole drive, and there is no terminal to ask",
            "Nothing was written. Run it in a terminal to be asked, or add --yes after checking the device.",
        )
    say(f"About to write {image.name} ({mode}, {human_size(size)}) to:")
    if kickstart:
        say(f"  with the kickstart {kickstart} as /KS.CFG (the host installs unattended)")
    for drive in drives:
        say(f"  {drive.display_path or drive.path}  {drive.label}  {human_size(drive.size_bytes)}"
            + (f"  serial {drive.serial}" if drive.serial else ""))
    say("EVERYTHING on " + ("these drives" if len(drives) > 1 else "this drive") + " will be erased.")
    try:
        answer = input("Type 'yes' to write: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() != "yes":
        raise Cancelled("Not confirmed; nothing was written.")


def _summary(outcome: DriveOutcome) -> str:
    drive = outcome.drive
    name = f"{drive.display_path or drive.path} ({drive.label}, {human_size(drive.size_bytes)})"
    result = outcome.result
    if result is None:
        return f"{name}: FAILED: {outcome.error.message if outcome.error else 'unknown error'}"
    rates = ", ".join(f"{p.phase} {_rate(p.rate_bps)}" for p in result.phases
                      if p.phase in ("write", "verify"))
    seconds = result.ended_at - result.started_at
    if result.verified:
        head = f"{name}: written and verified"
    else:
        head = f"{name}: written but NOT VERIFIED (--no-verify was given; the stick was not read back)"
    digest = f"; sha256 {result.sha256}" if result.sha256 else ""
    return f"{head} in {seconds:.0f} s ({rates}){digest}"


def run_write(args: argparse.Namespace) -> int:
    printer = ProgressPrinter(args.progress == "json", several=len(args.devices) > 1,
                              progress_file=args.progress_file, helper=args.helper)
    try:
        code = _run_write(args, printer)
    except EcsFieldError as exc:
        printer.failure(exc)
        raise
    finally:
        printer.close()
    # Written, verified, flushed, recorded and reported: the interpreter's teardown (~10-20 ms)
    # would only free memory.
    from ecs_field.process_exit import end_now

    return end_now(code)


def _run_write(args: argparse.Namespace, printer: ProgressPrinter) -> int:
    image = Path(args.image)
    if not image.is_file():
        raise BadInput(f"{image}: no such image file" if not image.exists() else f"{image} is not a file",
                       "Give the path of the .iso or .img file.")
    if args.confirm_device and not args.allow_non_removable:
        raise BadInput("--confirm-device only goes with --allow-non-removable",
                       "Add --allow-non-removable, or drop --confirm-device for a removable stick.")
    # The look-up's own modules first, so its thread goes straight to lsblk/udevadm; the writer's
    # modules are imported while those run (a subprocess wait leaves the GIL to this thread).
    from ecs_field.media.drives import find_drive, safety  # noqa: F401 (find_drive: for the thread)

    lookup = _DriveLookup(args.devices)
    from ecs_field.events import CancelToken
    from ecs_field.media.write.fingerprint import ImageFingerprint
    from ecs_field.media.write.kickstart_stick import refuse_raw
    from ecs_field.media.write.writejob import (
        WriteRequest,
        open_source,
        resolve_mode,
        write_many,
        write_to_drive,
    )

    request = WriteRequest(
        image_path=image, mode=args.mode, expected_sha256=args.sha256, verify=not args.no_verify,
        allow_non_removable=args.allow_non_removable, confirm_devices=tuple(args.confirm_device or ()),
        stall_timeout_s=args.stall_timeout, kickstart_path=Path(args.kickstart) if args.kickstart else None,
    )
    # A bad kickstart, or one with --mode raw, exits 2 before anything else is looked at.
    if request.kickstart_path is not None and args.mode == "raw":
        refuse_raw("raw")
    kickstart = request.kickstart()
    if kickstart is not None:
        for warning in kickstart.warnings:
            say(f"warning: {warning}")
    fingerprint = ImageFingerprint.take(image)  # before anything reads it (see media/fingerprint.py)
    mode = resolve_mode(image, args.mode, kickstart=kickstart is not None)
    source = open_source(image, mode, kickstart.data if kickstart else None)
    try:
        size = source.size_bytes
    finally:
        source.close()
    drives, finished = lookup.result()
    looked_up_at: float | None = finished
    if args.expect_drive:
        # From the app (helper): each device must still be the drive the user confirmed there.
        chosen = {d.path: d for d in map(safety.decode_identity, args.expect_drive)}
        for drive in drives:
            expected = chosen.get(drive.path)
            if expected is None:
                raise SafetyRefusal(f"{drive.path} is not one of the drives confirmed in the app",
                                    "Nothing was written. Choose the drives again in the app.")
            safety.require_same_drive(expected, drive)
    # Refuse before asking: a wrong device is named by the rules, not discovered after "yes".
    shown: set[str] = set()
    for drive in drives:
        decision = safety.require_safe(drive, size, image, allow_non_removable=request.allow_non_removable,
                                       confirm_device=request.confirmation_for(drive))
        for warning in decision.warnings:
            shown.add(warning)
            say(f"warning: {drive.display_path or drive.path}: {warning}")
    if not args.yes:
        _confirm(drives, image, mode, size, kickstart.label if kickstart else None)
        looked_up_at = None  # a person took their time: the writer looks the drives up again
    if args.no_verify:
        say("note: --no-verify: the stick will not be read back; a bad stick will not be noticed.")
    cancel = CancelToken()
    keep = not args.helper
    with cancel_on_signals(cancel), cancel_on_file(cancel, args.cancel_file):
        if len(drives) == 1:
            drive = drives[0]
            outcomes = [write_to_drive(request, drive, progress=lambda e: printer(drive.path, e),
                                       cancel=cancel, mode=mode, keep_record=keep, fingerprint=fingerprint,
                                       looked_up_at=looked_up_at)]
        else:
            outcomes = write_many(request, drives, progress=printer, cancel=cancel, keep_record=keep,
                                  fingerprint=fingerprint, looked_up_at=looked_up_at)
    printer.finish_line()
    for outcome in outcomes:
        printer.outcome(outcome)
        for warning in outcome.warnings:
            if warning not in shown:
                say(f"warning: {warning}")
        if outcome.result is not None:
            say(_summary(outcome))
            if kickstart is not None:
                say(f"  kickstart {kickstart.label} is on the stick as /KS.CFG; the installer starts with "
                    "ks=usb:/KS.CFG (unattended install)")
    failures = [o for o in outcomes if o.error is not None]
    if len(outcomes) > 1:
        for outcome in failures:
            say(_summary(outcome))
            if outcome.error and outcome.error.hint:
                say(f"  hint: {outcome.error.hint}")
        say(f"{len(outcomes) - len(failures)} of {len(outcomes)} sticks written"
            + ("" if args.no_verify else " and verified"))
        return failures[0].exit_code if failures else 0
    if failures and failures[0].error is not None:
        error = failures[0].error
        # Already reported as this device's final JSON line; the CLI shell prints message + hint.
        printer.reported = True
        raise error
    return 0


def run_history(args: argparse.Namespace) -> int:
    from ecs_field.media import history

    records = history.load_history()
    if args.json:
        print_json({"schema": history.SCHEMA, "records": [r.to_dict() for r in records]})
        return 0
    if not records:
        say("No writes recorded yet.")
        return 0
    rows = []
    for r in records:
        stick = " ".join(p for p in (r.device_vendor, r.device_model) if p) or "-"
        rows.append([
            r.started_at.replace("T", " ").rstrip("Z"), r.image_name, r.mode or "-",
            r.device_path, stick, r.device_serial or "-", human_size(r.device_size_bytes),
            r.result.upper() if r.result != history.VERIFIED else "verified",
            _rate(r.rate_bps("write")),
        ])
    sys.stdout.write(table(rows, ["STARTED (UTC)", "IMAGE", "MODE", "DEVICE", "STICK", "SERIAL", "SIZE",
                                  "RESULT", "WRITE"]) + "\n")
    for r in records:
        if r.error and r.result != history.VERIFIED:
            say(f"{r.started_at} {r.device_path}: {r.error.splitlines()[0]}")
    return 0


MAX_STALL_TIMEOUT_S = 24 * 3600


def _stall_timeout(text: str) -> float:
    """Seconds without progress before the stick counts as not answering: a positive number."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 60)") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_STALL_TIMEOUT_S:
        raise argparse.ArgumentTypeError(
            f"{text} is not a usable time: give the seconds without progress after which the stick counts "
            f"as not answering, more than 0 and at most {MAX_STALL_TIMEOUT_S} (default 60)")
    return value


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "write",
        help="write an image to a USB stick and verify it",
        description="Write IMAGE to DEVICE (the whole drive), then read it back and compare SHA-256. "
        "ESXi ISOs without a hybrid MBR become a FAT32 stick that UEFI boots (--mode auto). Several "
        "DEVICEs are written in parallel, each verified on its own. Exit codes: 0 written and verified, "
        "2 usage or bad image, 4 refused by the safety rules, 5 I/O error or device lost, "
        "6 verification mismatch, 130 cancelled.",
    )
    parser.add_argument("image", metavar="IMAGE", help="the .iso or disk image to write")
    parser.add_argument("devices", metavar="DEVICE", nargs="+",
                        help="the whole drive, e.g. /dev/sdb, /dev/disk4, \\\\.\\PhysicalDrive2")
    parser.add_argument("--mode", choices=MODES, default="auto",
                        help="raw: byte for byte; uefi-fat32: a FAT32 stick with the ISO's files; "
                        "auto (default): what `ecs-field image inspect` says")
    parser.add_argument("--sha256", metavar="HEX",
                        help="the image file's expected SHA-256; a mismatch stops before the stick is made "
                        "bootable (exit 2)")
    parser.add_argument("--no-verify", action="store_true",
                        help="skip reading the stick back (faster; a bad stick goes unnoticed; the result "
                        "says 'NOT verified')")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--allow-non-removable", action="store_true",
                        help="allow an internal, loop or virtual drive (never a system drive)")
    parser.add_argument("--confirm-device", metavar="DEVICE", action="append",
                        help="with --allow-non-removable: the device path typed again (once per device)")
    parser.add_argument("--progress", choices=("json",),
                        help="json: one JSON object per line on stdout: phase, bytes_done, bytes_total, "
                        "rate_bps, eta_s, message (and device)")
    parser.add_argument("--kickstart", metavar="FILE",
                        help="an ESXi ks.cfg (see `ecs-field kickstart`): checked first (a bad one exits 2 "
                        "before the stick is touched), put on the uefi-fat32 stick as /KS.CFG, and both "
                        "boot.cfg files boot the installer with ks=usb:/KS.CFG; not with --mode raw")
    parser.add_argument("--stall-timeout", type=_stall_timeout, default=60.0, metavar="SECONDS",
                        help="report the stick as not answering after this long without progress (60)")
    # For the app's elevated helper (ecs_field.media.write.helper), not for people:
    parser.add_argument("--helper", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--progress-file", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--cancel-file", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--expect-drive", metavar="IDENTITY", action="append", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run_write)

    hist = subparsers.add_parser("history", help="past writes",
                                 description="Every write this computer made: image, stick, result, speeds.")
    hist.add_argument("--json", action="store_true", help="print the records as one JSON document")
    hist.set_defaults(handler=run_history)

