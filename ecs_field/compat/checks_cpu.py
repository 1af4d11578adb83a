"""CPU checks: support of the CPU model on the release, the flag rules, hybrid cores.

Facts and where they come from:
- the model string (dmidecode Version, /proc/cpuinfo, the Windows/macOS probe) is mapped by the
  catalog (``cpu_models``) to a generation, its ESXi support per release, XSAVE and hybrid;
- CPU flags count only when the input has the full list (``Cpu.flags_complete``): dmidecode's
  few flags are derived, so a flag missing there says nothing;
- a fact no input carries is "warn" with ``not_checked`` and a way to check it on the box.
"""

from __future__ import annotations

from typing import Any

from ecs_field.compat.catalog import Catalog, CpuModel, CpuRule, PlatformFamily, Release
from ecs_field.compat.facts import InputFacts
from ecs_field.compat.results import CheckResult
from ecs_field.hardware.inventory import Cpu, Inventory

LEGACY_FIX = (
    "At the installer boot screen press Shift+O and add allowLegacyCPU=true (the installer then "
    "warns instead of stopping); after the install add allowLegacyCPU=true to the kernelopt line "
    "of /bootbank/boot.cfg so the host keeps booting, and again after each upgrade. VMware does "
    "not support this; plan to replace the box."
)
FLAGS_HOW = (
    "On the box, boot a Linux live system and run `grep -o -w -E 'vmx|svm|nx|xsave' /proc/cpuinfo "
    "| sort -u`, or run `ecs-field check` there (it reads the full flag list)."
)
MODEL_HOW = (
    "Read the CPU model on the box: `sudo dmidecode -t processor` (Version line), "
    "`grep -m1 'model name' /proc/cpuinfo`, or the firmware setup's main page; "
    "then add that output and check again."
)


def cpu_model(catalog: Catalog, model: str) -> CpuModel | None:
    """The catalog's CPU model entry for ``model`` (None when the input has no model or it is unknown)."""
    return catalog.cpu_model(model) if model.strip() else None


def support_on(entry: CpuModel | None, release: Release) -> str:
    if entry is None:
        return "unknown"
    value = entry.support_on(release)
    return value if value in ("supported", "legacy", "unsupported") else "unknown"


def _vt(cpu: Cpu) -> str:
    vendor = cpu.vendor.lower() + " " + cpu.model.lower()
    if "amd" in vendor:
        return "AMD-V (SVM Mode)"
    if "intel" in vendor:
        return "Intel VT-x (Virtualization Technology)"
    return "VT-x / AMD-V"


def cpu_checks(
    inventory: Inventory,
    catalog: Catalog,
    release: Release,
    *,
    facts: InputFacts,
    checks: list[CheckResult],
    family: PlatformFamily | None,
) -> dict[str, Any]:
    """Append the CPU checks; returns what the verdict's ``cpu`` block adds (hybrid, generation)."""
    cpu = inventory.cpu
    complete = cpu.flags_complete
    entry = cpu_model(catalog, cpu.model)
    inputs = facts.carrying("cpu")
    support = support_on(entry, release)
    checks.append(_support_check(cpu, entry, release, catalog, support=support, inputs=inputs, facts=facts))
    flags = {f.lower() for f in cpu.flags}
    for rule in catalog.cpu_rules:
        if not _rule_applies(rule, release, catalog) or rule.kind != "flags":
            continue
        checks.append(
            _flag_check(rule, cpu, flags, complete=complete, entry=entry, inputs=inputs, facts=facts)
        )
    hybrid, hybrid_from = _hybrid(cpu, entry, family)
    for rule in catalog.cpu_rules:
        if _rule_applies(rule, release, catalog) and rule.kind == "hybrid":
            result = _hybrid_check(rule, hybrid, hybrid_from, cpu, entry=entry, inputs=inputs, facts=facts)
            if result is not None:
                checks.append(result)
    return {
        "hybrid": hybrid,
        "flags_complete": complete,
        "generation": entry.generation if entry is not None else None,
        "catalog_model": entry.id if entry is not None else None,
        "support": support if entry is not None else None,
    }


def _rule_applies(rule: CpuRule, release: Release, catalog: Catalog) -> bool:
    if not rule.min_release:
        return True
    try:
        return release.order >= catalog.release(rule.min_release).order
    except Exception:  # an override naming an unknown release: apply the rule rather than drop it
        return True


def _supported_elsewhere(entry: CpuModel | None, catalog: Catalog, release: Release) -> list[str]:
    return [
        r.name
        for r in catalog.releases
        if r.id != release.id and support_on(entry, r) in ("supported", "legacy")
    ]


