from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from ecs_field.hardware.monitor import DEBOUNCE_S, NetDeviceWatcher
from tests.conftest import needs_root


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()


def test_polling_fires_on_change_only() -> None:
    state = {"value": ("eth0",)}
    seen = Counter()
    watcher = NetDeviceWatcher(seen, interval_s=0.02, fingerprint=lambda: state["value"], use_udev=False)
    with watcher:
        assert watcher.mode == "poll" and watcher.running
        time.sleep(0.1)
        assert seen.count == 0
        state["value"] = ("eth0", "enx00e04c680076")
        assert seen.event.wait(5)
    assert seen.count == 1


def test_a_failing_fingerprint_or_callback_does_not_kill_the_watcher() -> None:
    calls = {"n": 0}

    def flaky() -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("transient")
        return calls["n"] // 4

    seen = Counter()

    def callback() -> None:
        seen()
        raise RuntimeError("listener bug")

    with NetDeviceWatcher(callback, interval_s=0.01, fingerprint=flaky, use_udev=False):
        assert seen.event.wait(5)


class PipeEvents:
    """A stand-in for the udev monitor: each byte written to the pipe is one event."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)

    def fileno(self) -> int:
        return self.read_fd

    def poll(self, timeout: float | None = None) -> object | None:
        try:
            return os.read(self.read_fd, 1) or None
        except BlockingIOError:
            return None

    def emit(self, count: int) -> None:
        os.write(self.write_fd, b"e" * count)

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)


def test_a_burst_of_events_is_one_callback_and_the_next_burst_another() -> None:
    events, seen = PipeEvents(), Counter()
    try:
        with NetDeviceWatcher(seen, event_source=events) as watcher:
            assert watcher.mode == "events"
            events.emit(5)  # one adapter: usb device, its interfaces, the netdev
            assert seen.event.wait(5)
            time.sleep(DEBOUNCE_S * 2)
            assert seen.count == 1
            seen.event.clear()
            events.emit(2)
            assert seen.event.wait(5)
        assert not watcher.running
        assert seen.count == 2
    finally:
        events.close()


@needs_root
@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not shutil.which("ip"), reason="needs Linux and iproute2"
)
def test_udev_reports_a_real_netdev_coming_and_going() -> None:
    seen = Counter()
    watcher = NetDeviceWatcher(seen)
    watcher.start()
    try:
        assert watcher.mode in ("udev", "kernel")
        added = subprocess.run(
            ["ip", "link", "add", "ecsftest0", "type", "veth", "peer", "name", "ecsftest0p"],
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            pytest.skip(f"cannot create a veth pair here: {added.stderr.strip()}")
        started = time.monotonic()
        assert seen.event.wait(5), "no callback after adding a network device"
        print(f"callback after {time.monotonic() - started:.2f} s ({watcher.mode})")
        seen.event.clear()
        subprocess.run(["ip", "link", "del", "ecsftest0"], check=True)
        assert seen.event.wait(5), "no callback after removing a network device"
    finally:
        subprocess.run(["ip", "link", "del", "ecsftest0"], capture_output=True)
        watcher.stop()
    assert not watcher.running
