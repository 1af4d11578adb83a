"""Streaming SHA-256: of a file, or while copying one, with progress and cancel; the one place
where a SHA-256 text is normalised; and the cache of what was hashed before.

One pass over the bytes: hashing while copying (or while downloading) costs nothing extra,
where a separate hash pass over a 2 GB ISO would read it all again. And an image is hashed
once: the cache keeps each hash with the file's full identity (path, device + inode, size,
modification and change times in nanoseconds: what ``write.fingerprint`` compares), so a file
that was edited, replaced or even touched is hashed again, never trusted from the cache. The
change time cannot be set back by a program, so an edit that restores the modification time
still misses the cache.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any, Protocol

from ecs_field.errors import BadInput, DeviceError, EcsFieldError
from ecs_field.events import CancelToken, ProgressCallback, RateMeter, ignore_progress

CHUNK = 1 << 20
# Progress events at most this often: a fast SSD hashes ~1 GB/s, the GUI needs ~10 updates/s.
PROGRESS_INTERVAL_S = 0.1

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def normalize_sha256(value: str, *, where: str = "--sha256") -> str:
    """Lower-case hex digest, or BadInput naming ``where`` when it is not 64 hex digits."""
    text = value.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:"):]
    if not _HEX64.match(text):
        raise BadInput(
            f"{where}: {value.strip()[:80]!r} is not a SHA-256 checksum (64 hexadecimal digits)",
            "Copy the checksum exactly as the download page or SHA256SUMS file shows it.",
        )
    return text


# ----- the hash cache -------------------------------------------------------------------------

CACHE_SCHEMA = "ecs-field/sha256-cache@1"
CACHE_FILE = "sha256-cache.json"
CACHE_ENTRIES = 64  # a technician's laptop holds a handful of images; old entries drop off
FILE_VARIANT = ""  # the file's own bytes; other variants name a stream made from it


class FileIdentity(Protocol):
    """What identifies one version of a file: an ``os.stat_result`` or a write fingerprint."""

    @property
    def st_dev(self) -> int: ...
    @property
    def st_ino(self) -> int: ...
    @property
    def st_size(self) -> int: ...
    @property
    def st_mtime_ns(self) -> int: ...
    @property
    def st_ctime_ns(self) -> int: ...


def _cache_path() -> Path:
    from ecs_field.paths import cache_dir

    return cache_dir() / CACHE_FILE


def _identity(path: Path, info: FileIdentity) -> dict[str, Any]:
    return {"path": str(path), "device": info.st_dev, "inode": info.st_ino, "size": info.st_size,
            "mtime_ns": info.st_mtime_ns, "ctime_ns": info.st_ctime_ns}


def _load_cache() -> list[dict[str, Any]]:
    import json

    try:
        document = json.loads(_cache_path().read_bytes())
    except (OSError, ValueError):  # missing, unreadable or damaged: an empty cache, hashed again
        return []
    if not isinstance(document, dict) or document.get("schema") != CACHE_SCHEMA:
        return []
    entries = document.get("entries")
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("sha256"), str)
            and _HEX64.match(e["sha256"])]


def cached_sha256(
    path: Path, info: FileIdentity | None = None, *, variant: str = FILE_VARIANT
) -> str | None:
    """The SHA-256 hashed before for this very file (``variant``: of a stream made from it), or None.

    ``info`` is the file's stat as the caller fingerprinted it; without it the file is stat'ed now.
    """
    try:
        info = info or os.stat(path)
    except OSError:
        return None
    wanted = {**_identity(path, info), "variant": variant}
    for entry in _load_cache():
        if all(entry.get(key) == value for key, value in wanted.items()):
            return str(entry["sha256"])
    return None


def remember_sha256(path: Path, info: FileIdentity, sha256: str, *, variant: str = FILE_VARIANT) -> None:
    """Keep ``sha256`` for the file as ``info`` describes it (taken before it was hashed).

    Only hashes this app computed over every byte go in. Best effort: a cache that cannot be
    written only means hashing again next time.
    """
    try:
        now = os.stat(path)
    except OSError:
        return
    if _identity(path, now) != _identity(path, info):
        return  # changed while it was hashed: the hash belongs to no version of it
    entry = {**_identity(path, info), "variant": variant, "sha256": normalize_sha256(sha256)}
    keep = [e for e in _load_cache() if not (e.get("path") == entry["path"] and e.get("variant") == variant)]
    keep.append(entry)
    with contextlib.suppress(OSError, EcsFieldError):
        _write_cache({"schema": CACHE_SCHEMA, "entries": keep[-CACHE_ENTRIES:]})


def _write_cache(document: dict[str, Any]) -> None:
    """Replaced whole (temp file + rename: never a torn file), but not fsynced: a cache lost in a
    crash only means hashing again, and a write should not wait on the laptop's disk for it."""
    import json

    target = _cache_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(document), encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def new_hasher() -> Any:
    return hashlib.sha256()


