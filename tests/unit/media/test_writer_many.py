"""write_to_drive / write_many: safety re-check, parallel sticks, one record per stick."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ecs_field.errors import SafetyRefusal
from ecs_field.events import Progress
from ecs_field.media import history
from ecs_field.media.drives import find_drive
from ecs_field.media.write.blockio import MiB
from ecs_field.media.write.writejob import WriteRequest, write_many, write_to_drive
from tests.conftest import needs_root
from tests.e2e.write_devices import loop_device, make_disk_image

pytestmark = [needs_root, pytest.mark.root]


def drive_for(loop: str):  # type: ignore[no-untyped-def]
    drive = find_drive(loop)
    assert drive is not None, f"{loop} not listed"
    return drive


def test_write_many_writes_each_stick_and_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    data = make_disk_image(image, 6 * MiB + 4096)
    events: dict[str, list[str]] = {}

    def progress(device: str, event: Progress) -> None:
        events.setdefault(device, []).append(event.phase)

    with (
        loop_device(16 * MiB, tmp_path) as (a, _),
        loop_device(4 * MiB, tmp_path) as (small, small_file),
        loop_device(16 * MiB, tmp_path) as (b, _),
    ):
        small_file.write_bytes(b"\x11" * 4 * MiB)
        request = WriteRequest(image, mode="raw", allow_non_removable=True, confirm_devices=(a, small, b))
        outcomes = write_many(request, [drive_for(a), drive_for(small), drive_for(b)], progress=progress)
        for loop in (a, b):
            with open(loop, "rb") as handle:
                assert handle.read(len(data)) == data
        assert small_file.read_bytes() == b"\x11" * 4 * MiB  # refused: untouched
    ok_a, refused, ok_b = outcomes
    assert ok_a.error is None and ok_b.error is None and ok_a.result and ok_a.result.verified
    assert ok_a.result.sha256 == hashlib.sha256(data).hexdigest()
    assert isinstance(refused.error, SafetyRefusal) and refused.exit_code == 4
    assert "too small" in refused.error.message
    assert events[a][-1] == "done" and events[b][-1] == "done" and events[small] == ["error"]
    records = {r.device_path: r for r in history.load_history()}
    assert records[a].result == history.VERIFIED and records[b].result == history.VERIFIED
    assert records[small].result == history.REFUSED and "too small" in (records[small].error or "")
    assert records[a].image_sha256 == hashlib.sha256(data).hexdigest()


def test_confirmation_must_name_this_device(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with loop_device(8 * MiB, tmp_path) as (a, backing), loop_device(8 * MiB, tmp_path) as (b, _):
        before = backing.read_bytes()
        request = WriteRequest(image, mode="raw", allow_non_removable=True, confirm_devices=(b, "/dev/other"))
        outcome = write_to_drive(request, drive_for(a))
        assert backing.read_bytes() == before
    assert isinstance(outcome.error, SafetyRefusal) and "confirmation" in outcome.error.message


def test_the_stick_must_still_be_the_one_chosen(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    make_disk_image(image, MiB)
    with loop_device(8 * MiB, tmp_path) as (a, backing):
        chosen = drive_for(a)
        chosen.size_bytes += 512  # as if another stick now had this name
        before = backing.read_bytes()
        outcome = write_to_drive(
            WriteRequest(image, mode="raw", allow_non_removable=True, confirm_devices=(a,)), chosen
        )
        assert backing.read_bytes() == before
    assert (
        isinstance(outcome.error, SafetyRefusal) and "not the drive that was chosen" in outcome.error.message
    )
