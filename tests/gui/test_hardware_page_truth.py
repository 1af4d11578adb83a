"""The Hardware page tells known from unknown (issue 7): not-checked checks, input warnings,
recommended adapters, hot-plug that never replaces an imported report, failed imports that do
not leave the old verdict standing, and keyboard paths to the new controls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QPalette, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ecs_field.compat.catalog import clear_cache
from ecs_field.gui.pages import hardware
from ecs_field.gui.pages.hardware import HardwarePage
from ecs_field.gui.widgets.hardware_checks import SHOW_ALL_LINK
from ecs_field.gui.widgets.hardware_style import DARK, LIGHT
from ecs_field.hardware.inventory import Inventory
from tests.unit.compat import inventories as boxes

MACHINES = Path(__file__).parent.parent / "fixtures" / "hardware" / "machines"
NUC12_LSPCI = MACHINES / "asus-nuc12wsh-b" / "lspci-vvnn.txt"

WARNINGS = [
    {"file": "box.txt", "line": 1, "message": "shell prompt skipped: '$ sudo lspci -vvnn'", "kind": "noise"},
    {"file": "box.txt", "line": 812, "message": "the dump ends mid-line", "kind": "truncated"},
    {"file": "usb.txt", "line": None, "message": "decoded as UTF-16", "kind": "encoding"},
]
RECOMMENDATIONS = [
    {
        "bus": "usb",
        "id": "0bda:8156",
        "chip": "Realtek RTL8156B",
        "driver": "vmkusb_nic_fling",
        "component": "USB NIC Fling 1.14-7vmw.803",
        "speed_mbps": 2500,
        "confidence": "high",
        "reason": "No usable NIC: add one of these. USB adapter.",
    },
    {
        "bus": "pci",
        "id": "8086:125c",
        "chip": "Intel I226-V",
        "driver": "ne1000",
        "component": None,
        "speed_mbps": 2500,
        "confidence": "medium",
        "reason": "No usable NIC: add one of these. PCIe card.",
    },
]


class FakeWatcher:
    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def fire_from_thread(self) -> None:
        thread = threading.Thread(target=self.callback)
        thread.start()
        thread.join()


class Gate:
    """Holds a worker until the test opens it (a slow probe or import, deterministically)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def wait(self) -> None:
        self.entered.set()
        assert self.opened.wait(10), "the test never opened the gate"


@pytest.fixture(autouse=True)
def fresh_catalog() -> None:
    clear_cache()


@pytest.fixture
def machine() -> dict[str, Any]:
    """What the fake probe reports, and an optional gate that holds it."""
    return {"now": boxes.nuc12_hybrid(), "gate": None}


@pytest.fixture
def watchers() -> list[FakeWatcher]:
    return []


@pytest.fixture
def page(qtbot: QtBot, machine: dict[str, Any], watchers: list[FakeWatcher]) -> Iterator[HardwarePage]:
    def probe(_ids: Collection[str]) -> Inventory:
        if machine["gate"] is not None:
            machine["gate"].wait()
        return machine["now"]

    def make_watcher(callback: Callable[[], None]) -> FakeWatcher:
        watchers.append(FakeWatcher(callback))
        return watchers[-1]

    widget = HardwarePage(probe=probe, watcher_factory=make_watcher)
    qtbot.addWidget(widget)
    widget.resize(1100, 760)
    widget.show()
    widget.activated()
    yield widget
    if machine["gate"] is not None:
        machine["gate"].opened.set()
    widget.jobs.wait_all(5000)


def idle(qtbot: QtBot, page: HardwarePage) -> None:
    qtbot.waitUntil(lambda: not page._busy, timeout=5000)


def with_doc(monkeypatch: pytest.MonkeyPatch, change: Callable[[dict[str, Any]], None]) -> None:
    """The page's verdicts get ``change`` applied to their document (fields the test controls)."""
    real = hardware.evaluate

    def evaluate(*args: Any) -> Any:
        verdict = real(*args)
        to_dict = verdict.to_dict

        def doc() -> dict[str, Any]:
            data = to_dict()
            change(data)
            return data

        verdict.to_dict = doc  # type: ignore[method-assign]
        return verdict

    monkeypatch.setattr(hardware, "evaluate", evaluate)


