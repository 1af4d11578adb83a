"""Inventory + release -> verdict (schema ``ecs-field/verdict@1``, DESIGN.md section 4).

Every check carries an exact fix. The verdict word follows from the checks: any "fail" makes
the box unsupported, any "warn" means supported once the actions are done, otherwise supported.
Nothing is guessed: a device the catalog does not know is "unknown" with its IDs shown, and a
fact the input does not contain (no CPU flags in an lspci dump) is a "warn" saying what to verify.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ecs_field.compat.catalog import Catalog, Component, CpuRule, Minimum, NicMatch, Release
from ecs_field.hardware.inventory import Inventory, Nic
from ecs_field.hardware.nics import derive_nics

SCHEMA = "ecs-field/verdict@1"

SUPPORTED = "supported"
ACTIONS_REQUIRED = "actions-required"
UNSUPPORTED = "unsupported"

USABLE_SUPPORT = ("inbox", "driver-required")

GIB = 1024**3


@dataclass
class CheckResult:
    id: str
    status: str  # "pass" | "warn" | "fail"
    title: str
    detail: str = ""
    fix: str = ""
    source: str = ""
    confidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix or None,
        }
        if self.source:
            data["source"] = self.source
        if self.confidence:
            data["confidence"] = self.confidence
        return data


@dataclass
class NicResult:
    bus: str
    id: str
    name: str  # OS interface name from the input
    esxi_name: str
    location: str
    chip: str
    driver: str
    support: str
    component: str  # component label ("USB NIC Fling 1.14-7vmw.803") or ""
    component_id: str
    source: str
    confidence: str
    notes: list[str]
    link: str
    speed_mbps: int | None
    mac: str
    role: str
    fix: str

    @property
    def usable(self) -> bool:
        return self.support in USABLE_SUPPORT and self.role != "bmc"

    @property
    def label(self) -> str:
        return self.esxi_name or self.name or f"{self.bus.upper()} {self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "bus": self.bus,
            "id": self.id,
            "name": self.name,
            "esxi_name": self.esxi_name,
            "location": self.location,
            "chip": self.chip,
            "driver": self.driver or None,
            "support": self.support,
            "component": self.component or None,
            "component_id": self.component_id or None,
            "source": self.source or None,
            "confidence": self.confidence or None,
            "notes": self.notes,
            "link": self.link,
            "speed_mbps": self.speed_mbps,
            "mac": self.mac or None,
            "role": self.role,
            "fix": self.fix or None,
        }


@dataclass
class Verdict:
    release: Release
    verdict: str
    catalog_version: str
    platform: dict[str, Any]
    cpu: dict[str, Any]
    memory_bytes: int | None
    nics: list[NicResult]
    checks: list[CheckResult]
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {SUPPORTED: 0, ACTIONS_REQUIRED: 1}.get(self.verdict, 3)

    @property
    def summary(self) -> str:
        fails = sum(c.status == "fail" for c in self.checks)
        warns = sum(c.status == "warn" for c in self.checks)
        if self.verdict == SUPPORTED:
            return f"Supported on {self.release.name}: all {len(self.checks)} checks passed."
        if self.verdict == ACTIONS_REQUIRED:
            return f"Supported on {self.release.name} after {warns} action(s)."
        return f"Not supported on {self.release.name}: {fails} check(s) failed."

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "release": self.release.id,
            "release_name": self.release.name,
            "verdict": self.verdict,
            "summary": self.summary,
            "catalog_version": self.catalog_version,
            "platform": self.platform,
            "cpu": self.cpu,
            "memory_bytes": self.memory_bytes,
            "nics": [n.to_dict() for n in self.nics],
            "checks": [c.to_dict() for c in self.checks],
            "sources": self.sources,
            "notes": self.notes,
        }


def evaluate(inventory: Inventory, catalog: Catalog, release: Release | str | None = None) -> Verdict:
    """The verdict for ``inventory`` on ``release`` (a Release, an ID/alias, or None = the catalog default).

    Raises BadInput for an unknown release (the message lists the known ones).
    """
    rel = release if isinstance(release, Release) else catalog.release(release)
    checks: list[CheckResult] = []
    platform = _platform(inventory, catalog, checks)
    nics = [_nic(nic, inventory, catalog, rel) for nic in nics_of(inventory, catalog)]
    _nic_checks(nics, catalog, rel, checks)
    hybrid = _cpu_checks(inventory, catalog, rel, checks, platform)
    _minimum_checks(inventory, catalog, checks)
    if any(c.status == "fail" for c in checks):
        word = UNSUPPORTED
    elif any(c.status == "warn" for c in checks):
        word = ACTIONS_REQUIRED
    else:
        word = SUPPORTED
    cpu = inventory.cpu
    return Verdict(
        release=rel,
        verdict=word,
        catalog_version=catalog.version,
        platform=platform,
        cpu={
            "model": cpu.model,
            "vendor": cpu.vendor,
            "cores": cpu.cores,
            "threads": cpu.threads,
            "hybrid": hybrid,
            "p_cores": cpu.p_cores,
            "e_cores": cpu.e_cores,
        },
        memory_bytes=inventory.memory_bytes,
        nics=nics,
        checks=checks,
        sources=list(inventory.sources),
        notes=list(inventory.notes),
    )


# NICs ------------------------------------------------------------------------
def nics_of(inventory: Inventory, catalog: Catalog) -> list[Nic]:
    """The inventory's NICs; derived from its PCI/USB devices when the importer left none."""
    if inventory.nics or not (inventory.pci or inventory.usb):
        return inventory.nics
    work = dataclasses.replace(inventory)  # derive_nics replaces .nics; the caller's inventory stays as given
    derive_nics(work, catalog.usb_nic_ids())
    return work.nics


