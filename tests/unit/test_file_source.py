"""FileSource reads any range of a raw image, with preadv and with the Windows fallback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecs_field.media.image import source


@pytest.mark.parametrize("use_preadv", [True, False])
def test_read_into_any_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_preadv: bool) -> None:
    data = os.urandom(1_000_003)
    image = tmp_path / "img.bin"
    image.write_bytes(data)
    monkeypatch.setattr(source, "_HAVE_PREADV", use_preadv)
    with source.FileSource(image) as src:
        assert src.size_bytes == len(data)
        for offset, length in [(0, 4096), (12345, 70000), (len(data) - 10, 4096), (len(data), 10)]:
            buffer = bytearray(length)
            got = src.read_into(offset, memoryview(buffer))
            assert bytes(buffer[:got]) == data[offset : offset + length]
            assert got == min(length, max(0, len(data) - offset))
