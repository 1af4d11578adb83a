"""Files written so the last good state is never lost (DESIGN.md principle 6).

Writes go to a temporary file in the same folder, are fsynced and then ``os.replace``d over
the target, so a crash or a killed process leaves either the old file or the new one. Documents
carry a schema id; a file that is corrupt or of another schema is renamed aside (never
overwritten) and reported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ecs_field.errors import BadInput

log = logging.getLogger(__name__)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open folders this way.
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, document: Any) -> None:
    atomic_write_text(path, json.dumps(document, indent=2, sort_keys=False) + "\n")


def atomic_write_yaml(path: Path, document: Any) -> None:
    atomic_write_text(path, yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def set_aside(path: Path, why: str) -> Path:
    """Rename a bad file out of the way, keeping it for inspection; returns the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    log.warning("set aside %s as %s: %s", path, target, why)
    return target


class CorruptFile(BadInput):
    """A stored document could not be read; it has been set aside."""

    def __init__(self, path: Path, aside: Path, why: str) -> None:
        super().__init__(
            f"{path}: {why}; the file was set aside as {aside.name}",
            "Nothing was overwritten. Fetch or import the data again, or inspect the set-aside file.",
        )
        self.path = path
        self.aside = aside


def load_json_document(
    path: Path,
    schema: str,
    *,
    validate: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any] | None:
    """Read a JSON document written by the app; None when there is none yet.

    A file that is not JSON, not an object, of another schema, or that ``validate`` rejects
    (by raising ValueError/KeyError/TypeError) is set aside and reported as CorruptFile.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        found = document.get("schema")
        if found != schema:
            raise ValueError(f"schema is {found!r}, expected {schema!r}")
        if validate is not None:
            validate(document)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        aside = set_aside(path, str(exc))
        raise CorruptFile(path, aside, f"unreadable ({exc})") from exc
    return document
