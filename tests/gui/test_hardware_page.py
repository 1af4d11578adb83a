"""The Hardware page: verdict for an imported report, exports, release switch, hot-plug refresh."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ecs_field.compat.catalog import clear_cache
from ecs_field.gui.pages.hardware import HardwarePage
from ecs_field.hardware.inventory import Inventory
from tests.unit.compat import inventories as boxes

FIXTURES = Path(__file__).parent.parent / "unit" / "compat" / "fixtures"


class FakeWatcher:
    """Stands in for NetDeviceWatcher: the test fires the callback from a thread of its own."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def fire_from_thread(self) -> None:
        thread = threading.Thread(target=self.callback)
        thread.start()
        thread.join()


@pytest.fixture(autouse=True)
def fresh_catalog() -> None:
    clear_cache()


@pytest.fixture
def watchers() -> list[FakeWatcher]:
    return []


@pytest.fixture
def machine() -> dict[str, Inventory]:
    """What the fake probe reports; tests swap the inventory to simulate plugging a NIC."""
    return {"now": boxes.nuc12_hybrid()}


@pytest.fixture
def page(qtbot: QtBot, watchers: list[FakeWatcher], machine: dict[str, Inventory]) -> HardwarePage:
    def probe(_ids: Collection[str]) -> Inventory:
        return machine["now"]

    def make_watcher(callback: Callable[[], None]) -> FakeWatcher:
        watcher = FakeWatcher(callback)
        watchers.append(watcher)
        return watcher

    widget = HardwarePage(probe=probe, watcher_factory=make_watcher)
    qtbot.addWidget(widget)
    widget.resize(1000, 720)
    widget.show()
    return widget


def wait_verdict(qtbot: QtBot, page: HardwarePage, count: int = 1) -> None:
    qtbot.waitUntil(lambda: page.verdict is not None and not page._busy, timeout=5000)


def test_imported_fixture_shows_verdict_checks_and_nics(qtbot: QtBot, page: HardwarePage) -> None:
    page.set_release("8.0U3")
    assert page.accepts_drop(FIXTURES / "nuc11-rtl8156.inventory.json")
    page.open_path(FIXTURES / "nuc11-rtl8156.inventory.json")
    wait_verdict(qtbot, page)
    assert page.banner.state == "actions-required"
    assert "Supported after actions" in page.banner.word.text()
    assert "Intel NUC 11 Pro" in page.banner.box.text()
    text = page.checks_view.toPlainText()
    assert "ACTION" in text and "usbBusFullScanOnBootEnabled=1" in text
    assert page.nic_table.rowCount() == 2
    cells = [[page.nic_table.item(r, c).text() for c in range(8)] for r in range(2)]
    assert cells[1][0] == "vusb0" and cells[1][3] == "USB 0bda:8156" and "driver required" in cells[1][6]
    assert cells[1][7] == "USB NIC Fling 1.14-7vmw.803"
    assert page.export_button.isEnabled()


def test_release_switch_re_evaluates(qtbot: QtBot, page: HardwarePage) -> None:
    page.set_release("8.0U1")
    inventory = boxes.westmere_no_xsave()
    inventory.cpu.flags_complete = True  # a full flag list: the missing xsave is a fact
    page.show_inventory(inventory, "test")
    assert page.banner.state in ("supported", "actions-required")  # XSAVE is needed from 8.0U2
    page.set_release("8.0U3")
    assert page.banner.state == "unsupported"
    assert "XSAVE" in page.checks_view.toPlainText()


