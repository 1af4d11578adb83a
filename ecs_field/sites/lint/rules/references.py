"""References: names one object uses that another must provide.

A VM's class (in the repository or a built-in vm-operator class), its bootstrap ConfigMap or
Secret in the VM's namespace, valid transport and power state values, namespaces that exist,
Flux Kustomizations pointing at a source and a folder that exist.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.rules.base import LintContext, at
from ecs_field.sites.lint.rules.known import (
    BUILTIN_VM_CLASSES,
    CLUSTER_SCOPED_KINDS,
    ESXI_DEFAULT_PORT_GROUPS,
    VM_METADATA_TRANSPORTS,
    VM_POWER_STATES,
    WELL_KNOWN_NAMESPACES,
)
from ecs_field.sites.repo.manifests import FLUX_SOURCE_GROUP, VMOP_GROUP


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from _virtual_machines(ctx)
    yield from _namespaces(ctx)
    yield from _flux(ctx)


def _virtual_machines(ctx: LintContext) -> Iterator[Finding]:
    ms = ctx.manifests
    classes = {c.obj.name: c for c in ms.vm_classes()}
    port_groups = ctx.host.port_groups() | ESXI_DEFAULT_PORT_GROUPS
    for vm in ms.virtual_machines():
        obj = vm.obj
        namespace = obj.namespace or "default"
        if not vm.class_name:
            yield at(
                "error",
                "vm-class-missing",
                obj,
                obj.line_of("spec"),
                "VirtualMachine has no spec.className",
                "Name a VirtualMachineClass (e.g. best-effort-small, or one defined in the repository).",
            )
        elif vm.class_name not in classes and vm.class_name not in BUILTIN_VM_CLASSES:
            yield at(
                "error",
                "vm-class-unknown",
                obj,
                obj.line_of("spec", "className"),
                f"class {vm.class_name!r} is neither defined in the repository nor a built-in class",
                "Add a VirtualMachineClass with this name, or use a built-in one such as best-effort-small.",
            )
        else:
            cls = classes.get(vm.class_name)
            if cls is not None and cls.obj.namespace and cls.obj.namespace != namespace:
                yield at(
                    "warning",
                    "vm-class-namespace",
                    obj,
                    obj.line_of("spec", "className"),
                    f"class {vm.class_name!r} is declared in namespace {cls.obj.namespace}, "
                    f"the VM is in {namespace}",
                    "Declare the class without a namespace or in the VM's namespace.",
                )
        if not vm.image_name:
            yield at(
                "error",
                "vm-image-missing",
                obj,
                obj.line_of("spec"),
                "VirtualMachine has no spec.imageName",
                "Give the OVA image name or URL.",
            )
        raw_state = obj.get("spec", "powerState")
        if raw_state is not None and not isinstance(raw_state, str):
            yield at(
                "error",
                "vm-power-state",
                obj,
                obj.line_of("spec", "powerState"),
                f"powerState must be text, YAML read {raw_state!r} (on/off/yes/no are booleans in YAML)",
                "Write poweredOn or poweredOff.",
            )
        elif vm.power_state and vm.power_state not in VM_POWER_STATES:
            yield at(
                "error",
                "vm-power-state",
                obj,
                obj.line_of("spec", "powerState"),
                f"powerState {vm.power_state!r} is not one of {', '.join(sorted(VM_POWER_STATES))}",
                "Values are case-sensitive.",
            )
        meta = vm.vm_metadata
        if meta is not None:
            if meta.transport and meta.transport not in VM_METADATA_TRANSPORTS:
                yield at(
                    "error",
                    "vm-transport",
                    obj,
                    obj.line_of("spec", "vmMetadata", "transport"),
                    f"vmMetadata.transport {meta.transport!r} is not one of "
                    f"{', '.join(sorted(VM_METADATA_TRANSPORTS))}",
                    "Values are case-sensitive.",
                )
            if meta.config_map_name and meta.secret_name:
                yield at(
                    "warning",
                    "vm-metadata-both",
                    obj,
                    meta.line,
                    "vmMetadata names both a ConfigMap and a Secret; vm-operator uses only one",
                    "Keep one of configMapName and secretName.",
                )
            if meta.config_map_name and ms.get("ConfigMap", meta.config_map_name, namespace, "") is None:
                yield at(
                    "error",
                    "vm-configmap-missing",
                    obj,
                    obj.line_of("spec", "vmMetadata", "configMapName"),
                    f"ConfigMap {namespace}/{meta.config_map_name} is not in the repository",
                    "Add the ConfigMap in the VM's namespace, or fix the name; the VM waits for it.",
                )
            if meta.secret_name and ms.get("Secret", meta.secret_name, namespace, "") is None:
                yield at(
                    "error",
                    "vm-secret-missing",
                    obj,
                    obj.line_of("spec", "vmMetadata", "secretName"),
                    f"Secret {namespace}/{meta.secret_name} is not in the repository",
                    "Add the Secret in the VM's namespace, or fix the name; the VM waits for it.",
                )
        for i, nic in enumerate(vm.network_interfaces):
            name = nic.get("networkName")
            if isinstance(name, str) and name and name not in port_groups:
                yield at(
                    "warning",
                    "vm-network-unknown",
                    obj,
                    obj.line_of("spec", "networkInterfaces", i, "networkName"),
                    f"network {name!r} is not a port group of any HostConfiguration nor an ESXi default",
                    "Create the port group in a HostConfiguration profile, or check the spelling.",
                )


def _namespaces(ctx: LintContext) -> Iterator[Finding]:
    declared = ctx.manifests.declared_namespaces()
    reported: set[tuple[str, str]] = set()
    for obj in ctx.manifests.objects:
        ns = obj.namespace
        if not ns or obj.kind in CLUSTER_SCOPED_KINDS or ns in declared or ns in WELL_KNOWN_NAMESPACES:
            continue
        if (obj.file, ns) in reported:
            continue
        reported.add((obj.file, ns))
        yield at(
            "warning",
            "namespace-unknown",
            obj,
            obj.line_of("metadata", "namespace"),
            f"namespace {ns!r} is not declared in the repository",
            "Add a Namespace object for it, unless it is created outside Git; otherwise the apply fails.",
        )


def _flux(ctx: LintContext) -> Iterator[Finding]:
    ms = ctx.manifests
    for ks in ms.kustomizations():
        obj = ks.obj
        if ks.source_kind == "GitRepository" and ks.source_name:
            if ms.get("GitRepository", ks.source_name, ks.source_namespace, FLUX_SOURCE_GROUP) is None:
                yield at(
                    "info",
                    "flux-source-outside",
                    obj,
                    obj.line_of("spec", "sourceRef"),
                    f"GitRepository {ks.source_namespace}/{ks.source_name} is not in this repository "
                    "(fine when bootstrap created it)",
                )
        elif not ks.source_kind:
            yield at(
                "error",
                "flux-source-missing",
                obj,
                obj.line_of("spec"),
                "Kustomization has no spec.sourceRef",
                "Point sourceRef at the GitRepository that holds this folder.",
            )
        # spec.path is judged by the applied-set model (flux.py), which knows the source.
    for obj in ms.objects:
        if obj.group == VMOP_GROUP and obj.kind == "VirtualMachineClass":
            cpus = obj.get("spec", "hardware", "cpus")
            if cpus is not None and (isinstance(cpus, bool) or not isinstance(cpus, int) or cpus < 1):
                yield at(
                    "error",
                    "vm-class-cpus",
                    obj,
                    obj.line_of("spec", "hardware", "cpus"),
                    f"hardware.cpus must be a positive whole number, found {cpus!r}",
                )
