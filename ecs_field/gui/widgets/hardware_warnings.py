"""Input warnings on the Hardware page: what was tolerated while reading the dumps.

One line when folded ("Input warnings (3)" plus the one that matters most); unfolded, a short
list of file:line, kind and message. A dump that looks cut short is named on the folded line
too, because it means the NIC facts (and so the verdict) may be incomplete.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextBrowser, QToolButton, QVBoxLayout, QWidget

from ecs_field.gui.widgets.hardware_style import LIGHT, Tones

KIND_WORDS: dict[str, str] = {
    "truncated": "cut short",
    "split": "several outputs",
    "encoding": "encoding",
    "duplicate": "repeated",
    "noise": "skipped",
}
KIND_ORDER = ("truncated", "split", "encoding", "duplicate", "noise")
MAX_LISTED = 200  # a dump full of prompts must not make a list nobody reads


def where(warning: Mapping[str, Any]) -> str:
    line = warning.get("line")
    name = str(warning.get("file") or "input")
    return f"{name}:{line}" if isinstance(line, int) and not isinstance(line, bool) else name


def _kind(warning: Mapping[str, Any]) -> str:
    kind = str(warning.get("kind") or "noise")
    return kind if kind in KIND_WORDS else "noise"


def summary_text(warnings: Sequence[Mapping[str, Any]]) -> str:
    """The folded line: a cut-short dump first (it changes what the verdict can know), else the tally."""
    cut = [w for w in warnings if _kind(w) == "truncated"]
    if cut:
        names = ", ".join(dict.fromkeys(where(w) for w in cut))
        return (
            f"⚠ Cut short: {names}. Network adapters listed after that point are missing; "
            "get the full output."
        )
    tally: dict[str, int] = {}
    for w in warnings:
        tally[_kind(w)] = tally.get(_kind(w), 0) + 1
    parts = [f"{tally[k]} {KIND_WORDS[k]}" for k in KIND_ORDER if k in tally]
    return "Read anyway: " + ", ".join(parts) + "."


class InputWarningsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputWarnings")
        self.warnings: list[Mapping[str, Any]] = []
        self._tones = LIGHT
        self.toggle = QToolButton()
        self.toggle.setObjectName("inputWarningsToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.toggle.setToolTip("Show or hide what was skipped or tolerated while reading the files")
        self.toggle.toggled.connect(self._set_open)
        self.summary = QLabel()
        self.summary.setObjectName("inputWarningsSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QTextBrowser()
        self.details.setObjectName("inputWarningsList")
        self.details.setAccessibleName("Input warnings")
        self.details.hide()
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.toggle)
        head.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.details)
        self.hide()

    def set_warnings(self, warnings: Sequence[Mapping[str, Any]] | None) -> None:
        self.warnings = [w for w in warnings or [] if isinstance(w, Mapping)]
        self.setVisible(bool(self.warnings))
        if not self.warnings:
            self.toggle.setChecked(False)
        self._render()

    def set_tones(self, tones: Tones) -> None:
        self._tones = tones
        self._render()

    @property
    def is_open(self) -> bool:
        return self.toggle.isChecked()

    def _set_open(self, open_: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.details.setVisible(open_)

    def _render(self) -> None:
        tones = self._tones
        count = len(self.warnings)
        self.toggle.setText(f"Input &warnings ({count})")
        cut = any(_kind(w) == "truncated" for w in self.warnings)
        colour = tones.action if cut else tones.muted
        weight = "bold" if cut else "normal"
        text = html.escape(summary_text(self.warnings)) if self.warnings else ""
        span = f"<span style='color:{colour};font-weight:{weight}'>{text}</span>"
        self.summary.setText(span if text else "")
        rows = []
        ordered = sorted(self.warnings, key=lambda w: KIND_ORDER.index(_kind(w)))
        for w in ordered[:MAX_LISTED]:
            kind = _kind(w)
            tint = tones.action if kind == "truncated" else tones.muted
            rows.append(
                "<tr>"
                f"<td style='padding:1px 10px 1px 0;white-space:nowrap;color:{tint};font-weight:bold'>"
                f"{html.escape(KIND_WORDS[kind])}</td>"
                f"<td style='padding:1px 10px 1px 0;white-space:nowrap'>{html.escape(where(w))}</td>"
                f"<td style='padding:1px 0'>{html.escape(str(w.get('message') or ''))}</td>"
                "</tr>"
            )
        more = len(ordered) - MAX_LISTED
        extra = f"<p style='color:{tones.muted}'>… and {more} more.</p>" if more > 0 else ""
        self.details.setHtml(f"<table cellspacing='0'>{''.join(rows)}</table>{extra}")
        self._fit_height()

    def _fit_height(self) -> None:
        # as tall as the list (wrapped rows included), up to about six lines: a short list must
        # not eat the checks' room, a long one scrolls
        document = self.details.document()
        document.setTextWidth(max(self.details.viewport().width(), 200))
        cap = self.fontMetrics().lineSpacing() * 6
        frame = 2 * self.details.frameWidth() + 4
        self.details.setFixedHeight(int(min(document.size().height(), cap)) + frame)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.warnings:
            self._fit_height()
