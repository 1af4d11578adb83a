"""CPU models in the catalog: schema checks, model string -> generation, support per release."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecs_field.compat.catalog import Catalog, build_catalog, shipped_catalog_dir


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return build_catalog(shipped_catalog_dir(), None)


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "test-cpu",
        "name": "Test CPU",
        "vendor": "intel",
        "patterns": [r"\bTestCPU-\d+\b"],
        "generation": "Test Lake",
        "xsave": True,
        "support": {"*": "supported"},
        "source": "test",
        "confidence": "low",
    }
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def _override(tmp_path: Path, *entries: dict[str, object]) -> Catalog:
    folder = tmp_path / "override"
    folder.mkdir(exist_ok=True)
    (folder / "cpu-local.yaml").write_text(yaml.safe_dump({"cpu_models": list(entries)}))
    return build_catalog(shipped_catalog_dir(), folder)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vendor": "via"}, "field 'vendor': must be one of intel, amd"),
        (
            {"patterns": ["(unclosed"]},
            "field 'patterns': pattern '(unclosed' is not a valid regular expression",
        ),
        ({"patterns": "i5-.*"}, "field 'patterns': must be a list of strings"),
        ({"patterns": []}, "field 'patterns': give at least one regular expression"),
        (
            {"support": {"8.0": "works"}},
            "field 'support': value for '8.0' must be one of supported, legacy, unsupported, unknown",
        ),
        ({"support": {}}, "field 'support': must be a mapping"),
        ({"xsave": "yes"}, "field 'xsave': must be true or false"),
        ({"hybrid": "some"}, "field 'hybrid': must be true or false"),
        ({"year": 11}, "field 'year': must be a year"),
        ({"generation": None}, "field 'generation': missing (required)"),
        ({"colour": "blue"}, "field 'colour': unknown field"),
    ],
)
def test_schema_rejects_bad_entries_naming_the_field(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    catalog = _override(tmp_path, _entry(**changes))
    problems = [e for e in catalog.errors if "cpu_models[0] (test-cpu)" in e]
    assert problems, catalog.errors
    assert any(message in p and p.endswith("entry skipped") for p in problems), problems
    assert catalog.cpu_model("TestCPU-1") is None


def test_unknown_release_in_support_is_reported(tmp_path: Path) -> None:
    catalog = _override(tmp_path, _entry(support={"7.0U3": "supported", "*": "supported"}))
    assert any(
        "cpu_models (test-cpu): field 'support': unknown release(s) 7.0U3" in e for e in catalog.errors
    )


def test_hybrid_null_is_accepted(tmp_path: Path) -> None:
    catalog = _override(tmp_path, _entry(hybrid=None) | {"hybrid": None})
    found = catalog.cpu_model("Intel(R) TestCPU-7 @ 1.00GHz")
    assert found is not None and found.hybrid is None
    assert catalog.errors == []


def test_override_adds_an_entry_that_wins_over_shipped_ones(tmp_path: Path) -> None:
    catalog = _override(
        tmp_path,
        _entry(id="my-i5-1135g7", patterns=[r"i5-1135G7"], generation="Mine", support={"*": "legacy"}),
    )
    found = catalog.cpu_model("Intel(R) Core(TM) i5-1135G7 @ 2.40GHz")
    assert found is not None and found.id == "my-i5-1135g7"
    assert found.support_on(catalog.release("8.0U3")) == "legacy"
    assert (
        catalog.counts()["cpu_models"]
        == build_catalog(shipped_catalog_dir(), None).counts()["cpu_models"] + 1
    )


def test_override_replaces_a_shipped_entry_in_place(tmp_path: Path, shipped: Catalog) -> None:
    first = shipped.cpu_models[0]
    catalog = _override(tmp_path, _entry(id=first.id, patterns=[r"\bTestCPU-\d+\b"]))
    assert catalog.cpu_models[0].id == first.id
    assert catalog.cpu_models[0].generation == "Test Lake"
    assert len(catalog.cpu_models) == len(shipped.cpu_models)


def test_support_on_uses_id_then_alias_then_star(tmp_path: Path) -> None:
    catalog = _override(
        tmp_path,
        _entry(support={"8.0GA": "legacy", "8.0U1": "legacy", "8.0U2": "unsupported"}),
        _entry(id="star", patterns=["StarCPU"], support={"8.0U3": "legacy", "*": "supported"}),
    )
    model = catalog.cpu_model("TestCPU-1")
    assert model is not None
    assert model.support_on(catalog.release("8.0")) == "legacy"  # by the alias 8.0GA
    assert model.support_on(catalog.release("8.0U1")) == "legacy"
    assert model.support_on(catalog.release("8.0U2")) == "unsupported"
    assert model.support_on(catalog.release("9.0")) == "unknown"  # not named, no "*"
    star = catalog.cpu_model("StarCPU")
    assert star is not None
    assert star.support_on(catalog.release("8.0U3")) == "legacy"
    assert star.support_on(catalog.release("9.0")) == "supported"


def test_cpu_model_is_cached_and_whitespace_tolerant(shipped: Catalog) -> None:
    a = shipped.cpu_model("Intel(R) Core(TM) i5-1135G7 @ 2.40GHz")
    b = shipped.cpu_model("  Intel(R)  Core(TM)   i5-1135G7 @ 2.40GHz  ")
    assert a is not None and a is b
    assert shipped.cpu_model("") is None
    assert shipped.cpu_model("   ") is None
    assert shipped.cpu_model("Some Unknown CPU") is None
    assert a.to_dict()["generation"] == a.generation


# Verbatim "Version:" strings from dmidecode dumps (the fixture folder in
# tests/fixtures/hardware/machines or the linuxhw/DMI dump named). Expected: (entry id, hybrid).
DUMP_MODELS = [
    ("12th Gen Intel(R) Core(TM) i5-12500T", "intel-core-12-desktop-p-only", False),  # hp-elite-mini-800-g9
    # linuxhw/DMI Mini Pc/Hewlett-Packard/Elite/Elite Mini 800 G9 Desktop PC/236AD7372929
    ("12th Gen Intel(R) Core(TM) i7-12700T", "intel-core-alder-lake", True),
    ("12th Gen Intel(R) Core(TM) i5-12400T", "intel-core-12-desktop-p-only", False),  # lenovo-m70q-gen3
    ("13th Gen Intel(R) Core(TM) i5-1340P", "intel-core-raptor-lake", True),  # intel-nuc13anhi5
    ("13th Gen Intel(R) Core(TM) i9-13900K", "intel-core-raptor-lake", True),  # intel-nuc13rngi9
    ("Intel(R) Core(TM) Ultra 5 125H", "intel-core-ultra-series1-meteor-lake", True),  # asus-nuc14rvh-b
    (
        "11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz",
        "intel-core-11-tiger-lake",
        False,
    ),  # nuc11tnhv7 fixture
    (
        "11th Gen Intel(R) Core(TM) i5-11400T @ 1.30GHz",
        "intel-core-11-rocket-lake",
        False,
    ),  # lenovo-m70q-gen2
    ("Intel(R) Core(TM) i3-10105T CPU @ 3.00GHz", "intel-core-10-comet-lake", False),  # lenovo-m70q-gen2
    ("Intel(R) Pentium(R) Gold G6400T CPU @ 3.40GHz", "intel-core-10-comet-lake", False),  # lenovo-m70q-gen1
    (
        "Intel(R) Core(TM) i5-10500TE CPU @ 2.30GHz",
        "intel-core-10-comet-lake",
        False,
    ),  # linuxhw OnLogic HX500
    (
        "Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz",
        "intel-core-8-9-coffee-lake",
        False,
    ),  # dell-optiplex-7070-ultra
    ("Intel(R) Core(TM) i5-8259U CPU @ 2.30GHz", "intel-core-8-9-coffee-lake", False),  # intel-nuc8i5beh
    ("Intel(R) Core(TM) i5-7500T CPU @ 2.70GHz", "intel-core-7-kaby-lake", False),  # hp-prodesk-400-g3-dm
    ("Intel(R) Core(TM) i5-6600T CPU @ 2.70GHz", "intel-core-6-skylake", False),  # lenovo-m910q
    ("Intel(R) Celeron(R) CPU G3900T @ 2.60GHz", "intel-core-6-skylake", False),  # lenovo-m710q
    ("Intel(R) Core(TM) i3-5005U CPU @ 2.00GHz", "intel-core-5-broadwell", False),  # intel-nuc5i3ryh
    ("Intel(R) Core(TM) i5-5250U CPU @ 1.60GHz", "intel-core-5-broadwell", False),  # linuxhw NUC5i5RYH
    ("Intel(R) Celeron(R) CPU J3455 @ 1.50GHz", "intel-apollo-lake", False),  # intel-nuc6cayh
    ("Intel(R) Celeron(R) J4005 CPU @ 2.00GHz", "intel-gemini-lake", False),  # intel-nuc7cjyh
    ("      Intel(R) Celeron(R) CPU  J3060  @ 1.60GHz", "intel-silvermont-airmont", False),  # protectli-fw2b
    ("Intel Atom(R) x6425RE Processor @ 1.90GHz", "intel-elkhart-lake", False),  # dell-edge-gateway-3200
    ("Intel(R) Atom(TM) CPU E3805 @ 1.33GHz", "intel-silvermont-airmont", False),  # linuxhw Edge Gateway 3001
    ("Intel(R) Atom(TM) CPU C3758 @ 2.20GHz", "intel-atom-c3000-denverton", False),  # linuxhw SYS-5019A-FTN4
    ("Intel(R) Xeon(R) CPU D-1528 @ 1.90GHz", "intel-xeon-d-1500-1600", False),  # linuxhw SYS-E200-8D
    ("Intel(R) Xeon(R) CPU D-1541 @ 2.10GHz", "intel-xeon-d-1500-1600", False),  # linuxhw SYS-5018D-FN4T
    ("Intel(R) N100", "intel-alder-lake-n", False),  # tests/fixtures/hardware/rtl8125-minipc-dmidecode.txt
    ("AMD Ryzen 9 7940HS w/ Radeon 780M Graphics     ", "amd-ryzen-zen4", False),  # linuxhw Minisforum Venus
    ("AMD Ryzen 9 8945HS w/ Radeon 780M Graphics", "amd-ryzen-zen4", False),  # linuxhw Minisforum EliteMini
    ("AMD A9-9420e RADEON R5, 5 COMPUTE CORES 2C+3G  ", "amd-piledriver-and-later-pre-zen", False),  # m625q
]

# Further model strings in the forms the dumps above show (dmidecode "Version:", /proc/cpuinfo
# "model name" with the "11th Gen"-style prefix, the padded Xeon/Core 2 form of old dmidecode
# versions, AMD's "with Radeon Graphics" suffixes). Not each was read in a dump: the model numbers
# are real products (Intel ARK / AMD product pages), the surrounding text follows the dumps.
# Expected: (entry id, hybrid).
REAL_MODELS = [
    ("Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", "intel-core-11-tiger-lake", False),
    ("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", "intel-core-11-tiger-lake", False),
    ("11th Gen Intel(R) Core(TM) i3-1115G4 @ 3.00GHz", "intel-core-11-tiger-lake", False),
    ("11th Gen Intel(R) Core(TM) i5-11400 @ 2.60GHz", "intel-core-11-rocket-lake", False),
    ("11th Gen Intel(R) Core(TM) i7-11800H @ 2.30GHz", "intel-core-11-tiger-lake", False),
    ("12th Gen Intel(R) Core(TM) i7-1260P", "intel-core-alder-lake", True),
    ("12th Gen Intel(R) Core(TM) i3-1220P", "intel-core-alder-lake", True),
    ("12th Gen Intel(R) Core(TM) i5-1240P", "intel-core-alder-lake", True),
    ("12th Gen Intel(R) Core(TM) i9-12900", "intel-core-alder-lake", True),
    ("12th Gen Intel(R) Core(TM) i5-12500H", "intel-core-alder-lake", True),
    ("12th Gen Intel(R) Core(TM) i3-12100T", "intel-core-12-desktop-p-only", False),
    ("12th Gen Intel(R) Core(TM) i5-12500T", "intel-core-12-desktop-p-only", False),
    ("12th Gen Intel(R) Core(TM) i5-12600K", "intel-core-alder-lake", True),
    ("13th Gen Intel(R) Core(TM) i7-1360P", "intel-core-raptor-lake", True),
    ("13th Gen Intel(R) Core(TM) i5-13500T", "intel-core-raptor-lake", True),
    ("13th Gen Intel(R) Core(TM) i3-13100T", "intel-core-13-14-desktop-p-only", False),
    ("13th Gen Intel(R) Core(TM) i9-13900K", "intel-core-raptor-lake", True),
    ("14th Gen Intel(R) Core(TM) i5-14500", "intel-core-raptor-lake", True),
    ("Intel(R) Core(TM) 7 150U", "intel-core-raptor-lake", True),
    ("Intel(R) Core(TM) Ultra 7 155H", "intel-core-ultra-series1-meteor-lake", True),
    ("Intel(R) Core(TM) Ultra 5 125H", "intel-core-ultra-series1-meteor-lake", True),
    ("Intel(R) Core(TM) Ultra 7 258V", "intel-core-ultra-series2-lunar-lake", True),
    ("Intel(R) Core(TM) Ultra 9 285K", "intel-core-ultra-series2-arrow-lake", True),
    ("Intel(R) N100", "intel-alder-lake-n", False),
    ("Intel(R) N97", "intel-alder-lake-n", False),
    ("Intel(R) Core(TM) i3-N305", "intel-alder-lake-n", False),
    ("Intel(R) N150", "intel-twin-lake", False),
    ("Intel(R) Core(TM) 3 N355", "intel-twin-lake", False),
    ("Intel(R) Core(TM) i7-10710U CPU @ 1.10GHz", "intel-core-10-comet-lake", False),
    ("Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz", "intel-core-10-comet-lake", False),
    ("Intel(R) Core(TM) i7-1065G7 CPU @ 1.30GHz", "intel-core-10-ice-lake", False),
    ("Intel(R) Core(TM) i7-8559U CPU @ 2.70GHz", "intel-core-8-9-coffee-lake", False),
    ("Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", "intel-core-8-9-coffee-lake", False),
    ("Intel(R) Core(TM) i7-9700T CPU @ 2.00GHz", "intel-core-8-9-coffee-lake", False),
    ("Intel(R) Core(TM) i5-7500T CPU @ 2.70GHz", "intel-core-7-kaby-lake", False),
    ("Intel(R) Core(TM) i5-6500T CPU @ 2.50GHz", "intel-core-6-skylake", False),
    ("Intel(R) Core(TM) i7-6770HQ CPU @ 2.60GHz", "intel-core-6-skylake", False),
    ("Intel(R) Core(TM) i5-5250U CPU @ 1.60GHz", "intel-core-5-broadwell", False),
    ("Intel(R) Core(TM) i5-4590T CPU @ 2.00GHz", "intel-core-4-haswell", False),
    ("Intel(R) Core(TM) i5-3470T CPU @ 2.90GHz", "intel-core-3-ivy-bridge", False),
    ("Intel(R) Core(TM) i7-2600K CPU @ 3.40GHz", "intel-core-2-sandy-bridge", False),
    ("Intel(R) Core(TM) i7-3930K CPU @ 3.20GHz", "intel-core-hedt-sandy-ivy-e", False),
    ("Intel(R) Core(TM) i7 CPU         920  @ 2.67GHz", "intel-core-1st-gen", False),
    ("Intel(R) Core(TM) i5 CPU       M 520  @ 2.40GHz", "intel-core-1st-gen", False),
    ("Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz", "intel-core2-and-older", False),
    ("Intel(R) Xeon(R) CPU           X5650  @ 2.67GHz", "intel-xeon-pre-sandy-bridge", False),
    ("Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz", "intel-xeon-v1-sandy-bridge", False),
    ("Intel(R) Xeon(R) CPU E3-1230 V2 @ 3.30GHz", "intel-xeon-v2-ivy-bridge", False),
    ("Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz", "intel-xeon-v2-ivy-bridge", False),
    ("Intel(R) Xeon(R) CPU E3-1231 v3 @ 3.40GHz", "intel-xeon-v3-haswell", False),
    ("Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz", "intel-xeon-v4-broadwell", False),
    ("Intel(R) Xeon(R) CPU E3-1230 v5 @ 3.40GHz", "intel-xeon-e3-v5-v6", False),
    ("Intel(R) Xeon(R) E-2278G CPU @ 3.40GHz", "intel-xeon-e-2200-2100", False),
    ("Intel(R) Xeon(R) E-2314 CPU @ 2.80GHz", "intel-xeon-e-2300", False),
    ("Intel(R) Xeon(R) CPU D-1528 @ 1.90GHz", "intel-xeon-d-1500-1600", False),
    ("Intel(R) Xeon(R) D-2146NT CPU @ 2.30GHz", "intel-xeon-d-2100", False),
    ("Intel(R) Xeon(R) D-1718T CPU @ 2.60GHz", "intel-xeon-d-2700-1700", False),
    ("Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz", "intel-xeon-scalable-1", False),
    ("Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", "intel-xeon-scalable-2", False),
    ("Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", "intel-xeon-scalable-3", False),
    ("Intel(R) Xeon(R) Gold 6430", "intel-xeon-scalable-4", False),
    ("Intel(R) Atom(TM) CPU C3558 @ 2.20GHz", "intel-atom-c3000-denverton", False),
    ("Intel(R) Atom(TM) CPU  C2758  @ 2.40GHz", "intel-silvermont-airmont", False),
    ("Intel(R) Atom(TM) x6425E Processor @ 2.00GHz", "intel-elkhart-lake", False),
    ("Intel(R) Celeron(R) CPU J3455 @ 1.50GHz", "intel-apollo-lake", False),
    ("Intel(R) Celeron(R) CPU N3350 @ 1.10GHz", "intel-apollo-lake", False),
    ("Intel(R) Celeron(R) J4125 CPU @ 2.00GHz", "intel-gemini-lake", False),
    ("Intel(R) Celeron(R) J4105 CPU @ 1.50GHz", "intel-gemini-lake", False),
    ("Intel(R) Celeron(R) N4100 CPU @ 1.10GHz", "intel-gemini-lake", False),
    ("Intel(R) Celeron(R) N5105 @ 2.00GHz", "intel-jasper-lake", False),
    ("Intel(R) Celeron(R) N5095 @ 2.00GHz", "intel-jasper-lake", False),
    ("Intel(R) Pentium(R) Silver N6005 @ 2.00GHz", "intel-jasper-lake", False),
    ("Intel(R) Celeron(R) J6412 @ 2.00GHz", "intel-elkhart-lake", False),
    ("Intel(R) Celeron(R) CPU  J1900  @ 1.99GHz", "intel-silvermont-airmont", False),
    ("Intel(R) Pentium(R) CPU G4560 @ 3.50GHz", "intel-core-7-kaby-lake", False),
    ("Intel(R) Pentium(R) CPU G4500 @ 3.50GHz", "intel-core-6-skylake", False),
    ("Intel(R) Pentium(R) Gold G6400 CPU @ 4.00GHz", "intel-core-10-comet-lake", False),
    ("Intel(R) Celeron(R) CPU G1610 @ 2.60GHz", "intel-core-3-ivy-bridge", False),
    ("Intel(R) Atom(TM) CPU N270   @ 1.60GHz", "intel-atom-old", False),
    ("AMD Ryzen 7 5700U with Radeon Graphics", "amd-ryzen-5000-lucienne-zen2", False),
    ("AMD Ryzen 7 5800H with Radeon Graphics", "amd-ryzen-5000-zen3", False),
    ("AMD Ryzen 9 7940HS w/ Radeon 780M Graphics", "amd-ryzen-zen4", False),
    ("AMD Ryzen 7 8845HS w/ Radeon 780M Graphics", "amd-ryzen-zen4", False),
    ("AMD Ryzen 5 7530U with Radeon Graphics", "amd-ryzen-7000-mobile-older-cores", False),
    ("AMD Ryzen 9 6900HX with Radeon Graphics", "amd-ryzen-6000-zen3plus", False),
    ("AMD Ryzen 5 3550H with Radeon Vega Mobile Gfx", "amd-ryzen-3000-apu-zen-plus", False),
    ("AMD Ryzen 5 3600 6-Core Processor", "amd-ryzen-3000-zen2", False),
    ("AMD Ryzen 5 PRO 4650GE with Radeon Graphics", "amd-ryzen-4000-zen2", False),
    ("AMD Ryzen 5 2400G with Radeon Vega Graphics", "amd-ryzen-2000-apu-zen", False),
    ("AMD Ryzen 7 1700 Eight-Core Processor", "amd-ryzen-1000-2000-zen", False),
    ("AMD Ryzen 9 9950X 16-Core Processor", "amd-ryzen-zen5", False),
    ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", "amd-ryzen-zen5", False),
    ("AMD Ryzen Embedded V1605B with Radeon Vega Gfx", "amd-ryzen-embedded-v1000-r1000-r2000", False),
    ("AMD Ryzen Embedded R1505G with Radeon Vega Gfx", "amd-ryzen-embedded-v1000-r1000-r2000", False),
    ("AMD Ryzen Embedded V2718 with Radeon Graphics", "amd-ryzen-embedded-v2000", False),
    ("AMD EPYC 3251 8-Core Processor", "amd-epyc-7001-3000", False),
    ("AMD EPYC 7551P 32-Core Processor", "amd-epyc-7001-3000", False),
    ("AMD EPYC 7302P 16-Core Processor", "amd-epyc-7002", False),
    ("AMD EPYC 7763 64-Core Processor", "amd-epyc-7003", False),
    ("AMD EPYC 9654 96-Core Processor", "amd-epyc-9004-8004-4004", False),
    ("AMD EPYC 8324P 32-Core Processor", "amd-epyc-9004-8004-4004", False),
    ("AMD EPYC 4584PX 16-Core Processor", "amd-epyc-9004-8004-4004", False),
    ("AMD FX(tm)-8150 Eight-Core Processor", "amd-bulldozer", False),
    ("AMD FX(tm)-8350 Eight-Core Processor", "amd-piledriver-and-later-pre-zen", False),
    ("AMD Phenom(tm) II X4 965 Processor", "amd-k10-and-older", False),
    ("AMD Opteron(tm) Processor 6128", "amd-k10-and-older", False),
]


@pytest.mark.parametrize(("model", "entry_id", "hybrid"), DUMP_MODELS + REAL_MODELS)
def test_real_model_strings_map_to_their_generation(
    shipped: Catalog, model: str, entry_id: str, hybrid: bool
) -> None:
    found = shipped.cpu_model(model)
    assert found is not None, model
    assert found.id == entry_id, f"{model} -> {found.id}"
    assert found.hybrid is hybrid


@pytest.mark.parametrize(
    "model",
    [
        "Quad-Core Intel Core i5",
        "Apple M1",
        "Genuine Intel(R) CPU 0000 @ 2.00GHz",
        "QEMU Virtual CPU version 2.5+",
    ],
)
def test_models_without_a_generation_are_not_guessed(shipped: Catalog, model: str) -> None:
    assert shipped.cpu_model(model) is None


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # pre-Sandy-Bridge: no XSAVE -> refused from 8.0U2 even with allowLegacyCPU
        (
            "Intel(R) Xeon(R) CPU           X5650  @ 2.67GHz",
            ["legacy", "legacy", "unsupported", "unsupported", "unsupported"],
        ),
        # Sandy/Ivy Bridge: dropped in 8.0, installs with allowLegacyCPU (has XSAVE)
        ("Intel(R) Core(TM) i5-3470T CPU @ 2.90GHz", ["legacy", "legacy", "legacy", "legacy", "unknown"]),
        # Broadwell-DE (Supermicro E200-8D): supported on 8.x, 9.0 not checked
        ("Intel(R) Xeon(R) CPU D-1528 @ 1.90GHz", ["supported"] * 4 + ["unknown"]),
        ("12th Gen Intel(R) Core(TM) i7-1260P", ["supported"] * 5),
        ("AMD Ryzen 9 7940HS w/ Radeon 780M Graphics", ["supported"] * 5),
        ("AMD FX(tm)-8350 Eight-Core Processor", ["unknown"] * 5),
        ("Intel(R) Atom(TM) CPU N270   @ 1.60GHz", ["unsupported"] * 5),
    ],
)
def test_support_per_release(shipped: Catalog, model: str, expected: list[str]) -> None:
    found = shipped.cpu_model(model)
    assert found is not None
    releases = ["8.0", "8.0U1", "8.0U2", "8.0U3", "9.0"]
    assert [found.support_on(shipped.release(r)) for r in releases] == expected


def test_every_entry_without_xsave_is_unsupported_from_8_0u2(shipped: Catalog) -> None:
    for model in shipped.cpu_models:
        if not model.xsave:
            for release in ("8.0U2", "8.0U3", "9.0"):
                assert model.support_on(shipped.release(release)) == "unsupported", model.id


def test_every_entry_is_reachable_and_specific_entries_come_first(shipped: Catalog) -> None:
    """No entry is shadowed: each one's own sample model resolves to it (first match wins)."""
    seen = {entry_id for _, entry_id, _ in DUMP_MODELS + REAL_MODELS}
    ids = [m.id for m in shipped.cpu_models]
    assert len(ids) == len(set(ids))
    missing = [i for i in ids if i not in seen]
    # entries without a sample above are few and named here, so a new entry gets a sample
    assert set(missing) <= {
        "intel-core-ultra-series3",
        "intel-core-x-skylake-cascade",
        "intel-core-hedt-haswell-broadwell-e",
        "intel-xeon-6",
        "intel-xeon-scalable-5",
        "intel-xeon-e-2400",
        "intel-epyc-9005-turin",
        "amd-epyc-9005-turin",
        "amd-ryzen-embedded-v3000",
    }, missing


