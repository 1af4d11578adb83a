"""NICs: what the catalog says about each port, and whether the box has one ESXi can use.

"No NIC ESXi can use" is a fail only when an input that lists the PCI NICs is present
(lspci, esxcli, a probe, the Windows/macOS reports, an inventory); from dmidecode alone, or
lsusb alone, it is "not checked". A dump that looks cut short turns the fail into "not
checked" too: the NIC may sit in the part that is missing.
"""

from __future__ import annotations

import dataclasses
import re

from ecs_field.compat.catalog import Catalog, Component, NicMatch, Release
from ecs_field.compat.facts import InputFacts, describe, truncated_warnings
from ecs_field.compat.recommend import recommend
from ecs_field.compat.results import USABLE_SUPPORT, CheckResult, NicResult, Recommendation
from ecs_field.hardware.inventory import InputWarning, Inventory, Nic
from ecs_field.hardware.nics import derive_nics

_ESXI_NAME = re.compile(r"^(vmnic|vusb)\d+$")
HOST_DRIVER_NOTE = "driver reported by the host"
NIC_HOW = (
    "Add the output of `lspci -nn` and `lsusb` from a Linux live system on the box (or "
    "`esxcli network nic list` on an ESXi host), or run `ecs-field check` on the box itself."
)


def nics_of(inventory: Inventory, catalog: Catalog) -> list[Nic]:
    """The inventory's NICs; derived from its PCI/USB devices when the importer left none."""
    if inventory.nics or not (inventory.pci or inventory.usb or inventory.interfaces):
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


def _host_driver_match(nic: Nic, match: NicMatch, catalog: Catalog, release: Release) -> NicMatch:
    """An ESXi host's own report (esxcli) names the driver it bound: trust it when the ID is unknown.

    Only for ports ESXi named (vmnicN/vusbN) or listed without IDs: a Linux driver name is no
    ESXi driver name.
    """
    driver = nic.driver.strip()
    if match.entry is not None or not driver:
        return match
    if not (_ESXI_NAME.match(nic.name) or not nic.vendor_id):
        return match
    note = f"{HOST_DRIVER_NOTE}: {driver}"
    if driver in release.inbox_drivers:
        return NicMatch("inbox", None, None, [note])
    components = catalog.components_for(driver, release)
    if components:
        return NicMatch("driver-required", None, components[0], [note])
    return match


