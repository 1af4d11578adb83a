"""The privileged helper: the GUI never runs as root; one elevated `ecs-field write` per job.

Lessons from other writers (reference/writers.md): relaunching the whole GUI as root breaks on
systems without a polkit agent and runs a large GUI with full rights; an unprivileged app plus a
small elevated job speaking JSON lines does not. So the app builds the CLI command

    ecs-field write IMAGE DEVICE [DEVICE ...] --progress json --yes --helper ...

and raises it with the platform's own prompt:

- Linux: ``pkexec`` (polkit asks for the password). stdout is a pipe we read.
- Windows: UAC, through ``powershell Start-Process -Verb RunAs -Wait -PassThru``. An elevated
  process cannot inherit our pipes, so it writes its JSON lines to ``--progress-file`` in a
  private temp folder, which we tail.
- macOS: ``osascript ... with administrator privileges``; output also through the progress file.
- Already root (or an administrator on Windows): the command runs directly, no prompt.

Cancelling: an unprivileged process cannot signal a root one, so ``cancel()`` creates the file
named by ``--cancel-file`` (the helper polls it) and also sends SIGTERM where that is allowed.
The helper does not save history itself (``--helper``): each device's last JSON line carries its
record, which we save in the user's own history.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_field.errors import Cancelled, DeviceError, EcsFieldError
from ecs_field.events import CancelToken, Progress
from ecs_field.media import history
from ecs_field.media.drives import safety
from ecs_field.media.drives.model import Drive

log = logging.getLogger(__name__)

ELEVATION_NONE, ELEVATION_PKEXEC, ELEVATION_UAC, ELEVATION_OSASCRIPT = "none", "pkexec", "uac", "osascript"

# Exit codes of the write command (DESIGN.md 4) and of the elevation tools, for people.
EXIT_MESSAGES = {
    0: "Written and verified.",
    2: "The image cannot be used.",
    4: "Refused by the safety rules; nothing was written.",
    5: "The stick failed or was unplugged during the write.",
    6: "Verification failed: the stick does not hold what was written.",
    130: "Cancelled.",
    126: "Administrator rights were not granted (the password prompt was dismissed or refused).",
    127: "No password prompt could be shown: no polkit authentication agent is running.",
}
NO_AGENT_HINT = (
    "Writing a stick needs administrator rights and this desktop has no polkit agent to ask for the "
    "password. Start one (e.g. polkit-gnome, lxpolkit, polkit-kde-agent), or run in a terminal: "
)

DeviceEvent = Callable[[str, Progress], None]


@dataclass
class HelperOptions:
    mode: str = "auto"
    sha256: str | None = None
    verify: bool = True
    allow_non_removable: bool = False
    confirm_devices: tuple[str, ...] = ()
    stall_timeout_s: float = 60.0
    # The drives as the user saw and confirmed them (size, serial): the helper refuses a device
    # that is no longer that drive, e.g. a stick swapped while the password prompt was open.
    expected_drives: tuple[Drive, ...] = ()
    kickstart_path: Path | None = None  # a ks.cfg for an unattended install (uefi-fat32 sticks only)


@dataclass
class HelperCommand:
    argv: list[str]
    elevation: str
    progress_file: Path | None = None  # None: JSON lines come on stdout
    cancel_file: Path | None = None


def is_elevated() -> bool:
    """Root on POSIX, an administrator token on Windows."""
    if os.name == "nt":  # pragma: no cover - Windows only
        try:
            import ctypes

            return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
        except Exception:
            return False
    return hasattr(os, "geteuid") and os.geteuid() == 0


def cli_prefix() -> list[str]:
    """How to start this very app's CLI: the bundle's executable, or this Python with -m."""
    if getattr(sys, "frozen", False):  # PyInstaller: sys.executable is ecs-field itself
        return [sys.executable]
    return [sys.executable, "-m", "ecs_field"]


def windows_helper_prefix(prefix: list[str]) -> list[str]:
    """On Windows, the installed app's ``ecs-field-helper.exe`` when it is there.

    That executable is the same program with a manifest that requires administrator rights
    (PyInstaller's uac_admin), so Windows shows its UAC prompt naming ECS Field Kit's helper,
    and the app itself never runs elevated. A source install keeps the RunAs of Python.
    """
    if len(prefix) == 1 and prefix[0].lower().endswith("ecs-field.exe"):
        helper = Path(prefix[0]).with_name("ecs-field-helper.exe")
        if helper.is_file():
            return [str(helper)]
    return prefix


def write_arguments(
    image: Path | str,
    devices: Sequence[str],
    options: HelperOptions,
    *,
    progress_file: Path | None = None,
    cancel_file: Path | None = None,
) -> list[str]:
    """The `write` sub-command for a job: always --progress json --yes --helper (the app asked already)."""
    # Absolute: pkexec starts the helper in root's home folder, not in ours.
    args = ["write", str(Path(image).absolute()), *devices, "--mode", options.mode,
            "--progress", "json", "--yes", "--helper", "--stall-timeout", f"{options.stall_timeout_s:g}"]
    if options.sha256:
        args += ["--sha256", options.sha256]
    if options.kickstart_path is not None:
        # Absolute, like the image: the elevated helper starts in another working folder.
        args += ["--kickstart", str(Path(options.kickstart_path).absolute())]
    if not options.verify:
        args.append("--no-verify")
    if options.allow_non_removable:
        args.append("--allow-non-removable")
        for typed in options.confirm_devices:
            args += ["--confirm-device", typed]
    for drive in options.expected_drives:
        args += ["--expect-drive", safety.encode_identity(drive)]
    if progress_file is not None:
        args += ["--progress-file", str(progress_file)]
    if cancel_file is not None:
        args += ["--cancel-file", str(cancel_file)]
    return args


def _powershell_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _applescript_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_helper(
    image: Path | str,
    devices: Sequence[str],
    options: HelperOptions,
    *,
    workdir: Path,
    platform: str | None = None,
    elevated: bool | None = None,
    prefix: list[str] | None = None,
) -> HelperCommand:
    """The full command for this platform; ``workdir`` is a private folder for the progress/cancel files."""
    platform = platform or sys.platform
    elevated = is_elevated() if elevated is None else elevated
    prefix = prefix or cli_prefix()
    cancel_file = workdir / "cancel"
    if elevated:
        argv = prefix + write_arguments(image, devices, options, cancel_file=cancel_file)
        return HelperCommand(argv, ELEVATION_NONE, None, cancel_file)
    if platform.startswith("linux"):
        # pkexec wants an absolute program path and passes stdin/stdout/stderr through.
        argv = ["pkexec", *prefix, *write_arguments(image, devices, options, cancel_file=cancel_file)]
        return HelperCommand(argv, ELEVATION_PKEXEC, None, cancel_file)
    progress_file = workdir / "progress.jsonl"
    if platform == "win32":
        prefix = windows_helper_prefix(prefix)
    inner = prefix + write_arguments(image, devices, options, progress_file=progress_file,
                                     cancel_file=cancel_file)
    if platform == "win32":
        # Start-Process -Verb RunAs cannot redirect output, hence the progress file. A refused UAC
        # prompt throws; it becomes exit 126 like a refused pkexec.
        script = (
            "$ErrorActionPreference = 'Stop'; try { $p = Start-Process -FilePath "
            + _powershell_quote(inner[0])
            + " -ArgumentList " + _powershell_quote(subprocess.list2cmdline(inner[1:]))
            + " -Verb RunAs -WindowStyle Hidden -Wait -PassThru; exit $p.ExitCode } catch { exit 126 }"
        )
        argv = ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
                "-Command", script]
        return HelperCommand(argv, ELEVATION_UAC, progress_file, cancel_file)
    if platform == "darwin":
        shell = " ".join(shlex.quote(part) for part in inner)
        argv = ["osascript", "-e",
                f"do shell script {_applescript_quote(shell)} with administrator privileges"]
        return HelperCommand(argv, ELEVATION_OSASCRIPT, progress_file, cancel_file)
    raise EcsFieldError(f"writing sticks is not supported on {platform}", "Use Linux, Windows or macOS.")


def helper_command(
    image: Path | str,
    devices: Sequence[str],
    options: HelperOptions,
    *,
    workdir: Path | None = None,
    platform: str | None = None,
    elevated: bool | None = None,
) -> list[str]:
    """Just the argv of ``build_helper`` (``workdir`` defaults to a new private temp folder)."""
    folder = workdir or Path(tempfile.mkdtemp(prefix="ecs-field-write-"))
    return build_helper(image, devices, options, workdir=folder, platform=platform, elevated=elevated).argv


@dataclass
class DeviceReport:
    """The helper's last word on one device."""

    device: str
    phase: str  # "done" | "error"
    exit_code: int
    message: str
    hint: str | None = None
    record: history.WriteRecord | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class HelperResult:
    exit_code: int
    message: str
    hint: str | None = None
    devices: dict[str, DeviceReport] = field(default_factory=dict)
    stderr: str = ""
    history_warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def error(self) -> EcsFieldError:
        """The failure as the matching exception (for GUI jobs that raise)."""
        if self.exit_code == 130:
            return Cancelled(self.message, self.hint)
        return EcsFieldError(self.message, self.hint, exit_code=self.exit_code)


def _progress_from(document: dict[str, Any]) -> Progress:
    eta = document.get("eta_s")
    return Progress(
        phase=str(document.get("phase", "")),
        bytes_done=int(document.get("bytes_done") or 0),
        bytes_total=int(document.get("bytes_total") or 0),
        rate_bps=float(document.get("rate_bps") or 0.0),
        eta_s=None if eta is None else float(eta),
        message=str(document.get("message") or ""),
    )


def _stderr_error(stderr: str) -> tuple[str | None, str | None]:
    """The CLI's own "ecs-field: error: ..." and "  hint: ..." lines, if any."""
    message = hint = None
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("ecs-field: error: "):
            message = line[len("ecs-field: error: "):]
            more = [m for m in lines[i + 1:] if m.startswith("  - ")]
            if more:
                message += "\n" + "\n".join(more)
        elif line.startswith("  hint: "):
            hint = line[len("  hint: "):]
    return message, hint


class HelperProcess:
    """Runs one helper command, turning its JSON lines into Progress events per device."""

    def __init__(self, command: HelperCommand, *, on_progress: DeviceEvent | None = None,
                 save_history: bool = True) -> None:
        self.command = command
        self.on_progress = on_progress or (lambda _device, _event: None)
        self.save_history = save_history
        self.proc: subprocess.Popen[bytes] | None = None
        self.reports: dict[str, DeviceReport] = {}
        self.general_error: dict[str, Any] | None = None
        self.last_error_message: str | None = None
        self._stderr_chunks: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._cancelled = False

    # ----- running -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.command.progress_file is not None:
            self.command.progress_file.parent.mkdir(parents=True, exist_ok=True)
            self.command.progress_file.write_bytes(b"")
        if self.command.cancel_file is not None:
            with contextlib.suppress(FileNotFoundError):
                self.command.cancel_file.unlink()
        tool = self.command.argv[0]
        if shutil.which(tool) is None and not os.path.isabs(tool):
            raise self._missing_tool(tool)
        try:
            self.proc = subprocess.Popen(
                self.command.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl+C in the app's terminal must not kill the helper mid-block
            )
        except FileNotFoundError as exc:
            raise self._missing_tool(tool) from exc
        assert self.proc.stdout is not None and self.proc.stderr is not None
        stdout, stderr = self.proc.stdout, self.proc.stderr
        if self.command.progress_file is None:
            self._spawn(lambda: self._read_lines(stdout))
        else:
            self._spawn(stdout.read)  # drain, nothing expected
            self._spawn(self._tail_progress_file)
        self._spawn(lambda: self._stderr_chunks.append(stderr.read()))

    def _missing_tool(self, tool: str) -> EcsFieldError:
        if self.command.elevation == ELEVATION_PKEXEC:
            return DeviceError(
                "pkexec is not installed, so the app cannot ask for administrator rights",
                "Install polkit (the package providing pkexec, e.g. 'pkexec' or 'policykit-1'), or run "
                "the write in a terminal with sudo: " + self.terminal_hint(),
            )
        return DeviceError(f"{tool} was not found, so the app cannot ask for administrator rights",
                           "Run the write from a terminal as administrator: " + self.terminal_hint())

    def terminal_hint(self) -> str:
        argv = self.command.argv
        if self.command.elevation == ELEVATION_PKEXEC:
            argv = argv[1:]
        cleaned: list[str] = []
        skip = False
        for part in argv:
            if skip:
                skip = False
                continue
            if part in ("--progress-file", "--cancel-file"):
                skip = True
                continue
            if part in ("--helper", "--yes"):
                continue
            cleaned.append(part)
        return "sudo " + " ".join(shlex.quote(p) for p in cleaned)

    def _spawn(self, target: Callable[[], object]) -> None:
        thread = threading.Thread(target=target, name="ecs-helper-io", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_lines(self, stream: Any) -> None:
        for raw in iter(stream.readline, b""):
            self._safe_handle(raw)

    def _safe_handle(self, raw: bytes) -> None:
        # Whatever one line holds, keep draining: a reader that dies leaves the root helper
        # blocked on a full pipe, holding the stick, with nobody left to wait for it.
        try:
            self._handle_line(raw.decode("utf-8", "replace"))
        except Exception:
            log.exception("could not handle the helper's line: %r", raw[:200])

    def _tail_progress_file(self) -> None:
        assert self.command.progress_file is not None
        pending = b""
        with open(self.command.progress_file, "rb") as handle:
            while True:
                chunk = handle.read()
                if chunk:
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    for raw in complete:
                        self._safe_handle(raw)
                elif self.proc is not None and self.proc.poll() is not None:
                    rest = handle.read()
                    if not rest:
                        break
                    pending += rest
                else:
                    time.sleep(0.1)
        if pending.strip():
            self._safe_handle(pending)

    def _handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            document = json.loads(line)
            if not isinstance(document, dict):
                raise ValueError("not an object")
            event = _progress_from(document)
        except (ValueError, TypeError) as exc:
            log.info("helper said something that is not a progress line (%s): %s", exc, line[:200])
            return
        device = document.get("device") or ""
        if event.phase == "error":
            self.last_error_message = event.message
        if "exit_code" in document and event.phase in ("done", "error"):
            if not device:
                self.general_error = document
            else:
                self.reports[device] = self._report(device, event, document)
        try:
            self.on_progress(device, event)
        except Exception:
            log.exception("progress listener failed")

    def _report(self, device: str, event: Progress, document: dict[str, Any]) -> DeviceReport:
        record = None
        raw = document.get("record")
        if isinstance(raw, dict):
            try:
                record = history.WriteRecord.from_dict(raw)
            except (TypeError, ValueError) as exc:
                log.warning("helper sent an unreadable write record: %s", exc)
        warnings = document.get("warnings")
        code = document.get("exit_code")
        # Never read a missing or garbled code on an "error" line as 0 (success).
        exit_code = code if isinstance(code, int) and not isinstance(code, bool) else 1
        if event.phase != "done" and exit_code == 0:
            exit_code = 1
        return DeviceReport(device, event.phase, exit_code, event.message,
                            document.get("hint"), record,
                            [str(w) for w in warnings] if isinstance(warnings, list) else [])

    def cancel(self) -> None:
        """Ask the helper to stop cleanly (it wipes the first MiB and exits 130)."""
        self._cancelled = True
        if self.command.cancel_file is not None:
            with contextlib.suppress(OSError):
                self.command.cancel_file.touch()
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):  # EPERM for a root helper: the cancel file reaches it
                self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float | None = None) -> HelperResult:
        assert self.proc is not None, "start() first"
        code = self.proc.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=5)
        return self._result(code)

    def run(self, cancel: CancelToken | None = None) -> HelperResult:
        """Start, wait (cancelling when ``cancel`` fires), return the result. For GUI worker threads."""
        self.start()
        assert self.proc is not None
        sent = False
        while self.proc.poll() is None:
            if cancel is not None and cancel.cancelled and not sent:
                self.cancel()
                sent = True
            time.sleep(0.1)
        return self.wait()

    # ----- results -----------------------------------------------------------------------------

    def _result(self, code: int) -> HelperResult:
        stderr = b"".join(self._stderr_chunks).decode("utf-8", "replace")
        code = self._elevation_exit_code(code, stderr)
        message, hint = _stderr_error(stderr)
        if self.general_error is not None:
            message = str(self.general_error.get("message") or message or "")
            hint = self.general_error.get("hint") or hint
        result = HelperResult(exit_code=code, message="", hint=None, devices=dict(self.reports),
                              stderr=stderr)
        if code in (126, 127) and not self.reports and self.general_error is None:
            result.message = EXIT_MESSAGES[code]
            if code == 127 or "authentication agent" in stderr.lower():
                result.message = EXIT_MESSAGES[127]
                result.hint = NO_AGENT_HINT + self.terminal_hint()
            else:
                result.hint = ("Try again and enter an administrator's password, or run: "
                               + self.terminal_hint())
        elif code == 0:
            result.message = EXIT_MESSAGES[0]
            if any(r.record and not r.record.verified for r in self.reports.values()):
                result.message = "Written, but NOT verified (verification was skipped)."
        else:
            result.message = message or self.last_error_message or EXIT_MESSAGES.get(
                code, f"The write helper stopped with exit code {code}.")
            result.hint = hint
            if code == 130 and not message:
                result.message = EXIT_MESSAGES[130]
        if self.save_history:
            for report in self.reports.values():
                if report.record is not None:
                    try:
                        warning = history.append_record(report.record)
                    except (OSError, EcsFieldError) as exc:
                        warning = f"the write record could not be saved: {exc}"
                    result.history_warning = result.history_warning or warning
        return result

    def _elevation_exit_code(self, code: int, stderr: str) -> int:
        if self.command.elevation == ELEVATION_OSASCRIPT and code != 0:
            # osascript reports the shell's exit status as "... (N)"; -128 is "User canceled."
            tail = stderr.strip().rsplit("(", 1)[-1].rstrip(")")
            with contextlib.suppress(ValueError):
                number = int(tail)
                return 126 if number == -128 else number
        if code < 0:  # killed by a signal (POSIX)
            return 130 if self._cancelled else 5
        return code


