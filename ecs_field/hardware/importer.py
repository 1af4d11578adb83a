"""Reads hardware dumps a technician brought along and merges them into one box.

Accepted (kind detected from content, never from the file name):
  inventory-json     what ``ecs-field probe -o FILE`` writes
  lspci-nn / lspci-vvnn, lsusb / lsusb-v, dmidecode     from a Linux live system
  esxcli-nic-list / esxcli-pci-list                     from an ESXi shell
  windows-json / macos-json                             the Windows script / system_profiler -json
  cpuinfo                                               a pasted /proc/cpuinfo
Several files of the same machine merge: per device, the source that says more wins and the
other fills its gaps; every file is named in ``sources``.

Real files are messy (see textclean): any common encoding, prompts and stderr lines pasted in,
several commands' outputs in one file (each read by its own parser, labelled "kind:file#N"),
dumps pasted twice or cut short. What is tolerated is listed in ``Inventory.input_warnings``;
only a file with nothing usable left is refused (BadInput, exit 2). Non-regular files (FIFO,
device, socket) are refused from ``os.stat`` before anything opens them.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Collection, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from ecs_field.errors import BadInput
from ecs_field.hardware import textclean
from ecs_field.hardware.inventory import (
    SCHEMA,
    Cpu,
    InputWarning,
    Inventory,
    InventoryShapeError,
    PciDevice,
    UsbDevice,
)
from ecs_field.hardware.nics import derive_nics
from ecs_field.hardware.parsers import (
    cpuinfo,
    dmidecode,
    esxcli,
    lspci,
    lsusb,
    macos,
    macos_text,
    windows,
    windows_text,
)
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
    "cpuinfo",
    "esxcfg-nics",
    "esxcli-nic-records",
    "esxi-lspci",
    "macos-text",
    "windows-wmic",
    "windows-powershell",
    "windows-powershell-json",
)
ACCEPTED_HINT = (
    "Accepted: an inventory JSON (ecs-field probe -o box.json), or the text output of "
    "lspci -nn / lspci -vvnn, lsusb / lsusb -v, sudo dmidecode (Linux: e.g. lspci -nn > box.txt), "
    "esxcli network nic list / esxcli hardware pci list / esxcfg-nics -l / lspci -v / vmkchdev -l "
    "(ESXi shell), the ecs-field Windows script's JSON, wmic path Win32_NetworkAdapter get /format:list "
    "or PowerShell Get-NetAdapter | Format-List * / Get-PnpDevice -Class Net / ConvertTo-Json (Windows), "
    "or system_profiler [-json] SPHardwareDataType SPPCIDataType SPUSBDataType SPUSBHostDataType "
    "SPEthernetDataType SPNetworkDataType (macOS). Several commands' outputs may share one file."
)
MAX_BYTES = 32 << 20  # far above any real dump; a bigger file is something else
MAX_JSON_DEPTH = 64  # system_profiler nests USB trees ~10 deep; far deeper is not a dump
SAVE_HINT = "Save the command's output to a file first (e.g. lspci -nn > box.txt) and give that file."

_LSPCI_LINE = re.compile(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7] ", re.MULTILINE)
_LSPCI_IDS = re.compile(
    r"\[[0-9a-fA-F]{4}:[0-9a-fA-F]{4}\]|^\S+ [0-9a-fA-F]{4}: [0-9a-fA-F]{4}:", re.MULTILINE
)
_LSPCI_VERBOSE = re.compile(r"^\t(?:Subsystem|Control|Kernel driver in use|Flags|Status):", re.MULTILINE)
_LSUSB_LINE = re.compile(r"^Bus \d{3} Device \d{3}: ID [0-9a-fA-F]{4}:[0-9a-fA-F]{4}", re.MULTILINE)
_DMI = re.compile(r"^Handle 0x[0-9A-Fa-f]{4}, DMI type \d+", re.MULTILINE)
_PCI_RECORD = re.compile(r"^[ \t]*Vendor ID: 0x[0-9a-fA-F]{4}[ \t]*$", re.MULTILINE)
_CPUINFO = re.compile(r"^processor\s*:\s*\d+\s*$", re.MULTILINE)
_CPUINFO_FIELD = re.compile(r"^(?:model name|flags|vendor_id)\s*:", re.MULTILINE)
# Exceptions a parser may raise on input it does not expect. They are turned into BadInput /
# warnings naming the file, because no input may end the program with an internal error.
_PARSER_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


def decode(data: bytes) -> str:
    """Bytes -> text (UTF-8/UTF-16/Windows-1252, see textclean). Raises ValueError on binary data."""
    return textclean.decode_bytes(data)[0]


def _json_kind(text: str) -> str | None:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(document, dict) and document.get("schema") == SCHEMA:
        return "inventory-json"
    if windows.looks_like_windows_json(document):
        return "windows-json"
    if macos.looks_like_macos_json(document):
        return "macos-json"
    return None


_BLANK_RUN = re.compile(r"\n(?:[ \t\f\v]*\n)+")
# The kinds whose parsers read line by line and report line numbers; the others get their text
# with runs of blank lines collapsed (see compact_blank_runs).
_LINE_PARSED = frozenset(("lspci-nn", "lspci-vvnn", "lsusb", "lsusb-v", "dmidecode", "cpuinfo"))


def compact_blank_runs(text: str) -> str:
    """Runs of blank lines -> one blank line.

    Patterns written as ``^\\s*...`` with MULTILINE rescan a whole run of blank lines from every
    line start in it: quadratic, and a file whose noise lines were blanked (or 500,000 empty
    lines) would never finish. Detection does not depend on how many blank lines there are.
    """
    return _BLANK_RUN.sub("\n\n", text)


def sniff_kind(text: str) -> str | None:
    """The kind of dump ``text`` is, or None."""
    text = compact_blank_runs(text)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        kind = _json_kind(stripped)
        if kind is not None:
            return kind
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError):
            document = None  # "[root@esx:~] esxcli ..." starts like JSON but is a pasted prompt
        else:
            return "windows-powershell-json" if windows_text.looks_like_powershell_json(document) else None
    if _DMI.search(text):
        return "dmidecode"
    if _CPUINFO.search(text) and _CPUINFO_FIELD.search(text):
        return "cpuinfo"
    if esxcli.NIC_LIST_HEADER.search(text):
        return "esxcli-nic-list"
    if esxcli.ESXCFG_NICS_HEADER.search(text):
        return "esxcfg-nics"
    if esxcli.NIC_RECORDS_MARKER.search(text):
        return "esxcli-nic-records"
    # Before the esxcli pci list: plain-text system_profiler has "Vendor ID: 0x...." lines too.
    if macos_text.looks_like_macos_text(text):
        return "macos-text"
    if _PCI_RECORD.search(text):
        return "esxcli-pci-list"
    if esxcli.ESXI_PCI_LINE.search(text):  # before lspci: ESXi's lspci lines look like Linux ones
        return "esxi-lspci"
    windows_kind = windows_text.sniff(text)
    if windows_kind:
        return windows_kind
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
        except InventoryShapeError as exc:
            raise ParseError(f"{exc} (the inventory JSON has a bad shape)", None) from exc
        except (ValueError, TypeError, RecursionError) as exc:
            raise ParseError(f"inventory JSON has a bad shape: {exc}", None) from exc
        loaded.sources = [*loaded.sources, f"{kind}:{label}"]
        return loaded
    # The text parsers append what they tolerated to inv.input_warnings (lines relative to ``text``).
    if kind in ("lspci-nn", "lspci-vvnn"):
        inv.pci = lspci.parse_lspci(text, inv.input_warnings)
    elif kind == "lsusb":
        inv.usb = lsusb.parse_lsusb(text, inv.input_warnings)
    elif kind == "lsusb-v":
        inv.usb = lsusb.parse_lsusb_verbose(text, inv.input_warnings)
    elif kind == "dmidecode":
        facts = dmidecode.parse_dmidecode(text, inv.input_warnings)
        inv.platform, inv.cpu, inv.memory_bytes = facts.platform, facts.cpu, facts.memory_bytes
    elif kind == "cpuinfo":
        inv.cpu = cpuinfo.parse_cpuinfo(text, inv.input_warnings)
    elif kind == "esxcli-nic-list":
        inv.interfaces = esxcli.parse_nic_list(text)
    elif kind == "esxcli-pci-list":
        inv.pci = esxcli.parse_pci_list(text)
    elif kind == "esxcfg-nics":
        inv.interfaces = esxcli.parse_esxcfg_nics(text)
    elif kind == "esxcli-nic-records":
        inv.interfaces = esxcli.parse_nic_records(text)
    elif kind == "esxi-lspci":
        inv.pci, inv.interfaces = esxcli.parse_esxi_lspci(text)
    elif kind in ("macos-text", "windows-wmic", "windows-powershell", "windows-powershell-json"):
        if kind == "macos-text":
            parsed = macos_text.parse_macos_text(text)
        elif kind == "windows-powershell-json":
            parsed = windows_text.parse_powershell_json(text)
        else:
            parsed = windows_text.parse_windows_text(text)
        parsed.sources = [f"{kind}:{label}"]
        return parsed
    elif kind in ("windows-json", "macos-json"):
        parsed = windows.parse_windows_json(text) if kind == "windows-json" else macos.parse_macos_json(text)
        parsed.sources = [f"{kind}:{label}"]
        return parsed
    else:
        raise ParseError(f"unknown kind {kind!r}", None)
    return inv


def read_input(path: Path) -> Inventory:
    """One file -> partial inventory; every failure is a BadInput naming the file (and line)."""
    path = Path(path)
    data = _read_bytes(path)
    if not data.strip():
        raise BadInput(f"{path}: is empty", ACCEPTED_HINT)
    try:
        text, warnings = textclean.decode_bytes(data)
    except ValueError:
        raise BadInput(f"{path}: is binary, not a text dump", ACCEPTED_HINT) from None
    if not text.strip():
        raise BadInput(f"{path}: is empty", ACCEPTED_HINT)
    first_line = next(line for line in text.splitlines() if line.strip())
    # "[root@esx:~] esxcli ..." starts like a JSON array but is a pasted prompt.
    is_json = first_line.lstrip()[:1] in ("{", "[") and textclean.command_of(first_line) is None
    inv = _read_json(text, path) if is_json else _read_dump(text, path, warnings)
    inv.input_warnings = [*warnings, *inv.input_warnings]
    for warning in inv.input_warnings:
        warning.file = warning.file or path.name
    return inv


def _read_bytes(path: Path) -> bytes:
    # stat first: opening a FIFO blocks until a writer appears, reading a device never ends.
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise BadInput(f"{path}: no such file", "Check the path.") from None
    except OSError as exc:
        raise BadInput(
            f"{path}: cannot be read ({exc.strerror or exc})", "Check the file's permissions."
        ) from None
    except ValueError:  # a NUL character in the name
        raise BadInput(f"{str(path)!r}: not a usable file name", "Check the path.") from None
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{path}: is a folder, not a file", ACCEPTED_HINT)
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{path}: is {_file_type(info.st_mode)}, not a regular file", SAVE_HINT)
    if info.st_size > MAX_BYTES:
        raise BadInput(f"{path}: larger than {MAX_BYTES >> 20} MB, not a hardware dump", ACCEPTED_HINT)
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise BadInput(
            f"{path}: cannot be read ({exc.strerror or exc})", "Check the file's permissions."
        ) from None
    with os.fdopen(fd, "rb") as handle:
        try:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):  # replaced between stat and open
                raise BadInput(f"{path}: is {_file_type(mode)}, not a regular file", SAVE_HINT)
            data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise BadInput(f"{path}: cannot be read ({exc.strerror or exc})", "Check the file.") from None
    if len(data) > MAX_BYTES:
        raise BadInput(f"{path}: larger than {MAX_BYTES >> 20} MB, not a hardware dump", ACCEPTED_HINT)
    return data


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device (a disk)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _json_depth_ok(document: Any) -> bool:
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


def _read_json(text: str, path: Path) -> Inventory:
    try:
        document = json.loads(text)
    except RecursionError:
        document = None
    except ValueError as exc:
        where = f"line {exc.lineno}: " if isinstance(exc, json.JSONDecodeError) else ""
        raise BadInput(
            f"{path}: {where}not valid JSON ({getattr(exc, 'msg', exc)}); cut short or edited?", ACCEPTED_HINT
        ) from None
    if (document is None and text.strip() != "null") or not _json_depth_ok(document):
        raise BadInput(
            f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels: not a hardware dump", ACCEPTED_HINT
        )
    kind = sniff_kind(text)
    if kind is None:
        raise BadInput(f"{path}: a JSON document but not an ecs-field inventory the app reads", ACCEPTED_HINT)
    try:
        return parse_text(text, kind, path.name)
    except ParseError as exc:
        raise _bad(path, exc, kind, 0) from None
    except _PARSER_ERRORS as exc:
        raise BadInput(f"{path}: cannot be read as {kind}: {exc}", ACCEPTED_HINT) from None


def _bad(path: Path, exc: ParseError, kind: str, offset: int) -> BadInput:
    where = f"{path}: line {exc.line + offset}" if exc.line else f"{path}"
    hint = lspci.NEEDS_IDS_HINT if "without -nn" in exc.message else ACCEPTED_HINT
    if kind == "inventory-json":
        return BadInput(f"{where}: {exc.message}", "Write it again with ecs-field probe -o box.json.")
    return BadInput(f"{where}: {exc.message} (read as {kind})", hint)


def _read_dump(text: str, path: Path, warnings: list[InputWarning]) -> Inventory:
    """A text dump, possibly several commands' outputs with prompts and stderr between."""
    clean = textclean.clean_lines(text)
    warnings.extend(clean.warnings)
    rest = "\n".join(clean.lines)
    if rest.lstrip()[:1] in ("{", "["):  # a prompt, then JSON (PowerShell ... | ConvertTo-Json)
        return _read_json(rest, path)
    sections = textclean.split_sections(clean)
    parsed: list[tuple[textclean.Section, str, Inventory]] = []
    skipped: list[tuple[textclean.Section, str]] = []
    first_error: tuple[ParseError, str, int] | None = None
    for section in sections:
        kind = sniff_kind(section.text)
        if kind is None:
            skipped.append((section, _why_unread(section)))
            continue
        body = section.text if kind in _LINE_PARSED else compact_blank_runs(section.text)
        try:
            part = parse_text(body, kind, path.name)
        except ParseError as exc:
            first_error = first_error or (exc, kind, section.start)
            line = f"line {exc.line + section.start}: " if exc.line else ""
            skipped.append((section, f"{line}{exc.message} (read as {kind})"))
            continue
        except _PARSER_ERRORS as exc:
            first_error = first_error or (ParseError(f"cannot be read: {exc}", None), kind, section.start)
            skipped.append((section, f"cannot be read as {kind}: {exc}"))
            continue
        for warning in part.input_warnings:
            if warning.line is not None:
                warning.line += section.start
        parsed.append((section, kind, part))
    if not parsed:
        if first_error is not None:
            error, error_kind, offset = first_error
            raise _bad(path, error, error_kind, offset)
        dmi_without_records = [s for s, why in skipped if "sudo dmidecode" in why]
        if dmi_without_records:
            raise BadInput(f"{path}: {_why_unread(dmi_without_records[0])}", ACCEPTED_HINT)
        raise BadInput(f"{path}: not a dump the app reads", ACCEPTED_HINT)
    return _merge_sections(parsed, skipped, path.name)


