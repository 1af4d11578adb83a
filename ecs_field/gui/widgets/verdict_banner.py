"""The verdict banner: a coloured box with the verdict word, the summary and what was checked.

Status is shown by colour AND word (DESIGN.md section 6); the text keeps enough contrast to be
read on the tinted background.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

# verdict -> (word, text colour, background, border)
STYLES: dict[str, tuple[str, str, str, str]] = {
    "supported": ("✔  Supported", "#116329", "#dafbe1", "#4ac26b"),
    "actions-required": ("!  Supported after actions", "#7d4e00", "#fff8c5", "#d4a72c"),
    "unsupported": ("✖  Not supported", "#a40e26", "#ffebe9", "#ff8182"),
    "": ("No verdict yet", "#424a53", "#f6f8fa", "#d0d7de"),
    "busy": ("Checking…", "#0550ae", "#ddf4ff", "#54aeff"),
    "error": ("Could not check", "#a40e26", "#ffebe9", "#ff8182"),
}


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(4)
        layout.addWidget(self.word)
        layout.addWidget(self.summary)
        layout.addWidget(self.box)
        self.state = ""
        self.show_state("", "Check this machine, or drop a report (lspci, lsusb, dmidecode, esxcli or an "
                        "inventory JSON) here.", "")

    def show_state(self, state: str, summary: str, box: str, word: str | None = None) -> None:
        default_word, colour, background, border = STYLES.get(state, STYLES[""])
        self.state = state
        self.word.setText(word or default_word)
        self.summary.setText(summary)
        self.box.setText(box)
        self.box.setVisible(bool(box))
        self.setAccessibleName(f"Verdict: {word or default_word}. {summary}")
        self.setStyleSheet(
            f"#verdictBanner {{ background: {background}; border: 1px solid {border}; border-radius: 8px; }}"
            f"#verdictBanner QLabel {{ color: {colour}; background: transparent; }}"
        )

    def show_verdict(self, doc: dict[str, Any], origin: str) -> None:
        platform = doc.get("platform") or {}
        names = (platform.get("vendor"), platform.get("product") or platform.get("board"))
        ident = " ".join(x for x in names if x)
        if platform.get("matched"):
            match = f"{platform.get('family')} (matched by DMI {platform.get('matched_by')})"
        else:
            match = "platform not in the catalog"
        box = f"{ident or 'Unidentified box'} · {match} · {origin}"
        self.show_state(doc.get("verdict", ""), str(doc.get("summary", "")), box)
