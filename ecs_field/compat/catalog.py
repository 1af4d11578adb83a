"""The hardware catalog: shipped YAML in resources/catalog plus the user's override folder.

Loading never fails on bad data: an entry that does not fit the schema is skipped and reported
in ``Catalog.errors`` (file, entry and field named), and a broken override file is skipped as a
whole. The catalog is indexed once (IDs, component per driver and release, platform patterns),
so evaluating a verdict is a handful of dict lookups.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import logging
import marshal
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_field import paths, storage
from ecs_field.compat.schema import SECTIONS, TOP_LEVEL_SCALARS, Section, entry_problems
from ecs_field.errors import BadInput
from ecs_field.hardware.inventory import Platform
from ecs_field.resources import resource_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Release:
    id: str
    name: str
    order: int
    inbox_drivers: frozenset[str]
    inbox_unconfirmed: frozenset[str] = frozenset()
    cpu_features_required: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    source: str = ""
    confidence: str = "medium"
    notes: str = ""


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    version: str
    kind: str
    drivers: frozenset[str]
    releases: tuple[str, ...]
    short_name: str = ""
    esxi: str = ""
    preferred: bool = False
    module: str = ""
    module_options: str = ""
    package: str = ""
    date: str = ""
    source: str = ""
    confidence: str = "medium"
    notes: str = ""

    @property
    def label(self) -> str:
        return f"{self.short_name or self.name} {self.version}"


@dataclass(frozen=True)
class DeviceEntry:
    """A NIC chip known by PCI or USB ID, or a USB interface class (``bus`` "usb-class")."""

    bus: str  # "pci" | "usb" | "usb-class"
    id: str  # "8086:15f3" or, for a class, "02/06"
    chip: str
    driver: str
    speed_mbps: int | None = None
    support: tuple[tuple[str, str], ...] = ()  # (release id or "*", support)
    components: tuple[str, ...] = ()
    fix: str = ""
    role: str = "uplink"
    source: str = ""
    confidence: str = "medium"
    notes: str = ""

    def pinned_support(self, release_id: str) -> str | None:
        pinned = dict(self.support)
        return pinned.get(release_id) or pinned.get("*")


@dataclass(frozen=True)
class CpuRule:
    id: str
    kind: str
    title: str
    status: str
    fix: str
    flags_all_of: tuple[tuple[str, ...], ...] = ()
    model_patterns: tuple[re.Pattern[str], ...] = ()
    maybe_patterns: tuple[re.Pattern[str], ...] = ()
    min_release: str = ""
    detail: str = ""
    source: str = ""
    confidence: str = "medium"
    notes: str = ""


@dataclass(frozen=True)
class CpuModel:
    """A CPU generation (or a narrower group of parts) recognised by its model string."""

    id: str
    name: str
    vendor: str  # "intel" | "amd"
    patterns: tuple[LazyRegex, ...]
    generation: str
    xsave: bool
    support: tuple[tuple[str, str], ...]  # (release ID, alias or "*"; "supported"|"legacy"|"unsupported")
    codename: str = ""
    year: int | None = None
    hybrid: bool | None = None  # None: some parts of this group are hybrid, some not
    detail: str = ""
    fix: str = ""
    source: str = ""
    confidence: str = "medium"
    notes: str = ""

    def matches(self, model: str) -> bool:
        return any(p.search(model) for p in self.patterns)

    def support_on(self, release: Release) -> str:
        """Support on ``release``: supported, legacy (needs allowLegacyCPU=true), unsupported or unknown."""
        pinned = dict(self.support)
        found = pinned.get(release.id)
        if found is None:
            normalised = {_norm_release(k): v for k, v in pinned.items()}
            for alias in release.aliases:
                found = normalised.get(_norm_release(alias))
                if found is not None:
                    break
        if found is None:
            found = pinned.get("*")
        return found or "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "vendor": self.vendor,
            "generation": self.generation,
            "codename": self.codename,
            "year": self.year,
            "xsave": self.xsave,
            "hybrid": self.hybrid,
            "support": dict(self.support),
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Minimum:
    id: str
    kind: str
    title: str
    min: int
    fix: str
    recommended: int | None = None
    tolerance: float = 0.0
    source: str = ""
    confidence: str = "medium"
    notes: str = ""

    @property
    def effective_min(self) -> float:
        return self.min * (1.0 - self.tolerance)


# Values firmware vendors leave in DMI fields they did not fill in: they say nothing about the
# box (a Protectli or Minisforum board reports "Default string" as vendor), so they count as empty.
DMI_PLACEHOLDERS = frozenset(
    {
        "default string",
        "to be filled by o.e.m.",
        "to be filled by oem",
        "system product name",
        "system manufacturer",
        "system version",
        "system sku",
        "system serial number",
        "base board product name",
        "not specified",
        "not applicable",
        "none",
        "n/a",
        "na",
        "o.e.m.",
        "oem",
        "default",
        "type1productconfigid",
        "type1 - tbd by oem",
        "sku",
        "x.x",
        "0123456789",
        "1234567890",
        "empty",
        "invalid",
        "unknown",
        "unknown default",
        "tbd by oem",
        "type1sku0",
        "type1family",
        "sku number",
        "type2 - board version",
        "chassis version",
        "--",
    }
)

PLATFORM_FIELDS = ("product", "board", "version", "sku")


def dmi_value(value: object) -> str:
    """A DMI string with whitespace trimmed, or "" for missing values and placeholders."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return "" if text.lower() in DMI_PLACEHOLDERS else text