def _why_unread(section: textclean.Section) -> str:
    if section.family == "dmidecode":
        return "dmidecode printed no records: run it as root (sudo dmidecode > dmi.txt)"
    return "not the output of a command the app reads"


MAX_SECTION_WARNINGS = 5


def _merge_sections(
    parsed: list[tuple[textclean.Section, str, Inventory]],
    skipped: list[tuple[textclean.Section, str]],
    name: str,
) -> Inventory:
    many = len(parsed) > 1
    warnings: list[InputWarning] = []
    for number, (section, reason) in enumerate(skipped):
        if number == MAX_SECTION_WARNINGS:
            rest = len(skipped) - number
            warnings.append(
                InputWarning(name, section.first_line, f"{rest} more unread parts skipped", "noise")
            )
            break
        warnings.append(
            InputWarning(
                name,
                section.first_line,
                f"lines {section.first_line}-{section.last_line} skipped: {reason}",
                "noise",
            )
        )
    if many:
        parts = ", ".join(f"{kind} (lines {s.first_line}-{s.last_line})" for s, kind, _ in parsed)
        warnings.append(
            InputWarning(
                name,
                None,
                f"{len(parsed)} command outputs in one file, each read on its own: {parts}",
                "split",
            )
        )
    merged: Inventory | None = None
    for number, (section, kind, part) in enumerate(parsed, start=1):
        part.sources = [f"{kind}:{name}#{number}" if many else f"{kind}:{name}"]
        if merged is None:
            merged = part
            continue
        clashes = _clashes(merged, part)
        if clashes:
            warnings.append(
                InputWarning(
                    name,
                    section.first_line,
                    f"lines {section.first_line}-{section.last_line} list {clashes} at the same address as "
                    "earlier in this file but with other IDs: are these two machines' dumps in one file? "
                    "Give each machine's output in its own check",
                    "duplicate",
                )
            )
        repeated = _repeats(merged, part)
        if repeated:
            warnings.append(
                InputWarning(
                    name,
                    section.first_line,
                    f"lines {section.first_line}-{section.last_line} repeat {repeated} already listed above "
                    "in this file; each is counted once",
                    "duplicate",
                )
            )
        merged = merge(merged, part)
    assert merged is not None
    merged.input_warnings = [*warnings, *merged.input_warnings]
    return merged