class ThrottledProgress:
    """Builds progress events through a RateMeter and forwards at most ~10 per second."""

    def __init__(self, progress: ProgressCallback, phase: str, total: int, message: str = "") -> None:
        self._progress = progress
        self.phase = phase
        self.total = total
        self.message = message
        self._meter = RateMeter()
        self._last = 0.0

    def update(self, done: int, *, force: bool = False) -> None:
        self._meter.update(done)
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_INTERVAL_S:
            self._last = now
            self._progress(self._meter.progress(self.phase, done, self.total, self.message))


def disk_full_error(folder: Path, remaining: int | None, kept: Path | None, what: str = "") -> DeviceError:
    """The message for ENOSPC: which folder, how much is free, how much is still needed."""
    try:
        free_text = f"{human_bytes(shutil.disk_usage(folder).free)} free"
    except OSError:
        free_text = "free space unknown"
    for_text = f" for {what}" if what else ""
    need_text = f", {human_bytes(remaining)} still needed{for_text}" if remaining else ""
    kept_text = (
        f" The partial file {kept.name} was kept; free some space and run the same command again "
        "to continue where it stopped."
        if kept is not None
        else " Nothing was kept."
    )
    return DeviceError(
        f"Not enough space on the disk holding {folder} ({free_text}{need_text}).{kept_text}",
        "Delete files you no longer need there (old images: ecs-field images list / remove), "
        "or set ECS_FIELD_HOME to a folder on a larger disk.",
    )


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def human_bytes(count: int | float) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - loop always returns


def sha256_file(
    path: Path,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    phase: str = "verify",
    hasher: Any = None,
    limit: int | None = None,
) -> str:
    """Hex SHA-256 of ``path`` (or of its first ``limit`` bytes, fed into ``hasher`` if given)."""
    h = hasher if hasher is not None else new_hasher()
    before = path.stat()
    total = limit if limit is not None else before.st_size
    meter = ThrottledProgress(progress, phase, total, f"checking {path.name}")
    done = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while limit is None or done < limit:
            if cancel is not None:
                cancel.check()
            want = CHUNK if limit is None else min(CHUNK, limit - done)
            count = handle.readinto(view[:want])
            if not count:
                break
            h.update(view[:count])
            done += count
            meter.update(done)
    meter.update(done, force=True)
    digest = str(h.hexdigest())
    if hasher is None and limit is None and done == before.st_size:
        remember_sha256(path, before, digest)
    return digest


def copy_with_sha256(
    source: Path,
    target: Path,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    phase: str = "copy",
) -> tuple[str, int]:
    """Copy ``source`` to ``target`` (created new), hashing on the way; returns (sha256, size).

    The target is fsynced before returning. On any failure (cancel, disk full, read error) the
    partial target is removed: a half copy must never look like an image.
    """
    h = new_hasher()
    total = source.stat().st_size
    meter = ThrottledProgress(progress, phase, total, f"copying {source.name}")
    done = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    try:
        with source.open("rb", buffering=0) as src, target.open("xb", buffering=0) as dst:
            while True:
                if cancel is not None:
                    cancel.check()
                count = src.readinto(view)
                if not count:
                    break
                h.update(view[:count])
                written = 0
                while written < count:
                    written += dst.write(view[written:count]) or 0
                done += count
                meter.update(done)
            os.fsync(dst.fileno())
    except OSError as exc:
        _remove_quietly(target)
        if is_disk_full(exc):
            raise disk_full_error(target.parent, total - done, None, source.name) from exc
        raise DeviceError(
            f"Copying {source} to {target.parent} failed: {exc.strerror or exc}",
            "Check that the source file is readable and the library folder writable.",
        ) from exc
    except BaseException:
        _remove_quietly(target)
        raise
    meter.update(done, force=True)
    return str(h.hexdigest()), done


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
