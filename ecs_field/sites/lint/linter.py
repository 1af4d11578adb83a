"""Lint a site repository before it reaches a host (``ecs-field lint``).

``lint(root, subpath, inventory)`` reads the repository as Flux applies it (tree.py: what may be
read; flux.py + kustomize.py: the applied sets), runs every rule family in ``rules/`` over the
applied objects and returns the findings in a stable order (file, line, severity, rule), so two
runs over the same tree print the same report. The CLI keeps each report in the app's cache
folder keyed by the tree's commit and file stamps (cache.py, commands/lint.py).
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecs_field.errors import BadInput
from ecs_field.sites.findings import SEVERITIES, Finding
from ecs_field.sites.lint.flux import AppliedModel, build_model
from ecs_field.sites.lint.rules import RULE_FAMILIES
from ecs_field.sites.lint.rules.base import LintContext
from ecs_field.sites.lint.tree import Tree, open_tree
from ecs_field.sites.repo.manifests import ManifestSet

if TYPE_CHECKING:  # the inventory model is only needed when a box is given (a cold start pays ~5 ms)
    from ecs_field.hardware.inventory import Inventory


@dataclass
class LintReport:
    root: str
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0
    files: int = 0
    inventory_used: bool = False
    applied: list[dict[str, Any]] = field(default_factory=list)  # the applied sets, in apply order

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
        """The ``lint --json`` document (DESIGN.md section 4; ``applied`` is an added field)."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "counts": self.counts,
            "applied": self.applied,
        }


def site_path(subpath: str | None, tree: Tree) -> str:
    """The site's ``--path`` as a folder of the tree ("" = root); BadInput when it is not one."""
    if not subpath or subpath.strip() in (".", "./", "/", ""):
        return ""
    parts = [p for p in subpath.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts or subpath.startswith("/"):
        raise BadInput(
            f"path {subpath!r} leaves the repository", "Give a path inside the repository, like ./sites/a."
        )
    rel = "/".join(parts)
    if not tree.is_dir(rel):
        raise BadInput(
            f"{rel}: no such folder in the repository {tree.label}",
            "Check the site's --path (it is relative to the repository root).",
        )
    return rel


def origin_url(root: Path, bare: bool) -> str:
    """The ``origin`` remote's URL from the repository's config, "" when there is none."""
    config = root / "config" if bare else root / ".git" / "config"
    try:
        text = config.read_text(errors="replace") if config.is_file() else ""
    except OSError:
        return ""
    match = re.search(r'\[remote "origin"\][^\[]*?^\s*url\s*=\s*(\S+)', text, re.M | re.S)
    return match.group(1) if match else ""


def lint(
    root: Path,
    subpath: str | None = None,
    inventory: Inventory | None = None,
    manifests: ManifestSet | None = None,
    *,
    tree: Tree | None = None,
) -> LintReport:
    """Lint the repository at ``root`` for a site that syncs ``subpath``; ``inventory`` adds the
    hardware-fit checks.

    Raises BadInput only when the repository cannot be read at all (not a folder, a FIFO or
    device, a bare repository without commits, a path outside it); everything inside it becomes
    a finding.
    """
    # Lint builds hundreds of thousands of small dicts and lists and frees none of them until the end:
    # the cyclic collector would walk that growing heap again and again (~10% of a cold lint, a third
    # of 20 MB of tiny manifests) to find nothing, since the loader makes no reference cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint(root, subpath, inventory, tree)
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                # What lint allocated is still counted as young: the first allocation after enable()
                # would walk all of it (~1 s after 20 MB of tiny manifests, a few ms after 2,000).
                # freeze() then unfreeze() moves it to the oldest generation in one step, where it
                # is collected like any long-lived data. Not when the process froze objects itself
                # (the GUI at start): unfreeze() would hand those back to the collector.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _lint(root: Path, subpath: str | None, inventory: Inventory | None, tree: Tree | None) -> LintReport:
    root = Path(root)
    tree = tree if tree is not None else open_tree(root)
    path = site_path(subpath, tree)
    model = build_model(tree, path, origin_url(root, tree.bare))
    ms = ManifestSet(root=root, subpath=subpath)
    ms.objects = sorted(model.objects, key=lambda o: (o.file, o.line, o.name))
    ms.files = sorted({f for s in model.sets for f in s.files})
    ctx = LintContext(ms, inventory)
    found: set[Finding] = set(model.findings)
    found.update(tree_findings(tree, path, model))
    found.update(_run_rules(ctx, len(ms.objects)))
    return LintReport(
        root=str(root),
        findings=sorted({_clip(f) for f in found}, key=Finding.sort_key),
        objects=len(ms.objects),
        files=len(ms.files),
        inventory_used=inventory is not None,
        applied=[s.to_dict() for s in model.sets],
    )


# Families run in a forked child when the tree is big (forked.py): the slowest, schema validation
# there; the others here meanwhile. Each is a function of the context alone.
FORKED_FAMILIES = ("schemas",)
FORK_MIN_OBJECTS = 20_000  # below this the fork and its page copies cost more than they save


def _run_rules(ctx: LintContext, objects: int) -> set[Finding]:
    if objects >= FORK_MIN_OBJECTS:
        from ecs_field.sites.lint import forked  # a big tree only: pickle and the rest not imported

        if forked.usable():
            there = [RULE_FAMILIES[name] for name in FORKED_FAMILIES]
            here = [check for name, check in RULE_FAMILIES.items() if name not in FORKED_FAMILIES]
            return forked.run_families(ctx, here, there)
    found: set[Finding] = set()
    for check in RULE_FAMILIES.values():
        found.update(check(ctx))
    return found


_MAX_TEXT = 400


def _clip(finding: Finding) -> Finding:
    """Findings quote values from the repository; a 4,000-character value is not worth printing."""
    if (
        len(finding.message) <= _MAX_TEXT
        and len(finding.hint) <= _MAX_TEXT
        and len(finding.object) <= _MAX_TEXT
    ):
        return finding
    return replace(
        finding,
        message=_cut(finding.message),
        hint=_cut(finding.hint),
        object=_cut(finding.object),
    )


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else f"{text[: _MAX_TEXT - 40]}... ({len(text):,} characters)"


def tree_findings(tree: Tree, path: str, model: AppliedModel) -> list[Finding]:
    """Symlinks leaving the repository and special files, under the paths lint reads."""
    scopes = {path} | {s.path for s in model.sets}
    out = []
    for rel, entry in tree.entries.items():
        if not any(scope == "" or rel.startswith(scope + "/") for scope in scopes):
            continue
        if entry.kind == "symlink" and not entry.inside:
            out.append(
                Finding(
                    "error",
                    "symlink-outside",
                    rel,
                    0,
                    "",
                    f"symlink to {entry.target!r} leaves the repository; not followed, target not opened",
                    "Flux only reads the repository; copy the file into it or remove the link.",
                )
            )
        elif entry.kind == "special" and rel.lower().endswith((".yaml", ".yml")):
            out.append(
                Finding(
                    "error",
                    "file-unreadable",
                    rel,
                    0,
                    "",
                    "not a regular file (FIFO, socket, device or submodule); not opened",
                    "Replace it with a regular file or remove it.",
                )
            )
    return out
