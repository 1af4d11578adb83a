"""The pane under a Sites table: the chosen row in full, wrapped, never cut.

A table row is one line; a workload's failure reason or a lint message can be a paragraph. The
pane shows every field of the chosen row wrapped to the pane's width, so nothing needs a
horizontal scroll bar at 1024 px, and the text can be selected and copied.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget


class RowDetail(QScrollArea):
    """A read-only, word-wrapped, vertically scrolling view of ``(label, value)`` pairs."""

    def __init__(self, placeholder: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = placeholder
        self.setObjectName(name)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setObjectName(f"{name}Text")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setContentsMargins(8, 6, 8, 6)
        self.setWidget(self.label)
        self.setMinimumHeight(self.fontMetrics().height() * 3 + 16)
        self.fields: list[tuple[str, str]] = []
        self.clear()

    def sizeHint(self) -> QSize:
        # room for a reason of a few lines beside the desired and observed state
        return QSize(400, self.fontMetrics().height() * 8 + 16)

    def clear(self) -> None:
        self.fields = []
        self.label.setText(f"<i>{html.escape(self.placeholder)}</i>")

    def show_fields(self, fields: Sequence[tuple[str, str]], *, colour: dict[str, str] | None = None) -> None:
        """Each non-empty value on its own line after its label; ``colour`` tints chosen labels' values."""
        self.fields = [(k, v) for k, v in fields if v]
        colour = colour or {}
        lines = []
        for key, value in self.fields:
            text = html.escape(value).replace("\n", "<br>")
            if key in colour:
                text = f"<span style='color:{colour[key]}; font-weight:600'>{text}</span>"
            lines.append(f"<b>{html.escape(key)}:</b> {text}")
        self.label.setText("<br>".join(lines) if lines else f"<i>{html.escape(self.placeholder)}</i>")

    def text(self) -> str:
        """The shown fields as plain text (what tests and screen readers get)."""
        return "\n".join(f"{k}: {v}" for k, v in self.fields)
