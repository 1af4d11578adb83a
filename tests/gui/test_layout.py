"""The window fits a small 1024x640 screen with every page filled, and status carries a word."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QTabBar

from ecs_field.gui.main_window import MainWindow
from ecs_field.gui.pages.history import COLUMNS
from ecs_field.gui.widgets.media_speed import SpeedGraph
from tests.imagefiles import make_iso


def test_window_fits_1024_by_640_on_every_page(qtbot, tmp_path: Path) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    media = window.show_page("media")
    media.open_path(make_iso(tmp_path / "ECS-host.iso"))
    qtbot.waitUntil(lambda: media.image_info is not None, timeout=15000)
    window.page("hardware").self_test()
    window.page("sites").self_test()
    for page in window.pages:
        window.show_page(page.key)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 640, f"{page.key} needs {hint}"
    window.resize(1024, 640)
    window.show_page("sites")
    qtbot.wait(50)
    tabs = window.page("sites").tabs.findChild(QTabBar)
    assert all(tabs.tabRect(i).right() <= tabs.width() for i in range(tabs.count())), "a tab is cut off"
    window.close()


def test_history_shows_the_result_next_to_the_date(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    header = window.page("history").table.horizontalHeader()
    assert header.visualIndex(COLUMNS.index("Result")) == 1
    window.close()


def test_speed_graph_names_each_phase(qtbot) -> None:
    graph = SpeedGraph(capacity=60)
    qtbot.addWidget(graph)
    graph.resize(600, 80)
    for _ in range(30):
        graph.add(30e6, "write")
    for _ in range(20):
        graph.add(90e6, "verify")
    image = graph.grab().toImage()
    # the word "write" sits at the bottom left over the pale fill, in the (dark) text colour
    limit = graph.palette().text().color().lightness() + 60
    dark = sum(1 for x in range(4, 40) for y in range(60, 78) if image.pixelColor(x, y).lightness() < limit)
    assert dark > 10, "no phase word drawn at the start of the write segment"
