"""`ecs-field verify` on real block devices: a read-only loop device (so any write would fail with
EROFS) holding a stick made by the writer's FAT32 synthesis, with and without the kickstart."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field.media.image.fat32 import Fat32StickSource, build_stick_image
from tests.clirun import run_process
from tests.conftest import have, needs_root
from tests.e2e.write_devices import detach
from tests.fixtures.efi.esxi_like_iso import build_esxi_like_iso
from tests.unit.media.test_kickstart_stick import KS

pytestmark = [
    needs_root,
    pytest.mark.root,
    pytest.mark.skipif(
        not all(have(t) for t in ("xorriso", "mcopy", "mkfs.fat", "losetup")),
        reason="needs xorriso, mtools, dosfstools and losetup",
    ),
]


@contextlib.contextmanager
def read_only_loop(backing: Path) -> Iterator[str]:
    loop = subprocess.run(
        ["losetup", "--find", "--show", "--read-only", str(backing)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    assert loop.startswith("/dev/loop"), loop
    try:
        yield loop
    finally:
        detach(loop)


def test_verify_reads_a_read_only_device_and_names_the_changed_file(tmp_path: Path) -> None:
    built = build_esxi_like_iso(tmp_path)
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS)
    stick = tmp_path / "stick.img"
    build_stick_image(built.iso, stick, kickstart=KS.encode())
    with open(stick, "ab") as handle:
        handle.truncate(stick.stat().st_size + (8 << 20))  # a stick is larger than its image
    with read_only_loop(stick) as device:
        same = run_process("verify", str(built.iso), device, "--kickstart", str(ks), "--json")
        plain = run_process("verify", str(built.iso), device)
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["kickstart"] == {
        "file": "ks.cfg",
        "hostname": "esx01.depot7.example",
        "ip": "10.7.0.10",
    }
    assert plain.returncode == 6, plain.stderr  # verified without the kickstart it was written with
    assert "--kickstart FILE if the stick was written with one" in plain.stderr

    with Fat32StickSource(built.iso, kickstart=KS.encode()) as source:
        at = source._starts[source._labels.index("/KS.CFG")] + 3
    with open(stick, "r+b") as handle:
        handle.seek(at)
        handle.write(b"#")
    with read_only_loop(stick) as device:
        changed = run_process("verify", str(built.iso), device, "--kickstart", str(ks), "--json")
    assert changed.returncode == 6, changed.stderr
    document = json.loads(changed.stdout)
    assert document["first_difference"] == at and document["where"] == "/KS.CFG (byte 3 of the file)"
