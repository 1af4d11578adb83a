"""Times of snapshots: now, parsing, formatting and "5 min" ages.

Kept apart from snapshot.py (which imports storage, YAML and the fetch code) so the warm
`status` path can recompute a snapshot's age at print time without importing any of that.
snapshot.py re-exports these names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

FUTURE_PREFIX = "the snapshot is dated "
FUTURE_TOLERANCE_S = 300.0  # clocks of a laptop and a host differ by a few seconds, not minutes


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def human_age(seconds: float | None) -> str:
    """ "3 min", "2 h 5 min", "4 days": how old a snapshot is, for people."""
    if seconds is None:
        return "unknown age"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def refresh_times(
    status: dict[str, Any], stale_after_s: float, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Recompute the snapshot's age, staleness and future flag (all that changes with the clock)."""
    snap = status.get("snapshot") or {}
    taken = parse_time(str(snap.get("taken_at") or ""))
    problems = [p for p in snap.get("problems") or [] if not str(p).startswith(FUTURE_PREFIX)]
    if taken is None:
        return status
    seconds = ((now or utc_now()) - taken).total_seconds()
    future = -seconds > FUTURE_TOLERANCE_S
    snap["age_s"] = round(max(0.0, seconds), 1)
    snap["stale"] = future or seconds > stale_after_s
    snap["future"] = future
    snap["future_s"] = round(-seconds, 1) if future else None
    if future:
        problems.append(
            f"{FUTURE_PREFIX}{snap['taken_at']}, {human_age(-seconds)} in the future: "
            "the laptop's or the host's clock is wrong, so its age is unknown"
        )
    snap["problems"] = problems
    status["snapshot"] = snap
    return status
