"""Progress events and cancellation for long jobs (DESIGN.md principle 2).

Core jobs take a ``ProgressCallback`` and a ``CancelToken``; they never know whether a GUI,
the CLI or a test is listening. The GUI forwards events as Qt signals from a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ecs_field.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress report. ``phase`` names the step (e.g. "write", "verify")."""

    phase: str
    bytes_done: int = 0
    bytes_total: int = 0
    rate_bps: float = 0.0
    eta_s: float | None = None
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """A callback for callers that do not listen."""


class CancelToken:
    """Thread-safe cancel flag. Jobs call ``check()`` between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled meanwhile (so retries stay cancellable)."""
        return self._event.wait(seconds)


class RateMeter:
    """Transfer rate over a sliding window (2 s by default) and the ETA it implies.

    A window, not the mean since start: a stick that slows down when its cache fills shows it.
    """

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window_s
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def update(self, bytes_done: int) -> float:
        now = self._clock()
        self._samples.append((now, bytes_done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()
        return self.rate

    @property
    def rate(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def eta(self, bytes_done: int, bytes_total: int) -> float | None:
        rate = self.rate
        if rate <= 0 or bytes_total <= 0:
            return None
        return max(0.0, (bytes_total - bytes_done) / rate)

    def progress(self, phase: str, bytes_done: int, bytes_total: int, message: str = "") -> Progress:
        """Record ``bytes_done`` and build the event in one call."""
        self.update(bytes_done)
        return Progress(phase, bytes_done, bytes_total, self.rate, self.eta(bytes_done, bytes_total), message)
