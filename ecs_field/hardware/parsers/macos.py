"""macOS: ``system_profiler -json SPHardwareDataType SPPCIDataType SPUSBDataType SPEthernetDataType
SPNetworkDataType`` (and SPUSBHostDataType, which replaces SPUSBDataType on macOS 26) -> Inventory.

Keys (checked against public parsers of system_profiler output): SPUSBDataType nests devices in
"_items" with "vendor_id": "0x0bda  (Realtek Semiconductor Corp.)", "product_id": "0x8156" and
"location_id": "0x01100000 / 2" (top byte = bus, then one nibble per port); SPEthernetDataType
items carry "spethernet_BSD_Device_Name", "spethernet_vendor-id", "spethernet_device-id" (PCI) or
"spethernet_product-id" (USB), "spethernet_bus" and "spethernet_mac_address". macOS gives no PCI
bus addresses, so PCI NIC order there is listing order.
SPUSBHostDataType (macOS 26; SPUSBDataType comes back empty there) uses other keys for the same
facts: "USBDeviceKeyVendorID": "0x0bda", "USBDeviceKeyProductID": "0x8153",
"USBDeviceKeyVendorName", "USBKeyLocationID": "0x01244000" (checked against real captures).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ecs_field.hardware.inventory import Cpu, Inventory, NetInterface, PciDevice, Platform, UsbDevice
from ecs_field.hardware.parsers.common import ParseError, hex_id, mac_address

DATA_TYPES = (
    "SPHardwareDataType",
    "SPPCIDataType",
    "SPUSBDataType",
    "SPUSBHostDataType",
    "SPEthernetDataType",
    "SPNetworkDataType",
)
_MEMORY = re.compile(r"^(\d+)\s*(MB|GB|TB)$")
_APPLE_PROCS = re.compile(r"^proc (\d+):(\d+):(\d+)")
# Apple Silicon Macs print a symbolic vendor for Apple's own devices instead of 0x05ac.
_SYMBOLIC_VENDORS = {"apple_vendor_id": "05ac"}
# Apple T2 Controller: listed as USB Ethernet "en5" on T2 Macs (a virtual bus to the T2 chip).
_T2_CONTROLLER = ("05ac", "8233")
# (legacy SPUSBDataType key, SPUSBHostDataType key)
_USB_KEYS = {
    "vendor": ("vendor_id", "USBDeviceKeyVendorID"),
    "product": ("product_id", "USBDeviceKeyProductID"),
    "manufacturer": ("manufacturer", "USBDeviceKeyVendorName"),
    "location": ("location_id", "USBKeyLocationID"),
}


def looks_like_macos_json(document: Any) -> bool:
    return isinstance(document, dict) and any(key in document for key in DATA_TYPES)


def parse_macos_json(text: str) -> Inventory:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not JSON: {exc}", getattr(exc, "lineno", None)) from exc
    if not looks_like_macos_json(document):
        raise ParseError("not system_profiler -json output (no SP...DataType keys)", 1)
    try:
        return inventory_from_document(document)
    except (AttributeError, TypeError, ValueError, RecursionError) as exc:
        raise ParseError(f"the system_profiler document has an unexpected shape: {exc}", None) from exc


def _list(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [item for item in document.get(key) or [] if isinstance(item, dict)]


def _walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    # Depth-first in listing order, without recursion: a hostile document may nest deeply.
    stack = list(reversed(items))
    while stack:
        item = stack.pop()
        yield item
        children = item.get("_items")
        if isinstance(children, list):
            stack.extend(reversed([i for i in children if isinstance(i, dict)]))


def _first_hex(value: Any) -> str:
    # "0x0bda  (Realtek Semiconductor Corp.)" -> "0bda"; "apple_vendor_id" -> "05ac"
    words = str(value or "").split()
    if not words:
        return ""
    return _SYMBOLIC_VENDORS.get(words[0].lower()) or hex_id(words[0])


def _usb_value(item: dict[str, Any], what: str) -> Any:
    legacy, host = _USB_KEYS[what]
    return item.get(legacy) or item.get(host)


def inventory_from_document(doc: dict[str, Any]) -> Inventory:
    """A system_profiler document (JSON, or the text form mapped to the JSON keys) -> Inventory."""
    inv = Inventory(sources=["system_profiler-json"])
    hardware = (_list(doc, "SPHardwareDataType") or [{}])[0]
    inv.platform = Platform(
        vendor="Apple Inc." if hardware else "",
        product=str(hardware.get("machine_model", "")),
        family=str(hardware.get("machine_name", "")),
        version=str(hardware.get("model_number", "")),
        bios_version=str(hardware.get("boot_rom_version", "")),
    )
    inv.cpu = _cpu(hardware)
    memory = _MEMORY.match(str(hardware.get("physical_memory", "")).strip())
    if memory:
        inv.memory_bytes = int(memory.group(1)) << {"MB": 20, "GB": 30, "TB": 40}[memory.group(2)]
    for item in _walk(_list(doc, "SPPCIDataType")):
        vendor, device = (
            hex_id(str(item.get("sppci_vendor-id", ""))),
            hex_id(str(item.get("sppci_device-id", ""))),
        )
        if not vendor or not device:
            continue
        kind = str(item.get("sppci_device_type", ""))
        inv.pci.append(
            PciDevice(
                address="",
                vendor_id=vendor,
                device_id=device,
                class_code="0200" if "ethernet" in kind.lower() else "",
                subsystem_vendor_id=hex_id(str(item.get("sppci_subsystem-vendor-id", ""))),
                subsystem_device_id=hex_id(str(item.get("sppci_subsystem-id", ""))),
                device_name=str(item.get("_name", "")),
            )
        )
    seen: set[tuple[str, str]] = set()
    for item in [*_walk(_list(doc, "SPUSBDataType")), *_walk(_list(doc, "SPUSBHostDataType"))]:
        vendor, product = _first_hex(_usb_value(item, "vendor")), _first_hex(_usb_value(item, "product"))
        if vendor and product:
            bus, path = _usb_location(str(_usb_value(item, "location") or ""))
            if (path, f"{vendor}:{product}") in seen:
                continue  # both USB data types asked for: the same device twice
            seen.add((path, f"{vendor}:{product}"))
            inv.usb.append(
                UsbDevice(
                    bus=bus,
                    path=path,
                    vendor_id=vendor,
                    product_id=product,
                    manufacturer=str(_usb_value(item, "manufacturer") or ""),
                    product=str(item.get("_name", "")),
                )
            )
    macs = {
        str(i.get("interface", "")): mac_address(str((i.get("Ethernet") or {}).get("MAC Address", "")))
        for i in _list(doc, "SPNetworkDataType")
    }
    for item in _walk(_list(doc, "SPEthernetDataType")):
        _ethernet(inv, item, macs)
    return inv


def _cpu(hardware: dict[str, Any]) -> Cpu:
    cpu = Cpu(model=str(hardware.get("cpu_type") or hardware.get("chip_type") or ""))
    if "intel" in cpu.model.lower():
        cpu.vendor = "GenuineIntel"
    processors = hardware.get("number_processors")
    if isinstance(processors, int):
        cpu.cores = processors
    elif isinstance(processors, str):
        apple = _APPLE_PROCS.match(processors)
        if apple:
            cpu.cores, cpu.p_cores, cpu.e_cores = (int(g) for g in apple.groups())
        elif processors.isdigit():
            cpu.cores = int(processors)
    return cpu


def _usb_location(location: str) -> tuple[int | None, str]:
    # 0xBBPPPPPP: bus in the top byte, then port numbers one nibble each until a zero.
    raw = location.split("/", maxsplit=1)[0].strip()
    value = hex_id(raw, 8)
    if not value:
        return None, location
    bus = int(value[:2], 16)
    ports = []
    for nibble in value[2:]:
        if nibble == "0":
            break
        ports.append(str(int(nibble, 16)))
    return bus, f"{bus}-{'.'.join(ports)}" if ports else f"{bus}-0"


def _ethernet(inv: Inventory, item: dict[str, Any], macs: dict[str, str]) -> None:
    name = str(item.get("spethernet_BSD_Device_Name", ""))
    if not name:
        return
    usb = "usb" in str(item.get("spethernet_bus", "")).lower()
    vendor = hex_id(str(item.get("spethernet_vendor-id", "")))
    device = hex_id(str(item.get("spethernet_product-id" if usb else "spethernet_device-id", "")))
    if usb and (vendor, device) == _T2_CONTROLLER:
        return  # the T2 chip's internal link to macOS, not a port: no cable, gone under ESXi
    interface = NetInterface(
        name=name,
        mac=mac_address(str(item.get("spethernet_mac_address", ""))) or macs.get(name, ""),
        driver=str(item.get("spethernet_driver", "")),
        bus="usb" if usb else "pci",
        description=str(item.get("_name", "")),
        vendor_id=vendor,
        device_id=device,
    )
    if usb:
        match = next((d for d in inv.usb if d.id == f"{vendor}:{device}"), None)
        interface.location = match.path if match else ""
    elif not any(d.id == f"{vendor}:{device}" for d in inv.pci) and vendor and device:
        # Built-in Ethernet is often absent from SPPCIDataType (which lists slots and enclosures).
        inv.pci.append(
            PciDevice(
                address="",
                vendor_id=vendor,
                device_id=device,
                class_code="0200",
                subsystem_vendor_id=hex_id(str(item.get("spethernet_subsystem-vendor-id", ""))),
                subsystem_device_id=hex_id(str(item.get("spethernet_subsystem-id", ""))),
                device_name=interface.description,
                driver=interface.driver,
            )
        )
    inv.interfaces.append(interface)
