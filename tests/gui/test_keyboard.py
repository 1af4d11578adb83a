"""Every action reachable by keyboard (DESIGN.md section 6), on each page with real data loaded.

The pages are filled the way a user sees them: the sample inventory on Hardware, the demo site
on Sites, a real ISO and "Show all drives" on Boot media, a write record on History.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QTabBar,
    QWidget,
)

from ecs_field.gui.main_window import MainWindow
from ecs_field.gui.pages.base import Page
from ecs_field.media import history
from tests.imagefiles import make_iso

PAGE_KEYS = ("hardware", "media", "sites", "history")


def write_record() -> None:
    history.append_record(history.WriteRecord(
        image_name="VMware-VMvisor-Installer-8.0U2-22380479.x86_64.iso", device_path="/dev/sdb",
        result="verified", started_at="2026-11-20T09:15:02Z", ended_at="2026-11-20T09:17:40Z",
        mode="uefi-fat32", device_vendor="SanDisk", device_model="Ultra", device_serial="4C5300012308",
        device_size_bytes=30_752_636_928, verified=True,
    ))


def load(window: MainWindow, key: str, qtbot, tmp_path: Path) -> Page:
    page = window.show_page(key)
    if key == "media":
        page.open_path(make_iso(tmp_path / "ECS-host.iso"))
        page.show_all.setChecked(True)
        qtbot.waitUntil(lambda: page.image_info is not None and not page._drive_job_running, timeout=15000)
    else:
        page.self_test()
    QTest.qWait(50)
    return page


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    write_record()
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1280, 800)
    main.show()
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    yield main
    main.close()


def shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.isEnabled()


def controls(page: Page) -> list[QWidget]:
    """Enabled, visible buttons and item views; headers and a tab bar's scroll arrows are mouse extras."""
    found: list[QWidget] = []
    for widget in page.findChildren(QWidget):
        if isinstance(widget, QHeaderView) or isinstance(widget.parent(), QTabBar):
            continue
        if isinstance(widget, (QAbstractButton, QAbstractItemView)) and shown(widget):
            found.append(widget)
    return found


def focus_chain(window: MainWindow) -> list[QWidget]:
    """Press Tab (focusNextChild) from the navigation column round to it again."""
    window.nav.setFocus()
    reached: list[QWidget] = []
    for _ in range(200):
        window.focusNextChild()
        widget = QApplication.focusWidget()
        if widget is None or widget is window.nav or widget in reached:
            break
        reached.append(widget)
    return reached


def mnemonic(text: str) -> str | None:
    match = re.search(r"(?<!&)&([^&\s])", text.replace("&&", ""))
    return match.group(1).upper() if match else None


def mnemonics(window: MainWindow, page: Page) -> list[tuple[str, str]]:
    """(letter, where) for the menu titles and everything on the page that carries an &-letter."""
    found = [(m, f"menu {a.text()}") for a in window.menuBar().actions() if (m := mnemonic(a.text()))]
    for widget in page.findChildren(QWidget):
        texts: list[str] = []
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy()):
            texts.append(widget.text())
        elif isinstance(widget, QTabBar):
            texts += [widget.tabText(i) for i in range(widget.count())]
        found += [(m, text) for text in texts if (m := mnemonic(text))]
    return found


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_tab_reaches_every_button_and_view(window, key, qtbot, tmp_path) -> None:
    page = load(window, key, qtbot, tmp_path)
    chain = focus_chain(window)
    missing = [f"{type(w).__name__} {getattr(w, 'text', w.objectName)()!r}"
               for w in controls(page) if w not in chain]
    assert controls(page), "the page shows no controls at all"
    assert not missing, f"{key}: not reachable with Tab: {missing}"
    assert all(page.isAncestorOf(w) for w in chain), "Tab wandered onto a hidden page"


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_no_two_mnemonics_clash(window, key, qtbot, tmp_path) -> None:
    page = load(window, key, qtbot, tmp_path)
    seen: dict[str, str] = {}
    clashes = []
    for letter, where in mnemonics(window, page):
        if letter in seen:
            clashes.append(f"&{letter}: {seen[letter]!r} and {where!r}")
        seen[letter] = where
    assert not clashes, f"{key}: {clashes}"


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_every_mnemonic_actually_fires(window, key, qtbot, tmp_path) -> None:
    """Alt+letter clicks each visible button: setShortcut() would silently have replaced it."""
    page = load(window, key, qtbot, tmp_path)
    buttons = [b for b in controls(page) if isinstance(b, QAbstractButton) and mnemonic(b.text())]
    assert buttons, f"{key}: no button has a mnemonic"
    for button in buttons:
        assert button.shortcut() == QKeySequence.mnemonic(button.text()), button.text()


