"""macOS: plain-text ``system_profiler`` (no ``-json``) -> Inventory.

The text form is an indented outline: a data type's title at column 0 ("Hardware:", "USB:",
"Ethernet Cards:" / "Ethernet:", "PCI:", "Network:"), then items as "Name:" lines with their
"Key: Value" lines indented deeper:
    USB:
        USB 3.1 Bus:
          Host Controller Driver: AppleUSBXHCITR
            USB 10/100/1000 LAN:
              Product ID: 0x8153
              Vendor ID: 0x0bda  (Realtek Semiconductor Corp.)
              Location ID: 0x02344000 / 4
macOS 26 (SPUSBHostDataType) says "USB Vendor ID" / "USB Product ID" and a bare "Location ID".
The outline is mapped onto the keys of ``system_profiler -json`` and read by the same code as
the JSON, so both forms give the same inventory. Lines that are not part of the outline (a
pasted prompt, system_profiler's own stderr lines) are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ecs_field.hardware.inventory import Inventory
from ecs_field.hardware.parsers.common import ParseError
from ecs_field.hardware.parsers.macos import inventory_from_document

# Data type titles as system_profiler prints them at column 0.
_TITLES = {
    "hardware": "hardware",
    "usb": "usb",
    "ethernet cards": "ethernet",
    "ethernet": "ethernet",
    "pci": "pci",
    "pci cards": "pci",
    "network": "network",
}
_TITLE_LINE = re.compile(
    r"^(?:Hardware|USB|Ethernet Cards|Ethernet|PCI|PCI Cards|Network|Thunderbolt(?:/USB4)?):[ \t]*$",
    re.MULTILINE,
)
_FACT_LINE = re.compile(
    r"^[ \t]+(?:USB )?(?:Vendor ID|Product ID|Model Identifier|BSD (?:Device )?[Nn]ame|Location ID|"
    r"Host Controller Driver):[ \t]",
    re.MULTILINE,
)
_LINE = re.compile(r"^( *)([^:\t][^:]*):(?:[ \t]+(.*))?$")  # matched on right-stripped lines
_CORES = re.compile(r"^(\d+)\s*\((\d+)\s+performance and (\d+)\s+efficiency\)", re.IGNORECASE)


def looks_like_macos_text(text: str) -> bool:
    """A data type title at column 0 and an indented fact line system_profiler prints."""
    return bool(_TITLE_LINE.search(text)) and bool(_FACT_LINE.search(text))


@dataclass
class _Node:
    title: str
    indent: int
    fields: dict[str, str] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)

    def get(self, *keys: str) -> str:
        lowered = {k.lower(): v for k, v in self.fields.items()}
        return next((lowered[k.lower()] for k in keys if lowered.get(k.lower())), "")

    def walk(self) -> list[_Node]:
        found, stack = [], [self]
        while stack:  # iterative: pasted text may nest as deep as it likes
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found


def _outline(text: str) -> list[_Node]:
    """Top-level data type nodes; lines outside a known title are ignored."""
    sections: list[_Node] = []
    stack: list[_Node] = []
    for original in text.expandtabs(4).splitlines():
        raw = original.rstrip()
        match = _LINE.match(raw)
        if not match or not raw:
            continue
        indent, key, value = len(match.group(1)), match.group(2).strip(), (match.group(3) or "").strip()
        if indent == 0:
            stack = []
            if not value and key.lower() in _TITLES:
                node = _Node(_TITLES[key.lower()], 0)
                sections.append(node)
                stack = [node]
            continue  # a prompt, a stderr line or an unknown data type
        if not stack:
            continue
        while len(stack) > 1 and stack[-1].indent >= indent:
            stack.pop()
        if value:
            stack[-1].fields.setdefault(key, value)
        else:
            child = _Node(key, indent)
            stack[-1].children.append(child)
            stack.append(child)
    return sections


def parse_macos_text(text: str) -> Inventory:
    sections = _outline(text)
    if not sections:
        raise ParseError("no system_profiler data type (a line like 'USB:' or 'Hardware:')", None)
    document: dict[str, list[dict[str, Any]]] = {}
    for section in sections:
        nodes = section.walk()[1:]
        if section.title == "hardware":
            document.setdefault("SPHardwareDataType", []).append(_hardware(nodes))
        elif section.title == "usb":
            document.setdefault("SPUSBDataType", []).extend(_usb(nodes))
        elif section.title == "ethernet":
            document.setdefault("SPEthernetDataType", []).extend(_ethernet(nodes))
        elif section.title == "pci":
            document.setdefault("SPPCIDataType", []).extend(_pci(nodes))
        elif section.title == "network":
            document.setdefault("SPNetworkDataType", []).extend(_network(nodes))
    hardware = document.get("SPHardwareDataType")
    if hardware and not any(hardware[0].values()):
        del document["SPHardwareDataType"]
    inv = inventory_from_document(document)
    if not (inv.platform.product or inv.pci or inv.usb or inv.interfaces):
        raise ParseError("system_profiler text without hardware, PCI, USB or Ethernet facts", None)
    return inv


def _hardware(nodes: list[_Node]) -> dict[str, Any]:
    merged = _Node("hardware", 0)
    for node in nodes:
        for key, value in node.fields.items():
            merged.fields.setdefault(key, value)
    cores = merged.get("Total Number of Cores")
    split = _CORES.match(cores)
    # "10 (6 performance and 4 efficiency)" -> the JSON's "proc 10:6:4"; "2" stays "2".
    if split:
        processors = f"proc {split.group(1)}:{split.group(2)}:{split.group(3)}"
    else:
        processors = cores.split()[0] if cores.split() else ""
    return {
        "machine_model": merged.get("Model Identifier"),
        "machine_name": merged.get("Model Name"),
        "model_number": merged.get("Model Number"),
        "cpu_type": merged.get("Processor Name"),
        "chip_type": merged.get("Chip"),
        "number_processors": processors,
        "physical_memory": merged.get("Memory"),
        "boot_rom_version": merged.get("Boot ROM Version", "System Firmware Version"),
    }


def _usb(nodes: list[_Node]) -> list[dict[str, Any]]:
    items = []
    for node in nodes:
        vendor = node.get("Vendor ID", "USB Vendor ID")
        product = node.get("Product ID", "USB Product ID")
        if vendor and product:
            items.append(
                {
                    "_name": node.title,
                    "vendor_id": vendor,
                    "product_id": product,
                    "location_id": node.get("Location ID"),
                    "manufacturer": node.get("Manufacturer", "Vendor Name"),
                }
            )
    return items


def _ethernet(nodes: list[_Node]) -> list[dict[str, Any]]:
    items = []
    for node in nodes:
        bsd = node.get("BSD Device Name", "BSD name", "BSD Name")
        if not bsd:
            continue
        usb = node.get("Bus").lower() == "usb"
        items.append(
            {
                "_name": node.get("Product Name") or node.title,
                "spethernet_BSD_Device_Name": bsd,
                "spethernet_bus": "spethernet_usb" if usb else "spethernet_pcie",
                "spethernet_vendor-id": node.get("Vendor ID"),
                "spethernet_device-id": node.get("Device ID"),
                "spethernet_product-id": node.get("Product ID"),
                "spethernet_subsystem-vendor-id": node.get("Subsystem Vendor ID"),
                "spethernet_subsystem-id": node.get("Subsystem ID"),
                "spethernet_driver": node.get("Driver", "Kext name"),
                "spethernet_mac_address": node.get("MAC Address"),
            }
        )
    return items


def _pci(nodes: list[_Node]) -> list[dict[str, Any]]:
    return [
        {
            "_name": node.title,
            "sppci_vendor-id": node.get("Vendor ID"),
            "sppci_device-id": node.get("Device ID"),
            "sppci_device_type": node.get("Type"),
            "sppci_subsystem-vendor-id": node.get("Subsystem Vendor ID"),
            "sppci_subsystem-id": node.get("Subsystem ID"),
        }
        for node in nodes
        if node.get("Vendor ID") and node.get("Device ID")
    ]


def _network(nodes: list[_Node]) -> list[dict[str, Any]]:
    items = []
    for node in nodes:
        bsd = node.get("BSD Device Name")
        if not bsd:
            continue
        ethernet = next((c for c in node.children if c.title.lower() == "ethernet"), None)
        mac = ethernet.get("MAC Address") if ethernet else ""
        items.append({"interface": bsd, "Ethernet": {"MAC Address": mac}})
    return items
