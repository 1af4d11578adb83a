"""FAT directory names: 8.3 short names, VFAT long-name entries and volume labels.

ESXi ISOs use upper-case 8.3 names (BOOT.CFG, B.B00), which go into a FAT directory as they
are. Any other name gets a generated short name ("A LONG NAME.txt" -> "ALONGN~1.TXT", built
the way Windows builds them) preceded by long-file-name entries that carry the real name in
UTF-16, tied to the short name by a checksum.
"""

from __future__ import annotations

from ecs_field.errors import BadInput

# Characters a short name may hold (besides the dot), per the FAT specification; we avoid
# OEM code page characters (>= 0x80) because their meaning depends on the reader's locale.
SHORT_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'()-@^_`{}~")
# Characters no FAT long name may hold.
_FORBIDDEN_LONG = frozenset('"*/:<>?\\|') | frozenset(chr(c) for c in range(0x20))
MAX_LONG_NAME = 255  # UTF-16 code units
_LFN_CHARS_PER_ENTRY = 13
ATTR_LONG_NAME = 0x0F


def is_short_name(name: str) -> bool:
    """True when ``name`` can be stored as-is in 8.3 form (upper case, allowed characters)."""
    if name in (".", ".."):
        return False
    base, dot, ext = name.partition(".")
    if not base or len(base) > 8 or len(ext) > 3 or "." in ext or (dot and not ext):
        return False
    return all(ch in SHORT_NAME_CHARS for ch in base + ext)


def pack_short_name(name: str) -> bytes:
    """ "BOOT.CFG" -> b"BOOT    CFG" (the 11-byte on-disk form)."""
    base, _, ext = name.partition(".")
    return base.ljust(8).encode("ascii") + ext.ljust(3).encode("ascii")


def fat_long_name(name: str, where: str) -> str:
    """The name as FAT can hold it: forbidden characters become "_"; too long is an error."""
    cleaned = "".join("_" if ch in _FORBIDDEN_LONG else ch for ch in name)
    # Windows strips trailing dots and spaces, which would make the file unreachable there.
    stripped = cleaned.rstrip(". ")
    if stripped != cleaned:
        cleaned = stripped + "_" * (len(cleaned) - len(stripped))
    if len(cleaned.encode("utf-16-le")) // 2 > MAX_LONG_NAME:
        raise BadInput(
            f"{where}: the name is longer than FAT allows (255 characters)",
            "This ISO cannot be copied to a FAT32 stick; write it with --mode raw if it is hybrid.",
        )
    return cleaned


def lfn_checksum(short11: bytes) -> int:
    total = 0
    for byte in short11:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def lfn_entries(long_name: str, short11: bytes) -> list[bytes]:
    """The long-name directory entries, in on-disk order (last part first)."""
    units = long_name.encode("utf-16-le")
    if len(units) // 2 % _LFN_CHARS_PER_ENTRY:
        units += b"\x00\x00"
    pad = (-(len(units) // 2)) % _LFN_CHARS_PER_ENTRY
    units += b"\xff\xff" * pad
    checksum = lfn_checksum(short11)
    count = len(units) // (2 * _LFN_CHARS_PER_ENTRY)
    entries: list[bytes] = []
    for index in range(count, 0, -1):
        part = units[(index - 1) * 26: index * 26]
        order = index | (0x40 if index == count else 0)
        entries.append(
            bytes((order,)) + part[0:10] + bytes((ATTR_LONG_NAME, 0, checksum))
            + part[10:22] + b"\x00\x00" + part[22:26]
        )
    return entries


class ShortNameAllocator:
    """Hands out unique short names within one directory."""

    def __init__(self) -> None:
        self._used: set[bytes] = set()

    def reserve(self, short11: bytes) -> None:
        self._used.add(short11)

    def taken(self, short11: bytes) -> bool:
        return short11 in self._used

    def generate(self, long_name: str) -> bytes:
        """A short name for a long one, with a "~N" tail when the name had to change."""
        upper = long_name.upper().replace(" ", "").lstrip(".")
        lossy = upper != long_name.upper() or not upper
        base, dot, ext = upper.rpartition(".")
        if not dot:
            base, ext = upper, ""
        if "." in base:
            base = base.replace(".", "")
            lossy = True
        base, bad_base = _short_chars(base)
        ext, bad_ext = _short_chars(ext)
        lossy = lossy or bad_base or bad_ext or len(base) > 8 or len(ext) > 3 or not base
        base, ext = base[:8], ext[:3]
        if not lossy:
            candidate = pack_short_name(f"{base}.{ext}" if ext else base)
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
        for number in range(1, 1_000_000):
            tail = f"~{number}"
            stem = (base or "_")[: 8 - len(tail)] + tail
            candidate = pack_short_name(f"{stem}.{ext}" if ext else stem)
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
        raise BadInput(f"too many similar names around {long_name!r}", "Rename files in the ISO.")


def _short_chars(text: str) -> tuple[str, bool]:
    out = "".join(ch if ch in SHORT_NAME_CHARS else "_" for ch in text)
    return out, out != text


def volume_label(text: str) -> str:
    """An 11-character FAT volume label from an ISO volume id ("ESXI-8.0U3" -> "ESXI-8_0U3")."""
    upper = text.strip().upper()
    label = "".join(ch if ch in SHORT_NAME_CHARS or ch == " " else "_" for ch in upper)[:11].rstrip()
    return label or "NO NAME"
