"""The shipped NIC catalog: breadth, sources, honest confidence, and what each family resolves to.

These tests pin facts that were checked at a source (the Fling and if_re VIBs, ESXi image VIB
lists, published esxcli outputs) so a later edit that contradicts them fails loudly.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ecs_field.compat.catalog import Catalog, build_catalog, load_catalog, shipped_catalog_dir
from ecs_field.compat.schema import SUPPORT_VALUES

RELEASES = ("8.0", "8.0U1", "8.0U2", "8.0U3", "9.0")
NIC_FILES = ("nics-pci.yaml", "nics-usb.yaml", "names.yaml", "releases.yaml", "components.yaml")


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return build_catalog(shipped_catalog_dir(), None)


def _raw(name: str) -> dict[str, Any]:
    data = yaml.safe_load((shipped_catalog_dir() / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _resolve(cat: Catalog, bus: str, device: str, release: str) -> tuple[str, str | None]:
    match = cat.resolve_nic(bus, device, cat.release(release))
    return match.support, match.component.id if match.component else None


# loading and hygiene ------------------------------------------------------------------------------
def test_shipped_catalog_loads_without_errors(shipped: Catalog, tmp_path: Path) -> None:
    assert shipped.errors == []
    # the cached loader with an empty override folder gives the same, error-free catalog
    cat = load_catalog(tmp_path, reload=True)
    assert cat.errors == [] and cat.counts() == shipped.counts()


@pytest.mark.parametrize("name", NIC_FILES)
def test_every_entry_has_source_and_confidence(name: str) -> None:
    for section, entries in _raw(name).items():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            assert str(entry.get("source") or "").strip(), f"{name} {section}: {entry} has no source"
            assert entry.get("confidence") in ("high", "medium", "low"), f"{name} {section}: {entry}"
            if entry["confidence"] == "low":
                notes = str(entry.get("notes") or "").lower()
                assert "unconfirmed" in notes or "not checked" in notes, (
                    f"{name}: {entry} low without saying so"
                )


def test_no_id_is_listed_twice_across_files() -> None:
    # The loader lets a later file silently replace an ID; in the shipped files that is a mistake.
    seen: Counter[str] = Counter()
    for path in sorted(shipped_catalog_dir().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section in ("pci", "usb"):
            seen.update(f"{section}/{e['id']}" for e in data.get(section) or [])
        seen.update(f"names/{e['bus']}/{e['id']}" for e in data.get("names") or [])
        seen.update(f"usb_classes/{e['class']}" for e in data.get("usb_classes") or [])
    duplicates = sorted(key for key, count in seen.items() if count > 1)
    assert duplicates == []


def test_every_driver_is_inbox_somewhere_a_component_or_none(shipped: Catalog) -> None:
    known = {d for r in shipped.releases for d in r.inbox_drivers | r.inbox_unconfirmed}
    known |= {d for c in shipped.components for d in c.drivers}
    for section in ("pci", "usb"):
        for key, entry in shipped.entries[section].items():
            if entry["driver"] == "none":
                # "none" means no ESXi driver exists: such an entry must say so for every release
                assert entry.get("support") == {"*": "unsupported"}, key
                assert entry.get("fix"), f"{key}: an unsupported adapter needs a fix naming an alternative"
            else:
                assert entry["driver"] in known, f"{section} {key}: unknown driver {entry['driver']!r}"


def test_families_are_broad(shipped: Catalog) -> None:
    per_driver = Counter(e["driver"] for e in shipped.entries["pci"].values())
    minimum = {
        "ne1000": 40,
        "igbn": 30,
        "ixgben": 30,
        "i40en": 15,
        "icen": 20,
        "nmlx5_core": 7,
        "bnxtnet": 30,
        "ntg3": 8,
        "atlantic": 20,
        "cndi_igc": 14,
        "if_re": 9,
    }
    for driver, count in minimum.items():
        assert per_driver[driver] >= count, f"{driver}: {per_driver[driver]} entries"
    usb_drivers = Counter(e["driver"] for e in shipped.entries["usb"].values())
    assert usb_drivers["axge"] >= 5 and usb_drivers["cdce"] >= 30 and usb_drivers["none"] >= 15


# facts checked at the source ----------------------------------------------------------------------
def test_if_re_ids_are_exactly_the_vib_map(shipped: Catalog) -> None:
    # etc/vmware/default.map.d/if_re.map in VMware-Re-Driver_1.101.01-5vmw.800
    ids = {k for k, e in shipped.entries["pci"].items() if e["driver"] == "if_re"}
    assert ids == {
        f"10ec:{d}" for d in ("8125", "8126", "8127", "8136", "8161", "8162", "8167", "8168", "8169")
    }
    assert all(shipped.entries["pci"][i]["confidence"] == "high" for i in ids)


def test_fling_tables_per_build(shipped: Catalog) -> None:
    # IDs decoded from the vmkusb_nic_fling module of each build
    fling_8x = {
        "0b95:1790", "0b95:178a", "2001:4a00", "0df6:0072", "17ef:304b",
        "0bda:8152", "0bda:8153", "0bda:8156", "2357:0601", "045e:07c6", "13b1:0041", "0955:09ff",
        "0b05:1976", "2001:b301", "17ef:3062", "17ef:3069", "17ef:7205", "17ef:720a", "1a56:3100",
        "2eca:c101", "20f4:e05a", "1c04:0015", "18d1:0215", "0b1f:8153", "0b1f:03ee", "17ef:b001",
        "413c:a102", "04b3:4010", "2c23:1b83", "15d9:1b83",
    }  # fmt: skip
    for device in sorted(fling_8x):
        for release in RELEASES:
            support, component = _resolve(shipped, "usb", device, release)
            assert support == "driver-required", (device, release)
            assert component is not None and component.startswith("usb-nic-fling-"), (device, release)
    assert _resolve(shipped, "usb", "0bda:8157", "8.0U3") == (
        "driver-required",
        "usb-nic-fling-1.14-7vmw.803",
    )
    for release in ("8.0", "8.0U1", "8.0U2", "9.0"):
        assert _resolve(shipped, "usb", "0bda:8157", release) == ("unsupported", None)
    for device in ("046b:ffb0", "2cc8:2927"):  # only in the 9.0 build's table
        assert _resolve(shipped, "usb", device, "9.0") == ("driver-required", "usb-nic-fling-1.15-1vmw.900")
        assert _resolve(shipped, "usb", device, "8.0U3") == ("unsupported", None)


def test_fling_builds_fit_one_update_each(shipped: Catalog) -> None:
    for release, build in (
        ("8.0", "usb-nic-fling-1.12-1vmw.800"),
        ("8.0U1", "usb-nic-fling-1.12-1vmw.801"),
        ("8.0U2", "usb-nic-fling-1.12-2vmw.802"),
        ("8.0U3", "usb-nic-fling-1.14-7vmw.803"),
        ("9.0", "usb-nic-fling-1.15-1vmw.900"),
    ):
        assert _resolve(shipped, "usb", "0bda:8156", release) == ("driver-required", build)


def test_inbox_driver_lists(shipped: Catalog) -> None:
    enterprise = {"ne1000", "igbn", "ixgben", "i40en", "icen", "nmlx5_core", "bnxtnet", "ntg3", "atlantic"}
    for release in RELEASES:
        assert enterprise <= shipped.release(release).inbox_drivers, release
        assert "if_re" not in shipped.release(release).inbox_drivers  # a component, never inbox
    for release in ("8.0", "8.0U1"):
        assert "cndi_igc" in shipped.release(release).inbox_unconfirmed
    for release in ("8.0U2", "8.0U3", "9.0"):
        assert "cndi_igc" in shipped.release(release).inbox_drivers
    assert shipped.release("8.0U3").confidence == "high" and shipped.release("9.0").confidence == "high"


# each family resolves -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bus", "device", "release", "support", "driver", "confidence"),
    [
        ("pci", "8086:1521", "8.0U3", "inbox", "igbn", "high"),  # I350, seen on ESXi hosts
        ("pci", "8086:1533", "9.0", "inbox", "igbn", "high"),  # I210
        ("pci", "8086:1f41", "8.0U3", "inbox", "igbn", "medium"),  # I354
        ("pci", "15b3:1015", "8.0U3", "inbox", "nmlx5_core", "high"),  # ConnectX-4 Lx
        ("pci", "15b3:1017", "8.0U1", "inbox", "nmlx5_core", "medium"),  # ConnectX-5
        ("pci", "15b3:101f", "9.0", "inbox", "nmlx5_core", "medium"),  # ConnectX-6 Lx
        ("pci", "8086:10fb", "8.0U3", "inbox", "ixgben", "high"),  # 82599 SFP+
        ("pci", "8086:1528", "8.0U3", "inbox", "ixgben", "medium"),  # X540
        ("pci", "8086:15c8", "8.0U3", "inbox", "ixgben", "medium"),  # X553
        ("pci", "8086:1572", "8.0U3", "inbox", "i40en", "high"),  # X710 SFP+
        ("pci", "8086:37d1", "8.0U3", "inbox", "i40en", "high"),  # X722 1GbE
        ("pci", "8086:158b", "8.0U3", "inbox", "i40en", "medium"),  # XXV710
        ("pci", "8086:1593", "8.0U3", "inbox", "icen", "medium"),  # E810-C SFP
        ("pci", "8086:188c", "8.0U3", "inbox", "icen", "low"),  # E823-C SoC LAN
        ("pci", "14e4:16d7", "8.0U3", "inbox", "bnxtnet", "medium"),  # BCM57414
        ("pci", "14e4:1751", "9.0", "inbox", "bnxtnet", "medium"),  # BCM57504
        ("pci", "14e4:165f", "8.0U3", "inbox", "ntg3", "medium"),  # BCM5720 LOM
        ("pci", "8086:15f3", "8.0U3", "inbox", "cndi_igc", "high"),  # I225-V
        ("pci", "8086:15f3", "8.0", "unknown", "cndi_igc", "high"),  # cndi_igc on 8.0 GA unconfirmed
        ("pci", "8086:156f", "8.0U3", "inbox", "ne1000", "high"),  # I219-LM
        ("pci", "8086:15fb", "8.0U3", "inbox", "ne1000", "low"),  # I219-LM (13): community-driver ID
        ("pci", "8086:10d3", "8.0U3", "inbox", "ne1000", "medium"),  # 82574L
        ("pci", "8086:153a", "8.0U3", "inbox", "ne1000", "medium"),  # I217-LM
        ("pci", "1d6a:07b1", "8.0U3", "inbox", "atlantic", "low"),  # AQC107: inbox, claim disputed
        ("pci", "1d6a:04c0", "9.0", "inbox", "atlantic", "low"),  # AQC113
        ("pci", "10ec:8168", "8.0U3", "driver-required", "if_re", "high"),  # RTL8111/8168
        ("pci", "10ec:8125", "9.0", "driver-required", "if_re", "high"),  # RTL8125
        ("pci", "10ec:3000", "8.0U3", "unsupported", "none", "medium"),  # Killer E3000: not in if_re
        ("pci", "8086:4ba0", "8.0U3", "unsupported", "none", "medium"),  # Elkhart Lake TSN (stmmac)
        ("usb", "0bda:8156", "8.0U3", "driver-required", "cdce", "high"),
        ("usb", "0b95:1790", "8.0U2", "driver-required", "axge", "high"),
        ("usb", "17ef:304b", "8.0U3", "driver-required", "axge", "high"),  # Lenovo OneLink (AX88179)
        ("usb", "2357:0601", "8.0U3", "driver-required", "cdce", "high"),  # TP-Link UE300
        ("usb", "0b95:772b", "8.0U3", "unsupported", "none", "medium"),  # AX88772B
        ("usb", "0b95:7720", "9.0", "unsupported", "none", "medium"),  # AX88772
        ("usb", "05ac:1402", "8.0U3", "unsupported", "none", "medium"),  # Apple USB Ethernet
        ("usb", "0424:7800", "8.0U3", "unsupported", "none", "medium"),  # LAN7800
        ("usb", "17ef:720c", "8.0U3", "unknown", "cdce", "medium"),  # Lenovo RTL8153 dongle, own ID
        ("usb", "413c:b097", "8.0U3", "unknown", "cdce", "medium"),  # Dell RTL8156B, own ID
    ],
)
def test_family_resolves(
    shipped: Catalog, bus: str, device: str, release: str, support: str, driver: str, confidence: str
) -> None:
    match = shipped.resolve_nic(bus, device, shipped.release(release))
    assert match.entry is not None, f"{device} is not in the catalog"
    assert (match.support, match.entry.driver, match.entry.confidence) == (support, driver, confidence)
    if support == "driver-required":
        assert match.component is not None
    if support in ("unsupported", "unknown") and match.entry.driver in ("none", "cdce", "axge"):
        assert match.entry.fix, "a NIC that is not usable must name what to use instead"


def test_unsupported_usb_adapters_are_unsupported_everywhere(shipped: Catalog) -> None:
    for device in ("0b95:7720", "0b95:772a", "0b95:772b", "0b95:7e2b", "0b95:1780", "05ac:1402", "0bda:8150"):
        assert {_resolve(shipped, "usb", device, r)[0] for r in RELEASES} == {"unsupported"}, device
        fix = shipped.usb_nic(device).fix  # type: ignore[union-attr]
        assert "0bda:8156" in fix or "0b95:1790" in fix  # names an adapter from the Fling table


def test_branded_adapter_outside_the_table_names_its_chip(shipped: Catalog) -> None:
    entry = shipped.usb_nic("17ef:720c")
    assert entry is not None and "RTL8153" in entry.chip
    assert "not in the USB NIC Fling table" in entry.notes and "by ID" in entry.notes
    assert {_resolve(shipped, "usb", "17ef:720c", r)[0] for r in RELEASES} == {"unknown"}


def test_bmc_virtual_nics_are_not_uplinks(shipped: Catalog) -> None:
    for device in ("413c:a102", "04b3:4010", "2c23:1b83", "046b:ffb0"):
        assert shipped.usb_nic(device).role == "bmc"  # type: ignore[union-attr]


def test_speeds_follow_the_chip(shipped: Catalog) -> None:
    speed = {k: e.get("speed_mbps") for s in ("pci", "usb") for k, e in shipped.entries[s].items()}
    assert speed["10ec:8136"] == 100  # RTL810xE: below the 1 GbE minimum
    assert speed["0bda:8152"] == 100 and speed["0bda:8157"] == 5000 and speed["10ec:8126"] == 5000
    assert speed["8086:125c"] == 2500 and speed["8086:1589"] == 10000


# names --------------------------------------------------------------------------------------------
def test_supplemental_names_cover_ids_the_databases_lack(shipped: Catalog) -> None:
    assert "RTL8156" in shipped.device_name("usb", "0bda:8156")
    assert "I219-LM" in shipped.device_name("pci", "8086:550a")
    assert "AQC113" in shipped.device_name("pci", "1d6a:04c0")
    assert "RTL8127" in shipped.device_name("pci", "10ec:8127")
    names = _raw("names.yaml")["names"]
    catalogued = {f"{s}/{i}" for s in ("pci", "usb") for i in shipped.entries[s]}
    # every supplemental name belongs to an ID the NIC tables know (no stray labels)
    assert all(f"{n['bus']}/{n['id']}" in catalogued for n in names)


# overrides ----------------------------------------------------------------------------------------
def test_override_can_confirm_a_branded_adapter(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        'usb:\n  - {id: "17ef:720c", chip: "Lenovo USB-C dongle (RTL8153), site-tested", driver: cdce, '
        'speed_mbps: 1000, source: "site lab 2026-12", confidence: medium}\n',
        encoding="utf-8",
    )
    cat = build_catalog(shipped_catalog_dir(), tmp_path)
    assert cat.errors == []
    assert _resolve(cat, "usb", "17ef:720c", "8.0U3") == ("driver-required", "usb-nic-fling-1.14-7vmw.803")
    assert cat.version.endswith("+local")


# robustness ---------------------------------------------------------------------------------------
_HEX = st.text(alphabet="0123456789abcdefABCDEF", min_size=4, max_size=4)


@given(bus=st.sampled_from(["pci", "usb"]), vendor=_HEX, device=_HEX, release=st.sampled_from(RELEASES))
def test_any_id_resolves_to_a_known_support_value(
    shipped: Catalog, bus: str, vendor: str, device: str, release: str
) -> None:
    match = shipped.resolve_nic(bus, f"{vendor}:{device}", shipped.release(release))
    assert match.support in SUPPORT_VALUES
    if match.entry is None:
        assert match.support == "unknown"
