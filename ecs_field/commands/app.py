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


def _run_gui(args: argparse.Namespace) -> int:
    import gc

    # No garbage collection until the window is up (gui.app.settle_heap turns it on): start-up
    # makes tens of thousands of objects that live as long as the app, so the ~115 collections
    # it triggered found next to nothing and took ~17 ms of a ~0.5 s start.
    gc.disable()
    from ecs_field.gui.app import run_gui  # Qt loads only when the GUI is wanted

    return run_gui(list(getattr(args, "paths", []) or []))


def _run_self_test(args: argparse.Namespace) -> int:
    import gc

    gc.disable()  # as for the gui command, until gui.app.settle_heap
    from ecs_field.gui.app import exit_without_teardown, run_self_test

    # The last thing the command does: ends the process here when safe (see its docstring).
    return exit_without_teardown(run_self_test())