def _support_check(
    cpu: Cpu,
    entry: CpuModel | None,
    release: Release,
    catalog: Catalog,
    *,
    support: str,
    inputs: list[str],
    facts: InputFacts,
) -> CheckResult:
    title = f"CPU supported on {release.name}"
    if not cpu.model.strip():
        where = facts.where("cpu")
        return CheckResult(
            "cpu",
            "warn",
            f"{title}: not checked",
            f"The CPU model is not in the input ({where}), so its support, virtualization, NX, XSAVE "
            "and hybrid cores were not checked.",
            MODEL_HOW,
            not_checked=True,
            inputs=inputs,
        )
    seen = facts.seen(cpu.model.strip(), "cpu")
    source = entry.source if entry is not None else ""
    confidence = entry.confidence if entry is not None else ""
    generation = entry.generation if entry is not None else ""
    named = f"{cpu.model.strip()}" + (f" ({generation})" if generation else "")
    detail_extra = entry.detail if entry is not None else ""
    if support == "unknown":
        why = (
            f"{named}: the catalog does not say whether {release.name} supports this generation"
            if entry is not None
            else f"{cpu.model.strip()} is not in the catalog's CPU list"
        )
        return CheckResult(
            "cpu",
            "warn",
            f"{title}: not checked",
            f"{why}; not checked.",
            "Look the CPU up in the Broadcom Compatibility Guide (Systems/Servers, CPU series) for "
            f'{release.name}; the installer stops with "CPU_SUPPORT" on an unsupported CPU.',
            source,
            confidence,
            not_checked=True,
            seen=seen,
            inputs=inputs,
        )
    if support == "unsupported":
        elsewhere = _supported_elsewhere(entry, catalog, release)
        fix = (entry.fix if entry is not None else "") or "Use newer hardware"
        if elsewhere:
            fix = f"{fix.rstrip('.')}; or install {' or '.join(elsewhere)}, where it is supported."
        return CheckResult(
            "cpu",
            "fail",
            title,
            f"{named} is not supported on {release.name}. {detail_extra}".strip(),
            fix,
            source,
            confidence,
            seen=seen,
            inputs=inputs,
        )
    if support == "legacy":
        return CheckResult(
            "cpu",
            "warn",
            title,
            f"{named} is no longer on {release.name}'s supported list: the installer stops unless "
            f"allowLegacyCPU=true is set. {detail_extra}".strip(),
            LEGACY_FIX,  # the catalog's fix may cover several releases; this one is for "legacy"
            source,
            confidence,
            seen=seen,
            inputs=inputs,
        )
    return CheckResult(
        "cpu",
        "pass",
        title,
        f"{named}: supported on {release.name}.",
        "",
        source,
        confidence,
        seen=seen,
        inputs=inputs,
    )


def _flag_check(
    rule: CpuRule,
    cpu: Cpu,
    flags: set[str],
    *,
    complete: bool,
    entry: CpuModel | None,
    inputs: list[str],
    facts: InputFacts,
) -> CheckResult:
    model = cpu.model.strip()
    wanted = "/".join("/".join(group) for group in rule.flags_all_of)
    if complete and flags:
        missing = [group for group in rule.flags_all_of if not any(f in flags for f in group)]
        if missing and "hypervisor" in flags and any({"vmx", "svm"} & set(group) for group in missing):
            # Read inside a virtual machine: the VM hides VT-x/AMD-V unless nested virtualization
            # is on, so the flag list says nothing about the box's firmware.
            return CheckResult(
                rule.id,
                "warn",
                f"{rule.title}: not checked",
                "The flag list comes from a virtual machine (flag hypervisor), which hides VT-x/AMD-V; "
                "the box's own setting was not checked.",
                f"Verify {_vt(cpu)} is enabled in the box's firmware setup, or run `ecs-field check` on the "
                f"box itself (not in a VM). {FLAGS_HOW}",
                rule.source,
                rule.confidence,
                not_checked=True,
                seen=facts.seen("flags with hypervisor, without vmx/svm", "cpu"),
                inputs=inputs,
            )
        if missing:
            names = " and ".join("/".join(group) for group in missing)
            return CheckResult(
                rule.id,
                rule.status,
                rule.title,
                f"CPU flag {names} not present{f' on {model}' if model else ''} (full flag list).",
                rule.fix,
                rule.source,
                rule.confidence,
                seen=facts.seen(f"flags without {names}", "cpu"),
                inputs=inputs,
            )
        present = ", ".join(next(f for f in group if f in flags) for group in rule.flags_all_of)
        return CheckResult(
            rule.id,
            "pass",
            rule.title,
            f"Present: {present}.",
            "",
            rule.source,
            rule.confidence,
            seen=facts.seen(f"flag {present}", "cpu"),
            inputs=inputs,
        )
    # No full flag list: the CPU model may still tell (XSAVE is a property of the generation).
    by_model = _model_flag(rule, entry)
    if by_model is not None:
        assert entry is not None  # _model_flag answers only for a catalog model
        generation = entry.generation or entry.name
        seen = facts.seen(model, "cpu")
        if by_model:
            return CheckResult(
                rule.id,
                "pass",
                rule.title,
                f"{model} ({generation}) has {wanted.upper()} (from the CPU model; the input has no "
                "full flag list).",
                "",
                entry.source or rule.source,
                entry.confidence or rule.confidence,
                seen=seen,
                inputs=inputs,
            )
        return CheckResult(
            rule.id,
            rule.status,
            rule.title,
            f"{model} ({generation}) lacks {wanted.upper()} (from the CPU model).",
            rule.fix,
            entry.source or rule.source,
            entry.confidence or rule.confidence,
            seen=seen,
            inputs=inputs,
        )
    partial = [f for group in rule.flags_all_of for f in group if f in flags]
    detail = f"The input ({facts.where('cpu')}) has no full CPU flag list"
    if partial:
        detail += (
            f"; it names {', '.join(partial)}, which says the CPU has the feature, not that the "
            "firmware has it enabled"
        )
    detail += f", so {wanted} was not checked."
    if "vmx" in wanted or "svm" in wanted:
        fix = f"Verify {_vt(cpu)} is enabled in the firmware setup: {rule.fix} {FLAGS_HOW}"
    elif "nx" in wanted:
        fix = f"Verify NX/XD (Execute Disable Bit) is enabled in the firmware setup. {FLAGS_HOW}"
    else:
        fix = f"Verify the CPU has {wanted.upper()}: {FLAGS_HOW}"
    return CheckResult(
        rule.id,
        "warn",
        f"{rule.title}: not checked",
        detail,
        fix,
        rule.source,
        rule.confidence,
        not_checked=True,
        seen=facts.seen(model, "cpu") if model else "",
        inputs=inputs,
    )


