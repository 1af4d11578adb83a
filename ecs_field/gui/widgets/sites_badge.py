"""Status shown by colour and word together (DESIGN.md 6): one mapping for sync and health words.

A word maps to a state (pass, warn, fail, special, neutral); the colour of that state comes from
ecs_field.gui.theme for the palette in use, so the words stay readable on a dark window too.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

from ecs_field.gui.theme import PALETTE_EVENTS, Tones, current_tones

WORD_STATES = {
    # sync words
    "in-sync": "pass",
    "behind": "warn",
    "ahead": "warn",
    "diverged": "fail",
    "failed": "fail",
    "suspended": "special",
    "unknown": "neutral",
    # health words
    "current": "pass",
    "in-progress": "warn",
    "missing": "fail",
    # site health words (the fleet view)
    "healthy": "pass",
    "degraded": "fail",
    "progressing": "warn",
    # lint severities
    "error": "fail",
    "warning": "warn",
    "info": "neutral",
}

WORD_TEXT = {"in-sync": "In sync", "in-progress": "In progress"}


def state_for(word: str) -> str:
    return WORD_STATES.get(word, "neutral")


def colour_for(word: str, tones: Tones | None = None) -> str:
    """The text colour of a status word on the window or a list (``tones``: the palette's)."""
    tones = tones or current_tones()
    state = state_for(word)
    return tones.not_checked if state == "neutral" else tones.state(state)


def label_for(word: str) -> str:
    return WORD_TEXT.get(word, word.capitalize() if word else "Unknown")


def qcolor_for(word: str, tones: Tones | None = None) -> QColor:
    return QColor(colour_for(word, tones))


class StatusBadge(QLabel):
    """A rounded pill with the status word in it: full colour on light, a framed tint on dark."""

    def __init__(self, word: str = "unknown", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.word = ""
        self.set_word(word)

    def set_word(self, word: str, text: str | None = None) -> None:
        self.word = word
        self.setText(text or label_for(word))
        self.setAccessibleName(f"Status: {text or label_for(word)}")
        self._apply_style()

    def colours(self) -> tuple[str, str]:
        """(text, background) of the pill in the current palette."""
        badge = current_tones().badge(state_for(self.word))
        return badge.fg, badge.bg

    def _apply_style(self) -> None:
        badge = current_tones().badge(state_for(self.word))
        sheet = (
            f"QLabel {{ background: {badge.bg}; color: {badge.fg}; border: 1px solid {badge.border};"
            " border-radius: 9px; padding: 2px 10px; font-weight: 600; }"
        )
        if sheet != self.styleSheet():  # re-polishing sends a palette change: do not loop on it
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in PALETTE_EVENTS:
            self._apply_style()
        super().changeEvent(event)
