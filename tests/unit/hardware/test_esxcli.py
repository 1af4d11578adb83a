from __future__ import annotations

import pytest

from ecs_field.hardware.parsers.common import ParseError
from ecs_field.hardware.parsers.esxcli import parse_nic_list, parse_pci_list
from tests.unit.hardware.conftest import FIXTURES


def test_nic_list_columns_follow_the_dashes() -> None:
    nics = parse_nic_list((FIXTURES / "esxi-nuc11-nic-list.txt").read_text())
    vmnic, vusb = nics
    assert (vmnic.name, vmnic.bus, vmnic.location, vmnic.driver) == (
        "vmnic0",
        "pci",
        "0000:58:00.0",
        "cndi_igc",
    )
    assert (vmnic.link, vmnic.speed_mbps, vmnic.mac) == ("up", 2500, "88:ae:dd:0a:1b:2c")
    assert vmnic.description == "Intel(R) Ethernet Controller I225-LM"
    assert (vusb.name, vusb.bus, vusb.location, vusb.link, vusb.speed_mbps) == (
        "vusb0",
        "usb",
        "",
        "down",
        None,
    )
    assert vusb.description == "Realtek USB 10/100/1G/2.5G LAN"


def test_nic_list_without_alignment_falls_back_to_words() -> None:
    text = (
        "Name PCI Device Driver Admin Status Link Status Speed Duplex MAC Address MTU Description\n"
        "vmnic1 0000:02:00.0 ne1000 Up Down 0 Half 00:1b:21:aa:bb:cc 1500 Intel Corporation I219-V\n"
    )
    (nic,) = parse_nic_list(text)
    assert (nic.name, nic.location, nic.link, nic.description) == (
        "vmnic1",
        "0000:02:00.0",
        "down",
        "Intel Corporation I219-V",
    )


def test_nic_list_bad_row_names_its_line() -> None:
    text = (FIXTURES / "esxi-nuc11-nic-list.txt").read_text() + "vusb1   Pseudo   cd\n"
    with pytest.raises(ParseError) as exc:
        parse_nic_list(text)
    assert exc.value.line == 5


def test_pci_list_records() -> None:
    devices = {d.address: d for d in parse_pci_list((FIXTURES / "esxi-nuc11-pci-list.txt").read_text())}
    nic = devices["0000:58:00.0"]
    assert (nic.id, nic.class_code, nic.subsystem_vendor_id, nic.subsystem_device_id) == (
        "8086:15f2",
        "0200",
        "8086",
        "3003",
    )
    assert (nic.interface, nic.driver, nic.revision) == ("vmnic0", "cndi_igc", "03")
    wifi = devices["0000:00:14.3"]
    assert (wifi.interface, wifi.driver, wifi.class_code) == ("", "", "0280")


def test_pci_list_without_indent_and_truncated_record() -> None:
    text = (
        "0000:03:00.0\nAddress: 0000:03:00.0\nVMkernel Name: vmnic1\nVendor ID: 0x1dd8\nDevice ID: 0x1002\n"
    )
    assert parse_pci_list(text)[0].interface == "vmnic1"
    full = (FIXTURES / "esxi-nuc11-pci-list.txt").read_text()
    cut = full[: full.rindex("   Vendor ID:")]
    with pytest.raises(ParseError) as exc:
        parse_pci_list(cut)
    assert cut.splitlines()[exc.value.line - 1].strip() == "0000:58:00.0"
