"""Windows: one PowerShell script prints one JSON object; ``parse_windows_json`` reads it.

The script asks CIM for the computer, board, BIOS, CPUs, memory modules, PCI/USB PnP devices
(with their CompatibleID lists, which carry the PCI class "CC_020000" and the USB interface
classes "USB\\Class_02&SubClass_0d") and Get-NetAdapter for the physical adapters. Location
strings ("PCI bus 86, device 0, function 0", "Port_#0002.Hub_#0003") are fetched only for
network and USB devices because Get-PnpDeviceProperty is slow per call.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ecs_field.hardware.inventory import Cpu, Disk, Inventory, NetInterface, PciDevice, Platform, UsbDevice
from ecs_field.hardware.parsers.common import ParseError, infer_hybrid_split, mac_address

SCHEMA = "ecs-field/windows-probe@1"

POWERSHELL_SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
function Pick($object, [string[]]$names) {
  if ($null -eq $object) { return $null }; $object | Select-Object -Property $names
}
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$bios = Get-CimInstance -ClassName Win32_BIOS
$devices = @(Get-CimInstance -ClassName Win32_PnPEntity |
             Where-Object { $_.PNPDeviceID -match '^(PCI|USB)\\' })
$located = @{}
foreach ($d in $devices) {
  if ($d.PNPClass -eq 'Net' -or ($d.PNPDeviceID -match '^USB\\VID_' -and $d.PNPDeviceID -notmatch '&MI_')) {
    $p = Get-PnpDeviceProperty -InstanceId $d.PNPDeviceID -KeyName DEVPKEY_Device_LocationInfo
    if ($p -and $p.Data) { $located[$d.PNPDeviceID] = [string]$p.Data }
  }
}
$doc = [ordered]@{
  schema = 'ecs-field/windows-probe@1'
  computer = Pick $cs 'Manufacturer','Model','SystemFamily','TotalPhysicalMemory'
  product = Pick (Get-CimInstance -ClassName Win32_ComputerSystemProduct) 'Vendor','Name','Version'
  board = Pick (Get-CimInstance -ClassName Win32_BaseBoard | Select-Object -First 1) `
          'Manufacturer','Product','Version'
  bios = [ordered]@{ Manufacturer = $bios.Manufacturer; SMBIOSBIOSVersion = $bios.SMBIOSBIOSVersion
                     ReleaseDate = $(if ($bios.ReleaseDate) { $bios.ReleaseDate.ToString('yyyy-MM-dd') }
                                     else { '' }) }
  nx = [bool]$os.DataExecutionPrevention_Available
  processors = @(Get-CimInstance -ClassName Win32_Processor | Select-Object Name, Manufacturer, NumberOfCores,
                 NumberOfLogicalProcessors, VirtualizationFirmwareEnabled, VMMonitorModeExtensions)
  memory = @(Get-CimInstance -ClassName Win32_PhysicalMemory | Select-Object Capacity)
  devices = @($devices | ForEach-Object { [ordered]@{ Name = $_.Name; Manufacturer = $_.Manufacturer
              PNPDeviceID = $_.PNPDeviceID; PNPClass = $_.PNPClass; Service = $_.Service; Status = $_.Status
              CompatibleID = @($_.CompatibleID); LocationInfo = $located[$_.PNPDeviceID] } })
  adapters = @(Get-NetAdapter -Physical | ForEach-Object { [ordered]@{ Name = $_.Name
              InterfaceDescription = $_.InterfaceDescription; MacAddress = $_.MacAddress
              Status = [string]$_.Status
              Speed = $_.Speed; PnPDeviceID = $_.PnPDeviceID; DriverFileName = $_.DriverFileName
              PhysicalMediaType = $_.PhysicalMediaType } })
  disks = @(Get-CimInstance -ClassName Win32_DiskDrive |
            Select-Object Index, Model, Size, InterfaceType, MediaType)
}
$doc | ConvertTo-Json -Depth 5 -Compress
"""

