"""A DOS master boot record with one partition, as USB sticks carry it.

UEFI firmware looks for a valid MBR (0x55AA signature, sane partition entries) and then for a
FAT file system inside the partition; the ACTIVE flag is what older BIOS firmware and some
UEFI CSM implementations want before they treat a stick as bootable.
"""

from __future__ import annotations

import struct

SECTOR_SIZE = 512
PARTITION_TYPE_FAT32_LBA = 0x0C

# Legacy BIOS boot is not supported by the stick (only UEFI), so the boot code just says so.
# 16-bit real mode, loaded at 0000:7C00 (some BIOSes jump to 07C0:0000: we use only relative
# jumps and address the message through DS=0, so both work):
#   cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7C00; sti
#   mov si, MESSAGE; cld
# print: lodsb; or al,al; jz halt; mov ah,0x0E; mov bx,0x0007; int 0x10; jmp print
# halt:  hlt; jmp halt
def bios_message_stub(load_address: int, message: str) -> bytes:
    """x86 real-mode code printing ``message`` via INT 10h and halting, placed at ``load_address``."""
    head = bytes.fromhex("FA 31C0 8ED8 8ED0 BC007C FB")
    body = bytes.fromhex("FC AC 08C0 7409 B40E BB0700 CD10 EBF2 F4 EBFD")
    code_len = len(head) + 3 + len(body)  # + "mov si, imm16"
    message_address = load_address + code_len
    code = head + b"\xbe" + struct.pack("<H", message_address) + body
    return code + message.encode("ascii") + b"\r\n\x00"


UEFI_ONLY_MESSAGE = "This stick boots with UEFI only. Enable UEFI boot in the firmware setup."


def _chs(lba: int) -> bytes:
    """CHS address for the partition table (255 heads, 63 sectors); LBA is what anyone reads."""
    heads, sectors = 255, 63
    cylinder = lba // (heads * sectors)
    if cylinder > 1023:
        return b"\xfe\xff\xff"
    head = (lba // sectors) % heads
    sector = lba % sectors + 1
    return bytes((head, sector | ((cylinder >> 2) & 0xC0), cylinder & 0xFF))


def render_mbr(start_lba: int, sector_count: int, disk_signature: int,
               partition_type: int = PARTITION_TYPE_FAT32_LBA, active: bool = True) -> bytes:
    """Sector 0 of the stick: boot stub, disk signature, one partition entry, 0x55AA."""
    if start_lba <= 0 or sector_count <= 0 or start_lba + sector_count > 0xFFFFFFFF:
        raise ValueError(f"partition {start_lba}+{sector_count} does not fit an MBR")
    sector = bytearray(SECTOR_SIZE)
    stub = bios_message_stub(0x7C00, UEFI_ONLY_MESSAGE)
    sector[: len(stub)] = stub
    struct.pack_into("<I", sector, 440, disk_signature & 0xFFFFFFFF)
    entry = struct.pack(
        "<B3sB3sII",
        0x80 if active else 0x00,
        _chs(start_lba),
        partition_type,
        _chs(start_lba + sector_count - 1),
        start_lba,
        sector_count,
    )
    sector[446:462] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)
