"""Windows: lock and dismount a stick's volumes for the whole raw write.

Windows refuses raw writes to sectors of a mounted volume (ERROR_ACCESS_DENIED) and may remount
a volume in the middle of a write (reference/writers.md: ETC #2822, FMW #669). The documented
way is to open each volume (``\\\\.\\E:``), take FSCTL_LOCK_VOLUME and FSCTL_DISMOUNT_VOLUME,
and keep those handles open until the write is done; when they close, Windows mounts whatever
the stick holds now. A volume that cannot be locked (files open on it) is retried briefly, then
refused with a message naming it.

The Win32 calls go through a small ``Kernel32`` seam so tests can run them against a recording
fake; only Windows has the real one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from ecs_field.errors import SafetyRefusal

log = logging.getLogger(__name__)

FSCTL_LOCK_VOLUME = 0x00090018
FSCTL_DISMOUNT_VOLUME = 0x00090020
GENERIC_READ = 0x80000000
GENERIC_WRITE = 0x40000000
FILE_SHARE_READ = 0x1
FILE_SHARE_WRITE = 0x2
OPEN_EXISTING = 3
INVALID_HANDLE = -1


class Kernel32(Protocol):
    def open_volume(self, path: str) -> int: ...  # INVALID_HANDLE on failure
    def ioctl(self, handle: int, code: int) -> bool: ...
    def close(self, handle: int) -> None: ...
    def volume_name_for_mount_point(self, mount: str) -> str | None: ...
    def last_error(self) -> int: ...


class _RealKernel32:  # pragma: no cover - Windows only
    def __init__(self) -> None:
        import ctypes
        from ctypes import wintypes

        self._ctypes = ctypes
        k = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        k.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p,
                                  wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
        k.CreateFileW.restype = wintypes.HANDLE
        k.DeviceIoControl.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.c_void_p, wintypes.DWORD,
                                      ctypes.c_void_p, wintypes.DWORD, ctypes.POINTER(wintypes.DWORD),
                                      ctypes.c_void_p]
        k.DeviceIoControl.restype = wintypes.BOOL
        k.CloseHandle.argtypes = [wintypes.HANDLE]
        k.GetVolumeNameForVolumeMountPointW.argtypes = [wintypes.LPCWSTR, wintypes.LPWSTR, wintypes.DWORD]
        k.GetVolumeNameForVolumeMountPointW.restype = wintypes.BOOL
        self._k = k
        self._wintypes = wintypes

    def open_volume(self, path: str) -> int:
        handle = self._k.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                     None, OPEN_EXISTING, 0, None)
        value = handle if isinstance(handle, int) else getattr(handle, "value", None)
        if value is None or value == self._ctypes.c_void_p(-1).value:
            return INVALID_HANDLE
        return int(value)

    def ioctl(self, handle: int, code: int) -> bool:
        returned = self._wintypes.DWORD(0)
        ok = self._k.DeviceIoControl(handle, code, None, 0, None, 0, self._ctypes.byref(returned), None)
        return bool(ok)

    def close(self, handle: int) -> None:
        self._k.CloseHandle(handle)

    def volume_name_for_mount_point(self, mount: str) -> str | None:
        buffer = self._ctypes.create_unicode_buffer(64)
        path = mount if mount.endswith("\\") else mount + "\\"
        if not self._k.GetVolumeNameForVolumeMountPointW(path, buffer, len(buffer)):
            return None
        return str(buffer.value)

    def last_error(self) -> int:
        return int(self._ctypes.get_last_error())  # type: ignore[attr-defined]


def volume_device_path(mount: str, kernel32: Kernel32) -> str | None:
    """``E:\\`` -> ``\\\\.\\E:``; a folder mount -> its ``\\\\?\\Volume{...}`` (no trailing backslash)."""
    text = mount.strip()
    # Drive letters are A-Z only: "ß:".upper() would give "SS:", "é:" no drive at all.
    letter, colon, rest = text[:1], text[1:2], text[2:]
    if colon == ":" and letter.isascii() and letter.isalpha() and rest in ("", "\\", "/"):
        return f"\\\\.\\{text[0].upper()}:"
    if text.startswith("\\\\?\\Volume{"):
        return text.rstrip("\\")
    name = kernel32.volume_name_for_mount_point(text)
    return name.rstrip("\\") if name else None


@contextlib.contextmanager
def locked_volumes(
    mounts: Sequence[str],
    *,
    kernel32: Kernel32 | None = None,
    tries: int = 5,
    wait_s: float = 0.5,
    sleep: Any = time.sleep,
) -> Iterator[list[str]]:
    """Lock and dismount every volume in ``mounts`` until the block ends; yields the volume paths."""
    if not mounts:
        yield []
        return
    k = kernel32 or _RealKernel32()
    handles: list[int] = []
    locked: list[str] = []
    try:
        for mount in mounts:
            path = volume_device_path(mount, k)
            if path is None or path in locked:
                continue
            handle = k.open_volume(path)
            if handle == INVALID_HANDLE:
                raise SafetyRefusal(f"cannot open the volume {mount} (Windows error {k.last_error()})",
                                    "Nothing was written. Close programs using the stick and try again.")
            handles.append(handle)
            for attempt in range(tries):
                if k.ioctl(handle, FSCTL_LOCK_VOLUME):
                    break
                log.info("lock of %s failed (try %d): error %d", mount, attempt + 1, k.last_error())
                if attempt + 1 < tries:
                    sleep(wait_s)
            else:
                raise SafetyRefusal(
                    f"the volume {mount} is in use and cannot be locked for writing",
                    "Nothing was written. Close files and windows using the stick (Explorer, editors, "
                    "antivirus scans), then try again.",
                )
            if not k.ioctl(handle, FSCTL_DISMOUNT_VOLUME):
                raise SafetyRefusal(f"the volume {mount} could not be dismounted (Windows error "
                                    f"{k.last_error()})", "Nothing was written. Eject the stick's volume "
                                    "in Explorer, then try again.")
            locked.append(path)
        yield locked
    finally:
        for handle in reversed(handles):
            k.close(handle)
