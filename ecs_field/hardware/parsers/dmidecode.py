"""``dmidecode`` (full or ``-t`` subsets) -> platform, CPU and memory facts.

Record shape (dmidecode 3.x, checked against linuxhw/DMI dumps of NUC 11/13 and mini PCs):
  Handle 0x0001, DMI type 1, 27 bytes
  System Information
  <TAB>Manufacturer: Intel(R) Client Systems
  <TAB>Product Name:                       <- really blank on some NUC 11 Pro units
Lenovo puts the model name in System "Version" and a machine type in "Product Name".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ecs_field.hardware.inventory import Cpu, InputWarning, Platform
from ecs_field.hardware.parsers.common import ParseError, WarningLog, infer_hybrid_split

_HANDLE = re.compile(r"^Handle (0x[0-9A-Fa-f]{4}), DMI type (\d+), \d+ bytes$")
# Only a full dump (no -t) prints these before the records; it always ends with type 127.
_FULL_DUMP = re.compile(r"^(?:Table at 0x[0-9A-Fa-f]+\.|(\d+) structures occupying \d+ bytes\.)$")
_SIZE = re.compile(r"^(\d+)\s*(bytes|kB|KB|MB|GB|TB)$")
_UNITS = {"bytes": 1, "kB": 1 << 10, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
# Firmware placeholders that carry no information; treated as empty rather than as a name.
_PLACEHOLDERS = {
    "to be filled by o.e.m.",
    "default string",
    "not specified",
    "not applicable",
    "none",
    "system product name",
    "system manufacturer",
    "system version",
    "o.e.m.",
    "--",
    "n/a",
}
_CPU_VENDORS = (("intel", "GenuineIntel"), ("amd", "AuthenticAMD"), ("advanced micro", "AuthenticAMD"))


@dataclass
class DmiRecord:
    type: int
    title: str
    line: int
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class DmiFacts:
    platform: Platform
    cpu: Cpu
    memory_bytes: int | None


def parse_records(text: str, warnings: list[InputWarning] | None = None) -> list[DmiRecord]:
    log = WarningLog(warnings)
    lines = text.splitlines()
    records: list[DmiRecord] = []
    handles: set[str] = set()
    repeats: list[int] = []
    current: DmiRecord | None = None
    list_key = ""
    expect_title = False
    full_dump = False
    declared: int | None = None
    level1 = _attribute_indent(lines)
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        stripped = line.strip()
        if stripped.startswith("Handle "):
            match = _HANDLE.match(stripped)
            if not match:
                if number == len(lines) and not text.endswith("\n"):
                    log.add(
                        number,
                        "the dump ends in the middle of a record header (file cut short?)",
                        "truncated",
                    )
                else:
                    log.noise(number, f"broken record header, record skipped: {stripped[:80]!r}")
                current = None
                continue
            if match.group(1) in handles:
                repeats.append(number)
                current = None  # the same record again: read it once
                continue
            handles.add(match.group(1))
            current = DmiRecord(int(match.group(2)), "", number)
            records.append(current)
            expect_title = True
            continue
        if current is None:
            full = _FULL_DUMP.match(stripped)
            if full and not records:
                full_dump = True
                declared = int(full.group(1)) if full.group(1) else declared
            continue
        if not stripped:
            continue
        if expect_title:
            current.title = stripped
            expect_title = False
            continue
        indent = _indent(line)
        if indent == 0:
            continue  # a sub-title such as "On Board Device 2 Information"
        if indent > level1 and list_key:
            current.lists.setdefault(list_key, []).append(stripped)
        elif indent <= level1:
            key, sep, value = stripped.partition(":")
            if sep:
                current.values.setdefault(key.strip(), value.strip())
                list_key = key.strip() if not value.strip() else ""
    log.close()
    if not records:
        raise ParseError("no dmidecode records ('Handle 0x...., DMI type N') found", None)
    if repeats:
        log.add(
            repeats[0],
            f"{len(repeats)} DMI record{'s' if len(repeats) > 1 else ''} repeat records listed above "
            "(same handle; the dump was pasted more than once?): each is read once",
            "duplicate",
        )
    _check_truncation(text, lines, records, full_dump=full_dump, declared=declared, log=log)
    return records


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.lstrip().expandtabs(8))


def _attribute_indent(lines: list[str]) -> int:
    """Width of a record's own "Key: value" lines: a tab, or 4/8 spaces when pasted through a page."""
    widths = [_indent(line) for line in lines[:400] if line[:1] in (" ", "\t") and line.strip()]
    return min(widths) if widths else 8


