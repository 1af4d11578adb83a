"""Small pieces every dump parser shares: the error they raise and ID normalisation."""

from __future__ import annotations

import re


class ParseError(ValueError):
    """The text is not what the parser reads. ``line`` is 1-based, or None for the whole text.

    Parsers know nothing about files; the importer turns this into BadInput naming the file.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


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
