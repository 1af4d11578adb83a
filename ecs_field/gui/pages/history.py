"""History: every stick written, newest first, with what was verified (ecs_field.media.history)."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecs_field.gui.pages.base import Page
from ecs_field.gui.theme import PALETTE_EVENTS, Tones, current_tones
from ecs_field.gui.widgets.media_speed import format_rate
from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.drives.model import human_size
from ecs_field.media.history import load_history

log = logging.getLogger(__name__)

# result -> (word, state): colour and word together (DESIGN.md 6); the state's colour comes from
# the theme, for the palette in use
RESULTS = {
    "verified": ("Verified", "pass"),
    "not-verified": ("Not verified", "warn"),
    "failed": ("Failed", "fail"),
    "cancelled": ("Cancelled", "not_checked"),
    "refused": ("Refused", "fail"),
}


def result_word(result: str, tones: Tones) -> tuple[str, str]:
    """(word, text colour) of a write's result."""
    word, state = RESULTS.get(result, (result, "not_checked"))
    return word, tones.state(state)
IMAGE_WIDTH = 240  # px: "VMware-VMvisor-Ins…x86_64.iso" still names the build
COLUMNS = ("Started (UTC)", "Image", "Mode", "Device", "Stick", "Serial", "Size", "Result", "Write", "Verify")


class HistoryPage(Page):
    key = "history"
    title = "History"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[Any] = []  # ecs_field.media.history.WriteRecord, newest first
        layout = QVBoxLayout(self)
        heading = QLabel("<h2 style='margin:0'>History</h2>Every stick written on this computer: which "
                         "image, which stick (model and serial) and whether it was read back and verified.")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        bar = QHBoxLayout()
        self.status = QLabel("")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.reload)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.refresh_button)
        layout.addLayout(bar)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # ISO names differ at the end
        self.table.setAccessibleName("Past writes")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The image name is what a technician looks for: it keeps up to IMAGE_WIDTH pixels and the
        # last column takes the slack, rather than the fitted columns squeezing it to "VM…so".
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Result right after the date: on a narrow window the speeds scroll off, never the outcome.
        header.moveSection(COLUMNS.index("Result"), 1)
        self.table.currentCellChanged.connect(lambda *_: self._show_details())
        layout.addWidget(self.table, 1)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setMinimumHeight(90)
        layout.addWidget(self.details)
        self._tones = current_tones()

    def changeEvent(self, event: QEvent) -> None:
        # light <-> dark: results, the error line and the details are drawn again in the new tones
        if (
            event.type() in PALETTE_EVENTS
            and hasattr(self, "_tones")
            and current_tones() != self._tones
        ):
            row = self.table.currentRow()
            self.reload()
            if 0 < row < self.table.rowCount():  # keep the write the technician was reading
                self.table.selectRow(row)
        super().changeEvent(event)

    def activated(self) -> None:
        self.reload()

    def self_test(self) -> None:
        load_history()
        self.reload()

    def reload(self) -> None:
        """Read the records (small file, read on the GUI thread); errors are shown in place."""
        self._tones = tones = current_tones()
        try:
            records = list(reversed(load_history()))
        except Exception as exc:  # CorruptFile: set aside by the history module; say so here
            log.warning("history: %s", exc)
            self.records = []
            self.table.setRowCount(0)
            message = esc(getattr(exc, "message", str(exc)))
            self.status.setText(f"<span style='color:{tones.failed}'>✖ {message}</span>")
            return
        self.records = records
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            word, colour = result_word(record.result, tones)
            stick = " ".join(p for p in (record.device_vendor, record.device_model) if p) or "–"
            cells = [
                record.started_at.replace("T", " ").rstrip("Z"), record.image_name, record.mode or "–",
                record.device_path, stick, record.device_serial or "–", human_size(record.device_size_bytes),
                f"● {word}", format_rate(record.rate_bps("write")), format_rate(record.rate_bps("verify")),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip((record.image_path or text) if column == 1 else text)
                if column == 7:
                    item.setForeground(QBrush(QColor(colour)))
                self.table.setItem(row, column, item)
        self._fit_image_column()
        count = len(records)
        verified = sum(1 for r in records if r.result == "verified")
        self.status.setText(f"{count} write{'s' if count != 1 else ''}, {verified} verified" if count
                            else "No writes yet. Sticks written on the Boot media page appear here.")
        if records:
            self.table.selectRow(0)
        self._show_details()

    def _fit_image_column(self) -> None:
        self.table.resizeColumnToContents(1)
        width = self.table.columnWidth(1)
        self.table.setColumnWidth(1, max(120, min(width, IMAGE_WIDTH)))

    def _show_details(self) -> None:
        row = self.table.currentRow()
        if not (0 <= row < len(self.records)):
            self.details.setText("")
            return
        r = self.records[row]
        tones = current_tones()
        word, colour = result_word(r.result, tones)
        lines = [f"<b>{esc(r.image_name)}</b> → <b>{esc(r.device_path)}</b> "
                 f"<span style='color:{colour}'>● {word}</span>"]
        if r.verified:
            lines.append(f"All {r.bytes_written:,} bytes were read back and matched what was written "
                         f"(SHA-256 {esc(r.written_sha256 or '')}).".replace(",", " "))
        elif r.result == "not-verified":
            lines.append("Written without read-back verification (verification was switched off).")
        if r.image_sha256:
            lines.append(f"Image SHA-256: {esc(r.image_sha256)}")
        phases = ", ".join(f"{p.get('phase')} {float(p.get('seconds', 0)):.1f} s"
                           for p in r.phases if p.get("seconds"))
        if phases:
            lines.append(f"Time: {phases}")
        if r.error:
            lines.append(f"<span style='color:{tones.failed}'>{esc(r.error)}</span>".replace("\n", "<br>"))
        self.details.setText("<br>".join(lines))
