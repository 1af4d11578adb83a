"""What one folder builds to, the way ``kustomize build`` (as kustomize-controller runs it) sees it.

A folder with a kustomization file (``kustomization.yaml``, ``kustomization.yml`` or
``Kustomization``) builds to its ``resources`` (files, and folders that have their own
kustomization file, recursively), then ``namespace`` and ``namePrefix``/``nameSuffix`` are set.
A folder without one is what Flux's kustomize-controller generates for a Kustomization's path:
every ``*.yaml``/``*.yml`` file below it, except that a subfolder holding a kustomization file is
built as one resource and not walked into.

Not done here (noted as findings so nobody thinks they were checked): patches are listed and their
files checked to exist but not applied; generators produce their ConfigMap/Secret without the hash
suffix; remote resources (URLs) are not fetched; ``helmCharts`` is an error because Flux builds
without ``--enable-helm``. Differences from kustomize are listed in the README notes.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ecs_field.sites.findings import Finding, Severity
from ecs_field.sites.lint.rules.known import CLUSTER_SCOPED_KINDS
from ecs_field.sites.lint.tree import Tree
from ecs_field.sites.repo import safe_yaml
from ecs_field.sites.repo.manifests import FileContent, K8sObject

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields of kustomize's Kustomization type (api/types/kustomization.go); kustomize refuses others.
KNOWN_FIELDS = frozenset(
    {
        "apiVersion",
        "kind",
        "metadata",
        "openapi",
        "namePrefix",
        "nameSuffix",
        "namespace",
        "commonLabels",
        "labels",
        "commonAnnotations",
        "patchesStrategicMerge",
        "patchesJson6902",
        "patches",
        "images",
        "imageTags",
        "replacements",
        "replicas",
        "vars",
        "sortOptions",
        "resources",
        "components",
        "crds",
        "bases",
        "configMapGenerator",
        "secretGenerator",
        "helmGlobals",
        "helmCharts",
        "helmChartInflationGenerator",
        "generatorOptions",
        "configurations",
        "generators",
        "transformers",
        "validators",
        "buildMetadata",
    }
)
# kustomize's prefix/suffix transformer leaves these kinds' names alone.
_NO_PREFIX_KINDS = frozenset({"CustomResourceDefinition", "APIService", "Namespace"})
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=", re.I)

Loader = Callable[[str], FileContent]


@dataclass
class Build:
    """The objects a folder builds to, the files it used, and what went wrong on the way."""

    objects: list[K8sObject] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # every file read (resources, kustomizations, patches)
    findings: list[Finding] = field(default_factory=list)
    kustomization: str = ""  # the kustomization file at the top, "" when Flux generates one

    def report(  # noqa: PLR0917 - a finding's fields, in Finding's order
        self, severity: Severity, rule: str, file: str, line: int, message: str, hint: str = ""
    ) -> None:
        """A finding about the kustomization ``file`` itself (no object)."""
        self.findings.append(Finding(severity, rule, file, line, "", message, hint))


def find_kustomization(tree: Tree, folder: str) -> str:
    for name in KUSTOMIZATION_NAMES:
        rel = f"{folder}/{name}" if folder else name
        entry = tree.entries.get(rel)
        if entry is not None and entry.kind in ("file", "symlink"):
            return rel
    return ""


def join(folder: str, ref: str) -> str | None:
    """``ref`` relative to ``folder``, normalised; None when it leaves the repository."""
    ref = ref.replace("\\", "/")
    if ref.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(folder, ref)) if folder else posixpath.normpath(ref)
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


class Builder:
    """Builds folders of one tree; results are cached per folder (a base used twice is built once)."""

    def __init__(self, tree: Tree, load: Loader) -> None:
        self.tree = tree
        self.load = load
        self._done: dict[tuple[str, bool], Build] = {}

    def build(self, folder: str, *, generate: bool = True) -> Build:
        """Build ``folder``; ``generate`` lets a folder without kustomization file be walked (Flux)."""
        return self._build(folder, generate, ())

    def _build(self, folder: str, generate: bool, stack: tuple[str, ...]) -> Build:
        key = (folder, generate)
        cached = self._done.get(key)
        if cached is not None:
            return cached
        kfile = find_kustomization(self.tree, folder)
        if kfile:
            result = self._kustomization(folder, kfile, (*stack, folder))
        elif generate:
            result = self._generated(folder, stack)
        else:
            result = Build()
        self._done[key] = result
        return result

    # -- a folder without kustomization file: what kustomize-controller generates ---------------------

    def _generated(self, folder: str, stack: tuple[str, ...]) -> Build:
        out = Build()
        pending = [folder]
        while pending:
            current = pending.pop()
            for child in self.tree.children(current):
                if self.tree.is_dir(child):
                    if find_kustomization(self.tree, child):
                        self._merge(out, self._build(child, False, (*stack, folder)))
                    else:
                        pending.append(child)
                    continue
                # Go's filepath.Ext is case-sensitive: "A.YAML" is not picked up by Flux.
                if not child.endswith((".yaml", ".yml")):
                    continue
                entry = self.tree.entries.get(child)
                if entry is None or entry.kind == "special" or (entry.kind == "symlink" and not entry.inside):
                    continue  # reported once by the linter's tree check; never opened
                self._add_file(out, child, generated=True)
        return out

    # -- a folder with a kustomization file ----------------------------------------------------------

    def _kustomization(self, folder: str, kfile: str, stack: tuple[str, ...]) -> Build:
        out = Build(kustomization=kfile)
        out.files.add(kfile)
        content = self.load(kfile)
        # apiVersion/kind are optional in a kustomization file: not "not an object" here.
        out.findings.extend(f for f in content.findings if f.rule != "not-an-object")
        doc = content.documents[0] if content.documents else None
        spec = doc.value if doc is not None else None
        if not isinstance(spec, dict):
            if doc is not None or not content.findings:
                out.report(
                    "error",
                    "kustomization-invalid",
                    kfile,
                    doc.line if doc else 0,
                    "kustomization file is not a mapping; kustomize cannot build this folder",
                )
            return out

        def line(*path: Any) -> int:
            return doc.line_of(*path) if doc is not None else 0

        for key in spec:
            if key not in KNOWN_FIELDS:
                out.report(
                    "error",
                    "kustomization-field",
                    kfile,
                    line(key),
                    f"unknown field {key!r} in the kustomization file; kustomize refuses to build",
                    "Check the spelling against the kustomize reference "
                    "(resources, namespace, patches, ...).",
                )
        for section in ("resources", "bases", "components"):
            entries = spec.get(section)
            if entries is None:
                continue
            if not isinstance(entries, list):
                out.report("error", "kustomization-field", kfile, line(section), f"{section} must be a list")
                continue
            for index, ref in enumerate(entries):
                self._resource(out, folder, kfile, section, index, ref, line(section, index), stack)
        self._referenced_files(out, folder, kfile, spec, line)
        self._generators(out, folder, kfile, spec, line)
        if spec.get("helmCharts") or spec.get("helmChartInflationGenerator"):
            out.report(
                "error",
                "kustomization-helm",
                kfile,
                line("helmCharts"),
                "helmCharts needs `kustomize build --enable-helm`, which Flux does not use; the build fails",
                "Use a Flux HelmRelease for the chart instead.",
            )
        for section in ("generators", "transformers", "validators", "replacements", "vars", "crds"):
            if spec.get(section):
                out.report(
                    "info",
                    "kustomization-not-checked",
                    kfile,
                    line(section),
                    f"{section} are not evaluated by ecs-field lint; objects are checked as written",
                )
        self._transform(out, spec, kfile, line)
        return out

    def _resource(  # noqa: PLR0917 - one entry of a kustomization list with its place
        self,
        out: Build,
        folder: str,
        kfile: str,
        section: str,
        index: int,
        ref: Any,
        at: int,
        stack: tuple[str, ...],
    ) -> None:
        if not isinstance(ref, str) or not ref.strip():
            out.report("error", "kustomization-field", kfile, at, f"{section}[{index}] must be a path")
            return
        if _REMOTE.search(ref):
            out.report(
                "info",
                "kustomization-remote",
                kfile,
                at,
                f"remote resource {ref!r} is not fetched; its objects are not checked",
            )
            return
        target = join(folder, ref)
        if target is None:
            out.report(
                "error",
                "kustomization-resource",
                kfile,
                at,
                f"resource {ref!r} leaves the repository; Flux cannot read it",
                "Flux builds from the repository only; keep resources inside it.",
            )
            return
        if self.tree.is_dir(target):
            if target in stack:
                out.report(
                    "error",
                    "kustomization-cycle",
                    kfile,
                    at,
                    f"resource {ref!r} includes a folder that includes this one (cycle)",
                )
                return
            if not find_kustomization(self.tree, target):
                out.report(
                    "error",
                    "kustomization-resource",
                    kfile,
                    at,
                    f"folder {ref!r} has no kustomization.yaml; kustomize refuses a folder without one",
                    "Add a kustomization.yaml listing its files, or list the files themselves.",
                )
                return
            self._merge(out, self._build(target, False, stack))
            return
        entry = self.tree.entries.get(target)
        if entry is None:
            out.report(
                "error",
                "kustomization-resource",
                kfile,
                at,
                f"resource {ref!r} does not exist; kustomize build fails, so Flux applies nothing here",
                "Fix the path, or remove the entry.",
            )
            return
        if entry.kind == "symlink" and not entry.inside:
            out.report(
                "error",
                "kustomization-resource",
                kfile,
                at,
                f"resource {ref!r} is a symlink out of the repository; not read",
            )
            return
        self._add_file(out, target, generated=False)

    def _add_file(self, out: Build, rel: str, *, generated: bool) -> None:
        out.files.add(rel)
        content = self.load(rel)
        for found in content.findings:
            finding = found
            if finding.rule == "not-an-object":
                # kustomize (and Flux's generator) decode every listed file as Kubernetes objects.
                why = "Flux's generated kustomization" if generated else "kustomize"
                finding = replace(
                    finding,
                    severity="error",
                    message=f"{finding.message}; {why} fails to decode it, so nothing in this set is applied",
                    hint="Move it out of the folder, or exclude it with a .sourceignore file.",
                )
            out.findings.append(finding)
        out.objects.extend(content.objects)

    def _referenced_files(
        self, out: Build, folder: str, kfile: str, spec: dict[str, Any], line: Callable[..., int]
    ) -> None:
        """Patch files: must exist; noted as not applied by lint."""
        refs: list[tuple[str, tuple[Any, ...]]] = []
        for index, item in enumerate(_as_list(spec.get("patchesStrategicMerge"))):
            if isinstance(item, str) and "\n" not in item:
                refs.append((item, ("patchesStrategicMerge", index)))
        for section in ("patches", "patchesJson6902"):
            for index, item in enumerate(_as_list(spec.get(section))):
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    refs.append((item["path"], (section, index, "path")))
        for ref, path in refs:
            target = join(folder, ref)
            if target is None or target not in self.tree.entries:
                out.report(
                    "error",
                    "kustomization-patch",
                    kfile,
                    line(*path),
                    f"patch file {ref!r} does not exist; kustomize build fails",
                )
            else:
                out.files.add(target)
        if any(spec.get(s) for s in ("patches", "patchesStrategicMerge", "patchesJson6902")):
            section = next(s for s in ("patches", "patchesStrategicMerge", "patchesJson6902") if spec.get(s))
            out.report(
                "info",
                "kustomization-patches",
                kfile,
                line(section),
                "patches are not applied by ecs-field lint: patched fields are checked as written",
            )

    def _generators(
        self, out: Build, folder: str, kfile: str, spec: dict[str, Any], line: Callable[..., int]
    ) -> None:
        for section, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for index, gen in enumerate(_as_list(spec.get(section))):
                if not isinstance(gen, dict) or not isinstance(gen.get("name"), str):
                    continue
                data: dict[str, str] = {}
                for literal in _as_list(gen.get("literals")):
                    if isinstance(literal, str) and "=" in literal:
                        k, _, v = literal.partition("=")
                        data[k] = v
                for sub in ("files", "envs"):
                    for j, item in enumerate(_as_list(gen.get(sub))):
                        if not isinstance(item, str):
                            continue
                        key, _, ref = item.rpartition("=") if "=" in item else ("", "", item)
                        target = join(folder, ref)
                        if target is None or target not in self.tree.entries:
                            out.report(
                                "error",
                                "kustomization-generator",
                                kfile,
                                line(section, index, sub, j),
                                f"{section} {gen['name']}: file {ref!r} does not exist; "
                                "kustomize build fails",
                            )
                            continue
                        out.files.add(target)
                        data[key or posixpath.basename(ref)] = ""
                namespace = gen.get("namespace")
                body: dict[str, Any] = {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": {"name": gen["name"], **({"namespace": namespace} if namespace else {})},
                    "data": data,
                    "x-generated": True,
                }
                out.objects.append(
                    K8sObject(
                        "v1",
                        kind,
                        gen["name"],
                        namespace if isinstance(namespace, str) else None,
                        body,
                        kfile,
                        line(section, index),
                    )
                )

    def _transform(self, out: Build, spec: dict[str, Any], kfile: str, line: Callable[..., int]) -> None:
        namespace = spec.get("namespace")
        prefix = spec.get("namePrefix")
        suffix = spec.get("nameSuffix")
        out.objects = transform(
            out.objects,
            namespace if isinstance(namespace, str) else "",
            prefix if isinstance(prefix, str) else "",
            suffix if isinstance(suffix, str) else "",
        )

    @staticmethod
    def _merge(out: Build, inner: Build) -> None:
        out.objects.extend(inner.objects)
        out.files |= inner.files
        out.findings.extend(inner.findings)


def transform(objects: list[K8sObject], namespace: str, prefix: str, suffix: str) -> list[K8sObject]:
    """Objects as applied after a namespace and name prefix/suffix (the originals stay untouched)."""
    if not (namespace or prefix or suffix):
        return objects
    out = []
    for obj in objects:
        changes: dict[str, Any] = {}
        if namespace and obj.kind not in CLUSTER_SCOPED_KINDS and obj.namespace != namespace:
            changes["namespace"] = namespace
        if (prefix or suffix) and obj.name and obj.kind not in _NO_PREFIX_KINDS:
            changes["name"] = f"{prefix}{obj.name}{suffix}"
        out.append(replace(obj, **changes) if changes else obj)
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_yaml_name(rel: str) -> bool:
    return rel.lower().endswith((".yaml", ".yml"))


__all__ = ["KUSTOMIZATION_NAMES", "Build", "Builder", "find_kustomization", "join", "safe_yaml", "transform"]
