"""ESXi: ``esxcli network nic list``, ``esxcfg-nics -l``, ``esxcli hardware pci list`` and the
ESXi shell's PCI listings (``lspci [-v]``, ``vmkchdev -l``, ``vmkvsitools lspci -p``).

nic list is a table whose column widths follow the dashes line; values never contain the
gap between columns, but the Description does contain spaces:
  Name    PCI Device    Driver  Admin Status  Link Status  Speed  Duplex  MAC Address         MTU  Descr..
  ------  ------------  ------  ------------  -----------  -----  ------  -----------------  ----  -------
  vmnic0  0000:00:1f.6  ne1000  Up            Up            1000  Full    00:1f:c6:9c:43:1a  1500  Intel..
  vusb0   Pseudo        cdce    Up            Up            1000  Full    00:e0:4c:68:00:76  1500  Realtek...
As published (issues, wikis, runbooks) the table is often indented, preceded by the prompt and
command, followed by other commands, and long rows are wrapped. ESXi 5.x printed one "Link"
column instead of "Admin Status"/"Link Status" and three-digit bus numbers ("0000:001:00.0").
The table names no PCI IDs: the Driver column is the fact ESXi itself reports, so it is kept;
IDs are filled only when the same text also carries ``vmkchdev -l`` / ``lspci -v`` lines.
pci list is one record per device: an address line, then "Key: Value" lines (indented by
three spaces in a terminal; some copies lose the indent). "VMkernel Name" is empty or absent
for a device no ESXi driver claimed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from ecs_field.hardware.inventory import NetInterface, PciDevice
from ecs_field.hardware.parsers.common import ParseError, hex_id, mac_address, pci_address

NIC_LIST_HEADER = re.compile(
    r"^[ \t]*Name[ \t]+PCI Device[ \t]+Driver[ \t]+(?:Admin Status[ \t]+Link Status|Link)[ \t]+Speed",
    re.MULTILINE,
)
ESXCFG_NICS_HEADER = re.compile(
    r"^[ \t]*Name[ \t]+PCI[ \t]+Driver[ \t]+Link[ \t]+Speed[ \t]+Duplex[ \t]+MAC Address", re.MULTILINE
)
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
_ESXCFG_COLUMNS = (
    "Name",
    "PCI Device",
    "Driver",
    "Link Status",
    "Speed",
    "Duplex",
    "MAC Address",
    "MTU",
    "Description",
)
# Header words as printed -> the canonical column they fill.
_ALIASES = {"PCI": "PCI Device", "Link": "Link Status"}
_HEADER_WORDS = re.compile(r"\S+(?: \S+)*")
_NIC_NAME = re.compile(r"^\s*(?:vmnic|vusb)\d+\b")
# A prompt, command or fence line ends the table (published copies put the next command right after).
_NOT_CONTINUATION = re.compile(
    r"^\s*(?:\[[^\]]*\]|[#$>~]|PS |```|--|esxcli |esxcfg|vmkchdev|lspci|vmware )"
    r"|^\s*[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2,3}:"
)
_ESX_ADDRESS = r"[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2,3}:[0-9a-fA-F]{2}\.[0-7]"
_ESX_ADDRESS_RE = re.compile(rf"^({_ESX_ADDRESS})$")


def esx_pci_address(value: str) -> str:
    """ "0000:01:00.0" -> itself; ESXi 5.x's "0000:001:00.0" -> "0000:01:00.0"; "" when not an address."""
    value = value.strip()
    if _ESX_ADDRESS_RE.match(value):
        domain, bus, rest = value.split(":", 2)
        value = f"{domain}:{int(bus, 16):02x}:{rest}"
    return pci_address(value)


# The same nic list as records: PowerCLI's $esxcli.network.nic.list.Invoke() ("PCIDevice   : ...")
# and `esxcli --formatter=csv network nic list` ("AdminStatus,Description,Driver,...,PCIDevice,Speed,").
NIC_RECORDS_MARKER = re.compile(r"^[ \t]*PCIDevice[ \t]*:[ \t]|^[\w,]*\bPCIDevice\b[\w,]*,", re.MULTILINE)
_RECORD_LINE = re.compile(r"^\s*([A-Za-z]\w*)\s*:\s?(.*)$")


