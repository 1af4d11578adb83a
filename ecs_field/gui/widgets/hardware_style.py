"""Colours and words for check states on the Hardware page, for light and dark palettes.

Status is colour AND word (DESIGN.md section 6). "Not checked" has its own word, icon and
colour: it is neither a pass nor a fail but a fact the input did not carry. The colours are
picked per palette so text keeps enough contrast on a dark window too (GitHub Primer tones,
which are tuned for WCAG AA on their backgrounds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QPalette

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


@dataclass(frozen=True)
class Tones:
    dark: bool
    passed: str
    action: str
    failed: str
    not_checked: str
    muted: str  # secondary text (details, "seen")
    fix_bg: str  # background of a "Fix:" box
    fix_fg: str
    howto_bg: str  # background of a "How to check:" box (not checked)
    howto_fg: str
    link: str

    def state(self, state: str) -> str:
        return {
            "pass": self.passed,
            "warn": self.action,
            "fail": self.failed,
            "not_checked": self.not_checked,
        }.get(state, self.muted)

    def support(self, support: str) -> str:
        return {
            "inbox": self.passed,
            "driver-required": self.action,
            "unsupported": self.failed,
        }.get(support, self.not_checked)


LIGHT = Tones(
    dark=False,
    passed="#116329",
    action="#7d4e00",
    failed="#a40e26",
    not_checked="#4d5a6b",
    muted="#4d5761",
    fix_bg="#fff8c5",
    fix_fg="#3b2300",
    howto_bg="#eef1f4",
    howto_fg="#1f2328",
    link="#0550ae",
)
DARK = Tones(
    dark=True,
    passed="#56d364",
    action="#e3b341",
    failed="#ff7b72",
    not_checked="#a5b4c6",
    muted="#b1bac4",
    fix_bg="#3d2e00",
    fix_fg="#f8e3a1",
    howto_bg="#2b3036",
    howto_fg="#e6edf3",
    link="#79c0ff",
)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def tones_for(palette: QPalette) -> Tones:
    return DARK if is_dark(palette) else LIGHT


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
