"""Platform families: every family is matched by a real DMI sample and no sample matches a
family it does not belong to; placeholders, SKUs and quirks behave as documented."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ecs_field.compat.catalog import Catalog, PlatformQuirk, build_catalog, dmi_value, shipped_catalog_dir
from ecs_field.hardware.inventory import Platform


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return build_catalog(shipped_catalog_dir(), None)


@dataclass(frozen=True)
class Sample:
    family: str
    vendor: str = ""
    product: str = ""
    board: str = ""
    version: str = ""
    sku: str = ""
    source: str = ""  # where the strings come from

    def platform(self) -> Platform:
        platform = Platform(self.vendor, self.product, self.board, version=self.version)
        if hasattr(platform, "sku"):  # Platform.sku is the INPUT helper's addition
            platform.sku = self.sku
        return platform


FX = "tests/fixtures/hardware/machines"
L = "linuxhw/DMI "
# Real DMI strings. "fixture" = the dmidecode file in tests/fixtures/hardware/machines/<dir> (its
# linuxhw source path is in machines.yaml); "dump" = a linuxhw/DMI file read while building the
# catalog; "path" = linuxhw/DMI folder names, which carry the product name (HP: without the "HP "
# prefix the System Information line has; Lenovo: "<version> <product>").
REAL = [
    Sample(
        "intel-nuc5",
        "Intel Corporation",
        "NUC5i5RYH",
        "NUC5i5RYB",
        source=L + "Mini Pc/Intel/NUC5/NUC5i5RYH/002C83D62DF6",
    ),
    Sample(
        "intel-nuc5",
        "Intel(R) Client Systems",
        "NUC5i3RYH",
        "NUC5i3RYB",
        "K23891-501",
        source=FX + "/intel-nuc5i3ryh",
    ),
    Sample(
        "intel-nuc6", "Intel Corporation", "NUC6CAYH", "NUC6CAYB", "J26843-404", source=FX + "/intel-nuc6cayh"
    ),
    Sample(
        "intel-nuc7",
        "Intel(R) Client Systems",
        "NUC7CJYH",
        "NUC7JYB",
        "J67971-405",
        source=FX + "/intel-nuc7cjyh",
    ),
    Sample(
        "intel-nuc8",
        "Intel(R) Client Systems",
        "NUC8i5BEH",
        "NUC8BEB",
        "J72747-308",
        "BOXNUC8i5BEH",
        FX + "/intel-nuc8i5beh",
    ),
    Sample(
        "intel-nuc8", "Intel(R) Client Systems", "NUC8i7HVK", source=L + "path Mini Pc/Intel/NUC8/NUC8i7HVK"
    ),
    Sample(
        "intel-nuc9",
        "Intel(R) Client Systems",
        "NUC9i9QNX",
        source=L + "path Mini Pc/Intel Client Systems/NUC9/NUC9i9QNX",
    ),
    Sample(
        "intel-nuc10",
        "Intel(R) Client Systems",
        "NUC10i7FNH",
        source=L + "path Mini Pc/Intel Client Systems/NUC10/NUC10i7FNH",
    ),
    Sample(
        "intel-nuc11-essential",
        "Intel(R) Client Systems",
        "NUC11ATKC4",
        source=L + "path Mini Pc/Intel Client Systems/NUC11/NUC11ATKC4",
    ),
    Sample(
        "intel-nuc11-pro",
        "Intel(R) Client Systems",
        "NUC11TNHi5",
        "NUC11TNBi5",
        "M11924-405",
        "BNUC11TNHi50000/1/2/5",
        FX + "/intel-nuc11tnhi5",
    ),
    Sample(
        "intel-nuc11-pro",
        "Intel(R) Client Systems",
        "                 ",
        "NUC11TNBv7",
        source="tests/fixtures/hardware/nuc11tnhv7-dmidecode-empty-product.txt",
    ),
    Sample(
        "intel-nuc11-performance",
        "Intel(R) Client Systems",
        "NUC11PAHi5",
        "NUC11PABi5",
        "M15533-306",
        "RNUC11PAHi5000",
        FX + "/intel-nuc11pahi5",
    ),
    Sample(
        "intel-nuc11-enthusiast",
        "Intel(R) Client Systems",
        "NUC11PHi7",
        "NUC11PHBi7",
        "M26149-405",
        "SWNUC11PHKi7C00",
        FX + "/intel-nuc11phi7",
    ),
    Sample(
        "intel-nuc12-pro",
        "Intel(R) Client Systems",
        "NUC12WSHi3",
        "NUC12WSBi3",
        "M46710-304",
        "NUC12WSHi3000",
        FX + "/intel-nuc12wshi3",
    ),
    Sample(
        "intel-nuc12-pro",
        "ASUSTeK COMPUTER INC.",
        "NUC12WSH-B",
        "NUC12WSB-M",
        "90AR00E1-M00030",
        "NUC12WSHi3000",
        FX + "/asus-nuc12wsh-b",
    ),
    Sample(
        "intel-nuc12-enthusiast",
        "Intel(R) Client Systems",
        "NUC12SNKi72",
        source=L + "path Mini Pc/Intel Client Systems/NUC12/NUC12SNKi72",
    ),
    Sample(
        "intel-nuc12-extreme",
        "Intel(R) Client Systems",
        "NUC12DCMi9",
        source=L + "path Mini Pc/Intel Client Systems/NUC12/NUC12DCMi9",
    ),
    Sample(
        "intel-nuc13-pro",
        "Intel(R) Client Systems",
        "NUC13ANKi7",
        "NUC13ANBi7",
        "N11221-207",
        "NUC13ANKi7000",
        FX + "/intel-nuc13anki7",
    ),
    Sample(
        "intel-nuc13-pro",
        "ASUSTeK COMPUTER INC.",
        "NUC13ANH-B",
        "NUC13ANB-M",
        "90AR00C1-M000B0",
        "NUC13ANHI5000",
        FX + "/asus-nuc13anh-b",
    ),
    Sample(
        "intel-nuc13-extreme",
        "Intel(R) Client Systems",
        "NUC13RNGi9",
        "NUC13SBBi9",
        "M89920-303",
        "RNUC13RNGi90002",
        FX + "/intel-nuc13rngi9",
    ),
    Sample(
        "asus-nuc14-pro",
        "ASUSTeK COMPUTER INC.",
        "NUC14RVK-B",
        "NUC14RVB",
        "90AR0062-M00090",
        "NUC14RVK-B",
        FX + "/asus-nuc14rvk-b",
    ),
    Sample(
        "lenovo-m625q",
        "LENOVO",
        "10TF001NRU",
        "312F",
        "ThinkCentre M625q",
        "LENOVO_MT_10TF_BU_Think_FM_ThinkCentre M625q",
        FX + "/lenovo-m625q",
    ),
    Sample(
        "lenovo-m710q",
        "LENOVO",
        "10MQS0KL00",
        "3111",
        "ThinkCentre M710q",
        "LENOVO_MT_10MQ_BU_LENOVO_FM_ThinkCentre M710q",
        FX + "/lenovo-m710q",
    ),
    Sample(
        "lenovo-m715q",
        "LENOVO",
        "10VG000EUS",
        version="ThinkCentre M715q",
        source=L + "path Mini Pc/Lenovo/ThinkCentre/ThinkCentre M715q 10VG000EUS",
    ),
    Sample(
        "lenovo-m720q",
        "LENOVO",
        "10T7002CUS",
        "312D",
        "ThinkCentre M720q",
        "LENOVO_MT_10T7_BU_Think_FM_ThinkCentre M720q",
        FX + "/lenovo-m720q",
    ),
    Sample(
        "lenovo-m910q",
        "LENOVO",
        "10MUS17J00",
        "310B",
        "ThinkCentre M910q",
        "LENOVO_MT_10MU_BU_LENOVO_FM_ThinkCentre M910q",
        FX + "/lenovo-m910q",
    ),
    Sample(
        "lenovo-m920q",
        "LENOVO",
        "10RRS09W00",
        "3136",
        "ThinkCentre M920q",
        "LENOVO_MT_10RR_BU_Think_FM_ThinkCentre M920q",
        FX + "/lenovo-m920q",
    ),
    Sample(
        "lenovo-m630e",
        "LENOVO",
        "10YM001SRU",
        version="ThinkCentre M630e",
        source=L + "path Mini Pc/Lenovo/ThinkCentre/ThinkCentre M630e 10YM001SRU",
    ),
    Sample(
        "lenovo-m70q",
        "LENOVO",
        "11DT0008CK",
        "316E",
        "ThinkCentre M70q",
        "LENOVO_MT_11DT_BU_Think_FM_ThinkCentre M70q",
        FX + "/lenovo-m70q-gen1",
    ),
    Sample(
        "lenovo-m70q-gen2",
        "LENOVO",
        "11MY003MRU",
        "31A7",
        "ThinkCentre M70q Gen 2",
        "LENOVO_MT_11MY_BU_Think_FM_ThinkCentre M70q Gen 2",
        FX + "/lenovo-m70q-gen2",
    ),
    Sample(
        "lenovo-m70q-gen3",
        "LENOVO",
        "11T300B5MH",
        "330B",
        "ThinkCentre M70q Gen 3",
        "LENOVO_MT_11T3_BU_Think_FM_ThinkCentre M70q Gen 3",
        L + "Mini Pc/Lenovo/ThinkCentre/ThinkCentre M70q Gen 3 11T300B5MH/8441791406CE",
    ),
    Sample(
        "lenovo-m70q-gen4",
        "LENOVO",
        "12E3CTO1WW",
        version="ThinkCentre M70q Gen 4",
        source=L + "path Mini Pc/Lenovo/ThinkCentre/ThinkCentre M70q Gen 4 12E3CTO1WW",
    ),
    Sample(
        "lenovo-m80q",
        "LENOVO",
        "11DQS0VE00",
        "316C",
        "ThinkCentre M80q",
        "LENOVO_MT_11DQ_BU_Think_FM_ThinkCentre M80q",
        FX + "/lenovo-m80q-gen1",
    ),
    Sample(
        "dell-optiplex-7070-ultra",
        "Dell Inc.",
        "OptiPlex 7070 Ultra",
        "05XTT1",
        "Not Specified",
        "091B",
        FX + "/dell-optiplex-7070-ultra",
    ),
    Sample(
        "dell-optiplex-micro-7010",
        "Dell Inc.",
        "OptiPlex Micro 7010",
        source="reference/esxi-hardware.md (linuxhw/DMI)",
    ),
    Sample(
        "dell-optiplex-thin-client",
        "Dell Inc.",
        "OptiPlex 3000 Thin Client",
        source=L + "path Mini Pc/Dell/OptiPlex/OptiPlex 3000 Thin Client",
    ),
    Sample(
        "dell-optiplex", "Dell Inc.", "OptiPlex 3000", source=L + "path Desktop/Dell/OptiPlex/OptiPlex 3000"
    ),
    Sample(
        "dell-precision-compact",
        "Dell Inc.",
        "Precision 3240 Compact",
        source=L + "path Desktop/Dell/Precision/Precision 3240 Compact",
    ),
    Sample(
        "dell-precision-compact",
        "Dell Inc.",
        "Precision 3260",
        source=L + "path Desktop/Dell/Precision/Precision 3260",
    ),
    Sample(
        "dell-edge-gateway-3000-5000",
        "Dell Inc.",
        "Edge Gateway 3001",
        "0F05RM",
        "Not Specified",
        "07B9",
        L + "Mini Pc/Dell/Edge/Edge Gateway 3001/9349E7ABA493",
    ),
    Sample(
        "dell-edge-gateway",
        "Dell EMC",
        "Edge Gateway 3200",
        "0d370eed-89ca-4dc0-a365-e9904c4c62bb",
        "Rev, A01",
        "Default string",
        FX + "/dell-edge-gateway-3200",
    ),
    Sample(
        "hp-elitedesk-800-g4-dm",
        "HP",
        "HP EliteDesk 800 G4 DM 65W",
        source="reference/esxi-hardware.md (linuxhw/DMI)",
    ),
    Sample(
        "hp-elitedesk-800-g3-dm",
        "HP",
        "HP EliteDesk 800 G3 DM 35W",
        source=L + "path Mini Pc/Hewlett-Packard/EliteDesk/EliteDesk 800 G3 DM 35W",
    ),
    Sample(
        "hp-elitedesk-800-g6-dm",
        "HP",
        "HP EliteDesk 800 G6 Desktop Mini PC",
        source=L + "path Mini Pc/Hewlett-Packard/EliteDesk/EliteDesk 800 G6 Desktop Mini PC",
    ),
    Sample(
        "hp-prodesk-400-g3-dm",
        "HP",
        "HP ProDesk 400 G3 DM",
        "82A5",
        " ",
        "2RN27UT#ABA",
        FX + "/hp-prodesk-400-g3-dm",
    ),
    Sample(
        "hp-prodesk-405-g6-dm",
        "HP",
        "HP ProDesk 405 G6 Desktop Mini PC",
        source=L + "path Mini Pc/Hewlett-Packard/ProDesk/ProDesk 405 G6 Desktop Mini PC",
    ),
    Sample(
        "hp-elite-mini-800-g9",
        "HP",
        "HP Elite Mini 800 G9 Desktop PC",
        "894F",
        " ",
        "82J71UT#ABA",
        FX + "/hp-elite-mini-800-g9",
    ),
    Sample(
        "hp-pro-mini-400-g9",
        "HP",
        "HP Pro Mini 400 G9 Desktop PC",
        "8955",
        " ",
        "6D494EA#ABH",
        FX + "/hp-pro-mini-400-g9",
    ),
    Sample(
        "hp-elitedesk-800-g8-dm",
        "HP",
        "HP EliteDesk 800 G8 Desktop Mini PC",
        source=L + "path Mini Pc/Hewlett-Packard/EliteDesk/EliteDesk 800 G8 Desktop Mini PC",
    ),
    Sample(
        "hp-elitedesk-805-g6-dm",
        "HP",
        "HP EliteDesk 805 G6 Desktop Mini PC",
        source=L + "path Mini Pc/Hewlett-Packard/EliteDesk/EliteDesk 805 G6 Desktop Mini PC",
    ),
    Sample(
        "hp-elitedesk-805-g8-dm",
        "HP",
        "HP EliteDesk 805 G8 Desktop Mini PC",
        source=L + "path Mini Pc/Hewlett-Packard/EliteDesk/EliteDesk 805 G8 Desktop Mini PC",
    ),
    Sample(
        "hp-prodesk-400-g6-dm",
        "HP",
        "HP ProDesk 400 G6 Desktop Mini PC",
        source=L + "path Mini Pc/Hewlett-Packard/ProDesk/ProDesk 400 G6 Desktop Mini PC",
    ),
    Sample(
        "hp-prodesk-600-g3-dm",
        "HP",
        "HP ProDesk 600 G3 DM",
        source=L + "path Mini Pc/Hewlett-Packard/ProDesk/ProDesk 600 G3 DM",
    ),
    Sample(
        "hp-elite-mini-600-g9",
        "HP",
        "HP Elite Mini 600 G9 Desktop PC",
        source=L + "path Mini Pc/Hewlett-Packard/Elite/Elite Mini 600 G9 Desktop PC",
    ),
    Sample(
        "hp-pro-mini-260-g9",
        "HP",
        "HP Pro Mini 260 G9 Desktop PC",
        source=L + "path Mini Pc/Hewlett-Packard/Pro/Pro Mini 260 G9 Desktop PC",
    ),
    Sample(
        "hp-elitedesk-800-g3-dm",
        "Hewlett-Packard",
        "HP EliteDesk 800G3 DM 35W Retail",
        source=L + "path Mini Pc/Hewlett-Packard/EliteDesk/EliteDesk 800G3 DM 35W Retail",
    ),
    Sample("hp-desktop-mini", "HP", "HP 260 G3 DM", source=L + "path Mini Pc/Hewlett-Packard/260/260 G3 DM"),
    Sample(
        "supermicro-e200-8d",
        "Supermicro",
        "SYS-E200-8D",
        "X10SDV-6C-TLN4F",
        "0123456789",
        "To be filled by O.E.M.",
        L + "Desktop/Supermicro/SYS-E200/SYS-E200-8D/2FA053E1A99E",
    ),
    Sample(
        "supermicro-x10sdv",
        "Supermicro",
        "SYS-5018D-FN4T",
        "X10SDV-8C-TLN4F",
        "0123456789",
        source=L + "Desktop/Supermicro/SYS-5018/SYS-5018D-FN4T/36C418E48C65",
    ),
    Sample(
        "supermicro-e300-9d",
        "Supermicro",
        "SYS-E300-9D-8CN8TP",
        "X11SDV-8C-TP8F",
        source="reference/esxi-hardware.md (linuxhw/DMI)",
    ),
    Sample(
        "supermicro-x11sdv",
        "Supermicro",
        "Super Server",
        "X11SDV-8C-TP8F",
        source="board: reference/esxi-hardware.md; product as in "
        "linuxhw/DMI Server/Supermicro/Super/Super Server/*",
    ),
    Sample(
        "supermicro-5019a",
        "Supermicro",
        "SYS-5019A-FTN4",
        "A2SDi-8C-HLN4F",
        "0123456789",
        source=L + "Desktop/Supermicro/SYS-5019/SYS-5019A-FTN4/13F0C6FA5CC7",
    ),
    Sample(
        "supermicro-e100-9ap",
        "Supermicro",
        "SYS-E100-9AP",
        "A2SAN-E-WOHS",
        source="reference/esxi-hardware.md (linuxhw/DMI)",
    ),
    Sample(
        "onlogic-helix",
        "OnLogic",
        "HX500",
        "EXM50X",
        "TBD by OEM",
        "Type1Sku0",
        L + "Desktop/OnLogic/HX/HX500/6CC744B27567",
    ),
    Sample("onlogic-k800", "OnLogic", "K800", source=L + "path Desktop/OnLogic/K/K800"),
    Sample(
        "protectli",
        "Protectli",
        "FW6",
        "FW6",
        "Ver 1.1",
        "Default string",
        L + "Desktop/Protectli/FW/FW6/08070EE34A0A",
    ),
    Sample("protectli", "Protectli", "FW2B", "FW2B", "1.0", "Not Specified", FX + "/protectli-fw2b"),
    Sample(
        "minisforum",
        "Micro Computer (HK) Tech Limited",
        "Venus series",
        "F7BSC",
        "Default string",
        "Default string",
        L + "Mini Pc/Micro Computer (HK) Tech Limited/Venus/Venus series/0132BC4AA8A2",
    ),
    Sample(
        "minisforum",
        "Micro Computer (HK) Tech Limited",
        "EliteMini Series",
        "HPBSD",
        "1.0",
        "Default string",
        L + "Mini Pc/Micro Computer (HK) Tech Limited/EliteMini/EliteMini Series/009764458DDA",
    ),
    Sample(
        "minisforum-ms01",
        "Micro Computer (HK) Tech Limited",
        "Venus Series",
        "AHWSA",
        "Default string",
        source="linuxhw/DMI Desktop/Micro Computer (HK) Tech Limited/Venus/Venus Series/B43233A0BE55",
    ),
]

# Families with no real DMI sample read (their entries say so in notes and carry low confidence).
NO_REAL_SAMPLE = {
    "lenovo-m70q-gen5": Sample("lenovo-m70q-gen5", "LENOVO", "12XX0000US", version="ThinkCentre M70q Gen 5"),
    "lenovo-m75q": Sample("lenovo-m75q", "LENOVO", "11A4000AUS", version="ThinkCentre M75q Gen 2"),
    "lenovo-m90q": Sample("lenovo-m90q", "LENOVO", "11CR0000US", version="ThinkCentre M90q Gen 3"),
    "supermicro-e302-9d": Sample("supermicro-e302-9d", "Supermicro", "SYS-E302-9D"),
    "supermicro-5019d": Sample("supermicro-5019d", "Supermicro", "SYS-5019D-FN8TP"),
    "onlogic": Sample("onlogic", "OnLogic", "ML100G-41"),
}

# A sample of a narrower family may also match the broader family listed here (which comes later).
BROADER = {
    "dell-optiplex-7070-ultra": {"dell-optiplex"},
    "dell-optiplex-micro-7010": {"dell-optiplex"},
    "dell-optiplex-thin-client": {"dell-optiplex"},
    "dell-edge-gateway-3000-5000": {"dell-edge-gateway"},
    "supermicro-e200-8d": {"supermicro-x10sdv"},
    "supermicro-e300-9d": {"supermicro-x11sdv"},
    "minisforum-ms01": {"minisforum"},  # its firmware reports the "Venus Series" name too
}


def _broader(family: str) -> set[str]:
    if family.startswith("hp-") and family != "hp-desktop-mini":
        return {"hp-desktop-mini"}
    return BROADER.get(family, set())


def _matching(catalog: Catalog, platform: Platform) -> set[str]:
    return {f.id for f in catalog.platforms if f.matches(platform)}


@pytest.mark.parametrize("sample", REAL, ids=[f"{s.family}:{s.product.strip() or s.board}" for s in REAL])
def test_real_sample_matches_its_family_and_no_other(shipped: Catalog, sample: Sample) -> None:
    found = shipped.match_platform(sample.platform())
    assert found is not None, sample
    assert found[0].id == sample.family, (sample, found[0].id)
    others = _matching(shipped, sample.platform()) - {sample.family}
    assert others <= _broader(sample.family), (sample.family, others)


def test_every_family_has_a_real_sample_or_is_listed_without_one(shipped: Catalog) -> None:
    ids = {f.id for f in shipped.platforms}
    with_real = {s.family for s in REAL}
    assert with_real <= ids
    assert ids - with_real == set(NO_REAL_SAMPLE), ids - with_real
    for family in shipped.platforms:
        if family.id in NO_REAL_SAMPLE:
            assert family.confidence == "low", family.id


@pytest.mark.parametrize("sample", list(NO_REAL_SAMPLE.values()), ids=list(NO_REAL_SAMPLE))
def test_families_without_a_dump_match_the_vendor_naming(shipped: Catalog, sample: Sample) -> None:
    found = shipped.match_platform(sample.platform())
    assert found is not None and found[0].id == sample.family


def test_family_ids_are_unique_and_issue_families_are_present(shipped: Catalog) -> None:
    ids = [f.id for f in shipped.platforms]
    assert len(ids) == len(set(ids))
    for wanted in (
        "intel-nuc5",
        "intel-nuc6",
        "intel-nuc7",
        "intel-nuc8",
        "intel-nuc10",
        "intel-nuc11-pro",
        "intel-nuc11-performance",
        "intel-nuc11-enthusiast",
        "intel-nuc12-pro",
        "intel-nuc12-extreme",
        "intel-nuc13-pro",
        "intel-nuc13-extreme",
        "asus-nuc14-pro",
        "lenovo-m720q",
        "lenovo-m920q",
        "lenovo-m75q",
        "lenovo-m625q",
        "dell-optiplex-micro-7010",
        "dell-optiplex-7070-ultra",
        "dell-precision-compact",
        "dell-edge-gateway",
        "hp-desktop-mini",
        "hp-elite-mini-800-g9",
        "supermicro-e200-8d",
        "supermicro-e300-9d",
        "supermicro-e302-9d",
        "supermicro-5019a",
        "onlogic-k800",
        "protectli",
        "minisforum",
    ):
        assert wanted in ids, wanted


@pytest.mark.parametrize(
    "value",
    [
        "Default string",
        "To be filled by O.E.M.",
        "To Be Filled By O.E.M.",
        "System Product Name",
        "Not Specified",
        "   ",
        "TBD by OEM",
        "Type1Sku0",
        "",
    ],
)
def test_placeholders_are_empty(value: str) -> None:
    assert dmi_value(value) == ""


def test_placeholder_vendor_does_not_block_and_placeholder_names_never_match(shipped: Catalog) -> None:
    # Some Protectli units report the vendor as "Default string": the board name decides.
    found = shipped.match_platform(Platform("Default string", "Default string", "VP2410"))
    assert found is not None and found[0].id == "protectli" and found[1] == "board"
    # A box that reports nothing but placeholders is not any family (the real rtl8125 mini PC fixture)
    assert shipped.match_platform(Platform("Default string", "Default string", "Default string")) is None
    assert shipped.match_platform(Platform("To be filled by O.E.M.", "System Product Name", "")) is None


def test_sku_alone_identifies_a_lenovo(shipped: Catalog) -> None:
    platform = Platform("LENOVO", "", "")
    if not hasattr(platform, "sku"):
        pytest.skip("Platform.sku not available in this tree yet")
    platform.sku = "LENOVO_MT_11T3_BU_Think_FM_ThinkCentre M70q Gen 3"  # type: ignore[misc]
    found = shipped.match_platform(platform)
    assert found is not None and found == (
        next(f for f in shipped.platforms if f.id == "lenovo-m70q-gen3"),
        "sku",
    )


def test_matching_works_on_platforms_without_a_sku_field(shipped: Catalog) -> None:
    @dataclass
    class OldPlatform:  # an inventory object from before Platform.sku existed
        vendor: str
        product: str
        board: str
        version: str = ""

    family = next(f for f in shipped.platforms if f.id == "lenovo-m70q-gen2")
    assert family.matches(OldPlatform("LENOVO", "11MY003MRU", "31A7")) == "product"  # type: ignore[arg-type]
    assert family.matches(OldPlatform("LENOVO", "", "", "ThinkCentre M70q Gen 2")) == "version"  # type: ignore[arg-type]


def test_cache_key_includes_the_sku(shipped: Catalog) -> None:
    a = Platform("LENOVO", "", "")
    if not hasattr(a, "sku"):
        pytest.skip("Platform.sku not available in this tree yet")
    assert shipped.match_platform(a) is None
    a.sku = "LENOVO_MT_10T7_BU_Think_FM_ThinkCentre M720q"  # type: ignore[misc]
    found = shipped.match_platform(a)
    assert found is not None and found[0].id == "lenovo-m720q"


def test_quirks_are_parsed_with_their_fields(shipped: Catalog) -> None:
    nuc13 = next(f for f in shipped.platforms if f.id == "intel-nuc13-pro")
    assert [q.id for q in nuc13.quirks] == ["hybrid-cores", "hybrid-gp-exception"]
    assert all(
        isinstance(q, PlatformQuirk) and q.status == "warn" and q.detail and q.fix for q in nuc13.quirks
    )
    assert nuc13.hybrid is True
    for family in shipped.platforms:
        for quirk in family.quirks:
            assert quirk.source, (family.id, quirk.id)


def _override(tmp_path: Path, entry: dict[str, object]) -> Catalog:
    folder = tmp_path / "override"
    folder.mkdir(exist_ok=True)
    (folder / "platforms-local.yaml").write_text(yaml.safe_dump({"platforms": [entry]}))
    return build_catalog(shipped_catalog_dir(), folder)


@pytest.mark.parametrize(
    ("quirks", "message"),
    [
        ("no list", "field 'quirks': must be a list of quirks"),
        ([{"id": "x", "title": "t"}], "quirk [0] field 'detail' must be a non-empty string"),
        (
            [{"id": "x", "title": "t", "detail": "d", "status": "fail"}],
            "quirk [0] field 'status' must be warn",
        ),
        (
            [{"id": "x", "title": "t", "detail": "d"}, {"id": "x", "title": "t", "detail": "d"}],
            "repeats the id 'x'",
        ),
        ([{"id": "x", "title": "t", "detail": "d", "colour": "red"}], "unknown field(s) colour"),
    ],
)
def test_bad_quirks_are_rejected_naming_the_field(tmp_path: Path, quirks: object, message: str) -> None:
    catalog = _override(
        tmp_path,
        {
            "id": "my-box",
            "name": "My box",
            "product": ["MYBOX*"],
            "quirks": quirks,
            "source": "me",
            "confidence": "low",
        },
    )
    assert any("platforms[0] (my-box)" in e and message in e for e in catalog.errors), catalog.errors
    assert catalog.match_platform(Platform("", "MYBOX-1", "")) is None


def test_override_family_with_sku_and_quirk(tmp_path: Path) -> None:
    catalog = _override(
        tmp_path,
        {
            "id": "my-box",
            "name": "My box",
            "sku": ["MYSKU-*"],
            "quirks": [{"id": "q", "title": "T", "detail": "D", "fix": "F"}],
            "source": "me",
            "confidence": "low",
            "notes": "unconfirmed",
        },
    )
    assert catalog.errors == []
    platform = Platform("Someone", "", "")
    if not hasattr(platform, "sku"):
        pytest.skip("Platform.sku not available in this tree yet")
    platform.sku = "MYSKU-42"  # type: ignore[misc]
    found = catalog.match_platform(platform)
    assert found is not None and found[0].id == "my-box" and found[1] == "sku"
    assert found[0].quirks[0].confidence == ""  # empty: the family's confidence applies


def test_catalog_still_builds_fast(shipped: Catalog) -> None:
    start = time.perf_counter()
    for _ in range(3):
        build_catalog(shipped_catalog_dir(), None)
    per_build = (time.perf_counter() - start) / 3
    assert per_build < 0.5, per_build
    # lookups are cached: 10,000 platform + CPU lookups stay well under a second
    fresh = build_catalog(shipped_catalog_dir(), None)
    start = time.perf_counter()
    for i in range(10_000):
        fresh.match_platform(REAL[i % len(REAL)].platform())
        fresh.cpu_model("12th Gen Intel(R) Core(TM) i7-1260P")
    assert time.perf_counter() - start < 1.0
