"""What running hosts and laptops print, as published by others (tests/fixtures/hardware/real-outputs).

Each form parses to the right IDs, names and drivers; the importer picks the right kind for every
fixture; random and mutated text never escapes as anything but ParseError.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.hardware.importer import KINDS, decode, load_inputs, read_input, sniff_kind
from ecs_field.hardware.nics import derive_nics
from ecs_field.hardware.parsers import esxcli, macos, macos_text, windows_text
from ecs_field.hardware.parsers.common import ParseError
from tests.unit.hardware.conftest import FIXTURES

REAL = FIXTURES / "real-outputs"


def text_of(name: str) -> str:
    return decode((REAL / name).read_bytes())


def nic_rows(names: list[str], **kwargs: object) -> list[tuple[str, str, str]]:
    inv = load_inputs([REAL / n for n in names], **kwargs)  # type: ignore[arg-type]
    return [(n.esxi_name, n.id, n.driver) for n in inv.nics]


# --- ESXi ---------------------------------------------------------------------------------


def test_esxcli_82599_i350_keeps_names_drivers_and_addresses() -> None:
    nics = esxcli.parse_nic_list(text_of("esxcli-nic-list-82599-i350.txt"))
    assert [(n.name, n.location, n.driver, n.link, n.speed_mbps) for n in nics] == [
        ("vmnic0", "0000:81:00.0", "ixgben", "up", 10000),
        ("vmnic1", "0000:81:00.1", "ixgben", "down", None),
        ("vmnic2", "0000:01:00.0", "igbn", "up", 1000),
        ("vmnic3", "0000:01:00.1", "igbn", "down", None),
    ]
    assert nics[0].description == "Intel Corporation 82599EB 10-Gigabit SFI/SFP+ Network Connection"
    # The table names no PCI IDs: nothing is invented.
    assert {(n.vendor_id, n.device_id) for n in nics} == {("", "")}


def test_esxcli_indented_x710_i350_connectx4_and_idrac_usb() -> None:
    nics = esxcli.parse_nic_list(text_of("esxcli-nic-list-x710-i350-cx4lx-indented.txt"))
    assert [(n.name, n.driver, n.bus) for n in nics] == [
        ("vmnic0", "i40en", "pci"),
        ("vmnic1", "i40en", "pci"),
        ("vmnic2", "igbn", "pci"),
        ("vmnic3", "igbn", "pci"),
        ("vmnic4", "nmlx5_core", "pci"),
        ("vmnic5", "nmlx5_core", "pci"),
        ("vmnic6", "nmlx5_core", "pci"),
        ("vmnic7", "nmlx5_core", "pci"),
        ("vusb0", "cdce", "usb"),
    ]
    assert nics[4].description == "Mellanox Technologies MT27710 Family [ConnectX-4 Lx]"
    assert nics[4].speed_mbps == 25000 and nics[5].location == "0000:3b:00.1"


def test_esxcli_with_vmkchdev_lines_gets_pci_ids() -> None:
    text = text_of("esxcli-nic-list-x722-cx4lx-vmkchdev.txt")
    nics = esxcli.parse_nic_list(text)
    assert [(n.name, n.vendor_id, n.device_id, n.driver) for n in nics] == [
        ("vmnic0", "8086", "37d1", "i40en"),
        ("vmnic1", "8086", "37d1", "i40en"),
        ("vmnic2", "15b3", "1015", "nmlx5_core"),
        ("vmnic3", "15b3", "1015", "nmlx5_core"),
    ]
    assert nics[2].description.endswith("(MCX4121A-ACA)")


def test_esxcli_only_the_nic_with_a_vmkchdev_line_gets_ids() -> None:
    nics = esxcli.parse_nic_list(text_of("esxcli-nic-list-x540-i350-x550-vmkchdev.txt"))
    assert [(n.name, n.vendor_id, n.device_id) for n in nics][:2] == [
        ("vmnic0", "8086", "1528"),
        ("vmnic1", "", ""),
    ]
    assert len(nics) == 6  # the "esxcli network nic get" after the table is not a row


def test_esxi55_table_without_admin_status_and_three_digit_bus() -> None:
    nics = esxcli.parse_nic_list(text_of("esxcli-nic-list-esxi55-no-admin-status.txt"))
    assert [(n.name, n.location, n.driver, n.link, n.speed_mbps) for n in nics] == [
        ("vmnic0", "0000:01:00.0", "tg3", "up", 1000),
        ("vmnic1", "0000:09:00.0", "tg3", "up", 1000),
    ]


def test_esxcli_rows_wrapped_by_a_terminal_and_by_a_document() -> None:
    lines = text_of("esxcli-nic-list-82599-i350.txt").splitlines()
    terminal = [piece for line in lines for piece in ([line[:80], line[80:]] if len(line) > 80 else [line])]
    assert [n.description for n in esxcli.parse_nic_list("\n".join(terminal))] == [
        n.description for n in esxcli.parse_nic_list("\n".join(lines))
    ]
    # A document wraps at a space inside the description: the tail is an unindented line.
    space = lines[4].rindex(" Network")
    soft = [*lines[:4], lines[4][:space], lines[4][space + 1 :], *lines[5:]]
    nics = esxcli.parse_nic_list("\n".join(soft))
    assert nics[0].description == "Intel Corporation 82599EB 10-Gigabit SFI/SFP+ Network Connection"
    assert len(nics) == 4


def test_esxcli_table_followed_by_another_command_ends_there() -> None:
    text = text_of("esxcli-nic-list-82599-i350.txt") + "[root@esx:~] esxcli network vswitch standard list\n"
    assert len(esxcli.parse_nic_list(text)) == 4
    with pytest.raises(ParseError) as exc:  # a cut-off row still says which line
        esxcli.parse_nic_list(text_of("esxcli-nic-list-82599-i350.txt") + "vmnic4  0000:82:00.0  ixg\n")
    assert exc.value.line == 9


def test_esxcfg_nics_speed_with_unit() -> None:
    nics = esxcli.parse_esxcfg_nics(text_of("esxcfg-nics-l-vmxnet3.txt"))
    assert len(nics) == 6
    assert (nics[0].name, nics[0].location, nics[0].driver, nics[0].speed_mbps, nics[0].link) == (
        "vmnic0",
        "0000:02:01.0",
        "nvmxnet3",
        10000,
        "up",
    )


def test_powercli_esxcli_nic_list_records() -> None:
    nics = esxcli.parse_nic_records(text_of("powercli-esxcli-nic-list-invoke-qlogic57810.txt"))
    assert [(n.name, n.location, n.driver, n.link, n.speed_mbps) for n in nics] == [
        ("vmnic0", "0000:04:00.0", "bnx2x", "up", 10000),
        ("vmnic1", "0000:04:00.1", "bnx2x", "up", 10000),
        ("vmnic4", "0000:04:00.4", "bnx2x", "up", 10000),
        ("vmnic5", "0000:04:00.5", "bnx2x", "up", 10000),
    ]
    # Blank lines lost in a copy: a repeated key still starts the next record.
    squeezed = "\n".join(
        line for line in text_of("powercli-esxcli-nic-list-invoke-qlogic57810.txt").splitlines() if line
    )
    assert [n.name for n in esxcli.parse_nic_records(squeezed)] == ["vmnic0", "vmnic1", "vmnic4", "vmnic5"]


def test_esxcli_csv_formatter() -> None:
    # Shape of `esxcli --formatter=csv network nic list` (written from the esxcli field names).
    text = (
        "AdminStatus,Description,Driver,Duplex,Link,LinkStatus,MACAddress,MTU,Name,PCIDevice,Speed,\n"
        "Up,Intel(R) Ethernet Controller I225-LM,cndi_igc,Full,Up,Up,88:ae:dd:0a:1b:2c,1500,"
        "vmnic0,0000:58:00.0,2500,\n"
    )
    (nic,) = esxcli.parse_nic_records(text)
    assert (nic.name, nic.location, nic.driver, nic.speed_mbps) == (
        "vmnic0",
        "0000:58:00.0",
        "cndi_igc",
        2500,
    )
    assert sniff_kind(text) == "esxcli-nic-records"


def test_esxi_lspci_v_class_lines_give_ids() -> None:
    devices, interfaces = esxcli.parse_esxi_lspci(text_of("esxi-lspci-v-i350-realtek.txt"))
    assert interfaces == []
    assert [(d.address, d.id, d.class_code, d.interface) for d in devices] == [
        ("0000:01:00.0", "8086:1521", "0200", "vmnic0"),
        ("0000:01:00.1", "8086:1521", "0200", "vmnic1"),
        ("0000:03:00.0", "10ec:8168", "0200", "vmnic2"),
    ]


def test_esxi_lspci_without_ids_keeps_the_vmnic_and_vmkvsitools_adds_ids() -> None:
    text = text_of("esxi-lspci-vmkvsitools-aqc108.txt")
    plain = text[: text.index("vmkvsitools")]
    devices, interfaces = esxcli.parse_esxi_lspci(plain)
    assert devices == []
    assert [(i.name, i.location, i.description) for i in interfaces][2] == (
        "vmnic2",
        "0000:06:00.0",
        "Marvell AQtion 5Gbit Network Adapter",
    )
    devices, _ = esxcli.parse_esxi_lspci(text)
    assert [(d.id, d.subsystem_vendor_id, d.driver, d.interface) for d in devices] == [
        ("8086:1533", "1043", "igbn", "vmnic0"),
        ("8086:1533", "1043", "igbn", "vmnic1"),
        ("1d6a:d108", "1d6a", "", "vmnic2"),  # listed, but no driver claimed it
    ]


# --- macOS --------------------------------------------------------------------------------


def test_macos26_usb_host_json_lists_both_realtek_nics() -> None:
    inv = macos.parse_macos_json(text_of("macos26-spusbhost-tahoe.json"))
    realtek = [(d.id, d.path, d.manufacturer, d.product) for d in inv.usb if d.vendor_id == "0bda"]
    assert realtek == [
        ("0bda:8153", "1-2.4.4", "Realtek", "USB 10/100/1000 LAN"),
        ("0bda:8157", "1-2.2", "Realtek", "USB 10/100/1G/2.5G/5G LAN"),
    ]
    assert len(inv.usb) == 16  # buses (no IDs) are not devices
    # SPUSBHostDataType has no interface classes: the catalog's USB NIC IDs say which are NICs.
    derive_nics(inv, {"0bda:8153", "0bda:8157"})
    assert [(n.esxi_name, n.id) for n in inv.nics] == [("vusb0", "0bda:8157"), ("vusb1", "0bda:8153")]


def test_macos_both_usb_data_types_in_one_document_count_each_device_once() -> None:
    host = json.loads(text_of("macos26-spusbhost-tahoe.json"))["SPUSBHostDataType"]
    legacy = [
        {
            "_name": "USB 10/100/1000 LAN",
            "vendor_id": "0x0bda  (Realtek Semiconductor Corp.)",
            "product_id": "0x8153",
            "location_id": "0x01244000 / 9",
        },
        {"_name": "Keyboard", "vendor_id": "apple_vendor_id", "product_id": "0x029c", "location_id": "0x0"},
    ]
    inv = macos.parse_macos_json(json.dumps({"SPUSBDataType": legacy, "SPUSBHostDataType": host}))
    assert [d.path for d in inv.usb].count("1-2.4.4") == 1
    assert any(d.id == "05ac:029c" for d in inv.usb)  # Apple Silicon's symbolic vendor


def test_macos_old_usb_json_still_read() -> None:
    inv = macos.parse_macos_json((FIXTURES / "macos-macmini8-1.json").read_text())
    assert any(d.id == "0bda:8156" for d in inv.usb)


def test_macos_text_split_in_two_commands_still_one_nic_per_adapter() -> None:
    # The importer reads the SPEthernetDataType and SPUSBDataType parts on their own and merges them.
    inv = load_inputs([REAL / "macos-spethernet-spusb-text-dell-dock-rtl8153.txt"])
    assert [(n.esxi_name, n.id, n.name) for n in inv.nics] == [("vusb0", "0bda:8153", "en7")]


def test_macos_plain_text_usb_and_ethernet() -> None:
    inv = macos_text.parse_macos_text(text_of("macos-spethernet-spusb-text-dell-dock-rtl8153.txt"))
    lan = next(d for d in inv.usb if d.id == "0bda:8153")
    assert (lan.path, lan.manufacturer, lan.product) == ("2-3.4.4", "Realtek", "USB 10/100/1000 LAN")
    assert [(i.name, i.bus, i.vendor_id, i.device_id, i.driver) for i in inv.interfaces] == [
        ("en7", "usb", "0bda", "8153", "com.apple.DriverKit.AppleUserECM")
    ]  # the T2 controller's internal link (05ac:8233) is no port
    derive_nics(inv)
    assert [(n.esxi_name, n.id, n.name) for n in inv.nics] == [("vusb0", "0bda:8153", "en7")]


def test_macos_plain_text_hardware_pci_ethernet_and_network_mac() -> None:
    inv = macos_text.parse_macos_text(text_of("macos-10.6-macmini3-1-system_profiler.txt"))
    assert (inv.platform.vendor, inv.platform.product, inv.platform.family) == (
        "Apple Inc.",
        "Macmini3,1",
        "Mac mini",
    )
    assert (inv.cpu.model, inv.cpu.cores, inv.memory_bytes) == ("Intel Core 2 Duo", 2, 4 << 30)
    assert [(d.id, d.class_code, d.driver) for d in inv.pci] == [("10de:0ab0", "0200", "nvenet.kext")]
    assert [(i.name, i.mac) for i in inv.interfaces] == [("en0", "d4:9a:20:f3:db:00")]
    assert {d.id for d in inv.usb} >= {"090c:1000", "05ac:8216"}


def test_macos26_usb_host_plain_text() -> None:
    inv = macos_text.parse_macos_text(text_of("macos26-spusbhost-text-ch340.txt"))
    assert [(d.id, d.path) for d in inv.usb] == [
        ("1a86:7523", "1-1"),
        ("2717:50ae", "2-1"),
        ("2717:50ae", "2-2"),
    ]


def test_macos_text_apple_silicon_cores() -> None:
    text = "Hardware:\n\n    Hardware Overview:\n\n      Model Identifier: Mac14,3\n      Chip: Apple M2\n"
    text += "      Total Number of Cores: 8 (4 performance and 4 efficiency)\n      Memory: 16 GB\n"
    inv = macos_text.parse_macos_text(text)
    assert (inv.cpu.model, inv.cpu.cores, inv.cpu.p_cores, inv.cpu.e_cores) == ("Apple M2", 8, 4, 4)


# --- Windows ------------------------------------------------------------------------------


def test_wmic_list_utf16_windows10_skips_software_adapters_and_marks_wifi() -> None:
    raw = (REAL / "windows10-wmic-win32-networkadapter-list.txt").read_bytes()
    assert raw.startswith(b"\xff\xfe") and b"\r\x00\n\x00" in raw  # as wmic wrote it
    inv = windows_text.parse_windows_text(decode(raw))
    assert [(d.id, d.class_code, d.driver) for d in inv.pci] == [("8086:24f3", "0280", "Netwtw06")]
    assert [(d.id, d.driver) for d in inv.usb] == [("17e9:4306", "dlcdcncm")]
    wifi, dock = inv.interfaces
    assert (wifi.name, wifi.wireless, wifi.link) == ("Wi-Fi", True, "down")
    assert (dock.name, dock.description, dock.bus, dock.link, dock.speed_mbps, dock.wireless) == (
        "Ethernet 4",
        "Targus Giga Ethernet",
        "usb",
        "up",
        1000,
        False,
    )
    derive_nics(inv)
    assert [(n.esxi_name, n.id, n.name) for n in inv.nics] == [("vusb0", "17e9:4306", "Ethernet 4")]


def test_wmic_list_windows7_realtek_pci() -> None:
    inv = windows_text.parse_windows_text(text_of("windows7-wmic-win32-networkadapter-list.txt"))
    nic = inv.pci[0]
    assert (nic.id, nic.subsystem_vendor_id, nic.subsystem_device_id, nic.revision, nic.driver) == (
        "10ec:8168",
        "1043",
        "8432",
        "06",
        "RTL8167",
    )
    assert inv.interfaces[0].name == "Connexion au réseau local"
    assert "&amp;" not in json.dumps(inv.to_dict())


def test_wmic_msft_netadapter_list() -> None:
    inv = windows_text.parse_windows_text(text_of("windows10-wmic-msft-netadapter-list.txt"))
    assert [(i.name, i.vendor_id, i.device_id, i.wireless) for i in inv.interfaces] == [
        ("Ethernet 4", "17e9", "4306", False),
        ("Wi-Fi", "8086", "24f3", True),
    ]


def test_wmic_list_with_a_blank_line_after_every_line_still_splits_records() -> None:
    text = text_of("windows7-wmic-win32-networkadapter-list.txt")
    doubled = "\n\n".join(text.splitlines())  # wmic read through a pipe: "\r\r\n"
    first = windows_text.parse_windows_text(text)
    second = windows_text.parse_windows_text(doubled)
    assert [i.name for i in second.interfaces] == [i.name for i in first.interfaces]


def test_wmic_table_utf16() -> None:
    inv = windows_text.parse_windows_text(text_of("authored-wmic-nic-get-table-utf16.txt"))
    assert [(i.name, i.vendor_id, i.device_id, i.driver, i.wireless) for i in inv.interfaces] == [
        ("Ethernet", "8086", "15f3", "e2fnexpress", False),
        ("Ethernet 2", "0bda", "8153", "rtux64w10", False),
        ("Wi-Fi", "8086", "a0f0", "Netwtw10", True),
    ]


def test_powershell_format_list_and_table() -> None:
    listed = windows_text.parse_windows_text(text_of("authored-powershell-get-netadapter-format-list.txt"))
    assert [(i.name, i.vendor_id, i.device_id, i.link, i.speed_mbps, i.mac) for i in listed.interfaces][
        :2
    ] == [
        ("Ethernet", "8086", "125c", "up", 2500, "58:47:ca:00:00:01"),
        ("Ethernet 2", "0bda", "8153", "down", None, "00:e0:4c:00:00:02"),
    ]
    assert listed.interfaces[2].wireless and len(listed.interfaces) == 3  # Hyper-V skipped
    table = windows_text.parse_windows_text(text_of("authored-powershell-get-pnpdevice-class-net-table.txt"))
    assert [(d.id, d.class_code) for d in table.pci] == [("8086:15f3", "0200"), ("8086:a0f0", "0280")]
    assert [d.id for d in table.usb] == ["0bda:8153"]


def test_powershell_format_list_value_wrapped_under_itself() -> None:
    text = (
        "Name                 : Ethernet\n"
        "InterfaceDescription : Intel(R) Ethernet Controller I226-V\n"
        "PnPDeviceID          : PCI\\VEN_8086&DEV_125C&SUBSYS_00008086&REV_04\\5847CAFF\n"
        "                       FF000001\n"
    )
    inv = windows_text.parse_windows_text(text)
    assert inv.pci[0].id == "8086:125c" and inv.interfaces[0].name == "Ethernet"


def test_powershell_table_without_ids_says_what_to_paste() -> None:
    with pytest.raises(ParseError, match="PnPDeviceID"):
        windows_text.parse_windows_text(text_of("powershell-get-netadapter-table-i350.txt"))


def test_pnpdevice_table_without_instance_ids_says_what_to_paste() -> None:
    text = text_of("powershell-get-pnpdevice-usb-table-no-instanceid.txt")
    assert windows_text.sniff(text) == "windows-powershell"  # the command line above is no header
    with pytest.raises(ParseError, match="PnPDeviceID"):
        windows_text.parse_windows_text(text)


def test_instance_id_cut_by_a_narrow_table_keeps_the_adapter_without_ids() -> None:
    rows = [
        ("OK", "Net", "Realtek USB GbE Family Controller", "USB\\VID_0BDA&P\u2026"),
        ("OK", "Net", "Intel(R) Ethernet Controller (3) I225-V", "PCI\\VEN_8086&DEV_15F3&SUBSYS..."),
        ("OK", "Net", "WAN Miniport (IP)", "SWD\\MSRRAS\\MS_NDI\u2026"),
    ]
    widths = (11, 16, 78)
    lines = ["Status     Class           FriendlyName" + " " * 66 + "InstanceId"]
    lines.append("------     -----           ------------" + " " * 66 + "----------")
    lines += ["".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + r[3] for r in rows]
    inv = windows_text.parse_windows_text("\n".join(lines))
    assert [(i.bus, i.vendor_id, i.device_id) for i in inv.interfaces] == [
        ("usb", "", ""),
        ("pci", "8086", "15f3"),
    ]
    assert "Format-List FriendlyName,InstanceId" in inv.notes[0]
    derive_nics(inv)
    assert sorted((n.esxi_name, n.bus) for n in inv.nics) == [("vmnic0", "pci"), ("vusb0", "usb")]


def test_powershell_json_array_single_and_value_wrapper() -> None:
    array = windows_text.parse_powershell_json(
        text_of("authored-powershell-get-ciminstance-win32-networkadapter.json")
    )
    assert [(i.name, i.vendor_id, i.device_id, i.link, i.speed_mbps) for i in array.interfaces] == [
        ("Ethernet", "8086", "15f3", "up", 2500),
        ("Ethernet 2", "0bda", "8153", "down", None),
    ]
    single = windows_text.parse_powershell_json(text_of("authored-powershell-get-netadapter-single.json"))
    assert [(d.id, d.subsystem_vendor_id, d.driver) for d in single.pci] == [
        ("8086:1a1c", "1028", "e1d68x64.sys")
    ]
    wrapped = json.dumps(
        {"value": json.loads(text_of("authored-powershell-get-ciminstance-win32-networkadapter.json"))}
    )
    assert len(windows_text.parse_powershell_json(wrapped).interfaces) == 2


def test_wireless_from_the_medium_before_the_name() -> None:
    records = [
        {
            "Name": "WLAN uplink",
            "InterfaceDescription": "Intel(R) Ethernet I226-V",
            "NdisPhysicalMedium": 14,
            "PnPDeviceID": "PCI\\VEN_8086&DEV_125C\\1",
        },
        {
            "Name": "Ethernet 3",
            "InterfaceDescription": "Killer(R) AX1675x",
            "PhysicalMediaType": "Native 802.11",
            "PnPDeviceID": "PCI\\VEN_8086&DEV_51F1\\2",
        },
    ]
    inv = windows_text.parse_powershell_json(json.dumps(records))
    assert [(i.name, i.wireless) for i in inv.interfaces] == [("WLAN uplink", False), ("Ethernet 3", True)]


def test_pnp_entity_records_of_other_classes_are_not_adapters() -> None:
    records = [
        {
            "Name": "Intel(R) USB 3.20 eXtensible Host Controller",
            "PNPClass": "USB",
            "PNPDeviceID": "PCI\\VEN_8086&DEV_A0ED\\3&1",
        },
        {
            "Name": "Intel(R) Ethernet Controller I225-LM",
            "PNPClass": "Net",
            "PNPDeviceID": "pci\\ven_8086&dev_15f2\\3&2",
        },
    ]
    inv = windows_text.parse_powershell_json(json.dumps(records))
    assert [d.id for d in inv.pci] == ["8086:15f2"]  # instance IDs in any case


# --- Sniffing, end to end -----------------------------------------------------------------

EXPECTED = {
    "esxi-nuc11-nic-list.txt": "esxcli-nic-list",
    "esxi-nuc11-pci-list.txt": "esxcli-pci-list",
    "lenovo-m70q-gen2-dmidecode.txt": "dmidecode",
    "macos-macmini8-1.json": "macos-json",
    "multinic-4xi226-x710-lspci-vvnn.txt": "lspci-vvnn",
    "nuc11-lspci-n.txt": "lspci-nn",
    "nuc11-lspci-plain-no-ids.txt": "lspci-nn",
    "nuc11tnhi5-dmidecode.txt": "dmidecode",
    "nuc11tnhi5-lspci-vvnn.txt": "lspci-vvnn",
    "nuc11tnhv7-dmidecode-empty-product.txt": "dmidecode",
    "nuc12wshi7-dmidecode.txt": "dmidecode",
    "nuc12wshi7-lspci-nn.txt": "lspci-nn",
    "nuc13anh-b-asus-dmidecode.txt": "dmidecode",
    "nuc13anh-b-lspci-nn.txt": "lspci-nn",
    "rtl8125-minipc-dmidecode.txt": "dmidecode",
    "rtl8125-minipc-lspci-nn.txt": "lspci-nn",
    "usb-adapters-lsusb-v.txt": "lsusb-v",
    "usb-rtl8157-lsusb.txt": "lsusb",
    "windows-nuc12wshi7.json": "windows-json",
    "real-outputs/esxcli-nic-list-82599-i350.txt": "esxcli-nic-list",
    "real-outputs/esxcli-nic-list-x710-i350-cx4lx-indented.txt": "esxcli-nic-list",
    "real-outputs/esxcli-nic-list-x722-cx4lx-vmkchdev.txt": "esxcli-nic-list",
    "real-outputs/esxcli-nic-list-esxi55-no-admin-status.txt": "esxcli-nic-list",
    "real-outputs/esxcli-nic-list-x540-i350-x550-vmkchdev.txt": "esxcli-nic-list",
    "real-outputs/esxcfg-nics-l-vmxnet3.txt": "esxcfg-nics",
    "real-outputs/powercli-esxcli-nic-list-invoke-qlogic57810.txt": "esxcli-nic-records",
    "real-outputs/esxi-lspci-v-i350-realtek.txt": "esxi-lspci",
    "real-outputs/esxi-lspci-vmkvsitools-aqc108.txt": "esxi-lspci",
    "real-outputs/macos26-spusbhost-tahoe.json": "macos-json",
    "real-outputs/macos26-spusbhost-text-ch340.txt": "macos-text",
    "real-outputs/macos-spethernet-spusb-text-dell-dock-rtl8153.txt": "macos-text",
    "real-outputs/macos-10.6-macmini3-1-system_profiler.txt": "macos-text",
    "real-outputs/windows10-wmic-win32-networkadapter-list.txt": "windows-wmic",
    "real-outputs/windows10-wmic-msft-netadapter-list.txt": "windows-wmic",
    "real-outputs/windows7-wmic-win32-networkadapter-list.txt": "windows-wmic",
    "real-outputs/powershell-get-netadapter-table-i350.txt": "windows-powershell",
    "real-outputs/powershell-get-pnpdevice-usb-table-no-instanceid.txt": "windows-powershell",
    "real-outputs/authored-wmic-nic-get-table-utf16.txt": "windows-wmic",
    "real-outputs/authored-powershell-get-netadapter-format-list.txt": "windows-powershell",
    "real-outputs/authored-powershell-get-pnpdevice-class-net-table.txt": "windows-powershell",
    "real-outputs/authored-powershell-get-ciminstance-win32-networkadapter.json": "windows-powershell-json",
    "real-outputs/authored-powershell-get-netadapter-single.json": "windows-powershell-json",
}
DUMPS = sorted(
    str(p.relative_to(FIXTURES))
    for p in [*FIXTURES.glob("*"), *REAL.glob("*")]
    if p.is_file() and p.suffix in (".txt", ".json")
)


def expected_kind(name: str) -> str | None:
    """The table above, else the longest kind named in the file name (fixtures others add later)."""
    if name in EXPECTED:
        return EXPECTED[name]
    named = [k for k in KINDS if k in Path(name).stem]
    return max(named, key=len) if named else None


def test_the_table_covers_the_real_outputs() -> None:
    assert {d for d in DUMPS if d.startswith("real-outputs/")} <= set(EXPECTED)


@pytest.mark.parametrize("name", DUMPS)
def test_sniffing_picks_the_kind(name: str) -> None:
    kind = expected_kind(name)
    if kind is None:
        pytest.skip(f"{name}: no kind in its name and not in the table")
    assert kind in KINDS
    assert sniff_kind(decode((FIXTURES / name).read_bytes())) == kind


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (FIXTURES / "machines").rglob("*.txt")) if (FIXTURES / "machines").is_dir() else [],
)
def test_machine_dumps_are_read_as_what_their_name_says(path: Path) -> None:
    kinds = {source.split(":", 1)[0] for source in read_input(path).sources}
    assert path.stem in kinds or path.stem.replace("-", "") in {k.replace("-", "") for k in kinds}


def test_macos_text_is_not_an_esxcli_pci_list() -> None:
    # Both have indented "Vendor ID: 0x...." lines; the macOS outline wins where its titles are.
    assert sniff_kind(text_of("macos-10.6-macmini3-1-system_profiler.txt")) == "macos-text"
    assert sniff_kind((FIXTURES / "esxi-nuc11-pci-list.txt").read_text()) == "esxcli-pci-list"


# --- Hypothesis: never anything but ParseError, never a hang -------------------------------

PARSERS = {
    "nic-list": esxcli.parse_nic_list,
    "nic-records": esxcli.parse_nic_records,
    "esxcfg": esxcli.parse_esxcfg_nics,
    "esxi-lspci": esxcli.parse_esxi_lspci,
    "macos-text": macos_text.parse_macos_text,
    "macos-json": macos.parse_macos_json,
    "windows-text": windows_text.parse_windows_text,
    "windows-json": windows_text.parse_powershell_json,
}
SEEDS = {
    "nic-list": "esxcli-nic-list-x722-cx4lx-vmkchdev.txt",
    "nic-records": "powercli-esxcli-nic-list-invoke-qlogic57810.txt",
    "esxcfg": "esxcfg-nics-l-vmxnet3.txt",
    "esxi-lspci": "esxi-lspci-vmkvsitools-aqc108.txt",
    "macos-text": "macos-spethernet-spusb-text-dell-dock-rtl8153.txt",
    "macos-json": "macos26-spusbhost-tahoe.json",
    "windows-text": "windows10-wmic-win32-networkadapter-list.txt",
    "windows-json": "authored-powershell-get-ciminstance-win32-networkadapter.json",
}
FAST = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def run_parser(which: str, text: str) -> None:
    with contextlib.suppress(ParseError):
        PARSERS[which](text)


@FAST
@given(which=st.sampled_from(sorted(PARSERS)), text=st.text(max_size=400))
def test_random_text_only_parse_errors(which: str, text: str) -> None:
    run_parser(which, text)


@FAST
@given(
    which=st.sampled_from(sorted(PARSERS)),
    cut=st.integers(min_value=0, max_value=10_000),
    drop=st.sets(st.integers(min_value=0, max_value=80), max_size=8),
    splice=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40),
    at=st.integers(min_value=0, max_value=80),
)
def test_mutated_fixtures_only_parse_errors(
    which: str, cut: int, drop: set[int], splice: str, at: int
) -> None:
    lines = text_of(SEEDS[which]).splitlines()
    lines = [line for number, line in enumerate(lines) if number not in drop]
    lines.insert(min(at, len(lines)), splice)
    text = "\n".join(lines)
    run_parser(which, text[: max(1, len(text) - cut)] if cut < len(text) else text)


@FAST
@given(depth=st.integers(min_value=1, max_value=3000), key=st.sampled_from(["_items", "value", "x"]))
def test_deeply_nested_json_is_refused_not_crashed(depth: int, key: str) -> None:
    document = '{"SPUSBHostDataType": ' + ('[{"' + key + '": ') * depth + "1" + "}]" * depth + "}"
    for which in ("macos-json", "windows-json"):
        run_parser(which, document)


# --- End to end: ecs-field check FILE --json ------------------------------------------------
# The verdict word is the VERDICT helper's; these assert the NICs the JSON names.

NO_ID = ("", None)
CHECKED = {
    "esxcli-nic-list-82599-i350.txt": {
        "vmnic0": (NO_ID, "ixgben"),
        "vmnic1": (NO_ID, "ixgben"),
        "vmnic2": (NO_ID, "igbn"),
        "vmnic3": (NO_ID, "igbn"),
    },
    "esxcli-nic-list-x710-i350-cx4lx-indented.txt": {
        **{f"vmnic{n}": (NO_ID, "i40en") for n in (0, 1)},
        **{f"vmnic{n}": (NO_ID, "igbn") for n in (2, 3)},
        **{f"vmnic{n}": (NO_ID, "nmlx5_core") for n in (4, 5, 6, 7)},
        "vusb0": (NO_ID, None),
    },
    "esxcli-nic-list-x540-i350-x550-vmkchdev.txt": {
        "vmnic0": (("8086:1528",), None),
        "vmnic2": (NO_ID, "igbn"),
        "vmnic3": (NO_ID, "igbn"),
    },
    "esxcli-nic-list-esxi55-no-admin-status.txt": {"vmnic0": (NO_ID, None), "vmnic1": (NO_ID, None)},
    "esxcfg-nics-l-vmxnet3.txt": {f"vmnic{n}": (NO_ID, None) for n in range(6)},
    "powercli-esxcli-nic-list-invoke-qlogic57810.txt": {f"vmnic{n}": (NO_ID, None) for n in (0, 1, 4, 5)},
    "esxi-lspci-vmkvsitools-aqc108.txt": {
        "vmnic0": (("8086:1533",), None),
        "vmnic1": (("8086:1533",), None),
        "vmnic2": (("1d6a:d108",), None),
    },
    "macos26-spusbhost-tahoe.json": {"vusb0": (("0bda:8157",), None), "vusb1": (("0bda:8153",), None)},
    "macos-spethernet-spusb-text-dell-dock-rtl8153.txt": {"vusb0": (("0bda:8153",), None)},
    "macos-10.6-macmini3-1-system_profiler.txt": {"vmnic0": (("10de:0ab0",), None)},
    "windows10-wmic-win32-networkadapter-list.txt": {"vusb0": (("17e9:4306",), None)},
    "windows10-wmic-msft-netadapter-list.txt": {"vusb0": (("17e9:4306",), None)},
    "windows7-wmic-win32-networkadapter-list.txt": {"vmnic0": (("10ec:8168",), None)},
    "authored-wmic-nic-get-table-utf16.txt": {
        "vmnic0": (("8086:15f3",), None),
        "vusb0": (("0bda:8153",), None),
    },
    "authored-powershell-get-netadapter-format-list.txt": {
        "vmnic0": (("8086:125c",), None),
        "vusb0": (("0bda:8153",), None),
    },
    "authored-powershell-get-pnpdevice-class-net-table.txt": {
        "vmnic0": (("8086:15f3",), None),
        "vusb0": (("0bda:8153",), None),
    },
    "authored-powershell-get-ciminstance-win32-networkadapter.json": {
        "vmnic0": (("8086:15f3",), None),
        "vusb0": (("0bda:8153",), None),
    },
    "authored-powershell-get-netadapter-single.json": {"vmnic0": (("8086:1a1c",), None)},
    # Pasted with the "[root@host:~]" prompt first: a leading "[" is not JSON.
    "esxcli-nic-list-x722-cx4lx-vmkchdev.txt": {
        "vmnic0": (("8086:37d1",), "i40en"),
        "vmnic1": (("8086:37d1",), "i40en"),
        "vmnic2": (("15b3:1015",), "nmlx5_core"),
        "vmnic3": (("15b3:1015",), "nmlx5_core"),
    },
    "esxi-lspci-v-i350-realtek.txt": {
        "vmnic0": (("8086:1521",), None),
        "vmnic1": (("8086:1521",), None),
        "vmnic2": (("10ec:8168",), None),
    },
}


def check_json(path: Path) -> tuple[int, dict[str, object], str]:
    from tests.clirun import run_cli

    result = run_cli("check", str(path), "--json")
    return result.returncode, (json.loads(result.stdout) if result.stdout.strip() else {}), result.stderr


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_check_json_names_the_nics(name: str) -> None:
    code, verdict, err = check_json(REAL / name)
    assert code in (0, 1, 3), err
    nics = {n["esxi_name"]: n for n in verdict["nics"]}  # type: ignore[union-attr]
    for esxi_name, (ids, driver) in CHECKED[name].items():
        assert nics[esxi_name]["id"] in ids, (esxi_name, nics[esxi_name])
        assert nics[esxi_name]["id"] != ":"
        if driver is not None:  # the driver the host itself reported (esxcli tables)
            assert nics[esxi_name]["driver"] == driver
    assert set(nics) >= set(CHECKED[name])


def test_check_refuses_a_name_only_table_with_the_command_to_paste() -> None:
    code, _, err = check_json(REAL / "powershell-get-netadapter-table-i350.txt")
    assert code == 2
    assert "PnPDeviceID" in err and "Traceback" not in err


def test_check_as_a_real_process() -> None:
    from tests.clirun import run_process

    result = run_process("check", str(REAL / "esxcli-nic-list-82599-i350.txt"), "--json", timeout=120)
    assert result.returncode in (0, 1, 3), result.stderr
    nics = json.loads(result.stdout)["nics"]
    assert sorted((n["esxi_name"], n["driver"]) for n in nics) == [
        ("vmnic0", "ixgben"),
        ("vmnic1", "ixgben"),
        ("vmnic2", "igbn"),
        ("vmnic3", "igbn"),
    ]


LONG_LINES = [
    "0000:00:00.0 " + "a: " * 60_000 + "x",
    "USB:\n  " + "Vendor ID: " + " " * 200_000 + "x",
    " " * 200_000 + ":",
    "PNPDeviceID=" + "&amp;" * 40_000,
    "Name : " + "PCI\\VEN_" * 20_000,
    "vmnic0 " * 30_000,
    "Name    PCI Device    Driver  Admin Status  Link Status  Speed\n" + "-" * 100_000 + " " + "-" * 100_000,
]


@pytest.mark.parametrize("which", sorted(PARSERS))
def test_one_huge_line_is_read_in_linear_time(which: str) -> None:
    import time

    for line in LONG_LINES:
        started = time.monotonic()
        run_parser(which, line)
        assert time.monotonic() - started < 2.0, (which, line[:40])
