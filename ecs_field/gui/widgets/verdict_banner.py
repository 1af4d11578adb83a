"""The verdict banner: a coloured box with the verdict word, the summary and what was checked.

Status is shown by colour AND word (DESIGN.md section 6); the text keeps enough contrast to be
read on the tinted background, in a light and in a dark palette.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ecs_field.gui.theme import current_tones

# verdict -> (word, theme state): the box's colours are the theme's for that state
STYLES: dict[str, tuple[str, str]] = {
    "supported": ("✔  Supported", "pass"),
    "actions-required": ("!  Supported after actions", "warn"),
    "unsupported": ("✖  Not supported", "fail"),
    "": ("No verdict yet", "neutral"),
    "busy": ("Checking…", "info"),
    "error": ("Could not check", "fail"),
}
GREETING = (
    "Check this machine, or drop what another box printed (lspci, lsusb, dmidecode, esxcli, "
    "an adapter list or an inventory JSON) here."
)


def platform_line(doc: dict[str, Any]) -> str:
    """Which box this is and how the catalog knows it, in words (no DMI data is said, not hidden)."""
    platform = doc.get("platform") or {}
    names = (platform.get("vendor"), platform.get("product") or platform.get("board"))
    ident = " ".join(str(x) for x in names if x)
    if platform.get("matched"):
        return f"{ident or 'Box'} · {platform.get('family')} (matched by DMI {platform.get('matched_by')})"
    if not ident:
        return "Platform not checked (the input has no DMI data)"
    return f"{ident} · platform not in the catalog"


class VerdictBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictBanner")
        self.word = QLabel()
        self.word.setObjectName("verdictWord")
        font = self.word.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.word.setFont(font)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.box = QLabel()
        self.box.setWordWrap(True)
        self.box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.word, self.summary, self.box):
            # file names and messages from the input: never read as markup
            label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(3)
        layout.addWidget(self.word)
        layout.addWidget(self.summary)
        layout.addWidget(self.box)
        self.state = ""
        self.show_state("", GREETING, "")

    def show_state(self, state: str, summary: str, box: str, word: str | None = None) -> None:
        default_word = STYLES.get(state, STYLES[""])[0]
        self.state = state
        self.word.setText(word or default_word)
        self.summary.setText(summary)
        self.box.setText(box)
        self.box.setVisible(bool(box))
        self.setAccessibleName(f"Verdict: {word or default_word}. {summary}")
        self._apply_style()

    def colours(self) -> tuple[str, str, str]:
        """(text, background, border) for the current state in the current palette."""
        # the application palette, not ours: our style sheet tints this frame's own palette
        box = current_tones().box(STYLES.get(self.state, STYLES[""])[1])
        return box.fg, box.bg, box.border

    def _apply_style(self) -> None:
        colour, background, border = self.colours()
        sheet = (
            f"#verdictBanner {{ background: {background}; border: 1px solid {border}; border-radius: 8px; }}"
            f"#verdictBanner QLabel {{ color: {colour}; background: transparent; }}"
        )
        if sheet != self.styleSheet():  # re-polishing sends a palette change; do not loop on it
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        # A palette switch (system dark mode) re-tints the banner.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_style()
        super().changeEvent(event)

    def show_verdict(self, doc: dict[str, Any], origin: str) -> None:
        self.show_state(
            doc.get("verdict", ""), str(doc.get("summary", "")), f"{platform_line(doc)} · {origin}"
        )
