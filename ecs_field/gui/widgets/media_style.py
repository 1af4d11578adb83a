"""Colours of the Boot media page, picked per palette from ecs_field.gui.theme.

Status is colour AND word (DESIGN.md section 6); the colour must stay readable on the palette in
use (issue 10: a dark palette hid the drive count and the reasons). Every media widget asks here
instead of writing a hex value, and re-asks when the palette changes (``theme.PALETTE_EVENTS``).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ecs_field.gui.theme import PALETTE_EVENTS, Tones, tones_for

__all__ = ["BADGE_WORDS", "PALETTE_EVENTS", "badge_colour", "media_tones", "phase_colour", "state_colour"]

# drive state -> (word, theme state): the word is always shown with the colour
BADGE_WORDS: dict[str, tuple[str, str]] = {
    "ok": ("Ready", "pass"),
    "warn": ("Check", "warn"),
    "override": ("Internal", "not_checked"),
    "blocked": ("Blocked", "fail"),
    "system": ("System", "fail"),
}


def media_tones() -> Tones:
    """Tones for the application palette (a widget's own palette may be tinted by a style sheet)."""
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return tones_for(palette)


def state_colour(state: str) -> str:
    """Text colour for a theme state: pass, warn, fail, not_checked, info, or muted for anything else."""
    return media_tones().state(state)


def badge_colour(drive_state: str) -> str:
    return state_colour(BADGE_WORDS[drive_state][1])


def phase_colour(phase: str) -> QColor:
    """Line colour of a phase in the speed graph: write blue, flush amber, verify green."""
    tones = media_tones()
    return QColor(
        {"write": tones.link, "flush": tones.action, "verify": tones.passed}.get(phase, tones.muted)
    )