def colour_of(page: HardwarePage, word: str) -> str:
    """The text colour the checks list draws ``word`` in (its first occurrence)."""
    document = page.checks_view.document()
    cursor = document.find(word)
    assert not cursor.isNull(), f"{word!r} not in the checks list"
    probe = QTextCursor(document)
    probe.setPosition(cursor.selectionStart() + 1)
    return probe.charFormat().foreground().color().name()


def row_word(page: HardwarePage, title: str) -> str:
    """The state word in the row whose title starts with ``title``."""
    lines = page.checks_view.toPlainText().splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith(title):
            return lines[index - 1].strip()
    raise AssertionError(f"no check titled {title!r} in {lines}")


def mixed_states(doc: dict[str, Any]) -> None:
    """One check of each state: pass, action, fail and not checked."""
    doc["checks"] = [
        {
            "id": "platform",
            "status": "warn",
            "title": "Platform: not checked",
            "detail": "No DMI data.",
            "fix": "Add the output of `sudo dmidecode` from the box.",
            "not_checked": True,
            "seen": None,
        },
        {
            "id": "min-memory",
            "status": "fail",
            "title": "At least 8 GB RAM",
            "detail": "4 GiB installed.",
            "fix": "Fit at least 8 GB.",
            "not_checked": False,
            "seen": "4.0 GiB (dmidecode: box.txt)",
        },
        {
            "id": "cpu-hybrid",
            "status": "warn",
            "title": "Hybrid CPU",
            "detail": "4 P + 8 E cores.",
            "fix": "Boot with cpuUniformityHardCheckPanic=FALSE.",
            "not_checked": False,
        },
        {
            "id": "min-cores",
            "status": "pass",
            "title": "At least 2 CPU cores",
            "detail": "12 cores.",
            "fix": None,
            "not_checked": False,
            "seen": "12 cores (probe)",
        },
    ]


# not checked ------------------------------------------------------------------
def test_not_checked_has_its_own_word_colour_and_how_to(
    monkeypatch, qtbot: QtBot, page: HardwarePage
) -> None:
    with_doc(monkeypatch, mixed_states)
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    text = page.checks_view.toPlainText()
    assert row_word(page, "Platform: not checked") == "? NOT CHECKED"
    assert row_word(page, "At least 8 GB RAM") == "✖ FAIL"
    assert row_word(page, "Hybrid CPU") == "! ACTION"
    assert row_word(page, "At least 2 CPU cores") == "✔ PASS"
    # a not-checked check says how to check; a real action says how to fix
    assert "How to check: Add the output of sudo dmidecode from the box." in text
    assert "Fix: Fit at least 8 GB." in text and "How to check: Fit" not in text
    assert "Seen: 4.0 GiB (dmidecode: box.txt)" in text
    colours = {w: colour_of(page, w) for w in ("? NOT CHECKED", "✖ FAIL", "! ACTION", "✔ PASS")}
    assert colours["? NOT CHECKED"] == QColor(LIGHT.not_checked).name()
    assert len(set(colours.values())) == 4, colours
    # order: fail, action, not checked, pass
    order = [text.index(w) for w in ("✖ FAIL", "! ACTION", "? NOT CHECKED", "✔ PASS")]
    assert order == sorted(order)


def test_counts_name_not_checked_separately(monkeypatch, qtbot: QtBot, page: HardwarePage) -> None:
    with_doc(monkeypatch, mixed_states)
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    counts = page.counts_label.text()
    assert "1 failed" in counts and "1 need action" in counts
    assert "1 not checked" in counts and "1 passed" in counts
    assert QColor(LIGHT.not_checked).name() in counts.lower()
    assert page.counts_label.accessibleName() == "Checks: 1 failed, 1 need action, 1 not checked, 1 passed"


