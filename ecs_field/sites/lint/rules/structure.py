"""Structure: what Kubernetes or the host would reject before reading any meaning.

Missing apiVersion/kind/metadata.name, wrong types, invalid names, the same object twice
(kustomize refuses to build then, so the whole sync fails), removed API versions, and the
HostConfiguration profile's own problems (invalid JSON, wrong shapes) with their lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.rules.base import LintContext, at
from ecs_field.sites.lint.rules.known import (
    CLUSTER_SCOPED_KINDS,
    FLUX_REMOVED,
    HOST_KUBERNETES_VERSION,
    REMOVED_APIS,
)
from ecs_field.sites.repo.manifests import K8sObject

# DNS-1123 subdomain: what most kinds accept as metadata.name.
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# RBAC objects are named like URL path segments, not DNS names: the API server only refuses
# ".", "..", "/" and "%" (k8s.io/kubernetes pkg/apis/rbac/validation: ValidateRBACName =
# path.IsValidPathSegmentName), so "metallb-system:controller" or "system:auth-delegator" are
# valid and common in upstream manifests.
_RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
_RBAC_GROUP = "rbac.authorization.k8s.io"


def _name_problem(obj: K8sObject, name: str) -> tuple[str, str] | None:
    """Why the API server would refuse this metadata.name, with the rule to follow; None if fine."""
    if obj.group == _RBAC_GROUP and obj.kind in _RBAC_KINDS:
        if name in (".", ".."):
            return (f"metadata.name {name!r} is not allowed", 'Use a name other than "." or "..".')
        bad = sorted({c for c in name if c in "/%"})
        if bad:
            return (
                f"metadata.name {name!r} contains {' and '.join(repr(c) for c in bad)}, "
                f"which {obj.kind} names may not contain",
                "Remove '/' and '%' from the name.",
            )
        return None
    if not _DNS_SUBDOMAIN.match(name) or len(name) > 253:
        return (
            f"metadata.name {name!r} is not a valid Kubernetes name",
            "Use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit.",
        )
    return None


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from ctx.manifests.findings
    # Duplicates are judged per applied set (flux.py): two files Flux never applies together
    # are not a conflict.
    for obj in ctx.manifests.objects:
        yield from _object_shape(obj)
    yield from _node_ports(ctx)
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
    elif (problem := _name_problem(obj, name)) is not None:
        yield at("error", "invalid-name", obj, obj.line_of("metadata", "name"), *problem)
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
    removed = REMOVED_APIS.get((obj.api_version, obj.kind))
    if removed is not None:
        release = tuple(int(x) for x in removed.since.split()[-1].split("."))
        host = ".".join(map(str, HOST_KUBERNETES_VERSION))
        if release <= HOST_KUBERNETES_VERSION:
            yield at(
                "error",
                "removed-api",
                obj,
                obj.line_of("apiVersion"),
                f"{obj.api_version} {obj.kind} is no longer served by Kubernetes "
                f"(removed in {removed.since})",
                removed.hint,
            )
        else:
            yield at(
                "warning",
                "deprecated-api",
                obj,
                obj.line_of("apiVersion"),
                f"{obj.api_version} {obj.kind} is deprecated and removed in {removed.since} "
                f"(lint assumes the host runs Kubernetes {host})",
                removed.hint,
            )
    flux = FLUX_REMOVED.get(obj.api_version)
    if flux is not None:
        yield at(
            "warning",
            "deprecated-api",
            obj,
            obj.line_of("apiVersion"),
            f"{obj.api_version} {obj.kind} is deprecated; {flux[0]} removed it from its CRDs, so the apply "
            f"fails after that Flux upgrade",
            f"Use apiVersion: {flux[1]} (`flux migrate -f <file>` rewrites it).",
        )


# The API server's default Service node port range (kube-apiserver --service-node-port-range).
_NODE_PORT_RANGE = range(30000, 32768)


def _node_ports(ctx: LintContext) -> Iterator[Finding]:
    """Two Services asking for the same nodePort: the API server refuses the second one.

    Node ports are allocated cluster-wide by number, whatever the protocol, so the second Service
    fails with "provided port is already allocated" and the Flux apply stops there.
    """
    claimed: dict[int, tuple[K8sObject, int]] = {}
    for obj in ctx.manifests.objects:
        if obj.kind != "Service" or obj.group != "":
            continue
        spec = obj.body.get("spec")
        ports = spec.get("ports") if isinstance(spec, dict) else None
        if not isinstance(ports, list):
            continue
        for index, port in enumerate(ports):
            node_port = port.get("nodePort") if isinstance(port, dict) else None
            if not isinstance(node_port, int) or isinstance(node_port, bool):
                continue
            line = obj.line_of("spec", "ports", index, "nodePort")
            if node_port not in _NODE_PORT_RANGE:
                yield at(
                    "error",
                    "node-port-range",
                    obj,
                    line,
                    f"nodePort {node_port} is outside the node port range "
                    f"{_NODE_PORT_RANGE.start}-{_NODE_PORT_RANGE.stop - 1}",
                    "Pick a port in 30000-32767, or remove nodePort and let Kubernetes choose one.",
                )
                continue
            first = claimed.get(node_port)
            if first is None:
                claimed[node_port] = (obj, line)
            elif first[0].ref != obj.ref:
                # The same Service twice is already a duplicate-object error.
                yield at(
                    "error",
                    "node-port-conflict",
                    obj,
                    line,
                    f"nodePort {node_port} is already used by {first[0].ref} ({first[0].file}:{first[1]})",
                    "Node ports are unique across the cluster; give one of the Services another "
                    "nodePort, or remove it and let Kubernetes choose one.",
                )
