"""Workloads and secrets: what runs, with what rights, and what a reader of the repository learns.

- An image with ``:latest`` or no tag (warning): the host pulls whatever the tag means that day,
  and a rollback to the same manifest is not a rollback.
- A Secret with ``data``/``stringData`` that is not SOPS-encrypted (warning): anyone who can read
  the repository reads it. Literal env values and ConfigMap keys named like password/token/secret
  (warning). Values are never printed, only where they are.
- Privileged containers and hostPath volumes (info): legitimate on an edge host, worth knowing.
- Bindings to ``cluster-admin`` (info).
- The same hostPath used by two PersistentVolumes (warning): two claims then share one folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.rules.base import LintContext, at
from ecs_field.sites.repo.manifests import K8sObject

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_SECRET_NAME = re.compile(
    r"pass(word|wd)?$|passwd|password|pwd$|token|secret|api[_-]?key|private[_-]?key|credential",
    re.IGNORECASE,
)
_RBAC = "rbac.authorization.k8s.io"


def check(ctx: LintContext) -> Iterator[Finding]:
    pv_paths: dict[str, K8sObject] = {}
    for obj in ctx.manifests.objects:
        spec_path = POD_SPEC_PATHS.get(obj.kind)
        if spec_path is not None and obj.group in ("", "apps", "batch"):
            yield from _pod(obj, spec_path)
        elif obj.kind == "Secret" and obj.group == "":
            yield from _secret(obj)
        elif obj.kind == "ConfigMap" and obj.group == "":
            yield from _config_map(obj)
        elif obj.kind in ("ClusterRoleBinding", "RoleBinding") and obj.group == _RBAC:
            yield from _binding(obj)
        elif obj.kind == "PersistentVolume" and obj.group == "":
            path = obj.get("spec", "hostPath", "path")
            if isinstance(path, str) and path:
                key = path.rstrip("/") or "/"
                first = pv_paths.get(key)
                if first is None:
                    pv_paths[key] = obj
                elif first.ref != obj.ref:
                    yield at(
                        "warning",
                        "pv-hostpath-shared",
                        obj,
                        obj.line_of("spec", "hostPath", "path"),
                        f"hostPath {path} is also used by {first.ref} ({first.file}:{first.line})",
                        "Two PersistentVolumes on one folder let two claims overwrite each other's data; "
                        "give each its own path.",
                    )


def _image_problem(image: str) -> str | None:
    if "@" in image:
        return None  # pinned by digest
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag (Kubernetes pulls :latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the :latest tag"
    return None


def _pod(obj: K8sObject, spec_path: tuple[str, ...]) -> Iterator[Finding]:
    spec = obj.get(*spec_path)
    if not isinstance(spec, dict):
        return
    for section in _CONTAINER_LISTS:
        containers = spec.get(section)
        if not isinstance(containers, list):
            continue
        for i, container in enumerate(containers):
            if not isinstance(container, dict):
                continue
            where = (*spec_path, section, i)
            name = container.get("name") if isinstance(container.get("name"), str) else f"#{i + 1}"
            image = container.get("image")
            if isinstance(image, str) and image and "${" not in image:
                problem = _image_problem(image)
                if problem:
                    yield at(
                        "warning",
                        "image-tag",
                        obj,
                        obj.line_of(*where, "image"),
                        f"container {name}: image {image} {problem}",
                        "Pin a version tag (or a digest) so every host runs the same image and a revert "
                        "really reverts.",
                    )
            if obj.get(*where, "securityContext", "privileged") is True:
                yield at(
                    "info",
                    "privileged",
                    obj,
                    obj.line_of(*where, "securityContext", "privileged"),
                    f"container {name} runs privileged (full access to the host)",
                )
            env = container.get("env")
            if isinstance(env, list):
                for j, var in enumerate(env):
                    if not isinstance(var, dict):
                        continue
                    var_name, value = var.get("name"), var.get("value")
                    if (
                        isinstance(var_name, str)
                        and _SECRET_NAME.search(var_name)
                        and isinstance(value, str | int)
                        and str(value).strip()
                        and "${" not in str(value)
                    ):
                        yield at(
                            "warning",
                            "literal-secret",
                            obj,
                            obj.line_of(*where, "env", j, "value"),
                            f"container {name}: env {var_name} holds a literal value (not printed)",
                            "Use valueFrom.secretKeyRef with a SOPS-encrypted or externally managed Secret.",
                        )
    volumes = spec.get("volumes")
    if isinstance(volumes, list):
        for i, volume in enumerate(volumes):
            if isinstance(volume, dict) and isinstance(volume.get("hostPath"), dict):
                path = volume["hostPath"].get("path")
                yield at(
                    "info",
                    "host-path",
                    obj,
                    obj.line_of(*spec_path, "volumes", i, "hostPath"),
                    f"volume {volume.get('name', i)} mounts the host's {path!s}",
                )


def is_sops(obj: K8sObject) -> bool:
    """SOPS writes a top-level ``sops`` block and ENC[...] values; Flux decrypts those."""
    meta = obj.get("sops")
    return isinstance(meta, dict) and bool(meta.get("mac") or meta.get("age") or meta.get("pgp") or meta)


def _secret(obj: K8sObject) -> Iterator[Finding]:
    if is_sops(obj):
        return
    for section in ("stringData", "data"):
        values = obj.get(section)
        if not isinstance(values, dict) or not values:
            continue
        plain = [k for k, v in values.items() if not (isinstance(v, str) and v.startswith("ENC["))]
        if not plain:
            continue
        generated = obj.body.get("x-generated") is True
        yield at(
            "warning",
            "secret-unencrypted",
            obj,
            obj.line_of(section),
            f"Secret {section} is not encrypted ({len(plain)} key(s): {', '.join(map(str, plain[:5]))}"
            f"{', ...' if len(plain) > 5 else ''}); values not printed"
            + ("; secretGenerator reads them from files in the repository" if generated else ""),
            "Encrypt it with SOPS (Flux decrypts with spec.decryption) or create the Secret on the host; "
            + ("base64 in data is encoding, not encryption." if section == "data" else ""),
        )
        return


def _config_map(obj: K8sObject) -> Iterator[Finding]:
    values = obj.get("data")
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        if (
            isinstance(key, str)
            and _SECRET_NAME.search(key)
            and isinstance(value, str)
            and value.strip()
            and "\n" not in value.strip()
            and "${" not in value
        ):
            yield at(
                "warning",
                "literal-secret",
                obj,
                obj.line_of("data", key),
                f"ConfigMap key {key} looks like a secret and holds a literal value (not printed)",
                "ConfigMaps are not meant for secrets: move it to a SOPS-encrypted Secret.",
            )


def _binding(obj: K8sObject) -> Iterator[Finding]:
    role: Any = obj.get("roleRef")
    if isinstance(role, dict) and role.get("kind") == "ClusterRole" and role.get("name") == "cluster-admin":
        subjects = obj.get("subjects")
        who = (
            ", ".join(
                f"{s.get('kind')}/{s.get('name')}" for s in subjects if isinstance(s, dict) and s.get("name")
            )
            if isinstance(subjects, list)
            else ""
        )
        yield at(
            "info",
            "cluster-admin",
            obj,
            obj.line_of("roleRef", "name"),
            f"binds cluster-admin (every right on the cluster){' to ' + who if who else ''}",
            "Fine for the host's own operators; for apps, grant a narrower Role.",
        )