def test_dark_palette_redraws_with_readable_colours(monkeypatch, qtbot: QtBot, page: HardwarePage) -> None:
    with_doc(monkeypatch, mixed_states)
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = app.palette()
    dark = QPalette(saved)
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
        dark.setColor(role, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(
            lambda: colour_of(page, "? NOT CHECKED") == QColor(DARK.not_checked).name(), timeout=2000
        )
        assert colour_of(page, "✔ PASS") == QColor(DARK.passed).name()
        text_colour, background, _ = page.banner.colours()
        assert QColor(background).lightness() < 80 < QColor(text_colour).lightness()
    finally:
        app.setPalette(saved)
    qtbot.waitUntil(
        lambda: colour_of(page, "? NOT CHECKED") == QColor(LIGHT.not_checked).name(), timeout=2000
    )


def test_no_dmi_data_never_shows_platform_pass(qtbot: QtBot, page: HardwarePage) -> None:
    """The real verdict for a bare lspci dump: the page shows what the verdict says, never PASS."""
    page.show_inventory(boxes.lspci_only(), "lspci.txt")
    platform = next(c for c in page.doc["checks"] if c["id"] == "platform")
    assert platform["status"] != "pass"
    title = platform["title"]
    expected = "? NOT CHECKED" if platform.get("not_checked") else "! ACTION"
    assert row_word(page, title) == expected
    assert "Platform not checked" in page.banner.box.text()


# input warnings ---------------------------------------------------------------
def test_input_warnings_listed_and_cut_short_named_when_folded(
    monkeypatch, qtbot: QtBot, page: HardwarePage
) -> None:
    with_doc(monkeypatch, lambda d: d.update(input_warnings=WARNINGS))
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    panel = page.warnings_panel
    assert panel.isVisible() and not panel.details.isVisible()
    assert panel.toggle.text() == "Input &warnings (3)"
    assert "Cut short: box.txt:812" in panel.summary.text()
    panel.toggle.setFocus()
    QTest.keyClick(panel.toggle, Qt.Key.Key_Space)
    assert panel.details.isVisible()
    listed = panel.details.toPlainText()
    for expected in (
        "cut short",
        "box.txt:812",
        "the dump ends mid-line",
        "skipped",
        "box.txt:1",
        "usb.txt",
        "decoded as UTF-16",
    ):
        assert expected in listed
    assert listed.index("the dump ends mid-line") < listed.index("shell prompt skipped")  # the cut first


def test_no_warnings_no_panel(qtbot: QtBot, page: HardwarePage) -> None:
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    assert page.doc is not None and not page.doc.get("input_warnings")
    assert not page.warnings_panel.isVisible()


def test_a_real_cut_short_dump_is_visible_as_such(qtbot: QtBot, page: HardwarePage, tmp_path: Path) -> None:
    text = NUC12_LSPCI.read_text(encoding="utf-8")
    cut = tmp_path / "lspci-vvnn.txt"
    cut.write_text(
        "$ sudo lspci -vvnn\n" + text[: text.find("\n", len(text) * 2 // 3) + 25], encoding="utf-8"
    )
    page.import_files([cut])
    idle(qtbot, page)
    assert page.doc is not None, page.banner.summary.text()
    kinds = {w.get("kind") for w in page.doc.get("input_warnings") or []}
    assert "truncated" in kinds
    assert (
        page.warnings_panel.isVisible() and "Cut short: lspci-vvnn.txt" in page.warnings_panel.summary.text()
    )


# recommendations --------------------------------------------------------------
def test_recommendations_listed_chip_first_with_what_to_add(
    monkeypatch, qtbot: QtBot, page: HardwarePage
) -> None:
    def no_nic(doc: dict[str, Any]) -> None:
        doc["checks"].append(
            {
                "id": "nic-usable",
                "status": "fail",
                "title": "A network adapter ESXi can use",
                "detail": "None.",
                "fix": "Add one.",
                "not_checked": False,
            }
        )
        doc["recommendations"] = RECOMMENDATIONS

    with_doc(monkeypatch, no_nic)
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    text = page.checks_view.toPlainText()
    assert "➜ ADD" in text and "No usable NIC: add one of these." in text
    assert (
        "Realtek RTL8156B USB 0bda:8156 · 2.5 Gb/s — add USB NIC Fling 1.14-7vmw.803 "
        "(driver vmkusb_nic_fling)" in text
    )
    assert (
        "Intel I226-V PCI 8086:125c · 2.5 Gb/s — driver ne1000 is in the ESXi image, nothing to add" in text
    )
    assert text.count("No usable NIC: add one of these.") == 1  # said once above the list
    # needed adapters follow the failure, before the points to verify
    assert text.index("✖ FAIL") < text.index("➜ ADD") < text.index("✔ PASS")


def test_optional_adapters_close_the_list(monkeypatch, qtbot: QtBot, page: HardwarePage) -> None:
    optional = [dict(r, reason="Optional: a second uplink. USB adapter.") for r in RECOMMENDATIONS]
    with_doc(monkeypatch, lambda d: d.update(recommendations=optional))
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    text = page.checks_view.toPlainText()
    assert "➜ ADD" not in text and "+ ADAPTERS" in text
    assert text.rindex("✔ PASS") < text.index("+ ADAPTERS")
    assert text.count("Optional: a second uplink.") == 1


def test_long_recommendation_list_is_short_until_asked(monkeypatch, qtbot: QtBot, page: HardwarePage) -> None:
    many = [dict(RECOMMENDATIONS[0], chip=f"Adapter {i}", id=f"0bda:81{i:02d}") for i in range(9)]
    with_doc(monkeypatch, lambda d: d.update(recommendations=many))
    page.show_inventory(boxes.nuc12_hybrid(), "box.txt")
    text = page.checks_view.toPlainText()
    assert "Adapter 3" in text and "Adapter 4" not in text and "Show all 9 adapters" in text
    page.checks_view.anchorClicked.emit(QUrl(SHOW_ALL_LINK))
    assert "Adapter 8" in page.checks_view.toPlainText()


# hot-plug ---------------------------------------------------------------------
def test_hot_plug_on_an_imported_report_offers_a_recheck(
    qtbot: QtBot, page: HardwarePage, watchers: list[FakeWatcher]
) -> None:
    page.show_inventory(boxes.realtek_box(), "report.json")
    watchers[0].fire_from_thread()
    qtbot.waitUntil(page.notice.isVisible, timeout=2000)
    assert page.probe_count == 0 and not page._busy and page.origin == "report.json"
    assert "report.json" in page.notice.message.text()
    page.notice.action.click()
    qtbot.waitUntil(lambda: page.probe_count == 1 and not page._busy, timeout=5000)
    assert page.from_probe and page.origin == "this machine" and not page.notice.isVisible()


def test_hot_plug_during_an_import_does_not_replace_it(
    monkeypatch, qtbot: QtBot, page: HardwarePage, watchers: list[FakeWatcher]
) -> None:
    page.check_this_machine()
    idle(qtbot, page)
    assert page.from_probe and page.probe_count == 1
    gate = Gate()

    def slow_import(paths: list[Path], usb_nic_ids: Collection[str] = ()) -> Inventory:
        gate.wait()
        return boxes.realtek_box()

    monkeypatch.setattr("ecs_field.hardware.importer.load_inputs", slow_import)
    page.import_files([Path("other-box.txt")])
    assert gate.entered.wait(5)
    watchers[0].fire_from_thread()  # a USB NIC plugged into this laptop while the import runs
    qtbot.waitUntil(page.notice.isVisible, timeout=2000)
    assert page._busy_kind == "import" and page.probe_count == 1
    gate.opened.set()
    idle(qtbot, page)
    QTest.qWait(200)  # a queued re-probe would start now
    assert page.origin == "other-box.txt" and not page.from_probe
    assert page.probe_count == 1 and not page._busy
    assert page.notice.isVisible()


def test_a_slow_probe_never_overwrites_a_later_import(
    qtbot: QtBot, page: HardwarePage, machine: dict[str, Any], tmp_path: Path
) -> None:
    gate = Gate()
    machine["gate"] = gate
    page.check_this_machine()
    assert gate.entered.wait(5)
    page.import_files(
        [Path(__file__).parent.parent / "unit" / "compat" / "fixtures" / "realtek-box.inventory.json"]
    )
    idle(qtbot, page)
    gate.opened.set()
    QTest.qWait(300)
    assert page.origin == "realtek-box.inventory.json" and not page.from_probe and page.probe_count == 0


def test_hot_plug_on_this_machine_still_re_checks_it(
    qtbot: QtBot, page: HardwarePage, watchers: list[FakeWatcher]
) -> None:
    page.check_this_machine()
    idle(qtbot, page)
    watchers[0].fire_from_thread()
    qtbot.waitUntil(lambda: page.probe_count == 2 and not page._busy, timeout=5000)
    assert not page.notice.isVisible()


# failures and cancel ----------------------------------------------------------
def test_failed_import_clears_the_previous_verdict(qtbot: QtBot, page: HardwarePage, tmp_path: Path) -> None:
    page.show_inventory(boxes.realtek_box(), "good-box.json")
    assert page.nic_table.rowCount() == 2 and page.export_button.isEnabled()
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes\n")
    page.import_files([bad])
    assert page.footer.text().startswith("Reading notes.txt")
    idle(qtbot, page)
    assert page.banner.state == "error" and "notes.txt" in page.banner.summary.text()
    assert "The result shown before, for good-box.json, was cleared." in page.banner.box.text()
    assert page.verdict is None and page.doc is None and page.inventory is None
    assert page.nic_table.rowCount() == 0 and not page.export_button.isEnabled()
    assert "No result for notes.txt" in page.checks_view.toPlainText()
    assert "Reading" not in page.footer.text() and page.footer.text().startswith("Catalog")
    assert page.counts_label.text() == ""


def test_cancel_keeps_the_previous_result_and_the_footer_moves_on(
    monkeypatch, qtbot: QtBot, page: HardwarePage
) -> None:
    page.show_inventory(boxes.realtek_box(), "good-box.json")
    shown = page.banner.state
    gate = Gate()

    def slow_import(paths: list[Path], usb_nic_ids: Collection[str] = ()) -> Inventory:
        gate.wait()
        return boxes.nuc12_hybrid()

    monkeypatch.setattr("ecs_field.hardware.importer.load_inputs", slow_import)
    page.import_files([Path("slow.txt")])
    assert gate.entered.wait(5)
    assert page.cancel_button.isVisible() and "Reading slow.txt" in page.footer.text()
    assert "still for good-box.json" in page.footer.text()
    page.cancel_button.setFocus()
    QTest.keyClick(page.cancel_button, Qt.Key.Key_Space)
    assert not page._busy and not page.cancel_button.isVisible()
    assert "Reading" not in page.footer.text()
    gate.opened.set()
    page.jobs.wait_all(5000)
    QTest.qWait(100)
    assert page.origin == "good-box.json" and page.banner.state == shown
    assert page.inventory is not None and page.inventory.cpu.model == boxes.realtek_box().cpu.model


# keyboard ---------------------------------------------------------------------
def tab_chain(page: HardwarePage) -> list[Any]:
    page.release_box.setFocus()
    reached = []
    for _ in range(60):
        page.focusNextChild()
        widget = QApplication.focusWidget()
        if widget is None or widget in reached:
            break
        reached.append(widget)
    return reached


def test_new_controls_are_reachable_by_keyboard(
    monkeypatch, qtbot: QtBot, page: HardwarePage, watchers: list[FakeWatcher]
) -> None:
    with_doc(monkeypatch, lambda d: d.update(input_warnings=WARNINGS))
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.show_inventory(boxes.realtek_box(), "report.json")
    watchers[0].fire_from_thread()
    qtbot.waitUntil(page.notice.isVisible, timeout=2000)
    chain = tab_chain(page)
    for widget in (page.notice.action, page.notice.dismiss, page.warnings_panel.toggle):
        assert widget in chain, f"{widget.text()!r} not reachable with Tab"
    QTest.keyClick(page.windowHandle(), Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(page.warnings_panel.details.isVisible, timeout=2000)
    QTest.keyClick(
        page.windowHandle(), Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier
    )  # Re-check &this machine
    qtbot.waitUntil(lambda: page.probe_count == 1 and not page._busy, timeout=5000)
    assert page.from_probe


def test_file_names_in_the_banner_are_text_not_markup(
    qtbot: QtBot, page: HardwarePage, tmp_path: Path
) -> None:
    bad = tmp_path / "<i>box<i>.txt"  # no "/" in a file name
    bad.write_text("just some notes\n")
    page.show_inventory(boxes.realtek_box(), "<b>old</b>.json")
    page.import_files([bad])
    idle(qtbot, page)
    assert page.banner.summary.textFormat() == Qt.TextFormat.PlainText
    assert "<i>box<i>.txt" in page.banner.summary.text()
    assert (
        page.banner.box.text().splitlines()[0] == "The result shown before, for <b>old</b>.json, was cleared."
    )
