"""ESXi: ``esxcli network nic list`` and ``esxcli hardware pci list``.

nic list is a table whose column widths follow the dashes line; values never contain the
gap between columns, but the Description does contain spaces:
  Name    PCI Device    Driver  Admin Status  Link Status  Speed  Duplex  MAC Address         MTU  Descr..
  ------  ------------  ------  ------------  -----------  -----  ------  -----------------  ----  -------
  vmnic0  0000:00:1f.6  ne1000  Up            Up            1000  Full    00:1f:c6:9c:43:1a  1500  Intel..
  vusb0   Pseudo        cdce    Up            Up            1000  Full    00:e0:4c:68:00:76  1500  Realtek...
pci list is one record per device: an address line, then "Key: Value" lines (indented by
three spaces in a terminal; some copies lose the indent). "VMkernel Name" is empty or absent
for a device no ESXi driver claimed.
"""

from __future__ import annotations

import re

from ecs_field.hardware.inventory import NetInterface, PciDevice
from ecs_field.hardware.parsers.common import ParseError, hex_id, mac_address, pci_address

NIC_LIST_HEADER = re.compile(r"^\s*Name\s+PCI Device\s+Driver\s+Admin Status\s+Link Status\s+Speed")
_DASHES = re.compile(r"^[\s-]+$")
_RECORD_START = re.compile(r"^\s*([0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\s*$")
_COLUMNS = (
    "Name",
    "PCI Device",
    "Driver",
    "Admin Status",
    "Link Status",
    "Speed",
    "Duplex",
    "MAC Address",
    "MTU",
    "Description",
)


def parse_nic_list(text: str) -> list[NetInterface]:
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if NIC_LIST_HEADER.match(line)), None)
    if header_at is None:
        raise ParseError("no 'Name  PCI Device  Driver  Admin Status ...' header line", None)
    starts: list[int] = []
    body_at = header_at + 1
    if body_at < len(lines) and _DASHES.match(lines[body_at]) and "-" in lines[body_at]:
        starts = [m.start() for m in re.finditer(r"-+", lines[body_at])]
        body_at += 1
    nics = []
    for number in range(body_at, len(lines)):
        line = lines[number].rstrip()
        if not line.strip():
            continue
        row = _by_columns(line, starts) or _by_tokens(line)
        if row is None:
            raise ParseError(f"not a nic list row (file truncated or edited?): {line[:80]!r}", number + 1)
        nics.append(_interface(row))
    if not nics:
        raise ParseError("the nic list has a header but no rows", header_at + 1)
    return nics


def _by_columns(line: str, starts: list[int]) -> dict[str, str] | None:
    if len(starts) != len(_COLUMNS):
        return None
    bounds = [*starts[1:], None]
    row = {name: line[start:end].strip() for name, start, end in zip(_COLUMNS, starts, bounds, strict=True)}
    return row if _plausible(row) else None


def _by_tokens(line: str) -> dict[str, str] | None:
    # Fallback for copies whose alignment was lost: nine one-word columns, then the description.
    tokens = line.split()
    if len(tokens) < 9:
        return None
    # "Admin Status"/"Link Status" values are single words ("Up", "Down").
    row = dict(zip(_COLUMNS[:9], tokens[:9], strict=True))
    row["Description"] = " ".join(tokens[9:])
    return row if _plausible(row) else None


def _plausible(row: dict[str, str]) -> bool:
    return bool(re.fullmatch(r"\S+", row["Name"])) and bool(mac_address(row["MAC Address"]))


def _interface(row: dict[str, str]) -> NetInterface:
    location = pci_address(row["PCI Device"])
    usb = not location and (row["PCI Device"].lower() == "pseudo" or row["Name"].startswith("vusb"))
    speed = int(row["Speed"]) if row["Speed"].isdigit() and int(row["Speed"]) > 0 else None
    link = row["Link Status"].lower()
    return NetInterface(
        name=row["Name"],
        mac=mac_address(row["MAC Address"]),
        link=link if link in ("up", "down") else "unknown",
        speed_mbps=speed,
        driver=row["Driver"],
        bus="pci" if location else ("usb" if usb else ""),
        location=location,
        description=row["Description"],
    )


def parse_pci_list(text: str) -> list[PciDevice]:
    records: list[tuple[int, dict[str, str]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        start = _RECORD_START.match(raw)
        if start:
            records.append((number, {"Address": start.group(1)}))
            continue
        key, sep, value = raw.strip().partition(":")
        if sep and records:
            records[-1][1].setdefault(key.strip(), value.strip())
    if not records:
        raise ParseError("no esxcli pci records (a line with just an address like 0000:00:1f.6)", None)
    return [_pci_device(number, values) for number, values in records]


def _pci_device(number: int, values: dict[str, str]) -> PciDevice:
    vendor, device = hex_id(values.get("Vendor ID", "")), hex_id(values.get("Device ID", ""))
    if not vendor or not device:
        raise ParseError(f"record {values['Address']} has no Vendor ID/Device ID (file truncated?)", number)
    driver = values.get("Module Name") or values.get("Driver Name") or values.get("Driver") or ""
    interface = values.get("VMkernel Name", "")
    return PciDevice(
        address=pci_address(values["Address"]),
        vendor_id=vendor,
        device_id=device,
        class_code=hex_id(values.get("Device Class", "")) if values.get("Device Class") else "",
        subsystem_vendor_id=hex_id(values.get("SubVendor ID", "")),
        subsystem_device_id=hex_id(values.get("SubDevice ID", "")),
        vendor_name=values.get("Vendor Name", ""),
        device_name=values.get("Device Name", ""),
        driver="" if driver.lower() == "none" else driver,
        revision=hex_id(values.get("Revision ID", ""), 2),
        interface="" if interface.lower() == "null" else interface,
    )