def _interface_classes(nic: Nic, inventory: Inventory) -> list[str]:
    if nic.bus != "usb":
        return []
    for dev in inventory.usb:
        if dev.path == nic.location and dev.id == nic.id:
            return dev.interface_classes
    for dev in inventory.usb:
        if dev.id == nic.id:
            return dev.interface_classes
    return []


def _nic(nic: Nic, inventory: Inventory, catalog: Catalog, release: Release) -> NicResult:
    match = catalog.resolve_nic(nic.bus, nic.id, release, _interface_classes(nic, inventory))
    entry = match.entry
    chip = (
        (entry.chip if entry and entry.bus != "usb-class" else "")
        or catalog.device_name(nic.bus, nic.id)
        or nic.chip
    )
    notes = list(match.notes)
    if entry and entry.notes:
        notes.append(entry.notes)
    component = match.component
    speed = entry.speed_mbps if entry and entry.speed_mbps else nic.speed_mbps
    return NicResult(
        bus=nic.bus,
        id=nic.id.lower(),
        name=nic.name,
        esxi_name=nic.esxi_name,
        location=nic.location,
        chip=chip,
        driver=entry.driver if entry else "",
        support=match.support,
        component=component.label if component else "",
        component_id=component.id if component else "",
        source=entry.source if entry else "",
        confidence=entry.confidence if entry else "",
        notes=notes,
        link=nic.link,
        speed_mbps=speed,
        mac=nic.mac,
        role=entry.role if entry else "uplink",
        fix=_nic_fix(nic, match, component, release),
    )


def _component_fix(component: Component, mac: str, esxi_name: str) -> str:
    text = f"Add the {component.label} component to the image"
    if component.module and component.module_options:
        text += (
            f" and set {component.module} option {component.module_options} "
            f'(esxcli system module parameters set -p "{component.module_options}" -m {component.module})'
        )
        if mac and esxi_name.startswith("vusb"):
            text += f"; to keep the name {esxi_name} across reboots also set {esxi_name}_mac={mac}"
    return text + "."


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_template(text: str, **values: str) -> str:
    """Fill {version}/{component}/{release} in a catalog fix; anything else is left as written.

    Fix texts come from YAML a technician may edit: a stray brace must not crash a verdict.
    """
    try:
        return text.format_map(_KeepUnknown(values))
    except (ValueError, IndexError, AttributeError):
        return text


