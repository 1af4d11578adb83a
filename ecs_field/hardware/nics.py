"""Which devices are network ports, and the names ESXi will give them.

ESXi numbers PCI NICs vmnic0, vmnic1, ... in PCI address order (domain:bus:device.function,
numerically) and USB NICs vusb0, vusb1, ... in USB order (bus, then port path). When the data
comes from ESXi itself (esxcli), the names it reports are kept instead of predicted.

A USB device counts as a NIC when it has a CDC networking interface (ECM 02/06, MDLM 02/0a,
NCM 02/0d, EEM 02/0c), when its "vvvv:pppp" is in ``usb_nic_ids`` (the catalog supplies the
set; no IDs live here), when the producing OS bound a network interface or a USB Ethernet
driver (r8152, ax88179_178a, asix, cdc_ether, ...) to it, or when its name says Ethernet / LAN /
GbE or names a USB Ethernet controller chip (AX88772, RTL8153, LAN7800, SMSC9512, ...) and its
interfaces (when listed) are vendor-specific or communications. An adapter the catalog does not
know must still be listed: dropping it would make a box look as if it had no NIC at all.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ecs_field.hardware.inventory import Inventory, NetInterface, Nic, PciDevice, UsbDevice
from ecs_field.hardware.parsers.common import pci_sort_key

CDC_NETWORK_CLASSES = frozenset({"02/06", "02/0a", "02/0d", "02/0c"})
_ESXI_NAME = re.compile(r"^(vmnic|vusb)\d+$")
_USB_PATH = re.compile(r"^(\d+)-([\d.]+)$")
_USB_BUS_DEV = re.compile(r"^(\d+):(\d+)$")
# Linux drivers of USB Ethernet adapters (drivers/net/usb): a device bound to one is a NIC.
USB_NET_DRIVERS = frozenset(
    {
        "r8152", "r8153_ecm", "ax88179_178a", "asix", "ax88172a", "cdc_ether", "cdc_ncm", "cdc_eem",
        "cdc_subset", "smsc95xx", "smsc75xx", "lan78xx", "aqc111", "dm9601", "sr9700", "sr9800",
        "mcs7830", "pegasus", "rtl8150", "kaweth", "catc", "ch9200", "cx82310_eth", "int51x1",
        "plusb", "gl620a", "net1080", "zaurus",
        # ESXi's own USB NIC drivers (esxcli reports these)
        "cdce", "axge", "cdceem",
    }
)  # fmt: skip
# Words in a product name (lsusb, usb.ids, the device's own string) that say "wired network".
_NET_WORDS = re.compile(
    r"\b(?:ethernet|lan|gbe|\d+(?:\.\d)?\s?gbe|gigabit|10/100|network adapter|network interface|nic)\b",
    re.IGNORECASE,
)
# USB Ethernet controller chip names as vendors and usb.ids print them.
_NET_CHIPS = re.compile(
    r"\b(?:AX88[17]\d{2}[A-C]?|AX8817X|RTL81[5]\d[A-Z]?|RTL8156[A-Z]?|RTL8157|LAN7[5-8]\d{2}|"
    r"LAN95\d{2}|SMSC?95\d{2}|SMSC75\d{2}|AQC1[01]\dU?|DM96\d{2}|SR9[78]00|MCS7830)\b",
    re.IGNORECASE,
)
# Wireless/cellular/Bluetooth names also say "network" or "LAN"; none is an ESXi uplink.
_NOT_WIRED = re.compile(
    r"wireless|wi-?fi|\bwlan\b|802\.11|bluetooth|\bwwan\b|\blte\b|5g modem|mobile broadband|modem|"
    r"\bhub\b|card reader",
    re.IGNORECASE,
)
_WIRED_CLASSES = ("ff/", "02/", "0a/")


def usb_sort_key(path: str) -> tuple[int, tuple[int, ...]]:
    """(bus, ports...) from "2-1.4" (sysfs, macOS, Windows hub-port) or "002:005" (lsusb)."""
    match = _USB_PATH.match(path)
    if match:
        return int(match.group(1)), tuple(int(p) for p in match.group(2).split(".") if p)
    match = _USB_BUS_DEV.match(path)
    if match:  # lsusb gives no ports; the device number (enumeration order) stands in
        return int(match.group(1)), (int(match.group(2)),)
    return 1 << 16, ()


def derive_nics(inv: Inventory, usb_nic_ids: Collection[str] = ()) -> None:
    """Fill ``inv.nics`` from ``inv.pci``, ``inv.usb`` and ``inv.interfaces`` (replacing it)."""
    wanted = {i.lower() for i in usb_nic_ids}
    free = [i for i in inv.interfaces if not i.wireless]
    pci_nics = [
        _pci_nic(d, _take(free, "pci", d.address, d.vendor_id, d.device_id)) for d in inv.pci if d.is_ethernet
    ]
    usb_nics = []
    for device in inv.usb:
        interface = _take(free, "usb", device.path, device.vendor_id, device.product_id)
        if interface or device.id in wanted or is_usb_network_adapter(device):
            usb_nics.append(_usb_nic(device, interface))
    known_pci = {d.address for d in inv.pci if d.address} | {d.id for d in inv.pci if not d.address}
    for interface in free:  # interfaces whose device the sources did not list (esxcli nic list alone)
        if (
            interface.bus == "pci"
            and (interface.location or f"{interface.vendor_id}:{interface.device_id}") in known_pci
        ):
            continue  # a non-Ethernet PCI function (e.g. a modem) with a netdev: not an uplink
        if interface.bus == "pci" or interface.name.startswith("vmnic"):
            pci_nics.append(_nic_from_interface("pci", interface))
        elif interface.bus == "usb" or interface.name.startswith("vusb"):
            usb_nics.append(_nic_from_interface("usb", interface))
    pci_nics.sort(key=lambda n: pci_sort_key(n.location))
    usb_nics.sort(key=lambda n: usb_sort_key(n.location))
    _name(pci_nics, "vmnic")
    _name(usb_nics, "vusb")
    inv.nics = pci_nics + usb_nics


def is_usb_network_adapter(device: UsbDevice) -> bool:
    """A wired USB network adapter by what the device itself shows (no catalog needed)."""
    if CDC_NETWORK_CLASSES.intersection(device.interface_classes):
        return True
    if device.driver.strip().lower() in USB_NET_DRIVERS:
        return True
    name = " ".join(part for part in (device.manufacturer, device.product) if part)
    if not name or _NOT_WIRED.search(name):
        return False
    if device.interface_classes and not any(c.startswith(_WIRED_CLASSES) for c in device.interface_classes):
        return False  # a hub, keyboard or disk whose name happens to contain "LAN"
    return bool(_NET_WORDS.search(name) or _NET_CHIPS.search(name))


def _take(free: list[NetInterface], bus: str, location: str, vendor: str, device: str) -> NetInterface | None:
    """The interface bound to this device, removed from ``free``: by location, else by ID.

    The ID fallback is for sources without addresses (macOS, Windows without LocationInfo):
    ports of the same chip then pair up in listing order.
    """
    match = next((i for i in free if i.location and i.location == location and i.bus in (bus, "")), None)
    if match is None and vendor:
        match = next(
            (
                i
                for i in free
                if i.bus == bus and not i.location and (i.vendor_id, i.device_id) == (vendor, device)
            ),
            None,
        )
    if match is not None:
        free.remove(match)
    return match


def _apply(nic: Nic, interface: NetInterface | None) -> Nic:
    if interface is not None:
        nic.name = interface.name
        nic.mac = interface.mac
        nic.link = interface.link
        nic.speed_mbps = interface.speed_mbps
        nic.driver = nic.driver or interface.driver
        nic.chip = nic.chip or interface.description
    return nic


def _pci_nic(device: PciDevice, interface: NetInterface | None) -> Nic:
    nic = Nic(
        bus="pci",
        vendor_id=device.vendor_id,
        device_id=device.device_id,
        location=device.address,
        chip=device.device_name,
        driver=device.driver,
        subsystem_vendor_id=device.subsystem_vendor_id,
        subsystem_device_id=device.subsystem_device_id,
    )
    _apply(nic, interface)
    if device.interface and not nic.name:
        nic.name = device.interface  # esxcli hardware pci list: "VMkernel Name: vmnic0"
    return nic


def _usb_nic(device: UsbDevice, interface: NetInterface | None) -> Nic:
    chip = " ".join(part for part in (device.manufacturer, device.product) if part)
    nic = Nic(
        bus="usb",
        vendor_id=device.vendor_id,
        device_id=device.product_id,
        location=device.path,
        chip=chip,
        driver=device.driver,
        speed_mbps=None,
    )
    return _apply(nic, interface)


def _nic_from_interface(bus: str, interface: NetInterface) -> Nic:
    nic = Nic(
        bus=bus, vendor_id=interface.vendor_id, device_id=interface.device_id, location=interface.location
    )
    return _apply(nic, interface)


def _name(nics: list[Nic], prefix: str) -> None:
    if any(_ESXI_NAME.match(n.name) for n in nics):
        # Names reported by ESXi itself; a port ESXi did not claim has none.
        for nic in nics:
            nic.esxi_name = nic.name if nic.name.startswith(prefix) and _ESXI_NAME.match(nic.name) else ""
        return
    for index, nic in enumerate(nics):
        nic.esxi_name = f"{prefix}{index}"
