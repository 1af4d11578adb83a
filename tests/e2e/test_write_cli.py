"""`ecs-field write` and `ecs-field history` end to end, as a subprocess, on loop devices."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_field.media.write.blockio import MiB
from tests.clirun import run_process as cli
from tests.conftest import have, needs_root
from tests.e2e.write_devices import has_partition_table, loop_device, make_disk_image

pytestmark = [needs_root, pytest.mark.root]


def override(loop: str) -> list[str]:
    return ["--allow-non-removable", "--confirm-device", loop]


def json_lines(stdout: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_raw_write_with_json_progress_and_history(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 10 * MiB + 1000)
    digest = hashlib.sha256(data).hexdigest()
    with loop_device(32 * MiB, tmp_path) as (loop, _):
        done = cli(
            "write", str(image), loop, "--yes", "--progress", "json", "--sha256", digest, *override(loop)
        )
        with open(loop, "rb") as handle:
            on_device = handle.read(len(data))
    assert done.returncode == 0, done.stderr
    assert on_device == data
    lines = json_lines(done.stdout)
    for line in lines:
        assert {"phase", "bytes_done", "bytes_total", "rate_bps", "eta_s", "message"} <= line.keys()
    assert list(dict.fromkeys(line["phase"] for line in lines)) == [
        "prepare",
        "write",
        "flush",
        "verify",
        "done",
    ]
    assert lines[-1]["bytes_done"] == lines[-1]["bytes_total"] == len(data)
    assert "written and verified" in done.stderr and digest in done.stderr
    shown = cli("history", "--json")
    assert shown.returncode == 0
    records = json.loads(shown.stdout)["records"]
    assert len(records) == 1
    rec = records[0]
    assert rec["result"] == "verified" and rec["image_sha256"] == digest and rec["device_path"] == loop
    assert rec["mode"] == "raw" and rec["bytes_written"] == len(data)
    assert {p["phase"] for p in rec["phases"]} == {"prepare", "write", "flush", "verify", "boot-record"}
    table = cli("history")
    assert table.returncode == 0 and "disk.img" in table.stdout and "verified" in table.stdout


def test_no_verify_exits_0_but_says_not_verified(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 2 * MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, _):
        done = cli("write", str(image), loop, "--yes", "--no-verify", "--progress", "json", *override(loop))
    assert done.returncode == 0, done.stderr
    assert "NOT VERIFIED" in done.stderr
    assert "verify" not in {line["phase"] for line in json_lines(done.stdout)}
    assert json.loads(cli("history", "--json").stdout)["records"][0]["result"] == "not-verified"


def test_without_yes_and_without_a_terminal_nothing_is_written(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 2 * MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, backing):
        backing.write_bytes(b"\x22" * 8 * MiB)
        done = cli("write", str(image), loop, *override(loop))
        assert backing.read_bytes() == b"\x22" * 8 * MiB
    assert done.returncode == 4
    assert "not confirmed" in done.stderr and "--yes" in done.stderr


def test_loop_device_without_override_is_refused_untouched(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 2 * MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, backing):
        backing.write_bytes(b"\x33" * 8 * MiB)
        done = cli("write", str(image), loop, "--yes")
        assert backing.read_bytes() == b"\x33" * 8 * MiB
    assert done.returncode == 4 and "--allow-non-removable" in done.stderr


def test_device_smaller_than_image_is_refused_untouched(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 9 * MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, backing):
        backing.write_bytes(b"\x44" * 8 * MiB)
        done = cli("write", str(image), loop, "--yes", *override(loop))
        assert backing.read_bytes() == b"\x44" * 8 * MiB
    assert done.returncode == 4 and "too small" in done.stderr


def test_wrong_sha256_fails_before_verify_with_no_success(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 9 * MiB)
    with loop_device(16 * MiB, tmp_path) as (loop, _):
        done = cli(
            "write", str(image), loop, "--yes", "--progress", "json", "--sha256", "1" * 64, *override(loop)
        )
        with open(loop, "rb") as handle:
            head = handle.read(512)
    assert done.returncode == 2
    assert "expected " + "1" * 64 in done.stderr and "NOT made bootable" in done.stderr
    phases = [line["phase"] for line in json_lines(done.stdout)]
    assert phases[-1] == "error" and "verify" not in phases and "done" not in phases
    assert "verified" not in done.stderr.replace("NOT verified", "")
    assert not has_partition_table(head)
    assert json.loads(cli("history", "--json").stdout)["records"][0]["result"] == "failed"


def test_bad_image_and_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = cli("write", str(tmp_path / "nope.iso"), "/dev/loop-none", "--yes")
    assert missing.returncode == 2 and "no such image file" in missing.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x01" * 4096)
    not_image = cli("write", str(junk), "/dev/loop-none", "--yes")
    assert not_image.returncode == 2 and "not a disk or ISO image" in not_image.stderr
    bad_hash = cli("write", str(junk), "/dev/loop-none", "--yes", "--mode", "raw", "--sha256", "xyz")
    assert bad_hash.returncode == 2 and "SHA-256" in bad_hash.stderr


def test_two_sticks_at_once(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 5 * MiB + 512)
    with loop_device(16 * MiB, tmp_path) as (a, _), loop_device(16 * MiB, tmp_path) as (b, _):
        done = cli(
            "write",
            str(image),
            a,
            b,
            "--yes",
            "--progress",
            "json",
            "--allow-non-removable",
            "--confirm-device",
            a,
            "--confirm-device",
            b,
        )
        for loop in (a, b):
            with open(loop, "rb") as handle:
                assert handle.read(len(data)) == data
    assert done.returncode == 0, done.stderr
    finals = {line["device"]: line["phase"] for line in json_lines(done.stdout)}
    assert finals == {a: "done", b: "done"}
    assert "2 of 2 sticks written and verified" in done.stderr


@pytest.mark.skipif(
    not (have("xorriso") and have("fsck.fat") and have("mdir")), reason="needs xorriso, fsck.fat and mtools"
)
def test_uefi_fat32_stick_from_an_esxi_like_iso(tmp_path: Path) -> None:
    from tests.fixtures.efi.esxi_like_iso import build_esxi_like_iso

    built = build_esxi_like_iso(tmp_path, random_bytes=2 * 1024 * 1024)
    with loop_device(96 * MiB, tmp_path) as (loop, backing):
        done = cli("write", str(built.iso), loop, "--yes", *override(loop))
        assert done.returncode == 0, done.stderr
        with open(loop, "rb") as handle:
            mbr = handle.read(512)
        # The FAT32 partition starts at 1 MiB: check it with the real tools, through a second loop.
        part = subprocess.run(
            ["losetup", "--find", "--show", "--read-only", "--offset", str(MiB), str(backing)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        try:
            fsck = subprocess.run(["fsck.fat", "-n", part], capture_output=True, text=True)
            env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
            listing = subprocess.run(
                ["mdir", "-b", "-/", "-i", part, "::/"], capture_output=True, text=True, env=env
            )
        finally:
            subprocess.run(["losetup", "-d", part], capture_output=True)
    assert has_partition_table(mbr) and mbr[446] == 0x80 and mbr[450] in (0x0B, 0x0C)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    names = listing.stdout.upper()
    for wanted in ("EFI/BOOT/BOOTX64.EFI", "BOOT.CFG", "B.B00", "DEEP/L2/L3/L4/L5/L6/L7/L8/L9/LEAF.TXT"):
        assert wanted in names, listing.stdout
    assert "uefi-fat32" in json.dumps(json.loads(cli("history", "--json").stdout)["records"][0])


@pytest.mark.skipif(not have("xorriso"), reason="needs xorriso")
def test_uefi_fat32_wrong_sha256_touches_nothing(tmp_path: Path) -> None:
    from tests.fixtures.efi.esxi_like_iso import build_esxi_like_iso

    built = build_esxi_like_iso(tmp_path, random_bytes=256 * 1024)
    with loop_device(96 * MiB, tmp_path) as (loop, backing):
        with open(backing, "r+b") as handle:
            handle.write(b"\x66" * MiB)
        done = cli(
            "write",
            str(built.iso),
            loop,
            "--yes",
            "--mode",
            "uefi-fat32",
            "--sha256",
            "2" * 64,
            *override(loop),
        )
        with open(backing, "rb") as handle:
            head = handle.read(MiB)
    assert done.returncode == 2, done.stderr
    assert "expected " + "2" * 64 in done.stderr and "Nothing was written" in done.stderr
    assert head == b"\x66" * MiB  # checked before the stick was touched at all


def answer_on_a_terminal(args: list[str], answer: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a terminal as stdin (a pty) and type ``answer`` at the prompt."""
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecs_field", *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        os.write(master, answer.encode() + b"\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_confirmation_on_a_terminal_names_the_drive(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 2 * MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, backing):
        backing.write_bytes(b"\x77" * 8 * MiB)
        declined = answer_on_a_terminal(["write", str(image), loop, *override(loop)], "no")
        assert backing.read_bytes() == b"\x77" * 8 * MiB
        accepted = answer_on_a_terminal(["write", str(image), loop, *override(loop)], "yes")
        with open(loop, "rb") as handle:
            written = handle.read(len(data))
    assert declined.returncode == 130 and "nothing was written" in declined.stderr
    for done in (declined, accepted):
        assert f"{loop}" in done.stderr and "8.4 MB" in done.stderr and "will be erased" in done.stderr
    assert accepted.returncode == 0, accepted.stderr
    assert written == data


def test_a_library_image_that_changed_is_refused_before_any_write(tmp_path: Path) -> None:
    image = tmp_path / "site.img"
    make_disk_image(image, 4 * MiB)
    added = cli("images", "add", str(image), "--reference", "--json")
    assert added.returncode == 0, added.stderr
    with image.open("r+b") as handle:  # the file is damaged after it was recorded
        handle.seek(3 * MiB)
        handle.write(b"\xff" * 4096)
    os.utime(image, (1_000_000_000, 1_000_000_000))
    with loop_device(8 * MiB, tmp_path) as (loop, _):
        with open(loop, "rb") as handle:
            before = handle.read()
        done = cli("write", str(image), loop, "--yes", *override(loop))
        with open(loop, "rb") as handle:
            after = handle.read()
    assert done.returncode == 6, done.stderr
    assert "site.img" in done.stderr
    assert after == before
