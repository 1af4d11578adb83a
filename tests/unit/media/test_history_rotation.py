"""A write history far past its limit (200,000 records, written by another tool or an old version):
the next read rotates it (the whole file kept as an archive), later reads answer in well under
a second, and concurrent appends from processes lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from ecs_field.media import history
from ecs_field.media.history import (
    MAX_RECORDS,
    SCHEMA,
    WriteRecord,
    append_record,
    history_path,
    load_history,
)
from tests.clirun import run_process


def _record(i: int) -> dict[str, object]:
    return WriteRecord(
        image_name=f"esxi-{i}.iso",
        device_path="/dev/sdb",
        result=history.VERIFIED,
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:05:00Z",
        mode="raw",
        phases=[{"phase": "write", "bytes": 1, "seconds": 2.0, "rate_bps": 3.0}],
        id=f"id-{i}",
    ).to_dict()


def test_200000_records_rotate_and_then_answer_fast() -> None:
    path = history_path()
    path.write_text(json.dumps({"schema": SCHEMA, "records": [_record(i) for i in range(200_000)]}))
    size = path.stat().st_size
    records = load_history()
    assert len(records) == MAX_RECORDS and records[-1].id == "id-199999" and records[0].id == "id-199000"
    archives = list(path.parent.glob("write-history.json.archive-*"))
    assert len(archives) == 1 and archives[0].stat().st_size == size  # nothing lost
    assert len(json.loads(path.read_text())["records"]) == MAX_RECORDS
    started = time.perf_counter()
    done = run_process("history", "--json")
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["records"]) == MAX_RECORDS
    assert elapsed < 3.0  # a new process included; the read itself is a few ms


def test_a_bad_old_record_is_archived_unread_not_a_corrupt_file() -> None:
    records = [_record(i) for i in range(MAX_RECORDS + 10)]
    records[0] = {"image_name": ["not", "text"]}
    history_path().write_text(json.dumps({"schema": SCHEMA, "records": records}))
    assert len(load_history()) == MAX_RECORDS
    assert not list(history_path().parent.glob("*.corrupt-*"))


def test_append_to_an_over_full_history_archives_first() -> None:
    history_path().write_text(
        json.dumps({"schema": SCHEMA, "records": [_record(i) for i in range(MAX_RECORDS + 5)]})
    )
    append_record(WriteRecord.from_dict(_record(99_999)))
    kept = load_history()
    assert len(kept) == MAX_RECORDS and kept[-1].id == "id-99999"
    assert list(history_path().parent.glob("write-history.json.archive-*"))


def test_processes_appending_at_once_lose_nothing() -> None:
    script = (
        "import sys\n"
        "from ecs_field.media.history import WriteRecord, append_record\n"
        "for j in range(10):\n"
        "    append_record(WriteRecord('a.iso', '/dev/sdz', 'verified', 'x', 'y', id=f'{sys.argv[1]}-{j}'))\n"
    )
    children = [subprocess.Popen([sys.executable, "-c", script, str(i)]) for i in range(6)]
    for child in children:
        assert child.wait(120) == 0
    ids = {r.id for r in load_history()}
    assert ids == {f"{i}-{j}" for i in range(6) for j in range(10)}
