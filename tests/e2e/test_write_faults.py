"""Faults during `ecs-field write`, on a loop device over a FUSE file that fails on command.

(The design named device-mapper; this kernel has none, see write_devices.py.) Each test checks
the exit code, the message, and what is on the disk afterwards: never a valid partition table
after a failure, and nothing written outside the image and the wiped first/last MiB.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_field.media.blockio import MiB
from tests.conftest import needs_root
from tests.e2e.write_devices import FaultDisk, fault_disk, has_partition_table, make_disk_image

pytestmark = [
    needs_root,
    pytest.mark.root,
    pytest.mark.skipif(not os.path.exists("/dev/fuse"), reason="needs /dev/fuse (FUSE in the kernel)"),
]

DISK = 24 * MiB
IMAGE = 12 * MiB + 512
OLD = b"\x5a"


def old_content() -> bytes:
    """What was on the stick before: a pattern and a valid-looking MBR."""
    data = bytearray(OLD * DISK)
    data[510:512] = b"\x55\xaa"
    return bytes(data)


def start_write(image: Path, disk: FaultDisk, *extra: str) -> subprocess.Popen[str]:
    assert disk.loop
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ecs_field",
            "write",
            str(image),
            disk.loop,
            "--yes",
            "--progress",
            "json",
            "--allow-non-removable",
            "--confirm-device",
            disk.loop,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=os.environ.copy(),
    )


def finish(proc: subprocess.Popen[str], disk: FaultDisk) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    try:
        out, err = proc.communicate(timeout=90)
    finally:
        disk.release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    return proc.returncode, [json.loads(line) for line in out.splitlines() if line.strip()], err


def wait_held(disk: FaultDisk, proc: subprocess.Popen[str]) -> None:
    if not disk.held.wait(60):
        proc.kill()
        raise AssertionError(f"the write never reached the held offset: {proc.communicate()}")


def assert_untouched_outside(disk: FaultDisk) -> None:
    """Between the image's end and the last MiB, the old content is still there."""
    assert disk.read_store(IMAGE, DISK - MiB - IMAGE) == OLD * (DISK - MiB - IMAGE)


