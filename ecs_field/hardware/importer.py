"""Reads hardware dumps a technician brought along and merges them into one box.

Accepted (kind detected from content, never from the file name):
  inventory-json     what ``ecs-field probe -o FILE`` writes
  lspci-nn / lspci-vvnn, lsusb / lsusb-v, dmidecode     from a Linux live system
  esxcli-nic-list / esxcli-pci-list                     from an ESXi shell
  windows-json / macos-json                             the Windows script / system_profiler -json
Several files of the same machine merge: per device, the source that says more wins and the
other fills its gaps; every file is named in ``sources``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from ecs_field.errors import BadInput
from ecs_field.hardware.inventory import (
    SCHEMA,
    Inventory,
    UsbDevice,
)
from ecs_field.hardware.nics import derive_nics
from ecs_field.hardware.parsers import dmidecode, esxcli, lspci, lsusb, macos, windows
from ecs_field.hardware.parsers.common import ParseError

KINDS = (
    "inventory-json",
    "lspci-nn",
    "lspci-vvnn",
    "lsusb",
    "lsusb-v",
    "dmidecode",
    "esxcli-nic-list",
    "esxcli-pci-list",
    "windows-json",
    "macos-json",
)
ACCEPTED_HINT = (
    "Accepted: an inventory JSON (ecs-field probe -o box.json), or the text output of "
    "lspci -nn / lspci -vvnn, lsusb / lsusb -v, sudo dmidecode (Linux: e.g. lspci -nn > box.txt), "
    "esxcli network nic list / esxcli hardware pci list (ESXi shell), "
    "the ecs-field Windows script's JSON, or system_profiler -json SPHardwareDataType SPPCIDataType "
    "SPUSBDataType SPEthernetDataType SPNetworkDataType (macOS). One command's output per file."
)
MAX_BYTES = 32 << 20  # far above any real dump; a bigger file is something else

_LSPCI_LINE = re.compile(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7] ", re.MULTILINE)
_LSPCI_IDS = re.compile(
    r"\[[0-9a-fA-F]{4}:[0-9a-fA-F]{4}\]|^\S+ [0-9a-fA-F]{4}: [0-9a-fA-F]{4}:", re.MULTILINE
)
_LSPCI_VERBOSE = re.compile(r"^\t(?:Subsystem|Control|Kernel driver in use|Flags|Status):", re.MULTILINE)
_LSUSB_LINE = re.compile(r"^Bus \d{3} Device \d{3}: ID [0-9a-fA-F]{4}:[0-9a-fA-F]{4}", re.MULTILINE)
_DMI = re.compile(r"^Handle 0x[0-9A-Fa-f]{4}, DMI type \d+", re.MULTILINE)
_PCI_RECORD = re.compile(r"^\s*Vendor ID: 0x[0-9a-fA-F]{4}\s*$", re.MULTILINE)


def decode(data: bytes) -> str:
    """Bytes -> text; PowerShell's ``>`` writes UTF-16 with a BOM, so honour BOMs. Raises ValueError."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        text = data.decode("utf-8-sig")
    if "\x00" in text:
        raise ValueError("contains NUL bytes")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _json_kind(text: str) -> str | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict) and document.get("schema") == SCHEMA:
        return "inventory-json"
    if windows.looks_like_windows_json(document):
        return "windows-json"
    if macos.looks_like_macos_json(document):
        return "macos-json"
    return None


