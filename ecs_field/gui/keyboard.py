"""Keyboard paths that Qt does not give for free.

``QAbstractButton.setShortcut`` replaces the Alt+letter mnemonic that ``&`` in the text set up,
so a button that needs a second key (Ctrl+R, Esc) gets it from a separate QShortcut instead:
both keys then work and the underlined letter is not a lie.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton


def add_key(button: QAbstractButton, key: QKeySequence | QKeySequence.StandardKey | str) -> QShortcut:
    """Also click ``button`` on ``key``; like the mnemonic, only while the button is visible and enabled."""
    shortcut = QShortcut(QKeySequence(key), button)
    shortcut.activated.connect(lambda: button.animateClick() if button.isEnabled() else None)
    return shortcut
