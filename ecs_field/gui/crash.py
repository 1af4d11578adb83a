"""An unexpected exception becomes a dialog with the details, never a vanished window."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from ecs_field import paths

log = logging.getLogger(__name__)


def open_log_folder() -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))


def _hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    details = "".join(traceback.format_exception(kind, value, tb))
    log.error("unhandled exception:\n%s", details)
    if QApplication.instance() is None:
        sys.__excepthook__(kind, value, tb)
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "ECS Field Kit: unexpected error",
                      f"Something went wrong: {kind.__name__}: {value}\n\n"
                      "The app keeps running; your files were not changed by this error.")
    box.setDetailedText(details)
    open_button = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is open_button:
        open_log_folder()


def install_crash_handler() -> None:
    sys.excepthook = _hook