def test_mnemonic_clicks_the_visible_page_only(window, qtbot, tmp_path) -> None:
    """Alt+I is Import on two pages; it must press the one on screen and only that."""
    hardware, sites = window.page("hardware"), window.page("sites")
    sites.self_test()  # Import snapshot needs a site
    pressed: list[str] = []
    for name, page in (("hardware", hardware), ("sites", sites)):
        page.import_button.clicked.disconnect()
        page.import_button.clicked.connect(lambda _=False, n=name: pressed.append(n))
    for name in ("hardware", "sites"):
        window.show_page(name)
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda n=name: pressed[-1:] == [n])
    assert pressed == ["hardware", "sites"]


def test_ctrl_r_checks_and_keeps_the_mnemonic(window, qtbot) -> None:
    page = window.show_page("hardware")
    pressed: list[str] = []
    page.check_button.clicked.disconnect()
    page.check_button.clicked.connect(lambda _=False: pressed.append("check"))
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(pressed) == 1)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(pressed) == 2)
    window.show_page("sites")  # Ctrl+R belongs to the Hardware page only
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    QTest.qWait(300)
    assert pressed == ["check", "check"]


def test_navigation_column_follows_arrow_keys_and_ctrl_digits(window, qtbot) -> None:
    window.show_page("hardware")
    window.nav.setFocus()
    QTest.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.stack.currentWidget() is window.page("media")
    QTest.keyClick(window.nav, Qt.Key.Key_End)
    assert window.stack.currentWidget() is window.pages[-1]
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages[2]


def test_table_rows_are_chosen_with_arrow_keys(window, qtbot) -> None:
    history.append_record(history.WriteRecord(
        image_name="older.iso", device_path="/dev/sdc", result="failed",
        started_at="2026-11-01T08:00:00Z", ended_at="2026-11-01T08:01:00Z", error="unplugged",
    ))
    page = window.show_page("history")
    page.reload()
    page.table.setFocus()
    assert page.table.currentRow() == 0
    QTest.keyClick(page.table, Qt.Key.Key_Down)
    assert page.table.currentRow() == 1
    assert page.records[1].image_name in page.details.text()
    QTest.keyClick(page.table, Qt.Key.Key_Up)
    assert "unplugged" in page.details.text()


def test_media_tab_order_follows_the_numbered_steps(window, qtbot, tmp_path) -> None:
    page = load(window, "media", qtbot, tmp_path)
    chain = focus_chain(window)
    steps = [page.drop_zone.choose_button, page.library, page.download_button, page.show_all,
             page.refresh_button, page.drive_list]
    assert [chain.index(w) for w in steps] == sorted(chain.index(w) for w in steps)


def test_escape_cancels_a_running_write_on_the_media_page(window, qtbot) -> None:
    page = window.show_page("media")
    cancelled: list[bool] = []
    page.cancel_write = lambda: cancelled.append(True)  # type: ignore[method-assign]
    page.cancel_button.clicked.disconnect()
    page.cancel_button.clicked.connect(lambda _=False: page.cancel_write())
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)  # disabled: nothing is running
    QTest.qWait(300)
    assert cancelled == []
    page.cancel_button.setEnabled(True)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: cancelled == [True])