# PnP instance IDs: "PCI\VEN_8086&DEV_15F3&SUBSYS_00008086&REV_03\...", "USB\VID_0BDA&PID_8153\...".
_PCI_ID = re.compile(
    r"^PCI\\VEN_([0-9A-F]{4})&DEV_([0-9A-F]{4})(?:&SUBSYS_([0-9A-F]{8}))?(?:&REV_([0-9A-F]{2}))?",
    re.IGNORECASE,
)
_USB_ID = re.compile(r"^USB\\VID_([0-9A-F]{4})&PID_([0-9A-F]{4})(&MI_[0-9A-F]{2})?", re.IGNORECASE)
PCI_INSTANCE_ID, USB_INSTANCE_ID = _PCI_ID, _USB_ID
_PCI_CLASS = re.compile(r"^PCI\\CC_([0-9A-F]{4})", re.IGNORECASE)
_USB_CLASS = re.compile(r"^USB\\Class_([0-9A-F]{2})&SubClass_([0-9A-F]{2})", re.IGNORECASE)
_PCI_LOCATION = re.compile(r"PCI bus (\d+), device (\d+), function (\d+)", re.IGNORECASE)
_USB_LOCATION = re.compile(r"Port_#(\d+)\.Hub_#(\d+)", re.IGNORECASE)


def looks_like_windows_json(document: Any) -> bool:
    return isinstance(document, dict) and document.get("schema") == SCHEMA


def parse_windows_json(text: str) -> Inventory:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}", getattr(exc, "lineno", None)) from exc
    if not looks_like_windows_json(document):
        raise ParseError(f"not the output of the ecs-field Windows script (schema {SCHEMA})", 1)
    try:
        return _inventory(document)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ParseError(f"the Windows probe document has an unexpected shape: {exc}", None) from exc


def _items(value: Any) -> list[dict[str, Any]]:
    # ConvertTo-Json writes a one-element array as the bare object on some PowerShell versions.
    if isinstance(value, dict):
        return [value]
    return [v for v in value or [] if isinstance(v, dict)]


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _inventory(doc: dict[str, Any]) -> Inventory:
    computer, product = _items(doc.get("computer"))[:1] or [{}], _items(doc.get("product"))[:1] or [{}]
    board, bios = _items(doc.get("board"))[:1] or [{}], _items(doc.get("bios"))[:1] or [{}]
    inv = Inventory(sources=["windows-json"])
    inv.platform = Platform(
        vendor=_text(computer[0].get("Manufacturer")),
        product=_text(computer[0].get("Model")),
        board=_text(board[0].get("Product")),
        board_vendor=_text(board[0].get("Manufacturer")),
        family=_text(computer[0].get("SystemFamily")),
        version=_text(product[0].get("Version")),
        bios_vendor=_text(bios[0].get("Manufacturer")),
        bios_version=_text(bios[0].get("SMBIOSBIOSVersion")),
        bios_date=_text(bios[0].get("ReleaseDate")),
    )
    inv.cpu = _cpu(_items(doc.get("processors")), bool(doc.get("nx")))
    capacities = [int(m.get("Capacity") or 0) for m in _items(doc.get("memory"))]
    inv.memory_bytes = sum(capacities) or (int(computer[0].get("TotalPhysicalMemory") or 0) or None)
    inv.disks = [
        Disk(
            name=f"PhysicalDrive{_text(d.get('Index'))}",
            size_bytes=int(d["Size"]) if d.get("Size") else None,
            model=_text(d.get("Model")),
            bus=_text(d.get("InterfaceType")).lower(),
            removable="removable" in _text(d.get("MediaType")).lower(),
        )
        for d in _items(doc.get("disks"))
    ]
    by_instance = _devices(inv, _items(doc.get("devices")))
    _adapters(inv, _items(doc.get("adapters")), by_instance)
    return inv


def _cpu(processors: list[dict[str, Any]], nx: bool) -> Cpu:
    if not processors:
        return Cpu()
    first = processors[0]
    maker = _text(first.get("Manufacturer"))
    cores = [int(p.get("NumberOfCores") or 0) for p in processors]
    threads = [int(p.get("NumberOfLogicalProcessors") or 0) for p in processors]
    cpu = Cpu(
        model=_text(first.get("Name")),
        vendor=maker if maker.startswith(("Genuine", "Authentic")) else "",
        cores=sum(cores) or None,
        threads=sum(threads) or None,
        sockets=len(processors),
    )
    if nx:
        cpu.flags.append("nx")
    if first.get("VMMonitorModeExtensions"):
        cpu.flags.append("vmx" if "Intel" in maker else "svm")
    if len(processors) == 1:
        split = infer_hybrid_split(maker, cpu.cores, cpu.threads)
        if split:
            cpu.p_cores, cpu.e_cores = split
    return cpu


def pci_location(text: str) -> str:
    """ "PCI bus 86, device 0, function 0" (decimal) -> "0000:56:00.0"; "" when not that form."""
    return _pci_location(text)


def usb_location(text: str) -> str:
    """ "Port_#0002.Hub_#0003" -> "3-2" (hub, then port); "" when not that form."""
    return _usb_location(text)


