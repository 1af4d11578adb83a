"""The main window: navigation column, page stack, status bar, menus."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from ecs_field import __version__, netstate
from ecs_field.gui import crash
from ecs_field.gui.pages import PAGES
from ecs_field.gui.pages.base import Page
from ecs_field.gui.theme import PALETTE_EVENTS, current_tones

log = logging.getLogger(__name__)
SHUTDOWN_WAIT_MS = 5000  # how long closing the window waits for cancelled jobs to return


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("ECS Field Kit")
        self.setAcceptDrops(True)
        self.pages: list[Page] = []
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        self.nav.setAccessibleName("Navigation")
        self.nav.setStyleSheet(
            "QListWidget#navigation { border: none; background: palette(window); padding-top: 8px;"
            " outline: 0; }"
            "QListWidget#navigation::item { padding: 10px 14px; margin: 2px 6px; border-radius: 6px; }"
            "QListWidget#navigation::item:selected { background: #1f5f8b; color: white; }"
            "QListWidget#navigation::item:hover:!selected { background: rgba(31, 95, 139, 0.12); }"
        )
        nav_font = self.nav.font()
        nav_font.setPointSizeF(nav_font.pointSizeF() * 1.1)
        self.nav.setFont(nav_font)
        self.stack = QStackedWidget()
        for module_name, class_name in PAGES:
            page_class = getattr(importlib.import_module(module_name), class_name)
            self.add_page(page_class(self))
        self.nav.currentRowChanged.connect(self._show_row)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.online_label = QLabel()
        self.online_label.setObjectName("onlineLabel")
        self.catalog_label = QLabel()
        self.catalog_label.setObjectName("catalogLabel")
        self.statusBar().addPermanentWidget(self.catalog_label)
        self.statusBar().addPermanentWidget(self.online_label)
        self._build_menus()
        self.refresh_status()
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(5000)
        self._restore_state()

    # pages -----------------------------------------------------------------
    def add_page(self, page: Page) -> None:
        self.pages.append(page)
        self.stack.addWidget(page)
        item = QListWidgetItem(page.title)
        item.setData(Qt.ItemDataRole.UserRole, page.key)
        self.nav.addItem(item)

    def page(self, key: str) -> Page:
        for page in self.pages:
            if page.key == key:
                return page
        raise KeyError(key)

    def show_page(self, key: str) -> Page:
        for row, page in enumerate(self.pages):
            if page.key == key:
                self.nav.setCurrentRow(row)
                return page
        raise KeyError(key)

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            self.stack.setCurrentIndex(row)
            self.pages[row].activated()

    # menus -----------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu("&Go")
        for index, page in enumerate(self.pages):
            action = QAction(page.title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, k=page.key: self.show_page(k))
            go_menu.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        log_action = QAction("Open &log folder", self)
        log_action.triggered.connect(crash.open_log_folder)
        help_menu.addAction(log_action)
        about_action = QAction("&About ECS Field Kit", self)
        about_action.triggered.connect(self.show_about)
        help_menu.addAction(about_action)

    def about_text(self) -> str:
        import platform

        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        lines = [
            f"<b>ECS Field Kit</b> {__version__}",
            f"Hardware catalog: {self.catalog_version()}",
            f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {pyside_version}",
            f"{platform.system()} {platform.release()} ({platform.machine()})",
        ]
        return "<br>".join(lines)

    def show_about(self) -> None:
        QMessageBox.about(self, "About ECS Field Kit", self.about_text())

    # status bar ------------------------------------------------------------
    def catalog_version(self) -> str:
        try:
            from ecs_field.compat.catalog import load_catalog

            return load_catalog().version
        except Exception as exc:  # the status bar must not take the window down
            log.warning("catalog not loaded: %s", exc)
            return "not loaded"

    def refresh_status(self) -> None:
        online = netstate.is_online()
        self.online_label.setText("● Online" if online else "● Offline")
        tones = current_tones()  # read each refresh: follows a switch to dark mode
        self.online_label.setStyleSheet(f"color: {tones.passed if online else tones.action};")
        self.online_label.setToolTip(
            "A network is up. Downloads and fetches can run."
            if online
            else "No network. Everything reads from the local cache."
        )
        self.catalog_label.setText(f"Catalog {self.catalog_version()}")

    def changeEvent(self, event: QEvent) -> None:
        if (
            event.type() in PALETTE_EVENTS
            and hasattr(self, "online_label")
            and current_tones().passed not in self.online_label.styleSheet()
            and current_tones().action not in self.online_label.styleSheet()
        ):
            self.refresh_status()  # light <-> dark: the online word's colour
        super().changeEvent(event)

    # drag and drop ---------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(Path(url.toLocalFile()))

    def open_path(self, path: Path) -> bool:
        """Route a file or folder to the page that takes it; the current page has priority."""
        current = self.pages[self.stack.currentIndex()] if self.pages else None
        ordered = ([current] if current else []) + [p for p in self.pages if p is not current]
        for page in ordered:
            if page.accepts_drop(path):
                self.show_page(page.key)
                page.open_path(path)
                return True
        self.statusBar().showMessage(f"Nothing here opens {path.name}", 5000)
        return False

    # state -----------------------------------------------------------------
    def _restore_state(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)
        last = settings.value("window/page", "")
        keys = [p.key for p in self.pages]
        self.nav.setCurrentRow(keys.index(last) if last in keys else 0)

    def save_state(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        row = self.nav.currentRow()
        if 0 <= row < len(self.pages):
            settings.setValue("window/page", self.pages[row].key)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        for page in self.pages:
            page.shutdown()
        # Jobs were asked to stop; wait for them so none outlives the window (a late job would
        # write into the data folder, or touch widgets, after the app is gone). A job that does
        # not check its cancel token in time is left to the pool's own teardown, and logged.
        if not QThreadPool.globalInstance().waitForDone(SHUTDOWN_WAIT_MS):
            log.warning("jobs still running %d ms after the window closed", SHUTDOWN_WAIT_MS)
        super().closeEvent(event)


def current_window() -> MainWindow | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow):
            return widget
    return None
