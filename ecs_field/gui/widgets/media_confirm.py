"""The last question before erasing: a warning sign, each device with its model, size and serial,
and how the image goes on the stick in words (never the command line's "uefi-fat32")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ecs_field.gui.widgets.media_style import state_colour
from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.drives import Drive, human_size

# write mode -> what goes on the stick, in a technician's words
MODE_SENTENCES = {
    "uefi-fat32": "one FAT32 partition with the installer's files (UEFI boot)",
    "raw": "a byte-for-byte copy of the image",
}
ANYWAY = "a byte-for-byte copy of the image, which will not start an installer"


def mode_sentence(mode: str) -> str:
    return MODE_SENTENCES.get(mode, ANYWAY if mode == "anyway" else f"the image ({mode})")


def confirmation_text(
    image_name: str, mode: str, size: int, drives: list[Drive], warning: str = "", *, kickstart: str = ""
) -> str:
    """``mode``: "uefi-fat32", "raw", or "anyway" (an image that is not bootable, written byte for byte)."""
    rows = "".join(
        f"<li><b>{esc(d.display_path or d.path)}</b> — {esc(d.label)}, "
        f"{human_size(d.size_bytes)}" + (f", serial {esc(d.serial)}" if d.serial else "") + "</li>"
        for d in drives
    )
    what = "these drives" if len(drives) > 1 else "this drive"
    caution = (
        f"<p style='color:{state_colour('warn')}'><b>⚠ Not bootable:</b> {esc(warning)}</p>"
        if warning
        else ""
    )
    unattended = (
        f"<p>With an <b>unattended install</b> of <b>{esc(kickstart)}</b>: the stick carries /KS.CFG "
        "(root password as a hash only) and boots straight into it; the host's install disk is erased "
        "without a question.</p>"
        if kickstart
        else ""
    )
    return (
        f"<p>Write <b>{esc(image_name)}</b> ({human_size(size)}) as {esc(mode_sentence(mode))} to:</p>"
        f"<ul>{rows}</ul>{caution}{unattended}<p><b>Everything on {what} will be erased.</b></p>"
    )


class ConfirmWriteDialog(QDialog):
    def __init__(
        self,
        image_name: str,
        mode: str,
        size: int,
        drives: list[Drive],
        parent: QWidget | None = None,
        *,
        warning: str = "",
        kickstart: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Erase and write?")
        self.setModal(True)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        # The same sign a system warning box has: this erases drives.
        self.icon = QLabel()
        self.icon.setObjectName("confirmWarningIcon")
        self.icon.setAccessibleName("Warning")
        size_px = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize, None, self)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning, None, self)
        self.icon.setPixmap(icon.pixmap(size_px, size_px))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.icon)
        self.label = QLabel(confirmation_text(image_name, mode, size, drives, warning, kickstart=kickstart))
        self.label.setWordWrap(True)
        self.label.setMinimumWidth(500)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.label, 1)
        layout.addLayout(row)
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
