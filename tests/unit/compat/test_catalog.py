"""The shipped catalog loads clean; overrides replace, add, and never break loading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ecs_field import paths
from ecs_field.compat import catalog as catalog_module
from ecs_field.compat.catalog import build_catalog, load_catalog, reload_catalog, shipped_catalog_dir
from ecs_field.compat.schema import SECTIONS
from ecs_field.errors import BadInput
from ecs_field.hardware.inventory import Platform


@pytest.fixture(scope="module")
def shipped() -> catalog_module.Catalog:
    return build_catalog(shipped_catalog_dir(), None)


def test_shipped_catalog_has_no_errors_and_a_dated_version(shipped: catalog_module.Catalog) -> None:
    assert shipped.errors == []
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", shipped.version)
    assert [r.id for r in shipped.releases] == ["8.0", "8.0U1", "8.0U2", "8.0U3", "9.0"]
    assert shipped.default_release.id == "8.0U3"  # catalog.yaml default_release


def test_every_shipped_entry_names_source_and_confidence() -> None:
    for path in sorted(shipped_catalog_dir().glob("*.yaml")):
        document = yaml.safe_load(path.read_text()) or {}
        for section in SECTIONS:
            for entry in document.get(section) or []:
                assert entry.get("source"), f"{path.name}: {section} {entry} has no source"
                assert entry.get("confidence") in ("high", "medium", "low"), f"{path.name}: {entry}"


def test_unconfirmed_facts_say_so_in_notes(shipped: catalog_module.Catalog) -> None:
    for section in ("pci", "usb", "releases", "platforms"):
        for key, entry in shipped.entries[section].items():
            if entry["confidence"] == "low":
                assert (
                    "unconfirmed" in (entry.get("notes") or "").lower()
                    or "not checked" in (entry.get("notes") or "").lower()
                ), f"{section} {key}: low confidence without a note"


def test_release_lookup_accepts_aliases_and_rejects_unknown(shipped: catalog_module.Catalog) -> None:
    assert shipped.release("8.0u3").id == "8.0U3"
    assert shipped.release("8.0 Update 2").id == "8.0U2"
    assert shipped.release(None).id == "8.0U3"
    with pytest.raises(BadInput) as exc:
        shipped.release("7.0U3")
    assert "8.0, 8.0U1, 8.0U2, 8.0U3, 9.0" in exc.value.message


def test_usb_nic_ids_and_lookups(shipped: catalog_module.Catalog) -> None:
    ids = shipped.usb_nic_ids()
    assert {"0bda:8156", "0b95:1790", "0bda:8157"} <= ids
    assert isinstance(ids, frozenset)
    assert shipped.pci_nic("8086:15F3").driver == "cndi_igc"  # type: ignore[union-attr]
    assert shipped.usb_nic("0bda:8153").driver == "cdce"  # type: ignore[union-attr]
    assert shipped.usb_class("02/0c").driver == "cdceem"  # type: ignore[union-attr]
    assert shipped.pci_nic("1969:e0b1") is None  # Qualcomm Atheros Killer: no ESXi driver, not listed
    # the supplemental name table covers IDs usb.ids lacks
    assert "RTL8157" in shipped.device_name("usb", "0bda:8157")
    assert shipped.device_name("usb", "ffff:0000") == ""


@pytest.mark.parametrize(
    ("bus", "device", "release", "support", "component"),
    [
        ("pci", "8086:15f3", "8.0U2", "inbox", None),
        ("pci", "8086:15f3", "8.0", "unknown", None),  # cndi_igc on 8.0 GA unconfirmed
        ("pci", "10ec:8125", "8.0U3", "driver-required", "realtek-if_re-1.101.01-5vmw.800"),
        ("usb", "0bda:8156", "8.0", "driver-required", "usb-nic-fling-1.12-1vmw.800"),
        ("usb", "0bda:8156", "8.0U1", "driver-required", "usb-nic-fling-1.12-1vmw.801"),
        ("usb", "0bda:8156", "8.0U2", "driver-required", "usb-nic-fling-1.12-2vmw.802"),
        ("usb", "0bda:8156", "8.0U3", "driver-required", "usb-nic-fling-1.14-7vmw.803"),
        ("usb", "0bda:8156", "9.0", "driver-required", "usb-nic-fling-1.15-1vmw.900"),
        ("usb", "0bda:8157", "8.0U3", "driver-required", "usb-nic-fling-1.14-7vmw.803"),
        ("usb", "0bda:8157", "9.0", "unsupported", None),
        ("usb", "0bda:8157", "8.0U2", "unsupported", None),
        ("usb", "046b:ffb0", "8.0U3", "unsupported", None),
        ("usb", "046b:ffb0", "9.0", "driver-required", "usb-nic-fling-1.15-1vmw.900"),
        ("usb", "0b95:2790", "8.0U3", "unknown", None),
        ("pci", "1969:e0b1", "8.0U3", "unknown", None),  # not in the catalog
    ],
)
def test_support_per_release(
    shipped: catalog_module.Catalog, bus: str, device: str, release: str, support: str, component: str | None
) -> None:
    match = shipped.resolve_nic(bus, device, shipped.release(release))
    assert match.support == support
    assert (match.component.id if match.component else None) == component


def test_usb_class_match_is_low_confidence(shipped: catalog_module.Catalog) -> None:
    match = shipped.resolve_nic("usb", "1234:5678", shipped.release("8.0U3"), ["03/01", "02/0d"])
    assert match.support == "driver-required"
    assert match.entry is not None and match.entry.confidence == "low"
    assert "interface class 02/0d" in match.notes[0]


@pytest.mark.parametrize(
    ("platform", "family", "how"),
    [
        (Platform("Intel(R) Client Systems", "", "NUC11TNBi5"), "intel-nuc11-pro", "board"),  # empty product
        (Platform("Intel(R) Client Systems", "NUC11TNHi5", "NUC11TNBi5"), "intel-nuc11-pro", "product"),
        (Platform("ASUSTeK COMPUTER INC.", "NUC13ANH-B", "NUC13ANB-M"), "intel-nuc13-pro", "product"),
        (Platform("LENOVO", "", "3171", version="ThinkCentre M70q Gen 2"), "lenovo-m70q-gen2", "version"),
        (Platform("LENOVO", "11MY003MRU", "3171"), "lenovo-m70q-gen2", "product"),
        (Platform("hp", "HP EliteDesk 800 G4 DM 65W", ""), "hp-elitedesk-800-g4-dm", "product"),
    ],
)
def test_platform_matching(
    shipped: catalog_module.Catalog, platform: Platform, family: str, how: str
) -> None:
    found = shipped.match_platform(platform)
    assert found is not None
    assert (found[0].id, found[1]) == (family, how)


def test_platform_vendor_must_agree_when_given(shipped: catalog_module.Catalog) -> None:
    assert shipped.match_platform(Platform("Some Clone Inc.", "NUC11TNHi5", "")) is None
    assert shipped.match_platform(Platform("", "", "")) is None


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_override_replaces_and_adds(tmp_path: Path) -> None:
    write(
        tmp_path,
        "site.yaml",
        """
