"""The drive list of the Boot media page: one checkable row per drive, a coloured badge, the reasons."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.drives import Drive, human_size
from ecs_field.media.drives.safety import SafetyDecision

# state -> (word, colour): status is colour AND word (DESIGN.md 6)
BADGES = {
    "ok": ("Ready", "#1a7f37"),
    "warn": ("Check", "#9a6700"),
    "override": ("Internal", "#6e7781"),
    "blocked": ("Blocked", "#cf222e"),
    "system": ("System", "#cf222e"),
}


def drive_state(drive: Drive, decision: SafetyDecision) -> str:
    if drive.system:
        return "system"
    if decision.allowed:
        return "warn" if decision.warnings else "ok"
    if set(decision.codes) <= {"internal", "not-confirmed"}:
        return "override"
    return "blocked"


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
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.drives: list[Drive] = []
        self.decisions: dict[str, SafetyDecision] = {}
        self._updating = False
        self.itemChanged.connect(self._item_changed)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if not self._updating and column == 0:
            self.user_toggled.emit()
            self.selection_changed.emit()

    def set_drives(self, drives: list[Drive], decisions: dict[str, SafetyDecision]) -> None:
        checked = set(self.checked_paths())
        self._updating = True
        try:
            self.clear()
            self.drives = drives
            self.decisions = decisions
            for drive in drives:
                decision = decisions[drive.path]
                state = drive_state(drive, decision)
                word, colour = BADGES[state]
                title = drive.label
                if drive.serial:
                    title += f"  ·  serial {drive.serial}"
                item = QTreeWidgetItem([drive.display_path or drive.path, title, human_size(drive.size_bytes),
                                        f"● {word}"])
                item.setData(0, Qt.ItemDataRole.UserRole, drive.path)
                item.setForeground(3, QBrush(QColor(colour)))
                choosable = state in ("ok", "warn", "override")
                flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                if choosable:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                    item.setCheckState(0, Qt.CheckState.Checked if drive.path in checked
                                       else Qt.CheckState.Unchecked)
                item.setFlags(flags)
                details = [*decision.refusals, *decision.warnings]
                tooltip = "\n".join(details) or "Ready to write."
                for column in range(self.columnCount()):
                    item.setToolTip(column, tooltip)
                self.addTopLevelItem(item)
                for line in details:
                    refusal = line in decision.refusals
                    child = QTreeWidgetItem([("✖ " if refusal else "! ") + line])
                    child.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    child.setForeground(0, QBrush(QColor(BADGES["blocked" if refusal else "warn"][1])))
                    child.setToolTip(0, line)
                    item.addChild(child)
                    child.setFirstColumnSpanned(True)  # reasons are sentences: give them the full width
                item.setExpanded(True)
        finally:
            self._updating = False
        self.selection_changed.emit()

    def current_path(self) -> str | None:
        item = self.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None

    def details_html(self, path: str | None) -> str:
        """Everything about one drive, reasons in full (the rows only have room for a line)."""
        drive = next((d for d in self.drives if d.path == path), None)
        if drive is None:
            return ""
        decision = self.decisions[drive.path]
        word, colour = BADGES[drive_state(drive, decision)]
        facts = [human_size(drive.size_bytes), drive.kind]
        if drive.bus and drive.bus != drive.kind:
            facts.append(drive.bus)
        if drive.serial:
            facts.append(f"serial {esc(drive.serial)}")
        if drive.all_mountpoints():
            facts.append("mounted at " + esc(", ".join(drive.all_mountpoints())))
        lines = [f"<b>{esc(drive.display_path or drive.path)}</b> — {esc(drive.label)} "
                 f"<span style='color:{colour}'>● {word}</span><br>{' · '.join(facts)}"]
        lines += [f"<br><span style='color:{BADGES['blocked'][1]}'>✖ {esc(r)}</span>"
                  for r in decision.refusals]
        lines += [f"<br><span style='color:{BADGES['warn'][1]}'>! {esc(w)}</span>"
                  for w in decision.warnings]
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

    def checked_paths(self) -> list[str]:
        paths = []
        for item in self.top_items():
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable and item.checkState(0) == Qt.CheckState.Checked:
                paths.append(str(item.data(0, Qt.ItemDataRole.UserRole)))
        return paths

    def checked_drives(self) -> list[Drive]:
        wanted = set(self.checked_paths())
        return [d for d in self.drives if d.path in wanted]
