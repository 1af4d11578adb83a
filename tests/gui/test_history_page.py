"""The History page on real write records (written through the history module) and a corrupt file."""

from __future__ import annotations

import os
from pathlib import Path

from ecs_field.gui.pages.history import HistoryPage
from ecs_field.media import history

SHOTS = os.environ.get("ECS_FIELD_SCREENSHOTS")


def record(result: str, serial: str, **changes: object) -> history.WriteRecord:
    values: dict[str, object] = dict(
        image_name="VMware-VMvisor-Installer-8.0U2-22380479.x86_64.iso", device_path="/dev/sdb",
        result=result, started_at="2026-11-20T09:15:02Z", ended_at="2026-11-20T09:17:40Z", mode="uefi-fat32",
        image_path="/srv/isos/VMware-VMvisor-Installer-8.0U2-22380479.x86_64.iso",
        image_sha256="a" * 64, written_sha256="b" * 64, bytes_written=630_194_176, device_vendor="SanDisk",
        device_model="Ultra", device_serial=serial, device_size_bytes=30_752_636_928,
        phases=[{"phase": "write", "bytes": 630_194_176, "seconds": 21.0, "rate_bps": 30_009_246.5},
                {"phase": "verify", "bytes": 630_194_176, "seconds": 7.0, "rate_bps": 90_027_739.4}],
        verified=result == "verified",
    )
    values.update(changes)
    return history.WriteRecord(**values)  # type: ignore[arg-type]


def test_history_lists_records_newest_first(qtbot) -> None:
    history.append_record(record("verified", "4C530001230817105404"))
    history.append_record(record("failed", "AA00000000017361", started_at="2026-11-21T10:00:00Z",
                                 error="I/O error writing /dev/sdb at 112 MiB: the stick was unplugged",
                                 verified=False, exit_code=5, phases=[]))
    page = HistoryPage()
    qtbot.addWidget(page)
    page.resize(1100, 500)
    page.show()
    page.activated()
    assert page.table.rowCount() == 2
    assert page.table.item(0, 0).text() == "2026-11-21 10:00:00"
    assert page.table.item(0, 7).text() == "● Failed"
    assert page.table.item(1, 7).text() == "● Verified"
    assert page.table.item(1, 5).text() == "4C530001230817105404"
    assert page.table.item(1, 8).text() == "30.0 MB/s" and page.table.item(1, 9).text() == "90.0 MB/s"
    assert page.status.text() == "2 writes, 1 verified"
    assert "unplugged" in page.details.text()  # the newest (failed) one is selected
    page.table.selectRow(1)
    assert "read back and matched" in page.details.text()
    if SHOTS:
        page.grab().save(str(Path(SHOTS) / "history.png"))


def test_history_empty_and_corrupt(qtbot) -> None:
    page = HistoryPage()
    qtbot.addWidget(page)
    page.activated()
    assert page.table.rowCount() == 0 and "No writes yet" in page.status.text()
    history.history_path().write_text("{ not json")
    page.reload()
    assert page.table.rowCount() == 0
    assert "✖" in page.status.text() and "set aside" in page.status.text()
    assert list(history.history_path().parent.glob("*.corrupt-*"))  # kept for inspection, not overwritten
