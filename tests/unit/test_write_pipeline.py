"""The pipelined write and verify passes (writer.py): a reader thread hands blocks to a writer
(write pass) and a reader of the stick hands blocks to a comparer (verify pass).

On real loop devices (as root). The stick is made to differ from the image by changing the loop
device's backing file when the verify pass starts (the loop device reads it through the page
cache, so the read-back sees the change): what a stick that lost or changed bytes looks like.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ecs_field.errors import Cancelled, DeviceError, VerifyMismatch
from ecs_field.events import CancelToken, Progress
from ecs_field.media.image.source import FileSource
from ecs_field.media.write.blockio import MiB
from ecs_field.media.write.writer import VERIFY_CHUNK, ImageChanged, write_image
from tests.conftest import needs_root
from tests.e2e.write_devices import has_partition_table, loop_device, make_disk_image

pytestmark = [needs_root, pytest.mark.root]

BLOCK = 4 * MiB
IMAGE_SIZE = 18 * MiB + 1536  # five blocks, the last one short and not a whole number of chunks


def head_of(loop: str, length: int = MiB) -> bytes:
    with open(loop, "rb") as handle:
        return handle.read(length)


def on_verify(action: Callable[[], None]) -> Callable[[Progress], None]:
    """A progress listener that runs ``action`` once, when the verify phase begins."""
    fired: list[bool] = []

    def listener(event: Progress) -> None:
        if event.phase == "verify" and not fired:
            fired.append(True)
            action()

    return listener


class VerifyHookedSource(FileSource):
    """Runs ``hook(offset)`` before every read the verify pass makes (reads after ``armed`` is set)."""

    def __init__(self, path: Path, hook: Callable[[int], None]) -> None:
        super().__init__(path)
        self.hook = hook
        self.armed = False

    def read_into(self, offset: int, buffer: memoryview) -> int:
        if self.armed:
            self.hook(offset)
        return super().read_into(offset, buffer)


@pytest.fixture
def image(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "disk.img"
    return path, make_disk_image(path, IMAGE_SIZE)


# Offsets in blocks 1..3 (block 0 and the last block are the boot record, checked after they go
# on): block boundaries, chunk boundaries inside a block, the bytes either side of them.
OFFSETS = [
    BLOCK,  # first byte of the first verified block
    BLOCK + 1,
    BLOCK + VERIFY_CHUNK - 1,  # last byte of a chunk
    BLOCK + VERIFY_CHUNK,  # first byte of the next chunk
    2 * BLOCK - 1,  # last byte of a block
    2 * BLOCK,  # first byte of the next block (a buffer handed over after the first)
    3 * BLOCK + 3 * VERIFY_CHUNK + 17,
    4 * BLOCK - 1,  # last byte before the kept last block
]


@pytest.mark.parametrize("at", OFFSETS)
def test_a_changed_byte_on_the_stick_is_named_exactly_and_no_boot_record_goes_on(
    tmp_path: Path, image: tuple[Path, bytes], at: int
) -> None:
    path, data = image
    with loop_device(24 * MiB, tmp_path) as (loop, backing):

        def corrupt() -> None:
            fd = os.open(backing, os.O_WRONLY)
            try:
                os.pwrite(fd, bytes([data[at] ^ 0x5A]), at)
                os.fsync(fd)
            finally:
                os.close(fd)

        events: list[Progress] = []
        listener = on_verify(corrupt)

        def progress(event: Progress) -> None:
            events.append(event)
            listener(event)

        with FileSource(path) as source, pytest.raises(VerifyMismatch) as caught:
            write_image(source, loop, progress=progress)
        head = head_of(loop)
    assert caught.value.exit_code == 6
    assert f"first at offset {at}" in caught.value.message
    assert head == bytes(MiB) and not has_partition_table(head)  # the boot record never went on
    assert events[-1].phase == "error" and "done" not in {e.phase for e in events}


def test_two_changed_bytes_report_the_first_even_across_blocks(
    tmp_path: Path, image: tuple[Path, bytes]
) -> None:
    """The comparer works in image order: the later block's difference is not the one named."""
    path, data = image
    first, second = 2 * BLOCK + 5, 3 * BLOCK + 7
    with loop_device(24 * MiB, tmp_path) as (loop, backing):

        def corrupt() -> None:
            with open(backing, "r+b") as handle:
                for at in (second, first):
                    handle.seek(at)
                    handle.write(bytes([data[at] ^ 0xFF]))

        with FileSource(path) as source, pytest.raises(VerifyMismatch, match=f"first at offset {first}"):
            write_image(source, loop, progress=on_verify(corrupt))


