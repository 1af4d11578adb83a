"""Where the app keeps its files (DESIGN.md principle 8).

platformdirs gives the right folder on each OS. ``ECS_FIELD_HOME`` moves everything under one
folder: tests use it so they never touch the real user's files, and a technician can use it to
carry the app's state on a stick.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ecs-field"
APP_AUTHOR = "ecs-field"


def _home_override() -> Path | None:
    value = os.environ.get("ECS_FIELD_HOME")
    return Path(value).expanduser() if value else None


def _dir(kind: str) -> Path:
    override = _home_override()
    if override is not None:
        path = override / kind
    else:
        import platformdirs  # not needed (a few ms of every start) when ECS_FIELD_HOME is set

        getter = {
            "config": platformdirs.user_config_path,
            "data": platformdirs.user_data_path,
            "cache": platformdirs.user_cache_path,
            "log": platformdirs.user_log_path,
        }[kind]
        path = getter(APP_NAME, APP_AUTHOR)
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as exc:
        from ecs_field.errors import BadInput

        raise BadInput(
            f"{path}: cannot use this folder for the app's {kind} files ({exc.strerror or exc})",
            "Set ECS_FIELD_HOME to a writable folder, or fix the folder's permissions.",
        ) from None
    return path


def config_dir() -> Path:
    """sites.yaml, catalog overrides."""
    return _dir("config")


def data_dir() -> Path:
    """Snapshots, write records, the image library."""
    return _dir("data")


def cache_dir() -> Path:
    return _dir("cache")


def log_dir() -> Path:
    return _dir("log")


def catalog_override_dir() -> Path:
    """User catalog entries that add to or replace the shipped ones."""
    path = config_dir() / "catalog.d"
    path.mkdir(parents=True, exist_ok=True)
    return path
