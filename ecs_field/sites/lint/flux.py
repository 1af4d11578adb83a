"""The applied-set model: which objects each Flux Kustomization applies, and who owns what.

Flux applies a repository through Kustomizations: each builds its ``spec.path`` (see kustomize.py),
sets ``targetNamespace`` and runs ``postBuild`` substitution, then applies the result. Lint judges
the repository the same way, one applied set at a time, instead of every YAML file at once:

- The site's path (``sites add --path``, default the root) is the first set. When a Flux
  Kustomization in the repository points at the same path (flux bootstrap's ``flux-system``), the
  set carries its name and settings.
- Every Flux Kustomization found in an applied set whose source is this repository adds the set of
  its path, recursively. Its source is this repository when it is the GitRepository of the
  Kustomization that applied it, is named ``flux-system``, or is not defined in the repository (ECS
  creates it on the host); a GitRepository of the repository with another URL, an OCIRepository
  or a Bucket is another source and is not read.
- Linting a repository root that has no kustomization file while its Kustomizations all point
  elsewhere (a multi-cluster bootstrap repo: ``clusters/a``, ``clusters/b``) starts from every
  Kustomization that no other Kustomization applies: each is a cluster of its own, and the same
  object in two clusters is not a conflict.

Judged here: duplicates inside a set, an object applied by two Kustomizations of one cluster,
files no set applies (one info each), a Kustomization path missing in this repository,
``dependsOn`` (missing, cycles; the order is reported), ``postBuild`` variables left unresolved,
HelmRelease chart sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.kustomize import Builder, find_kustomization, is_yaml_name, transform
from ecs_field.sites.lint.prefetch import prefetch
from ecs_field.sites.lint.rules.known import CLUSTER_SCOPED_KINDS
from ecs_field.sites.lint.tree import Tree
from ecs_field.sites.repo.manifests import (
    FLUX_KUSTOMIZE_GROUP,
    FLUX_SOURCE_GROUP,
    FileContent,
    K8sObject,
    parse_file,
)

HELM_GROUP = "helm.toolkit.fluxcd.io"
_VAR = re.compile(r"(?<!\$)\$\{([^}]*)\}")
_VAR_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_SUBSTITUTE_OFF = "kustomize.toolkit.fluxcd.io/substitute"


@dataclass
class AppliedSet:
    """What one Flux Kustomization (or the site path without one) applies."""

    name: str  # "Kustomization/flux-system/apps", or "path ./sites/a" without a Kustomization
    path: str  # folder relative to the repository root, "" for the root
    owner: K8sObject | None
    cluster: str  # name of the set this one was reached from first (the top of its tree)
    objects: list[K8sObject] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    depends_on: list[str] = field(default_factory=list)
    kustomization_file: str = ""  # "" when Flux generates the kustomization

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": "./" + self.path if self.path else "./",
            "cluster": self.cluster,
            "kustomization_file": self.kustomization_file,
            "generated": not self.kustomization_file,
            "depends_on": self.depends_on,
            "objects": len(self.objects),
            "files": len(self.files),
        }


@dataclass
class AppliedModel:
    sets: list[AppliedSet] = field(default_factory=list)  # in the order Flux applies them
    findings: list[Finding] = field(default_factory=list)
    files_read: set[str] = field(default_factory=set)
    contents: dict[str, FileContent] = field(default_factory=dict)

    @property
    def objects(self) -> list[K8sObject]:
        """Every applied object once (the same file applied twice counts once)."""
        seen: set[tuple[str, int, tuple[Any, ...], str, str]] = set()
        out: list[K8sObject] = []
        for s in self.sets:
            for obj in s.objects:
                key = (obj.file, obj.doc_index, obj.prefix, obj.name, obj.namespace or "")
                if key not in seen:
                    seen.add(key)
                    out.append(obj)
        return out


def object_key(obj: K8sObject) -> tuple[str, str, str, str]:
    """Identity as the API server sees it; no namespace means "default" for namespaced kinds."""
    namespace = "" if obj.kind in CLUSTER_SCOPED_KINDS else (obj.namespace or "default")
    return (obj.group, obj.kind, namespace, obj.name)


def _norm_path(value: str) -> str | None:
    parts = PurePosixPath(value.replace("\\", "/")).parts
    rel = [p for p in parts if p not in (".", "/")]
    if ".." in rel:
        return None
    return "/".join(rel)


class _Model:
    def __init__(self, tree: Tree, site_path: str, origin_url: str) -> None:
        self.tree = tree
        self.site_path = site_path
        self.origin = _norm_url(origin_url)
        self.model = AppliedModel()
        self.builder = Builder(tree, self._load)
        self.by_owner: dict[tuple[str, str, str], AppliedSet] = {}  # (cluster, namespace, name)
        self.prefetched: dict[str, FileContent] = {}

    def _load(self, rel: str) -> FileContent:
        content = self.model.contents.get(rel)
        if content is None:
            content = self.prefetched.pop(rel, None)
            if content is None:
                content = parse_file(rel, self.tree.read(rel))
            self.model.contents[rel] = content
            self.model.files_read.add(rel)
        return content

    # -- building ------------------------------------------------------------------------------------

    def run(self) -> AppliedModel:
        all_flux = self._all_flux_kustomizations()
        root_has_ks = any(_norm_path(_spec_path(k)) == self.site_path for k in all_flux)
        if self.site_path == "" and all_flux and not root_has_ks and not find_kustomization(self.tree, ""):
            self._multi_cluster(all_flux)
        else:
            owner = next((k for k in all_flux if _norm_path(_spec_path(k)) == self.site_path), None)
            self._walk(self._new_set(self.site_path, owner, None, None))
        self._judge()
        return self.model

    def _all_flux_kustomizations(self) -> list[K8sObject]:
        found: list[K8sObject] = []
        # Every YAML file is read here: a big tree's are parsed on all CPUs first (prefetch.py).
        self.prefetched = prefetch(
            ((rel, e.size) for rel, e in self.tree.entries.items() if e.kind == "file" and is_yaml_name(rel)),
            self.tree.read,
        )
        for rel, entry in self.tree.entries.items():
            if entry.kind == "file" and is_yaml_name(rel):
                data = self._load(rel)
                found += [o for o in data.objects if o.is_a("Kustomization", FLUX_KUSTOMIZE_GROUP)]
        return found

    def _multi_cluster(self, all_flux: list[K8sObject]) -> None:
        # Build each Kustomization's set once; a Kustomization applied by another one is not a top.
        built = {
            id(k): self.builder.build(p)
            if (p := _norm_path(_spec_path(k))) is not None and self.tree.is_dir(p)
            else None
            for k in all_flux
        }
        applied_by_other: set[int] = set()
        for k in all_flux:
            b = built[id(k)]
            if b is None:
                continue
            inside = {(o.file, o.doc_index) for o in b.objects}
            for other in all_flux:
                if other is not k and (other.file, other.doc_index) in inside:
                    applied_by_other.add(id(other))
        tops = [k for k in all_flux if id(k) not in applied_by_other] or all_flux
        usable = [
            k
            for k in sorted(tops, key=lambda o: (o.file, o.line))
            if (p := _norm_path(_spec_path(k))) is not None
            and self.tree.is_dir(p)
            and self._is_this_repo(k, None)
        ]
        if not usable:
            # No cluster entry Flux could build: read the root as one generated path, as Flux would if
            # the host syncs it; the Kustomizations in it then report their own problems.
            self._walk(self._new_set("", None, None, None))
            return
        for k in usable:
            where = (k.file, k.doc_index, k.prefix)
            if any(
                s.owner is not None and (s.owner.file, s.owner.doc_index, s.owner.prefix) == where
                for s in self.model.sets
            ):
                continue  # already applied as part of an earlier cluster's tree
            path = _norm_path(_spec_path(k))
            assert path is not None
            self._walk(self._new_set(path, k, None, None))

    def _new_set(
        self, path: str, owner: K8sObject | None, cluster: str | None, parent: K8sObject | None
    ) -> AppliedSet:
        name = f"Kustomization/{owner.namespace or 'default'}/{owner.name}" if owner else f"path ./{path}"
        build = self.builder.build(path)
        objects = build.objects
        if owner is not None:
            target_ns = owner.get("spec", "targetNamespace")
            prefix = owner.get("spec", "namePrefix")
            suffix = owner.get("spec", "nameSuffix")
            objects = transform(
                objects,
                target_ns if isinstance(target_ns, str) else "",
                prefix if isinstance(prefix, str) else "",
                suffix if isinstance(suffix, str) else "",
            )
        applied = AppliedSet(
            name=name,
            path=path,
            owner=owner,
            cluster=cluster or f"{name}@./{path}",
            objects=objects,
            files=set(build.files),
            depends_on=_depends_on(owner),
            kustomization_file=build.kustomization,
        )
        self.model.findings.extend(build.findings)
        if owner is not None:
            self.by_owner[(applied.cluster, owner.namespace or "", owner.name)] = applied
        self.model.sets.append(applied)
        return applied

    def _walk(self, first: AppliedSet) -> None:
        queue = [first]
        while queue:
            current = queue.pop(0)
            for obj in current.objects:
                if not obj.is_a("Kustomization", FLUX_KUSTOMIZE_GROUP):
                    continue
                if (current.cluster, obj.namespace or "", obj.name) in self.by_owner:
                    continue
                child = self._child(obj, current)
                if child is not None:
                    queue.append(child)

    def _child(self, ks: K8sObject, parent: AppliedSet) -> AppliedSet | None:
        raw = _spec_path(ks)
        line = ks.line_of("spec", "path")
        if not self._is_this_repo(ks, parent.owner):
            self.model.findings.append(
                Finding(
                    "info",
                    "flux-other-source",
                    ks.file,
                    ks.line_of("spec", "sourceRef"),
                    ks.ref,
                    f"applies {raw or './'} from {_source_label(ks)}, another source; not read by lint",
                )
            )
            self.by_owner[(parent.cluster, ks.namespace or "", ks.name)] = AppliedSet(
                ks.ref, raw, ks, parent.cluster
            )
            return None
        path = _norm_path(raw)
        if path is None:
            self.model.findings.append(
                Finding("error", "flux-path", ks.file, line, ks.ref, f"path {raw!r} leaves the repository")
            )
            return None
        if not self.tree.is_dir(path):
            self.model.findings.append(
                Finding(
                    "error",
                    "flux-path",
                    ks.file,
                    line,
                    ks.ref,
                    f"path {raw!r} does not exist in this repository, which is the Kustomization's source; "
                    "Flux fails with 'kustomization path not found'",
                    "Fix spec.path (it is relative to the repository root), or add the folder.",
                )
            )
            return None
        if path == parent.path and parent.owner is None:
            # The site path applied by the Kustomization that lives in it: the same set.
            parent.owner = ks
            parent.name = f"Kustomization/{ks.namespace or 'default'}/{ks.name}"
            self.by_owner[(parent.cluster, ks.namespace or "", ks.name)] = parent
            return None
        return self._new_set(path, ks, parent.cluster, parent.owner)

    def _is_this_repo(self, ks: K8sObject, parent: K8sObject | None) -> bool:
        kind = ks.get("spec", "sourceRef", "kind")
        name = ks.get("spec", "sourceRef", "name")
        if kind != "GitRepository" or not isinstance(name, str):
            return kind is None and name is None  # no sourceRef: flux-source-missing says so
        namespace = ks.get("spec", "sourceRef", "namespace") or ks.namespace or "default"
        if (
            parent is not None
            and parent.get("spec", "sourceRef", "name") == name
            and (parent.get("spec", "sourceRef", "namespace") or parent.namespace or "default") == namespace
        ):
            return True
        if name == "flux-system":
            return True
        repos = [
            o
            for c in self.model.contents.values()
            for o in c.objects
            if o.is_a("GitRepository", FLUX_SOURCE_GROUP)
            and o.name == name
            and (o.namespace or "default") == namespace
        ]
        if not repos:
            return True
        url = repos[0].get("spec", "url")
        return bool(self.origin) and isinstance(url, str) and _norm_url(url) == self.origin

    # -- judging ---------------------------------------------------------------------------------------

    def _judge(self) -> None:
        self.model.sets = _ordered(self.model.sets, self.model.findings)
        findings = self.model.findings
        owners: dict[tuple[str, tuple[str, str, str, str]], tuple[AppliedSet, K8sObject]] = {}
        for s in self.model.sets:
            seen: dict[tuple[str, str, str, str], K8sObject] = {}
            for obj in s.objects:
                if not obj.kind or not obj.name:
                    continue
                key = object_key(obj)
                first = seen.get(key)
                if first is not None:
                    if (first.file, first.doc_index, first.prefix) != (obj.file, obj.doc_index, obj.prefix):
                        findings.append(
                            Finding(
                                "error",
                                "duplicate-object",
                                obj.file,
                                obj.line,
                                obj.ref,
                                f"{obj.ref} in {s.name} is already defined at {first.file}:{first.line}",
                                "kustomize refuses to build a set with the same object twice, so Flux "
                                "applies nothing of it; delete or rename one of them.",
                            )
                        )
                    continue
                seen[key] = obj
                owned = owners.get((s.cluster, key))
                if owned is None:
                    owners[(s.cluster, key)] = (s, obj)
                elif owned[0] is not s:
                    findings.append(
                        Finding(
                            "error",
                            "owned-twice",
                            obj.file,
                            obj.line,
                            obj.ref,
                            f"{obj.ref} is applied by both {owned[0].name} ({owned[1].file}:{owned[1].line}) "
                            f"and {s.name}",
                            "Two Kustomizations fight over it and one may prune it; keep it in one path.",
                        )
                    )
            if s.owner is not None:
                findings.extend(_postbuild(s, self.model))
        findings.extend(_helm_sources(self.model))
        findings.extend(self._not_applied())

    def _not_applied(self) -> Iterator[Finding]:
        used: set[str] = set()
        scopes = {self.site_path}
        for s in self.model.sets:
            used |= s.files
            scopes.add(s.path)
        for rel, entry in sorted(self.tree.entries.items()):
            if not is_yaml_name(rel) or rel in used or entry.kind == "special":
                continue
            if not any(scope == "" or rel.startswith(scope + "/") for scope in scopes):
                continue
            if entry.kind == "symlink" and not entry.inside:
                continue  # reported by the tree check, never opened
            yield Finding(
                "info",
                "not-applied",
                rel,
                0,
                "",
                "no applied set includes this file: Flux never applies it, so it is not checked",
                "List it in a kustomization.yaml, move it under a Kustomization's path, or delete it.",
            )


def build_model(tree: Tree, site_path: str = "", origin_url: str = "") -> AppliedModel:
    """The applied sets of ``tree`` for a site that syncs ``site_path`` ("" = the root)."""
    return _Model(tree, site_path, origin_url).run()


# ---------------------------------------------------------------------------------------------- helpers


def _spec_path(ks: K8sObject) -> str:
    value = ks.get("spec", "path")
    return value if isinstance(value, str) else ""


def _source_label(ks: K8sObject) -> str:
    kind = ks.get("spec", "sourceRef", "kind")
    name = ks.get("spec", "sourceRef", "name")
    return f"{kind}/{name}"


def _norm_url(url: str) -> str:
    url = url.strip().lower()
    url = re.sub(r"^[a-z+]+://", "", url)
    url = re.sub(r"^[^@/]+@", "", url)  # user@ / git@
    url = url.replace(":", "/").rstrip("/")
    return url.removesuffix(".git")


def _depends_on(owner: K8sObject | None) -> list[str]:
    if owner is None:
        return []
    out = []
    for dep in owner.get("spec", "dependsOn", default=[]) or []:
        if isinstance(dep, dict) and isinstance(dep.get("name"), str):
            ns = (
                dep.get("namespace")
                if isinstance(dep.get("namespace"), str)
                else owner.namespace or "default"
            )
            out.append(f"Kustomization/{ns}/{dep['name']}")
    return out


def _ordered(sets: list[AppliedSet], findings: list[Finding]) -> list[AppliedSet]:
    """Sets in dependsOn order within each cluster (Kahn's algorithm, ties by discovery order);
    cycles are errors."""
    out: list[AppliedSet] = []
    for cluster in dict.fromkeys(s.cluster for s in sets):
        out += _ordered_cluster([s for s in sets if s.cluster == cluster], findings)
    return out


def _ordered_cluster(sets: list[AppliedSet], findings: list[Finding]) -> list[AppliedSet]:
    by_name = {s.name: s for s in sets}
    waiting = {s.name: [d for d in s.depends_on if d in by_name] for s in sets}
    for s in sets:
        for dep in s.depends_on:
            if dep not in by_name and s.owner is not None:
                findings.append(
                    Finding(
                        "warning",
                        "flux-depends-on",
                        s.owner.file,
                        s.owner.line_of("spec", "dependsOn"),
                        s.owner.ref,
                        f"dependsOn {dep} is not applied from this repository",
                        "Fine if it is created on the host; otherwise this Kustomization waits forever "
                        "(DependencyNotReady).",
                    )
                )
    done: list[AppliedSet] = []
    placed: set[str] = set()
    while len(done) < len(sets):
        ready = [s for s in sets if s.name not in placed and all(d in placed for d in waiting[s.name])]
        if not ready:
            stuck = [s for s in sets if s.name not in placed]
            for s in stuck:
                if s.owner is not None:
                    findings.append(
                        Finding(
                            "error",
                            "flux-depends-on",
                            s.owner.file,
                            s.owner.line_of("spec", "dependsOn"),
                            s.owner.ref,
                            "dependsOn forms a cycle: " + " -> ".join(x.name for x in stuck),
                            "Flux never applies a Kustomization waiting on itself; break the cycle.",
                        )
                    )
            done += stuck
            break
        for s in ready:
            placed.add(s.name)
            done.append(s)
    return done


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    stack: list[tuple[tuple[Any, ...], Any]] = [(path, value)]
    while stack:
        p, v = stack.pop()
        if isinstance(v, str):
            yield p, v
        elif isinstance(v, dict):
            for k, item in v.items():
                if isinstance(k, str) and "${" in k:
                    yield (*p, k), k
                stack.append(((*p, k), item))
        elif isinstance(v, list):
            stack.extend(((*p, i), item) for i, item in enumerate(v))


def _postbuild(s: AppliedSet, model: AppliedModel) -> Iterator[Finding]:
    owner = s.owner
    assert owner is not None
    post = owner.get("spec", "postBuild")
    if not isinstance(post, dict):
        return
    known: set[str] = set()
    substitute = post.get("substitute")
    if isinstance(substitute, dict):
        known |= {str(k) for k in substitute}
    unknown_sources: list[str] = []
    namespace = owner.namespace or "default"
    everything = [o for x in model.sets for o in x.objects]
    for ref in post.get("substituteFrom") or []:
        if not isinstance(ref, dict):
            continue
        kind, name = ref.get("kind"), ref.get("name")
        match = next(
            (
                o
                for o in everything
                if o.kind == kind and o.name == name and (o.namespace or "default") == namespace
            ),
            None,
        )
        if match is None:
            if ref.get("optional") is not True:
                unknown_sources.append(f"{kind}/{name}")
            continue
        for section in ("data", "stringData"):
            values = match.get(section)
            if isinstance(values, dict):
                known |= {str(k) for k in values}
    if unknown_sources:
        yield Finding(
            "info",
            "flux-substitute-unchecked",
            owner.file,
            owner.line_of("spec", "postBuild"),
            owner.ref,
            f"substituteFrom {', '.join(unknown_sources)} is not in the repository; "
            "variables are not checked",
        )
        return
    for obj in s.objects:
        annotations = obj.get("metadata", "annotations")
        if isinstance(annotations, dict) and annotations.get(_SUBSTITUTE_OFF) == "disabled":
            continue
        reported: set[str] = set()
        for path, text in _strings(obj.body):
            if "${" not in text:
                continue
            for found in _VAR.finditer(text):
                expr = found.group(1)
                name = re.split(r":?[-=+?]", expr, maxsplit=1)[0]
                has_default = len(name) != len(expr)
                if not _VAR_NAME.match(name):
                    continue
                if has_default or name in known or name in reported:
                    continue
                reported.add(name)
                yield Finding(
                    "warning",
                    "flux-var-unresolved",
                    obj.file,
                    obj.line_of(*path),
                    obj.ref,
                    f"${{{name}}} is not set by {owner.ref} postBuild (substitute/substituteFrom); "
                    "Flux replaces it with an empty string",
                    "Add the variable to postBuild.substitute, give it a default (${VAR:=value}), or escape "
                    "it as $${VAR}.",
                )


def _helm_sources(model: AppliedModel) -> Iterator[Finding]:
    for s in model.sets:
        in_cluster = [o for x in model.sets if x.cluster == s.cluster for o in x.objects]
        for hr in s.objects:
            if not hr.is_a("HelmRelease", HELM_GROUP):
                continue
            ref = hr.get("spec", "chart", "spec", "sourceRef")
            path: tuple[Any, ...] = ("spec", "chart", "spec", "sourceRef")
            if not isinstance(ref, dict):
                ref = hr.get("spec", "chartRef")
                path = ("spec", "chartRef")
            if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
                continue
            kind, name = ref.get("kind"), ref["name"]
            namespace = ref.get("namespace") or hr.namespace or "default"
            label = f"{kind}/{namespace}/{name}"

            def matches(o: K8sObject, kind: Any = kind, name: str = name, namespace: str = namespace) -> bool:
                return o.kind == kind and o.name == name and (o.namespace or "default") == namespace

            if any(matches(o) for o in in_cluster):
                continue
            in_repo = [o for c in model.contents.values() for o in c.objects if matches(o)]
            if in_repo:
                where = in_repo[0]
                yield Finding(
                    "error",
                    "helm-source-missing",
                    hr.file,
                    hr.line_of(*path),
                    hr.ref,
                    f"chart source {label} is defined in {where.file}:{where.line} "
                    "but no applied set includes it; "
                    "the HelmRelease fails (source not found)",
                    "Move the source into a path a Kustomization applies (usually infrastructure/sources).",
                )
            else:
                yield Finding(
                    "warning",
                    "helm-source-outside",
                    hr.file,
                    hr.line_of(*path),
                    hr.ref,
                    f"chart source {label} is not defined in this repository",
                    "Fine if it is created on the host or by another repository; otherwise add it.",
                )
