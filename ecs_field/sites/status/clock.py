"""Times of snapshots: now, parsing, formatting and "5 min" ages.

Kept apart from snapshot.py (which imports storage, YAML and the fetch code) so the warm
`status` path can recompute a snapshot's age at print time without importing any of that.
snapshot.py re-exports these names.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

FUTURE_PREFIX = "the snapshot is dated "
FUTURE_TOLERANCE_S = 300.0  # clocks of a laptop and a host differ by a few seconds, not minutes


def utc_now() -> dt.datetime:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc)


def now_us() -> int:
    """Microseconds since the epoch, as utc_now() would give them (the same clock, floored)."""
    return time.time_ns() // 1000


def format_time(moment: dt.datetime) -> str:
    import datetime as dt

    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_us(text: str) -> int | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` (what format_time writes) as microseconds since the epoch, without
    importing datetime; None for any other spelling or an impossible date (then parse_time decides)."""
    if (
        len(text) != 20
        or not text.isascii()
        or text[4] != "-"
        or text[7] != "-"
        or text[10] != "T"
        or text[13] != ":"
        or text[16] != ":"
        or text[19] != "Z"
    ):
        return None
    digits = text[0:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]
    if not digits.isdigit():
        return None
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    month_days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= month_days[month - 1]):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    # days from 1970-01-01 (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000


def parse_time(text: str) -> dt.datetime | None:
    import datetime as dt

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
    text = str(snap.get("taken_at") or "")
    problems = [p for p in snap.get("problems") or [] if not str(p).startswith(FUTURE_PREFIX)]
    taken_us = epoch_us(text) if now is None else None
    if taken_us is not None:  # the usual spelling: the same arithmetic as datetime's, without it
        seconds = (now_us() - taken_us) / 1_000_000
    else:
        taken = parse_time(text)
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
