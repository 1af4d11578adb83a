"""Logging to a rotating file in the platform log folder; tracebacks go there, not to the user."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from ecs_field import paths

_configured = False


def log_file() -> Path:
    return paths.log_dir() / "ecs-field.log"


def setup_logging(verbose: bool = False) -> Path:
    global _configured
    target = log_file()
    if _configured:
        return target
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    try:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