def test_exports_write_valid_json_and_html(qtbot: QtBot, page: HardwarePage, tmp_path: Path) -> None:
    page.set_release("8.0U3")
    page.show_inventory(boxes.realtek_box(), "test")
    page.export(tmp_path / "v.json", "json")
    page.export(tmp_path / "v.html", "html")
    doc = json.loads((tmp_path / "v.json").read_text())
    assert doc["schema"] == "ecs-field/verdict@1" and doc["verdict"] == "actions-required"
    assert doc["nics"][0]["driver"] == "if_re"
    text = (tmp_path / "v.html").read_text()
    assert text.startswith("<!DOCTYPE html>") and "Supported after actions" in text and "ACTION" in text

    class Checker(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.void = {"meta", "br", "link"}

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag not in self.void:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

    checker = Checker()
    checker.feed(text)
    assert checker.stack == []


def test_html_escapes_values_from_the_box(qtbot: QtBot, page: HardwarePage, tmp_path: Path) -> None:
    inv = boxes.supermicro_supported()
    inv.platform.product = "<script>alert(1)</script>"
    page.show_inventory(inv, "test")
    page.export(tmp_path / "v.html", "html")
    text = (tmp_path / "v.html").read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_bad_report_shows_error_in_place(qtbot: QtBot, page: HardwarePage, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes\n")
    assert not page.accepts_drop(bad)
    page.import_files([bad])
    qtbot.waitUntil(lambda: page.banner.state == "error" and not page._busy, timeout=5000)
    assert "notes.txt" in page.banner.summary.text()
    assert page.banner.word.text() == "Could not read the report"


def test_check_this_machine_runs_in_a_worker(qtbot: QtBot, page: HardwarePage) -> None:
    page.set_release("8.0U3")
    page.check_this_machine()
    assert page._busy and not page.check_button.isEnabled()  # returned at once; the probe runs off-thread
    wait_verdict(qtbot, page)
    assert page.from_probe and page.origin == "this machine"
    assert page.banner.state == "actions-required"  # hybrid CPU
    assert page.check_button.isEnabled()


def test_hot_plug_refreshes_the_page(
    qtbot: QtBot, page: HardwarePage, watchers: list[FakeWatcher], machine: dict[str, Inventory]
) -> None:
    page.set_release("8.0U3")
    page.activated()
    assert len(watchers) == 1 and watchers[0].started
    page.check_this_machine()
    wait_verdict(qtbot, page)
    assert page.nic_table.rowCount() == 1
    # plug a USB NIC: the probe now sees it, and the watcher fires from its own thread
    plugged = boxes.nuc12_hybrid()
    dev, nic = boxes.usb_nic("2-1", "0bda", "8156", "vusb0", ["ff/ff"])
    plugged.usb.append(dev)
    plugged.nics.append(nic)
    machine["now"] = plugged
    watchers[0].fire_from_thread()
    qtbot.waitUntil(lambda: page.nic_table.rowCount() == 2 and not page._busy, timeout=2000)
    assert page.nic_table.item(1, 0).text() == "vusb0"
    assert page.probe_count == 2
    page.shutdown()
    assert watchers[0].stopped


def test_watcher_does_not_replace_an_imported_report(
    qtbot: QtBot, page: HardwarePage, watchers: list[FakeWatcher]
) -> None:
    page.activated()
    page.show_inventory(boxes.realtek_box(), "report.json")
    watchers[0].fire_from_thread()
    qtbot.wait(200)
    assert page.origin == "report.json" and page.probe_count == 0


def test_self_test_evaluates_the_bundled_sample(qtbot: QtBot, page: HardwarePage) -> None:
    page.self_test()
    assert page.verdict is not None and page.banner.state in ("supported", "actions-required", "unsupported")
    assert page.nic_table.rowCount() >= 1


def test_release_selector_starts_at_the_catalog_default(page: HardwarePage) -> None:
    from ecs_field.compat.catalog import load_catalog

    assert page.release_id == load_catalog().default_release.id
    assert "(default)" in page.release_box.currentText()


def test_inventory_is_recorded_for_a_site_and_exported(
    qtbot: QtBot, page: HardwarePage, tmp_path: Path
) -> None:
    from ecs_field.sites.registry import Registry, Site

    Registry.load().add(Site(name="depot-7", repo=str(tmp_path)))
    page.show_inventory(boxes.nuc12_hybrid(), "test")
    page._fill_site_menu()
    assert [a.text() for a in page.site_menu.actions()] == ["depot-7"]
    page.site_menu.actions()[0].trigger()
    stored = Registry.load().get("depot-7").inventory
    assert isinstance(stored, dict) and stored["schema"] == "ecs-field/inventory@1"
    assert [n["esxi_name"] for n in stored["nics"]] == [n.esxi_name for n in page.inventory.nics]
    page.export(tmp_path / "box.json", "inventory")
    assert json.loads((tmp_path / "box.json").read_text()) == stored
