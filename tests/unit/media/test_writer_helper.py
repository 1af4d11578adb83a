"""The privileged helper: command construction per OS, and real runs (as root, unelevated) on loop devices."""

from __future__ import annotations

import os
import shlex
import stat
import sys
import time
from pathlib import Path

import pytest

from ecs_field.errors import DeviceError
from ecs_field.events import Progress
from ecs_field.media import history
from ecs_field.media.write import helper
from ecs_field.media.write.blockio import MiB
from ecs_field.media.write.helper import (
    HelperCommand,
    HelperOptions,
    HelperProcess,
    build_helper,
    helper_command,
)
from tests.conftest import needs_root
from tests.e2e.write_devices import fault_disk, has_partition_table, loop_device, make_disk_image

IMAGE = "/images/ESXi 8.0 'U3'.iso"


def options(**kw) -> HelperOptions:  # type: ignore[no-untyped-def]
    return HelperOptions(**kw)


def test_linux_unprivileged_uses_pkexec_with_json_progress(tmp_path: Path) -> None:
    argv = helper_command(
        IMAGE, ["/dev/sdb"], options(sha256="a" * 64), workdir=tmp_path, platform="linux", elevated=False
    )
    assert argv[:4] == ["pkexec", sys.executable, "-m", "ecs_field"]
    assert os.path.isabs(argv[1])  # pkexec refuses relative programs
    rest = argv[4:]
    assert rest[:3] == ["write", IMAGE, "/dev/sdb"]
    for flag in ("--progress", "--yes", "--helper", "--cancel-file"):
        assert flag in rest
    assert rest[rest.index("--progress") + 1] == "json" and rest[rest.index("--sha256") + 1] == "a" * 64
    assert "--progress-file" not in rest  # pkexec keeps our stdout pipe
    assert "--no-verify" not in rest and "--allow-non-removable" not in rest


def test_already_root_runs_directly(tmp_path: Path) -> None:
    cmd = build_helper(
        IMAGE,
        ["/dev/sdb", "/dev/sdc"],
        options(verify=False),
        workdir=tmp_path,
        platform="linux",
        elevated=True,
    )
    assert cmd.elevation == helper.ELEVATION_NONE and cmd.argv[0] == sys.executable
    assert cmd.argv[4:7] == [IMAGE, "/dev/sdb", "/dev/sdc"] and "--no-verify" in cmd.argv


def test_override_flags_carry_each_typed_device(tmp_path: Path) -> None:
    argv = helper_command(
        IMAGE,
        ["/dev/loop3"],
        options(allow_non_removable=True, confirm_devices=("/dev/loop3",)),
        workdir=tmp_path,
        platform="linux",
        elevated=True,
    )
    i = argv.index("--confirm-device")
    assert "--allow-non-removable" in argv and argv[i + 1] == "/dev/loop3"


def test_windows_uses_uac_and_a_progress_file(tmp_path: Path) -> None:
    cmd = build_helper(
        IMAGE,
        [r"\\.\PHYSICALDRIVE2"],
        options(),
        workdir=tmp_path,
        platform="win32",
        elevated=False,
        prefix=[r"C:\Program Files\ECS Field\ecs-field.exe"],
    )
    assert cmd.elevation == helper.ELEVATION_UAC and cmd.argv[0] == "powershell.exe"
    script = cmd.argv[-1]
    assert "Start-Process -FilePath 'C:\\Program Files\\ECS Field\\ecs-field.exe'" in script
    assert "-Verb RunAs" in script and "-Wait -PassThru" in script and "exit $p.ExitCode" in script
    assert "catch { exit 126 }" in script
    assert cmd.progress_file == tmp_path / "progress.jsonl" and str(cmd.progress_file) in script
    # The single quote in the image name is doubled for PowerShell; the path stays one argument.
    assert "ESXi 8.0 ''U3''.iso" in script and "\"/images/ESXi 8.0 ''U3''.iso\"" in script


