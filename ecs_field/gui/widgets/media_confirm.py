"""The last question before erasing: names each device, its model, size and serial."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.drives import Drive, human_size


def confirmation_text(image_name: str, mode: str, size: int, drives: list[Drive], warning: str = "") -> str:
    rows = "".join(
        f"<li><b>{esc(d.display_path or d.path)}</b> — {esc(d.label)}, "
        f"{human_size(d.size_bytes)}" + (f", serial {esc(d.serial)}" if d.serial else "") + "</li>"
        for d in drives
    )
    what = "these drives" if len(drives) > 1 else "this drive"
    caution = (f"<p style='color:#9a6700'><b>⚠ Not bootable:</b> {esc(warning)}</p>" if warning else "")
    return (f"<p>Write <b>{esc(image_name)}</b> ({esc(mode)}, {human_size(size)}) to:</p>"
            f"<ul>{rows}</ul>{caution}<p><b>Everything on {what} will be erased.</b></p>")


class ConfirmWriteDialog(QDialog):
    def __init__(self, image_name: str, mode: str, size: int, drives: list[Drive],
                 parent: QWidget | None = None, *, warning: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Erase and write?")
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.label = QLabel(confirmation_text(image_name, mode, size, drives, warning))
        self.label.setWordWrap(True)
        self.label.setMinimumWidth(420)
        layout.addWidget(self.label)
        self.buttons = QDialogButtonBox()
        self.write_button = self.buttons.addButton("Erase and write", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # Cancel is the default: Enter must never erase a drive by accident.
        # setDefault alone is not enough: a focused auto-default button takes Enter, and the erase
        # button came first in the focus chain. It never takes Enter; Cancel starts with the focus.
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        self.write_button.setAutoDefault(False)
        cancel.setFocus()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def text(self) -> str:
        return self.label.text()