def _nic_fix(nic: Nic, match: NicMatch, component: Component | None, release: Release) -> str:
    entry = match.entry
    if match.support == "inbox":
        return ""
    if match.support == "driver-required" and component is not None:
        if entry is not None and entry.fix:
            return fill_template(
                entry.fix, version=component.version, component=component.label, release=release.name
            )
        return _component_fix(component, nic.mac, nic.esxi_name)
    if entry is not None and entry.fix:
        return fill_template(entry.fix, version="", component="", release=release.name).replace("  ", " ")
    if match.support == "unknown" and entry is None:
        subsystem = (
            f" (subsystem {nic.subsystem_vendor_id}:{nic.subsystem_device_id})"
            if nic.subsystem_vendor_id and nic.subsystem_device_id
            else ""
        )
        return (
            f"Look up {nic.bus.upper()} ID {nic.id}{subsystem} in the Broadcom Compatibility Guide, or add "
            "it "
            "to a catalog override; meanwhile plan on a NIC the catalog knows (onboard Intel, or a USB "
            "adapter from the "
            "USB NIC Fling table)."
        )
    if match.support == "unknown":
        return (
            f"Support on {release.name} is unconfirmed: verify after install with "
            "`esxcli network nic list`, or pick a release where the driver is confirmed, and keep a USB "
            "adapter from the USB NIC Fling table as a fallback uplink."
        )
    return (
        f"No {release.name} driver for this NIC: use a NIC the catalog lists as inbox, or a USB adapter "
        "from the USB NIC Fling table."
    )


def _nic_checks(nics: list[NicResult], catalog: Catalog, release: Release, checks: list[CheckResult]) -> None:
    usable = [n for n in nics if n.usable]
    speed_min = next((m for m in catalog.minimums if m.kind == "nic_speed_mbps"), None)
    if not nics:
        checks.append(
            CheckResult(
                "nic-usable",
                "fail",
                "A network adapter ESXi can use",
                "The input lists no network adapter.",
                "Import lspci/lsusb output that shows the NICs, or run `ecs-field check` on the box itself; "
                "if the box has no supported NIC, add a USB adapter from the USB NIC Fling table.",
            )
        )
    elif not usable:
        listed = "; ".join(
            f"{n.label} {n.bus.upper()} {n.id} ({n.chip or 'unnamed'}): {n.support}" for n in nics
        )
        fix = (
            "Add a USB network adapter from the USB NIC Fling table (for example an RTL8156 2.5GbE or "
            "AX88179 "
            "1GbE adapter) or a supported PCIe NIC."
        )
        better = _releases_with_usable_nic(nics, catalog, release)
        if better:
            alternatives = " or ".join(better)
            fix = f"Use {alternatives}, where a NIC of this box has a driver; or: {fix[0].lower()}{fix[1:]}"
        checks.append(
            CheckResult(
                "nic-usable",
                "fail",
                "A network adapter ESXi can use",
                f"No NIC has a driver on {release.name}: {listed}.",
                fix,
            )
        )
    else:
        names = ", ".join(f"{n.label} ({n.chip or n.id}, {n.support})" for n in usable)
        checks.append(
            CheckResult("nic-usable", "pass", "A network adapter ESXi can use", f"Usable: {names}.")
        )
        if speed_min is not None:
            known = [n for n in usable if n.speed_mbps is not None]
            fast = [n for n in known if n.speed_mbps is not None and n.speed_mbps >= speed_min.min]
            if known and not fast and len(known) == len(usable):
                checks.append(
                    CheckResult(
                        speed_min.id,
                        "fail",
                        speed_min.title,
                        "Every usable NIC is slower than 1 Gb/s: "
                        + ", ".join(f"{n.label} {n.speed_mbps} Mb/s" for n in known)
                        + ".",
                        speed_min.fix,
                        speed_min.source,
                        speed_min.confidence,
                    )
                )
            else:
                detail = (
                    f"{fast[0].label}: {fast[0].speed_mbps} Mb/s."
                    if fast
                    else "Link speed not in the input; the chip is a gigabit-class part unless noted."
                )
                checks.append(
                    CheckResult(
                        speed_min.id,
                        "pass",
                        speed_min.title,
                        detail,
                        "",
                        speed_min.source,
                        speed_min.confidence,
                    )
                )
    for nic in nics:
        checks.append(_nic_check(nic, release, bool(usable)))


