"""The SHA-256 cache: an image is hashed once, and a changed file is never trusted from the cache."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from ecs_field.media.image.source import FileSource
from ecs_field.media.library import hashing
from ecs_field.media.library.hashing import cached_sha256, normalize_sha256, remember_sha256, sha256_file
from ecs_field.media.write.fingerprint import ImageFingerprint
from ecs_field.media.write.writer import ChecksumMismatch, write_image


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "image.iso"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    return path


def test_a_full_hash_is_remembered_for_this_very_file(image: Path) -> None:
    assert cached_sha256(image) is None
    digest = sha256_file(image)
    assert digest == hashlib.sha256(image.read_bytes()).hexdigest()
    assert cached_sha256(image) == digest
    assert cached_sha256(image, ImageFingerprint.take(image)) == digest  # a fingerprint is an identity too
    assert cached_sha256(image, variant="uefi-fat32@x") is None  # a stream made from it is another thing


def test_a_partial_hash_is_not_remembered(image: Path) -> None:
    sha256_file(image, limit=1000)
    assert cached_sha256(image) is None


def test_an_edited_file_misses_the_cache_even_with_its_old_times(image: Path) -> None:
    sha256_file(image)
    info = image.stat()
    with open(image, "r+b") as handle:
        handle.write(b"X")
    os.utime(image, ns=(info.st_atime_ns, info.st_mtime_ns))  # the modification time put back
    assert cached_sha256(image) is None  # the change time moved: hashed again


def test_a_replaced_file_misses_the_cache(image: Path, tmp_path: Path) -> None:
    sha256_file(image)
    other = tmp_path / "other"
    other.write_bytes(image.read_bytes())
    os.replace(other, image)
    assert cached_sha256(image) is None


def test_a_file_changed_while_hashed_is_not_remembered(image: Path) -> None:
    before = image.stat()
    with open(image, "ab") as handle:
        handle.write(b"more")
    remember_sha256(image, before, "ab" * 32)
    assert cached_sha256(image) is None and cached_sha256(image, before) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"[]",
        b'{"schema": "other"}',
        b'{"schema": "ecs-field/sha256-cache@1", "entries": [1, {"sha256": "zz"}]}',
    ],
)
def test_a_damaged_cache_is_an_empty_one(image: Path, content: bytes) -> None:
    hashing._cache_path().parent.mkdir(parents=True, exist_ok=True)
    hashing._cache_path().write_bytes(content)
    assert cached_sha256(image) is None
    digest = sha256_file(image)  # and it is rewritten whole
    assert cached_sha256(image) == digest
    assert json.loads(hashing._cache_path().read_text())["schema"] == hashing.CACHE_SCHEMA


def test_the_cache_keeps_the_newest_entries(tmp_path: Path) -> None:
    paths = []
    for n in range(hashing.CACHE_ENTRIES + 3):
        path = tmp_path / f"f{n}"
        path.write_bytes(str(n).encode())
        sha256_file(path)
        paths.append(path)
    assert cached_sha256(paths[0]) is None
    assert cached_sha256(paths[-1]) == hashlib.sha256(str(len(paths) - 1).encode()).hexdigest()


@pytest.mark.parametrize("text", ["SHA256:" + "AB" * 32, "  " + "ab" * 32 + "\n"])
def test_one_normalisation_for_every_sha256_text(text: str) -> None:
    assert normalize_sha256(text) == "ab" * 32


def test_a_known_hash_that_is_not_the_expected_one_is_refused_before_the_device_is_opened(
    image: Path, tmp_path: Path
) -> None:
    never = tmp_path / "no-such-device"  # opening it would fail differently (exit 5)
    with FileSource(image) as source, pytest.raises(ChecksumMismatch) as caught:
        write_image(source, str(never), expected_sha256="0" * 64, known_sha256="1" * 64)
    assert caught.value.exit_code == 2 and "1" * 64 in caught.value.message
