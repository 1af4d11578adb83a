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
            "field 'support': value for '8.0' must be one of supported, legacy, unsupported",
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
