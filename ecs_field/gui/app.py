"""Starting the app, and the offscreen self-test used by CI on the packaged bundle."""

from __future__ import annotations

import faulthandler
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from ecs_field import __version__, paths
from ecs_field.errors import EcsFieldError
from ecs_field.gui.crash import install_crash_handler
from ecs_field.gui.theme import ThemeController
from ecs_field.logs import setup_logging
from ecs_field.resources import resource_path

if TYPE_CHECKING:
    from ecs_field.gui.main_window import MainWindow

log = logging.getLogger(__name__)
_theme: ThemeController | None = None  # kept for the app's life: it follows the OS colour scheme


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    QCoreApplication.setOrganizationName("ecs-field")
    QCoreApplication.setApplicationName("ECS Field Kit")
    QCoreApplication.setApplicationVersion(__version__)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    if os.environ.get("ECS_FIELD_HOME"):
        # Keep window state with the rest of the app's state when it is relocated (tests).
        QSettings.setPath(
            QSettings.Format.IniFormat,
            QSettings.Scope.UserScope,
            os.path.join(os.environ["ECS_FIELD_HOME"], "qsettings"),
        )
    app = QApplication(argv if argv is not None else sys.argv[:1])
    icon = resource_path("icons", "ecs-field.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    start_theme(app)
    return app


def start_theme(app: QApplication) -> ThemeController:
    """Dark (Fusion + dark palette) when the OS is in dark mode or ECS_FIELD_THEME=dark; light as always."""
    global _theme
    _theme = ThemeController(app)
    _theme.start()
    return _theme


def settle_heap(*, collect: bool = True) -> None:
    """Call once the window is built: keeps full garbage collections short while the app works.

    A full (generation 2) collection walks every object the process holds; with Qt, the catalog
    and a loaded site that took 45-55 ms on a 2-core laptop, long enough to stall the event loop
    past 100 ms while a large site loads. Objects alive after start-up live as long as the app,
    so freezing them out of the collector costs nothing and halves the worst pause
    (tests/bench/sites.py measures it). ``collect=False`` skips the one full collection before
    freezing (~20 ms): for a process that ends a moment later (self-test) it only costs time.
    Turns the collector on: the gui and self-test commands turn it off while the app starts.
    """
    if collect:
        gc.collect()
    gc.freeze()
    gc.enable()


def check_display(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> None:
    """Refuse clearly when there is no screen, instead of Qt aborting the process.

    On Linux Qt needs an X11 or Wayland session (or an explicit QT_QPA_PLATFORM); over SSH or on
    a headless box the commands still work, so say so.
    """
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return
    raise EcsFieldError(
        "No display: the app needs a desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set).",
        "Start it from the desktop, or use the command line (ecs-field --help); "
        "'ecs-field self-test' runs the app offscreen.",
    )


_fault_log: Any = None  # kept open for the process's life: faulthandler writes to its fd


def enable_fault_log() -> Path | None:
    """A hard crash (segfault in Qt, abort) leaves the Python stacks in the log folder.

    Mature Qt apps do this (qutebrowser's crashsignal): the exception hook cannot see a crash
    in C++, but faulthandler can still print every thread's stack to an open file descriptor.
    """
    global _fault_log
    target = paths.log_dir() / "crash-stacks.log"
    try:
        _fault_log = target.open("a", encoding="utf-8")
    except OSError:
        return None
    faulthandler.enable(file=_fault_log, all_threads=True)
    return target


def install_sigint_handler(window: QWidget) -> QTimer:
    """Ctrl+C in the terminal closes the window the normal way (jobs cancelled, state saved).

    Python runs signal handlers only between bytecodes, and the Qt event loop is C++: a short
    timer gives the interpreter a moment to run the handler. Returns the timer (kept by Qt).
    """
    signal.signal(signal.SIGINT, lambda _signum, _frame: QTimer.singleShot(0, window.close))
    timer = QTimer(window)
    timer.setInterval(200)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer


def open_startup_paths(window: MainWindow, names: list[str]) -> list[str]:
    """Open what the desktop (or the command line) passed; returns the paths nothing opened."""
    refused = []
    for name in names:
        path = Path(name).expanduser()
        if not path.exists() or not window.open_path(path):
            refused.append(name)
    return refused


def run_gui(paths: list[str] | None = None) -> int:
    check_display()
    setup_logging()
    app = create_application()
    install_crash_handler()
    enable_fault_log()
    from ecs_field.gui.main_window import MainWindow

    window = MainWindow()
    install_sigint_handler(window)
    window.show()
    settle_heap()
    for name in open_startup_paths(window, paths or []):
        print(f"ecs-field: nothing in the app opens {name}", file=sys.stderr)
    return app.exec()


def exit_without_teardown(code: int) -> int:
    """End the process now with ``code`` when that is safe; else return ``code`` for a normal exit.

    After self-test the interpreter's teardown (destroying every widget and module object, then
    Qt) took ~90 ms, a sixth of the command, and does nothing the command needs: the window is
    closed and its state saved (closeEvent), the pages cancelled their jobs and closeEvent waited
    for the worker pool, logging's only exit hook (logging.shutdown) is run here, stdout and
    stderr are flushed, and the app's files are written atomically. It is not safe, so it is not
    done while a pool job or another (non-daemon) Python thread still runs (the normal exit would
    wait for it) or under coverage (which saves its data in an exit hook).
    """
    from PySide6.QtCore import QThreadPool

    from ecs_field.process_exit import end_now

    if QThreadPool.globalInstance().activeThreadCount():
        return code
    return end_now(code, whole_process_only=False)


def run_self_test() -> int:
    """Start offscreen, visit every page, let each load real data; exit 0 only if all worked."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    setup_logging()
    app = create_application()
    from ecs_field.gui.main_window import MainWindow

    started = time.monotonic()
    window = MainWindow()
    window.show()
    settle_heap(collect=False)  # the pages are tested under the app's collector settings
    failures: list[str] = []
    for page in window.pages:
        window.show_page(page.key)
        app.processEvents()
        try:
            page.self_test()
        except Exception as exc:
            log.exception("self-test of page %s failed", page.key)
            failures.append(f"{page.title}: {type(exc).__name__}: {exc}")
        app.processEvents()
        print(f"self-test: page {page.title}: {'ok' if not failures else 'see above'}", file=sys.stderr)
    if window.catalog_version() == "not loaded":
        failures.append("hardware catalog did not load")
    for page in window.pages:
        page.shutdown()
    window.close()
    app.processEvents()
    for failure in failures:
        print(f"self-test: FAILED {failure}", file=sys.stderr)
    print(
        f"self-test: {len(window.pages)} pages in {time.monotonic() - started:.1f} s, "
        f"{'ok' if not failures else 'FAILED'}",
        file=sys.stderr,
    )
    return 0 if not failures else 1