def parse_nic_records(text: str) -> list[NetInterface]:
    """The nic list's fields as PowerCLI lists them or as esxcli's CSV formatter prints them."""
    rows = _csv_records(text) or _list_records(text)
    nics = []
    for row in rows:
        canonical = {
            "Name": row.get("name", ""),
            "PCI Device": row.get("pcidevice", ""),
            "Driver": row.get("driver", ""),
            "Link Status": row.get("linkstatus") or row.get("link", ""),
            "Speed": row.get("speed", ""),
            "MAC Address": row.get("macaddress", ""),
            "Description": row.get("description", ""),
        }
        if _plausible(canonical):
            nics.append(_interface(canonical))
    if not nics:
        raise ParseError("no nic records with Name, PCIDevice and MACAddress", None)
    _fill_ids(nics, text)
    return nics


def _csv_records(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    header_at = next(
        (i for i, line in enumerate(lines) if re.match(r"^[\w,]*\bPCIDevice\b[\w,]*,", line)), None
    )
    if header_at is None:
        return []
    body = []
    for line in lines[header_at:]:
        if not line.strip():
            break
        body.append(line)
    reader = csv.reader(body)
    names = [n.strip().lower() for n in next(reader, [])]
    return [dict(zip(names, (c.strip() for c in cells), strict=False)) for cells in reader]


def _list_records(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        match = _RECORD_LINE.match(line)
        if not match:
            if not line.strip() and current:
                records.append(current)
                current = {}
            continue
        key = match.group(1).lower()
        if key in current:  # blank lines lost in the copy: a repeated key starts the next record
            records.append(current)
            current = {}
        current[key] = match.group(2).strip()
    if current:
        records.append(current)
    return records


def parse_nic_list(text: str) -> list[NetInterface]:
    """``esxcli network nic list`` (any ESXi release) -> interfaces, IDs filled from vmkchdev/lspci lines."""
    nics = _parse_table(text, NIC_LIST_HEADER, _COLUMNS, "'Name  PCI Device  Driver  Admin Status ...'")
    _fill_ids(nics, text)
    return nics


def parse_esxcfg_nics(text: str) -> list[NetInterface]:
    """``esxcfg-nics -l``: the same facts without a dashes line, speed as "10000Mbps"."""
    nics = _parse_table(text, ESXCFG_NICS_HEADER, _ESXCFG_COLUMNS, "'Name  PCI  Driver  Link Speed ...'")
    _fill_ids(nics, text)
    return nics


def _parse_table(
    text: str, header: re.Pattern[str], canonical: tuple[str, ...], what: str
) -> list[NetInterface]:
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if header_at is None:
        raise ParseError(f"no {what} header line", None)
    columns = [_ALIASES.get(m.group(0), m.group(0)) for m in _HEADER_WORDS.finditer(lines[header_at])]
    if columns[-1] != "Description" or any(c not in canonical for c in columns):
        columns = list(canonical)  # header wrapped by the terminal or edited: rely on word order
    starts: list[int] = []
    body_at = header_at + 1
    # Skip the dashes line (and a wrapped header's tail) before the first row.
    while body_at < len(lines) and not _NIC_NAME.match(lines[body_at]) and body_at <= header_at + 4:
        line = lines[body_at]
        if _DASHES.match(line) and "-" in line and not starts:
            starts = [m.start() for m in re.finditer(r"-+", line)]
        elif line.strip() and not _DASHES.match(line) and "MTU" not in line and "Description" not in line:
            break
        body_at += 1
    nics: list[NetInterface] = []
    after_row = False
    number = body_at
    while number < len(lines):
        line = lines[number].rstrip()
        number += 1
        if not line.strip():
            after_row = False
            continue
        row = _by_columns(line, starts, columns) or _by_tokens(line, columns)
        if row is None and _NIC_NAME.match(line) and number < len(lines):
            # A row wrapped by the terminal (no character lost) or by a document (a space lost).
            for glue in ("", " "):
                joined = line + glue + lines[number].strip()
                row = _by_tokens(joined, columns)
                if row is not None:
                    number += 1
                    break
        if row is not None:
            nics.append(_interface(row))
            after_row = True
            continue
        if _NIC_NAME.match(line):
            raise ParseError(f"not a nic list row (file truncated or edited?): {line[:80]!r}", number)
        if after_row and nics and not _NOT_CONTINUATION.match(line):
            nics[-1].description = f"{nics[-1].description} {line.strip()}".strip()  # wrapped description
            continue
        if nics:
            break  # the next command's output
        raise ParseError(f"not a nic list row (file truncated or edited?): {line[:80]!r}", number)
    if not nics:
        raise ParseError("the nic list has a header but no rows", header_at + 1)
    return nics


def _by_columns(line: str, starts: list[int], columns: list[str]) -> dict[str, str] | None:
    if len(starts) != len(columns):
        return None
    bounds = [*starts[1:], None]
    row = {name: line[start:end].strip() for name, start, end in zip(columns, starts, bounds, strict=True)}
    return row if _plausible(row) else None


def _by_tokens(line: str, columns: list[str]) -> dict[str, str] | None:
    # Every column but the last (Description) holds one word ("Up", "Down", "1000", a MAC).
    tokens = line.split()
    width = len(columns) - 1
    if len(tokens) < width:
        return None
    row = dict(zip(columns[:width], tokens[:width], strict=True))
    row[columns[-1]] = " ".join(tokens[width:])
    return row if _plausible(row) else None


def _plausible(row: dict[str, str]) -> bool:
    return bool(re.fullmatch(r"\S+", row.get("Name", ""))) and bool(mac_address(row.get("MAC Address", "")))


def _interface(row: dict[str, str]) -> NetInterface:
    location = esx_pci_address(row.get("PCI Device", ""))
    name = row["Name"]
    usb = not location and (row.get("PCI Device", "").lower() == "pseudo" or name.startswith("vusb"))
    raw_speed = row.get("Speed", "").lower().removesuffix("mbps")
    speed = int(raw_speed) if raw_speed.isdigit() and int(raw_speed) > 0 else None
    link = row.get("Link Status", "").lower()
    return NetInterface(
        name=name,
        mac=mac_address(row["MAC Address"]),
        link=link if link in ("up", "down") else "unknown",
        speed_mbps=speed,
        driver=row.get("Driver", ""),
        bus="pci" if location else ("usb" if usb else ""),
        location=location,
        description=row.get("Description", ""),
    )


@dataclass
class _EsxPci:
    """What the ESXi shell's PCI listings say about one address."""

    address: str
    vendor_id: str = ""
    device_id: str = ""
    subsystem_vendor_id: str = ""
    subsystem_device_id: str = ""
    class_code: str = ""
    name: str = ""  # VMkernel name ("vmnic0"), when claimed
    module: str = ""
    description: str = ""
    line: int = 0


# lspci on ESXi: "0000:01:00.0 Network controller Ethernet controller: Intel ... I350-T2 [vmnic0]"
_ESX_LSPCI = re.compile(rf"^\s*({_ESX_ADDRESS})\s+(\S.*)$")
_ESX_VMKNAME = re.compile(r"\s\[([A-Za-z]+\d+)\]$")
# lspci -v adds "         Class 0200: 8086:1521" under each device.
_ESX_CLASS = re.compile(r"^\s+Class\s+([0-9a-fA-F]{4}):\s+([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\s*$")
# vmkchdev -l: "0000:1c:00.0 8086:37d1 15d9:37d1 vmkernel vmnic0" (owner, then name when claimed)
_VMKCHDEV = re.compile(
    rf"^\s*({_ESX_ADDRESS})\s+([0-9a-fA-F]{{4}}):([0-9a-fA-F]{{4}})\s+([0-9a-fA-F]{{4}}):([0-9a-fA-F]{{4}})"
    r"\s+(vmkernel|passthru|vmkpassthru)(?:\s+(\S+))?\s*$"
)
# vmkvsitools lspci -p: columns under "Segm:Bu:De.F Vend:Dvid Subv:Subd ISA/irq/Vect P M Module Name"
_LSPCI_P_HEADER = re.compile(r"^\s*Segm:Bu:De\.F\s+Vend:Dvid\s+Subv:Subd\b.*\bModule\s+Name\b")
_LSPCI_P_ROW = re.compile(
    rf"^\s*({_ESX_ADDRESS})\s+([0-9a-fA-F]{{4}}):([0-9a-fA-F]{{4}})\s+([0-9a-fA-F]{{4}}):([0-9a-fA-F]{{4}})\s"
)
ESXI_PCI_LINE = re.compile(
    rf"^\s*{_ESX_ADDRESS}\s+.+\[(?:vmnic|vmhba|vusb)\d+\]\s*$|^\s+Class\s+[0-9a-fA-F]{{4}}:\s+[0-9a-fA-F]{{4}}:"
    r"|^\s*Segm:Bu:De\.F\s+Vend:Dvid|"
    rf"^\s*{_ESX_ADDRESS}\s+[0-9a-fA-F]{{4}}:[0-9a-fA-F]{{4}}\s+[0-9a-fA-F]{{4}}:[0-9a-fA-F]{{4}}\s+(?:vmkernel|passthru)",
    re.MULTILINE,
)


def _esx_pci(text: str) -> dict[str, _EsxPci]:
    found: dict[str, _EsxPci] = {}
    last: _EsxPci | None = None
    module_at = name_at = -1
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _LSPCI_P_HEADER.match(raw)
        if header:
            module_at, name_at = raw.index("Module"), raw.index("Name", raw.index("Module"))
            continue
        ids = _VMKCHDEV.match(raw) or _LSPCI_P_ROW.match(raw)
        if ids:
            entry = found.setdefault(esx_pci_address(ids.group(1)), _EsxPci(esx_pci_address(ids.group(1))))
            entry.vendor_id, entry.device_id = ids.group(2).lower(), ids.group(3).lower()
            entry.subsystem_vendor_id, entry.subsystem_device_id = ids.group(4).lower(), ids.group(5).lower()
            entry.line = entry.line or number
            if ids.re is _VMKCHDEV:
                entry.name = ids.group(7) or entry.name
            elif module_at >= 0:
                entry.module = raw[module_at:name_at].strip() or entry.module
                entry.name = raw[name_at:].strip() or entry.name
            last = None
            continue
        cls = _ESX_CLASS.match(raw)
        if cls and last is not None:
            last.class_code = cls.group(1).lower()
            last.vendor_id, last.device_id = cls.group(2).lower(), cls.group(3).lower()
            continue
        listed = _ESX_LSPCI.match(raw)
        if listed and ": " in listed.group(2):
            address = esx_pci_address(listed.group(1))
            entry = found.setdefault(address, _EsxPci(address))
            # "<class> <subclass>: <vendor and device> [vmnicN]"; split in code, not by a
            # backtracking pattern, so a long pasted line costs linear time.
            kind, _, rest = listed.group(2).rstrip().partition(": ")
            vmkname = _ESX_VMKNAME.search(rest)
            entry.description = rest[: vmkname.start()].strip() if vmkname else rest.strip()
            entry.name = vmkname.group(1) if vmkname else entry.name
            if not entry.class_code and "ethernet controller" in kind.lower():
                entry.class_code = "0200"
            entry.line = entry.line or number
            last = entry
            continue
        last = None
    return found


def _fill_ids(nics: list[NetInterface], text: str) -> None:
    known = _esx_pci(text)
    by_name = {e.name: e for e in known.values() if e.name}
    for nic in nics:
        entry = known.get(nic.location) or by_name.get(nic.name)
        if entry is not None and entry.vendor_id and entry.device_id:
            nic.vendor_id, nic.device_id = entry.vendor_id, entry.device_id


def parse_esxi_lspci(text: str) -> tuple[list[PciDevice], list[NetInterface]]:
    """ESXi shell ``lspci [-v]`` / ``vmkchdev -l`` / ``vmkvsitools lspci -p``.

    Devices with IDs become PciDevices; a vmnic the text names without IDs (plain ``lspci``)
    becomes an interface, so it is still listed (with its description) instead of dropped.
    """
    known = _esx_pci(text)
    if not known:
        raise ParseError("no ESXi PCI lines (like '0000:01:00.0 Network controller ...: ... [vmnic0]')", None)
    devices: list[PciDevice] = []
    interfaces: list[NetInterface] = []
    for entry in known.values():
        uplink = re.fullmatch(r"vmnic\d+", entry.name) is not None
        if entry.vendor_id and entry.device_id:
            # ESXi names only network uplinks vmnicN, so an unnamed class means Ethernet there.
            class_code = entry.class_code or ("0200" if uplink else "")
            devices.append(
                PciDevice(
                    address=entry.address,
                    vendor_id=entry.vendor_id,
                    device_id=entry.device_id,
                    class_code=class_code,
                    subsystem_vendor_id=entry.subsystem_vendor_id,
                    subsystem_device_id=entry.subsystem_device_id,
                    device_name=entry.description,
                    driver=entry.module,
                    interface=entry.name if uplink else "",
                )
            )
        elif uplink:
            interfaces.append(
                NetInterface(
                    name=entry.name, bus="pci", location=entry.address, description=entry.description
                )
            )
    return devices, interfaces


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
