"""Verdicts for real-world-shaped boxes: words, checks, exact fixes, JSON shape."""

from __future__ import annotations

import json

import pytest

from ecs_field.compat.catalog import Catalog, build_catalog, shipped_catalog_dir
from ecs_field.compat.verdict import evaluate
from ecs_field.errors import BadInput
from ecs_field.hardware.inventory import Inventory, PciDevice, UsbDevice

from . import inventories as boxes


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return build_catalog(shipped_catalog_dir(), None)


def check(verdict_dict: dict, check_id: str) -> dict:
    return next(c for c in verdict_dict["checks"] if c["id"] == check_id)


def test_document_has_the_contract_fields(cat: Catalog) -> None:
    doc = evaluate(boxes.nuc11_with_rtl8156(), cat, "8.0U3").to_dict()
    assert doc["schema"] == "ecs-field/verdict@1"
    assert doc["release"] == "8.0U3"
    assert doc["verdict"] in ("supported", "actions-required", "unsupported")
    assert set(doc["platform"]) >= {"vendor", "product", "board", "family", "matched"}
    assert set(doc["cpu"]) >= {"model", "cores", "threads", "hybrid"}
    assert isinstance(doc["memory_bytes"], int)
    for nic in doc["nics"]:
        assert set(nic) >= {"bus", "id", "name", "chip", "driver", "support", "component", "source"}
        assert nic["bus"] in ("pci", "usb")
        assert nic["support"] in ("inbox", "driver-required", "unsupported", "unknown")
    for item in doc["checks"]:
        assert set(item) >= {"id", "status", "title", "detail", "fix", "not_checked", "seen", "inputs"}
        assert item["status"] in ("pass", "warn", "fail")
        assert not (item["not_checked"] and item["status"] != "warn")
    assert doc["input_warnings"] == [] and isinstance(doc["recommendations"], list)
    for item in doc["recommendations"]:
        assert set(item) >= {"bus", "id", "chip", "driver", "component", "speed_mbps", "confidence", "reason"}
    json.dumps(doc)  # serialisable as is


def test_usb_fling_fix_is_exact_per_update_level(cat: Catalog) -> None:
    doc = evaluate(boxes.nuc11_with_rtl8156(), cat, "8.0U3").to_dict()
    assert doc["verdict"] == "actions-required"
    usb = next(n for n in doc["nics"] if n["bus"] == "usb")
    assert (usb["esxi_name"], usb["support"], usb["component"]) == (
        "vusb0",
        "driver-required",
        "USB NIC Fling 1.14-7vmw.803",
    )
    fix = check(doc, "nic:vusb0")["fix"]
    assert fix.startswith(
        "Add the USB NIC Fling 1.14-7vmw.803 component to the image and set vmkusb_nic_fling "
        "option usbBusFullScanOnBootEnabled=1"
    )
    assert "vusb0_mac=00:e0:4c:68:01:02" in fix
    assert check(doc, "nic:vmnic0")["status"] == "pass"
    assert doc["platform"]["matched"] is True and doc["platform"]["family"].startswith("Intel NUC 11 Pro")
    u2 = evaluate(boxes.nuc11_with_rtl8156(), cat, "8.0U2").to_dict()
    assert "1.12-2vmw.802" in check(u2, "nic:vusb0")["fix"]


def test_supported_box_passes_everything(cat: Catalog) -> None:
    verdict = evaluate(boxes.asrock_rack_ryzen(), cat, "8.0U3")
    assert verdict.verdict == "supported" and verdict.exit_code == 0
    assert all(c.status == "pass" and not c.not_checked for c in verdict.checks)
    server = evaluate(boxes.supermicro_supported(), cat, "8.0U3")
    assert all(c.status == "pass" for c in server.checks if not c.id.startswith("platform:"))
    quirks = [c for c in server.checks if c.id.startswith("platform:")]
    assert all(q.status in ("pass", "warn") and q.title for q in quirks)  # a quirk informs, never fails
    assert server.verdict == ("actions-required" if any(q.status == "warn" for q in quirks) else "supported")
    assert [n.esxi_name for n in server.nics] == ["vmnic0", "vmnic1", "vmnic2"]
    assert {n.driver for n in server.nics} == {"ixgben", "igbn"}


def test_realtek_on_board_needs_the_realtek_component_or_a_usb_nic(cat: Catalog) -> None:
    verdict = evaluate(boxes.realtek_box(), cat, "8.0U3")
    assert verdict.verdict == "actions-required" and verdict.exit_code == 1
    nic = verdict.nics[0]
    assert (nic.support, nic.driver) == ("driver-required", "if_re")
    fix = check(verdict.to_dict(), "nic:vmnic0")["fix"]
    assert "VMware Realtek Network Driver component (if_re 1.101.01-5vmw.800)" in fix
    assert "USB adapter" in fix


