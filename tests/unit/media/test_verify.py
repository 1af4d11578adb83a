"""`ecs-field verify`: read-only comparison of a stick with its image; exit 0 same, 6 different.

These run without root: a disk image file stands in for the stick (verify accepts one, and
only ever reads it). The loop-device runs are in tests/e2e/test_kickstart_boot.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_field.errors import BadInput
from ecs_field.media.image.source import FileSource
from ecs_field.media.write import verify as verify_module
from ecs_field.media.write.verify import verify_device
from ecs_field.media.write.writer import first_difference
from tests.clirun import run_process
from tests.conftest import have
from tests.e2e.write_devices import make_disk_image
from tests.fixtures.efi.esxi_like_iso import build_esxi_like_iso

MIB = 1024 * 1024


@pytest.fixture
def image_and_stick(tmp_path: Path) -> tuple[Path, Path, bytes]:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 9 * MIB + 123)  # a tail that is not a whole sector
    stick = tmp_path / "stick.img"
    stick.write_bytes(data + b"\x00" * (3 * MIB))  # a stick is larger than the image
    return image, stick, data


def test_same_stick_exits_0_and_changes_nothing(image_and_stick: tuple[Path, Path, bytes]) -> None:
    image, stick, _ = image_and_stick
    before = stick.stat()
    content = stick.read_bytes()
    done = run_process("verify", str(image), str(stick), "--mode", "raw", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["same"] is True and document["first_difference"] is None
    assert document["bytes_compared"] == document["bytes_total"] == image.stat().st_size
    assert "SAME:" in done.stderr
    assert stick.read_bytes() == content and stick.stat().st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize("at", [0, 511, 4 * MIB - 1, 4 * MIB, 9 * MIB + 122])
def test_one_changed_byte_exits_6_naming_its_offset(
    image_and_stick: tuple[Path, Path, bytes], at: int
) -> None:
    image, stick, data = image_and_stick
    with open(stick, "r+b") as handle:
        handle.seek(at)
        handle.write(bytes([data[at] ^ 0x01]))
    done = run_process("verify", str(image), str(stick), "--mode", "raw", "--json")
    assert done.returncode == 6, done.stderr
    assert json.loads(done.stdout)["first_difference"] == at
    assert f"first difference at offset {at}" in done.stderr


def test_a_stick_smaller_than_the_image_differs_where_it_ends(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 6 * MIB)
    stick = tmp_path / "short.img"
    stick.write_bytes(data[: 5 * MIB])
    with FileSource(image) as source:
        outcome = verify_device(source, str(stick), mode="raw", image_name=image.name)
    assert not outcome.same and outcome.first_difference == 5 * MIB


def test_verify_never_opens_the_device_for_writing(
    image_and_stick: tuple[Path, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    image, stick, _ = image_and_stick
    opened: list[tuple[str, int]] = []
    real_open = os.open

    def spy(path: str, flags: int, *args: int) -> int:
        opened.append((str(path), flags))
        return real_open(path, flags, *args)

    monkeypatch.setattr(verify_module.os, "open", spy)
    with FileSource(image) as source:
        assert verify_device(source, str(stick), mode="raw", image_name=image.name).same
    device_opens = [flags for path, flags in opened if path == str(stick)]
    assert device_opens
    for flags in device_opens:
        assert flags & (os.O_WRONLY | os.O_RDWR) == 0
        assert flags & os.O_CREAT == 0 and flags & getattr(os, "O_TRUNC", 0) == 0


def test_a_fifo_is_refused_without_waiting(image_and_stick: tuple[Path, Path, bytes], tmp_path: Path) -> None:
    image, _, _ = image_and_stick
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = run_process("verify", str(image), str(fifo), "--mode", "raw", timeout=20)
    assert done.returncode == 2, done.stderr
    assert "neither a drive nor a disk image file" in done.stderr


@pytest.mark.parametrize("device", ["missing-device", "."])
def test_bad_devices_are_bad_input(image_and_stick: tuple[Path, Path, bytes], device: str) -> None:
    image, _, _ = image_and_stick
    with FileSource(image) as source, pytest.raises(BadInput):
        verify_device(source, device, mode="raw", image_name=image.name)


def test_bad_image_is_exit_2(tmp_path: Path) -> None:
    done = run_process("verify", str(tmp_path / "nope.iso"), str(tmp_path))
    assert done.returncode == 2


@pytest.mark.skipif(
    not all(have(t) for t in ("xorriso", "mcopy", "mkfs.fat")), reason="needs xorriso, mtools"
)
def test_fat32_stick_difference_names_the_file(tmp_path: Path) -> None:
    from ecs_field.media.image.fat32 import Fat32StickSource, build_stick_image

    built = build_esxi_like_iso(tmp_path)
    stick = tmp_path / "stick.img"
    build_stick_image(built.iso, stick)
    with Fat32StickSource(built.iso) as source:
        at = source._starts[source._labels.index("/B.B00")] + 1000
    with open(stick, "r+b") as handle:
        handle.seek(at)
        value = handle.read(1)
        handle.seek(at)
        handle.write(bytes([value[0] ^ 0xFF]))
    done = run_process("verify", str(built.iso), str(stick), "--json")
    assert done.returncode == 6, done.stderr
    document = json.loads(done.stdout)
    assert document["mode"] == "uefi-fat32" and document["first_difference"] == at
    assert document["where"] == "/B.B00 (byte 1000 of the file)"
    assert "(/B.B00 (byte 1000 of the file))" in done.stderr


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=3000), st.data())
def test_first_difference_is_the_first_differing_index(expected: bytes, data: st.DataObject) -> None:
    actual = bytearray(expected)
    index = data.draw(st.integers(0, len(expected) - 1))
    actual[index] ^= data.draw(st.integers(1, 255))
    for later in data.draw(st.lists(st.integers(index, len(expected) - 1), max_size=5)):
        if later > index:  # differences after the first one do not move it
            actual[later] ^= 0x5A
    assert first_difference(memoryview(expected), memoryview(actual)) == index
    assert first_difference(memoryview(expected), memoryview(expected)) == len(expected)
    assert first_difference(memoryview(expected), memoryview(expected[:index])) == index