def test_macos_uses_osascript_with_administrator_privileges(tmp_path: Path) -> None:
    cmd = build_helper(
        IMAGE,
        ["/dev/rdisk4"],
        options(),
        workdir=tmp_path,
        platform="darwin",
        elevated=False,
        prefix=["/Applications/ECS Field.app/Contents/MacOS/ecs-field"],
    )
    assert cmd.argv[:2] == ["osascript", "-e"] and cmd.elevation == helper.ELEVATION_OSASCRIPT
    source = cmd.argv[2]
    assert source.startswith('do shell script "') and source.endswith('" with administrator privileges')
    shell = source[len('do shell script "') : -len('" with administrator privileges')]
    shell = shell.replace('\\"', '"').replace("\\\\", "\\")
    words = shlex.split(shell)
    assert words[0] == "/Applications/ECS Field.app/Contents/MacOS/ecs-field"
    assert words[1:4] == ["write", IMAGE, "/dev/rdisk4"]
    assert words[words.index("--progress-file") + 1] == str(tmp_path / "progress.jsonl")


def test_frozen_bundle_runs_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    argv = helper_command(IMAGE, ["/dev/sdb"], options(), workdir=tmp_path, platform="linux", elevated=True)
    assert argv[0] == sys.executable and argv[1] == "write"


def fake_tool(folder: Path, name: str, stderr: str, code: int) -> None:
    script = folder / name
    script.write_text(f"#!/bin/sh\necho '{stderr}' >&2\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_missing_pkexec_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    cmd = build_helper(IMAGE, ["/dev/sdb"], options(), workdir=tmp_path, platform="linux", elevated=False)
    with pytest.raises(DeviceError) as caught:
        HelperProcess(cmd).start()
    assert "pkexec is not installed" in caught.value.message and "sudo" in (caught.value.hint or "")


def test_no_polkit_agent_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pkexec's own words and exit code when no agent can ask for the password.
    fake_tool(
        tmp_path, "pkexec", "Error executing command as another user: No authentication agent found.", 127
    )
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    cmd = build_helper(IMAGE, ["/dev/sdb"], options(), workdir=tmp_path, platform="linux", elevated=False)
    result = HelperProcess(cmd).run()
    assert result.exit_code == 127 and "polkit" in result.message
    assert result.hint and "sudo " in result.hint and "--helper" not in result.hint


def test_dismissed_password_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tool(tmp_path, "pkexec", "Error executing command as another user: Not authorized", 126)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    cmd = build_helper(IMAGE, ["/dev/sdb"], options(), workdir=tmp_path, platform="linux", elevated=False)
    result = HelperProcess(cmd).run()
    assert result.exit_code == 126 and "not granted" in result.message


def test_osascript_exit_status_is_read_from_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cmd = HelperCommand(["osascript-fake"], helper.ELEVATION_OSASCRIPT, tmp_path / "p.jsonl", tmp_path / "c")
    fake_tool(tmp_path, "osascript-fake", "0:170: execution error: ecs-field: error: boom (6)", 1)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert HelperProcess(cmd).run().exit_code == 6
    fake_tool(tmp_path, "osascript-fake", "0:170: execution error: User canceled. (-128)", 1)
    assert HelperProcess(cmd).run().exit_code == 126


# ----- real runs: the unelevated command, as root, on loop devices ------------------------------


@needs_root
@pytest.mark.root
@pytest.mark.parametrize("via_file", [False, True], ids=["stdout", "progress-file"])
def test_real_helper_writes_and_reports(tmp_path: Path, via_file: bool) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 5 * MiB + 512)
    events: list[tuple[str, Progress]] = []
    with loop_device(16 * MiB, tmp_path) as (loop, _):
        opts = options(allow_non_removable=True, confirm_devices=(loop,), mode="raw")
        work = tmp_path / "work"
        work.mkdir()
        if via_file:  # how Windows/macOS get their output back, exercised for real here
            cmd = HelperCommand(
                helper.cli_prefix()
                + helper.write_arguments(
                    image, [loop], opts, progress_file=work / "p.jsonl", cancel_file=work / "cancel"
                ),
                helper.ELEVATION_NONE,
                work / "p.jsonl",
                work / "cancel",
            )
        else:
            cmd = build_helper(image, [loop], opts, workdir=work, elevated=True)
        result = HelperProcess(cmd, on_progress=lambda d, e: events.append((d, e))).run()
        with open(loop, "rb") as handle:
            assert handle.read(len(data)) == data
    assert result.ok, (result.message, result.stderr)
    assert result.message == "Written and verified."
    phases = list(dict.fromkeys(e.phase for _d, e in events))
    assert phases == ["prepare", "write", "flush", "verify", "done"]
    assert {d for d, _e in events} == {loop}
    report = result.devices[loop]
    assert report.exit_code == 0 and report.record is not None and report.record.verified
    # Saved once, by the app, in the user's history (the helper saves none itself).
    records = history.load_history()
    assert len(records) == 1 and records[0].device_path == loop and records[0].result == history.VERIFIED


