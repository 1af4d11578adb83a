"""Hypothesis: whatever bytes an image file holds, inspect and the truncation check answer with an
ImageInfo or BadInput (exit 2): no traceback, never an unexpected exception, never a hang."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.errors import BadInput
from ecs_field.media.image.inspect import check_not_truncated, inspect_image


def _mbr(entries: list[tuple[int, int, int, int]]) -> bytes:
    sector = bytearray(512)
    for index, (status, type_id, start, count) in enumerate(entries[:4]):
        sector[446 + 16 * index] = status
        sector[446 + 16 * index + 4] = type_id
        struct.pack_into("<II", sector, 446 + 16 * index + 8, start, count)
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def _pvd(space_blocks: int, block_size: int) -> bytes:
    descriptor = bytearray(2048)
    descriptor[0], descriptor[1:6], descriptor[6] = 1, b"CD001", 1
    struct.pack_into("<I", descriptor, 80, space_blocks)
    struct.pack_into("<H", descriptor, 128, block_size)
    return bytes(descriptor)


entries = st.lists(st.tuples(st.sampled_from([0x00, 0x80, 0x12]), st.integers(0, 255),
                             st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=4)
images = st.one_of(
    st.binary(max_size=4096),
    st.builds(lambda m, tail: m + tail, entries.map(_mbr), st.binary(max_size=2048)),
    st.builds(lambda m, g, tail: m + b"EFI PART" + g + tail, entries.map(_mbr),
              st.binary(min_size=84, max_size=84), st.binary(max_size=1024)),
    st.builds(lambda head, pvd, tail: head.ljust(32768, b"\0") + pvd + tail, st.binary(max_size=512),
              st.builds(_pvd, st.integers(0, 2**32 - 1), st.sampled_from([0, 512, 2048, 65535])),
              st.binary(max_size=8192)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images)
def test_any_bytes_give_an_answer_or_bad_input(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.iso"
        path.write_bytes(content)
        try:
            info = inspect_image(path)
        except BadInput as exc:
            assert exc.exit_code == 2 and exc.message
        else:
            assert info.size_bytes == len(content)
            assert (info.write_mode is None) == bool(info.refusal)
            assert info.write_mode in (None, "raw", "uefi-fat32")
        try:
            check_not_truncated(path)
        except BadInput as exc:
            assert exc.exit_code == 2
