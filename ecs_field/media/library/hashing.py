"""Streaming SHA-256: of a file, or while copying one, with progress and cancel.

One pass over the bytes: hashing while copying (or while downloading) costs nothing extra,
where a separate hash pass over a 2 GB ISO would read it all again.
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
from typing import Any

from ecs_field.errors import BadInput, DeviceError
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
    total = limit if limit is not None else path.stat().st_size
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
    return str(h.hexdigest())


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
