"""The image side of the Boot media page: a drop zone, the image library and the image's facts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ecs_field.errors import EcsFieldError
from ecs_field.gui.widgets.media_style import media_tones
from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.drives import human_size
from ecs_field.media.image.inspect import RAW_ANYWAY, ImageInfo
from ecs_field.media.library.store import ImageLibrary

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".iso", ".img", ".raw", ".bin")
# short, for the facts form (one line in a 1024-pixel window); the confirmation says it in full
MODE_WORDS = {
    "raw": "Byte-for-byte copy",
    "uefi-fat32": "FAT32 with the installer's files (UEFI)",
}


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


class ImageDropZone(QFrame):
    """A framed area that takes a dropped image file, or opens a file chooser."""

    path_chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageDropZone")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._set_highlight(False)
        # One row (the words, then the buttons): the image facts below need the height at 1024x640.
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel("Drop an ISO here, or")
        self.label.setWordWrap(True)
        self.choose_button = QPushButton("Choose &image file…")
        self.choose_button.clicked.connect(self.choose)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.choose_button)

    def add_button(self, button: QPushButton) -> None:
        """Another way to get an image (the page's Download button), beside Choose."""
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.addWidget(button)

    def _set_highlight(self, on: bool) -> None:
        tones = media_tones()
        border = tones.link if on else tones.border
        self.setStyleSheet(f"#imageDropZone {{ border: 2px dashed {border}; border-radius: 6px; }}")

    def choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose an image", "", "Images (*.iso *.img *.raw *.bin);;All files (*)"
        )
        if name:
            self.path_chosen.emit(Path(name))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            self._set_highlight(True)
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: Any) -> None:
        self._set_highlight(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_highlight(False)
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.path_chosen.emit(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return


class LibraryList(QListWidget):
    """Images in the app's library (ecs_field.media.library.store); choosing one emits its path."""

    path_chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Image library")
        self.itemActivated.connect(self._chosen)
        self.itemClicked.connect(self._chosen)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # names differ at their ends (versions)
        self._fit(1)

    def _fit(self, rows: int) -> None:
        """As tall as its rows, three at most (then it scrolls): room for the image facts."""
        row = max(self.sizeHintForRow(0), self.fontMetrics().height() + 4)
        self.setFixedHeight(min(max(rows, 1), 3) * row + 2 * self.frameWidth() + 2)

    def reload(self) -> str:
        """Fill from the library; returns a problem in words, or ""."""
        self.clear()
        try:
            records = ImageLibrary().list()
        except EcsFieldError as exc:  # a corrupt index is set aside by the library; say so here
            log.warning("library: %s", exc)
            return str(getattr(exc, "message", exc))
        for record in records:
            esxi = record.esxi or {}
            facts = [human_size(record.size_bytes)]
            if esxi.get("version"):
                facts.append(f"ESXi {esxi['version']} build {esxi.get('build', '?')}")
            facts.append("checksum verified" if record.checksum_verified else "no checksum check")
            item = QListWidgetItem(f"{record.name}  ·  {' · '.join(facts)}")
            item.setData(Qt.ItemDataRole.UserRole, record.path)
            item.setToolTip(f"{record.name} · {' · '.join(facts)}\n{record.path}")
            self.addItem(item)
        if not records:
            item = QListWidgetItem("None yet: download one, or drop an ISO above.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
        self._fit(self.count())
        return ""

    def _chosen(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.path_chosen.emit(Path(str(path)))


class ImageFacts(QWidget):
    """What inspect_image found, in a form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(2)
        column.addLayout(form)
        self.fields: dict[str, QLabel] = {}
        for key, title in (
            ("file", "File"),
            ("size", "Size"),
            ("format", "Format"),
            ("volume", "Volume"),
            ("esxi", "ESXi"),
            ("boot", "Boots"),
            ("mode", "Written as"),
            ("notes", ""),
        ):
            label = QLabel("–" if key != "notes" else "")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            if key == "notes":
                # Sentences go below the form: word-wrapped labels inside a form row get clipped.
                label.setWordWrap(True)
                label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                column.addWidget(label)
            else:
                # Word-wrapped siblings make Qt under-estimate heights; one line each is the floor.
                label.setMinimumHeight(label.fontMetrics().height() + 2)
                form.addRow(f"{title}:", label)
        column.addStretch(1)  # spare height goes below the notes, not between the rows
        self._error = ""

    def show_info(self, info: ImageInfo, write_size: int) -> None:
        yes_no = {True: "yes", False: "no"}
        f = self.fields
        f["file"].setText(Path(info.path).name)
        f["file"].setToolTip(info.path)
        size = human_size(info.size_bytes)
        if write_size and write_size != info.size_bytes:
            size += f" (stick image {human_size(write_size)})"
        f["size"].setText(size)
        names = {"iso9660": "ISO 9660", "disk-image": "Disk image", "unknown": "Unknown"}
        fmt = names.get(info.format, info.format)
        if info.format == "iso9660":
            fmt += ", hybrid" if info.hybrid else ", no hybrid MBR"
        f["format"].setText(fmt)
        f["volume"].setText(info.volume_id or "–")
        f["esxi"].setText(
            f"{info.esxi['version']} build {info.esxi['build']}" if info.esxi else "not an ESXi installer"
        )
        f["boot"].setText(f"BIOS {yes_no[info.bios]} · UEFI {yes_no[info.uefi]}")
        f["mode"].setText(
            MODE_WORDS.get(info.write_mode, info.write_mode)
            if info.write_mode
            else "Not written as a bootable stick (see the warning)"
        )
        # The command-line note (--mode raw) has the page's own words: the warning's check box.
        f["notes"].setText("<br>".join(esc(n) for n in info.notes if n != RAW_ANYWAY))
        self._error = ""
        self.restyle()

    def show_error(self, path: Path, message: str) -> None:
        for label in self.fields.values():
            label.setText("–")
        self.fields["file"].setText(path.name)
        self._error = message
        self.restyle()

    def restyle(self) -> None:
        """Colours for the palette in use (called again when it changes)."""
        tones = media_tones()
        self.fields["notes"].setStyleSheet(f"color: {tones.muted};")
        if self._error:
            self.fields["notes"].setText(f"<span style='color:{tones.failed}'>✖ {esc(self._error)}</span>")


class NotBootableWarning(QFrame):
    """A prominent warning for an image the writer does not recognise as bootable, with the one
    explicit way past it: "Write anyway" (byte for byte). Hidden for a bootable image."""

    write_anyway_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notBootableWarning")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 6, 8, 6)
        self.title = QLabel("<b>⚠ This image will not make a bootable stick</b>")
        self.title.setAccessibleName("Warning: not a bootable image")
        column.addWidget(self.title)
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.reason)
        self.write_anyway = QCheckBox("Write &anyway, byte for byte")
        self.write_anyway.setToolTip(
            "The stick will not start an installer. Only for an image you need on "
            "a stick as it is, e.g. a data or driver bundle."
        )
        self.restyle()
        self.write_anyway.toggled.connect(self.write_anyway_changed)
        column.addWidget(self.write_anyway)
        self.setVisible(False)

    def restyle(self) -> None:
        """Colour and words together: the palette's warning box (amber), a sign and a bold title."""
        box = media_tones().warn_box
        self.setStyleSheet(
            f"#notBootableWarning {{ background: {box.bg}; border: 2px solid {box.border}; "
            f"border-radius: 4px; }} #notBootableWarning QLabel {{ color: {box.fg}; "
            "background: transparent; }"
        )
        # The check box's words in the panel's colour; a style sheet on it would hide the box itself.
        palette = self.write_anyway.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(box.fg))
        self.write_anyway.setPalette(palette)

    def show_for(self, info: ImageInfo | None) -> None:
        """Show the warning (unticked) for an image auto mode refuses; hide it otherwise."""
        self.write_anyway.blockSignals(True)
        self.write_anyway.setChecked(False)
        self.write_anyway.blockSignals(False)
        refused = info is not None and info.write_mode is None
        self.reason.setText(esc(self._words(info.refusal)) if info is not None and refused else "")
        self.setVisible(refused)

    @staticmethod
    def _words(refusal: str) -> str:
        sentence = refusal.strip()  # starts with the file name: keep its case
        return sentence + ("." if sentence and not sentence.endswith(".") else "")

    @property
    def confirmed(self) -> bool:
        """The person ticked "Write anyway" for the image now shown."""
        return not self.isHidden() and self.write_anyway.isChecked()
