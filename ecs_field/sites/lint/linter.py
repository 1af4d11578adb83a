"""Lint a site repository before it reaches a host (``ecs-field lint``).

``lint(root, subpath, inventory)`` loads the manifests (see manifests.py), runs every rule
family in ``rules/`` and returns the findings in a stable order (file, line, severity, rule),
so two runs over the same tree print the same report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_field.hardware.inventory import Inventory
from ecs_field.sites.findings import SEVERITIES, Finding
from ecs_field.sites.lint.rules import RULE_FAMILIES
from ecs_field.sites.lint.rules.base import LintContext
from ecs_field.sites.repo.manifests import ManifestSet, load_manifests


@dataclass
class LintReport:
    root: str
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0
    files: int = 0
    inventory_used: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The ``lint --json`` document (DESIGN.md section 4)."""
        return {"findings": [f.to_dict() for f in self.findings], "counts": self.counts}


def lint(
    root: Path,
    subpath: str | None = None,
    inventory: Inventory | None = None,
    manifests: ManifestSet | None = None,
) -> LintReport:
    """Lint the manifests under ``root/subpath``; ``inventory`` adds the hardware-fit checks.

    Raises BadInput only when the folder cannot be read at all; everything inside it becomes
    a finding.
    """
    ms = manifests if manifests is not None else load_manifests(Path(root), subpath)
    ctx = LintContext(ms, inventory)
    found: set[Finding] = set()
    for check in RULE_FAMILIES.values():
        found.update(check(ctx))
    return LintReport(
        root=str(root),
        findings=sorted(found, key=Finding.sort_key),
        objects=len(ms.objects),
        files=len(ms.files),
        inventory_used=inventory is not None,
    )
