from __future__ import annotations

import json

import pytest

from ecs_field.hardware.nics import derive_nics
from ecs_field.hardware.parsers.common import ParseError
from ecs_field.hardware.parsers.macos import parse_macos_json
from ecs_field.hardware.parsers.windows import POWERSHELL_SCRIPT, SCHEMA, parse_windows_json
from tests.unit.hardware.conftest import FIXTURES


def test_windows_document() -> None:
    inv = parse_windows_json((FIXTURES / "windows-nuc12wshi7.json").read_text())
    assert (inv.platform.product, inv.platform.board, inv.platform.family) == (
        "NUC12WSHi7",
        "NUC12WSBi7",
        "WS",
    )
    assert (inv.cpu.cores, inv.cpu.threads, inv.cpu.p_cores, inv.cpu.e_cores) == (12, 16, 4, 8)
    assert {"nx", "vmx"} <= set(inv.cpu.flags)
    assert inv.memory_bytes == 64 << 30
    nic = next(d for d in inv.pci if d.id == "8086:15f3")
    # SUBSYS_ssssvvvv: subsystem device first, vendor last; class from CompatibleID CC_0200
    assert (nic.subsystem_vendor_id, nic.subsystem_device_id, nic.class_code) == ("8086", "3004", "0200")
    assert nic.address == "0000:56:00.0"  # "PCI bus 86" is decimal
    usb = next(d for d in inv.usb if d.id == "0bda:8156")
    assert usb.path == "3-2" and usb.interface_classes == ["ff/ff"]
    keyboard = next(d for d in inv.usb if d.id == "046d:c52b")
    assert keyboard.interface_classes == ["03/01"]  # from its &MI_00 interface
    derive_nics(inv)
    assert [(n.esxi_name, n.id, n.name, n.link, n.speed_mbps) for n in inv.nics] == [
        ("vmnic0", "8086:15f3", "Ethernet", "up", 2500),
        ("vusb0", "0bda:8156", "Ethernet 2", "down", None),
    ]
    assert [d.is_ethernet for d in inv.pci if d.id == "8086:51f0"] == [False]


def test_windows_single_objects_instead_of_arrays_and_wrong_schema() -> None:
    doc = json.loads((FIXTURES / "windows-nuc12wshi7.json").read_text())
    doc["memory"] = {"Capacity": 8 << 30}
    assert parse_windows_json(json.dumps(doc)).memory_bytes == 8 << 30
    with pytest.raises(ParseError):
        parse_windows_json(json.dumps({"schema": "other"}))
    with pytest.raises(ParseError):
        parse_windows_json('{"schema": "' + SCHEMA + '", "processors": 5}')


def test_powershell_script_emits_one_json_object_with_our_schema() -> None:
    assert SCHEMA in POWERSHELL_SCRIPT
    assert POWERSHELL_SCRIPT.rstrip().endswith("ConvertTo-Json -Depth 5 -Compress")
    for needed in (
        "Win32_ComputerSystem",
        "Win32_BaseBoard",
        "Win32_Processor",
        "Win32_PhysicalMemory",
        "Win32_PnPEntity",
        "Get-NetAdapter",
        "CompatibleID",
        "DEVPKEY_Device_LocationInfo",
    ):
        assert needed in POWERSHELL_SCRIPT


def test_macos_document() -> None:
    inv = parse_macos_json((FIXTURES / "macos-macmini8-1.json").read_text())
    assert (inv.platform.vendor, inv.platform.product, inv.platform.family) == (
        "Apple Inc.",
        "Macmini8,1",
        "Mac mini",
    )
    assert (inv.cpu.cores, inv.cpu.vendor, inv.memory_bytes) == (6, "GenuineIntel", 32 << 30)
    paths = {d.id: d.path for d in inv.usb}
    assert paths == {"0bda:8156": "1-2", "05e3:0610": "1-1", "046d:c31c": "1-1.4"}
    derive_nics(inv)
    assert [(n.esxi_name, n.id, n.name, n.mac) for n in inv.nics] == [
        ("vmnic0", "1d6a:07b1", "en0", "a4:83:e7:11:22:33"),
        ("vusb0", "0bda:8156", "en7", "00:e0:4c:68:00:76"),
    ]


def test_macos_apple_silicon_counts_and_bad_document() -> None:
    text = json.dumps(
        {
            "SPHardwareDataType": [
                {
                    "chip_type": "Apple M2",
                    "number_processors": "proc 8:4:4",
                    "physical_memory": "16 GB",
                    "machine_model": "Mac14,3",
                }
            ]
        }
    )
    inv = parse_macos_json(text)
    assert (inv.cpu.cores, inv.cpu.p_cores, inv.cpu.e_cores, inv.cpu.hybrid) == (8, 4, 4, True)
    with pytest.raises(ParseError):
        parse_macos_json('{"hello": 1}')
