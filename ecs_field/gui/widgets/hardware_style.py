"""Words for check states on the Hardware page; their colours come from ecs_field.gui.theme.

Status is colour AND word (DESIGN.md section 6). "Not checked" has its own word, icon and
colour: it is neither a pass nor a fail but a fact the input did not carry. The colours are
picked per palette (theme.tones_for) so text keeps enough contrast on a dark window too; they
are re-exported here for the Hardware page's widgets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecs_field.gui.theme import DARK, LIGHT, Tones, is_dark, tones_for

__all__ = [
    "COUNT_WORDS",
    "DARK",
    "LIGHT",
    "STATE_ORDER",
    "STATUS_WORDS",
    "SUPPORT_WORDS",
    "Tones",
    "check_state",
    "count_states",
    "is_dark",
    "tones_for",
]

# check state -> word shown in the checks list (the icon is part of the word)
STATUS_WORDS: dict[str, str] = {
    "fail": "✖ FAIL",
    "warn": "! ACTION",
    "not_checked": "? NOT CHECKED",
    "pass": "✔ PASS",
}
# check state -> how it is counted in the summary line
COUNT_WORDS: dict[str, str] = {
    "fail": "failed",
    "warn": "need action",
    "not_checked": "not checked",
    "pass": "passed",
}
STATE_ORDER = ("fail", "warn", "not_checked", "pass")

SUPPORT_WORDS: dict[str, str] = {
    "inbox": "✔ inbox",
    "driver-required": "! driver required",
    "unsupported": "✖ unsupported",
    "unknown": "? unknown",
}


def check_state(check: Mapping[str, Any]) -> str:
    """'not_checked' for a check whose fact no input carried (its status stays "warn"), else its status."""
    if check.get("not_checked"):
        return "not_checked"
    status = str(check.get("status") or "")
    return status if status in STATUS_WORDS else "warn"


def count_states(checks: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATE_ORDER, 0)
    for check in checks:
        counts[check_state(check)] += 1
    return counts
