"""The image fingerprint (media/fingerprint.py): taken before the image is read, checked after verify."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecs_field.media.drives import find_drive
from ecs_field.media.image import fat32
from ecs_field.media.write.blockio import MiB
from ecs_field.media.write.fingerprint import ImageChanged, ImageFingerprint
from ecs_field.media.write.writejob import WriteRequest, write_to_drive
from tests.conftest import have, needs_root
from tests.e2e.write_devices import loop_device


def test_differences_name_edit_growth_and_replacement(tmp_path: Path) -> None:
    image = tmp_path / "esxi.iso"
    image.write_bytes(b"a" * 4096)
    before = ImageFingerprint.take(image)
    assert before.differences(os.stat(image)) == []
    before.check(when="now")  # unchanged: no error
    os.utime(image, ns=(0, 10**18))
    assert before.differences(os.stat(image)) == ["it was modified"]
    with open(image, "ab") as handle:
        handle.write(b"b")
    assert "its size went from 4096 to 4097 bytes" in before.differences(os.stat(image))
    other = tmp_path / "other.iso"
    other.write_bytes(b"a" * 4096)
    os.replace(other, image)
    found = before.differences(os.stat(image))
    assert "it was replaced by another file" in found
    with pytest.raises(ImageChanged) as caught:
        before.check(when="during the test")
    assert caught.value.exit_code == 2 and "esxi.iso changed during the test" in caught.value.message
    image.unlink()
    with pytest.raises(ImageChanged, match="disappeared"):
        before.check(when="during the test")


def test_the_opened_file_is_compared_too(tmp_path: Path) -> None:
    image = tmp_path / "esxi.iso"
    image.write_bytes(b"a" * 4096)
    fingerprint = ImageFingerprint.take(image)
    with open(image, "rb") as opened_old:
        (tmp_path / "new.iso").write_bytes(b"a" * 4096)
        os.replace(tmp_path / "new.iso", image)  # the path now names another file...
        current = ImageFingerprint.take(image)
        # ...and a source reading the old one is caught even when the path looks right
        with pytest.raises(ImageChanged, match="the file being read"):
            current.check(os.fstat(opened_old.fileno()), when="while reading")
    assert fingerprint.with_sha256("ab" * 32).sha256 == "ab" * 32


@needs_root
@pytest.mark.root
@pytest.mark.skipif(not have("xorriso"), reason="needs xorriso to build the ESXi-like ISO")
def test_a_change_while_the_iso_tree_is_read_stops_the_write_before_the_stick_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fixtures.efi.esxi_like_iso import build_esxi_like_iso

    built = build_esxi_like_iso(tmp_path, random_bytes=256 * 1024)
    real_read_tree = fat32.read_iso_tree

    def read_tree_while_it_changes(*args, **kwargs):  # type: ignore[no-untyped-def]
        tree = real_read_tree(*args, **kwargs)
        os.utime(built.iso, ns=(0, 10**18))  # the file changes right after its tree was read
        return tree

    monkeypatch.setattr(fat32, "read_iso_tree", read_tree_while_it_changes)
    with loop_device(96 * MiB, tmp_path) as (loop, backing):
        backing.write_bytes(b"\x44" * MiB)
        drive = find_drive(loop)
        assert drive is not None
        request = WriteRequest(built.iso, mode="uefi-fat32", allow_non_removable=True,
                               confirm_devices=(loop,))
        outcome = write_to_drive(request, drive)
        with open(backing, "rb") as handle:
            head = handle.read(MiB)
    assert isinstance(outcome.error, ImageChanged) and outcome.exit_code == 2
    assert "changed before the write started" in outcome.error.message
    assert head == b"\x44" * MiB  # refused before the stick was opened
