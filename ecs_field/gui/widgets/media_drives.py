"""The drive list of the Boot media page: one checkable row per drive, a coloured badge, the reasons.

Reasons are sentences in the page's own words (media_reasons), wrapped over the list's whole
width and never cut off; the details under the list repeat them in full for the selected drive.
While a write runs the list is locked: ticks show what is being written and cannot change.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from ecs_field.gui.widgets.media_reasons import page_words, reason_words
from ecs_field.gui.widgets.media_style import BADGE_WORDS, badge_colour, state_colour
from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.drives import Drive, human_size
from ecs_field.media.drives.safety import SafetyDecision

_WRAP = Qt.TextFlag.TextWordWrap
_REASON_PAD = 4


def drive_state(drive: Drive, decision: SafetyDecision) -> str:
    if drive.system:
        return "system"
    if decision.allowed:
        return "warn" if decision.warnings else "ok"
    if set(decision.codes) <= {"internal", "not-confirmed"}:
        return "override"
    return "blocked"


def reasons_in_words(drive: Drive, decision: SafetyDecision) -> tuple[list[str], list[str]]:
    """(refusals, warnings) in the page's words."""
    refusals = [
        reason_words(drive, code, reason)
        for code, reason in zip(decision.codes, decision.refusals, strict=False)
    ]
    refusals += [page_words(r) for r in decision.refusals[len(decision.codes) :]]
    return refusals, [page_words(w) for w in decision.warnings]


