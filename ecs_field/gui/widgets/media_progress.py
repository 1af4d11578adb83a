"""One progress figure for a whole write job: every pass of every stick, and the time it has left.

The writer reports each pass (write, flush, verify) from 0 to 100 % with its own rate and ETA.
Shown as they come, the bar ran to the end twice and the verify pass said "46 % · 0 s left"
(its ETA under a second, cut to 0). Here the write is the first half of a verified job and the
read-back the second, the ETA counts the passes still to come, and it is rounded up: "0 s left"
is never shown while work remains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecs_field.events import Progress

PHASE_WORDS = {
    "prepare": "Preparing",
    "write": "Writing",
    "flush": "Flushing the stick's cache",
    "verify": "Verifying (reading back)",
    "done": "Done",
    "error": "Failed",
}
_ORDER = ("prepare", "write", "flush", "verify", "done", "error")


@dataclass(frozen=True)
class Overall:
    phase: str  # the phase of the stick furthest behind
    fraction: float  # 0..1 of the whole job (all passes, all sticks)
    rate_bps: float  # summed over the sticks still working
    eta_s: float | None  # until the last stick is done; None while not known


def stick_fraction(event: Progress, verify: bool) -> float:
    """How far one stick is through its whole job (write, then read back when ``verify``)."""
    if event.phase in ("done", "error"):
        return 1.0
    part = min(1.0, max(0.0, event.fraction))
    if not verify:  # one pass: a write without read-back, or a comparison of an inserted stick
        return part if event.phase in ("write", "verify") else (1.0 if event.phase == "flush" else 0.0)
    return {"write": part / 2, "flush": 0.5, "verify": 0.5 + part / 2}.get(event.phase, 0.0)


def stick_eta(event: Progress, verify: bool) -> float | None:
    """Seconds until this stick is done, the passes still to come included.

    While writing, the read-back is reckoned at the write's rate: reads are rarely slower, so
    this errs long rather than short.
    """
    if event.phase in ("done", "error"):
        return 0.0
    if event.eta_s is None or event.rate_bps <= 0:
        return None
    if event.phase == "write" and verify:
        return event.eta_s + event.bytes_total / event.rate_bps
    return event.eta_s


def overall(events: dict[str, Progress], verify: bool = True) -> Overall:
    if not events:
        return Overall("prepare", 0.0, 0.0, None)
    phase = min((e.phase for e in events.values()), key=lambda p: _ORDER.index(p) if p in _ORDER else 0)
    fraction = sum(stick_fraction(e, verify) for e in events.values()) / len(events)
    rate = sum(e.rate_bps for e in events.values() if e.phase not in ("done", "error"))
    etas = [stick_eta(e, verify) for e in events.values()]
    eta = None if any(t is None for t in etas) else max(t for t in etas if t is not None)
    return Overall(phase, fraction, rate, eta)


def format_eta(seconds: float | None) -> str:
    """'3 min 5 s left'; rounded up, so 'under 1 s' rather than '0 s' while work remains."""
    if seconds is None:
        return ""
    if seconds < 1:
        return "under 1 s left" if seconds > 0 else ""
    whole = math.ceil(seconds)
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60} min left"
    if whole >= 60:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s left" if rest else f"{minutes} min left"
    return f"{whole} s left"


def format_duration(seconds: float) -> str:
    """'1 min 12 s', '8 s', '0.4 s' for how long a write took."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    if whole >= 60:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole} s"