def _releases_with_usable_nic(nics: list[NicResult], catalog: Catalog, release: Release) -> list[str]:
    found = []
    for other in catalog.releases:
        if other.id == release.id:
            continue
        for nic in nics:
            match = catalog.resolve_nic(nic.bus, nic.id, other)
            if match.support in USABLE_SUPPORT and (match.entry is None or match.entry.role != "bmc"):
                found.append(other.name)
                break
    return found


def _nic_check(nic: NicResult, release: Release, others_usable: bool) -> CheckResult:
    title = f"NIC {nic.label}: {nic.chip or 'unknown device'} ({nic.bus.upper()} {nic.id})"
    notes = " ".join(nic.notes)
    if nic.role == "bmc":
        return CheckResult(
            f"nic:{nic.label}",
            "pass",
            title,
            f"BMC virtual NIC ({nic.support}); not used as an uplink. {notes}".strip(),
            "",
            nic.source,
            nic.confidence,
        )
    if nic.support == "inbox":
        if nic.confidence == "low":
            return CheckResult(
                f"nic:{nic.label}",
                "warn",
                title,
                f"Driver {nic.driver} ships with {release.name}, but that it claims this ID is unconfirmed. "
                f"{notes}".strip(),
                "After install, confirm the port appears with `esxcli network nic list`; keep a USB "
                "adapter from "
                "the USB NIC Fling table as a fallback uplink.",
                nic.source,
                nic.confidence,
            )
        return CheckResult(
            f"nic:{nic.label}",
            "pass",
            title,
            f"Inbox driver {nic.driver} on {release.name}.",
            "",
            nic.source,
            nic.confidence,
        )
    if nic.support == "driver-required":
        return CheckResult(
            f"nic:{nic.label}",
            "warn",
            title,
            f"Needs the {nic.driver} driver from {nic.component}. {notes}".strip(),
            nic.fix,
            nic.source,
            nic.confidence,
        )
    status = "warn"
    if nic.support == "unknown":
        detail = (
            (f"Support unknown: {notes}" if notes else "Not in the catalog.")
            + f" IDs: {nic.bus.upper()} {nic.id}"
            + (f" at {nic.location}" if nic.location else "")
            + "."
        )
    else:
        detail = f"No {release.name} driver for {nic.chip or nic.id}. {notes}".strip()
    if not others_usable:
        detail += " This box has no other usable NIC."
    return CheckResult(f"nic:{nic.label}", status, title, detail, nic.fix, nic.source, nic.confidence)


# platform --------------------------------------------------------------------
def _platform(inventory: Inventory, catalog: Catalog, checks: list[CheckResult]) -> dict[str, Any]:
    p = inventory.platform
    found = catalog.match_platform(p)
    data: dict[str, Any] = {
        "vendor": p.vendor,
        "product": p.product,
        "board": p.board,
        "version": p.version,
        "dmi_family": p.family,
        "family": p.family,
        "family_id": None,
        "matched": False,
        "matched_by": None,
    }
    if found is None:
        described = " / ".join(x for x in (p.vendor, p.product or p.board, p.version) if x)
        detail = (
            f"{described}: not a platform family in the catalog" if described else "No DMI data in the input"
        ) + "; the verdict rests on the parts found."
        checks.append(CheckResult("platform", "pass", "Platform", detail))
        return data
    family, how = found
    data.update(
        family=family.name,
        family_id=family.id,
        matched=True,
        matched_by=how,
        onboard_nics=family.onboard_nics,
        notes=family.notes,
    )
    detail = (
        f"{family.name} (matched by DMI {how} name"
        if how != "version"
        else f"{family.name} (matched by DMI product version"
    )
    detail += f" {getattr(p, how)!r})."
    if family.detail:
        detail += " " + family.detail
    checks.append(
        CheckResult(
            "platform",
            family.status,
            "Platform",
            detail,
            family.fix if family.status != "pass" else "",
            family.source,
            family.confidence,
        )
    )
    return data


