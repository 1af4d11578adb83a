"""`ecs-field verify`'s comparison (verify.py), which takes the image a chunk at a time: a
difference at a chunk or block boundary, and in the last, short piece, is named exactly.

No root needed: a disk image file stands in for the stick (verify only ever reads it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.media.image.source import FileSource
from ecs_field.media.write.verify import verify_device
from ecs_field.media.write.writer import VERIFY_CHUNK
from tests.e2e.write_devices import make_disk_image

MIB = 1024 * 1024
SIZE = 2 * MIB + 3 * VERIFY_CHUNK + 1234  # the last block ends in a short piece


def stick_with(tmp_path: Path, data: bytes, changed: list[int], tail: int = MIB) -> Path:
    stick = tmp_path / "stick.img"
    content = bytearray(data + b"\x00" * tail)
    for at in changed:
        content[at] ^= 0x80
    stick.write_bytes(bytes(content))
    return stick


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    path = tmp_path_factory.mktemp("verify-chunks") / "disk.img"
    return path, make_disk_image(path, SIZE, seed=5)


@pytest.mark.parametrize("at", [
    0, VERIFY_CHUNK - 1, VERIFY_CHUNK, MIB - 1, MIB, 2 * MIB + 3 * VERIFY_CHUNK - 1,
    2 * MIB + 3 * VERIFY_CHUNK, SIZE - 1,
])
def test_one_changed_byte_is_named_exactly(tmp_path: Path, image: tuple[Path, bytes], at: int) -> None:
    path, data = image
    stick = stick_with(tmp_path, data, [at])
    with FileSource(path) as source:
        outcome = verify_device(source, str(stick), mode="raw", image_name=path.name, block_size=MIB)
    assert not outcome.same and outcome.first_difference == at and outcome.bytes_compared == at


def test_a_stick_ending_inside_the_last_piece_differs_where_it_ends(
    tmp_path: Path, image: tuple[Path, bytes]
) -> None:
    path, data = image
    stick = tmp_path / "short.img"
    stick.write_bytes(data[: SIZE - 700])
    with FileSource(path) as source:
        outcome = verify_device(source, str(stick), mode="raw", image_name=path.name, block_size=MIB)
    assert not outcome.same and outcome.first_difference == SIZE - 700


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=SIZE - 1), min_size=0, max_size=4, unique=True))
def test_the_first_of_any_changed_bytes_is_named(
    tmp_path: Path, image: tuple[Path, bytes], changed: list[int]
) -> None:
    path, data = image
    stick = stick_with(tmp_path, data, changed)
    with FileSource(path) as source:
        outcome = verify_device(source, str(stick), mode="raw", image_name=path.name, block_size=MIB)
    if changed:
        assert not outcome.same and outcome.first_difference == min(changed)
    else:
        assert outcome.same and outcome.first_difference is None and outcome.bytes_compared == SIZE
