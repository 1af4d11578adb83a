"""Recommended adapters, and property tests: no inventory crashes a verdict or fails a fact it lacks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.commands.check import format_human
from ecs_field.compat.catalog import Catalog, build_catalog, shipped_catalog_dir
from ecs_field.compat.recommend import CONFIDENCE_ORDER, recommend, supported_adapters
from ecs_field.compat.report import render_html
from ecs_field.compat.results import USABLE_SUPPORT
from ecs_field.compat.verdict import evaluate
from ecs_field.hardware.inventory import Cpu, InputWarning, Inventory, Nic, PciDevice, Platform, UsbDevice

from . import inventories as boxes

CAT = build_catalog(shipped_catalog_dir(), None)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return CAT


def test_no_usable_nic_recommends_supported_adapters_best_first(cat: Catalog) -> None:
    verdict = evaluate(boxes.unknown_nic_only(), cat, "8.0U3")
    recs = verdict.recommendations
    assert {r.bus for r in recs} == {"usb", "pci"}
    assert all(r.reason.startswith("No usable NIC on ESXi 8.0 Update 3") for r in recs)
    release = cat.release("8.0U3")
    for rec in recs:
        match = cat.resolve_nic(rec.bus, rec.id, release)
        assert match.support in USABLE_SUPPORT and match.entry is not None and match.entry.role != "bmc"
        assert rec.speed_mbps is None or rec.speed_mbps >= 1000
        assert bool(rec.component) == (match.support == "driver-required")
    keys = [(CONFIDENCE_ORDER[r.confidence], -(r.speed_mbps or 0)) for r in supported_adapters(cat, release)]
    assert keys == sorted(keys)
    usb = [r for r in recs if r.bus == "usb"]
    assert all("USB NIC Fling" in r.component for r in usb)
    assert not any("Ethernet Connection" in r.chip or "Backplane" in r.chip for r in recs)
    doc = verdict.to_dict()
    assert doc["recommendations"][0] == recs[0].to_dict()
    assert {"bus", "id", "chip", "driver", "component", "speed_mbps", "confidence", "reason"} <= set(
        doc["recommendations"][0]
    )


def test_recommendations_follow_the_release(cat: Catalog) -> None:
    for release_id in ("8.0U2", "8.0U3", "9.0"):
        release = cat.release(release_id)
        recs = supported_adapters(cat, release)
        assert recs
        for rec in recs:
            match = cat.resolve_nic(rec.bus, rec.id, release)
            assert match.support in USABLE_SUPPORT
            assert rec.component == (match.component.label if match.component else "")
    assert "0bda:8157" not in {
        r.id for r in supported_adapters(cat, cat.release("9.0"))
    }  # not in the 9.0 Fling
    usb_803 = {r.component for r in supported_adapters(cat, cat.release("8.0U3")) if r.bus == "usb"}
    usb_802 = {r.component for r in supported_adapters(cat, cat.release("8.0U2")) if r.bus == "usb"}
    assert usb_803 and usb_802 and usb_803.isdisjoint(usb_802)  # one Fling build per update level


def test_one_usable_nic_gets_an_optional_second_and_two_get_none(cat: Catalog) -> None:
    one = evaluate(boxes.nuc12_hybrid(), cat, "8.0U3")
    assert one.recommendations and one.recommendations[0].reason.startswith("Optional: a second uplink")
    assert not any(c.id == "nic-uplinks" for c in one.checks)
    assert evaluate(boxes.supermicro_supported(), cat, "8.0U3").recommendations == []


def test_a_box_that_needs_two_uplinks_gets_an_action(cat: Catalog) -> None:
    verdict = evaluate(boxes.nuc12_hybrid(), cat, "8.0U3", uplinks_needed=2)
    uplinks = next(c for c in verdict.checks if c.id == "nic-uplinks")
    assert uplinks.status == "warn" and "has 1 usable NIC" in uplinks.detail
    assert verdict.recommendations[0].reason.startswith("The box needs 2 uplinks")
    assert recommend(cat, cat.release("8.0U3"), usable=2, needed=2) == []


def test_text_and_html_show_recommendations_not_checked_and_warnings(cat: Catalog) -> None:
    inv = boxes.unknown_nic_only()
    inv.cpu.flags_complete = False
    inv.input_warnings = [InputWarning("lspci.txt", 7, "error message of a tool skipped: 'pcilib: ...'")]
    verdict = evaluate(inv, cat, "8.0U3")
    text = format_human(verdict)
    assert "Recommended network adapters for ESXi 8.0 Update 3" in text
    assert verdict.recommendations[0].chip in text
    assert "[NOT CHECKED]  Hardware virtualization" in text and "How to check:" in text
    assert "[PASS]         Hardware virtualization" not in text
    assert "lspci.txt:7: error message of a tool skipped" in text
    html = render_html(verdict.to_dict())
    assert "NOT CHECKED" in html and "Recommended network adapters" in html
    assert "lspci.txt:7" in html and verdict.recommendations[0].chip.split(" (")[0] in html


# --- properties -----------------------------------------------------------------------------------
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_hex4 = st.text(alphabet="0123456789abcdef", min_size=4, max_size=4)
_labels = st.lists(
    st.sampled_from(
        [
            "dmidecode:d.txt",
            "lspci-nn:p.txt",
            "lsusb:u.txt",
            "esxcli-nic-list:n.txt",
            "probe:linux",
            "inventory-json:i.json",
            "cpuinfo:c.txt",
            "windows-json:w.json",
        ]
    ),
    max_size=4,
)


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    pci = [
        PciDevice(
            f"0000:{i:02x}:00.0", draw(_hex4), draw(_hex4), draw(st.sampled_from(["0200", "0280", "0300"]))
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    usb = [
        UsbDevice(
            1,
            f"1-{i + 1}",
            draw(_hex4),
            draw(_hex4),
            draw(_text),
            draw(_text),
            draw(st.lists(st.sampled_from(["ff/ff", "02/06", "03/01", "09/00", "08/06"]), max_size=2)),
            driver=draw(st.sampled_from(["", "r8152", "usbhid", "cdc_ncm"])),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    cpu = Cpu(
        draw(_text),
        draw(st.sampled_from(["", "GenuineIntel", "AuthenticAMD"])),
        draw(st.none() | st.integers(0, 256)),
        None,
        None,
        draw(st.lists(st.sampled_from(["vmx", "svm", "nx", "xsave", "hybrid_cpu", "fpu"]), max_size=5)),
        draw(st.none() | st.integers(0, 16)),
        draw(st.none() | st.integers(0, 16)),
        flags_complete=draw(st.booleans()),
    )
    return Inventory(
        platform=Platform(draw(_text), draw(_text), draw(_text), version=draw(_text)),
        cpu=cpu,
        memory_bytes=draw(st.none() | st.integers(0, 1 << 40)),
        pci=pci,
        usb=usb,
        nics=[Nic("pci", d.vendor_id, d.device_id, d.address) for d in pci if draw(st.booleans())],
        sources=draw(_labels),
        input_warnings=[InputWarning("f.txt", 3, "cut", "truncated")] if draw(st.booleans()) else [],
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventories(), st.sampled_from(["8.0", "8.0U2", "8.0U3", "9.0"]))
def test_any_inventory_gives_a_consistent_verdict(inv: Inventory, release: str) -> None:
    verdict = evaluate(inv, CAT, release)
    doc = verdict.to_dict()
    statuses = {c["status"] for c in doc["checks"]}
    assert (doc["verdict"] == "unsupported") == ("fail" in statuses)
    for item in doc["checks"]:
        if item["not_checked"]:
            assert item["status"] == "warn" and item["fix"]
    if not inv.cpu.flags_complete:
        for item in doc["checks"]:
            if item["id"] in ("cpu-virtualization", "cpu-nx"):
                assert item["status"] != "fail"
    if any(w.kind == "truncated" for w in inv.input_warnings) or not (inv.pci or inv.nics):
        usable = next(c for c in doc["checks"] if c["id"] == "nic-usable")
        if usable["status"] == "fail":
            assert not any(w.kind == "truncated" for w in inv.input_warnings)
    format_human(verdict)
    render_html(doc)


def test_recommendations_never_claim_a_box_has_no_nic_when_no_input_lists_them() -> None:
    from pathlib import Path

    from ecs_field.compat.catalog import load_catalog
    from ecs_field.compat.verdict import evaluate
    from ecs_field.hardware.importer import load_inputs

    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "hardware"
    catalog = load_catalog()
    inventory = load_inputs([fixtures / "rtl8125-minipc-dmidecode.txt"], catalog.usb_nic_ids())
    verdict = evaluate(inventory, catalog)
    nic = next(c for c in verdict.checks if c.id == "nic-usable")
    assert nic.not_checked
    assert verdict.recommendations
    for item in verdict.recommendations:
        assert item.reason.startswith("The NIC list was not checked")
        assert "if the box has no NIC" in item.reason
