"""FAT short names, VFAT long-name entries and labels (fat_names.py), plus the MBR and the
BIOS message stub; end-to-end readability is covered with mtools in test_fat32.py."""

from __future__ import annotations

import struct

import pytest

from ecs_field.errors import BadInput
from ecs_field.media.image import fat_names, mbr


@pytest.mark.parametrize("name", ["BOOT.CFG", "B.B00", "EFI", "BOOTX64.EFI", "USEROPTS.GZ", "A-B_C~1.X$"])
def test_esxi_names_are_valid_short_names(name: str) -> None:
    assert fat_names.is_short_name(name)


@pytest.mark.parametrize(
    "name", ["boot.cfg", "Release Notes.html", "TOOLONGNAME.TXT", "A.B.C", "X.ABCD", ".", "..", "A B",
             "NAME.", ".HIDDEN", "ÄPFEL.TXT"],
)
def test_other_names_are_not_short_names(name: str) -> None:
    assert not fat_names.is_short_name(name)


def test_pack_short_name() -> None:
    assert fat_names.pack_short_name("BOOT.CFG") == b"BOOT    CFG"
    assert fat_names.pack_short_name("EFI") == b"EFI        "


def test_generated_short_names_follow_windows_rules() -> None:
    alloc = fat_names.ShortNameAllocator()
    assert alloc.generate("boot.cfg") == b"BOOT    CFG"  # fits once upper-cased: no tail
    assert alloc.generate("Boot.Cfg") == b"BOOT~1  CFG"  # taken: numeric tail
    assert alloc.generate("Release Notes.html") == b"RELEAS~1HTM"
    assert alloc.generate("Release Notes 2.html") == b"RELEAS~2HTM"
    assert alloc.generate("a+b.tar.gz") == b"A_BTAR~1GZ "
    assert alloc.generate(".profile") == b"PROFIL~1   "


def test_tails_grow_past_nine() -> None:
    alloc = fat_names.ShortNameAllocator()
    names = [alloc.generate(f"long file name {i}.txt") for i in range(12)]
    assert len(set(names)) == 12
    assert b"LONGFI~9TXT" in names and b"LONGF~10TXT" in names


def test_lfn_checksum_matches_the_specification_algorithm() -> None:
    # Rotate right by one and add, over the 11 bytes (FAT spec, "ChkSum").
    expected = 0
    for byte in b"RELEAS~1HTM":
        expected = ((expected >> 1) | ((expected & 1) << 7)) + byte & 0xFF
    assert fat_names.lfn_checksum(b"RELEAS~1HTM") == expected


def test_lfn_entries_layout() -> None:
    short = b"RELEAS~1HTM"
    entries = fat_names.lfn_entries("Release Notes.html", short)
    assert len(entries) == 2 and all(len(e) == 32 for e in entries)
    first, second = entries
    assert first[0] == 0x42 and second[0] == 0x01  # last part first, flagged 0x40
    assert {first[11], second[11]} == {0x0F} and {first[13], second[13]} == {fat_names.lfn_checksum(short)}

    def chars(entry: bytes) -> bytes:
        return entry[1:11] + entry[14:26] + entry[28:32]

    units = chars(second) + chars(first)
    text = units.decode("utf-16-le")
    assert text.startswith("Release Notes.html\x00")
    assert set(text[len("Release Notes.html") + 1:]) == {"\uffff"}  # padded after the NUL


def test_exactly_13_characters_need_no_terminator() -> None:
    (entry,) = fat_names.lfn_entries("abcdefghijklm", b"ABCDEF~1   ")
    assert (entry[1:11] + entry[14:26] + entry[28:32]).decode("utf-16-le") == "abcdefghijklm"


def test_long_names_are_cleaned_or_refused() -> None:
    assert fat_names.fat_long_name('a:b*c?.txt', "x") == "a_b_c_.txt"
    assert fat_names.fat_long_name("trailing.", "x") == "trailing_"
    with pytest.raises(BadInput, match="255"):
        fat_names.fat_long_name("n" * 256, "/ISO/path")


def test_volume_label() -> None:
    assert fat_names.volume_label("ESXI-8.0U3-24022510") == "ESXI-8_0U3-"
    assert fat_names.volume_label("ecs host") == "ECS HOST"
    assert fat_names.volume_label("   ") == "NO NAME"


def test_mbr_entry_and_signature() -> None:
    sector = mbr.render_mbr(2048, 100_000, 0x12345678)
    assert len(sector) == 512 and sector[510:] == b"\x55\xaa"
    assert struct.unpack_from("<I", sector, 440)[0] == 0x12345678
    status, _, ptype, _, start, count = struct.unpack_from("<B3sB3sII", sector, 446)
    assert (status, ptype, start, count) == (0x80, 0x0C, 2048, 100_000)
    with pytest.raises(ValueError, match="MBR"):
        mbr.render_mbr(2048, 0xFFFFFFFF, 1)


def test_bios_stub_points_at_its_message() -> None:
    stub = mbr.bios_message_stub(0x7C00, "HELLO")
    # mov si, imm16 follows the 11-byte prologue; the message sits right after the code.
    assert stub[11] == 0xBE
    address = struct.unpack_from("<H", stub, 12)[0]
    assert stub[address - 0x7C00:] == b"HELLO\r\n\x00"
