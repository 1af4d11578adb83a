"""What the page-render scripts in tests/gui share: sizes, waiting for the page, saving PNGs.

Not collected by pytest (no test_ prefix); the render_*.py scripts import it after they have set
QT_QPA_PLATFORM and made their QApplication.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtTest import QTest

SIZES = ((1280, 800), (1024, 640))


def wait(condition: Callable[[], Any], timeout_ms: int = 20000) -> None:
    """Let Qt run until ``condition()`` holds (or the timeout), then a little longer to paint."""
    waited = 0
    while not condition() and waited < timeout_ms:
        QTest.qWait(25)
        waited += 25
    QTest.qWait(80)


def shoot(widget: Any, out: Path, name: str, sizes: Iterable[tuple[int, int]] = SIZES) -> None:
    """``widget`` grabbed at every size into ``out/<name>-<w>x<h>.png`` (the paths are printed)."""
    for width, height in sizes:
        widget.resize(width, height)
        QTest.qWait(120)
        path = out / f"{name}-{width}x{height}.png"
        widget.grab().save(str(path))
        print(path)
