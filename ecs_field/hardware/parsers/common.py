"""Small pieces every dump parser shares: the error they raise and ID normalisation."""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from ecs_field.hardware.inventory import InputWarning


class ParseError(ValueError):
    """The text is not what the parser reads. ``line`` is 1-based, or None for the whole text.

    Parsers know nothing about files; the importer turns this into BadInput naming the file.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


MAX_NOISE = 8  # noise warnings one parse reports line by line; the rest are counted in one


class WarningLog:
    """Where a parser reports what it tolerated.

    With a ``sink`` the parser keeps going and the warnings are collected (the importer's way).
    Without one (``None``) the parse is strict: a skipped or cut-off line raises ParseError, so a
    caller that cannot show warnings never gets a silently partial result. Repeats are harmless
    and only reported.
    """

    def __init__(self, sink: list[InputWarning] | None) -> None:
        self.sink = sink
        self.noise_count = 0
        self.first_unlisted: int | None = None

    def add(self, line: int | None, message: str, kind: str) -> None:
        if self.sink is not None:
            self.sink.append(InputWarning("", line, message, kind))
        elif kind in ("noise", "truncated"):
            raise ParseError(message, line)

    def noise(self, line: int, message: str) -> None:
        """A skipped line; after MAX_NOISE of them only counted."""
        self.noise_count += 1
        if self.noise_count <= MAX_NOISE:
            self.add(line, message, "noise")
        elif self.first_unlisted is None:
            self.first_unlisted = line

    def close(self) -> None:
        if self.noise_count > MAX_NOISE:
            self.add(
                self.first_unlisted,
                f"{self.noise_count - MAX_NOISE} more unreadable line(s) skipped from here on",
                "noise",
            )
            self.noise_count = MAX_NOISE


def fill_empty(target: Any, source: Any) -> None:
    """Copy ``source``'s non-empty fields into ``target``'s empty ones (same dataclass)."""
    for f in fields(target):
        if getattr(target, f.name) in ("", None, []) and getattr(source, f.name) not in ("", None, []):
            setattr(target, f.name, getattr(source, f.name))


_HEX = re.compile(r"^(?:0x)?([0-9a-fA-F]+)$")
_PCI_ADDRESS = re.compile(r"^(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")


def hex_id(value: str, width: int = 4) -> str:
    """ "0x8086" / "8086" / "0X8086" -> "8086"; "" when the value is not hex."""
    match = _HEX.match(value.strip())
    if not match:
        return ""
    return match.group(1).lower().rjust(width, "0")[-width:] if width else match.group(1).lower()


def pci_address(value: str) -> str:
    """Normalise a PCI address to "dddd:bb:dd.f" (lspci omits the domain when it is 0)."""
    match = _PCI_ADDRESS.match(value.strip())
    if not match:
        return ""
    domain, bus, dev, fn = match.groups()
    return f"{(domain or '0000').lower().rjust(4, '0')}:{bus.lower()}:{dev.lower()}.{fn}"


def pci_sort_key(address: str) -> tuple[int, int, int, int]:
    """Numeric (domain, bus, device, function): the order ESXi numbers vmnics in."""
    match = _PCI_ADDRESS.match(address.strip())
    if not match:
        return (1 << 32, 0, 0, 0)
    domain, bus, dev, fn = match.groups()
    return (int(domain or "0", 16), int(bus, 16), int(dev, 16), int(fn))


def mac_address(value: str) -> str:
    """ "00-1B-21-AA-BB-CC" / "001b.21aa.bbcc" / "00:1b:21:aa:bb:cc" -> "00:1b:21:aa:bb:cc"."""
    digits = re.sub(r"[^0-9a-fA-F]", "", value)
    if len(digits) != 12:
        return ""
    digits = digits.lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def infer_hybrid_split(vendor: str, cores: int | None, threads: int | None) -> tuple[int, int] | None:
    """P/E core counts of an Intel hybrid part from its totals, or None when they do not say.

    Intel hybrid parts run two threads on each P-core and one on each E-core, so
    threads = 2P + E and cores = P + E. Only a thread count strictly between cores and
    2 x cores implies E-cores; exactly 2 x cores means none. threads == cores (SMT off, or
    an E-core-only part) cannot tell, so that stays unknown rather than guessed.
    """
    if not cores or not threads or "intel" not in vendor.lower():
        return None
    if threads == 2 * cores:
        return cores, 0
    if cores < threads < 2 * cores:
        p_cores = threads - cores
        return p_cores, cores - p_cores
    return None