# CPU -------------------------------------------------------------------------
def _rule_applies(rule: CpuRule | None, release: Release, catalog: Catalog) -> bool:
    if rule is None or not rule.min_release:
        return True
    try:
        return release.order >= catalog.release(rule.min_release).order
    except Exception:
        return True


def _cpu_checks(
    inventory: Inventory,
    catalog: Catalog,
    release: Release,
    checks: list[CheckResult],
    platform: dict[str, Any],
) -> bool | None:
    cpu = inventory.cpu
    flags = {f.lower() for f in cpu.flags}
    hybrid = cpu.hybrid
    if hybrid is None and platform.get("matched"):
        # A platform family known to ship only hybrid CPUs tells what the input could not.
        family = next((f for f in catalog.platforms if f.id == platform.get("family_id")), None)
        if family is not None and family.hybrid is not None:
            hybrid = family.hybrid
    if not cpu.model and not flags and hybrid is None:
        checks.append(
            CheckResult(
                "cpu",
                "warn",
                "CPU",
                "The input has no CPU details, so virtualization, NX, XSAVE and hybrid cores were not "
                "checked.",
                "Add dmidecode output or the box's /proc/cpuinfo flags, or run `ecs-field check` on the box "
                "itself.",
            )
        )
        return hybrid
    required = set(release.cpu_features_required)
    for rule in catalog.cpu_rules:
        if not _rule_applies(rule, release, catalog):
            continue
        if rule.kind == "flags":
            checks.append(_flag_check(rule, flags, cpu.model, required))
        else:
            result = _hybrid_check(rule, hybrid, cpu.model)
            if result is not None:
                checks.append(result)
    return hybrid


def _flag_check(rule: CpuRule, flags: set[str], model: str, required: set[str]) -> CheckResult:
    if not flags:
        return CheckResult(
            rule.id,
            "warn",
            rule.title,
            f"The input has no CPU flags{f' for {model}' if model else ''}; not checked.",
            f"Verify in the firmware setup; {rule.fix}",
            rule.source,
            rule.confidence,
        )
    missing = [group for group in rule.flags_all_of if not any(f in flags for f in group)]
    if missing:
        names = " and ".join("/".join(group) for group in missing)
        return CheckResult(
            rule.id,
            rule.status,
            rule.title,
            f"CPU flag {names} not present{f' on {model}' if model else ''}.",
            rule.fix,
            rule.source,
            rule.confidence,
        )
    present = ", ".join(next(f for f in group if f in flags) for group in rule.flags_all_of)
    return CheckResult(rule.id, "pass", rule.title, f"Present: {present}.", "", rule.source, rule.confidence)