def _pci_location(text: str) -> str:
    match = _PCI_LOCATION.search(text)
    if not match:
        return ""
    bus, device, function = (int(g) for g in match.groups())
    return f"0000:{bus:02x}:{device:02x}.{function}"


def _usb_location(text: str) -> str:
    # No bus number on Windows: hub then port stands in for the Linux "bus-port" path.
    match = _USB_LOCATION.search(text)
    return f"{int(match.group(2))}-{int(match.group(1))}" if match else ""


def _devices(inv: Inventory, devices: list[dict[str, Any]]) -> dict[str, PciDevice | UsbDevice]:
    """Fills inv.pci / inv.usb; returns them by PnP instance ID (upper case) for the adapters."""
    by_instance: dict[str, PciDevice | UsbDevice] = {}
    usb_by_id: dict[str, UsbDevice] = {}
    interface_classes: dict[str, list[str]] = {}
    for device in devices:
        instance = _text(device.get("PNPDeviceID"))
        compatible = [_text(c) for c in device.get("CompatibleID") or [] if c]
        location = _text(device.get("LocationInfo"))
        pci = _PCI_ID.match(instance)
        if pci:
            vendor, dev, subsys, rev = pci.groups()
            cls = next((m.group(1) for m in map(_PCI_CLASS.match, compatible) if m), "")
            pci_device = PciDevice(
                address=_pci_location(location),
                vendor_id=vendor.lower(),
                device_id=dev.lower(),
                class_code=cls.lower(),
                subsystem_vendor_id=(subsys or "")[4:].lower(),
                subsystem_device_id=(subsys or "")[:4].lower(),
                vendor_name=_text(device.get("Manufacturer")),
                device_name=_text(device.get("Name")),
                driver=_text(device.get("Service")),
                revision=(rev or "").lower(),
            )
            inv.pci.append(pci_device)
            by_instance[instance.upper()] = pci_device
            continue
        usb = _USB_ID.match(instance)
        if not usb:
            continue
        key = f"{usb.group(1)}:{usb.group(2)}".lower()
        classes = interface_classes.setdefault(key, [])
        for m in map(_USB_CLASS.match, compatible):
            if m and f"{m.group(1)}/{m.group(2)}".lower() not in classes:
                classes.append(f"{m.group(1)}/{m.group(2)}".lower())
        if usb.group(3):  # one interface of a composite device: classes only
            continue
        usb_device = UsbDevice(
            bus=None,
            path=_usb_location(location) or instance,
            vendor_id=usb.group(1).lower(),
            product_id=usb.group(2).lower(),
            manufacturer=_text(device.get("Manufacturer")),
            product=_text(device.get("Name")),
            driver=_text(device.get("Service")),
        )
        usb_by_id[instance.upper()] = usb_device
        by_instance[instance.upper()] = usb_device
    for usb_device in usb_by_id.values():
        usb_device.interface_classes = interface_classes.get(usb_device.id, [])
        inv.usb.append(usb_device)
    return by_instance


def _adapters(
    inv: Inventory, adapters: list[dict[str, Any]], by_instance: dict[str, PciDevice | UsbDevice]
) -> None:
    for adapter in adapters:
        instance = _text(adapter.get("PnPDeviceID"))
        status = _text(adapter.get("Status")).lower()
        speed = int(adapter.get("Speed") or 0) // 1_000_000
        link = "up" if status == "up" else ("down" if status in ("disconnected", "disabled") else "unknown")
        interface = NetInterface(
            name=_text(adapter.get("Name")),
            mac=mac_address(_text(adapter.get("MacAddress"))),
            link=link,
            speed_mbps=speed if status == "up" and speed > 0 else None,
            driver=_text(adapter.get("DriverFileName")),
            description=_text(adapter.get("InterfaceDescription")),
        )
        device = by_instance.get(instance.upper())
        usb = _USB_ID.match(instance)
        if device is None and usb:  # the adapter sits on one interface ("&MI_00") of its device
            wanted = f"{usb.group(1)}:{usb.group(2)}".lower()
            device = next((d for d in inv.usb if d.id == wanted), None)
        if isinstance(device, PciDevice):
            interface.bus, interface.location = "pci", device.address
            interface.vendor_id, interface.device_id = device.vendor_id, device.device_id
            if not device.class_code and _text(adapter.get("PhysicalMediaType")) == "802.3":
                device.class_code = "0200"
        elif isinstance(device, UsbDevice):
            interface.bus, interface.location = "usb", device.path
            interface.vendor_id, interface.device_id = device.vendor_id, device.product_id
        inv.interfaces.append(interface)