def _platform_key(platform: Platform) -> tuple[str, ...]:
    return (
        dmi_value(platform.vendor),
        *(dmi_value(getattr(platform, name, "")) for name in PLATFORM_FIELDS),
    )


@dataclass(frozen=True)
class PlatformQuirk:
    """A known problem of a platform family, reported as a warning with how to handle it."""

    id: str
    title: str
    detail: str
    fix: str = ""
    status: str = "warn"
    source: str = ""
    confidence: str = ""  # empty: the family's confidence
    notes: str = ""


@dataclass(frozen=True)
class PlatformFamily:
    id: str
    name: str
    family: str = ""
    vendor: LazyRegex | None = None
    product: LazyRegex | None = None
    board: LazyRegex | None = None
    version: LazyRegex | None = None
    sku: LazyRegex | None = None
    onboard_nics: str = ""
    hybrid: bool | None = None
    status: str = "pass"
    detail: str = ""
    fix: str = ""
    quirks: tuple[PlatformQuirk, ...] = ()
    source: str = ""
    confidence: str = "medium"
    notes: str = ""

    def matches(self, platform: Platform) -> str | None:
        """Which DMI field matched ("product", "board", "version", "sku"), or None.

        Placeholder values ("Default string", "To be filled by O.E.M.", ...) count as empty. The
        SKU is read with getattr: inventories from before ``Platform.sku`` existed have none.
        """
        vendor = dmi_value(platform.vendor)
        if self.vendor is not None and vendor and not self.vendor.match(vendor):
            return None
        for name in PLATFORM_FIELDS:
            pattern: LazyRegex | None = getattr(self, name)
            value = dmi_value(getattr(platform, name, ""))
            if pattern is not None and value and pattern.match(value):
                return name
        return None


@dataclass
class NicMatch:
    """What the catalog says about one NIC on one release."""

    support: str
    entry: DeviceEntry | None
    component: Component | None = None
    notes: list[str] = field(default_factory=list)


_CACHE_LIMIT = 4096


