"""A box's inventory with the catalog's knowledge of USB NICs applied.

Many USB adapters (ASIX, Realtek) show only vendor-specific interfaces, so only the catalog's
ID list tells that they are NICs; everything that reads an inventory for a verdict or a lint
goes through here so that vusbN names come out the same everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from ecs_field.compat.catalog import load_catalog
from ecs_field.errors import EcsFieldError
from ecs_field.hardware.importer import load_inputs
from ecs_field.hardware.inventory import Inventory
from ecs_field.hardware.probe import probe_local

log = logging.getLogger(__name__)


def known_usb_nic_ids() -> frozenset[str]:
    """The catalog's USB NIC IDs; a broken catalog must not stop a probe or a lint."""
    try:
        return load_catalog().usb_nic_ids()
    except EcsFieldError as exc:
        log.warning("catalog not loaded (%s); USB NICs are found by interface class only", exc.message)
        return frozenset()


def load_box(paths: Sequence[Path]) -> Inventory:
    """One box from inventory JSON or raw dumps (BadInput names the file and line)."""
    return load_inputs(list(paths), usb_nic_ids=known_usb_nic_ids())


def probe_box() -> Inventory:
    """This machine."""
    return probe_local(usb_nic_ids=known_usb_nic_ids())
