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

from ecs_field.media.write.blockio import MiB
from tests.conftest import have, needs_root
from tests.e2e.write_devices import (
    FaultDisk,
    fault_disk,
    has_partition_table,
    make_disk_image,
    make_gpt_disk_image,
    partition_table_type,
)

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


def test_the_boot_record_goes_on_only_after_everything_else_is_verified(image: tuple[Path, bytes]) -> None:
    path, data = image
    with fault_disk(DISK, old_content()) as disk:
        code, _lines, err = finish(start_write(path, disk), disk)
        ops = list(disk.ops)
        assert disk.read_store(0, IMAGE) == data
    assert code == 0, err
    block = 4 * MiB
    verify_reads = [i for i, (op, off, _n) in enumerate(ops) if op == "read" and block <= off < 3 * block]
    boot_writes = [i for i, (op, off, n) in enumerate(ops) if op == "write" and off < block and off + n > MiB]
    boot_reads = [i for i, (op, off, _n) in enumerate(ops) if op == "read" and off < block]
    assert verify_reads and boot_writes and boot_reads
    # every other block is read back before the first byte of the boot record goes on...
    assert min(boot_writes) > max(verify_reads)
    # ...and the boot record itself is read back after it is written
    assert max(boot_reads) > max(boot_writes)


def test_sigkill_during_verify_leaves_no_boot_signature_and_no_gpt(tmp_path: Path) -> None:
    """Killed outright (no cancel handler runs) while verifying: the stick must not look bootable.
    The GPT image fills the whole disk, so its backup GPT header would sit in the disk's last sector."""
    path = tmp_path / "gpt.img"
    data = make_gpt_disk_image(path, DISK)
    assert partition_table_type(path) == "gpt"  # the check below can tell
    with fault_disk(DISK, old_content()) as disk:
        disk.hold_reads_at(10 * MiB)  # block 2: read only by the verify pass
        proc = start_write(path, disk)
        wait_held(disk, proc)
        # verifying: everything but the first and last blocks is on the stick, not the boot record
        assert disk.read_store(4 * MiB, 16 * MiB) == data[4 * MiB : 20 * MiB]
        proc.send_signal(signal.SIGKILL)
        disk.release.set()
        proc.communicate(timeout=60)
        store = disk.read_store(0, DISK)
        writes = list(disk.writes)
    assert proc.returncode == -signal.SIGKILL
    assert store[510:512] != b"\x55\xaa" and store[:MiB] == bytes(MiB)
    assert store[512:520] != b"EFI PART" and store[-512:-504] != b"EFI PART"
    left = tmp_path / "left.img"
    left.write_bytes(store)
    assert partition_table_type(left) == ""
    # nothing of the first block went on past the wipe, nor of the last one
    assert all(off + n <= MiB for off, n in writes if off < 4 * MiB)
    assert all(off >= DISK - MiB for off, n in writes if off + n > 20 * MiB)


def test_a_whole_disk_gpt_image_gets_both_gpt_headers(tmp_path: Path) -> None:
    path = tmp_path / "gpt.img"
    data = make_gpt_disk_image(path, DISK)
    with fault_disk(DISK, old_content()) as disk:
        code, _lines, err = finish(start_write(path, disk), disk)
        store = disk.read_store(0, DISK)
    assert code == 0, err
    assert store == data
    written = tmp_path / "written.img"
    written.write_bytes(store)
    assert partition_table_type(written) == "gpt"


def test_the_image_changing_during_verify_is_an_error_and_leaves_no_boot_record(
    image: tuple[Path, bytes],
) -> None:
    path, _ = image
    with fault_disk(DISK, old_content()) as disk:
        disk.hold_reads_at(6 * MiB)
        proc = start_write(path, disk)
        wait_held(disk, proc)
        os.utime(path, ns=(0, 10**18))  # same bytes, another modification time (e.g. a copy tool)
        disk.release.set()
        code, lines, err = finish(proc, disk)
        head = disk.read_store(0, MiB)
    assert code == 2, err
    assert "changed during the write or its verification" in err and "Exit code 2" in err
    assert "without a boot record" in err
    assert "done" not in {line["phase"] for line in lines}
    assert head == bytes(MiB)


