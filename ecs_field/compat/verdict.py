"""Inventory + release -> verdict (schema ``ecs-field/verdict@1``, DESIGN.md section 4).

Every check carries an exact fix and says what it saw and from which input. The verdict word
follows from the checks: any "fail" makes the box unsupported, any "warn" means supported once
the actions are done, otherwise supported. A fail rests only on a fact an input contains (RAM
below the minimum, no usable NIC where an input lists the NICs, a CPU the catalog says the
release does not support, ...); a fact no input carries is a "warn" marked ``not_checked``
that says how to find it out on the box. Nothing is guessed: a device the catalog does not
know is "unknown" with its IDs shown.

The checks live in checks_box (platform, minimums), checks_cpu and checks_nic; recommend
picks adapters to add when the box lacks a usable NIC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecs_field.compat.catalog import Catalog, Release
from ecs_field.compat.checks_box import minimum_checks, platform_check
from ecs_field.compat.checks_cpu import cpu_checks
from ecs_field.compat.checks_nic import fill_template, nic_checks, nics_of, resolve
from ecs_field.compat.facts import InputFacts
from ecs_field.compat.results import USABLE_SUPPORT, CheckResult, NicResult, Recommendation
from ecs_field.hardware.inventory import Inventory

SCHEMA = "ecs-field/verdict@1"

SUPPORTED = "supported"
ACTIONS_REQUIRED = "actions-required"
UNSUPPORTED = "unsupported"

GIB = 1024**3


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
    input_warnings: list[dict[str, Any]] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {SUPPORTED: 0, ACTIONS_REQUIRED: 1}.get(self.verdict, 3)

    @property
    def not_checked(self) -> list[CheckResult]:
        return [c for c in self.checks if c.not_checked]

    @property
    def summary(self) -> str:
        fails = sum(c.status == "fail" for c in self.checks)
        actions = sum(c.status == "warn" and not c.not_checked for c in self.checks)
        unknown = len(self.not_checked)
        if self.verdict == SUPPORTED:
            return f"Supported on {self.release.name}: all {len(self.checks)} checks passed."
        if self.verdict == ACTIONS_REQUIRED:
            parts = []
            if actions:
                parts.append(f"{actions} action(s)")
            if unknown:
                parts.append(f"{unknown} fact(s) to verify on the box (not checked)")
            return f"Supported on {self.release.name} after {' and '.join(parts)}."
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
            "recommendations": [r.to_dict() for r in self.recommendations],
            "input_warnings": self.input_warnings,
            "sources": self.sources,
            "notes": self.notes,
        }


def evaluate(
    inventory: Inventory,
    catalog: Catalog,
    release: Release | str | None = None,
    *,
    uplinks_needed: int = 1,
) -> Verdict:
    """The verdict for ``inventory`` on ``release`` (a Release, an ID/alias, or None = the catalog default).

    ``uplinks_needed``: how many usable NICs the box must have (a site with separate management
    and VM uplinks needs 2); fewer is an action with recommended adapters, not a fail.
    Raises BadInput for an unknown release (the message lists the known ones).
    """
    rel = release if isinstance(release, Release) else catalog.release(release)
    facts = InputFacts(inventory)
    checks: list[CheckResult] = []
    platform, family = platform_check(inventory, catalog, facts, checks)
    nics = [resolve(nic, inventory, catalog, rel) for nic in nics_of(inventory, catalog)]
    recommendations = nic_checks(
        nics, inventory, catalog, rel, facts=facts, checks=checks, uplinks_needed=uplinks_needed
    )
    cpu_extra = cpu_checks(inventory, catalog, rel, facts=facts, checks=checks, family=family)
    minimum_checks(inventory, catalog, facts, checks)
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
            "p_cores": cpu.p_cores,
            "e_cores": cpu.e_cores,
            **cpu_extra,
        },
        memory_bytes=inventory.memory_bytes,
        nics=nics,
        checks=checks,
        sources=list(inventory.sources),
        notes=list(inventory.notes),
        input_warnings=[w.to_dict() for w in inventory.input_warnings],
        recommendations=recommendations,
    )


__all__ = [
    "ACTIONS_REQUIRED",
    "SCHEMA",
    "SUPPORTED",
    "UNSUPPORTED",
    "USABLE_SUPPORT",
    "CheckResult",
    "NicResult",
    "Recommendation",
    "Verdict",
    "evaluate",
    "fill_template",
    "nics_of",
]