def test_unknown_device_shows_ids_and_no_guess(cat: Catalog) -> None:
    inv = boxes.unknown_nic_only()
    inv.pci[0].device_id = inv.nics[0].device_id = "ffee"  # an ID no catalog lists
    verdict = evaluate(inv, cat, "8.0U3")
    assert verdict.verdict == "unsupported" and verdict.exit_code == 3
    nic = verdict.nics[0]
    assert (nic.support, nic.chip, nic.driver, nic.component) == ("unknown", "", "", "")
    doc = verdict.to_dict()
    assert "1969:ffee" in check(doc, "nic:vmnic0")["detail"]
    usable = check(doc, "nic-usable")
    assert usable["status"] == "fail" and usable["not_checked"] is False
    assert "recommended adapters" in usable["fix"] and "1969:ffee" in usable["seen"]
    assert doc["recommendations"] and doc["recommendations"][0]["reason"].startswith("No usable NIC")


def test_hybrid_cpu_gets_boot_option_fix(cat: Catalog) -> None:
    doc = evaluate(boxes.nuc12_hybrid(), cat, "8.0U3").to_dict()
    assert doc["cpu"]["hybrid"] is True
    hybrid = check(doc, "cpu-hybrid")
    assert hybrid["status"] == "warn"
    assert "cpuUniformityHardCheckPanic=FALSE" in hybrid["fix"] and "Shift+O" in hybrid["fix"]
    assert "esxcli system settings kernel set -s cpuUniformityHardCheckPanic -v FALSE" in hybrid["fix"]
    assert not any(c["id"] == "cpu-hybrid-msr" for c in doc["checks"])  # 12th gen: no MSR rule


def test_13th_gen_hybrid_adds_msr_rule(cat: Catalog) -> None:
    doc = evaluate(boxes.nuc13_raptor_lake(), cat, "8.0U3").to_dict()
    msr = check(doc, "cpu-hybrid-msr")
    assert msr["status"] == "warn" and "ignoreMsrFaults" in msr["fix"] and "E-cores" in msr["fix"]


def test_i225_on_80_ga_is_unknown_and_points_to_a_newer_release(cat: Catalog) -> None:
    doc = evaluate(boxes.nuc12_hybrid(), cat, "8.0").to_dict()
    assert doc["nics"][0]["support"] == "unknown"
    assert doc["verdict"] == "unsupported"
    fix = check(doc, "nic-usable")["fix"]
    assert "ESXi 8.0 Update 2" in fix and "ESXi 8.0 Update 3" in fix


def test_xsave_required_from_80u2(cat: Catalog) -> None:
    # A Westmere Xeon: legacy (allowLegacyCPU) up to 8.0U1, and from 8.0U2 no XSAVE means no install.
    early = evaluate(boxes.westmere_no_xsave(), cat, "8.0U1").to_dict()
    assert early["verdict"] == "actions-required"
    assert check(early, "cpu")["status"] == "warn" and "allowLegacyCPU=true" in check(early, "cpu")["fix"]
    doc = evaluate(boxes.westmere_no_xsave(), cat, "8.0U2").to_dict()
    assert doc["verdict"] == "unsupported"
    assert (
        check(doc, "cpu-xsave")["status"] == "fail" and "full flag list" in check(doc, "cpu-xsave")["detail"]
    )
    assert not any(
        c["id"] == "cpu-xsave" for c in evaluate(boxes.westmere_no_xsave(), cat, "8.0").to_dict()["checks"]
    )


def test_rtl8157_only_on_803_build(cat: Catalog) -> None:
    assert evaluate(boxes.rtl8157_only(), cat, "8.0U3").to_dict()["nics"][0]["component"] == (
        "USB NIC Fling 1.14-7vmw.803"
    )
    doc = evaluate(boxes.rtl8157_only(), cat, "9.0").to_dict()
    assert doc["nics"][0]["support"] == "unsupported"
    assert doc["verdict"] == "unsupported"
    assert "1.14-7vmw.803" in check(doc, "nic:vusb0")["fix"]


def test_minimums_fail_with_fixes(cat: Catalog) -> None:
    doc = evaluate(boxes.small_box(), cat, "8.0U3").to_dict()
    assert doc["verdict"] == "unsupported"
    assert check(doc, "min-memory")["status"] == "fail" and "8 GB" in check(doc, "min-memory")["fix"]
    assert check(doc, "min-boot-disk")["status"] == "fail"
    assert check(doc, "min-cores")["status"] == "pass"


