"""``lspci -nn`` / ``lspci -vvnn`` (also ``-nnk`` and the purely numeric ``-n``) -> PciDevice.

Shapes (pciutils, checked against real dumps in linuxhw/LsPCI):
  58:00.0 Ethernet controller [0200]: Intel Corporation Ethernet Controller I225-LM [8086:15f2] (rev 03)
  <TAB>Subsystem: Intel Corporation Ethernet Controller I225-LM [8086:3003]
  <TAB>Kernel driver in use: igc
  58:00.0 0200: 8086:15f2 (rev 03)                      (lspci -n)
Names may contain brackets ("[Iris Xe Graphics]"), so the ID pair is the last ``[xxxx:xxxx]``.
``Capabilities: [90] Subsystem: ...`` inside a record is not the device's subsystem line.
"""

from __future__ import annotations

import re

from ecs_field.hardware.inventory import PciDevice
from ecs_field.hardware.parsers.common import ParseError, pci_address

_ADDRESS = r"(?P<address>(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])"
_NAMED = re.compile(_ADDRESS + r"\s+(?P<class_name>[^\[]*?)\s*\[(?P<class>[0-9a-fA-F]{4})\]:\s*(?P<rest>.*)$")
_NUMERIC = re.compile(
    _ADDRESS + r"\s+(?P<class>[0-9a-fA-F]{4}):\s+(?P<vendor>[0-9a-fA-F]{4}):(?P<device>[0-9a-fA-F]{4})"
    r"(?:\s+\(rev (?P<rev>[0-9a-fA-F]{2})\))?"
)
_WITHOUT_IDS = re.compile(_ADDRESS + r"\s+[A-Za-z][^:\[]*:\s")
_ID_PAIR = re.compile(r"\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]")
_REVISION = re.compile(r"\(rev ([0-9a-fA-F]{2})\)")
# Lines tools print around the listing (stderr mixed in, a pasted prompt) that carry no device.
_NOISE = ("pcilib:", "lspci:", "#", "$ lspci", "# lspci")

NEEDS_IDS_HINT = "Run lspci with -nn so the vendor and device IDs are included: lspci -nn > box.txt"


def parse_lspci(text: str) -> list[PciDevice]:
    """Every device of an lspci listing, verbose or not, in listing order."""
    devices: list[PciDevice] = []
    current: PciDevice | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line[0] in " \t":
            if current is not None:
                _read_attribute(current, line)
            continue
        if line.startswith(_NOISE):
            continue
        current = _device_line(line, number)
        devices.append(current)
    if not devices:
        raise ParseError("no lspci device lines found", None)
    return devices


def _device_line(line: str, number: int) -> PciDevice:
    named = _NAMED.match(line)
    if named:
        rest = named.group("rest")
        pairs = list(_ID_PAIR.finditer(rest))
        if not pairs:
            raise ParseError(f"device line has no [vendor:device] IDs: {line[:80]!r}", number)
        ids = pairs[-1]
        revision = _REVISION.search(rest, ids.end())
        return PciDevice(
            address=pci_address(named.group("address")),
            vendor_id=ids.group(1).lower(),
            device_id=ids.group(2).lower(),
            class_code=named.group("class").lower(),
            device_name=rest[: ids.start()].strip(),
            revision=revision.group(1).lower() if revision else "",
        )
    numeric = _NUMERIC.match(line)
    if numeric:
        return PciDevice(
            address=pci_address(numeric.group("address")),
            vendor_id=numeric.group("vendor").lower(),
            device_id=numeric.group("device").lower(),
            class_code=numeric.group("class").lower(),
            revision=(numeric.group("rev") or "").lower(),
        )
    if _WITHOUT_IDS.match(line):
        raise ParseError(f"lspci was run without -nn (no IDs): {line[:80]!r}", number)
    raise ParseError(f"not an lspci device line (file truncated or edited?): {line[:80]!r}", number)


def _read_attribute(device: PciDevice, line: str) -> None:
    # Only one-tab attributes belong to the device itself; deeper lines describe capabilities.
    if line.startswith("\t\t") or not line.startswith(("\t", "  ")):
        return
    key, _, value = line.strip().partition(":")
    value = value.strip()
    if key == "Subsystem":
        pairs = list(_ID_PAIR.finditer(value))
        if pairs:
            device.subsystem_vendor_id = pairs[-1].group(1).lower()
            device.subsystem_device_id = pairs[-1].group(2).lower()
    elif key == "Kernel driver in use":
        device.driver = value
