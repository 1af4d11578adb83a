"""Platform and minimum checks (cores, memory, boot disk), each from the inputs that carry it."""

from __future__ import annotations

from typing import Any

from ecs_field.compat.catalog import Catalog, Minimum, PlatformFamily, PlatformQuirk, dmi_value
from ecs_field.compat.facts import InputFacts
from ecs_field.compat.results import CheckResult
from ecs_field.hardware.inventory import Inventory

GIB = 1024**3
DMI_HOW = (
    "Add the output of `sudo dmidecode` from a Linux live system on the box (or run `ecs-field check` "
    "there); the model is also on the label under the box."
)


def platform_check(
    inventory: Inventory, catalog: Catalog, facts: InputFacts, checks: list[CheckResult]
) -> tuple[dict[str, Any], PlatformFamily | None]:
    p = inventory.platform
    inputs = facts.carrying("platform")
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
    described = " / ".join(
        x
        for x in (dmi_value(p.vendor), dmi_value(p.product) or dmi_value(p.board), dmi_value(p.version))
        if x
    )
    if found is None:
        if not described:
            placeholders = " / ".join(x for x in (p.vendor, p.product, p.board) if x.strip())
            what = f"only placeholders ({placeholders!r}) in its DMI data" if placeholders else "no DMI data"
            checks.append(
                CheckResult(
                    "platform",
                    "warn",
                    "Platform: not checked",
                    f"The input ({facts.where('platform')}) has {what}, so the model and its known quirks "
                    "were not checked.",
                    DMI_HOW,
                    not_checked=True,
                    inputs=inputs,
                )
            )
        else:
            checks.append(
                CheckResult(
                    "platform",
                    "pass",
                    "Platform",
                    f"{described}: not a platform family in the catalog; the verdict rests on the parts "
                    "found.",
                    seen=facts.seen(described, "platform"),
                    inputs=inputs,
                )
            )
        return data, None
    family, how = found
    data.update(
        family=family.name,
        family_id=family.id,
        matched=True,
        matched_by=how,
        onboard_nics=family.onboard_nics,
        notes=family.notes,
    )
    value = getattr(p, how)
    detail = (
        f"{family.name} (matched by DMI {how} name"
        if how != "version"
        else f"{family.name} (matched by DMI product version"
    ) + f" {value!r})."
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
            seen=facts.seen(f"{how} {value}", "platform"),
            inputs=inputs,
        )
    )
    for quirk in family.quirks:
        checks.append(_quirk_check(family, quirk, facts, inputs))
    return data, family


def _quirk_check(
    family: PlatformFamily, quirk: PlatformQuirk, facts: InputFacts, inputs: list[str]
) -> CheckResult:
    return CheckResult(
        f"platform:{quirk.id}",
        quirk.status if quirk.status in ("pass", "warn") else "warn",  # a quirk informs; it never fails a box
        quirk.title,
        quirk.detail,
        quirk.fix,
        quirk.source or family.source,
        quirk.confidence or family.confidence,
        seen=facts.seen(family.name, "platform"),
        inputs=inputs,
    )


# minimums --------------------------------------------------------------------
def _gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def minimum_checks(
    inventory: Inventory, catalog: Catalog, facts: InputFacts, checks: list[CheckResult]
) -> None:
    for rule in catalog.minimums:
        if rule.kind == "cpu_cores":
            checks.append(_cores_check(rule, inventory, facts))
        elif rule.kind == "memory_bytes":
            checks.append(_memory_check(rule, inventory, facts))
        elif rule.kind == "boot_disk_bytes":
            checks.append(_disk_check(rule, inventory, facts))


def _not_checked(rule: Minimum, what: str, inputs: list[str], how: str, where: str) -> CheckResult:
    return CheckResult(
        rule.id,
        "warn",
        f"{rule.title}: not checked",
        f"The input ({where}) does not say {what}; not checked.",
        f"{how} {rule.fix}",
        rule.source,
        rule.confidence,
        not_checked=True,
        inputs=inputs,
    )


def _cores_check(rule: Minimum, inventory: Inventory, facts: InputFacts) -> CheckResult:
    cores = inventory.cpu.cores
    inputs = facts.carrying("cpu")
    if cores is None:
        return _not_checked(
            rule,
            "how many cores the CPU has",
            inputs,
            "Verify on the box (`sudo dmidecode -t processor` Core Count, or `lscpu`).",
            facts.where("cpu"),
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
        seen=facts.seen(f"{cores} cores", "cpu"),
        inputs=inputs,
    )


def _memory_check(rule: Minimum, inventory: Inventory, facts: InputFacts) -> CheckResult:
    memory = inventory.memory_bytes
    inputs = facts.carrying("memory")
    if memory is None:
        return _not_checked(
            rule,
            "how much RAM the box has",
            inputs,
            "Verify on the box (`sudo dmidecode -t memory`, `free -g`, or the firmware setup).",
            facts.where("memory"),
        )
    seen = facts.seen(_gib(memory), "memory")
    if memory < rule.effective_min:
        return CheckResult(
            rule.id,
            "fail",
            rule.title,
            f"{_gib(memory)} installed.",
            rule.fix,
            rule.source,
            rule.confidence,
            seen=seen,
            inputs=inputs,
        )
    detail = f"{_gib(memory)} installed."
    if rule.recommended and memory < rule.recommended * (1.0 - rule.tolerance):
        detail += f" Meets the minimum; {_gib(rule.recommended)} or more is recommended to run VMs."
    return CheckResult(
        rule.id, "pass", rule.title, detail, "", rule.source, rule.confidence, seen=seen, inputs=inputs
    )


def _disk_check(rule: Minimum, inventory: Inventory, facts: InputFacts) -> CheckResult:
    disks = [d for d in inventory.disks if d.size_bytes]
    inputs = facts.carrying("disks")
    if not disks:
        return _not_checked(
            rule,
            "which disks the box has" if not inventory.disks else "the size of its disks",
            inputs,
            "Verify on the box (`lsblk -d -o NAME,SIZE,MODEL,TRAN` on a Linux live system).",
            facts.where("disks"),
        )
    internal = [d for d in disks if not d.removable and d.bus != "usb"]
    best = max(internal or disks, key=lambda d: d.size_bytes or 0)
    size = best.size_bytes or 0
    described = f"{best.name} {size / 1e9:.0f} GB" + (f" ({best.model})" if best.model else "")
    seen = facts.seen(described, "disks")
    if size < rule.effective_min:
        return CheckResult(
            rule.id,
            "fail",
            rule.title,
            f"Largest disk: {described}.",
            rule.fix,
            rule.source,
            rule.confidence,
            seen=seen,
            inputs=inputs,
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
            seen=seen,
            inputs=inputs,
        )
    return CheckResult(
        rule.id,
        "pass",
        rule.title,
        f"{described}.",
        "",
        rule.source,
        rule.confidence,
        seen=seen,
        inputs=inputs,
    )