def _model_flag(rule: CpuRule, entry: CpuModel | None) -> bool | None:
    """What the catalog's CPU model says about this rule's flags, when it models them."""
    if entry is None:
        return None
    wanted = {f for group in rule.flags_all_of for f in group}
    return entry.xsave if wanted == {"xsave"} else None


# hybrid ----------------------------------------------------------------------
def _hybrid(cpu: Cpu, entry: CpuModel | None, family: PlatformFamily | None) -> tuple[bool | None, str]:
    if cpu.hybrid is not None:
        return cpu.hybrid, "input"
    if entry is not None and entry.hybrid is not None:
        return entry.hybrid, "model"
    if family is not None and family.hybrid is not None:
        # A family known to ship only hybrid (or only non-hybrid) CPUs tells what the input could not.
        return family.hybrid, "platform"
    return None, ""


def _hybrid_check(
    rule: CpuRule,
    hybrid: bool | None,
    hybrid_from: str,
    cpu: Cpu,
    *,
    entry: CpuModel | None,
    inputs: list[str],
    facts: InputFacts,
) -> CheckResult | None:
    model = cpu.model.strip()
    in_generation = not rule.model_patterns or any(p.search(model) for p in rule.model_patterns)
    how = {
        "input": "core counts in the input",
        "model": "the CPU model in the catalog",
        "platform": "the platform family in the catalog",
    }.get(hybrid_from, "")
    seen = facts.seen(model or "CPU", "cpu") + (f"; hybrid from {how}" if how else "")
    if hybrid is True:
        if not in_generation:
            return None
        return CheckResult(
            rule.id,
            rule.status,
            rule.title,
            f"{model or 'This CPU'} has P- and E-cores. {rule.detail}".strip(),
            rule.fix,
            rule.source,
            rule.confidence,
            seen=seen,
            inputs=inputs,
        )
    if hybrid is False:
        if rule.model_patterns:
            return None
        return CheckResult(
            rule.id,
            "pass",
            rule.title,
            f"All cores are of one kind (from {how}).",
            "",
            rule.source,
            rule.confidence,
            seen=seen,
            inputs=inputs,
        )
    maybe = bool(model) and (
        any(p.search(model) for p in rule.maybe_patterns)
        or (entry is not None and not rule.model_patterns and entry.hybrid is None)
    )
    if maybe:
        return CheckResult(
            rule.id,
            rule.status,
            f"{rule.title}: not checked",
            f"{model} belongs to a generation with hybrid parts and the input cannot tell whether "
            f"this one mixes P- and E-cores. {rule.detail}".strip(),
            "Check the core types on the box (`lscpu --all --extended` on Linux shows two MAXMHZ "
            "groups, Windows Task Manager lists P/E cores), or plan for it: " + rule.fix,
            rule.source,
            rule.confidence,
            not_checked=True,
            seen=seen,
            inputs=inputs,
        )
    if rule.model_patterns:
        return None
    where = facts.where("cpu")
    return CheckResult(
        rule.id,
        "warn",
        f"{rule.title}: not checked",
        (f"{model} is not in the catalog's CPU list" if model else "The CPU model is not in the input")
        + f" and the input ({where}) does not list P- and E-cores, so hybrid cores were not checked.",
        "Check the core types on the box (`lscpu --all --extended` on Linux; Windows Task Manager) "
        "or run `ecs-field check` there. If it mixes P- and E-cores: " + rule.fix,
        rule.source,
        rule.confidence,
        not_checked=True,
        seen=seen if model else "",
        inputs=inputs,
    )
