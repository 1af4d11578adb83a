"""The main window shell: navigation, status bar, about box, remembered state, crash dialog."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ecs_field import __version__
from ecs_field.gui import crash
from ecs_field.gui.main_window import MainWindow
from ecs_field.gui.pages.base import Page


def test_window_opens_with_every_registered_page(qtbot) -> None:
    from ecs_field.gui.pages import PAGES

    window = MainWindow()
    qtbot.addWidget(window)
    assert window.nav.count() == len(PAGES) == len(window.pages)
    assert window.online_label.text() in {"● Online", "● Offline"}
    assert window.catalog_label.text().startswith("Catalog ")


def test_about_names_versions(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    text = window.about_text()
    assert __version__ in text
    assert "Hardware catalog" in text
    assert "Qt" in text


def test_window_remembers_size_and_page(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    extra = Page()
    extra.key, extra.title = "extra", "Extra"
    window.add_page(extra)
    window.resize(777, 555)
    window.show_page("extra")
    window.close()
    assert QSettings().value("window/page") == "extra"

    again = MainWindow()
    qtbot.addWidget(again)
    assert again.size().width() == 777
    assert again.size().height() == 555


def test_unhandled_exception_becomes_a_dialog(qtbot, monkeypatch) -> None:
    shown: list[str] = []

    def close_box() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                shown.append(widget.text())
                widget.done(0)

    QTimer.singleShot(200, close_box)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        crash._hook(type(exc), exc, exc.__traceback__)
    assert shown and "boom in a slot" in shown[0]


def test_drop_of_unknown_file_says_so(qtbot, tmp_path) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    stray = tmp_path / "notes.xyz"
    stray.write_text("x")
    assert window.open_path(stray) is False
    assert "notes.xyz" in window.statusBar().currentMessage()


def test_no_display_is_a_clear_error_not_a_qt_abort() -> None:
    import subprocess
    import sys

    import pytest

    from ecs_field.errors import EcsFieldError
    from ecs_field.gui.app import check_display

    with pytest.raises(EcsFieldError) as exc:
        check_display({}, "linux")
    assert "No display" in exc.value.message and "self-test" in (exc.value.hint or "")
    check_display({"DISPLAY": ":0"}, "linux")
    check_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    check_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    check_display({}, "win32")

    import os

    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    done = subprocess.run([sys.executable, "-m", "ecs_field"], capture_output=True, text=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL)
    if sys.platform.startswith("linux"):
        assert done.returncode == 2 and "No display" in done.stderr
