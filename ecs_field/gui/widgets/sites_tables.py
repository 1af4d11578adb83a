"""Read-only table models for the Sites page (workloads, lint findings, events, Kustomizations).

A model over plain rows, not QTableWidget items: a site with thousands of objects fills its
table without creating thousands of widgets on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QResizeEvent, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QHeaderView, QTableView

from ecs_field.gui.theme import Tones, current_tones
from ecs_field.gui.widgets.sites_badge import colour_for, label_for

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """Rows of strings; ``word_column`` holds a status word drawn in its colour, in bold."""

    def __init__(self, headers: list[str], word_column: int | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = headers
        self.word_column = word_column
        self.rows: list[list[str]] = []
        self.tooltips: list[str] = []

    def set_rows(self, rows: list[list[str]], tooltips: list[str] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.tooltips = tooltips or []
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        is_word = index.column() == self.word_column
        if role == Qt.ItemDataRole.DisplayRole:
            return label_for(value) if is_word else value
        if role == Qt.ItemDataRole.ForegroundRole and is_word:
            # the palette in use now: a switch to dark mode repaints with the dark tones
            return QColor(colour_for(value, current_tones()))
        if role == Qt.ItemDataRole.FontRole and is_word:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.row() < len(self.tooltips) and self.tooltips[index.row()]:
                return self.tooltips[index.row()]
            return value
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


WRAP_ROWS_UP_TO = 400  # above this, rows stay one line (measuring every row would stall the GUI)
MIN_LAST_COLUMN = 220  # the reason / message column never gets narrower than this while others shrink


class FittedTable(QTableView):
    """A table that fits its window: leading columns sized to their content up to a cap, the last
    column takes the rest and wraps, so the reason of a failure is never past the right edge."""

    def __init__(self, caps: list[int] | None = None) -> None:
        super().__init__()
        self.caps = caps or []
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_caps(self, caps: list[int]) -> None:
        self.caps = caps
        self.fit()

    def fit(self) -> None:
        model = self.model()
        if model is None or not self.caps:
            return
        available = self.viewport().width()
        metrics = self.fontMetrics()
        bold_extra = 12  # status words are bold, headers have a sort margin
        wanted = []
        for column, cap in enumerate(self.caps):
            width = metrics.horizontalAdvance(str(model.headerData(column, Qt.Orientation.Horizontal))) + 24
            for row in range(min(model.rowCount(), 200)):
                text = str(model.data(model.index(row, column)) or "")
                width = max(width, metrics.horizontalAdvance(text) + bold_extra + 8)
            wanted.append(min(cap, width))
        wanted = shrink_widest(wanted, max(0, available - MIN_LAST_COLUMN))
        for column, width in enumerate(wanted):
            self.setColumnWidth(column, width)
        rows = self.verticalHeader()
        if model.rowCount() <= WRAP_ROWS_UP_TO:
            rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        else:
            rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()


def shrink_widest(widths: list[int], room: int, floor: int = 48) -> list[int]:
    """``widths`` made to fit ``room`` by narrowing the widest columns first (to one common width),
    so a short column ("Warning", "True") keeps its word whole while long names wrap."""
    if sum(widths) <= room or not widths:
        return list(widths)
    low, high = floor, max(widths)
    while low < high:  # the largest common cap that fits
        cap = (low + high + 1) // 2
        if sum(min(w, cap) for w in widths) <= room:
            low = cap
        else:
            high = cap - 1
    return [min(w, low) for w in widths]


class DiffHighlighter(QSyntaxHighlighter):
    """Added lines green, removed red, hunk headers blue: a diff a technician can read at a glance."""

    def __init__(self, document: QTextDocument, tones: Tones | None = None) -> None:
        super().__init__(document)
        self.added = QTextCharFormat()
        self.removed = QTextCharFormat()
        self.hunk = QTextCharFormat()
        self.header = QTextCharFormat()
        self.header.setFontWeight(QFont.Weight.Bold)
        self.tones = tones or current_tones()
        self._set_colours()

    def _set_colours(self) -> None:
        self.added.setForeground(QColor(self.tones.passed))
        self.removed.setForeground(QColor(self.tones.failed))
        self.hunk.setForeground(QColor(self.tones.link))

    def set_tones(self, tones: Tones) -> None:
        """Light <-> dark: recolour the diff shown."""
        if tones != self.tones:
            self.tones = tones
            self._set_colours()
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        if text.startswith(("+++", "---", "diff --git")):
            self.setFormat(0, len(text), self.header)
        elif text.startswith("+"):
            self.setFormat(0, len(text), self.added)
        elif text.startswith("-"):
            self.setFormat(0, len(text), self.removed)
        elif text.startswith("@@"):
            self.setFormat(0, len(text), self.hunk)
