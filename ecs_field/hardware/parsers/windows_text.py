"""Windows: what a locked-down laptop can print without our script.

Read here (one network adapter per record; every form names the PnP instance ID):
  wmic path Win32_NetworkAdapter get /format:list   "Key=Value" lines, records apart by blank lines;
                                                    wmic escapes "&" as "&amp;" in this form
  wmic nic get Name,NetConnectionID,PNPDeviceID,... a table, columns at the header words
  PowerShell Format-List (Get-NetAdapter | Format-List *, Get-CimInstance ... | Format-List)
                                                    "Key : Value", long values wrapped under the value
  PowerShell default tables (Get-NetAdapter, Get-PnpDevice -Class Net)
                                                    header, dashes line, columns at the dashes
  PowerShell ... | ConvertTo-Json                   one object or an array of objects
``wmic ... > file`` writes UTF-16 LE with a BOM and CRLF; the importer decodes that.

The IDs come from the instance ID: PCI\\VEN_8086&DEV_15F3&SUBSYS_00008086&REV_03\\... and
USB\\VID_0BDA&PID_8153\\... (any case). Adapters with other instance IDs are software
(ROOT\\ TAP/loopback/Hyper-V, SWD\\ WAN Miniports, BTH\\ Bluetooth PAN, {GUID}\\ Wi-Fi Direct)
and are skipped. Wi-Fi adapters are kept as wireless interfaces (never an ESXi uplink).
None of these forms gives a PCI address or USB port, so NICs keep listing order.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ecs_field.hardware.inventory import Inventory, NetInterface, PciDevice, UsbDevice
from ecs_field.hardware.parsers.common import ParseError, mac_address
from ecs_field.hardware.parsers.windows import (
    PCI_INSTANCE_ID,
    USB_INSTANCE_ID,
    looks_like_windows_json,
    pci_location,
    usb_location,
)

# Properties that name a network adapter record in one of the forms above (lower case).
_ID_KEYS = ("pnpdeviceid", "instanceid", "deviceid")
_MARKERS = {"pnpdeviceid", "instanceid", "interfacedescription", "netconnectionid", "friendlyname"}
_WMIC_LINE = re.compile(r"^\s*([A-Za-z_]\w*)=(.*)$")
_WMIC_MARKER = re.compile(
    r"^\s*(?:PNPDeviceID|PnPDeviceID|NetConnectionID|InterfaceDescription)=", re.MULTILINE | re.IGNORECASE
)
_PS_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*: ?(.*)$")
_PS_MARKER = re.compile(
    r"^\s*(?:PNPDeviceID|PnPDeviceID|InstanceId|InterfaceDescription|NetConnectionID)\s+:",
    re.MULTILINE | re.IGNORECASE,
)
_TABLE_HEADER = re.compile(
    r"\b(?:PNPDeviceID|PnPDeviceID|InstanceId|InterfaceDescription|FriendlyName)\b", re.IGNORECASE
)
_HEADER_LINE = re.compile(r"^[ \t]*[A-Za-z_]\w*(?:[ \t]+[A-Za-z_]\w*)*[ \t]*$")  # property names only
# A table column too narrow for the value ends it with "…" (PowerShell 7) or "..." (5.1).
_CUT = ("\u2026", "...")
_PHYSICAL_PREFIX = re.compile(r"^(PCI|USB)\\", re.IGNORECASE)
_DASHES = re.compile(r"^[ \t]*-+(?:[ \t]+-+)*[ \t]*$")
_XML_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))
_WIRELESS = re.compile(r"wi-?fi|wireless|wlan|802\.11|centrino|airport", re.IGNORECASE)
_NET_CLASS_GUID = "{4d36e972-e325-11ce-bfc1-08002be10318}"
_SPEED = re.compile(r"^([\d.]+)\s*([kmgt]?)bps$", re.IGNORECASE)
_SPEED_UNITS = {"": 1e-6, "k": 1e-3, "m": 1.0, "g": 1e3, "t": 1e6}


def sniff(text: str) -> str | None:
    """ "windows-wmic", "windows-powershell" or None for text that is neither."""
    if _WMIC_MARKER.search(text):
        return "windows-wmic"
    if _PS_MARKER.search(text):
        return "windows-powershell"
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if _TABLE_HEADER.search(line) and _HEADER_LINE.match(line):
            following = lines[number + 1] if number + 1 < len(lines) else ""
            return "windows-powershell" if _DASHES.match(following) else "windows-wmic"
    return None


def looks_like_powershell_json(document: Any) -> bool:
    """ConvertTo-Json of network adapters / PnP devices (not our own probe's document)."""
    if looks_like_windows_json(document):
        return False
    return any(_MARKERS & {str(k).lower() for k in record} for record in _json_records(document))


def parse_windows_text(text: str) -> Inventory:
    """Any of the text forms in the module docstring -> Inventory (devices and interfaces)."""
    records = _wmic_records(text) or _list_records(text) or _table_records(text)
    if not records:
        raise ParseError("no network adapter records (lines like 'PNPDeviceID=...' or a table)", None)
    if not any(key in record for record in records for key in ("pnpdeviceid", "instanceid")):
        raise ParseError(
            "these adapters are listed by name only, without PnP device IDs; paste "
            "'Get-NetAdapter | Format-List Name,InterfaceDescription,Status,MacAddress,LinkSpeed,"
            "PnPDeviceID,DriverFileName' instead",
            None,
        )
    return _inventory(records)


def parse_powershell_json(text: str) -> Inventory:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not JSON: {exc}", getattr(exc, "lineno", None)) from exc
    records = [_flat(r) for r in _json_records(document)]
    if not any(_MARKERS & set(r) for r in records):
        raise ParseError("not PowerShell network adapter JSON (no PnPDeviceID / InstanceId)", 1)
    return _inventory(records)


def _json_records(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("value"), list):
        document = document["value"]  # Windows PowerShell 5.1 wraps some arrays as {"value": [...]}
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return [r for r in document if isinstance(r, dict)]
    return []


def _flat(record: dict[str, Any]) -> dict[str, str]:
    flat = {}
    for key, value in record.items():
        if isinstance(value, bool):
            flat[str(key).lower()] = "TRUE" if value else "FALSE"
        elif isinstance(value, str | int | float):
            flat[str(key).lower()] = str(value)
        elif value is None:
            flat[str(key).lower()] = ""
    return flat


def _unescape(value: str) -> str:
    for entity, char in _XML_ENTITIES:
        value = value.replace(entity, char)
    return value


def _wmic_records(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        match = _WMIC_LINE.match(line)
        if not match:
            # Not a blank line either: wmic copied through a pipe gets a blank line after every
            # line ("\r\r\n"), so a record ends where a key repeats, not at a blank line.
            continue
        key, value = match.group(1).lower(), _unescape(match.group(2).strip())
        if key in current:
            records.append(current)
            current = {}
        current[key] = value
    if current:
        records.append(current)
    return [r for r in records if _MARKERS & set(r)]


def _list_records(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last_key = ""
    value_column = 0
    for line in text.splitlines():
        continuation = value_column > 0 and line.startswith(" " * value_column) and bool(line.strip())
        match = None if continuation else _PS_LINE.match(line)
        if match:
            key = match.group(1).lower()
            if key in current:
                records.append(current)
                current = {}
            current[key], last_key = match.group(2).strip(), key
            value_column = line.index(":") + 2
            continue
        if not line.strip():
            if current:
                records.append(current)
                current = {}
            last_key = ""
            continue
        if continuation and last_key:
            current[last_key] += line.strip()  # Format-List wraps long values under the value
    if current:
        records.append(current)
    return [r for r in records if _MARKERS & set(r)]


def _table_records(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    records: list[dict[str, str]] = []
    number = 0
    while number < len(lines):
        header = lines[number]
        number += 1
        if not _TABLE_HEADER.search(header) or not _HEADER_LINE.match(header):
            continue
        following = lines[number] if number < len(lines) else ""
        if _DASHES.match(following):  # PowerShell: the dashes give the columns
            starts = [m.start() for m in re.finditer(r"-+", following)]
            number += 1
        else:  # wmic: columns start at the header words
            starts = [m.start() for m in re.finditer(r"\S+", header)]
        names = [header[s:e].strip().lower() for s, e in zip(starts, [*starts[1:], None], strict=True)]
        while number < len(lines) and lines[number].strip():
            row = lines[number]
            cells = [row[s:e].strip() for s, e in zip(starts, [*starts[1:], None], strict=True)]
            records.append(dict(zip(names, cells, strict=True)))
            number += 1
    return [r for r in records if _MARKERS & {k for k, v in r.items() if v}]


def _instance(record: dict[str, str]) -> str:
    for key in _ID_KEYS:
        value = record.get(key, "")
        if value and (PCI_INSTANCE_ID.match(value) or USB_INSTANCE_ID.match(value)):
            return value
    return ""


def _is_network(record: dict[str, str]) -> bool:
    # Win32_PnPEntity / Get-PnpDevice list every device: keep the Net class only.
    cls = record.get("pnpclass") or record.get("class") or ""
    if cls and cls.lower() != "net":
        return False
    guid = record.get("classguid", "")
    return not guid or guid.lower() == _NET_CLASS_GUID


def _wireless(record: dict[str, str]) -> bool:
    # The medium, where the form has it, beats the name (an Ethernet port may be renamed "WLAN
    # uplink"). Win32_NetworkAdapter.AdapterType says "Ethernet 802.3" for Wi-Fi too: not used.
    medium = record.get("ndisphysicalmedium", "").strip()
    if medium.isdigit():
        return medium == "9"  # NdisPhysicalMediumNative802_11
    media = record.get("physicalmediatype", "")
    if media and media.lower() not in ("unspecified", "unknown"):
        return "802.11" in media
    names = ("name", "interfacedescription", "friendlyname", "description")
    return bool(_WIRELESS.search(" ".join(record.get(k, "") for k in names)))


def _link(record: dict[str, str]) -> str:
    status = (record.get("netconnectionstatus") or "").strip()
    if status:  # Win32_NetworkAdapter: 2 connected, 7 media disconnected, 0 disconnected
        return "up" if status == "2" else ("down" if status in ("0", "7") else "unknown")
    state = (record.get("status") or record.get("mediaconnectionstate") or "").lower()
    if state in ("up", "connected"):
        return "up"
    if state in ("disconnected", "disabled", "not present"):
        return "down"
    media = record.get("mediaconnectstate", "")  # MSFT_NetAdapter: 1 connected, 2 disconnected
    if media in ("1", "2"):
        return "up" if media == "1" else "down"
    return "unknown"


def _speed(record: dict[str, str]) -> int | None:
    text = (record.get("linkspeed") or "").strip()
    match = _SPEED.match(text)
    if match:
        mbps = float(match.group(1)) * _SPEED_UNITS[match.group(2).lower()]
        return int(mbps) if mbps >= 1 else None
    raw = (record.get("speed") or "").strip()
    # Win32_NetworkAdapter.Speed is bit/s; 2^63-1 means "unknown" (no link).
    if raw.isdigit() and 0 < int(raw) < (1 << 62):
        return int(raw) // 1_000_000 or None
    return None


def _cut_physical(record: dict[str, str], inv: Inventory) -> bool:
    """A PCI/USB adapter whose ID a narrow table cut short: listed without IDs, never dropped."""
    raw = record.get("pnpdeviceid") or record.get("instanceid") or ""
    prefix = _PHYSICAL_PREFIX.match(raw)
    if not prefix or not raw.endswith(_CUT):
        return False
    name = record.get("friendlyname") or record.get("interfacedescription") or record.get("name", "")
    inv.interfaces.append(
        NetInterface(
            name=record.get("netconnectionid") or name,
            description=name,
            bus=prefix.group(1).lower(),
            wireless=_wireless(record),
        )
    )
    inv.notes.append(
        f"The table cut the device ID of '{name}' ({raw}); paste "
        "'Get-PnpDevice -Class Net | Format-List FriendlyName,InstanceId' to identify the chip."
    )
    return True


def _inventory(records: list[dict[str, str]]) -> Inventory:
    inv = Inventory()
    seen: set[str] = set()
    for record in records:
        instance = _instance(record)
        if not instance and _is_network(record) and _cut_physical(record, inv):
            continue
        if not instance or instance.upper() in seen or not _is_network(record):
            continue  # software adapters (ROOT\, SWD\, BTH\, {GUID}\) or another device class
        seen.add(instance.upper())
        wireless = _wireless(record)
        link = _link(record)
        speed = _speed(record) if link == "up" else None
        description = (
            record.get("interfacedescription")
            or record.get("friendlyname")
            or record.get("name")
            or record.get("description")
            or record.get("productname", "")
        )
        interface = NetInterface(
            name=record.get("netconnectionid")
            or (record.get("name", "") if record.get("interfacedescription") else "")
            or description,
            mac=mac_address(record.get("macaddress") or record.get("permanentaddress") or ""),
            link=link,
            speed_mbps=speed,
            driver=record.get("servicename") or record.get("service") or record.get("driverfilename", ""),
            description=description,
            wireless=wireless,
        )
        location = record.get("locationinformation") or record.get("locationinfo") or ""
        pci = PCI_INSTANCE_ID.match(instance)
        if pci:
            vendor, device, subsys, rev = pci.groups()
            address = pci_location(location)
            inv.pci.append(
                PciDevice(
                    address=address,
                    vendor_id=vendor.lower(),
                    device_id=device.lower(),
                    class_code="0280" if wireless else "0200",
                    subsystem_vendor_id=(subsys or "")[4:].lower(),
                    subsystem_device_id=(subsys or "")[:4].lower(),
                    vendor_name=record.get("manufacturer", ""),
                    device_name=description,
                    driver=interface.driver,
                    revision=(rev or "").lower(),
                )
            )
            interface.bus, interface.location = "pci", address
            interface.vendor_id, interface.device_id = vendor.lower(), device.lower()
        else:
            usb = USB_INSTANCE_ID.match(instance)
            assert usb is not None  # _instance only returns PCI or USB instance IDs
            path = usb_location(location) or instance
            inv.usb.append(
                UsbDevice(
                    bus=None,
                    path=path,
                    vendor_id=usb.group(1).lower(),
                    product_id=usb.group(2).lower(),
                    manufacturer=record.get("manufacturer", ""),
                    product=description,
                    driver=interface.driver,
                )
            )
            interface.bus, interface.location = "usb", path
            interface.vendor_id, interface.device_id = usb.group(1).lower(), usb.group(2).lower()
        inv.interfaces.append(interface)
    return inv
