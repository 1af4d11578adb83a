"""The runner the app normally uses: one privileged helper process per write job.

``ecs_field.media.write.helper`` builds the elevated ``ecs-field write ... --progress json`` command
(pkexec, UAC or osascript; none when already elevated) and turns its JSON lines into progress
events; it also saves the helper's write records in this user's history. This runner runs it on a
worker thread and translates its per-device reports into RunOutcomes for the page.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from ecs_field.events import CancelToken
from ecs_field.gui.widgets.media_runner import RunOutcome, WriteRunner, done_outcome, failed_outcome
from ecs_field.media.drives import Drive


def record_seconds(record: Any) -> float | None:
    """How long the helper's write took, from its history record (None when it does not say)."""
    try:
        start = datetime.fromisoformat(str(record.started_at).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(record.ended_at).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    seconds = (end - start).total_seconds()
    return seconds if seconds > 0 else None


def outcome_from_report(drive: Drive, report: Any, result: Any) -> RunOutcome:
    if report is None:  # the helper never got to this drive: elevation refused, bad image, ...
        return failed_outcome(drive, result.exit_code, result.message, result.hint or "")
    record = report.record
    # Success needs all three: exit 0, the "done" phase and the record (a garbled line is no success).
    if report.exit_code == 0 and report.phase == "done" and record is not None:
        return done_outcome(
            drive,
            record.bytes_written,
            record.written_sha256 or "",
            bool(record.verified),
            seconds=record_seconds(record),
        )
    return failed_outcome(
        drive,
        report.exit_code or result.exit_code,
        report.message or result.message,
        report.hint or result.hint or "",
    )


class HelperRunner(WriteRunner):
    """Each write job runs ``ecs-field write`` in its own elevated process."""

    thread_name = "ecs-gui-helper"

    def __init__(self, parent: QObject | None = None, *, elevated: bool | None = None) -> None:
        super().__init__(parent)
        self._elevated = elevated

    def _run(self, request: Any, drives: list[Drive], cancel: CancelToken) -> list[RunOutcome]:
        from ecs_field.media.library.store import recheck_image_for_write
        from ecs_field.media.write.helper import HelperOptions, HelperProcess, build_helper

        extra: dict[str, Any] = {}
        kickstart = getattr(request, "kickstart_path", None)
        if kickstart is not None:
            extra["kickstart_path"] = kickstart
        options = HelperOptions(
            mode=request.mode,
            sha256=request.expected_sha256,
            verify=request.verify,
            allow_non_removable=request.allow_non_removable,
            confirm_devices=tuple(request.confirm_devices),
            stall_timeout_s=request.stall_timeout_s,
            expected_drives=tuple(drives),
            **extra,
        )
        # The privileged helper runs as another user with another library: the user's own
        # library record is checked here, before any stick is touched.
        recheck_image_for_write(request.image_path)
        workdir = Path(tempfile.mkdtemp(prefix="ecs-field-write-"))
        try:
            command = build_helper(
                request.image_path,
                [d.path for d in drives],
                options,
                workdir=workdir,
                elevated=self._elevated,
            )
            result = HelperProcess(command, on_progress=self.progress.emit).run(cancel)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return [outcome_from_report(d, result.devices.get(d.path), result) for d in drives]
