"""Windows volume locking around a raw write, against a recording fake of the Win32 calls."""

from __future__ import annotations

import pytest

from ecs_field.errors import SafetyRefusal
from ecs_field.media.winvolumes import (
    FSCTL_DISMOUNT_VOLUME,
    FSCTL_LOCK_VOLUME,
    INVALID_HANDLE,
    locked_volumes,
    volume_device_path,
)


class FakeKernel32:
    def __init__(self, *, lock_failures: int = 0, unopenable: str = "") -> None:
        self.calls: list[tuple[str, object]] = []
        self.lock_failures = lock_failures
        self.unopenable = unopenable
        self.next_handle = 100
        self.open: set[int] = set()

    def open_volume(self, path: str) -> int:
        self.calls.append(("open", path))
        if path == self.unopenable:
            return INVALID_HANDLE
        self.next_handle += 1
        self.open.add(self.next_handle)
        return self.next_handle

    def ioctl(self, handle: int, code: int) -> bool:
        self.calls.append(("ioctl", (handle, code)))
        if code == FSCTL_LOCK_VOLUME and self.lock_failures:
            self.lock_failures -= 1
            return False
        return True

    def close(self, handle: int) -> None:
        self.calls.append(("close", handle))
        self.open.discard(handle)

    def volume_name_for_mount_point(self, mount: str) -> str | None:
        self.calls.append(("name", mount))
        return "\\\\?\\Volume{1234}\\" if mount.startswith("C:\\mnt") else None

    def last_error(self) -> int:
        return 32  # ERROR_SHARING_VIOLATION


def test_paths_of_volumes() -> None:
    k = FakeKernel32()
    assert volume_device_path("e:\\", k) == "\\\\.\\E:"
    assert volume_device_path("F:", k) == "\\\\.\\F:"
    assert volume_device_path("\\\\?\\Volume{abcd}\\", k) == "\\\\?\\Volume{abcd}"
    assert volume_device_path("C:\\mnt\\stick\\", k) == "\\\\?\\Volume{1234}"
    assert volume_device_path("C:\\elsewhere\\", k) is None


def test_each_volume_is_locked_then_dismounted_and_held_until_the_end() -> None:
    k = FakeKernel32(lock_failures=2)
    waits: list[float] = []
    with locked_volumes(["E:\\", "C:\\mnt\\stick\\", "E:\\"], kernel32=k, sleep=waits.append) as locked:
        assert locked == ["\\\\.\\E:", "\\\\?\\Volume{1234}"]
        assert len(k.open) == 2  # held open while the write runs
    assert not k.open
    ioctls = [c[1][1] for c in k.calls if c[0] == "ioctl"]  # type: ignore[index]
    assert ioctls == [FSCTL_LOCK_VOLUME] * 3 + [
        FSCTL_DISMOUNT_VOLUME,
        FSCTL_LOCK_VOLUME,
        FSCTL_DISMOUNT_VOLUME,
    ]
    assert waits == [0.5, 0.5]


def test_a_volume_in_use_is_refused_and_every_handle_closed() -> None:
    k = FakeKernel32(lock_failures=99)
    with (
        pytest.raises(SafetyRefusal, match=r"E:.*in use") as caught,
        locked_volumes(["E:\\"], kernel32=k, sleep=lambda _s: None),
    ):
        pass
    assert "Nothing was written" in (caught.value.hint or "")
    assert not k.open


def test_a_volume_that_cannot_be_opened_is_refused() -> None:
    k = FakeKernel32(unopenable="\\\\.\\G:")
    with pytest.raises(SafetyRefusal, match=r"G:.*error 32"), locked_volumes(["F:\\", "G:\\"], kernel32=k):
        pass
    assert not k.open


def test_nothing_to_lock() -> None:
    with locked_volumes([]) as locked:
        assert locked == []
