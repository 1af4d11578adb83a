"""Closing the window waits for its jobs; Ctrl+C closes it the normal way; hard crashes leave stacks."""

from __future__ import annotations

import os
import signal
import threading
import time

from PySide6.QtCore import QThreadPool

from ecs_field import paths
from ecs_field.gui import app as gui_app
from ecs_field.gui.main_window import MainWindow


def test_close_waits_for_a_job_that_is_slow_to_notice_its_cancel(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    finished = threading.Event()

    def slow(progress, cancel) -> None:
        time.sleep(0.4)  # a probe or drive listing that cannot be interrupted mid-call
        cancel.check()
        finished.set()

    window.pages[0].jobs.run(slow, name="slow")
    time.sleep(0.05)
    window.close()
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert not finished.is_set()  # it returned through its cancel check, before the window was gone


def test_ctrl_c_closes_the_window(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    previous = signal.getsignal(signal.SIGINT)
    try:
        gui_app.install_sigint_handler(window)
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_fault_log_is_in_the_log_folder() -> None:
    import faulthandler

    was_enabled = faulthandler.is_enabled()
    try:
        target = gui_app.enable_fault_log()
        assert target is not None and target.parent == paths.log_dir()
        assert faulthandler.is_enabled()
    finally:
        faulthandler.disable()
        if was_enabled:
            faulthandler.enable()