def resolve(nic: Nic, inventory: Inventory, catalog: Catalog, release: Release) -> NicResult:
    match = catalog.resolve_nic(nic.bus, nic.id, release, _interface_classes(nic, inventory))
    match = _host_driver_match(nic, match, catalog, release)
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
    host_reported = entry is None and match.support in USABLE_SUPPORT
    return NicResult(
        bus=nic.bus,
        id=nic.id.lower() if nic.vendor_id or nic.device_id else "",
        name=nic.name,
        esxi_name=nic.esxi_name,
        location=nic.location,
        chip=chip,
        driver=entry.driver if entry else (nic.driver if host_reported else ""),
        support=match.support,
        component=component.label if component else "",
        component_id=component.id if component else "",
        source=entry.source if entry else (HOST_DRIVER_NOTE if host_reported else ""),
        confidence=entry.confidence if entry else ("medium" if host_reported else ""),
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
        ident = f"{nic.bus.upper()} ID {nic.id}{subsystem}" if nic.vendor_id else "this adapter's ID"
        return (
            f"Look up {ident} in the Broadcom Compatibility Guide, or add it to a catalog override; "
            "meanwhile plan on a NIC the catalog knows (see the recommended adapters)."
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


# coverage --------------------------------------------------------------------
def nic_inputs(inventory: Inventory, facts: InputFacts) -> tuple[list[str], bool, bool]:
    """(labels that list NICs, PCI NICs listed, USB NICs listed)."""
    pci_inputs = facts.carrying("pci")
    usb_inputs = facts.carrying("usb")
    pci_listed = bool(inventory.pci) or bool(pci_inputs) or any(i.bus == "pci" for i in inventory.interfaces)
    usb_listed = bool(inventory.usb) or bool(usb_inputs)
    labels = list(dict.fromkeys([*pci_inputs, *usb_inputs]))
    return labels, pci_listed, usb_listed


def _where(warning: InputWarning) -> str:
    return f"{warning.file}:{warning.line}" if warning.line else warning.file or "input"


# checks ----------------------------------------------------------------------
def _recommendation_text(recommendations: list[Recommendation]) -> str:
    """The best USB adapter and the best PCIe card: a mini PC has no slot, a server has both."""
    picks = []
    for bus, kind in (("usb", "a USB adapter"), ("pci", "a PCIe card")):
        item = next((r for r in recommendations if r.bus == bus), None)
        if item is not None:
            how = f"with {item.component}" if item.component else f"{item.driver} inbox"
            picks.append(f"{kind} such as {item.chip} ({how})")
    return "; for example " + " or ".join(picks) if picks else ""


def nic_checks(
    nics: list[NicResult],
    inventory: Inventory,
    catalog: Catalog,
    release: Release,
    *,
    facts: InputFacts,
    checks: list[CheckResult],
    uplinks_needed: int = 1,
) -> list[Recommendation]:
    """Append the NIC checks; returns the adapters to recommend."""
    usable = [n for n in nics if n.usable]
    labels, pci_listed, _ = nic_inputs(inventory, facts)
    truncated, other_cut = truncated_warnings(inventory, facts)
    where = ", ".join(describe(s) for s in labels)
    recommendations = recommend(catalog, release, len(usable), uplinks_needed)
    title = "A network adapter ESXi can use"
    if other_cut:
        checks.append(
            CheckResult(
                "facts-complete",
                "warn",
                "Facts may be incomplete",
                "An input looks cut short, so facts after the cut are missing: "
                + "; ".join(f"{_where(w)}: {w.message}" for w in other_cut)
                + ".",
                "Capture the output again in full (redirect it to a file: `sudo dmidecode > dmi.txt`) "
                "and check again.",
                inputs=[w.file for w in other_cut],
            )
        )
    if truncated:
        checks.append(
            CheckResult(
                "nic-facts-complete",
                "warn",
                "NIC facts may be incomplete",
                "An input looks cut short, so adapters listed after the cut are missing: "
                + "; ".join(f"{_where(w)}: {w.message}" for w in truncated)
                + ".",
                "Capture the output again in full (redirect it to a file: `lspci -nn > pci.txt`) and "
                "check again.",
                inputs=[w.file for w in truncated],
            )
        )
    if not usable:
        listed = "; ".join(
            f"{n.label} {n.bus.upper()} {n.id} ({n.chip or 'unnamed'}): {n.support}" for n in nics
        )
        known = pci_listed and not truncated
        if not known:
            if not labels and not nics:
                detail = "No input lists the network adapters"
            elif not pci_listed:
                detail = f"The inputs ({where}) do not list the PCI network adapters"
            else:
                detail = "An input that lists the adapters looks cut short"
            detail += (
                f"; found: {listed}." if nics else "."
            ) + " Whether the box has a NIC ESXi can use was not checked."
            checks.append(
                CheckResult(
                    "nic-usable",
                    "warn",
                    f"{title}: not checked",
                    detail,
                    NIC_HOW,
                    not_checked=True,
                    seen=listed,
                    inputs=labels,
                )
            )
        else:
            fix = (
                "Add a network adapter the catalog supports on this release (see the recommended adapters"
                + _recommendation_text(recommendations)
                + ")."
            )
            better = _releases_with_usable_nic(nics, catalog, release)
            if better:
                where_ok = " or ".join(better)
                fix = f"Use {where_ok}, where a NIC of this box has a driver; or: {fix[0].lower()}{fix[1:]}"
            detail = (
                f"No NIC has a driver on {release.name}: {listed}."
                if nics
                else f"The inputs ({where}) list no network adapter."
            )
            checks.append(
                CheckResult("nic-usable", "fail", title, detail, fix, seen=listed or "no NIC", inputs=labels)
            )
    else:
        names = ", ".join(f"{n.label} ({n.chip or n.id or n.driver}, {n.support})" for n in usable)
        checks.append(
            CheckResult("nic-usable", "pass", title, f"Usable: {names}.", seen=names, inputs=labels)
        )
        if len(usable) < uplinks_needed:
            checks.append(
                CheckResult(
                    "nic-uplinks",
                    "warn",
                    f"{uplinks_needed} uplinks",
                    f"The box needs {uplinks_needed} uplinks and has {len(usable)} usable NIC(s).",
                    "Add an adapter from the recommended list" + _recommendation_text(recommendations) + ".",
                    seen=names,
                    inputs=labels,
                )
            )
        _speed_check(usable, catalog, checks, labels)
    for nic in nics:
        checks.append(_nic_check(nic, release, bool(usable), facts))
    nic_check = next((c for c in checks if c.id == "nic-usable"), None)
    if not usable and nic_check is not None and nic_check.not_checked:
        # The input does not list the NICs: say "if", never that the box has none.
        reason = (
            f"The NIC list was not checked (no input lists the adapters): if the box has no NIC "
            f"{release.name} can use, add one of these."
        )
        recommendations = [dataclasses.replace(r, reason=reason) for r in recommendations]
    return recommendations


def _speed_check(
    usable: list[NicResult], catalog: Catalog, checks: list[CheckResult], labels: list[str]
) -> None:
    speed_min = next((m for m in catalog.minimums if m.kind == "nic_speed_mbps"), None)
    if speed_min is None:
        return
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
                seen=", ".join(f"{n.label} {n.speed_mbps} Mb/s" for n in known),
                inputs=labels,
            )
        )
        return
    if fast:
        checks.append(
            CheckResult(
                speed_min.id,
                "pass",
                speed_min.title,
                f"{fast[0].label}: {fast[0].speed_mbps} Mb/s.",
                "",
                speed_min.source,
                speed_min.confidence,
                seen=f"{fast[0].label} {fast[0].speed_mbps} Mb/s",
                inputs=labels,
            )
        )
        return
    checks.append(
        CheckResult(
            speed_min.id,
            "warn",
            f"{speed_min.title}: not checked",
            "Neither the input nor the catalog gives the speed of the usable NICs.",
            "After install, `esxcli network nic list` shows the link speed; " + speed_min.fix,
            speed_min.source,
            speed_min.confidence,
            not_checked=True,
            inputs=labels,
        )
    )


