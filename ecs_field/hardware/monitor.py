"""Tells the app when a network device or USB device comes or goes, so it can re-probe.

Linux: a pyudev netlink monitor on the "usb" and "net" subsystems, read in a daemon thread;
events arriving in a burst (one adapter raises several: usb device, interfaces, netdev) are
collapsed into one callback after a short quiet period. It listens to udevd's events when
udevd runs (names are settled by then) and to the kernel's otherwise (containers, minimal
systems). Elsewhere, or when udev cannot be opened: a thread compares a cheap fingerprint
(the network interfaces psutil sees) every ``interval_s``. A burst ends after 0.3 s of quiet
or 1 s after it began, whichever comes first.
The callback runs in the watcher's thread; GUI callers forward it as a Qt signal.
"""

from __future__ import annotations

import logging
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.3  # quiet time that ends a burst
MAX_DELAY_S = 1.0  # a burst that never goes quiet still reports within this (the GUI promises 2 s)


class EventSource(Protocol):
    """What the watcher needs of a pyudev Monitor (tests hand in a pipe-backed stand-in)."""

    def fileno(self) -> int: ...

    def poll(self, timeout: float | None = None) -> object | None: ...


def interfaces_fingerprint() -> Hashable:
    import psutil

    return tuple(sorted((name, stats.isup) for name, stats in psutil.net_if_stats().items()))


class NetDeviceWatcher:
    def __init__(
        self,
        callback: Callable[[], None],
        interval_s: float = 1.0,
        *,
        fingerprint: Callable[[], Hashable] | None = None,
        use_udev: bool | None = None,
        event_source: EventSource | None = None,
    ) -> None:
        self._callback = callback
        self._interval = interval_s
        self._fingerprint = fingerprint or interfaces_fingerprint
        self._use_udev = sys.platform.startswith("linux") if use_udev is None else use_udev
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._event_source = event_source  # stands in for the udev monitor in tests
        self.mode = ""  # "udev", "kernel", "events" or "poll" once started

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        monitor = self._event_source
        if monitor is not None:
            self.mode = "events"
        elif self._use_udev:
            monitor = self._open_udev()
        if monitor is not None:
            self._wake_r, self._wake_w = os.pipe()
            thread = threading.Thread(
                target=self._run_udev, args=(monitor,), name="net-device-watcher", daemon=True
            )
        else:
            self.mode = "poll"
            thread = threading.Thread(target=self._run_poll, name="net-device-watcher", daemon=True)
        self._thread = thread
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r, self._wake_w = -1, -1

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> NetDeviceWatcher:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _fire(self) -> None:
        try:
            self._callback()
        except Exception:  # a broken listener must not kill the watcher
            log.exception("device change callback failed")

    def _open_udev(self) -> EventSource | None:
        try:
            import pyudev

            source = "udev" if Path("/run/udev/control").exists() else "kernel"
            monitor = pyudev.Monitor.from_netlink(pyudev.Context(), source=source)
            monitor.filter_by("usb")
            monitor.filter_by("net")
            monitor.start()
        except Exception as exc:  # no libudev, no netlink permission: fall back to polling
            log.info("udev monitor unavailable (%s); polling instead", exc)
            return None
        self.mode = source
        return monitor

    def _run_udev(self, monitor: EventSource) -> None:
        poller = select.poll()
        poller.register(monitor.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        first: float | None = None  # when the current burst began
        last = 0.0  # its latest event
        while not self._stop.is_set():
            if first is None:
                timeout_ms = -1
            else:
                due = min(last + DEBOUNCE_S, first + MAX_DELAY_S)
                timeout_ms = max(0, int((due - time.monotonic()) * 1000))
            events = poller.poll(timeout_ms)
            if self._stop.is_set():
                break
            if any(fd == monitor.fileno() for fd, _ in events):
                while monitor.poll(timeout=0) is not None:
                    pass  # drain what is queued
                last = time.monotonic()
                first = first if first is not None else last
            now = time.monotonic()
            if first is not None and (now >= last + DEBOUNCE_S or now >= first + MAX_DELAY_S):
                first = None
                self._fire()

    def _run_poll(self) -> None:
        try:
            last = self._fingerprint()
        except Exception:
            log.exception("device fingerprint failed")
            last = None
        while not self._stop.wait(self._interval):
            try:
                current = self._fingerprint()
            except Exception:
                log.exception("device fingerprint failed")
                continue
            if current != last:
                last = current
                self._fire()