usb:
  - {id: "0bda:8156", chip: "Site-tested RTL8156", driver: cdce, speed_mbps: 2500, confidence: high,
     source: "site test 2026-11", notes: "tested on our NUCs"}
  - {id: "1234:abcd", chip: "Site adapter", driver: axge, speed_mbps: 1000, confidence: low,
     source: "site test", notes: "unconfirmed"}
""",
    )
    cat = build_catalog(shipped_catalog_dir(), tmp_path)
    assert cat.errors == []
    assert cat.usb_nic("0bda:8156").chip == "Site-tested RTL8156"  # type: ignore[union-attr]
    assert "1234:abcd" in cat.usb_nic_ids()
    assert cat.version.endswith("+local")
    assert cat.override_files == [tmp_path / "site.yaml"]


def test_broken_override_file_is_reported_and_skipped(tmp_path: Path) -> None:
    write(tmp_path, "a-broken.yaml", 'usb: [ {id: "0bda:8156", chip: oops\n')
    write(
        tmp_path,
        "b-good.yaml",
        """
names:
  - {bus: usb, id: "abcd:0001", name: "Good name", source: "x", confidence: low, notes: "unconfirmed"}
""",
    )
    cat = build_catalog(shipped_catalog_dir(), tmp_path)
    assert len(cat.errors) == 1
    assert (
        "a-broken.yaml" in cat.errors[0] and "not valid YAML" in cat.errors[0] and "skipped" in cat.errors[0]
    )
    assert cat.device_name("usb", "abcd:0001") == "Good name"
    assert cat.usb_nic("0bda:8156").chip == "Realtek RTL8156 USB 2.5GbE"  # type: ignore[union-attr]


def test_invalid_entries_name_file_index_key_and_field(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.yaml",
        """