def test_every_shipped_pattern_compiles() -> None:
    """Shipped patterns are compiled lazily (start-up time): this is where a bad one is caught."""
    import re

    from ecs_field.compat.catalog import LazyRegex, build_catalog, shipped_catalog_dir

    catalog = build_catalog(shipped_catalog_dir(), None)
    assert not catalog.errors
    lazy: list[LazyRegex] = [p for model in catalog.cpu_models for p in model.patterns]
    for family in catalog.platforms:
        lazy += [p for p in (family.vendor, family.product, family.board, family.version, family.sku) if p]
    assert len(lazy) > 100
    for pattern in lazy:
        re.compile(pattern.pattern, re.IGNORECASE)  # raises on a bad one


def test_an_override_pattern_that_does_not_compile_is_reported(tmp_path) -> None:
    from ecs_field.compat.catalog import build_catalog, shipped_catalog_dir

    (tmp_path / "mine.yaml").write_text(
        "cpu_models:\n  - {id: broken, name: Broken, vendor: intel, patterns: ['(unclosed'],"
        " generation: X, xsave: true, support: {'*': supported}, source: me, confidence: low}\n"
    )
    catalog = build_catalog(shipped_catalog_dir(), tmp_path)
    assert any("broken" in e and "patterns" in e for e in catalog.errors)