def test_memory_tolerance_and_recommendation(cat: Catalog) -> None:
    inv = boxes.supermicro_supported()
    inv.memory_bytes = int(7.6 * 1024**3)  # an "8 GB" box as the OS reports it
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert check(doc, "min-memory")["status"] == "pass"
    assert "recommended" in check(doc, "min-memory")["detail"]


def test_low_confidence_inbox_nic_is_a_warning(cat: Catalog) -> None:
    doc = evaluate(boxes.lenovo_m70q(), cat, "8.0U3").to_dict()
    assert doc["platform"]["family_id"] == "lenovo-m70q-gen2"
    nic_check = check(doc, "nic:vmnic0")
    assert nic_check["status"] == "warn" and "unconfirmed" in nic_check["detail"]
    assert doc["verdict"] == "actions-required"


def test_missing_data_is_a_warning_not_a_pass(cat: Catalog) -> None:
    doc = evaluate(boxes.lspci_only(), cat, "8.0U3").to_dict()
    assert doc["verdict"] == "actions-required"
    for check_id in (
        "platform",
        "cpu",
        "cpu-virtualization",
        "cpu-nx",
        "cpu-xsave",
        "min-cores",
        "min-memory",
    ):
        item = check(doc, check_id)
        assert (item["status"], item["not_checked"]) == ("warn", True), check_id
        assert "not checked" in item["title"] and item["fix"]
    assert "lspci-nn: pci.txt" in check(doc, "min-memory")["detail"]
    assert doc["platform"]["matched"] is False


def test_an_empty_inventory_is_not_checked_rather_than_unsupported(cat: Catalog) -> None:
    doc = evaluate(Inventory(), cat, "8.0U3").to_dict()
    assert doc["verdict"] == "actions-required"
    usable = check(doc, "nic-usable")
    assert (usable["status"], usable["not_checked"]) == ("warn", True)
    assert "lspci -nn" in usable["fix"]
    assert not any(c["status"] == "fail" for c in doc["checks"])


def test_no_nic_in_an_lspci_listing_is_unsupported(cat: Catalog) -> None:
    inv = Inventory(pci=[PciDevice("0000:00:02.0", "8086", "9a49", "0300")], sources=["lspci-nn:pci.txt"])
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert doc["verdict"] == "unsupported"
    usable = check(doc, "nic-usable")
    assert (usable["status"], usable["not_checked"]) == ("fail", False)
    assert usable["inputs"] == ["lspci-nn:pci.txt"]


def test_unknown_release_is_bad_input_listing_known(cat: Catalog) -> None:
    with pytest.raises(BadInput) as exc:
        evaluate(boxes.supermicro_supported(), cat, "6.7")
    assert "Known releases: 8.0, 8.0U1, 8.0U2, 8.0U3, 9.0" in exc.value.message


def test_default_release_is_the_catalog_default(cat: Catalog) -> None:
    assert evaluate(boxes.asrock_rack_ryzen(), cat).release.id == "8.0U3"


def test_nics_are_derived_when_the_importer_left_none(cat: Catalog) -> None:
    inv = Inventory(
        pci=[
            PciDevice("0000:02:00.0", "8086", "1533", "0200"),
            PciDevice("0000:01:00.0", "8086", "15f3", "0200"),
            PciDevice("0000:00:02.0", "8086", "9a49", "0300"),
        ],
        usb=[
            UsbDevice(3, "3-2", "0bda", "8153"),
            UsbDevice(3, "3-1", "046d", "c52b", interface_classes=["03/01"]),
        ],
    )
    verdict = evaluate(inv, cat, "8.0U3")
    names = {(n.esxi_name, n.id) for n in verdict.nics}
    assert ("vmnic0", "8086:15f3") in names and ("vmnic1", "8086:1533") in names
    assert ("vusb0", "0bda:8153") in names
    assert not any(n.id == "046d:c52b" for n in verdict.nics)


def test_bmc_virtual_nic_is_not_an_uplink(cat: Catalog) -> None:
    inv = boxes.unknown_nic_only()
    dev, nic = boxes.usb_nic("1-4", "413c", "a102", "vusb0", ["02/06"])
    inv.usb.append(dev)
    inv.nics.append(nic)
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert check(doc, "nic:vusb0")["status"] == "pass"
    assert check(doc, "nic-usable")["status"] == "fail"
