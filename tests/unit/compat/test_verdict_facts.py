"""Verdict from known facts only: what each check saw, from which input, and "not checked".

Inventories built in code test each rule; the real dumps in tests/fixtures/hardware (and the
lsusb listings in fixtures/dumps, see SOURCES.md there) test the rules on what technicians bring.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecs_field.compat.catalog import Catalog, CpuModel, build_catalog, shipped_catalog_dir
from ecs_field.compat.checks_nic import HOST_DRIVER_NOTE
from ecs_field.compat.verdict import evaluate
from ecs_field.hardware.importer import load_inputs
from ecs_field.hardware.inventory import (
    Cpu,
    InputWarning,
    Inventory,
    NetInterface,
    PciDevice,
    Platform,
    UsbDevice,
)
from ecs_field.hardware.nics import derive_nics, is_usb_network_adapter

from . import inventories as boxes

HW = Path(__file__).resolve().parents[2] / "fixtures" / "hardware"
DUMPS = Path(__file__).parent / "fixtures" / "dumps"
REAL = HW / "real-outputs"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return build_catalog(shipped_catalog_dir(), None)


@pytest.fixture
def fresh() -> Catalog:
    """A catalog of its own, for tests that put CPU models in front of the shipped ones."""
    return build_catalog(shipped_catalog_dir(), None)


def check(doc: dict, check_id: str) -> dict:
    return next(c for c in doc["checks"] if c["id"] == check_id)


def verdict_of(cat: Catalog, release: str, *paths: Path) -> dict:
    return evaluate(load_inputs(list(paths), usb_nic_ids=cat.usb_nic_ids()), cat, release).to_dict()


def model(
    model_id: str, pattern: str, *, xsave: bool = True, hybrid: bool | None = False, **support: str
) -> CpuModel:
    return CpuModel(
        id=model_id,
        name=model_id,
        vendor="intel",
        patterns=(re.compile(pattern, re.IGNORECASE),),
        generation=f"{model_id} generation",
        xsave=xsave,
        support=tuple((k.replace("_", "."), v) for k, v in support.items()),
        hybrid=hybrid,
        fix="Use newer hardware.",
        source="test entry",
        confidence="high",
    )


def dmidecode_box(cpu_model: str, flags: list[str] | None = None) -> Inventory:
    """What a dmidecode-only import gives: platform, CPU model and partial flags, RAM; no NICs."""
    return Inventory(
        platform=Platform("Intel(R) Client Systems", "NUC11TNHi5", "NUC11TNBi5"),
        cpu=Cpu(cpu_model, "GenuineIntel", 4, 8, 1, flags if flags is not None else ["fpu", "vme", "pae"]),
        memory_bytes=16 * 1024**3,
        sources=["dmidecode:box.txt"],
    )


# --- real dumps -----------------------------------------------------------------------------------
def test_dmidecode_only_nuc11_is_not_unsupported_and_says_what_it_did_not_check(cat: Catalog) -> None:
    doc = verdict_of(cat, "8.0U3", HW / "nuc11tnhi5-dmidecode.txt")
    assert doc["verdict"] == "actions-required"
    nic = check(doc, "nic-usable")
    assert (nic["status"], nic["not_checked"]) == ("warn", True)
    assert "lspci -nn" in nic["fix"] and nic["inputs"] == []
    for check_id in ("cpu-virtualization", "cpu-nx"):
        item = check(doc, check_id)
        assert (item["status"], item["not_checked"]) == ("warn", True)
        assert "not checked" in item["title"] and "firmware setup" in item["fix"]
    assert (
        "Verify Intel VT-x (Virtualization Technology) is enabled in the firmware setup"
        in check(doc, "cpu-virtualization")["fix"]
    )
    cpu = check(doc, "cpu")
    assert cpu["status"] == "pass" and cpu["inputs"] == ["dmidecode:nuc11tnhi5-dmidecode.txt"]
    assert "i5-1135G7" in cpu["seen"] and "dmidecode: nuc11tnhi5-dmidecode.txt" in cpu["seen"]
    xsave = check(doc, "cpu-xsave")
    assert xsave["status"] == "pass" and "from the CPU model" in xsave["detail"]
    assert doc["cpu"]["flags_complete"] is False and doc["cpu"]["generation"] == "Tiger Lake"


def _dmidecode_dumps() -> list[Path]:
    return sorted([*HW.glob("*dmidecode*.txt"), *HW.glob("machines/*/dmidecode*.txt")])


@pytest.mark.parametrize("dump", _dmidecode_dumps(), ids=lambda p: p.parent.name + "/" + p.name)
@pytest.mark.parametrize("release", ["8.0U2", "8.0U3", "9.0"])
def test_dmidecode_never_fails_a_fact_it_does_not_carry(cat: Catalog, dump: Path, release: str) -> None:
    doc = verdict_of(cat, release, dump)
    entry = cat.cpu_model(doc["cpu"]["model"] or "")
    for item in doc["checks"]:
        if item["status"] != "fail":
            continue
        # Only facts dmidecode carries may fail: RAM, cores, and a CPU the catalog rules out.
        assert item["id"] in ("min-memory", "min-cores", "cpu", "cpu-xsave"), item
        if item["id"] == "cpu-xsave":
            assert entry is not None and entry.xsave is False
    for check_id in ("nic-usable", "cpu-virtualization", "cpu-nx"):
        assert check(doc, check_id)["not_checked"] is True


def test_esxcli_table_with_inbox_drivers_is_supported_without_ids(cat: Catalog) -> None:
    doc = verdict_of(cat, "8.0U3", REAL / "esxcli-nic-list-82599-i350.txt")
    assert doc["verdict"] != "unsupported"
    assert {(n["esxi_name"], n["driver"], n["support"]) for n in doc["nics"]} == {
        ("vmnic0", "ixgben", "inbox"),
        ("vmnic1", "ixgben", "inbox"),
        ("vmnic2", "igbn", "inbox"),
        ("vmnic3", "igbn", "inbox"),
    }
    assert all(any(HOST_DRIVER_NOTE in note for note in n["notes"]) for n in doc["nics"])
    assert check(doc, "nic-usable")["status"] == "pass"
    vmnic0 = check(doc, "nic:vmnic0")
    assert vmnic0["status"] == "pass" and HOST_DRIVER_NOTE in vmnic0["detail"]
    assert "82599" in next(n for n in doc["nics"] if n["esxi_name"] == "vmnic0")["chip"]


def test_indented_esxcli_table_keeps_every_port(cat: Catalog) -> None:
    doc = verdict_of(cat, "8.0U3", REAL / "esxcli-nic-list-x710-i350-cx4lx-indented.txt")
    drivers = sorted(n["driver"] for n in doc["nics"] if n["support"] == "inbox")
    assert drivers == ["i40en", "i40en", "igbn", "igbn", *["nmlx5_core"] * 4]
    assert doc["verdict"] != "unsupported"


def test_ax88772b_from_lsusb_is_listed_unsupported(cat: Catalog) -> None:
    doc = verdict_of(cat, "8.0U3", DUMPS / "lsusb-ax88772b-exynos.txt")
    [nic] = doc["nics"]
    assert (nic["id"], nic["esxi_name"], nic["support"]) == ("0b95:772b", "vusb0", "unsupported")
    assert check(doc, "nic:vusb0")["status"] == "warn"
    usable = check(doc, "nic-usable")
    # lsusb alone does not list the PCI NICs: the box may still have an onboard one.
    assert (usable["status"], usable["not_checked"]) == ("warn", True)
    assert "0b95:772b" in usable["detail"] and doc["verdict"] == "actions-required"


def test_ax88772_with_an_lspci_that_has_no_ethernet_is_unsupported(cat: Catalog, tmp_path: Path) -> None:
    lspci = tmp_path / "lspci.txt"
    lspci.write_text(
        "00:02.0 VGA compatible controller [0300]: Intel Corporation Device [8086:9a49] (rev 01)\n"
        "00:14.3 Network controller [0280]: Intel Corporation Wi-Fi 6 AX201 [8086:a0f0] (rev 20)\n"
    )
    doc = verdict_of(cat, "8.0U3", lspci, DUMPS / "lsusb-ax88772-ideapad.txt")
    assert [(n["id"], n["support"]) for n in doc["nics"]] == [("0b95:7720", "unsupported")]
    usable = check(doc, "nic-usable")
    assert (usable["status"], usable["not_checked"]) == ("fail", False)
    assert doc["verdict"] == "unsupported" and doc["recommendations"]


def test_usb_ethernet_chip_from_lsusb_is_listed_never_dropped(cat: Catalog) -> None:
    doc = verdict_of(cat, "8.0U3", DUMPS / "lsusb-smsc9514-raspberrypi.txt")
    assert [n["id"] for n in doc["nics"]] == ["0424:ec00"]  # the hub and the webcam are not NICs
    assert doc["nics"][0]["support"] in ("unknown", "unsupported")
    assert "input lists no network adapter" not in str(doc)


def test_usb_adapter_the_catalog_does_not_know_is_listed_unknown(cat: Catalog) -> None:
    inv = Inventory(
        usb=[
            UsbDevice(2, "002:004", "1234", "5678", "", "Acme USB 2.5GbE LAN"),  # as plain lsusb names it
            UsbDevice(2, "002:005", "17ef", "720c", "", "", ["ff/ff"], driver="r8152"),  # Lenovo USB-C dongle
        ],
        sources=["lsusb:usb.txt"],
    )
    derive_nics(inv, cat.usb_nic_ids())
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert [(n["id"], n["support"]) for n in doc["nics"]] == [
        ("1234:5678", "unknown"),
        ("17ef:720c", "unknown"),
    ]
    assert "1234:5678" in check(doc, "nic:vusb0")["detail"]
    assert check(doc, "nic:vusb0")["status"] == "warn"


def test_truncated_dump_warns_and_does_not_fail_the_nics(cat: Catalog, tmp_path: Path) -> None:
    text = (HW / "nuc12wshi7-lspci-nn.txt").read_text()
    eth = text.index("Ethernet controller")
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: eth + 25])  # the dump ends in the middle of the NIC's line
    inv = load_inputs([cut], usb_nic_ids=cat.usb_nic_ids())
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    kinds = {w["kind"] for w in doc["input_warnings"]}
    assert "truncated" in kinds, doc["input_warnings"]
    assert all(set(w) == {"file", "line", "message", "kind"} for w in doc["input_warnings"])
    complete = check(doc, "nic-facts-complete")
    assert complete["status"] == "warn" and "cut.txt" in complete["detail"]
    assert check(doc, "nic-usable")["status"] != "fail"


# --- inventories built in code --------------------------------------------------------------------
def test_truncated_warning_turns_a_nic_fail_into_not_checked(cat: Catalog) -> None:
    inv = Inventory(
        pci=[PciDevice("0000:00:02.0", "8086", "9a49", "0300")],
        sources=["lspci-nn:pci.txt"],
        input_warnings=[InputWarning("pci.txt", 41, "last line incomplete", "truncated")],
    )
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert doc["input_warnings"] == [
        {"file": "pci.txt", "line": 41, "message": "last line incomplete", "kind": "truncated"}
    ]
    assert "pci.txt:41" in check(doc, "nic-facts-complete")["detail"]
    usable = check(doc, "nic-usable")
    assert (usable["status"], usable["not_checked"]) == ("warn", True)
    inv.input_warnings = [InputWarning("pci.txt", 3, "prompt skipped", "noise")]
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert check(doc, "nic-usable")["status"] == "fail"
    assert not any(c["id"] == "nic-facts-complete" for c in doc["checks"])


def test_full_flag_list_decides_and_partial_list_never_fails(cat: Catalog) -> None:
    partial = dmidecode_box("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", ["fpu", "pae"])
    doc = evaluate(partial, cat, "8.0U3").to_dict()
    assert check(doc, "cpu-virtualization")["not_checked"] is True
    assert check(doc, "cpu-xsave")["status"] == "pass"  # Tiger Lake has XSAVE
    full = dmidecode_box("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", ["fpu", "pae", "nx"])
    full.cpu.flags_complete = True
    full.sources = ["probe:linux"]
    doc = evaluate(full, cat, "8.0U3").to_dict()
    virt = check(doc, "cpu-virtualization")
    assert (virt["status"], virt["not_checked"]) == ("fail", False)  # the full list lacks vmx: disabled
    assert check(doc, "cpu-xsave")["status"] == "fail"  # a full list wins over the model
    assert check(doc, "cpu-nx")["status"] == "pass" and "flag nx" in check(doc, "cpu-nx")["seen"]


def test_partial_flag_that_is_present_is_still_not_checked(cat: Catalog) -> None:
    doc = evaluate(dmidecode_box("Some CPU", ["vmx", "nx"]), cat, "8.0U3").to_dict()
    virt = check(doc, "cpu-virtualization")
    assert (virt["status"], virt["not_checked"]) == ("warn", True)
    assert "not that the firmware has it enabled" in virt["detail"]


def test_cpu_support_from_the_catalog_model(fresh: Catalog) -> None:
    fresh.cpu_models[:0] = [
        model(
            "test-gone",
            r"Testium Gone",
            xsave=False,
            **{"8.0": "legacy", "8.0U1": "legacy", "*": "unsupported"},
        ),
        model("test-legacy", r"Testium Old", **{"*": "legacy"}),
        model("test-unknown", r"Testium Maybe", **{"8.0U3": "supported"}),
        model("test-hybrid", r"Testium Mixed", hybrid=True, **{"*": "supported"}),
    ]
    gone = evaluate(dmidecode_box("Testium Gone 9000"), fresh, "8.0U3").to_dict()
    assert gone["verdict"] == "unsupported"
    cpu = check(gone, "cpu")
    assert cpu["status"] == "fail" and cpu["not_checked"] is False
    assert cpu["fix"].startswith("Use newer hardware") and "ESXi 8.0 Update 1" in cpu["fix"]
    assert check(gone, "cpu-xsave")["status"] == "fail"  # the model says no XSAVE: a known fact
    early = evaluate(dmidecode_box("Testium Gone 9000"), fresh, "8.0U1").to_dict()
    assert check(early, "cpu")["status"] == "warn" and "allowLegacyCPU=true" in check(early, "cpu")["detail"]
    legacy = evaluate(dmidecode_box("Testium Old 1"), fresh, "9.0").to_dict()
    assert (check(legacy, "cpu")["status"], check(legacy, "cpu")["not_checked"]) == ("warn", False)
    assert "allowLegacyCPU=true" in check(legacy, "cpu")["fix"]
    unknown = evaluate(dmidecode_box("Testium Maybe 2"), fresh, "9.0").to_dict()
    assert (check(unknown, "cpu")["status"], check(unknown, "cpu")["not_checked"]) == ("warn", True)
    assert "Broadcom Compatibility Guide" in check(unknown, "cpu")["fix"]
    nomatch = evaluate(dmidecode_box("Quantum Abacus 1"), fresh, "8.0U3").to_dict()
    assert (
        check(nomatch, "cpu")["not_checked"] is True
        and "not in the catalog" in check(nomatch, "cpu")["detail"]
    )
    mixed = evaluate(dmidecode_box("Testium Mixed 12"), fresh, "8.0U3").to_dict()
    hybrid = check(mixed, "cpu-hybrid")
    assert (hybrid["status"], hybrid["not_checked"]) == ("warn", False)
    assert "CPU model in the catalog" in hybrid["seen"] and mixed["cpu"]["hybrid"] is True


def test_no_cpu_facts_at_all_is_not_checked_with_how(cat: Catalog) -> None:
    doc = evaluate(boxes.lspci_only(), cat, "8.0U3").to_dict()
    cpu = check(doc, "cpu")
    assert cpu["not_checked"] is True and "dmidecode -t processor" in cpu["fix"]
    assert "lspci-nn: pci.txt" in cpu["detail"]


def test_platform_without_dmi_is_not_a_pass(cat: Catalog) -> None:
    doc = evaluate(boxes.lspci_only(), cat, "8.0U3").to_dict()
    platform = check(doc, "platform")
    assert (platform["status"], platform["not_checked"]) == ("warn", True)
    placeholders = boxes.realtek_box()
    doc = evaluate(placeholders, cat, "8.0U3").to_dict()
    assert (
        check(doc, "platform")["not_checked"] is True and "Default string" in check(doc, "platform")["detail"]
    )


def test_host_reported_driver_counts_only_for_esxi_ports(cat: Catalog) -> None:
    inv = Inventory(
        interfaces=[
            NetInterface(
                "vmnic0", driver="ixgben", bus="pci", location="0000:81:00.0", link="up", speed_mbps=10000
            ),
            NetInterface("vusb0", driver="cdce", bus="usb", link="up", speed_mbps=1000),
        ],
        sources=["esxcli-nic-list:nics.txt"],
    )
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    nics = {n["esxi_name"]: n for n in doc["nics"]}
    assert (nics["vmnic0"]["support"], nics["vmnic0"]["driver"], nics["vmnic0"]["id"]) == (
        "inbox",
        "ixgben",
        "",
    )
    assert nics["vusb0"]["support"] == "driver-required" and "USB NIC Fling" in nics["vusb0"]["component"]
    assert doc["verdict"] == "actions-required"
    # A Linux box's own driver name is not an ESXi driver: an unknown ID stays unknown.
    linux = Inventory(
        pci=[PciDevice("0000:01:00.0", "1d6a", "ffee", "0200", driver="igbn")],
        sources=["lspci-vvnn:pci.txt"],
    )
    doc = evaluate(linux, cat, "8.0U3").to_dict()
    assert doc["nics"][0]["support"] == "unknown" and doc["verdict"] == "unsupported"


def test_usb_network_adapters_are_recognised_without_the_catalog() -> None:
    usb = [
        UsbDevice(1, "1-1", "1234", "0001", "Acme", "USB 2.5GbE LAN", ["ff/ff"]),
        UsbDevice(1, "1-2", "1234", "0002", "", "", ["ff/ff"], driver="r8152"),
        UsbDevice(1, "1-3", "0b95", "772b", "ASIX Electronics Corp.", "AX88772B"),  # plain lsusb: no classes
        UsbDevice(
            1, "1-4", "0bda", "8179", "Realtek", "RTL8188EUS 802.11n Wireless Network Adapter", ["ff/ff"]
        ),
        UsbDevice(1, "1-5", "0424", "9514", "Standard Microsystems Corp.", "SMC9514 Hub", ["09/00"]),
        UsbDevice(1, "1-6", "046d", "c52b", "Logitech, Inc.", "Unifying Receiver", ["03/01"]),
        UsbDevice(
            1, "1-7", "abcd", "0001", "Acme", "Ethernet Storage", ["08/06"]
        ),  # a disk, despite the name
    ]
    inv = Inventory(usb=usb)
    derive_nics(inv)
    assert [(n.esxi_name, n.id) for n in inv.nics] == [
        ("vusb0", "1234:0001"),
        ("vusb1", "1234:0002"),
        ("vusb2", "0b95:772b"),
    ]
    assert not is_usb_network_adapter(UsbDevice(1, "1-8", "8087", "0026", "Intel Corp.", "AX201 Bluetooth"))


def test_seen_and_inputs_name_the_file(cat: Catalog) -> None:
    inv = dmidecode_box("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz")
    inv.sources = ["dmidecode:box.txt", "lspci-nn:pci.txt"]
    inv.pci = [PciDevice("0000:58:00.0", "8086", "15f2", "0200")]
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert check(doc, "min-memory")["seen"] == "16.0 GiB (dmidecode: box.txt)"
    assert check(doc, "min-memory")["inputs"] == ["dmidecode:box.txt"]
    nic = check(doc, "nic:vmnic0")
    assert nic["inputs"] == ["lspci-nn:pci.txt"] and "0000:58:00.0 (lspci-nn: pci.txt)" in nic["seen"]
    assert check(doc, "nic-usable")["status"] == "pass"


def test_a_cut_dmidecode_is_not_a_nic_problem(cat: Catalog) -> None:
    inv = dmidecode_box("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz")
    inv.memory_bytes = 4 * 1024**3  # one DIMM read before the cut
    inv.input_warnings = [InputWarning("box.txt", 221, "no 'End Of Table' (file cut short?)", "truncated")]
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    assert not any(c["id"] == "nic-facts-complete" for c in doc["checks"])
    assert "box.txt:221" in check(doc, "facts-complete")["detail"]
    # The DIMMs read before the cut are a fact: less than 8 GB still fails (the warning says to re-capture).
    assert check(doc, "min-memory")["status"] == "fail" and doc["verdict"] == "unsupported"


def test_real_machine_with_a_cut_dmidecode(cat: Catalog) -> None:
    folder = HW / "machines" / "intel-nuc11tnhi5"
    doc = verdict_of(cat, "8.0U3", folder / "dmidecode.txt", folder / "lspci-vvnn.txt")
    if any(w["kind"] == "truncated" and w["file"] == "dmidecode.txt" for w in doc["input_warnings"]):
        assert check(doc, "facts-complete")["status"] == "warn"
        assert not any(c["id"] == "nic-facts-complete" for c in doc["checks"])
    assert check(doc, "nic-usable")["status"] == "pass" and doc["verdict"] == "actions-required"


def test_real_cpuinfo_is_a_full_flag_list(cat: Catalog) -> None:
    doc = verdict_of(
        cat, "8.0U3", HW / "messy" / "i9-9900k-cpuinfo-paste.txt", REAL / "esxcli-nic-list-82599-i350.txt"
    )
    assert doc["cpu"]["flags_complete"] is True and doc["cpu"]["generation"] == "Coffee Lake"
    assert check(doc, "cpu-xsave")["seen"] == "flag xsave (cpuinfo: i9-9900k-cpuinfo-paste.txt)"
    # this paste lists no vmx and no hypervisor flag: VT-x is off in the firmware, a fact of the input
    virt = check(doc, "cpu-virtualization")
    assert (virt["status"], virt["not_checked"]) == ("fail", False) and "firmware setup" in virt["fix"]


def test_flags_read_inside_a_vm_do_not_fail_virtualization(cat: Catalog) -> None:
    inv = dmidecode_box(
        "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", ["fpu", "nx", "xsave", "hypervisor"]
    )
    inv.cpu.flags_complete = True
    inv.sources = ["probe:linux"]
    doc = evaluate(inv, cat, "8.0U3").to_dict()
    virt = check(doc, "cpu-virtualization")
    assert (virt["status"], virt["not_checked"]) == ("warn", True) and "virtual machine" in virt["detail"]
    assert check(doc, "cpu-nx")["status"] == "pass"


def test_inputs_are_matched_to_the_facts_they_carry() -> None:
    from ecs_field.compat.facts import InputFacts

    inv = Inventory(
        sources=[
            "dmidecode:d.txt",
            "lspci-nn:p.txt",
            "lsusb:u.txt",
            "cpuinfo:c.txt",
            "windows-wmic:w.txt",
            "esxi-lspci:e.txt",
            "inventory-json:box.json",
        ]
    )
    facts = InputFacts(inv)
    assert facts.carrying("cpu") == ["dmidecode:d.txt", "cpuinfo:c.txt"]
    assert facts.carrying("memory") == ["dmidecode:d.txt"]
    assert facts.carrying("pci") == ["lspci-nn:p.txt", "windows-wmic:w.txt", "esxi-lspci:e.txt"]
    assert facts.carrying("usb") == ["lsusb:u.txt", "windows-wmic:w.txt"]
    assert facts.carrying("disks") == []
    assert InputFacts(Inventory(sources=["inventory-json:box.json"])).carrying("cpu") == [
        "inventory-json:box.json"
    ]
