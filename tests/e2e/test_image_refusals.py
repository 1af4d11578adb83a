"""`ecs-field write` refuses what it does not recognise as bootable, and truncated images, before the
stick is touched; `image inspect` reads a block device's real size (issue 8, safety items 4 and 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecs_field.media.write.blockio import MiB
from tests.clirun import run_process as cli
from tests.conftest import needs_root
from tests.e2e.write_devices import attached_loop, loop_device
from tests.unit.media.test_image_honesty import build_plain_iso
from tests.unit.media.test_image_inspect import build_esxi_iso, build_hybrid_iso
from tests.unit.media.test_image_inspect import pytestmark as needs_iso_tools

pytestmark = [needs_iso_tools, needs_root, pytest.mark.root]
OLD = b"\x3c" * MiB


def write(image: Path, loop: str, *extra: str):  # type: ignore[no-untyped-def]
    return cli("write", str(image), loop, "--yes", "--allow-non-removable", "--confirm-device", loop, *extra)


def test_a_plain_data_iso_is_refused_in_auto_mode_and_written_with_mode_raw(tmp_path: Path) -> None:
    iso = build_plain_iso(tmp_path)
    with loop_device(16 * MiB, tmp_path) as (loop, backing):
        backing.write_bytes(OLD)
        done = write(iso, loop)
        assert done.returncode == 2, done.stderr
        assert "not recognised as bootable" in done.stderr and "plain data ISO" in done.stderr
        assert "--mode raw" in done.stderr and "Nothing was written" in done.stderr
        assert backing.read_bytes()[:MiB] == OLD
        done = write(iso, loop, "--mode", "raw")
        assert done.returncode == 0, done.stderr
        with open(loop, "rb") as handle:
            assert handle.read(iso.stat().st_size) == iso.read_bytes()


def test_truncated_images_are_refused_in_every_mode_untouched(tmp_path: Path) -> None:
    hybrid = build_hybrid_iso(tmp_path)
    cut = tmp_path / "cut.iso"
    cut.write_bytes(hybrid.read_bytes()[:512])
    with loop_device(16 * MiB, tmp_path) as (loop, backing):
        backing.write_bytes(OLD)
        for mode in ("auto", "raw", "uefi-fat32"):
            done = write(cut, loop, "--mode", mode)
            assert done.returncode == 2, (mode, done.stderr)
            assert "cut.iso is truncated" in done.stderr
        assert backing.read_bytes()[:MiB] == OLD
        inspected = cli("image", "inspect", str(cut))
        assert inspected.returncode == 2 and "truncated" in inspected.stderr


def test_inspect_reads_a_block_device_at_its_real_size(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path)
    with attached_loop(iso) as loop:
        done = cli("image", "inspect", loop, "--json")
        with open(loop, "rb") as handle:
            size = handle.seek(0, 2)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["size_bytes"] == size > 0
    assert document["format"] == "iso9660" and document["write_mode"] == "uefi-fat32"
    assert "empty" not in done.stderr