@pytest.mark.skipif(not have("xorriso"), reason="needs xorriso to build the ESXi-like ISO")
def test_uefi_fat32_iso_changing_after_its_tree_was_read_leaves_no_boot_record(tmp_path: Path) -> None:
    from tests.fixtures.efi.esxi_like_iso import build_esxi_like_iso

    built = build_esxi_like_iso(tmp_path, random_bytes=2 * MiB)
    size = 128 * MiB
    with fault_disk(size, b"\x33" * 512 + b"\x55\xaa") as disk:
        disk.hold_reads_at(40 * MiB)  # verifying the stick image
        proc = start_write(built.iso, disk, "--mode", "uefi-fat32")
        wait_held(disk, proc)
        with open(built.iso, "r+b") as handle:  # rewritten in place, e.g. by a download tool
            handle.seek(64 * 1024)
            handle.write(handle.read(16))
        disk.release.set()
        code, _lines, err = finish(proc, disk)
        head = disk.read_store(0, MiB)
        boot_sector = disk.read_store(MiB, 512)  # where the FAT32 partition starts
        assert disk.store.exists() and partition_table_type(disk.store) == ""
    assert code == 2, err
    assert built.iso.name in err and "changed" in err
    assert head == bytes(MiB) and not has_partition_table(head)
    assert boot_sector[510:512] != b"\x55\xaa" and b"FAT32" not in boot_sector  # no file system either


def test_io_error_at_an_offset_exits_5_naming_it(image: tuple[Path, bytes]) -> None:
    path, _ = image
    bad = 6 * MiB + 4096
    with fault_disk(DISK, old_content()) as disk:
        disk.error_at(bad, 512, "write")
        code, lines, err = finish(start_write(path, disk), disk)
        head = disk.read_store(0, 512)
        assert_untouched_outside(disk)
    assert not has_partition_table(head)
    assert lines[-1]["phase"] == "error"
    if code == 6:
        # The loop device writes through the page cache of its FUSE backing file: now and then the
        # kernel's writeback error is consumed before the app's flush sees it (errseq). The write
        # is then caught by the read-back, at the failed block, and still left unbootable.
        first = int(err.split("first at offset ")[1].split()[0].rstrip(".,"))
        assert "verification failed" in err and 4 * MiB <= first <= bad, err
        return
    assert code == 5, err
    assert "device lost at offset 4194304" in err and f"{4 * MiB}..{8 * MiB - 1}" in err
    assert "offset 4194304" in lines[-1]["message"]


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
    # The first block (0-4 MiB) is written only after verification: it was never written here.
    chunk = next(c for c in range(4 * MiB, IMAGE, 4096) if stored[c : c + 4096] != data[c : c + 4096])
    first_bad = next(i for i in range(chunk, chunk + 4096) if stored[i] != data[i])
    assert code == 6, err
    assert f"first at offset {first_bad}" in err
    assert lines[-1]["phase"] == "error" and "done" not in {line["phase"] for line in lines}
    assert stored[:MiB] == bytes(MiB)  # wiped: no partition table
    assert stored[MiB : 4 * MiB] == OLD * (3 * MiB)  # the rest of block 0 never went on


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


def test_a_boot_record_that_reads_back_wrong_exits_6_and_is_wiped(image: tuple[Path, bytes]) -> None:
    """Block 0 is compared only after it goes on (last): a stick that changes it is caught there
    and wiped again, so it never boots with a broken boot record."""
    path, data = image
    at = 3 * MiB + 5  # in block 0, past the first MiB the wipe covers
    garbage = bytes(b ^ 0xFF for b in data[at : at + 3])
    with fault_disk(DISK, old_content()) as disk:
        disk.corrupt_reads = (at, garbage)
        code, lines, err = finish(start_write(path, disk), disk)
        head = disk.read_store(0, MiB)
    assert code == 6, err
    assert f"boot record read back differs from what was written, first at offset {at}" in err
    assert "verify" in {line["phase"] for line in lines} and lines[-1]["phase"] == "error"
    assert head == bytes(MiB)  # re-wiped: no boot signature, no partition table