def sniff_kind(text: str) -> str | None:
    """The kind of dump ``text`` is, or None."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return _json_kind(stripped)
    if _DMI.search(text):
        return "dmidecode"
    if esxcli.NIC_LIST_HEADER.search(text):
        return "esxcli-nic-list"
    if _PCI_RECORD.search(text):
        return "esxcli-pci-list"
    if _LSUSB_LINE.search(text):
        return "lsusb-v" if "Device Descriptor:" in text or "idVendor" in text else "lsusb"
    if _LSPCI_LINE.search(text):
        return "lspci-vvnn" if _LSPCI_VERBOSE.search(text) else "lspci-nn"
    return None


def detect_kind(text: str) -> str:
    """One of KINDS for this content; BadInput when it is none of them."""
    kind = sniff_kind(text)
    if kind is None:
        if text.lstrip().startswith(("{", "[")):
            raise BadInput(
                "this JSON is not an ecs-field inventory (schema ecs-field/inventory@1)", ACCEPTED_HINT
            )
        raise BadInput("this is not a hardware dump the app reads", ACCEPTED_HINT)
    return kind


def parse_text(text: str, kind: str, label: str) -> Inventory:
    """Parse one dump of a known kind into a partial inventory. Raises ParseError."""
    inv = Inventory(sources=[f"{kind}:{label}"])
    if kind == "inventory-json":
        try:
            loaded = Inventory.from_dict(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise ParseError(f"inventory JSON has a bad shape: {exc}", None) from exc
        loaded.sources = [*loaded.sources, f"{kind}:{label}"]
        return loaded
    if kind in ("lspci-nn", "lspci-vvnn"):
        inv.pci = lspci.parse_lspci(text)
    elif kind == "lsusb":
        inv.usb = lsusb.parse_lsusb(text)
    elif kind == "lsusb-v":
        inv.usb = lsusb.parse_lsusb_verbose(text)
    elif kind == "dmidecode":
        facts = dmidecode.parse_dmidecode(text)
        inv.platform, inv.cpu, inv.memory_bytes = facts.platform, facts.cpu, facts.memory_bytes
    elif kind == "esxcli-nic-list":
        inv.interfaces = esxcli.parse_nic_list(text)
    elif kind == "esxcli-pci-list":
        inv.pci = esxcli.parse_pci_list(text)
    elif kind in ("windows-json", "macos-json"):
        parsed = windows.parse_windows_json(text) if kind == "windows-json" else macos.parse_macos_json(text)
        parsed.sources = [f"{kind}:{label}"]
        return parsed
    else:
        raise ParseError(f"unknown kind {kind!r}", None)
    return inv


def read_input(path: Path) -> Inventory:
    """One file -> partial inventory; every failure is a BadInput naming the file (and line)."""
    try:
        if path.is_dir():
            raise BadInput(f"{path}: is a folder, not a file", ACCEPTED_HINT)
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file", "Check the path.") from None
    except OSError as exc:
        raise BadInput(
            f"{path}: cannot be read ({exc.strerror or exc})", "Check the file's permissions."
        ) from None
    if len(data) > MAX_BYTES:
        raise BadInput(f"{path}: larger than {MAX_BYTES >> 20} MB, not a hardware dump", ACCEPTED_HINT)
    if not data.strip():
        raise BadInput(f"{path}: is empty", ACCEPTED_HINT)
    try:
        text = decode(data)
    except (UnicodeDecodeError, ValueError):
        raise BadInput(f"{path}: is binary, not a text dump", ACCEPTED_HINT) from None
    kind = sniff_kind(text)
    if kind is None:
        what = "a JSON document but not an ecs-field inventory" if text.lstrip()[:1] in "{[" else "not a dump"
        raise BadInput(f"{path}: {what} the app reads", ACCEPTED_HINT)
    try:
        return parse_text(text, kind, path.name)
    except ParseError as exc:
        where = f"{path}: line {exc.line}" if exc.line else f"{path}"
        hint = lspci.NEEDS_IDS_HINT if "without -nn" in exc.message else ACCEPTED_HINT
        raise BadInput(f"{where}: {exc.message} (read as {kind})", hint) from None


def load_inputs(paths: Sequence[Path], usb_nic_ids: Collection[str] = ()) -> Inventory:
    """Read and merge dumps of ONE machine into one inventory, NICs derived and named."""
    if not paths:
        raise BadInput("no input files given", ACCEPTED_HINT)
    parts = [read_input(Path(p)) for p in paths]
    merged = parts[0]
    for part in parts[1:]:
        merged = merge(merged, part)
    if merged.pci or merged.usb or merged.interfaces:
        derive_nics(merged, usb_nic_ids)
    missing = _missing_notes(merged)
    merged.notes.extend(n for n in missing if n not in merged.notes)
    return merged


def _missing_notes(inv: Inventory) -> list[str]:
    notes = []
    if not any((inv.platform.vendor, inv.platform.product, inv.platform.board)):
        notes.append("No platform (DMI) data: add the output of 'sudo dmidecode' to identify the model.")
    if not inv.pci and not inv.nics:
        notes.append("No PCI data: add 'lspci -nn' (or esxcli hardware pci list) to see the NICs.")
    if inv.memory_bytes is None:
        notes.append("Memory size unknown: 'sudo dmidecode' tells it.")
    return notes


T = TypeVar("T")


def _richness(item: Any) -> int:
    return sum(1 for f in fields(item) if getattr(item, f.name) not in ("", None, [], False))


def _fill(primary: T, secondary: T) -> T:
    """``primary`` with its empty fields taken from ``secondary``."""
    for f in fields(primary):  # type: ignore[arg-type]  # T is always a dataclass here
        if getattr(primary, f.name) in ("", None, []) and getattr(secondary, f.name) not in ("", None, []):
            setattr(primary, f.name, getattr(secondary, f.name))
    return primary


def _merge_items(first: list[T], second: list[T], key: Callable[[T], Any]) -> list[T]:
    result = list(first)
    index = {key(item): i for i, item in enumerate(result) if key(item)}
    for item in second:
        k = key(item)
        if k and k in index:
            old = result[index[k]]
            richer, poorer = (item, old) if _richness(item) > _richness(old) else (old, item)
            result[index[k]] = _fill(richer, poorer)
        else:
            if k:
                index[k] = len(result)
            result.append(item)
    return result


def _usb_key(device: UsbDevice) -> str:
    return device.path


def merge(a: Inventory, b: Inventory) -> Inventory:
    """Two partial views of the same machine -> one; neither input is kept intact."""
    merged = Inventory(
        platform=_fill(a.platform, b.platform)
        if _richness(a.platform) >= _richness(b.platform)
        else _fill(b.platform, a.platform),
        cpu=_fill(a.cpu, b.cpu) if _richness(a.cpu) >= _richness(b.cpu) else _fill(b.cpu, a.cpu),
        memory_bytes=a.memory_bytes if a.memory_bytes is not None else b.memory_bytes,
        disks=_merge_items(a.disks, b.disks, lambda d: d.name),
        pci=_merge_items(a.pci, b.pci, lambda d: d.address),
        usb=_merge_usb(a.usb, b.usb),
        interfaces=_merge_items(a.interfaces, b.interfaces, lambda i: i.name),
        sources=[*a.sources, *(s for s in b.sources if s not in a.sources)],
        notes=[*a.notes, *(n for n in b.notes if n not in a.notes)],
    )
    return merged


def _merge_usb(first: list[UsbDevice], second: list[UsbDevice]) -> list[UsbDevice]:
    # lsusb says "002:003", sysfs says "2-1": when paths differ, one device per bus and ID pairs up.
    merged = _merge_items(first, second, _usb_key)
    by_id: dict[tuple[int | None, str], list[UsbDevice]] = {}
    for device in merged:
        by_id.setdefault((device.bus, device.id), []).append(device)
    result = []
    for device in merged:
        group = by_id[(device.bus, device.id)]
        if len(group) == 2 and {":" in g.path for g in group} == {True, False}:
            if device is group[0]:
                port_path = next(g for g in group if ":" not in g.path)
                other = next(g for g in group if g is not port_path)
                _fill(port_path, other)
                port_path.interface_classes = port_path.interface_classes or other.interface_classes
                result.append(port_path)
            continue
        result.append(device)
    return result
