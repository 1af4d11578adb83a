from __future__ import annotations

from ecs_field.hardware.importer import load_inputs
from ecs_field.hardware.inventory import Inventory, NetInterface, PciDevice, UsbDevice
from ecs_field.hardware.nics import derive_nics, usb_sort_key
from tests.unit.hardware.conftest import FIXTURES


def pci(address: str, device: str = "125c", cls: str = "0200") -> PciDevice:
    return PciDevice(address=address, vendor_id="8086", device_id=device, class_code=cls)


def test_vmnic_numbers_follow_numeric_pci_order() -> None:
    inv = load_inputs([FIXTURES / "multinic-4xi226-x710-lspci-vvnn.txt"])
    assert [(n.esxi_name, n.location, n.id) for n in inv.nics] == [
        ("vmnic0", "0000:01:00.0", "8086:125c"),
        ("vmnic1", "0000:02:00.0", "8086:125c"),
        ("vmnic2", "0000:03:00.0", "8086:125c"),
        ("vmnic3", "0000:04:00.0", "8086:125c"),
        ("vmnic4", "0000:5a:00.0", "8086:1572"),
        ("vmnic5", "0000:5a:00.1", "8086:1572"),
    ]
    assert inv.nics[4].driver == "i40e" and inv.nics[4].subsystem_device_id == "0007"


def test_order_is_numeric_not_textual() -> None:
    inv = Inventory(
        pci=[
            pci("10000:00:01.0"),
            pci("0000:0a:00.0"),
            pci("0000:09:00.1"),
            pci("0000:09:00.0"),
            pci("0001:00:00.0"),
            pci("0000:00:14.3", "a0f0", "0280"),
        ]
    )
    derive_nics(inv)
    assert [(n.esxi_name, n.location) for n in inv.nics] == [
        ("vmnic0", "0000:09:00.0"),
        ("vmnic1", "0000:09:00.1"),
        ("vmnic2", "0000:0a:00.0"),
        ("vmnic3", "0001:00:00.0"),
        ("vmnic4", "10000:00:01.0"),
    ]


def test_usb_order_bus_then_port_path() -> None:
    assert sorted(["2-1", "1-10", "1-2.3", "1-2", "001:004"], key=usb_sort_key) == [
        "1-2",
        "1-2.3",
        "001:004",
        "1-10",
        "2-1",
    ]
    devices = [
        UsbDevice(bus=b, path=p, vendor_id="0bda", product_id="8156", interface_classes=["02/0d"])
        for b, p in ((2, "2-1"), (1, "1-10"), (1, "1-2.3"))
    ]
    inv = Inventory(usb=devices)
    derive_nics(inv)
    assert [(n.esxi_name, n.location) for n in inv.nics] == [
        ("vusb0", "1-2.3"),
        ("vusb1", "1-10"),
        ("vusb2", "2-1"),
    ]


def test_usb_nic_by_class_by_catalog_id_or_by_bound_netdev() -> None:
    usb = [
        UsbDevice(
            bus=1, path="1-1", vendor_id="0b95", product_id="1790", interface_classes=["ff/ff"]
        ),  # catalog id
        UsbDevice(
            bus=1, path="1-2", vendor_id="1234", product_id="0001", interface_classes=["02/0c"]
        ),  # CDC-EEM
        UsbDevice(
            bus=1, path="1-3", vendor_id="0bda", product_id="8157", interface_classes=["ff/ff"]
        ),  # netdev
        UsbDevice(
            bus=1, path="1-4", vendor_id="046d", product_id="c31c", interface_classes=["03/01"]
        ),  # keyboard
        UsbDevice(
            bus=1, path="1-5", vendor_id="0bda", product_id="b812", interface_classes=["ff/ff"]
        ),  # Wi-Fi
    ]
    interfaces = [
        NetInterface(
            name="enx00e04c680076",
            bus="usb",
            location="1-3",
            link="up",
            speed_mbps=5000,
            mac="00:e0:4c:68:00:76",
            driver="r8152",
        ),
        NetInterface(name="wlx001122334455", bus="usb", location="1-5", wireless=True),
    ]
    inv = Inventory(usb=usb, interfaces=interfaces)
    derive_nics(inv, usb_nic_ids={"0B95:1790"})
    assert [(n.esxi_name, n.id) for n in inv.nics] == [
        ("vusb0", "0b95:1790"),
        ("vusb1", "1234:0001"),
        ("vusb2", "0bda:8157"),
    ]
    rtl = inv.nics[2]
    assert (rtl.name, rtl.link, rtl.speed_mbps, rtl.mac, rtl.driver) == (
        "enx00e04c680076",
        "up",
        5000,
        "00:e0:4c:68:00:76",
        "r8152",
    )


def test_pci_netdev_of_a_non_ethernet_function_is_not_a_nic() -> None:
    inv = Inventory(
        pci=[pci("0000:00:14.3", "a0f0", "0280")],
        interfaces=[NetInterface(name="wlp0s20f3", bus="pci", location="0000:00:14.3")],
    )
    derive_nics(inv)
    assert inv.nics == []


def test_esxi_names_are_kept_and_unclaimed_ports_get_none() -> None:
    inv = Inventory(
        pci=[pci("0000:01:00.0"), pci("0000:02:00.0")],
        interfaces=[NetInterface(name="vmnic1", bus="pci", location="0000:02:00.0")],
    )
    derive_nics(inv)
    assert [(n.location, n.esxi_name) for n in inv.nics] == [("0000:01:00.0", ""), ("0000:02:00.0", "vmnic1")]


def test_derive_replaces_previous_nics() -> None:
    inv = load_inputs([FIXTURES / "rtl8125-minipc-lspci-nn.txt"])
    derive_nics(inv)
    assert [n.esxi_name for n in inv.nics] == ["vmnic0", "vmnic1"]


def test_ports_without_addresses_pair_with_adapters_in_order() -> None:
    inv = Inventory(
        pci=[PciDevice(address="", vendor_id="8086", device_id="125c", class_code="0200") for _ in range(2)],
        interfaces=[
            NetInterface(name="Ethernet", bus="pci", vendor_id="8086", device_id="125c", link="up"),
            NetInterface(name="Ethernet 2", bus="pci", vendor_id="8086", device_id="125c", link="down"),
        ],
    )
    derive_nics(inv)
    assert [(n.esxi_name, n.name, n.link) for n in inv.nics] == [
        ("vmnic0", "Ethernet", "up"),
        ("vmnic1", "Ethernet 2", "down"),
    ]
