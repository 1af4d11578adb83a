"""What every page of the main window offers the shell."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget

from ecs_field.gui.workers import JobRunner


class Page(QWidget):
    """A page: one primary action, long work in ``self.jobs``, drops handled where they make sense."""

    key = "page"
    title = "Page"
    icon_name = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = JobRunner(self)

    def activated(self) -> None:
        """Called each time the page becomes visible."""

    def accepts_drop(self, path: Path) -> bool:
        """Whether a file or folder dropped on the window is for this page."""
        return False

    def open_path(self, path: Path) -> None:
        """Open a dropped or chosen file or folder."""

    def self_test(self) -> None:
        """Load real data the way a user would (``ecs-field self-test``); raise on failure."""

    def guarded(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """``fn`` for a job's signal, skipped once the page is deleted or shut down.

        A lambda connected to a job outlives the page (only bound methods are disconnected with
        it): a result arriving after the window closed would touch deleted widgets.
        """

        def call(*args: Any) -> None:
            if shiboken6.isValid(self) and not getattr(self, "_shut_down", False):
                fn(*args)

        return call

    def shutdown(self) -> None:
        """The window is closing: cancel jobs, stop watchers."""
        self._shut_down = True
        self.jobs.cancel_all()