class ReasonDelegate(QStyledItemDelegate):
    """Reason rows (children spanning the row) wrap over the viewport's width: nothing is cut off."""

    def __init__(self, view: QTreeWidget) -> None:
        super().__init__(view)
        self.view = view

    def _text_rect_width(self, index: QModelIndex | QPersistentModelIndex) -> int:
        depth = 0
        parent = index.parent()
        while parent.isValid():
            depth += 1
            parent = parent.parent()
        return max(80, self.view.viewport().width() - depth * self.view.indentation() - 2 * _REASON_PAD)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        if not index.parent().isValid():
            return super().sizeHint(option, index)
        width = self._text_rect_width(index)
        text = str(index.data() or "")
        bound = QFontMetrics(option.font).boundingRect(QRect(0, 0, width, 100_000), _WRAP, text)
        # Width 1: a reason spans the row, it must not widen the Device column (ResizeToContents).
        return QSize(1, bound.height() + 2 * _REASON_PAD)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if not index.parent().isValid():
            super().paint(painter, option, index)
            return
        rect: QRect = option.rect
        palette = option.palette
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.highlight())
            painter.setPen(palette.highlightedText().color())
        else:
            brush = index.data(Qt.ItemDataRole.ForegroundRole)
            painter.setPen(brush.color() if isinstance(brush, QBrush) else palette.text().color())
        painter.setFont(option.font)
        inner = rect.adjusted(_REASON_PAD, _REASON_PAD, -_REASON_PAD, -_REASON_PAD)
        # the width sizeHint wrapped for (the columns may be a little wider than the viewport)
        inner.setWidth(min(inner.width(), self._text_rect_width(index)))
        painter.drawText(
            inner,
            int(_WRAP | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            str(index.data() or ""),
        )
        painter.restore()


class DriveList(QTreeWidget):
    """Rows are checkable when the drive may be chosen; ``selection_changed`` fires on any change."""

    selection_changed = Signal()
    user_toggled = Signal()  # a person ticked or unticked a drive (not a refresh)
    COLUMNS = ("Device", "Drive", "Size", "State")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(self.COLUMNS))
        self.setHeaderLabels(list(self.COLUMNS))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Drives")
        self.setItemDelegate(ReasonDelegate(self))
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.drives: list[Drive] = []
        self.decisions: dict[str, SafetyDecision] = {}
        self.locked = False
        self._updating = False
        self.itemChanged.connect(self._item_changed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.doItemsLayout()  # wrapped reasons take another height at another width

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if not self._updating and column == 0:
            self.user_toggled.emit()
            self.selection_changed.emit()

    def set_locked(self, locked: bool) -> None:
        """While writing: the ticks stay as they are (shown, not changeable)."""
        self.locked = locked
        self._updating = True
        try:
            for item in self.top_items():
                if item.data(0, Qt.ItemDataRole.UserRole + 1):  # choosable
                    flags = item.flags()
                    if locked:
                        flags &= ~Qt.ItemFlag.ItemIsUserCheckable
                    else:
                        flags |= Qt.ItemFlag.ItemIsUserCheckable
                    item.setFlags(flags)
        finally:
            self._updating = False

    def set_drives(self, drives: list[Drive], decisions: dict[str, SafetyDecision]) -> None:
        checked = set(self.checked_paths())
        self._updating = True
        try:
            self.clear()
            self.drives = drives
            self.decisions = decisions
            for drive in drives:
                self.addTopLevelItem(self._row(drive, decisions[drive.path], drive.path in checked))
            for item in self.top_items():
                item.setExpanded(True)
                for index in range(item.childCount()):
                    # only an item already in the tree can span: reasons are sentences, give them the row
                    child = item.child(index)
                    if child is not None:
                        child.setFirstColumnSpanned(True)
        finally:
            self._updating = False
        self.selection_changed.emit()

    def _row(self, drive: Drive, decision: SafetyDecision, checked: bool) -> QTreeWidgetItem:
        state = drive_state(drive, decision)
        word = BADGE_WORDS[state][0]
        # the serial is in the details and the confirmation: in the row it only pushed the model out
        item = QTreeWidgetItem(
            [drive.display_path or drive.path, drive.label, human_size(drive.size_bytes), f"● {word}"]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, drive.path)
        item.setForeground(3, QBrush(QColor(badge_colour(state))))
        choosable = state in ("ok", "warn", "override")
        item.setData(0, Qt.ItemDataRole.UserRole + 1, choosable)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if choosable:
            if not self.locked:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setFlags(flags)
        refusals, warnings = reasons_in_words(drive, decision)
        tooltip = "\n".join([*refusals, *warnings]) or "Ready to write."
        for column in range(self.columnCount()):
            item.setToolTip(column, tooltip)
        for line, refusal in [*((r, True) for r in refusals), *((w, False) for w in warnings)]:
            child = QTreeWidgetItem([("✖ " if refusal else "! ") + line])
            child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            child.setForeground(0, QBrush(QColor(state_colour("fail" if refusal else "warn"))))
            child.setToolTip(0, line)
            item.addChild(child)
        return item

    def current_path(self) -> str | None:
        item = self.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None

    def details_html(self, path: str | None) -> str:
        """Everything about one drive, every reason in full."""
        drive = next((d for d in self.drives if d.path == path), None)
        if drive is None:
            return ""
        decision = self.decisions[drive.path]
        state = drive_state(drive, decision)
        facts = [human_size(drive.size_bytes), drive.kind]
        if drive.bus and drive.bus != drive.kind:
            facts.append(drive.bus)
        if drive.serial:
            facts.append(f"serial {esc(drive.serial)}")
        if drive.all_mountpoints():
            facts.append("mounted at " + esc(", ".join(drive.all_mountpoints())))
        lines = [
            f"<b>{esc(drive.display_path or drive.path)}</b> — {esc(drive.label)} "
            f"<span style='color:{badge_colour(state)}'>● {BADGE_WORDS[state][0]}</span>"
            f"<br>{' · '.join(facts)}"
        ]
        refusals, warnings = reasons_in_words(drive, decision)
        lines += [f"<br><span style='color:{state_colour('fail')}'>✖ {esc(r)}</span>" for r in refusals]
        lines += [f"<br><span style='color:{state_colour('warn')}'>! {esc(w)}</span>" for w in warnings]
        return "".join(lines)

    def top_items(self) -> list[QTreeWidgetItem]:
        items = (self.topLevelItem(index) for index in range(self.topLevelItemCount()))
        return [item for item in items if item is not None]

    def item_for(self, path: str) -> QTreeWidgetItem | None:
        return next((i for i in self.top_items() if i.data(0, Qt.ItemDataRole.UserRole) == path), None)

    def set_checked(self, path: str, checked: bool = True) -> None:
        item = self.item_for(path)
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            raise KeyError(f"{path} cannot be chosen")
        item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def uncheck(self, paths: set[str]) -> None:
        """Untick drives (a stick that was just written) without counting it as the user's change."""
        self._updating = True
        try:
            for item in self.top_items():
                if item.data(0, Qt.ItemDataRole.UserRole) in paths and item.data(
                    0, Qt.ItemDataRole.UserRole + 1
                ):
                    item.setCheckState(0, Qt.CheckState.Unchecked)
        finally:
            self._updating = False
        self.selection_changed.emit()

    def checked_paths(self) -> list[str]:
        paths = []
        for item in self.top_items():
            if item.data(0, Qt.ItemDataRole.UserRole + 1) and item.checkState(0) == Qt.CheckState.Checked:
                paths.append(str(item.data(0, Qt.ItemDataRole.UserRole)))
        return paths

    def checked_drives(self) -> list[Drive]:
        wanted = set(self.checked_paths())
        return [d for d in self.drives if d.path in wanted]