@needs_root
@pytest.mark.root
def test_real_helper_refusal_is_reported(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with loop_device(8 * MiB, tmp_path) as (loop, backing):
        before = backing.read_bytes()
        cmd = build_helper(image, [loop], options(), workdir=tmp_path, elevated=True)
        result = HelperProcess(cmd).run()
        assert backing.read_bytes() == before
    assert result.exit_code == 4
    assert "Refusing to write" in result.message and "--allow-non-removable" in (result.hint or "")


@needs_root
@pytest.mark.root
@pytest.mark.skipif(not os.path.exists("/dev/fuse"), reason="needs /dev/fuse")
def test_real_helper_cancel_through_the_cancel_file(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, 12 * MiB)
    with fault_disk(24 * MiB) as disk:
        assert disk.loop
        disk.hold_writes_at(4 * MiB)  # block 1: the first and last blocks are written after verify
        opts = options(allow_non_removable=True, confirm_devices=(disk.loop,), mode="raw")
        cmd = build_helper(image, [disk.loop], opts, workdir=tmp_path, elevated=True)
        proc = HelperProcess(cmd)
        proc.start()
        try:
            assert disk.held.wait(60)
            assert cmd.cancel_file is not None
            cmd.cancel_file.touch()  # what reaches a root helper: no signal needed
            # The helper looks for the file every 0.2 s; the rest of a 12 MiB write takes less than
            # that once released, so the cancel must arrive while the write is still held.
            time.sleep(1.0)
            disk.release.set()
            result = proc.wait(timeout=60)
        finally:
            disk.release.set()
        head = disk.read_store(0, 512)
    assert result.exit_code == 130 and "cancelled" in result.message.lower()
    assert not has_partition_table(head)
    assert history.load_history()[0].result == history.CANCELLED


@needs_root
@pytest.mark.root
def test_write_job_for_the_gui_writes_two_sticks_with_one_progress_stream(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 3 * MiB)
    events: list[Progress] = []
    with loop_device(8 * MiB, tmp_path) as (a, _), loop_device(8 * MiB, tmp_path) as (b, _):
        opts = options(allow_non_removable=True, confirm_devices=(a, b), mode="raw")
        result = helper.write_job(image, [a, b], opts)(events.append, helper.CancelToken())
        for loop in (a, b):
            with open(loop, "rb") as handle:
                assert handle.read(len(data)) == data
    assert result.ok and set(result.devices) == {a, b}
    assert events and all(e.message.startswith("2 sticks") for e in events)
    assert events[-1].phase == "done"
    assert {r.device_path for r in history.load_history()} == {a, b}


@needs_root
@pytest.mark.root
def test_write_job_raises_the_failure(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with loop_device(8 * MiB, tmp_path) as (a, _):
        job = helper.write_job(image, [a], options())  # no override: refused
        with pytest.raises(helper.EcsFieldError) as caught:
            job(lambda _e: None, helper.CancelToken())
    assert caught.value.exit_code == 4 and "Refusing" in caught.value.message
