"""The shape of catalog entries, checked by hand.

A hand-written check rather than a schema library (jsonschema is not an allowed dependency, and
its messages name JSON pointers, not "file, entry, field"): every problem is reported as
``<file>: <section>[<index>] (<key>): field '<name>': <what is wrong>`` so a technician editing
an override file can find the line, and all problems are collected, not just the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SUPPORT_VALUES = ("inbox", "driver-required", "unsupported", "unknown")
# A CPU generation on one release: "legacy" installs only with the boot option allowLegacyCPU=true;
# "unknown" says so explicitly (the same as leaving the release out of the map).
CPU_SUPPORT_VALUES = ("supported", "legacy", "unsupported", "unknown")
CONFIDENCE_VALUES = ("high", "medium", "low")
STATUS_VALUES = ("pass", "warn", "fail")

_HEX_ID = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{4}$")
_USB_CLASS = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}$")

Check = Callable[[Any], str | None]  # returns a problem, or None when the value is fine


def _is_str(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _is_text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _is_int(value: Any) -> str | None:
    return (
        None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else ("must be a whole number >= 0")
    )


def _is_number(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1
    return None if ok else "must be a number from 0 to 1"


def _is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _is_hex_id(value: Any) -> str | None:
    if isinstance(value, str) and _HEX_ID.match(value):
        return None
    return 'must be a lower-case hex ID like "8086:15f3" (quote it in YAML)'


def _is_usb_class(value: Any) -> str | None:
    if isinstance(value, str) and _USB_CLASS.match(value):
        return None
    return 'must be "class/subclass" in lower-case hex, like "02/06"'


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)} (got {value!r})"

    return check


def _str_list(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return None
    return "must be a list of strings"


def _str_list_list(value: Any) -> str | None:
    if (
        isinstance(value, list)
        and value
        and all(
            isinstance(group, list) and group and all(isinstance(v, str) and v for v in group)
            for group in value
        )
    ):
        return None
    return "must be a non-empty list of lists of strings, like [[vmx, svm], [nx]]"


def _regex_list(value: Any) -> str | None:
    problem = _str_list(value)
    if problem:
        return problem
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"pattern {pattern!r} is not a valid regular expression ({exc})"
    return None


def _support_map(value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return 'must be a mapping of release ID (or "*") to a support value'
    for key, support in value.items():
        if not isinstance(key, str):
            return f'key {key!r} must be a release ID string or "*"'
        if support not in SUPPORT_VALUES:
            return f"value for {key!r} must be one of {', '.join(SUPPORT_VALUES)} (got {support!r})"
    return None


def _cpu_support_map(value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return 'must be a mapping of release ID (or "*") to supported, legacy, unsupported or unknown'
    for key, support in value.items():
        if not isinstance(key, str) or not key.strip():
            return f'key {key!r} must be a release ID string or "*"'
        if support not in CPU_SUPPORT_VALUES:
            return f"value for {key!r} must be one of {', '.join(CPU_SUPPORT_VALUES)} (got {support!r})"
    return None


def _is_year(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1990 <= value <= 2100
    return None if ok else "must be a year like 2021"


def _quirk_list(value: Any) -> str | None:
    """Platform quirks: a list of {id, title, detail, fix, status: warn, source?, confidence?}."""
    if not isinstance(value, list):
        return "must be a list of quirks ({id, title, detail, fix, status: warn})"
    allowed = {"id", "title", "detail", "fix", "status", "source", "confidence", "notes"}
    seen: set[str] = set()
    for index, quirk in enumerate(value):
        where = f"quirk [{index}]"
        if not isinstance(quirk, dict):
            return f"{where} must be a mapping with id, title, detail, fix"
        for name in ("id", "title", "detail"):
            if not isinstance(quirk.get(name), str) or not quirk[name].strip():
                return f"{where} field '{name}' must be a non-empty string"
        if quirk["id"] in seen:
            return f"{where} repeats the id {quirk['id']!r}"
        seen.add(quirk["id"])
        for name in ("fix", "source", "notes"):
            if name in quirk and not isinstance(quirk[name], str):
                return f"{where} field '{name}' must be a string"
        if quirk.get("status", "warn") != "warn":
            return f"{where} field 'status' must be warn (got {quirk.get('status')!r})"
        if "confidence" in quirk and quirk["confidence"] not in CONFIDENCE_VALUES:
            return f"{where} field 'confidence' must be one of {', '.join(CONFIDENCE_VALUES)}"
        unknown = sorted(set(quirk) - allowed)
        if unknown:
            names = ", ".join(map(str, unknown))
            return f"{where} has unknown field(s) {names} (known: {', '.join(sorted(allowed))})"
    return None


@dataclass(frozen=True)
class Field:
    check: Check
    required: bool = False


@dataclass(frozen=True)
class Section:
    name: str
    key_fields: tuple[str, ...]
    fields: dict[str, Field] = field(default_factory=dict)

    def key_of(self, entry: dict[str, Any]) -> str | None:
        parts = [entry.get(name) for name in self.key_fields]
        if not all(isinstance(p, str) and p for p in parts):
            return None
        return "/".join(str(p) for p in parts)


_COMMON = {
    "source": Field(_is_str, required=True),
    "confidence": Field(_one_of(*CONFIDENCE_VALUES), required=True),
    "notes": Field(_is_text),
}

# PCI and USB NIC entries have the same fields (keyed by vendor:device / vendor:product).
_NIC_FIELDS: dict[str, Field] = {
    "id": Field(_is_hex_id, True),
    "chip": Field(_is_str, True),
    "driver": Field(_is_str, True),
    "speed_mbps": Field(_is_int),
    "support": Field(_support_map),
    "components": Field(_str_list),
    "fix": Field(_is_str),
    "role": Field(_one_of("uplink", "bmc")),
    **_COMMON,
}

SECTIONS: dict[str, Section] = {
    section.name: section
    for section in (
        Section(
            "releases",
            ("id",),
            {
                "id": Field(_is_str, True),
                "name": Field(_is_str, True),
                "order": Field(_is_int, True),
                "aliases": Field(_str_list),
                "inbox_drivers": Field(_str_list, True),
                "inbox_unconfirmed": Field(_str_list),
                "cpu_features_required": Field(_str_list),
                "date": Field(_is_str),
                **_COMMON,
            },
        ),
        Section(
            "components",
            ("id",),
            {
                "id": Field(_is_str, True),
                "name": Field(_is_str, True),
                "short_name": Field(_is_str),
                "version": Field(_is_str, True),
                "kind": Field(_one_of("vmware", "fling", "community", "vendor"), True),
                "drivers": Field(_str_list, True),
                "releases": Field(_str_list, True),
                "esxi": Field(_is_str),
                "preferred": Field(_is_bool),
                "module": Field(_is_str),
                "module_options": Field(_is_str),
                "package": Field(_is_str),
                "date": Field(_is_str),
                **_COMMON,
            },
        ),
        Section(
            "pci",
            ("id",),
            _NIC_FIELDS,
        ),
        Section(
            "usb",
            ("id",),
            _NIC_FIELDS,
        ),
        Section(
            "usb_classes",
            ("class",),
            {
                "class": Field(_is_usb_class, True),
                "name": Field(_is_str, True),
                "driver": Field(_is_str, True),
                **_COMMON,
            },
        ),
        Section(
            "cpu_rules",
            ("id",),
            {
                "id": Field(_is_str, True),
                "kind": Field(_one_of("flags", "hybrid"), True),
                "title": Field(_is_str, True),
                "flags_all_of": Field(_str_list_list),
                "model_patterns": Field(_regex_list),
                "maybe_patterns": Field(_regex_list),
                "min_release": Field(_is_str),
                "status": Field(_one_of("warn", "fail"), True),
                "detail": Field(_is_str),
                "fix": Field(_is_str, True),
                **_COMMON,
            },
        ),
        Section(
            "cpu_models",
            ("id",),
            {
                "id": Field(_is_str, True),
                "name": Field(_is_str, True),
                "vendor": Field(_one_of("intel", "amd"), True),
                "patterns": Field(_regex_list, True),
                "generation": Field(_is_str, True),
                "codename": Field(_is_str),
                "year": Field(_is_year),
                "xsave": Field(_is_bool, True),
                "hybrid": Field(_is_bool),  # null (or absent) = some parts of the generation
                "support": Field(_cpu_support_map, True),
                "detail": Field(_is_str),
                "fix": Field(_is_str),
                **_COMMON,
            },
        ),
        Section(
            "minimums",
            ("id",),
            {
                "id": Field(_is_str, True),
                "kind": Field(
                    _one_of("cpu_cores", "memory_bytes", "nic_speed_mbps", "boot_disk_bytes"), True
                ),
                "title": Field(_is_str, True),
                "min": Field(_is_int, True),
                "recommended": Field(_is_int),
                "tolerance": Field(_is_number),
                "fix": Field(_is_str, True),
                **_COMMON,
            },
        ),
        Section(
            "platforms",
            ("id",),
            {
                "id": Field(_is_str, True),
                "name": Field(_is_str, True),
                "family": Field(_is_str),
                "vendor": Field(_str_list),
                "product": Field(_str_list),
                "board": Field(_str_list),
                "version": Field(_str_list),
                "onboard_nics": Field(_is_str),
                "sku": Field(_str_list),
                "hybrid": Field(_is_bool),
                "status": Field(_one_of("pass", "warn")),
                "detail": Field(_is_str),
                "fix": Field(_is_str),
                "quirks": Field(_quirk_list),
                **_COMMON,
            },
        ),
        Section(
            "names",
            ("bus", "id"),
            {
                "bus": Field(_one_of("pci", "usb"), True),
                "id": Field(_is_hex_id, True),
                "name": Field(_is_str, True),
                **_COMMON,
            },
        ),
    )
}

TOP_LEVEL_SCALARS = {"version": _is_str, "title": _is_str, "default_release": _is_str}


def entry_problems(section: Section, entry: Any, *, trusted: bool = False) -> list[str]:
    """Problems of one entry as ``field 'x': ...`` strings (empty when it is valid).

    ``trusted``: the shipped catalog, whose regular expressions the test suite compiles.
    """
    if not isinstance(entry, dict):
        return [f"must be a mapping of fields, got {type(entry).__name__}"]
    problems = []
    for name, spec in section.fields.items():
        if name not in entry or entry[name] is None:
            if spec.required:
                problems.append(f"field '{name}': missing (required)")
            continue
        # Trusted (shipped) entries: a regex list is checked for shape, not compiled (start-up time).
        check = _str_list if trusted and spec.check is _regex_list else spec.check
        problem = check(entry[name])
        if problem:
            problems.append(f"field '{name}': {problem}")
    for name in entry:
        if name not in section.fields:
            known = ", ".join(sorted(section.fields))
            problems.append(f"field '{name}': unknown field (known: {known})")
    if section.name == "platforms" and not any(entry.get(k) for k in ("product", "board", "version", "sku")):
        problems.append("field 'product': give at least one of product, board, version or sku patterns")
    if section.name == "cpu_models" and entry.get("patterns") == []:
        problems.append("field 'patterns': give at least one regular expression")
    if section.name == "cpu_rules" and entry.get("kind") == "flags" and not entry.get("flags_all_of"):
        problems.append("field 'flags_all_of': required for kind flags")
    return problems
