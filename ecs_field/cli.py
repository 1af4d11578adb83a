"""The ``ecs-field`` command line (contract: ../shared/DESIGN.md section 4).

A thin shell: each command module in ``ecs_field.commands`` registers its sub-commands and
calls the core. Errors meant for people (EcsFieldError) print a message and a hint and exit
with the error's code; anything else is logged with its traceback and reported in one line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ecs_field import __version__
from ecs_field.errors import EcsFieldError
from ecs_field.logs import setup_logging
from ecs_field.redact import redact_argv

log = logging.getLogger(__name__)

# Each module exposes register(subparsers); the order here is the order in --help.
COMMAND_MODULES = (
    "ecs_field.commands.app",
    "ecs_field.commands.probe",
    "ecs_field.commands.check",
    "ecs_field.commands.drives",
    "ecs_field.commands.image",
    "ecs_field.commands.write",
    "ecs_field.commands.images",
    "ecs_field.commands.sites",
    "ecs_field.commands.status",
)

EXIT_INTERNAL = 70


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecs-field",
        description="ECS Field Kit: check hardware, write boot media and see site state for "
        "VMware Edge Compute Stack. Run without a command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"ecs-field {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="also log to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    log_path = setup_logging(verbose=args.verbose)
    if args.command is None:
        args = parser.parse_args(["gui", *args_list])
    log.info("ecs-field %s: %s", __version__, redact_argv(args_list))
    try:
        return int(args.handler(args) or 0)
    except EcsFieldError as exc:
        log.info("error: %s", exc, exc_info=True)
        print(f"ecs-field: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ecs-field: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        log.exception("internal error")
        print(
            f"ecs-field: internal error: {type(exc).__name__}: {exc}\n  details: {log_path}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