def _hybrid_check(rule: CpuRule, hybrid: bool | None, model: str) -> CheckResult | None:
    in_generation = not rule.model_patterns or any(p.search(model) for p in rule.model_patterns)
    if hybrid is True:
        if not in_generation:
            return None if rule.model_patterns else CheckResult(rule.id, "pass", rule.title, "Not hybrid.")
        return CheckResult(
            rule.id,
            rule.status,
            rule.title,
            f"{model or 'This CPU'} has P- and E-cores. {rule.detail}".strip(),
            rule.fix,
            rule.source,
            rule.confidence,
        )
    if hybrid is False:
        return (
            None
            if rule.model_patterns
            else CheckResult(
                rule.id, "pass", rule.title, "All cores are of one kind.", "", rule.source, rule.confidence
            )
        )
    if model and any(p.search(model) for p in rule.maybe_patterns):
        return CheckResult(
            rule.id,
            rule.status,
            rule.title,
            f"{model} belongs to a generation with hybrid parts and the input cannot tell "
            f"whether this one mixes P- and E-cores. {rule.detail}".strip(),
            rule.fix,
            rule.source,
            rule.confidence,
        )
    if rule.model_patterns:
        return None
    return CheckResult(
        rule.id,
        "pass",
        rule.title,
        f"{model or 'The CPU'} is not from a hybrid generation.",
        "",
        rule.source,
        rule.confidence,
    )


# minimums --------------------------------------------------------------------
def _gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def _minimum_checks(inventory: Inventory, catalog: Catalog, checks: list[CheckResult]) -> None:
    for rule in catalog.minimums:
        if rule.kind == "cpu_cores":
            checks.append(_cores_check(rule, inventory))
        elif rule.kind == "memory_bytes":
            checks.append(_memory_check(rule, inventory))
        elif rule.kind == "boot_disk_bytes":
            checks.append(_disk_check(rule, inventory))


def _cores_check(rule: Minimum, inventory: Inventory) -> CheckResult:
    cores = inventory.cpu.cores
    if cores is None:
        return CheckResult(
            rule.id,
            "warn",
            rule.title,
            "The input does not say how many cores the CPU has.",
            f"Verify on the box. {rule.fix}",
            rule.source,
            rule.confidence,
        )
    status = "pass" if cores >= rule.effective_min else "fail"
    return CheckResult(
        rule.id,
        status,
        rule.title,
        f"{cores} cores.",
        rule.fix if status == "fail" else "",
        rule.source,
        rule.confidence,
    )


def _memory_check(rule: Minimum, inventory: Inventory) -> CheckResult:
    memory = inventory.memory_bytes
    if memory is None:
        return CheckResult(
            rule.id,
            "warn",
            rule.title,
            "The input does not say how much RAM the box has.",
            f"Verify on the box. {rule.fix}",
            rule.source,
            rule.confidence,
        )
    if memory < rule.effective_min:
        return CheckResult(
            rule.id, "fail", rule.title, f"{_gib(memory)} installed.", rule.fix, rule.source, rule.confidence
        )
    detail = f"{_gib(memory)} installed."
    if rule.recommended and memory < rule.recommended * (1.0 - rule.tolerance):
        detail += f" Meets the minimum; {_gib(rule.recommended)} or more is recommended to run VMs."
    return CheckResult(rule.id, "pass", rule.title, detail, "", rule.source, rule.confidence)


def _disk_check(rule: Minimum, inventory: Inventory) -> CheckResult:
    disks = [d for d in inventory.disks if d.size_bytes]
    if not disks:
        return CheckResult(
            rule.id,
            "warn",
            rule.title,
            "The input lists no disks.",
            f"Verify on the box. {rule.fix}",
            rule.source,
            rule.confidence,
        )
    internal = [d for d in disks if not d.removable and d.bus != "usb"]
    best = max(internal or disks, key=lambda d: d.size_bytes or 0)
    size = best.size_bytes or 0
    described = f"{best.name} {size / 1e9:.0f} GB" + (f" ({best.model})" if best.model else "")
    if size < rule.effective_min:
        return CheckResult(
            rule.id, "fail", rule.title, f"Largest disk: {described}.", rule.fix, rule.source, rule.confidence
        )
    if not internal:
        return CheckResult(
            rule.id,
            "warn",
            rule.title,
            f"Only removable or USB disks found ({described}).",
            rule.fix,
            rule.source,
            rule.confidence,
        )
    return CheckResult(rule.id, "pass", rule.title, f"{described}.", "", rule.source, rule.confidence)
