"""vmnic numbering follows numeric PCI order, not the text of the address.

A mutation check found that sorting by the address text survived the suite: no fixture had PCI
domains of different widths. VMD and some servers put devices in domain 10000 (five digits),
which sorts before ffff as text but after it as a number.
"""

from __future__ import annotations

from ecs_field.hardware.inventory import Inventory, PciDevice
from ecs_field.hardware.nics import derive_nics


def _nic(address: str, device: str) -> PciDevice:
    return PciDevice(address=address, vendor_id="8086", device_id=device, class_code="0200")


def test_wider_domain_numbers_come_later() -> None:
    devices = [_nic("10000:e1:00.0", "1521"), _nic("ffff:02:00.0", "15f3"), _nic("0000:58:00.0", "125c")]
    inv = Inventory(pci=devices)
    derive_nics(inv)
    names = {n.location: n.esxi_name for n in inv.nics}
    assert names == {"0000:58:00.0": "vmnic0", "ffff:02:00.0": "vmnic1", "10000:e1:00.0": "vmnic2"}


def test_bus_device_function_are_numeric_within_a_domain() -> None:
    devices = [_nic("0000:0a:00.1", "1521"), _nic("0000:0a:00.0", "1521"), _nic("0000:09:1f.0", "1521")]
    inv = Inventory(pci=devices)
    derive_nics(inv)
    assert [n.location for n in inv.nics] == ["0000:09:1f.0", "0000:0a:00.0", "0000:0a:00.1"]
    assert [n.esxi_name for n in inv.nics] == ["vmnic0", "vmnic1", "vmnic2"]
