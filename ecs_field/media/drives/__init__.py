"""Drives the app can write to, per OS, with the safety verdict already attached.

``list_drives()`` picks the platform enumerator (linux.py, windows.py, macos.py; an empty
list elsewhere), then lets ``ecs_field.media.drives.safety`` mark system drives and decide
``writable``/``reasons``, so the CLI, the GUI and the writer all see the same verdict.

Loop devices (Linux) are kind "loop": a file presented as a disk. They are not removable,
so they are listed only with ``include_internal`` (``drives --all``) and writing to one
needs the same override as an internal disk. Tests and benchmarks use them as stand-in sticks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ecs_field.media.drives.model import (
    KIND_INTERNAL,
    KIND_LOOP,
    KIND_SD,
    KIND_UNKNOWN,
    KIND_USB,
    KIND_VIRTUAL,
    Drive,
    Partition,
    human_size,
)

log = logging.getLogger(__name__)

__all__ = [
    "KIND_INTERNAL", "KIND_LOOP", "KIND_SD", "KIND_UNKNOWN", "KIND_USB", "KIND_VIRTUAL",
    "Drive", "DriveWatcher", "Partition", "devices_holding", "find_drive", "human_size",
    "list_all_drives", "list_drives",
]


def _platform_list_all() -> list[Drive]:
    if sys.platform.startswith("linux"):
        from ecs_field.media.drives import linux

        return linux.list_all()
    if sys.platform == "win32":
        from ecs_field.media.drives import windows

        return windows.list_all()
    if sys.platform == "darwin":
        from ecs_field.media.drives import macos

        return macos.list_all()
    log.warning("no drive enumerator for %s: no drives listed", sys.platform)
    return []


def list_all_drives() -> list[Drive]:
    """Every drive, internal ones included, with the safety rules applied (no image yet)."""
    from ecs_field.media.drives import safety

    drives = _platform_list_all()
    safety.annotate(drives)
    return drives


def list_drives(include_internal: bool = False) -> list[Drive]:
    """Drives to offer: removable/USB/SD ones, plus every other one when ``include_internal``."""
    drives = list_all_drives()
    if include_internal:
        return drives
    return [d for d in drives if d.offered_by_default]


def _same_device(drive: Drive, path: str) -> bool:
    wanted = {path, path.rstrip()}
    if os.name == "posix":
        with contextlib.suppress(OSError):
            wanted.add(str(Path(path).resolve()))  # /dev/disk/by-id/usb-... -> /dev/sdb
    if sys.platform == "darwin" and path.startswith("/dev/disk"):
        wanted.add("/dev/r" + path[len("/dev/"):])
    if path.startswith(("\\\\.\\", "//./")):  # Windows device names ignore case: \\.\PhysicalDrive2
        wanted.add("\\\\.\\" + path[4:].upper())
    return drive.path in wanted or (drive.display_path in wanted and bool(drive.display_path))


def find_drive(path: str) -> Drive | None:
    """A fresh look-up of one drive by its path (used for the identity re-check before writing)."""
    for drive in list_all_drives():
        if _same_device(drive, path):
            return drive
    return None


def _mount_table() -> list[tuple[str, str]]:
    """(mount point, device) of every mounted file system, longest mount point first."""
    import psutil

    rows = [(p.mountpoint, p.device) for p in psutil.disk_partitions(all=True)]
    return sorted(rows, key=lambda row: len(row[0]), reverse=True)


def _is_under(path: str, mount: str) -> bool:
    if os.name == "nt":
        path, mount = path.lower(), mount.lower()
    if not mount.endswith(("/", "\\")):
        mount += os.sep
    return path == mount.rstrip("/\\") or path.startswith(mount)


def mount_table() -> list[tuple[str, str]]:
    """(mount point, device) of every mounted file system, innermost first; [] when unavailable.

    For callers that ask ``devices_holding`` about several paths at once (one read of the table).
    """
    try:
        return _mount_table()
    except Exception as exc:  # psutil may fail on exotic systems; sysfs answers on Linux
        log.info("mount table unavailable: %s", exc)
        return []


def devices_holding(path: Path, drives: list[Drive], table: list[tuple[str, str]] | None = None) -> set[str]:
    """Paths of the drives (from ``drives``) that hold ``path``.

    On Linux the kernel's view (sysfs: partitions, device-mapper, RAID, loop backing files)
    is used; on every OS the file's mount point is matched against the drives' mount points
    too. Both answers are joined: a drive wrongly counted as holding the file is merely
    protected, a drive wrongly missed could be wiped.
    """
    try:
        resolved = str(path.resolve())
    except OSError:
        resolved = str(path.absolute())
    found: set[str] = set()
    if sys.platform.startswith("linux"):
        from ecs_field.media.drives import linux

        kernel = linux.devices_holding(Path(resolved))
        found |= {d.path for d in drives if d.path in kernel}
    if table is None:
        table = mount_table()
    for mount, device in table:
        if _is_under(resolved, mount):
            for drive in drives:
                parts = {p.path for p in drive.partitions}
                if mount in drive.all_mountpoints() or device == drive.path or device in parts:
                    found.add(drive.path)
            break  # only the innermost mount holds the file
    return found


class _Watcher(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


class PollingWatcher:
    """Calls ``callback()`` when the drive list changes; polls (Windows, macOS, no udev)."""

    def __init__(self, callback: Callable[[], None], interval_s: float = 2.0,
                 lister: Callable[[], list[Drive]] | None = None) -> None:
        self._callback = callback
        self._interval = interval_s
        self._lister = lister or _platform_list_all
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _signature(self) -> tuple[tuple[str, int, str, tuple[str, ...]], ...]:
        try:
            return tuple(sorted((d.path, d.size_bytes, d.serial, tuple(d.all_mountpoints()))
                                for d in self._lister()))
        except Exception as exc:
            log.info("drive poll failed: %s", exc)
            return ()

    def _run(self, last: tuple[tuple[str, int, str, tuple[str, ...]], ...]) -> None:
        while not self._stop.wait(self._interval):
            current = self._signature()
            if current != last:
                last = current
                try:
                    self._callback()
                except Exception:
                    log.exception("drive watcher callback failed")

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            # The first look is taken here, not in the thread, so a drive plugged in right after
            # start() is a change and not part of the starting state.
            first = self._signature()
            self._thread = threading.Thread(target=self._run, args=(first,), name="drive-poll", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)


class DriveWatcher:
    """Hot-plug notifications: the udev monitor on Linux, polling elsewhere (or if udev fails).

    ``callback`` runs on a background thread; GUI code must hop to its own thread (a signal).
    """

    def __init__(self, callback: Callable[[], None], poll_interval_s: float = 2.0) -> None:
        self._callback = callback
        self._poll_interval = poll_interval_s
        self._impl: _Watcher | None = None

    @property
    def mechanism(self) -> str:
        return type(self._impl).__name__ if self._impl else "stopped"

    def start(self) -> None:
        if self._impl is not None:
            return
        if sys.platform.startswith("linux"):
            try:
                from ecs_field.media.drives.linux import UdevWatcher

                watcher = UdevWatcher(self._callback)
                watcher.start()
                self._impl = watcher
                return
            except Exception as exc:  # no pyudev, no netlink permission: fall back to polling
                log.info("udev monitor unavailable (%s); polling for drives", exc)
        poller = PollingWatcher(self._callback, self._poll_interval)
        poller.start()
        self._impl = poller

    def stop(self) -> None:
        impl, self._impl = self._impl, None
        if impl is not None:
            impl.stop()