def test_many_blocks_through_two_buffers_arrive_whole_and_in_place(tmp_path: Path) -> None:
    """More blocks than buffers, a block size of 1 MiB and an odd tail: every byte lands where it belongs."""
    path = tmp_path / "disk.img"
    data = make_disk_image(path, 21 * MiB + 512 + 3, seed=7)
    with loop_device(24 * MiB, tmp_path) as (loop, _), FileSource(path) as source:
        result = write_image(source, loop, block_size=MiB, queue_depth=2)
        with open(loop, "rb") as handle:
            written = handle.read(len(data))
            rest = handle.read()
    assert result.verified and written == data
    assert rest == bytes(len(rest))  # nothing past the image was touched (the loop started zeroed)
    assert [p.phase for p in result.phases] == ["prepare", "write", "flush", "verify", "boot-record"]


def test_hashing_beside_the_pipelined_writer_gives_the_image_sha256(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "disk.img"
    data = make_disk_image(path, 13 * MiB + 512, seed=3)
    with loop_device(16 * MiB, tmp_path) as (loop, _), FileSource(path) as source:
        result = write_image(source, loop, block_size=MiB)
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_the_image_shrinking_during_verify_is_image_changed_and_leaves_no_boot_record(
    tmp_path: Path, image: tuple[Path, bytes]
) -> None:
    path, _ = image
    with loop_device(24 * MiB, tmp_path) as (loop, _):
        source = VerifyHookedSource(path, lambda offset: os.truncate(path, 2 * BLOCK + 100))
        with source, pytest.raises(ImageChanged) as caught:
            write_image(source, loop, progress=on_verify(lambda: setattr(source, "armed", True)))
        head = head_of(loop)
    assert caught.value.exit_code == 2
    assert "during verification" in caught.value.message and "ended at offset" in caught.value.message
    assert head == bytes(MiB)


def test_cancel_during_the_pipelined_verify_leaves_no_boot_record(
    tmp_path: Path, image: tuple[Path, bytes]
) -> None:
    path, _ = image
    cancel = CancelToken()

    def hook(offset: int) -> None:
        if offset >= 2 * BLOCK:
            cancel.cancel()

    events: list[Progress] = []
    with loop_device(24 * MiB, tmp_path) as (loop, _):
        source = VerifyHookedSource(path, hook)
        arm = on_verify(lambda: setattr(source, "armed", True))

        def progress(event: Progress) -> None:
            events.append(event)
            arm(event)

        with source, pytest.raises(Cancelled) as caught:
            write_image(source, loop, progress=progress, cancel=cancel)
        head = head_of(loop)
        with open(loop, "rb") as handle:
            handle.seek(4 * BLOCK)
            last_block = handle.read(IMAGE_SIZE - 4 * BLOCK)
    assert caught.value.exit_code == 130
    assert head == bytes(MiB) and not has_partition_table(head)
    assert last_block == bytes(len(last_block))  # the kept last block (a backup GPT's place) never went on
    assert "verify" in {e.phase for e in events} and events[-1].phase == "error"


def test_a_stall_in_the_verify_pass_fires_the_watchdog(tmp_path: Path, image: tuple[Path, bytes]) -> None:
    import threading

    path, _ = image
    release = threading.Event()

    def hook(offset: int) -> None:
        if offset >= 2 * BLOCK:
            release.wait(5)  # the comparer waits; nothing moves for ten times the stall limit

    with loop_device(24 * MiB, tmp_path) as (loop, _):
        source = VerifyHookedSource(path, hook)
        try:
            with source, pytest.raises(DeviceError) as caught:
                write_image(source, loop, stall_timeout_s=0.5,
                            progress=on_verify(lambda: setattr(source, "armed", True)))
        finally:
            release.set()
        head = head_of(loop)
    assert caught.value.exit_code == 5 and "stopped answering" in caught.value.message
    assert "during verify" in caught.value.message
    assert head == bytes(MiB)
