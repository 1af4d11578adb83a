"""Logging to a rotating file in the platform log folder; tracebacks go there, not to the user."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ecs_field import paths

_configured = False
MAX_BYTES = 2_000_000  # then the file rotates (three old ones kept)
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_file() -> Path:
    return paths.log_dir() / "ecs-field.log"


def setup_logging(verbose: bool = False) -> Path:
    import logging
    import logging.handlers

    global _configured
    target = log_file()
    if _configured:
        return target
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    try:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=MAX_BYTES, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(LINE_FORMAT))
        handler.setLevel(logging.DEBUG)
        root.addHandler(handler)
    except OSError:
        pass  # a read-only home must not stop the app
    if verbose:
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG)
        root.addHandler(console)
    _configured = True
    return target


def log_invocation_without_logging(argv: Sequence[str]) -> bool:
    """Append the "ecs-field VERSION: ARGV" line that cli.main logs, formatted as setup_logging's
    handler formats it, without loading logging (a cached answer's whole run costs less than
    ``import logging.handlers``). False, with nothing written, when the file is due to rotate or
    cannot be written: the caller then takes the normal path, which rotates and logs.
    """
    import os
    import time

    from ecs_field import __version__
    from ecs_field.redact import redact_argv

    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    line = f"{stamp},{int((now - int(now)) * 1000):03d} INFO ecs_field.cli: ecs-field {__version__}: "
    line += f"{redact_argv(list(argv))}\n"
    target = log_file()
    try:
        size = os.stat(target).st_size
    except FileNotFoundError:
        size = 0
    except OSError:
        return False
    if size + len(line.encode("utf-8")) >= MAX_BYTES:
        return False
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line)
    except OSError:
        return False
    return True