def _check_truncation(
    text: str,
    lines: list[str],
    records: list[DmiRecord],
    *,
    full_dump: bool,
    declared: int | None,
    log: WarningLog,
) -> None:
    last = records[-1]
    if last.type == 127:
        return
    short = declared is not None and len(records) < declared
    empty_last = not last.title or (not last.values and not last.lists and last.type in (0, 1, 2, 3, 4, 17))
    cut_mid_line = not text.endswith("\n") and bool(lines) and bool(lines[-1].strip())
    if full_dump or short or empty_last or cut_mid_line:
        log.add(
            len(lines) or None,
            f"the dump stops inside or after record type {last.type} (line {last.line}) without dmidecode's "
            "'End Of Table' (file cut short?): memory, CPU or platform facts after it are missing",
            "truncated",
        )


def parse_dmidecode(text: str, warnings: list[InputWarning] | None = None) -> DmiFacts:
    records = parse_records(text, warnings)
    by_type: dict[int, list[DmiRecord]] = {}
    for record in records:
        by_type.setdefault(record.type, []).append(record)
    if 1 not in by_type and 2 not in by_type and 4 not in by_type:
        raise ParseError(
            "no System (type 1), Base Board (type 2) or Processor (type 4) record: run plain "
            "'dmidecode' (not only -t bios/memory)",
            records[-1].line,
        )
    return DmiFacts(_platform(by_type), _cpu(by_type.get(4, [])), _memory(by_type))


def clean(value: str) -> str:
    value = value.strip()
    return "" if value.lower() in _PLACEHOLDERS else value


def _first(by_type: dict[int, list[DmiRecord]], kind: int) -> dict[str, str]:
    return by_type[kind][0].values if kind in by_type else {}


def _platform(by_type: dict[int, list[DmiRecord]]) -> Platform:
    bios, system, board = _first(by_type, 0), _first(by_type, 1), _first(by_type, 2)
    return Platform(
        vendor=clean(system.get("Manufacturer", "")),
        product=clean(system.get("Product Name", "")),
        board=clean(board.get("Product Name", "")),
        board_vendor=clean(board.get("Manufacturer", "")),
        family=clean(system.get("Family", "")),
        version=clean(system.get("Version", "")),
        bios_vendor=clean(bios.get("Vendor", "")),
        bios_version=clean(bios.get("Version", "")),
        bios_date=clean(bios.get("Release Date", "")),
        sku=system.get("SKU Number", "").strip(),
        chassis=clean(_first(by_type, 3).get("Type", "")),
    )


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _cpu(processors: list[DmiRecord]) -> Cpu:
    populated = [p for p in processors if "Populated" in p.values.get("Status", "Populated")]
    if not populated:
        # Some firmware (coreboot on Protectli boards) marks its only, soldered CPU "Unpopulated"
        # while describing it fully: a record that names a model is a CPU whatever Status says.
        populated = [p for p in processors if clean(p.values.get("Version", ""))][:1]
    if not populated:
        return Cpu()
    first = populated[0].values
    maker = first.get("Manufacturer", "").lower()
    vendor = next((name for key, name in _CPU_VENDORS if key in maker), "")
    cores = [_int(p.values.get("Core Count", "")) for p in populated]
    threads = [_int(p.values.get("Thread Count", "")) for p in populated]
    cpu = Cpu(
        model=" ".join(clean(first.get("Version", "")).split()),  # "CPU  J3060  @" -> "CPU J3060 @"
        vendor=vendor,
        cores=sum(c for c in cores if c) if all(cores) else None,
        threads=sum(t for t in threads if t) if all(threads) else None,
        sockets=len(populated),
    )
    # SMBIOS processor characteristics are all dmidecode tells about these two features.
    characteristics = populated[0].lists.get("Characteristics", [])
    if "Execute Protection" in characteristics:
        cpu.flags.append("nx")
    if "Enhanced Virtualization" in characteristics and vendor:
        cpu.flags.append("vmx" if vendor == "GenuineIntel" else "svm")
    if len(populated) == 1:
        split = infer_hybrid_split(vendor, cpu.cores, cpu.threads)
        if split:
            cpu.p_cores, cpu.e_cores = split
    return cpu


def _size(value: str) -> int | None:
    match = _SIZE.match(value.strip())
    return int(match.group(1)) * _UNITS[match.group(2)] if match else None


def _memory(by_type: dict[int, list[DmiRecord]]) -> int | None:
    modules = [_size(r.values.get("Size", "")) for r in by_type.get(17, [])]
    total = sum(m for m in modules if m)
    if total:
        return total
    ranges = [_size(r.values.get("Range Size", "")) for r in by_type.get(19, [])]
    return sum(r for r in ranges if r) or None