class _Combined:
    """Several sticks' progress as one event stream (sums of bytes; the least advanced phase)."""

    ORDER = ("prepare", "write", "flush", "verify", "done", "error")

    def __init__(self, devices: Sequence[str], progress: Callable[[Progress], None]) -> None:
        self.latest: dict[str, Progress] = {d: Progress("prepare") for d in devices}
        self.progress = progress
        self.lock = threading.Lock()

    def __call__(self, device: str, event: Progress) -> None:
        with self.lock:
            if device in self.latest:
                self.latest[device] = event
            elif device:
                return
            events = list(self.latest.values()) if len(self.latest) > 1 else [event]
        if len(events) == 1:
            self.progress(events[0])
            return
        running = [e for e in events if e.phase not in ("done", "error")] or events
        phase = min(running, key=lambda e: self.ORDER.index(e.phase) if e.phase in self.ORDER else 0).phase
        done = sum(e.bytes_done for e in running)
        total = sum(e.bytes_total for e in running)
        rate = sum(e.rate_bps for e in running)
        eta = max((e.eta_s for e in running if e.eta_s is not None), default=None)
        failed = sum(e.phase == "error" for e in events)
        message = f"{len(events)} sticks" + (f", {failed} failed" if failed else "")
        self.progress(Progress(phase, done, total, rate, eta, message))


def write_job(
    image: Path | str, devices: Sequence[str], options: HelperOptions
) -> Callable[[Callable[[Progress], None], CancelToken], HelperResult]:
    """A job for the GUI's worker threads: one elevated helper writing every device, cancellable.

    Returns the HelperResult; raises its error (EcsFieldError/Cancelled) when any stick failed,
    after the records of every stick were saved.
    """
    def run(progress: Callable[[Progress], None], cancel: CancelToken) -> HelperResult:
        with tempfile.TemporaryDirectory(prefix="ecs-field-write-") as folder:
            command = build_helper(image, devices, options, workdir=Path(folder))
            result = HelperProcess(command, on_progress=_Combined(devices, progress)).run(cancel)
        if not result.ok:
            raise result.error()
        return result

    return run
