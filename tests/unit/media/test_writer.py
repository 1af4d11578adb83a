"""The write + verify pipeline on real loop devices (as root), with FileSource images."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from ecs_field.errors import BadInput, Cancelled, DeviceError, SafetyRefusal
from ecs_field.events import CancelToken, Progress
from ecs_field.media.image.source import FileSource
from ecs_field.media.write.blockio import MiB
from ecs_field.media.write.writer import PHASES, ChecksumMismatch, ImageChanged, write_image
from tests.conftest import needs_root
from tests.e2e.write_devices import has_partition_table, loop_device, make_disk_image

pytestmark = [needs_root, pytest.mark.root]

PATTERN = b"\xaa"


def fill(backing: Path, size: int) -> None:
    """Old content on the "stick": a pattern and a valid-looking MBR, to see what gets wiped."""
    data = bytearray(PATTERN * size)
    data[510:512] = b"\x55\xaa"
    backing.write_bytes(data)


def device_bytes(loop: str, offset: int = 0, length: int | None = None) -> bytes:
    with open(loop, "rb") as handle:
        handle.seek(offset)
        return handle.read(length if length is not None else -1)


class HookedSource(FileSource):
    """A FileSource that runs ``hook(offset)`` before each read (to cancel, stall or change the file)."""

    def __init__(self, path: Path, hook) -> None:  # type: ignore[no-untyped-def]
        super().__init__(path)
        self.hook = hook

    def read_into(self, offset: int, buffer: memoryview) -> int:
        self.hook(offset)
        return super().read_into(offset, buffer)


def test_raw_write_is_byte_for_byte_and_verified(tmp_path: Path) -> None:
    size = 9 * MiB + 123  # an unaligned tail: written buffered, never padded
    image = tmp_path / "disk.img"
    data = make_disk_image(image, size)
    events: list[Progress] = []
    with loop_device(32 * MiB, tmp_path) as (loop, backing):
        fill(backing, 32 * MiB)
        with FileSource(image) as source:
            result = write_image(source, loop, progress=events.append, expected_sha256=None)
        on_device = device_bytes(loop)
    assert on_device[:size] == data
    # Nothing beyond the image is written except the wiped last MiB of the device.
    assert on_device[size : 31 * MiB] == PATTERN * (31 * MiB - size)
    assert on_device[31 * MiB :] == bytes(MiB)
    assert result.verified and result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.verify_sha256 == result.sha256 and result.bytes_written == size
    assert [p.phase for p in result.phases] == ["prepare", "write", "flush", "verify", "boot-record"]
    assert result.phases[1].rate_bps > 0
    phases = [e.phase for e in events]
    assert set(phases) <= set(PHASES)
    order = list(dict.fromkeys(phases))
    assert order == ["prepare", "write", "flush", "verify", "done"]
    assert events[-1].bytes_done == events[-1].bytes_total == size
    assert "not verified" not in result.summary.lower()


def test_no_verify_says_so(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 3 * MiB)
    events: list[Progress] = []
    with loop_device(8 * MiB, tmp_path) as (loop, _), FileSource(image) as source:
        result = write_image(source, loop, verify=False, progress=events.append)
    assert not result.verified and result.verify_sha256 is None
    assert "NOT verified" in result.summary
    assert "verify" not in {e.phase for e in events}
    assert "NOT verified" in events[-1].message


def test_cancel_leaves_no_partition_table_and_block0_not_written_early(tmp_path: Path) -> None:
    size = 12 * MiB
    image = tmp_path / "disk.img"
    make_disk_image(image, size)
    cancel = CancelToken()
    seen_at_cancel: dict[str, bytes] = {}

    def hook(offset: int) -> None:
        if offset == 8 * MiB:  # the last block is being read: blocks 1.. may be on the stick, not block 0
            seen_at_cancel["head"] = device_bytes(loop, 0, 512)
            seen_at_cancel["tail"] = device_bytes(loop, 31 * MiB, MiB)
            cancel.cancel()

    events: list[Progress] = []
    with loop_device(32 * MiB, tmp_path) as (loop, backing):
        fill(backing, 32 * MiB)
        with HookedSource(image, hook) as source, pytest.raises(Cancelled) as caught:
            write_image(source, loop, progress=events.append, cancel=cancel)
        head = device_bytes(loop, 0, MiB)
    assert caught.value.exit_code == 130
    assert not has_partition_table(seen_at_cancel["head"])  # wiped before writing started
    assert seen_at_cancel["tail"] == bytes(MiB)  # last MiB wiped too (backup GPT)
    assert head == bytes(MiB)  # and still no partition table after the cancel
    assert events[-1].phase == "error" and "ancel" in events[-1].message
    assert "done" not in {e.phase for e in events}


def test_wrong_expected_sha256_stops_before_block0_and_verify(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 10 * MiB)
    events: list[Progress] = []
    with loop_device(16 * MiB, tmp_path) as (loop, backing):
        fill(backing, 16 * MiB)
        with FileSource(image) as source, pytest.raises(ChecksumMismatch) as caught:
            write_image(source, loop, expected_sha256="0" * 64, progress=events.append)
        head = device_bytes(loop, 0, 512)
    assert caught.value.exit_code == 2
    assert "expected " + "0" * 64 in caught.value.message
    assert not has_partition_table(head)
    assert {"verify", "done"}.isdisjoint(e.phase for e in events)


def test_right_expected_sha256_passes(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 2 * MiB + 512)
    with loop_device(8 * MiB, tmp_path) as (loop, _), FileSource(image) as source:
        result = write_image(source, loop, expected_sha256=hashlib.sha256(data).hexdigest().upper())
    assert result.verified


def test_bad_sha256_text_is_refused_before_opening(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with FileSource(image) as source, pytest.raises(BadInput, match="64 hex"):
        write_image(source, "/dev/null-not-opened", expected_sha256="abc")


def test_image_changing_during_write_is_an_error(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 12 * MiB)

    def hook(offset: int) -> None:
        if offset == 4 * MiB:
            with open(image, "r+b") as handle:  # someone rewrites the image mid-write
                handle.seek(5 * MiB)
                handle.write(b"changed")
            os.utime(image, ns=(time.time_ns(), time.time_ns() + 10**9))

    with loop_device(16 * MiB, tmp_path) as (loop, _):
        with HookedSource(image, hook) as source, pytest.raises(ImageChanged) as caught:
            write_image(source, loop)
        head = device_bytes(loop, 0, 512)
    assert caught.value.exit_code == 2 and "changed while it was being written" in caught.value.message
    assert not has_partition_table(head)


def test_image_shrinking_during_write_is_an_error(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 12 * MiB)

    def hook(offset: int) -> None:
        if offset == 4 * MiB:
            os.truncate(image, 6 * MiB)

    with loop_device(16 * MiB, tmp_path) as (loop, _):
        with HookedSource(image, hook) as source, pytest.raises(ImageChanged, match="ended at offset"):
            write_image(source, loop)
        assert not has_partition_table(device_bytes(loop, 0, 512))


def test_device_smaller_than_image_is_refused_untouched(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 9 * MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, backing):
        fill(backing, 8 * MiB)
        before = device_bytes(loop)
        with FileSource(image) as source, pytest.raises(SafetyRefusal) as caught:
            write_image(source, loop)
        assert device_bytes(loop) == before
    assert caught.value.exit_code == 4 and "Nothing was written" in (caught.value.hint or "")


def test_stall_watchdog_reports_the_stick_not_answering(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 12 * MiB)
    release = threading.Event()

    def hook(offset: int) -> None:
        if offset == 8 * MiB:
            release.wait(5)  # nothing moves for ten times the stall limit

    with loop_device(16 * MiB, tmp_path) as (loop, _):
        try:
            with HookedSource(image, hook) as source, pytest.raises(DeviceError) as caught:
                write_image(source, loop, stall_timeout_s=0.5)
        finally:
            release.set()
    assert caught.value.exit_code == 5 and "stopped answering" in caught.value.message


def test_busy_device_is_not_opened(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, _):
        holder = os.open(loop, os.O_RDONLY | os.O_EXCL)  # as a mount would hold it
        try:
            with FileSource(image) as source, pytest.raises(SafetyRefusal, match="in use"):
                write_image(source, loop)
        finally:
            os.close(holder)


def test_regular_file_is_never_a_target(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    target = tmp_path / "not-a-device.img"
    target.write_bytes(b"keep me")
    with FileSource(image) as source, pytest.raises(SafetyRefusal, match="not a device"):
        write_image(source, str(target))
    assert target.read_bytes() == b"keep me"
