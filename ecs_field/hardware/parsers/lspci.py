"""``lspci -nn`` / ``lspci -vvnn`` (also ``-nnk`` and the purely numeric ``-n``) -> PciDevice.

Shapes (pciutils, checked against real dumps in linuxhw/LsPCI):
  58:00.0 Ethernet controller [0200]: Intel Corporation Ethernet Controller I225-LM [8086:15f2] (rev 03)
  <TAB>Subsystem: Intel Corporation Ethernet Controller I225-LM [8086:3003]
  <TAB>Kernel driver in use: igc
  58:00.0 0200: 8086:15f2 (rev 03)                      (lspci -n)
Names may contain brackets ("[Iris Xe Graphics]"), so the ID pair is the last ``[xxxx:xxxx]``.
``Capabilities: [90] Subsystem: ...`` inside a record is not the device's subsystem line.
"""

from __future__ import annotations

import re

from ecs_field.hardware.inventory import InputWarning, PciDevice
from ecs_field.hardware.parsers.common import ParseError, WarningLog, fill_empty, pci_address

_ADDRESS = r"(?P<address>(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])"
_NAMED = re.compile(_ADDRESS + r"\s+(?P<class_name>[^\[]*?)\s*\[(?P<class>[0-9a-fA-F]{4})\]:\s*(?P<rest>.*)$")
_NUMERIC = re.compile(
    _ADDRESS + r"\s+(?P<class>[0-9a-fA-F]{4}):\s+(?P<vendor>[0-9a-fA-F]{4}):(?P<device>[0-9a-fA-F]{4})"
    r"(?:\s+\(rev (?P<rev>[0-9a-fA-F]{2})\))?"
)
_DEVICE_START = re.compile(_ADDRESS + r"\s")
_WITHOUT_IDS = re.compile(_ADDRESS + r"\s+[A-Za-z][^:\[]*:\s")
_ID_PAIR = re.compile(r"\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]")
_REVISION = re.compile(r"\(rev ([0-9a-fA-F]{2})\)")
# What every complete device line ends with: the IDs, "(rev xx)" or "(prog-if xx [name])".
_COMPLETE_END = re.compile(r"(?:\]|\))\s*$")
# Attributes -v prints for every device, so a dump with them is verbose and has a blank line
# after each device, the last one included.
_VERBOSE = re.compile(r"^\s+(?:Control|Status|Flags|Capabilities|Latency|Interrupt):")
_DRIVER_LINE = re.compile(r"^\s+Kernel (?:driver in use|modules):")
_STDERR = ("pcilib:", "lspci:")

NEEDS_IDS_HINT = "Run lspci with -nn so the vendor and device IDs are included: lspci -nn > box.txt"


def parse_lspci(text: str, warnings: list[InputWarning] | None = None) -> list[PciDevice]:
    """Every device of an lspci listing (-nn, -n, -nnk, -vvnn), in listing order, once each.

    Lines that are neither a device line nor one of its attributes are skipped with a warning;
    a device listed again at the same address (a dump pasted twice) is counted once. Raises
    ParseError only when no device with IDs is left.
    """
    log = WarningLog(warnings)
    lines = text.splitlines()
    devices: list[PciDevice] = []
    by_address: dict[str, PciDevice] = {}
    current: PciDevice | None = None
    no_ids: list[tuple[int, str]] = []
    repeats: list[int] = []
    fillers: list[tuple[PciDevice, PciDevice, PciDevice]] = []  # (first record, repeat, its details)
    last_device_line = 0
    level1 = _attribute_indent(lines)
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line[0] in " \t":
            if current is not None:
                _read_attribute(current, line, level1)
            continue
        if line.startswith(_STDERR):
            continue  # the importer's cleaner reports these; direct callers just skip them
        if not _DEVICE_START.match(line):
            log.noise(number, f"not an lspci line, skipped: {line[:80]!r}")
            continue
        try:
            device = _device_line(line, number)
        except ParseError as exc:
            no_ids.append((number, exc.message))
            current = None
            if number != len(lines) or text.endswith("\n"):
                log.noise(number, f"{exc.message}; skipped")
            continue
        last_device_line = number
        earlier = by_address.get(device.address)
        if earlier is None:
            by_address[device.address] = device
            devices.append(device)
        elif earlier.id == device.id:
            repeats.append(number)
        else:
            log.add(
                number,
                f"{device.address} is listed again with other IDs ({earlier.id} before, {device.id} here): "
                "are these two machines' dumps in one file? The first one is used",
                "duplicate",
            )
        current = device
        if earlier is not None:
            # A repeat's details (lspci -nn, then -vvnn of the same box) fill the first record's gaps.
            current = PciDevice(device.address, device.vendor_id, device.device_id)
            if earlier.id == device.id:
                fillers.append((earlier, device, current))
    for earlier, repeat, details in fillers:
        fill_empty(earlier, repeat)
        fill_empty(earlier, details)
    if not devices:
        log.close()
        if no_ids:
            number, message = no_ids[0]
            raise ParseError(message, number)
        raise ParseError("no lspci device lines found", None)
    if repeats:
        log.add(
            repeats[0],
            f"{len(repeats)} device line{'s' if len(repeats) > 1 else ''} repeat devices listed above "
            "(same PCI address and IDs; the dump was pasted more than once?): each device is counted once",
            "duplicate",
        )
    _check_truncation(text, lines, devices, no_ids=no_ids, last_device_line=last_device_line, log=log)
    log.close()
    return devices