pci:
  - {id: "8086:15F3", chip: "Upper-case ID", driver: x, source: s, confidence: high}
  - {id: "8086:aaaa", chip: "No source", driver: x, confidence: sure}
  - {id: "8086:bbbb", chip: "Good", driver: ne1000, source: s, confidence: high, colour: red}
  - {id: "8086:cccc", chip: "Pinned", driver: ne1000, source: s, confidence: high, support: {"7.0": inbox}}
mystery: []
""",
    )
    cat = build_catalog(shipped_catalog_dir(), tmp_path)
    text = "\n".join(cat.errors)
    assert "bad.yaml: pci[0]" in text and "field 'id'" in text
    assert "pci[1] (8086:aaaa): field 'source': missing (required)" in text
    assert "pci[1] (8086:aaaa): field 'confidence': must be one of high, medium, low" in text
    assert "pci[2] (8086:bbbb): field 'colour': unknown field" in text
    assert "pci (8086:cccc): field 'support': unknown release(s) 7.0" in text
    assert "unknown section 'mystery'" in text
    # invalid entries were skipped, valid ones kept
    assert cat.pci_nic("8086:aaaa") is None and cat.pci_nic("8086:bbbb") is None
    assert cat.pci_nic("8086:cccc") is not None


def test_override_with_wrong_top_level_shape(tmp_path: Path) -> None:
    write(tmp_path, "list.yaml", "- just\n- a list\n")
    cat = build_catalog(shipped_catalog_dir(), tmp_path)
    assert any("list.yaml" in e and "file skipped" in e for e in cat.errors)
    assert len(cat.releases) == 5


def test_load_catalog_is_cached_and_reloadable() -> None:
    folder = paths.catalog_override_dir()
    first = load_catalog()
    assert load_catalog() is first
    write(
        folder,
        "extra.yaml",
        """
names:
  - {bus: pci, id: "abcd:0002", name: "Added later", source: "x", confidence: low, notes: "unconfirmed"}
""",
    )
    assert load_catalog().device_name("pci", "abcd:0002") == ""
    fresh = reload_catalog()
    assert fresh is not first
    assert fresh.device_name("pci", "abcd:0002") == "Added later"
    assert load_catalog() is fresh


def test_counts_cover_sections(shipped: catalog_module.Catalog) -> None:
    counts = shipped.counts()
    assert counts["releases"] == 5 and counts["pci_nics"] > 50 and counts["usb_nics"] > 20
    assert counts["platforms"] >= 10


def test_override_moves_the_default_release(tmp_path: Path) -> None:
    write(tmp_path, "default.yaml", 'default_release: "9.0"\n')
    cat = build_catalog(shipped_catalog_dir(), tmp_path)
    assert cat.errors == []
    assert cat.default_release.id == "9.0"
    write(tmp_path, "default.yaml", 'default_release: "7.0"\n')
    # an unknown default falls back to the newest release rather than failing every check
    assert build_catalog(shipped_catalog_dir(), tmp_path).default_release.id == "9.0"


def test_parsed_yaml_cache_follows_edits(tmp_path: Path) -> None:
    """The parse cache is keyed by path, mtime and size: an edited override is read again."""
    import os

    from ecs_field.compat.catalog import _read_yaml

    override = tmp_path / "mine.yaml"
    override.write_text("names:\n  - {bus: usb, id: '1234:5678', name: First, source: me, confidence: low}\n")
    first, error = _read_yaml(override)
    assert error is None and first["names"][0]["name"] == "First"
    again, _ = _read_yaml(override)  # from the cache
    assert again == first
    override.write_text(
        "names:\n  - {bus: usb, id: '1234:5678', name: Second, source: me, confidence: low}\n"
    )
    os.utime(override, ns=(1, 1))  # a different mtime even on a coarse clock
    edited, _ = _read_yaml(override)
    assert edited["names"][0]["name"] == "Second"
    dated, error = _read_yaml(_write(tmp_path / "dated.yaml", "when: 2025-11-21\n"))
    assert error is None and str(dated["when"]) == "2025-11-21"  # a date: parsed, not cached


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
