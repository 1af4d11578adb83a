"""Safety review: the elevated helper writes only the stick confirmed in the app, and a killed
helper leaves no bootable-looking half stick and no lock behind. Only loop devices made here."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.media import history
from ecs_field.media.drives import find_drive, safety
from ecs_field.media.write.blockio import MiB
from ecs_field.media.write.helper import HelperOptions, HelperProcess, build_helper, write_arguments
from tests.conftest import needs_root
from tests.e2e.write_devices import fault_disk, has_partition_table, loop_device, make_disk_image


def test_identity_round_trips_as_one_plain_word() -> None:
    drive = safety.Drive(path="/dev/sdb", size_bytes=32 * 10**9, serial="4C53 0001:23\"x'", model="Ultra Fit")
    token = safety.encode_identity(drive)
    assert token.replace("-", "").replace("_", "").replace("=", "").isalnum()  # survives any quoting
    back = safety.decode_identity(token)
    assert (back.path, back.size_bytes, back.serial, back.model) == (drive.path, drive.size_bytes,
                                                                    drive.serial, drive.model)
    args = write_arguments("/x.iso", ["/dev/sdb"], HelperOptions(expected_drives=(drive,)))
    assert args[args.index("--expect-drive") + 1] == token
    with pytest.raises(BadInput):
        safety.decode_identity("not base64 json!")


@needs_root
@pytest.mark.root
def test_helper_refuses_a_stick_that_is_not_the_one_confirmed_in_the_app(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, backing):
        seen = find_drive(loop)
        assert seen is not None
        # What the app showed and the user confirmed: another stick under this name (another file,
        # another serial), swapped while the password prompt was open.
        shown = dataclasses.replace(seen, serial="4C530001230817105404", backing_file="/elsewhere/stick.bin")
        opts = HelperOptions(mode="raw", allow_non_removable=True, confirm_devices=(loop,),
                             expected_drives=(shown,))
        before = backing.read_bytes()
        result = HelperProcess(build_helper(image, [loop], opts, workdir=tmp_path, elevated=True)).run()
        assert backing.read_bytes() == before
        assert result.exit_code == 4 and "not the drive that was chosen" in result.message
        # The same job with the drive as it really is goes through.
        opts = dataclasses.replace(opts, expected_drives=(seen,))
        result = HelperProcess(build_helper(image, [loop], opts, workdir=tmp_path, elevated=True)).run()
        assert result.exit_code == 0, (result.message, result.stderr)
        assert backing.read_bytes()[: MiB] == image.read_bytes()


@needs_root
@pytest.mark.root
@pytest.mark.skipif(not os.path.exists("/dev/fuse"), reason="needs /dev/fuse")
def test_sigkilled_helper_leaves_no_partition_table_and_no_lock(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 12 * MiB)
    with fault_disk(24 * MiB) as disk:
        assert disk.loop
        # Something old and bootable-looking on the stick before the write.
        subprocess.run(["dd", f"if={image}", f"of={disk.loop}", "bs=1M", "count=1", "oflag=direct"],
                       check=True, capture_output=True)
        assert has_partition_table(disk.read_store(0, 512))
        disk.hold_writes_at(8 * MiB)
        opts = HelperOptions(allow_non_removable=True, confirm_devices=(disk.loop,), mode="raw")
        proc = HelperProcess(build_helper(image, [disk.loop], opts, workdir=tmp_path, elevated=True))
        proc.start()
        try:
            assert disk.held.wait(60)
            assert proc.proc is not None
            os.killpg(proc.proc.pid, signal.SIGKILL)  # no handler, no clean-up: the worst case
        finally:
            disk.release.set()
        result = proc.wait(timeout=60)
        assert not has_partition_table(disk.read_store(0, 512))  # wiped first, block 0 never written
        fd = safety.open_exclusive(disk.loop)  # the kernel dropped the dead helper's O_EXCL claim
        os.close(fd)
    assert result.exit_code == 5 and not result.ok
    assert all(r.record is None or not r.record.verified for r in result.devices.values())
    assert not [r for r in history.load_history() if r.result == history.VERIFIED]


def _fake_helper(tmp_path: Path, lines: list[str]) -> HelperProcess:
    import json
    import sys

    from ecs_field.media.write.helper import HelperCommand

    script = tmp_path / "fake_helper.py"
    script.write_text("import sys\nfor line in " + json.dumps(lines)
                      + ":\n    sys.stdout.write(line + '\\n')\nsys.exit(0)\n")
    return HelperProcess(HelperCommand([sys.executable, str(script)], "none"), save_history=False)


def test_garbled_helper_lines_neither_stop_the_reader_nor_count_as_success(tmp_path: Path) -> None:
    import json

    progress = json.dumps({"phase": "write", "bytes_done": 1, "bytes_total": 2, "device": "/dev/sdc",
                           "message": "x" * 500})
    lines = [
        json.dumps({"phase": "error", "device": "/dev/sdb", "exit_code": "five", "message": "lost"}),
        json.dumps({"phase": "error", "device": "/dev/sdd", "exit_code": None, "message": "lost"}),
        *([progress] * 400),  # well past a pipe's 64 KiB: the helper would block if nobody read
        json.dumps({"phase": "done", "device": "/dev/sdc", "exit_code": 0, "message": "ok"}),
    ]
    proc = _fake_helper(tmp_path, lines)
    proc.start()
    result = proc.wait(timeout=60)
    assert result.devices["/dev/sdc"].exit_code == 0 and result.devices["/dev/sdc"].phase == "done"
    assert result.devices["/dev/sdb"].exit_code != 0
    assert result.devices["/dev/sdd"].exit_code != 0


def test_the_elevated_helper_never_appends_to_a_hard_linked_progress_file(tmp_path: Path) -> None:
    from ecs_field.commands.write import ProgressPrinter

    precious = tmp_path / "precious.conf"
    precious.write_text("keep\n")
    planted = tmp_path / "progress.jsonl"
    os.link(precious, planted)
    with pytest.raises(BadInput, match="progress-file"):
        ProgressPrinter(True, False, progress_file=str(planted), helper=True)
    assert precious.read_text() == "keep\n"
    fresh = tmp_path / "fresh.jsonl"
    ProgressPrinter(True, False, progress_file=str(fresh), helper=True).close()  # the normal case works
