"""``ecs-field gui`` and ``ecs-field self-test``."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    gui = subparsers.add_parser("gui", help="open the app (the default)")
    gui.add_argument(
        "paths", nargs="*", metavar="FILE",
        help="open these on start: an ISO (Boot media), a hardware dump or inventory (Hardware), "
        "a site repository folder (Sites); what desktop file managers pass",
    )
    gui.set_defaults(handler=_run_gui)
    test = subparsers.add_parser(
        "self-test", help="start the app offscreen, visit every page, load catalog and demo site"
    )
    test.set_defaults(handler=_run_self_test)


def _run_gui(args: argparse.Namespace) -> int:
    from ecs_field.gui.app import run_gui  # Qt loads only when the GUI is wanted

    return run_gui(list(getattr(args, "paths", []) or []))


def _run_self_test(args: argparse.Namespace) -> int:
    from ecs_field.gui.app import exit_without_teardown, run_self_test

    # The last thing the command does: ends the process here when safe (see its docstring).
    return exit_without_teardown(run_self_test())
