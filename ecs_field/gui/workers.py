"""Run core jobs off the GUI thread (DESIGN.md principle 2).

A core job is ``fn(progress_callback, cancel_token) -> result``. ``Job`` runs it in the global
QThreadPool and turns its events into Qt signals, which Qt delivers queued to the GUI thread.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ecs_field.errors import Cancelled, EcsFieldError
from ecs_field.events import CancelToken, Progress

log = logging.getLogger(__name__)

JobFunction = Callable[[Callable[[Progress], None], CancelToken], Any]


class JobSignals(QObject):
    progress = Signal(object)  # Progress
    succeeded = Signal(object)  # the job's result
    failed = Signal(str, str)  # message, hint
    cancelled = Signal()
    finished = Signal()  # always last


class Job(QRunnable):
    """One background job. Keep a reference to it (or its signals) while it runs."""

    def __init__(self, fn: JobFunction, name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.name = name
        self.signals = JobSignals()
        self.cancel_token = CancelToken()

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit, self.cancel_token)
        except Cancelled:
            self.signals.cancelled.emit()
        except EcsFieldError as exc:
            log.info("%s failed: %s", self.name, exc)
            self.signals.failed.emit(exc.message, exc.hint or "")
        except Exception as exc:
            log.error("%s crashed:\n%s", self.name, traceback.format_exc())
            self.signals.failed.emit(
                f"Unexpected error in {self.name}: {type(exc).__name__}: {exc}",
                "Details are in the log (Help > Open log folder).",
            )
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


class JobRunner(QObject):
    """Keeps running jobs alive and starts them on the shared pool."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: set[Job] = set()

    def start(self, job: Job) -> Job:
        self._jobs.add(job)
        job.signals.finished.connect(lambda: self._jobs.discard(job))
        QThreadPool.globalInstance().start(job)
        return job

    def run(
        self,
        fn: JobFunction,
        *,
        name: str,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[str, str], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> Job:
        """Start ``fn`` in the pool with its handlers already connected.

        Connect handlers here, not on the returned job: a quick job may finish before a
        connection made after ``run()`` returns, and its signal would be lost.
        """
        job = Job(fn, name)
        if on_success:
            job.signals.succeeded.connect(on_success)
        if on_failure:
            job.signals.failed.connect(on_failure)
        if on_progress:
            job.signals.progress.connect(on_progress)
        if on_cancelled:
            job.signals.cancelled.connect(on_cancelled)
        if on_finished:
            job.signals.finished.connect(on_finished)
        return self.start(job)

    def cancel_all(self) -> None:
        for job in list(self._jobs):
            job.cancel()

    def wait_all(self, msecs: int = 5000) -> bool:
        return QThreadPool.globalInstance().waitForDone(msecs)
