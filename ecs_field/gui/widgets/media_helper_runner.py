"""The runner the app normally uses: one privileged helper process per write job.

``ecs_field.media.helper`` builds the elevated ``ecs-field write ... --progress json`` command
(pkexec, UAC or osascript; none when already elevated) and turns its JSON lines into progress
events; it also saves the helper's write records in this user's history. This runner runs it on a
worker thread and translates its per-device reports into RunOutcomes for the page.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from ecs_field.events import CancelToken
from ecs_field.gui.widgets.media_runner import RunOutcome, WriteRunner
from ecs_field.media.drives import Drive, human_size

log = logging.getLogger(__name__)


def outcome_from_report(drive: Drive, report: Any, result: Any) -> RunOutcome:
    name = f"{drive.display_path or drive.path} ({drive.label}, {human_size(drive.size_bytes)})"
    if report is None:  # the helper never got to this drive: elevation refused, bad image, ...
        return RunOutcome(drive.path, drive.label, False, False, result.exit_code,
                          f"{name}: {result.message}", result.hint or "")
    record = report.record
    if report.exit_code == 0 and record is not None:
        written = f"{record.bytes_written:,} bytes".replace(",", " ")
        digest = (record.written_sha256 or "")[:16]
        if record.verified:
            text = (f"{name}: written and verified. All {written} were read back from the stick with the "
                    f"cache bypassed, and their SHA-256 {digest}… matches what was written.")
        else:
            text = (f"{name}: written but NOT verified (verification was switched off); {written} written, "
                    f"SHA-256 {digest}…")
        return RunOutcome(drive.path, drive.label, True, bool(record.verified), 0, text)
    return RunOutcome(drive.path, drive.label, False, False, report.exit_code or result.exit_code,
                      f"{name}: {report.message or result.message}", report.hint or result.hint or "")


class HelperRunner(WriteRunner):
    def __init__(self, parent: QObject | None = None, *, elevated: bool | None = None) -> None:
        super().__init__(parent)
        self._elevated = elevated
        self._thread: threading.Thread | None = None
        self._cancel = CancelToken()

    def start(self, request: Any, drives: list[Drive]) -> None:
        from ecs_field.media.helper import HelperOptions, HelperProcess, build_helper
        from ecs_field.media.library import recheck_image_for_write

        if self.is_running():
            raise RuntimeError("a write is already running")
        self._cancel = CancelToken()
        cancel = self._cancel
        options = HelperOptions(
            mode=request.mode, sha256=request.expected_sha256, verify=request.verify,
            allow_non_removable=request.allow_non_removable, confirm_devices=tuple(request.confirm_devices),
            stall_timeout_s=request.stall_timeout_s,
        )

        def work() -> None:
            workdir = Path(tempfile.mkdtemp(prefix="ecs-field-write-"))
            outcomes: list[RunOutcome]
            try:
                # The privileged helper runs as another user with another library: the user's
                # own library record is checked here, before any stick is touched.
                recheck_image_for_write(request.image_path)
                command = build_helper(request.image_path, [d.path for d in drives], options,
                                       workdir=workdir, elevated=self._elevated)
                process = HelperProcess(command, on_progress=self.progress.emit)
                result = process.run(cancel)
                outcomes = [outcome_from_report(d, result.devices.get(d.path), result) for d in drives]
            except Exception as exc:  # EcsFieldError (no pkexec, ...) or a bug: say it on every drive
                log.exception("write helper failed")
                message = getattr(exc, "message", str(exc))
                hint = getattr(exc, "hint", "") or ""
                outcomes = [RunOutcome(d.path, d.label, False, False, getattr(exc, "exit_code", 70),
                                       f"{d.display_path or d.path} ({d.label}): {message}", hint)
                            for d in drives]
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            self.finished.emit(outcomes)

        self._thread = threading.Thread(target=work, name="ecs-gui-helper", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.cancel()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, seconds: float = 60.0) -> bool:
        if self._thread is not None:
            self._thread.join(seconds)
        return not self.is_running()
