"""The pages of the main window, in navigation order.

Each entry names a module and a Page subclass; pages are created once, when the window opens.
"""

from __future__ import annotations

PAGES: tuple[tuple[str, str], ...] = (
    ("ecs_field.gui.pages.hardware", "HardwarePage"),
    ("ecs_field.gui.pages.media", "MediaPage"),
    ("ecs_field.gui.pages.sites", "SitesPage"),
    ("ecs_field.gui.pages.history", "HistoryPage"),
)
