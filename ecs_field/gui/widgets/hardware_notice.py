"""A one-line info bar for the Hardware page: a message, one action button and a dismiss button.

Used when this machine's USB/network devices change while the page shows an imported report:
the report stays, and the bar offers to check this machine instead of replacing it unasked.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ecs_field.gui.widgets.hardware_style import LIGHT, Tones


class NoticeBar(QFrame):
    action_clicked = Signal()

    def __init__(self, action_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.message = QLabel()
        self.message.setObjectName("noticeMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton(action_text)
        self.action.setObjectName("noticeAction")
        self.action.clicked.connect(self.action_clicked)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setObjectName("noticeDismiss")
        self.dismiss.setToolTip("Hide this message; the report shown stays as it is")
        self.dismiss.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.dismiss)
        self.set_tones(LIGHT)
        self.hide()

    def set_tones(self, tones: Tones) -> None:
        background, border = ("#0d2540", "#1f6feb") if tones.dark else ("#ddf4ff", "#54aeff")
        text = "#e6edf3" if tones.dark else "#1f2328"
        self.setStyleSheet(
            f"#noticeBar {{ background: {background}; border: 1px solid {border}; border-radius: 6px; }}"
            f"#noticeMessage {{ color: {text}; background: transparent; }}"
        )

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.show()
