"""Files written so the last good state is never lost (DESIGN.md principle 6).

Writes go to a temporary file in the same folder, are fsynced and then ``os.replace``d over
the target, so a crash or a killed process leaves either the old file or the new one. Documents
carry a schema id; a file that is corrupt or of another schema is renamed aside (never
overwritten) and reported.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ecs_field.errors import BadInput


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write via a temporary file and rename. ``durable=False`` skips the fsyncs: for caches,
    where a crash may lose the new file but never leaves a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


_temp_counter = itertools.count()


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new, exclusively created temporary file next to ``path`` (as tempfile.mkstemp does,
    without importing tempfile and random: every CLI start pays for those)."""
    while True:
        name = f".{path.name}.{os.getpid()}.{next(_temp_counter)}.{time.monotonic_ns() % 1_000_000}.tmp"
        tmp = str(path.with_name(name))
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600), tmp
        except FileExistsError:
            continue


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


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_json(path: Path, document: Any, *, durable: bool = True) -> None:
    atomic_write_text(path, json.dumps(document, indent=2, sort_keys=False) + "\n", durable=durable)


def atomic_write_yaml(path: Path, document: Any) -> None:
    import yaml  # here, not at the top: cached answers use this module's locks without YAML

    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # same output, ten times faster
    atomic_write_text(path, yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True))


def set_aside(path: Path, why: str) -> Path:
    """Rename a bad file out of the way, keeping it for inspection; returns the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    import logging  # here: cached answers lock and write through this module without loading logging

    logging.getLogger(__name__).warning("set aside %s as %s: %s", path, target, why)
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


# -- file locks ---------------------------------------------------------------------------------------
# Why our own ~40 lines and not the ``filelock`` package: it is not installed here, and the two OS
# calls it wraps (fcntl.flock on POSIX, msvcrt.locking on Windows) are all we need. The lock is
# advisory: every read-modify-write of a state file in this app takes it; other programs do not.
LOCK_TIMEOUT_S = 30.0
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class LockTimeout(BadInput):
    """Another ecs-field process held a state file's lock for too long."""


def lock_path_of(target: Path) -> Path:
    return target.with_name(target.name + ".lock")


def _thread_lock(key: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def file_lock(target: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive lock on ``target`` (through ``<target>.lock``) for a read-modify-write.

    Works across processes (two CLI runs, the GUI and a CLI) and across threads of this one.
    Raises LockTimeout (exit 2) after ``timeout_s``; state_error() for an unusable folder.
    """
    lock_file = lock_path_of(target)
    gate = _thread_lock(str(lock_file.absolute()))
    if not gate.acquire(timeout=timeout_s):
        raise _timeout(target, timeout_s)
    try:
        try:
            lock_file.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_file, "a+b")  # noqa: SIM115 - closed in the finally below
        except OSError as exc:
            raise state_error(lock_file, exc) from None
        try:
            _os_lock(handle, target, timeout_s)
            try:
                yield
            finally:
                _os_unlock(handle)
        finally:
            handle.close()
    finally:
        gate.release()


def _timeout(target: Path, timeout_s: float) -> LockTimeout:
    return LockTimeout(
        f"{target}: another ecs-field process is still changing this file (waited {timeout_s:g} s)",
        "Let the other command (or the app) finish and try again. Nothing was changed.",
    )


def _os_lock(handle: Any, target: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    delay = 0.002
    while True:
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
                raise state_error(lock_path_of(target), exc) from None
        if time.monotonic() >= deadline:
            raise _timeout(target, timeout_s)
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _os_unlock(handle: Any) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# -- reading state files --------------------------------------------------------------------------------
def state_error(path: Path, exc: OSError) -> BadInput:
    """A clear message (exit 2) for a state path the app cannot use: a folder, unreadable, too deep."""
    code = exc.errno
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        why = "is a folder, where the app keeps a file"
        hint = "Move the folder away (the app recreates the file), or set ECS_FIELD_HOME elsewhere."
    elif isinstance(exc, NotADirectoryError) or code == errno.ENOTDIR:
        why = "a part of this path is a file, where the app needs a folder"
        hint = "Move that file away, or set ECS_FIELD_HOME to another folder."
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        why = "permission denied"
        hint = "Give your user read and write access to it, or set ECS_FIELD_HOME to a folder you own."
    elif code in (errno.ENAMETOOLONG, errno.ELOOP):
        why = "the path is too long or too deep (or loops through links)"
        hint = "Set ECS_FIELD_HOME to a shorter folder."
    elif code == errno.EROFS:
        why = "the file system is read-only"
        hint = "Set ECS_FIELD_HOME to a writable folder."
    else:
        why = exc.strerror or type(exc).__name__
        hint = "Check the folder and its permissions, or set ECS_FIELD_HOME elsewhere."
    return BadInput(f"{path}: cannot use this state file: {why}", hint)


def read_state_bytes(path: Path) -> bytes | None:
    """A state file's bytes; None when it does not exist yet; BadInput (exit 2) when it cannot be used."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise state_error(path, exc) from None


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
    raw = read_state_bytes(path)
    if raw is None:
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
