"""Lint rule families, one module each; every module exposes ``check(ctx) -> Iterable[Finding]``.

structure: what Kubernetes or the host rejects outright; references: names that must exist;
hardware: the configuration against the box (with an inventory); safety: stranding the host,
leaking passwords. Facts the rules compare against live in ``known``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.rules import hardware, references, safety, structure, workloads
from ecs_field.sites.lint.rules.base import LintContext


def _schemas(ctx: LintContext) -> Iterable[Finding]:
    from ecs_field.sites.lint import schemas  # imports rules.base: loaded after this package

    return schemas.check(ctx)


Rule = Callable[[LintContext], Iterable[Finding]]

RULE_FAMILIES: dict[str, Rule] = {
    "structure": structure.check,
    "references": references.check,
    "hardware": hardware.check,
    "safety": safety.check,
    "workloads": workloads.check,
    "schemas": _schemas,
}
