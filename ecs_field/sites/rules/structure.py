"""Structure: what Kubernetes or the host would reject before reading any meaning.

Missing apiVersion/kind/metadata.name, wrong types, invalid names, the same object twice
(kustomize refuses to build then, so the whole sync fails), removed API versions, and the
HostConfiguration profile's own problems (invalid JSON, wrong shapes) with their lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ecs_field.sites.findings import Finding
from ecs_field.sites.manifests import K8sObject
from ecs_field.sites.rules.base import LintContext, at
from ecs_field.sites.rules.known import CLUSTER_SCOPED_KINDS, REMOVED_APIS

# DNS-1123 subdomain: what most kinds accept as metadata.name.
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from ctx.manifests.findings
    seen: dict[tuple[str, str, str, str], K8sObject] = {}
    for obj in ctx.manifests.objects:
        yield from _object_shape(obj)
        if obj.kind and obj.name:
            # kustomize treats "no namespace" and "default" as the same place.
            namespace = obj.namespace or ("" if obj.kind in CLUSTER_SCOPED_KINDS else "default")
            key = (obj.group, obj.kind, namespace, obj.name)
            first = seen.get(key)
            if first is None:
                seen[key] = obj
            else:
                yield at(
                    "error",
                    "duplicate-object",
                    obj,
                    obj.line,
                    f"{obj.ref} is defined twice (first at {first.file}:{first.line})",
                    "Kustomize refuses to build a folder with the same object twice, so Flux applies "
                    "nothing; delete or rename one of them.",
                )
    for hc in ctx.manifests.host_configurations():
        for issue in hc.issues:
            yield at(issue.severity, issue.rule, hc.obj, issue.line, issue.message, issue.hint)
        if hc.profile is not None:
            for section, line in hc.profile.unknown_keys:
                yield at(
                    "info",
                    "profile-unchecked",
                    hc.obj,
                    line,
                    f"profile section {section} is passed to the host as is; ecs-field does not check it",
                )


def _object_shape(obj: K8sObject) -> Iterator[Finding]:
    body = obj.body
    if not obj.api_version:
        yield at(
            "error",
            "missing-apiversion",
            obj,
            obj.line,
            "object has no apiVersion" if "apiVersion" not in body else "apiVersion must be a string",
            "Add apiVersion (e.g. v1, apps/v1, vmoperator.vmware.com/v1alpha1).",
        )
    if not obj.kind:
        yield at(
            "error",
            "missing-kind",
            obj,
            obj.line,
            "object has no kind" if "kind" not in body else "kind must be a string",
            "Add kind (e.g. ConfigMap, VirtualMachine, HostConfiguration).",
        )
    metadata = body.get("metadata")
    if metadata is None:
        present = "metadata" in body
        yield at(
            "error",
            "missing-name",
            obj,
            obj.line_of("metadata") if present else obj.line,
            "metadata is empty: the object has no name" if present else "object has no metadata",
            "Add metadata.name (and metadata.namespace for namespaced kinds).",
        )
        return
    if not isinstance(metadata, dict):
        yield at("error", "wrong-type", obj, obj.line_of("metadata"), "metadata must be a mapping")
        return
    name = metadata.get("name")
    if name is None or name == "":
        if not metadata.get("generateName"):
            yield at(
                "error",
                "missing-name",
                obj,
                obj.line_of("metadata"),
                "object has no metadata.name",
                "Every object needs a name.",
            )
    elif not isinstance(name, str):
        yield at(
            "error",
            "wrong-type",
            obj,
            obj.line_of("metadata", "name"),
            f"metadata.name must be text, found {name!r}",
            'Quote it: name: "...".',
        )
    elif not _DNS_SUBDOMAIN.match(name) or len(name) > 253:
        yield at(
            "error",
            "invalid-name",
            obj,
            obj.line_of("metadata", "name"),
            f"metadata.name {name!r} is not a valid Kubernetes name",
            "Use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit.",
        )
    namespace = metadata.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not _DNS_LABEL.match(namespace)):
        yield at(
            "error",
            "invalid-namespace",
            obj,
            obj.line_of("metadata", "namespace"),
            f"metadata.namespace {namespace!r} is not a valid namespace name",
        )
    if namespace and obj.kind in CLUSTER_SCOPED_KINDS and obj.kind not in ("VirtualMachineClass",):
        yield at(
            "warning",
            "namespace-ignored",
            obj,
            obj.line_of("metadata", "namespace"),
            f"{obj.kind} is cluster-scoped; metadata.namespace is ignored",
        )
    for section in ("labels", "annotations"):
        values = metadata.get(section)
        if values is None:
            continue
        if not isinstance(values, dict):
            yield at(
                "error",
                "wrong-type",
                obj,
                obj.line_of("metadata", section),
                f"metadata.{section} must be a mapping",
            )
            continue
        for key, value in values.items():
            if not isinstance(value, str):
                yield at(
                    "error",
                    "wrong-type",
                    obj,
                    obj.line_of("metadata", section, key),
                    f"metadata.{section}.{key} must be text, found {value!r}",
                    f'Quote the value: {key}: "{value}".',
                )
    for section in ("spec", "data", "stringData"):
        if section in body and body[section] is not None and not isinstance(body[section], dict):
            yield at("error", "wrong-type", obj, obj.line_of(section), f"{section} must be a mapping")
    if obj.kind in ("ConfigMap", "Secret") and obj.group == "":
        for section in ("data", "stringData"):
            values = body.get(section)
            if isinstance(values, dict):
                for key, value in values.items():
                    if not isinstance(value, str):
                        yield at(
                            "error",
                            "wrong-type",
                            obj,
                            obj.line_of(section, key),
                            f"{section}.{key} must be text, found {type(value).__name__}",
                            "Quote the value or use a block scalar (|).",
                        )
    replacement = REMOVED_APIS.get((obj.api_version, obj.kind))
    if replacement:
        yield at(
            "error",
            "removed-api",
            obj,
            obj.line_of("apiVersion"),
            f"{obj.api_version} {obj.kind} is no longer served by Kubernetes",
            f"Use apiVersion {replacement}.",
        )