@pytest.fixture
def image(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "disk.img"
    return path, make_disk_image(path, IMAGE)


def test_block0_goes_last_and_only_the_image_and_the_wiped_ends_are_written(
    image: tuple[Path, bytes],
) -> None:
    path, data = image
    with fault_disk(DISK, old_content()) as disk:
        code, lines, err = finish(start_write(path, disk), disk)
        assert code == 0, err
        assert disk.read_store(0, IMAGE) == data
        assert disk.read_store(DISK - MiB, MiB) == bytes(MiB)
        assert_untouched_outside(disk)
        writes = list(disk.writes)
    block = 4 * MiB
    high = [i for i, (off, _n) in enumerate(writes) if block <= off < IMAGE]
    first_block = [i for i, (off, n) in enumerate(writes) if off < block and off + n > MiB]
    assert high and first_block
    # Before the image's other blocks: only the wipes (first MiB, last MiB). Block 0 after all of them.
    assert min(first_block) > max(high)
    assert all(off + n <= MiB or off >= DISK - MiB for off, n in writes[: min(high)])
    assert lines[-1]["phase"] == "done"


def test_io_error_at_an_offset_exits_5_naming_it(image: tuple[Path, bytes]) -> None:
    path, _ = image
    bad = 6 * MiB + 4096
    with fault_disk(DISK, old_content()) as disk:
        disk.error_at(bad, 512, "write")
        code, lines, err = finish(start_write(path, disk), disk)
        head = disk.read_store(0, 512)
        assert_untouched_outside(disk)
    assert code == 5, err
    assert "device lost at offset 4194304" in err and f"{4 * MiB}..{8 * MiB - 1}" in err
    assert lines[-1]["phase"] == "error" and "offset 4194304" in lines[-1]["message"]
    assert not has_partition_table(head)


def test_device_vanishing_mid_write_exits_5_device_lost(image: tuple[Path, bytes]) -> None:
    path, _ = image
    with fault_disk(DISK, old_content()) as disk:
        disk.hold_writes_at(8 * MiB)
        proc = start_write(path, disk)
        wait_held(disk, proc)
        disk.gone = True  # the stick is pulled: every request fails from now on
        disk.release.set()
        code, lines, err = finish(proc, disk)
        disk.gone = False
        head = disk.read_store(0, 512)
    assert code == 5, err
    assert "device lost at offset 8388608" in err and "unplugged" in err
    assert lines[-1]["phase"] == "error"
    assert not has_partition_table(head)


def test_cancel_by_sigterm_wipes_and_exits_130(image: tuple[Path, bytes]) -> None:
    path, _ = image
    with fault_disk(DISK, old_content()) as disk:
        disk.hold_writes_at(8 * MiB)
        proc = start_write(path, disk)
        wait_held(disk, proc)
        # Mid-write: the old partition table and the last MiB are already gone.
        assert not has_partition_table(disk.read_store(0, 512))
        assert disk.read_store(0, MiB) == bytes(MiB)
        assert disk.read_store(DISK - MiB, MiB) == bytes(MiB)
        proc.send_signal(signal.SIGTERM)
        disk.release.set()
        code, lines, err = finish(proc, disk)
        head = disk.read_store(0, MiB)
        assert_untouched_outside(disk)
    assert code == 130, err
    assert "cancelled" in err.lower() and "no partition table" in err
    assert lines[-1]["phase"] == "error" and lines[-1]["message"] == "Cancelled"
    assert head == bytes(MiB)


def test_image_changing_during_the_write_is_an_error(image: tuple[Path, bytes]) -> None:
    path, _ = image
    with fault_disk(DISK, old_content()) as disk:
        disk.hold_writes_at(8 * MiB)
        proc = start_write(path, disk)
        wait_held(disk, proc)
        with open(path, "ab") as handle:  # a download or copy still running into the same file
            handle.write(b"more")
        disk.release.set()
        code, lines, err = finish(proc, disk)
        head = disk.read_store(0, 512)
    assert code == 2, err
    assert "changed while it was being written" in err
    assert {"verify", "done"}.isdisjoint(line["phase"] for line in lines)
    assert not has_partition_table(head)


def test_verification_mismatch_exits_6_with_the_first_differing_offset(image: tuple[Path, bytes]) -> None:
    path, data = image
    at = 9 * MiB + 77
    garbage = bytes(b ^ 0xFF for b in data[at : at + 2])
    with fault_disk(DISK, old_content()) as disk:
        disk.corrupt_reads = (at, garbage)  # what is read back is not what was written
        code, lines, err = finish(start_write(path, disk), disk)
        head = disk.read_store(0, MiB)
    assert code == 6, err
    assert f"first at offset {at}" in err
    assert "verify" in {line["phase"] for line in lines} and lines[-1]["phase"] == "error"
    assert "done" not in {line["phase"] for line in lines}
    assert head == bytes(MiB)  # a stick that failed verification is left unbootable


def test_fake_capacity_stick_fails_verification(image: tuple[Path, bytes]) -> None:
    path, _ = image
    with fault_disk(DISK, old_content()) as disk:
        disk.fake_capacity = 10 * MiB  # accepts every write, keeps only the first 10 MiB
        code, _lines, err = finish(start_write(path, disk), disk)
    assert code == 6, err
    assert f"first at offset {10 * MiB}" in err


def test_short_writes_are_caught_by_verification(image: tuple[Path, bytes]) -> None:
    """The stick keeps only half of some writes. Here the kernel's loop driver does not even
    report it (the write "succeeds"): only reading back finds it, at the exact byte."""
    path, data = image
    with fault_disk(DISK, old_content()) as disk:
        disk.short_writes_from = 7 * MiB
        code, lines, err = finish(start_write(path, disk), disk)
        stored = disk.read_store(0, IMAGE)
    chunk = next(c for c in range(MiB, IMAGE, 4096) if stored[c : c + 4096] != data[c : c + 4096])
    first_bad = next(i for i in range(chunk, chunk + 4096) if stored[i] != data[i])
    assert code == 6, err
    assert f"first at offset {first_bad}" in err
    assert lines[-1]["phase"] == "error" and "done" not in {line["phase"] for line in lines}
    assert stored[:MiB] == bytes(MiB)  # wiped again: no partition table


def test_a_stalled_stick_is_reported(image: tuple[Path, bytes]) -> None:
    path, _ = image
    with fault_disk(DISK, old_content()) as disk:
        disk.hold_writes_at(8 * MiB)  # and never released until the app has given up
        proc = start_write(path, disk, "--stall-timeout", "1")
        wait_held(disk, proc)
        assert proc.stdout is not None
        error_line = None
        for raw in proc.stdout:
            line = json.loads(raw)
            if line["phase"] == "error":
                error_line = line
                break
        disk.release.set()  # lets the blocked system call return so the process can exit
        code, _lines, err = finish(proc, disk)
    assert error_line is not None and "stopped answering" in error_line["message"]
    assert code == 5, err
    assert "stopped answering" in err and "offset 8388608" in err
