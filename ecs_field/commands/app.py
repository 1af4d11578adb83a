"""``ecs-field gui`` and ``ecs-field self-test``."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    gui = subparsers.add_parser("gui", help="open the app (the default)")
    gui.add_argument(
        "paths",
        nargs="*",
        metavar="FILE",
        help="open these on start: an ISO (Boot media), a hardware dump or inventory (Hardware), "
        "a site repository folder (Sites); what desktop file managers pass",
    )
    gui.set_defaults(handler=_run_gui)
    test = subparsers.add_parser(
        "self-test", help="start the app offscreen, visit every page, load catalog and demo site"
    )
    test.set_defaults(handler=_run_self_test)


# The app's core modules and the libraries they use, imported before PySide6: shiboken installs an
# import hook that reads the source of every module imported after it (to find out whether the
# module uses PySide6, for its opt-in `__feature__` switches), ~0.1-0.3 ms a module, ~150 modules
# at start. Every one of these is imported on the way to the first window anyway.
_BEFORE_QT = (
    "logging.handlers",
    "psutil",
    "ecs_field.compat.verdict",
    "ecs_field.compat.report",
    "ecs_field.compat.boxes",
    "ecs_field.hardware.importer",
    "ecs_field.hardware.probe",
    "ecs_field.media.drives",
    "ecs_field.media.history",
    "ecs_field.media.image.inspect",
    "ecs_field.media.library.store",
    "ecs_field.media.kickstart.model",
    "ecs_field.sites.demo",
    "ecs_field.sites.status.overview",
    "ecs_field.sites.lint.linter",
)


def _import_core_before_qt() -> None:
    import importlib

    for name in _BEFORE_QT:
        importlib.import_module(name)


def _run_gui(args: argparse.Namespace) -> int:
    import gc

    # No garbage collection until the window is up (gui.app.settle_heap turns it on): start-up
    # makes tens of thousands of objects that live as long as the app, so the ~115 collections
    # it triggered found next to nothing and took ~17 ms of a ~0.5 s start.
    gc.disable()
    _import_core_before_qt()
    from ecs_field.gui.app import run_gui  # Qt loads only when the GUI is wanted

    return run_gui(list(getattr(args, "paths", []) or []))


def _run_self_test(args: argparse.Namespace) -> int:
    import gc

    gc.disable()  # as for the gui command, until gui.app.settle_heap
    _import_core_before_qt()
    from ecs_field.gui.app import exit_without_teardown, run_self_test

    # The last thing the command does: ends the process here when safe (see its docstring).
    return exit_without_teardown(run_self_test())