class LazyRegex:
    """A case-insensitive regular expression compiled on first use.

    The catalog holds ~600 CPU and platform patterns; compiling them all while the window opens
    cost ~0.2 s of start-up, and a verdict only ever tries a few. A shipped pattern that does not
    compile is caught by the test suite (override files are compiled when they are validated); here
    it would match nothing and be logged.
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            try:
                self._compiled = re.compile(self.pattern, re.IGNORECASE)
            except re.error as exc:
                log.error("catalog pattern %r does not compile (%s); it matches nothing", self.pattern, exc)
                self._compiled = re.compile(r"(?!)")
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled().search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return self.compiled().match(text)

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r})"


def _globs(patterns: Iterable[str] | None) -> LazyRegex | None:
    items = list(patterns or [])
    if not items:
        return None
    return LazyRegex("|".join(f"(?:{fnmatch.translate(p.strip())})" for p in items))


def _norm_release(name: str) -> str:
    return re.sub(r"[\s_-]+", "", name).lower().replace("update", "u")


class Catalog:
    """The merged, validated, indexed catalog."""

    def __init__(self) -> None:
        self.version = "unknown"
        self.title = ""
        self.default_release_id = ""
        self.errors: list[str] = []
        self.files: list[Path] = []
        self.override_files: list[Path] = []
        self.entries: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SECTIONS}
        self.releases: list[Release] = []
        self.components: list[Component] = []
        self.cpu_rules: list[CpuRule] = []
        self.minimums: list[Minimum] = []
        self.platforms: list[PlatformFamily] = []
        self.cpu_models: list[CpuModel] = []
        self._cpu_model_cache: dict[str, CpuModel | None] = {}
        self._pci: dict[str, DeviceEntry] = {}
        self._usb: dict[str, DeviceEntry] = {}
        self._usb_classes: dict[str, DeviceEntry] = {}
        self._names: dict[str, str] = {}
        self._release_by_name: dict[str, Release] = {}
        self._components_by: dict[tuple[str, str], list[Component]] = {}
        self._nic_cache: dict[tuple[str, str, tuple[str, ...], str], NicMatch] = {}
        self._platform_cache: dict[tuple[str, ...], tuple[PlatformFamily, str] | None] = {}

    # lookups ---------------------------------------------------------------
    @property
    def default_release(self) -> Release:
        if not self.releases:
            raise BadInput(
                "The hardware catalog has no releases.", "Reinstall ecs-field or fix the catalog override."
            )
        # The default is the catalog's choice when it names a known release: the newest release
        # is not always the best-known one (9.0's inbox driver list is unconfirmed).
        wanted = _norm_release(self.default_release_id) if self.default_release_id else ""
        return self._release_by_name.get(wanted) or self.releases[-1]

    def release(self, name: str | None) -> Release:
        """The release named ``name`` (ID or alias, any case); the catalog default when None."""
        if name is None or not str(name).strip():
            return self.default_release
        found = self._release_by_name.get(_norm_release(str(name)))
        if found is None:
            known = ", ".join(r.id for r in self.releases) or "none"
            raise BadInput(
                f"Unknown ESXi release {name!r}. Known releases: {known}.",
                "Pass one of the known releases with --release, e.g. --release "
                f"{self.default_release.id if self.releases else '8.0U3'}.",
            )
        return found

    def pci_nic(self, device_id: str) -> DeviceEntry | None:
        return self._pci.get(device_id.lower())

    def usb_nic(self, device_id: str) -> DeviceEntry | None:
        return self._usb.get(device_id.lower())

    def usb_class(self, interface_class: str) -> DeviceEntry | None:
        return self._usb_classes.get(interface_class.lower())

    def usb_nic_ids(self) -> frozenset[str]:
        """USB vendor:product IDs of every network adapter the catalog knows (for NIC detection)."""
        return frozenset(self._usb)

    def usb_nic_classes(self) -> frozenset[str]:
        """USB interface classes ("02/06", ...) a USB NIC driver claims."""
        return frozenset(self._usb_classes)

    def device_name(self, bus: str, device_id: str) -> str:
        """A human name for an ID: the supplemental table first, then the NIC tables; "" if unknown."""
        key = f"{bus}/{device_id.lower()}"
        if key in self._names:
            return self._names[key]
        entry = self._pci.get(device_id.lower()) if bus == "pci" else self._usb.get(device_id.lower())
        return entry.chip if entry else ""

    def component(self, component_id: str) -> Component | None:
        for component in self.components:
            if component.id == component_id:
                return component
        return None

    def components_for(self, driver: str, release: Release) -> list[Component]:
        return self._components_by.get((driver, release.id), [])

    def counts(self) -> dict[str, int]:
        return {
            "releases": len(self.releases),
            "components": len(self.components),
            "pci_nics": len(self._pci),
            "usb_nics": len(self._usb),
            "usb_classes": len(self._usb_classes),
            "cpu_rules": len(self.cpu_rules),
            "cpu_models": len(self.cpu_models),
            "minimums": len(self.minimums),
            "platforms": len(self.platforms),
            "names": len(self._names),
        }

    def match_platform(self, platform: Platform) -> tuple[PlatformFamily, str] | None:
        """The platform family and the DMI field that matched, or None."""
        key = _platform_key(platform)
        if key in self._platform_cache:
            return self._platform_cache[key]
        found = None
        for family in self.platforms:
            how = family.matches(platform)
            if how:
                found = (family, how)
                break
        if len(self._platform_cache) >= _CACHE_LIMIT:
            self._platform_cache.clear()  # a long-running GUI must not grow without bound
        self._platform_cache[key] = found
        return found

    def cpu_model(self, model: str) -> CpuModel | None:
        """The first CPU model entry (catalog order: specific before general) matching ``model``.

        ``model`` is the CPU name as an input carries it (dmidecode ``Version``, /proc/cpuinfo
        ``model name``, Windows ``Name``, macOS ``cpu_type``); runs of spaces are collapsed.
        """
        text = " ".join(model.split()) if isinstance(model, str) else ""
        if not text:
            return None
        if text in self._cpu_model_cache:
            return self._cpu_model_cache[text]
        found = next((entry for entry in self.cpu_models if entry.matches(text)), None)
        if len(self._cpu_model_cache) >= _CACHE_LIMIT:
            self._cpu_model_cache.clear()
        self._cpu_model_cache[text] = found
        return found

    def resolve_nic(
        self, bus: str, device_id: str, release: Release, interface_classes: Iterable[str] = ()
    ) -> NicMatch:
        """Support of one NIC on ``release``: from its ID, else (USB) its interface class."""
        classes = tuple(interface_classes) if bus == "usb" else ()
        key = (bus, device_id.lower(), classes, release.id)
        cached = self._nic_cache.get(key)
        if cached is None:
            cached = self._resolve_nic(bus, device_id.lower(), classes, release)
            self._nic_cache[key] = cached
        return cached

    def _resolve_nic(self, bus: str, device_id: str, classes: tuple[str, ...], release: Release) -> NicMatch:
        entry = self._pci.get(device_id) if bus == "pci" else self._usb.get(device_id)
        notes: list[str] = []
        if entry is None and bus == "usb":
            for interface_class in classes:
                entry = self._usb_classes.get(interface_class.lower())
                if entry is not None:
                    notes.append(
                        f"Matched by its USB interface class {entry.id} ({entry.chip}), not by its ID."
                    )
                    break
        if entry is None:
            return NicMatch("unknown", None, None, [f"{bus.upper()} {device_id} is not in the catalog."])
        component = None
        if entry.driver in release.inbox_drivers:
            support = "inbox"
        elif entry.driver in release.inbox_unconfirmed:
            support = "unknown"
            notes.append(f"Whether {release.name} ships the {entry.driver} driver is unconfirmed.")
        else:
            candidates = [
                c
                for c in self.components_for(entry.driver, release)
                if not entry.components or c.id in entry.components
            ]
            if candidates:
                support, component = "driver-required", candidates[0]
            else:
                support = "unsupported"
                if not any(c.releases for c in self.components if entry.driver in c.drivers):
                    # Say so when the only driver there is belongs to another ESXi generation.
                    others = [c for c in self.components if entry.driver in c.drivers and c.esxi]
                    notes.extend(
                        f"{c.label} exists for ESXi {c.esxi}, not for {release.name}." for c in others
                    )
        pinned = entry.pinned_support(release.id)
        if pinned and pinned != support:
            support = pinned
            component = component if pinned == "driver-required" else None
        return NicMatch(support, entry, component, notes)


# loading ---------------------------------------------------------------------
def shipped_catalog_dir() -> Path:
    return resource_path("catalog")


def _parse_cache_file(path: Path, stat: os.stat_result) -> Path | None:
    try:
        folder = paths.cache_dir() / "catalog-parsed"
    except Exception:  # an unusable cache folder only means no cache
        return None
    key = hashlib.sha1(str(path.resolve()).encode(), usedforsecurity=False).hexdigest()[:16]
    return folder / f"{key}-{stat.st_mtime_ns}-{stat.st_size}.marshal"


def _read_yaml(path: Path) -> tuple[Any, str | None]:
    """A catalog file's data; parsed YAML is cached (marshal, keyed by path, mtime and size).

    Building Python objects from ~1,000 YAML entries is most of the catalog's load time (~75 ms),
    paid on every start of the app; the cached form loads in a few ms. marshal holds only plain
    data (no code runs on load) and refuses what YAML may also produce (dates): such files are
    simply parsed each time.
    """
    try:
        stat = path.stat()
        cached = _parse_cache_file(path, stat)
        if cached is not None and cached.is_file():
            return marshal.loads(cached.read_bytes()), None  # noqa: S302 - our own cache of plain data
    except (OSError, ValueError, EOFError, TypeError):
        cached = None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot read ({exc})"
    import yaml  # only on a cache miss: a cached catalog loads without YAML (~15 ms of every start)

    # The C loader is several times faster; the pure-Python one is the fallback.
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
        if cached is not None:
            with contextlib.suppress(OSError, ValueError):
                cached.parent.mkdir(parents=True, exist_ok=True)
                for stale in cached.parent.glob(cached.name.split("-", 1)[0] + "-*.marshal"):
                    stale.unlink()  # the same file's cache from before an edit
                storage.atomic_write_bytes(cached, marshal.dumps(data), durable=False)
        return data, None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, f"{path}:{where}: not valid YAML ({problem})"


def _merge_file(catalog: Catalog, path: Path, *, override: bool) -> None:
    document, error = _read_yaml(path)
    if error:
        catalog.errors.append(error + ("; file skipped" if override else ""))
        return
    if document is None:
        return
    if not isinstance(document, dict):
        catalog.errors.append(
            f"{path}: must be a mapping of sections (releases:, pci:, usb:, ...); file skipped"
        )
        return
    for key, value in document.items():
        if key in TOP_LEVEL_SCALARS:
            problem = TOP_LEVEL_SCALARS[key](value)
            if problem:
                catalog.errors.append(f"{path}: field '{key}': {problem}")
            elif key == "version" and not override:
                catalog.version = value
            elif key == "title" and not override:
                catalog.title = value
            elif key == "default_release":
                catalog.default_release_id = value  # an override may move the default
            continue
        if isinstance(key, str) and key.startswith("x-"):
            continue  # YAML anchors for shared text
        section = SECTIONS.get(key) if isinstance(key, str) else None
        if section is None:
            known = ", ".join([*SECTIONS, *TOP_LEVEL_SCALARS])
            catalog.errors.append(f"{path}: unknown section {key!r} (known: {known})")
            continue
        if not isinstance(value, list):
            catalog.errors.append(f"{path}: section '{key}' must be a list of entries")
            continue
        _merge_entries(catalog, path, section, value, override=override)


def _merge_entries(
    catalog: Catalog, path: Path, section: Section, entries: list[Any], *, override: bool = False
) -> None:
    target = catalog.entries[section.name]
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        key = section.key_of(entry) if isinstance(entry, dict) else None
        label = f"{path}: {section.name}[{index}]" + (f" ({key})" if key else "")
        # Shipped files are validated by the test suite; compiling their ~600 patterns again on
        # every start is what made the window slow to open. Override files get every check.
        problems = entry_problems(section, entry, trusted=not override)
        if problems or key is None:
            for problem in problems or ["no key field"]:
                catalog.errors.append(f"{label}: {problem}; entry skipped")
            continue
        if key in seen:
            catalog.errors.append(
                f"{label}: duplicate of an earlier entry in the same file; the later one wins"
            )
        seen.add(key)
        # "_added": a key an override file brings in (not a replacement of a shipped one).
        target[key] = {**entry, "_file": str(path), "_added": override and key not in target}


def _build(catalog: Catalog) -> None:
    entries = catalog.entries
    releases = [
        Release(
            id=e["id"],
            name=e["name"],
            order=e["order"],
            inbox_drivers=frozenset(e["inbox_drivers"]),
            inbox_unconfirmed=frozenset(e.get("inbox_unconfirmed") or ()),
            cpu_features_required=tuple(e.get("cpu_features_required") or ()),
            aliases=tuple(e.get("aliases") or ()),
            source=e["source"],
            confidence=e["confidence"],
            notes=e.get("notes") or "",
        )
        for e in entries["releases"].values()
    ]
    catalog.releases = sorted(releases, key=lambda r: r.order)
    for release in catalog.releases:
        for name in (release.id, *release.aliases):
            catalog._release_by_name.setdefault(_norm_release(name), release)
    known_releases = {r.id for r in catalog.releases}

    for e in entries["components"].values():
        bad = [r for r in e["releases"] if r not in known_releases]
        if bad:
            catalog.errors.append(
                f"{e['_file']}: components ({e['id']}): field 'releases': unknown release(s) "
                f"{', '.join(bad)} (known: {', '.join(sorted(known_releases))})"
            )
        catalog.components.append(
            Component(
                id=e["id"],
                name=e["name"],
                version=e["version"],
                kind=e["kind"],
                drivers=frozenset(e["drivers"]),
                releases=tuple(r for r in e["releases"] if r in known_releases),
                short_name=e.get("short_name") or "",
                esxi=e.get("esxi") or "",
                preferred=bool(e.get("preferred")),
                module=e.get("module") or "",
                module_options=e.get("module_options") or "",
                package=e.get("package") or "",
                date=str(e.get("date") or ""),
                source=e["source"],
                confidence=e["confidence"],
                notes=e.get("notes") or "",
            )
        )
    for component in catalog.components:
        for driver in component.drivers:
            for release_id in component.releases:
                catalog._components_by.setdefault((driver, release_id), []).append(component)
    order = {c.id: i for i, c in enumerate(catalog.components)}
    for candidates in catalog._components_by.values():
        # preferred first, then the one listed last (the newest build)
        candidates.sort(key=lambda c: (not c.preferred, -order[c.id]))
    known_components = set(order)

    for section, by_id in (("pci", catalog._pci), ("usb", catalog._usb)):
        for e in entries[section].values():
            missing = [c for c in e.get("components") or () if c not in known_components]
            if missing:
                catalog.errors.append(
                    f"{e['_file']}: {section} ({e['id']}): field 'components': unknown "
                    f"component(s) {', '.join(missing)}"
                )
            support = e.get("support") or {}
            bad = [k for k in support if k != "*" and k not in known_releases]
            if bad:
                catalog.errors.append(
                    f"{e['_file']}: {section} ({e['id']}): field 'support': unknown "
                    f"release(s) {', '.join(bad)}"
                )
            by_id[e["id"]] = DeviceEntry(
                bus=section,
                id=e["id"],
                chip=e["chip"],
                driver=e["driver"],
                speed_mbps=e.get("speed_mbps"),
                support=tuple(sorted(support.items())),
                components=tuple(e.get("components") or ()),
                fix=e.get("fix") or "",
                role=e.get("role") or "uplink",
                source=e["source"],
                confidence=e["confidence"],
                notes=e.get("notes") or "",
            )
    for e in entries["usb_classes"].values():
        catalog._usb_classes[e["class"]] = DeviceEntry(
            bus="usb-class",
            id=e["class"],
            chip=e["name"],
            driver=e["driver"],
            source=e["source"],
            confidence="low",
            notes=e.get("notes") or "",
        )
    for e in entries["names"].values():
        catalog._names[f"{e['bus']}/{e['id']}"] = e["name"]

    for e in entries["cpu_rules"].values():
        if e.get("min_release") and e["min_release"] not in known_releases:
            catalog.errors.append(
                f"{e['_file']}: cpu_rules ({e['id']}): field 'min_release': unknown release "
                f"{e['min_release']!r}"
            )
        catalog.cpu_rules.append(
            CpuRule(
                id=e["id"],
                kind=e["kind"],
                title=e["title"],
                status=e["status"],
                fix=e["fix"],
                flags_all_of=tuple(tuple(g) for g in e.get("flags_all_of") or ()),
                model_patterns=tuple(re.compile(p, re.IGNORECASE) for p in e.get("model_patterns") or ()),
                maybe_patterns=tuple(re.compile(p, re.IGNORECASE) for p in e.get("maybe_patterns") or ()),
                min_release=e.get("min_release") or "",
                detail=e.get("detail") or "",
                source=e["source"],
                confidence=e["confidence"],
                notes=e.get("notes") or "",
            )
        )
    _build_cpu_models(catalog, entries["cpu_models"].values())
    for e in entries["minimums"].values():
        catalog.minimums.append(
            Minimum(
                id=e["id"],
                kind=e["kind"],
                title=e["title"],
                min=e["min"],
                fix=e["fix"],
                recommended=e.get("recommended"),
                tolerance=float(e.get("tolerance") or 0.0),
                source=e["source"],
                confidence=e["confidence"],
                notes=e.get("notes") or "",
            )
        )
    for e in entries["platforms"].values():
        quirks = tuple(
            PlatformQuirk(
                id=q["id"],
                title=q["title"],
                detail=q["detail"],
                fix=q.get("fix") or "",
                status=q.get("status") or "warn",
                source=q.get("source") or "",
                confidence=q.get("confidence") or "",
                notes=q.get("notes") or "",
            )
            for q in e.get("quirks") or ()
        )
        catalog.platforms.append(
            PlatformFamily(
                id=e["id"],
                name=e["name"],
                family=e.get("family") or "",
                vendor=_globs(e.get("vendor")),
                product=_globs(e.get("product")),
                board=_globs(e.get("board")),
                version=_globs(e.get("version")),
                sku=_globs(e.get("sku")),
                onboard_nics=e.get("onboard_nics") or "",
                hybrid=e.get("hybrid"),
                status=e.get("status") or "pass",
                detail=e.get("detail") or "",
                fix=e.get("fix") or "",
                quirks=quirks,
                source=e["source"],
                confidence=e["confidence"],
                notes=e.get("notes") or "",
            )
        )


def _build_cpu_models(catalog: Catalog, entries: Iterable[dict[str, Any]]) -> None:
    """CPU models in match order: entries an override file adds come first (so a technician's
    narrower entry wins over a shipped general one), then the shipped order, where a replaced
    entry keeps its place."""
    known = {_norm_release(n) for r in catalog.releases for n in (r.id, *r.aliases)}
    ordered = sorted(entries, key=lambda e: not e.get("_added"))  # stable: file order kept
    for e in ordered:
        support = e["support"]
        bad = [k for k in support if k != "*" and _norm_release(k) not in known]
        if bad:
            catalog.errors.append(
                f"{e['_file']}: cpu_models ({e['id']}): field 'support': unknown release(s) {', '.join(bad)}"
            )
        catalog.cpu_models.append(
            CpuModel(
                id=e["id"],
                name=e["name"],
                vendor=e["vendor"],
                patterns=tuple(LazyRegex(p) for p in e["patterns"]),
                generation=e["generation"],
                xsave=e["xsave"],
                support=tuple(support.items()),
                codename=e.get("codename") or "",
                year=e.get("year"),
                hybrid=e.get("hybrid"),
                detail=e.get("detail") or "",
                fix=e.get("fix") or "",
                source=e["source"],
                confidence=e["confidence"],
                notes=e.get("notes") or "",
            )
        )


def _yaml_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    except OSError:
        return []


def build_catalog(shipped_dir: Path, override_dir: Path | None) -> Catalog:
    """Load, validate, merge and index; never raises for bad data (see ``errors``)."""
    catalog = Catalog()
    shipped = _yaml_files(shipped_dir)
    if not shipped:
        catalog.errors.append(f"{shipped_dir}: no catalog files found; reinstall ecs-field")
    for path in shipped:
        catalog.files.append(path)
        _merge_file(catalog, path, override=False)
    if override_dir is not None and override_dir.is_dir():
        for path in _yaml_files(override_dir):
            catalog.override_files.append(path)
            _merge_file(catalog, path, override=True)
        if catalog.override_files:
            catalog.version = f"{catalog.version}+local"
    _build(catalog)
    for error in catalog.errors:
        log.warning("catalog: %s", error)
    return catalog


_cache: dict[Path | None, Catalog] = {}
_lock = threading.Lock()


def load_catalog(override_dir: Path | None = None, *, reload: bool = False) -> Catalog:
    """The catalog, cached per process and per override folder (default: the user's folder).

    Pass ``reload=True`` (or call ``reload_catalog``) after editing override files.
    """
    folder = override_dir if override_dir is not None else paths.catalog_override_dir()
    key = folder.resolve()
    with _lock:
        if reload or key not in _cache:
            _cache[key] = build_catalog(shipped_catalog_dir(), folder)
        return _cache[key]


def reload_catalog(override_dir: Path | None = None) -> Catalog:
    return load_catalog(override_dir, reload=True)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
