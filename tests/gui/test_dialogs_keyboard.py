"""The Add site and Download dialogs: every &-letter puts the cursor in its field, none clash,
Escape cancels. The erase confirmation keeps Cancel as the default so Enter never erases."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QDialog, QLabel, QLineEdit

from ecs_field.gui.widgets.media_confirm import ConfirmWriteDialog
from ecs_field.gui.widgets.media_download import DownloadDialog
from ecs_field.gui.widgets.sites_dialog import SiteDialog


def letter(text: str) -> str | None:
    match = re.search(r"&([^&\s])", text.replace("&&", ""))
    return match.group(1).upper() if match else None


@pytest.mark.parametrize("make", [SiteDialog, DownloadDialog])
def test_dialog_mnemonics_reach_fields_without_clashes(qtbot, make) -> None:
    dialog = make()
    qtbot.addWidget(dialog)
    dialog.show()
    labels = [w for w in dialog.findChildren(QLabel) if letter(w.text())]
    buttons = [w for w in dialog.findChildren(QAbstractButton) if letter(w.text())]
    assert labels
    for label in labels:
        assert isinstance(label.buddy(), QLineEdit), f"{label.text()!r} has no field to jump to"
    letters = [letter(w.text()) for w in labels + buttons]
    assert len(letters) == len(set(letters)), letters


@pytest.mark.parametrize("make", [SiteDialog, DownloadDialog])
def test_escape_cancels_the_dialog(qtbot, make) -> None:
    dialog = make()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()


def test_enter_on_the_erase_question_cancels(qtbot) -> None:
    dialog = ConfirmWriteDialog("ECS-host.iso", "raw", 1 << 30, [])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Rejected
