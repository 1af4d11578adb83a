"""Write records: appended atomically, read back, a corrupt file set aside and reported."""

from __future__ import annotations

import json
import threading

import pytest

from ecs_field.media import history
from ecs_field.storage import CorruptFile


def record(n: int, result: str = history.VERIFIED) -> history.WriteRecord:
    return history.WriteRecord(
        image_name=f"esxi-{n}.iso",
        device_path="/dev/sdz",
        result=result,
        started_at="2026-11-26T10:00:00Z",
        ended_at="2026-11-26T10:05:00Z",
        mode="uefi-fat32",
        image_sha256="a" * 64,
        written_sha256="b" * 64,
        bytes_written=2_000_000_000,
        device_vendor="SanDisk",
        device_model="Cruzer Blade",
        device_serial=f"SN{n}",
        device_size_bytes=16_000_000_000,
        phases=[{"phase": "write", "bytes": 2_000_000_000, "seconds": 40.0, "rate_bps": 5e7}],
        verified=result == history.VERIFIED,
    )


def test_empty_history() -> None:
    assert history.load_history() == []


def test_append_and_load_round_trip() -> None:
    assert history.append_record(record(1)) is None
    assert history.append_record(record(2, history.FAILED)) is None
    loaded = history.load_history()
    assert [r.image_name for r in loaded] == ["esxi-1.iso", "esxi-2.iso"]
    assert loaded[0].device_serial == "SN1" and loaded[0].image_sha256 == "a" * 64
    assert loaded[1].result == history.FAILED and loaded[0].rate_bps("write") == 5e7
    document = json.loads(history.history_path().read_text())
    assert document["schema"] == history.SCHEMA


def test_corrupt_file_is_set_aside_and_reported_never_overwritten() -> None:
    path = history.history_path()
    path.write_text("{ not json")
    with pytest.raises(CorruptFile) as caught:
        history.load_history()
    aside = caught.value.aside
    assert aside.read_text() == "{ not json" and "set aside" in caught.value.message
    # The next write starts a fresh file and says what happened to the old one.
    path.write_text(json.dumps({"schema": "someone-else@9", "records": []}))
    warning = history.append_record(record(3))
    assert warning is not None and "set aside" in warning
    assert [r.image_name for r in history.load_history()] == ["esxi-3.iso"]
    assert len(list(path.parent.glob(path.name + ".corrupt-*"))) == 2


def test_a_record_of_the_wrong_shape_is_corrupt() -> None:
    history.history_path().write_text(json.dumps({"schema": history.SCHEMA, "records": [{"x": 1}]}))
    with pytest.raises(CorruptFile):
        history.load_history()


def test_parallel_appends_lose_nothing() -> None:
    threads = [threading.Thread(target=history.append_record, args=(record(n),)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.device_serial for r in history.load_history()) == sorted(f"SN{n}" for n in range(8))


def test_history_command_reports_a_corrupt_file(capsys: pytest.CaptureFixture[str]) -> None:
    from ecs_field.cli import main

    history.history_path().write_text("[1, 2")
    assert main(["history"]) == 2
    err = capsys.readouterr().err
    assert "set aside" in err and "write-history.json" in err
    assert main(["history", "--json"]) == 0  # the next run starts empty, the bad file kept aside
    assert json.loads(capsys.readouterr().out) == {"schema": history.SCHEMA, "records": []}


def test_history_command_lists_records(capsys: pytest.CaptureFixture[str]) -> None:
    from ecs_field.cli import main

    history.append_record(record(7, history.FAILED))
    assert main(["history"]) == 0
    captured = capsys.readouterr()
    assert "esxi-7.iso" in captured.out and "FAILED" in captured.out and "SN7" in captured.out