def _attribute_indent(lines: list[str]) -> int:
    """Width of a device's own attribute lines (a tab, or spaces when pasted through a document)."""
    widths = [len(line) - len(line.lstrip()) for line in lines if line[:1] in (" ", "\t") and line.strip()]
    tabbed = [line for line in lines if line.startswith("\t")]
    if tabbed:
        return 1
    return min(widths) if widths else 1


def _check_truncation(
    text: str,
    lines: list[str],
    devices: list[PciDevice],
    *,
    no_ids: list[tuple[int, str]],
    last_device_line: int,
    log: WarningLog,
) -> None:
    last = len(lines)
    while last and not lines[last - 1].strip():
        last -= 1
    if not last:
        return
    final = lines[last - 1].rstrip()
    cut_mid_line = not text.endswith("\n")
    if no_ids and no_ids[-1][0] == last and cut_mid_line:
        log.add(
            last,
            "the dump ends in the middle of a device line (file cut short?): that device was not read; "
            "the NIC list may be incomplete: copy the whole output again",
            "truncated",
        )
        return
    if final[:1] not in (" ", "\t") and last == last_device_line:
        if cut_mid_line and not _COMPLETE_END.search(final):
            device = devices[-1]
            log.add(
                last,
                f"the dump ends in the middle of this line (file cut short?): {device.address} {device.id} "
                "was kept, its name and revision may be incomplete",
                "truncated",
            )
        return
    if _DRIVER_LINE.match(final):
        return  # lspci -k/-vv print the driver lines last
    verbose = any(_VERBOSE.match(line) for line in lines)
    ends_with_blank = text.endswith("\n\n") or last < len(lines)
    if cut_mid_line or (verbose and not ends_with_blank):
        device = devices[-1]
        log.add(
            last,
            f"the last device's details ({device.address} {device.id}, lines {last_device_line}-{last}) "
            "look cut off (file cut short?): its driver and subsystem may be missing",
            "truncated",
        )


def _device_line(line: str, number: int) -> PciDevice:
    named = _NAMED.match(line)
    if named:
        rest = named.group("rest")
        pairs = list(_ID_PAIR.finditer(rest))
        if not pairs:
            raise ParseError(f"device line has no [vendor:device] IDs: {line[:80]!r}", number)
        ids = pairs[-1]
        revision = _REVISION.search(rest, ids.end())
        return PciDevice(
            address=pci_address(named.group("address")),
            vendor_id=ids.group(1).lower(),
            device_id=ids.group(2).lower(),
            class_code=named.group("class").lower(),
            device_name=rest[: ids.start()].strip(),
            revision=revision.group(1).lower() if revision else "",
        )
    numeric = _NUMERIC.match(line)
    if numeric:
        return PciDevice(
            address=pci_address(numeric.group("address")),
            vendor_id=numeric.group("vendor").lower(),
            device_id=numeric.group("device").lower(),
            class_code=numeric.group("class").lower(),
            revision=(numeric.group("rev") or "").lower(),
        )
    if _WITHOUT_IDS.match(line):
        raise ParseError(f"lspci was run without -nn (no IDs): {line[:80]!r}", number)
    raise ParseError(f"not an lspci device line (file truncated or edited?): {line[:80]!r}", number)


def _read_attribute(device: PciDevice, line: str, level1: int) -> None:
    # Only first-level attributes belong to the device itself; deeper lines describe capabilities.
    indent = len(line) - len(line.lstrip())
    if line.startswith("\t\t") or (not line.startswith("\t") and indent > level1):
        return
    key, _, value = line.strip().partition(":")
    value = value.strip()
    if key == "Subsystem":
        pairs = list(_ID_PAIR.finditer(value))
        if pairs:
            device.subsystem_vendor_id = pairs[-1].group(1).lower()
            device.subsystem_device_id = pairs[-1].group(2).lower()
    elif key == "Kernel driver in use":
        device.driver = value
