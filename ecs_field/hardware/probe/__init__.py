"""This machine's inventory: one probe per OS, chosen at run time, with a null fallback."""

from __future__ import annotations

import sys
from collections.abc import Collection

from ecs_field.hardware.inventory import Inventory
from ecs_field.hardware.nics import derive_nics


def probe_local(usb_nic_ids: Collection[str] = ()) -> Inventory:
    """Probe the machine we run on; NICs derived and named the way ESXi will name them."""
    if sys.platform.startswith("linux"):
        from ecs_field.hardware.probe import linux

        inv = linux.probe()
    elif sys.platform == "win32":
        from ecs_field.hardware.probe import windows

        inv = windows.probe()
    elif sys.platform == "darwin":
        from ecs_field.hardware.probe import macos

        inv = macos.probe()
    else:
        inv = null_probe()
    derive_nics(inv, usb_nic_ids)
    return inv


def null_probe() -> Inventory:
    return Inventory(
        sources=[f"probe:none ({sys.platform})"],
        notes=[f"This OS ({sys.platform}) cannot be probed; import lspci/lsusb/dmidecode dumps instead."],
    )
