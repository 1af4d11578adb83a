"""Hardware fit: does the configuration match the box it will run on?

Always: every NIC a switch teams (active/standby) is also bound to its bridge. With an
inventory (``lint --inventory``): every vmnicN/vusbN a switch names exists on the box (ESXi
numbers PCI NICs vmnic0.. in PCI address order and USB NICs vusb0.. in USB order, the same
prediction the inventory makes); vusbN uplinks have the USB NIC driver's boot scan enabled;
PCI passthrough devices of VM classes are present; VM classes fit the CPU and memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_field.sites.findings import Finding, Severity
from ecs_field.sites.lint.rules.base import LintContext, at
from ecs_field.sites.lint.rules.known import (
    BUILTIN_VM_CLASSES,
    ESXI_MEMORY_RESERVE_GIB,
    USB_BOOT_SCAN_OPTION,
    USB_NIC_MODULE,
)
from ecs_field.sites.repo.manifests import K8sObject


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from _teaming_in_bridge(ctx)
    yield from _usb_boot_scan(ctx)
    if ctx.inventory is not None:
        yield from _nics_exist(ctx)
        yield from _passthrough(ctx)
        yield from _capacity(ctx)


def _teaming_in_bridge(ctx: LintContext) -> Iterator[Finding]:
    for d in ctx.host.switches:
        sw, obj = d.switch, d.source.obj
        bridge = set(sw.bridge_nics)
        for role, nics in (("active", sw.active_nics), ("standby", sw.standby_nics)):
            for nic in nics:
                if nic not in bridge:
                    yield at(
                        "error",
                        "uplink-not-in-bridge",
                        obj,
                        sw.teaming_line,
                        f"{sw.name}: {role} NIC {nic} is not in bridge.nics "
                        f"({', '.join(sw.bridge_nics) or 'empty'})",
                        f'Add "{nic}" to the switch\'s bridge.nics or remove it from {role}_nics.',
                    )
        both = set(sw.active_nics) & set(sw.standby_nics)
        for nic in sorted(both):
            yield at(
                "error",
                "uplink-active-and-standby",
                obj,
                sw.teaming_line,
                f"{sw.name}: {nic} is listed as both active and standby",
                "List each NIC once.",
            )
        for nic in sorted(bridge):
            # Say where each other switch comes from: when it sits in another HostConfiguration
            # the two layers are merged on the host, and the technician must find both files.
            users = sorted(
                {
                    o.switch.name
                    if o.source.obj is obj
                    else f"{o.switch.name} ({o.source.obj.ref}, {o.source.obj.file}:{o.switch.bridge_line})"
                    for o in ctx.host.switches
                    if nic in o.switch.bridge_nics and o.switch.name != sw.name
                }
            )
            if users:
                yield at(
                    "error",
                    "uplink-shared",
                    obj,
                    sw.bridge_line,
                    f"{nic} is bound to {sw.name} and also to {', '.join(users)}",
                    "A physical NIC can be the uplink of one standard switch only; ESXi applies all "
                    "HostConfigurations to the same host, so keep the NIC in one switch's bridge.nics.",
                )


def _usb_boot_scan(ctx: LintContext) -> Iterator[Finding]:
    if ctx.host.module_option(USB_NIC_MODULE, USB_BOOT_SCAN_OPTION) == "1":
        return
    management = {id(d.switch) for d in ctx.host.management_defs()}
    for d in ctx.host.switches:
        usb = [n for n in d.switch.uplinks if n.startswith("vusb")]
        if not usb:
            continue
        only_usb = bool(d.switch.effective_active) and all(
            n.startswith("vusb") for n in d.switch.effective_active
        )
        severity: Severity = "error" if id(d.switch) in management and only_usb else "warning"
        yield at(
            severity,
            "usb-nic-boot-scan",
            d.source.obj,
            d.switch.bridge_line,
            f"{d.switch.name} uses {', '.join(usb)} but no HostConfiguration sets "
            f"{USB_NIC_MODULE} {USB_BOOT_SCAN_OPTION}=1; the USB NIC may not exist when networking starts"
            + (
                " and the host would lose its management network after a reboot"
                if severity == "error"
                else ""
            ),
            f'Add module_settings [{{"module_name": "{USB_NIC_MODULE}", '
            f'"options": "{USB_BOOT_SCAN_OPTION}=1"}}] to a HostConfiguration.',
        )


def _nics_exist(ctx: LintContext) -> Iterator[Finding]:
    present = ctx.nic_names
    have = ", ".join(sorted(present, key=_nic_order)) or "none detected"
    for d in ctx.host.switches:
        for nic in d.switch.uplinks:
            if nic not in present:
                yield at(
                    "error",
                    "nic-missing",
                    d.source.obj,
                    d.switch.bridge_line,
                    f"{d.switch.name} uses {nic}, which this box does not have (it has: {have})",
                    "Use a NIC the box has; ESXi numbers PCI NICs vmnic0.. in PCI address order and "
                    "USB NICs vusb0.. in USB order.",
                )


def _nic_order(name: str) -> tuple[str, int]:
    prefix = name.rstrip("0123456789")
    digits = name[len(prefix) :]
    return prefix, int(digits) if digits else -1


def _passthrough(ctx: LintContext) -> Iterator[Finding]:
    assert ctx.inventory is not None
    ids = {(p.vendor_id.lower(), p.device_id.lower()) for p in ctx.inventory.pci}
    if not ids:
        return
    used = {vm.class_name for vm in ctx.manifests.virtual_machines()}
    for cls in ctx.manifests.vm_classes():
        devices = cls.obj.get("spec", "hardware", "devices", "dynamicDirectPathIODevices")
        if not isinstance(devices, list):
            continue
        for i, dev in enumerate(devices):
            if not isinstance(dev, dict):
                continue
            vendor, device = _hex(dev.get("vendorID")), _hex(dev.get("deviceID"))
            if vendor and device and (vendor, device) not in ids:
                in_use = cls.obj.name in used
                yield at(
                    "error" if in_use else "warning",
                    "passthrough-missing",
                    cls.obj,
                    cls.obj.line_of("spec", "hardware", "devices", "dynamicDirectPathIODevices", i),
                    f"PCI device {vendor}:{device} for passthrough is not in this box"
                    + ("" if in_use else " (no VM uses this class yet)"),
                    "VMs of this class cannot power on here; check the device or the class.",
                )


def _hex(value: object) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return f"{value:04x}"
    if isinstance(value, str):
        text = value.lower().removeprefix("0x")
        try:
            return f"{int(text, 16):04x}"
        except ValueError:
            return ""
    return ""


def _capacity(ctx: LintContext) -> Iterator[Finding]:
    inv = ctx.inventory
    assert inv is not None
    threads = inv.cpu.threads or inv.cpu.cores
    memory = inv.memory_bytes
    classes = {c.obj.name: c for c in ctx.manifests.vm_classes()}
    total_memory = 0
    reserved_memory = 0
    counted: list[tuple[int, K8sObject]] = []
    for vm in ctx.manifests.virtual_machines():
        cls = classes.get(vm.class_name)
        builtin = BUILTIN_VM_CLASSES.get(vm.class_name)
        if cls is not None:
            cpus, mem = cls.cpus, cls.memory_bytes
            reserve = cls.memory_request_bytes or 0
        elif builtin is not None:
            cpus, mem = builtin.cpus, builtin.memory_gib * 2**30
            reserve = mem if builtin.reserved else 0
        else:
            continue
        if threads and cpus and cpus > threads:
            yield at(
                "error",
                "vm-cpu-too-many",
                vm.obj,
                vm.obj.line_of("spec", "className"),
                f"class {vm.class_name} has {cpus} vCPUs; this box has {threads} logical CPUs",
                "A VM cannot have more vCPUs than the host has; pick a smaller class.",
            )
        if memory and mem and mem > memory:
            yield at(
                "error",
                "vm-memory-too-much",
                vm.obj,
                vm.obj.line_of("spec", "className"),
                f"class {vm.class_name} needs {format_bytes(mem)}; this box has {format_bytes(memory)}",
                "Pick a smaller class or add memory.",
            )
        if vm.power_state != "poweredOff" or vm.obj.name == "ec-worker":
            # The worker node is declared powered off but ECS starts it itself.
            total_memory += mem or 0
            reserved_memory += reserve
            counted.append((mem or 0, vm.obj))
    if not memory or not counted:
        return
    usable = memory - ESXI_MEMORY_RESERVE_GIB * 2**30
    # Point at the VM that asks for the most: the first place to look for savings.
    anchor = max(counted, key=lambda item: item[0])[1]
    if reserved_memory > usable:
        yield at(
            "error",
            "memory-reservations",
            anchor,
            anchor.line,
            f"VM memory reservations total {format_bytes(reserved_memory)}, more than the "
            f"{format_bytes(usable)} this box can give VMs",
            "Reserved (guaranteed) memory cannot be overcommitted; some VMs will not power on.",
        )
    elif total_memory > usable:
        yield at(
            "warning",
            "memory-overcommit",
            anchor,
            anchor.line,
            f"running VMs are configured with {format_bytes(total_memory)} memory; this box has "
            f"{format_bytes(memory)} ({format_bytes(usable)} after ESXi's own share)",
            "Overcommitted memory swaps and slows every VM; use smaller classes or fewer VMs.",
        )


def format_bytes(value: int | float) -> str:
    """quantity.format_bytes, imported on use: decimal is only needed when a box is checked."""
    from ecs_field.sites.repo.quantity import format_bytes as format_quantity

    return format_quantity(value)
