"""Status shown by colour and word together (DESIGN.md 6): one palette for sync and health words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

GREEN = "#1a7f37"
AMBER = "#9a6700"
RED = "#cf222e"
PURPLE = "#8250df"
GREY = "#6e7781"

WORD_COLOURS = {
    # sync words
    "in-sync": GREEN,
    "behind": AMBER,
    "ahead": AMBER,
    "diverged": RED,
    "failed": RED,
    "suspended": PURPLE,
    "unknown": GREY,
    # health words
    "current": GREEN,
    "in-progress": AMBER,
    "missing": RED,
    # lint severities
    "error": RED,
    "warning": AMBER,
    "info": GREY,
}

WORD_TEXT = {"in-sync": "In sync", "in-progress": "In progress"}


def colour_for(word: str) -> str:
    return WORD_COLOURS.get(word, GREY)


def label_for(word: str) -> str:
    return WORD_TEXT.get(word, word.capitalize() if word else "Unknown")


def qcolor_for(word: str) -> QColor:
    return QColor(colour_for(word))


class StatusBadge(QLabel):
    """A rounded coloured pill with the status word in it."""

    def __init__(self, word: str = "unknown", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.word = ""
        self.set_word(word)

    def set_word(self, word: str, text: str | None = None) -> None:
        self.word = word
        self.setText(text or label_for(word))
        self.setAccessibleName(f"Status: {text or label_for(word)}")
        self.setStyleSheet(
            f"QLabel {{ background: {colour_for(word)}; color: white; border-radius: 9px;"
            " padding: 2px 10px; font-weight: 600; }"
        )
