"""The ``ecs-field`` command line (contract: ../shared/DESIGN.md section 4).

A thin shell: each command module in ``ecs_field.commands`` registers its sub-commands and
calls the core. Errors meant for people (EcsFieldError) print a message and a hint and exit
with the error's code; anything else is logged with its traceback and reported in one line.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ecs_field import __version__

if TYPE_CHECKING:  # argparse is imported when a parser is built: a cached answer never needs it
    import argparse

# Which module registers which command; only the module of the command being run is imported
# (a technician's `ecs-field check` must not pay for Qt, GitPython or the writer). The order
# here is the order in --help. tests/unit/test_cli_lazy.py checks the table against what the
# modules really register.
COMMANDS: dict[str, str] = {
    "gui": "ecs_field.commands.app",
    "self-test": "ecs_field.commands.app",
    "probe": "ecs_field.commands.probe",
    "check": "ecs_field.commands.check",
    "catalog": "ecs_field.commands.check",
    "drives": "ecs_field.commands.drives",
    "image": "ecs_field.commands.image",
    "write": "ecs_field.commands.write",
    "history": "ecs_field.commands.write",
    "verify": "ecs_field.commands.verify",
    "kickstart": "ecs_field.commands.kickstart",
    "images": "ecs_field.commands.images",
    "sites": "ecs_field.commands.sites",
    "lint": "ecs_field.commands.lint",
    "snapshot": "ecs_field.commands.status",
    "status": "ecs_field.commands.status",
}
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))

EXIT_INTERNAL = 70
TOP_LEVEL_FLAGS = ("-v", "--verbose")

EPILOG = """\
examples:
  ecs-field                                   open the app
  ecs-field check                             check this machine against the default release
  ecs-field check lspci.txt dmidecode.txt --release 8.0U3
                                              check a box from dumps brought along
  ecs-field drives                            list USB sticks
  ecs-field write host.iso /dev/sdX           write and verify a boot stick
  ecs-field status SITE                       a site's sync and workload state

exit codes:
  0 ok / supported        1 supported with actions / lint errors
  2 bad input or usage    3 hardware not supported
  4 refused by safety rules   5 I/O error or device lost   6 verification mismatch
  70 internal error (details in the log file)   130 cancelled
"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that module's commands are registered (a fast start)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="ecs-field",
        description="ECS Field Kit: check hardware, write boot media and see site state for "
        "VMware Edge Compute Stack. Run without a command to open the app.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ecs-field {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="also log to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(name).register(subparsers)
    return parser


def _cached_answer(command: str, rest: list[str]) -> int | None:
    """A repeat `lint PATH` or `status SITE` answered from its cache before argparse, logging and the
    command's own imports load (issue 9: a warm run costs less than parsing the manifests once).

    Each command's fast path answers only the plain forms it fully understands and only on a cache
    hit that it has checked is still true; otherwise it prints nothing and returns None, and the
    normal path runs as if this had not been tried. Top-level flags (``-v``) always take the
    normal path (position 0 only).
    """
    if command == "lint":
        from ecs_field.commands.lint import fast_main

        return fast_main(rest)
    if command == "status":
        from ecs_field.commands.status import answer_from_cache

        return answer_from_cache([command, *rest])
    return None


def _command_position(args: Sequence[str]) -> int | None:
    """Index of the command word, None when there is none (only top-level flags), -1 for help/unknown."""
    for index, word in enumerate(args):
        if word in TOP_LEVEL_FLAGS:
            continue
        if word in COMMANDS:
            return index
        return -1
    return None


def run() -> int:
    """The command-line entry (console script, ``python -m ecs_field``, the packaged app): main() in
    a process of its own, which a finished command may end without the interpreter's teardown."""
    from ecs_field import process_exit

    process_exit.mark_whole_process()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # the fastest answer: nothing else imported
        print(f"ecs-field {__version__}")
        return 0
    position = _command_position(args_list)
    if position == 0:
        answered = _cached_answer(args_list[0], args_list[1:])
        if answered is not None:
            return answered
    if position is None:  # `ecs-field` or `ecs-field -v`: the app, keeping the flags
        args_list.append("gui")
        position = len(args_list) - 1
    parser = build_parser(COMMANDS[args_list[position]] if position >= 0 else None)
    args = parser.parse_args(args_list)

    import logging

    from ecs_field.errors import EcsFieldError
    from ecs_field.logs import setup_logging
    from ecs_field.redact import redact_argv

    log = logging.getLogger(__name__)
    try:
        log_path = setup_logging(verbose=args.verbose)
    except EcsFieldError as exc:  # the state folder itself is unusable: say so, nothing else can work
        print(f"ecs-field: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
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