def _releases_with_usable_nic(nics: list[NicResult], catalog: Catalog, release: Release) -> list[str]:
    found = []
    for other in catalog.releases:
        if other.id == release.id:
            continue
        for nic in nics:
            if not nic.id:
                continue
            match = catalog.resolve_nic(nic.bus, nic.id, other)
            if match.support in USABLE_SUPPORT and (match.entry is None or match.entry.role != "bmc"):
                found.append(other.name)
                break
    return found


def _nic_check(nic: NicResult, release: Release, others_usable: bool, facts: InputFacts) -> CheckResult:
    ident = f"{nic.bus.upper()} {nic.id}" if nic.id else nic.bus.upper()
    title = f"NIC {nic.label}: {nic.chip or 'unknown device'} ({ident})"
    notes = " ".join(nic.notes)
    seen = facts.seen(f"{ident}" + (f" at {nic.location}" if nic.location else ""), nic.bus)
    inputs = facts.carrying(nic.bus)

    def result(status: str, detail: str, fix: str = "") -> CheckResult:
        return CheckResult(
            f"nic:{nic.label}",
            status,
            title,
            detail,
            fix,
            nic.source,
            nic.confidence,
            seen=seen,
            inputs=inputs,
        )

    if nic.role == "bmc":
        return result("pass", f"BMC virtual NIC ({nic.support}); not used as an uplink. {notes}".strip())
    if nic.support == "inbox":
        if nic.confidence == "low":
            return result(
                "warn",
                f"Driver {nic.driver} ships with {release.name}, but that it claims this ID is unconfirmed. "
                f"{notes}".strip(),
                "After install, confirm the port appears with `esxcli network nic list`; keep a USB "
                "adapter from the USB NIC Fling table as a fallback uplink.",
            )
        detail = f"Inbox driver {nic.driver} on {release.name}."
        if HOST_DRIVER_NOTE in notes:
            detail += f" The ID is not in the input; the {HOST_DRIVER_NOTE} ({nic.driver}) ships inbox."
        return result("pass", detail)
    if nic.support == "driver-required":
        return result("warn", f"Needs the {nic.driver} driver from {nic.component}. {notes}".strip(), nic.fix)
    if nic.support == "unknown":
        detail = (
            (f"Support unknown: {notes}" if notes else "Not in the catalog.")
            + (f" IDs: {ident}" if nic.id else "")
            + (f" at {nic.location}" if nic.location else "")
            + "."
        )
    else:
        detail = f"No {release.name} driver for {nic.chip or nic.id}. {notes}".strip()
    if not others_usable:
        detail += " This box has no other usable NIC."
    return result("warn", detail, nic.fix)