def _clashes(earlier: Inventory, part: Inventory) -> str:
    pci = {d.address: d.id for d in earlier.pci}
    usb = {d.path: d.id for d in earlier.usb}
    counts = []
    other_pci = sum(1 for d in part.pci if pci.get(d.address, d.id) != d.id)
    other_usb = sum(1 for d in part.usb if usb.get(d.path, d.id) != d.id)
    if other_pci:
        counts.append(f"{other_pci} PCI device{'s' if other_pci > 1 else ''}")
    if other_usb:
        counts.append(f"{other_usb} USB device{'s' if other_usb > 1 else ''}")
    return " and ".join(counts)


def _repeats(earlier: Inventory, part: Inventory) -> str:
    pci = {d.address: d.id for d in earlier.pci}
    usb = {d.path: d.id for d in earlier.usb}
    counts = []
    same_pci = sum(1 for d in part.pci if pci.get(d.address) == d.id)
    same_usb = sum(1 for d in part.usb if usb.get(d.path) == d.id)
    if same_pci:
        counts.append(f"{same_pci} PCI device{'s' if same_pci > 1 else ''}")
    if same_usb:
        counts.append(f"{same_usb} USB device{'s' if same_usb > 1 else ''}")
    if earlier.memory_bytes is not None and part.memory_bytes is not None:
        counts.append("the dmidecode records")
    return " and ".join(counts)


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
        cpu=_merge_cpu(a.cpu, b.cpu),
        memory_bytes=a.memory_bytes if a.memory_bytes is not None else b.memory_bytes,
        disks=_merge_items(a.disks, b.disks, lambda d: d.name),
        pci=_merge_pci(a.pci, b.pci),
        usb=_merge_usb(a.usb, b.usb),
        interfaces=_merge_items(a.interfaces, b.interfaces, lambda i: i.name),
        sources=[*a.sources, *(s for s in b.sources if s not in a.sources)],
        notes=[*a.notes, *(n for n in b.notes if n not in a.notes)],
        input_warnings=[*a.input_warnings, *b.input_warnings],
    )
    return merged


def _merge_cpu(a: Cpu, b: Cpu) -> Cpu:
    full = a if a.flags_complete else b if b.flags_complete else None
    merged = _fill(a, b) if _richness(a) >= _richness(b) else _fill(b, a)
    if full is not None:
        # A full flag list (/proc/cpuinfo, probe) replaces dmidecode's few derived flags.
        merged.flags, merged.flags_complete = list(full.flags), True
    return merged


def _merge_pci(first: list[PciDevice], second: list[PciDevice]) -> list[PciDevice]:
    # Windows and macOS sources give no PCI address: there the n-th device with an ID pairs with
    # the n-th device with that ID on the other side (two forms of one laptop list the same NICs).
    def key(device: PciDevice, seen: dict[str, int]) -> str:
        if device.address:
            return device.address
        seen[device.id] = seen.get(device.id, 0) + 1
        return f"{device.id}#{seen[device.id]}"

    seen_a: dict[str, int] = {}
    seen_b: dict[str, int] = {}
    keys = {id(d): key(d, seen_a) for d in first} | {id(d): key(d, seen_b) for d in second}
    return _merge_items(first, second, lambda d: keys[id(d)])


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
