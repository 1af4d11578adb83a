"""Reading images: what an ISO or disk image is (inspect), its ISO 9660 tree, MBR/GPT, and the
FAT32 stick image synthesised from an ISO for UEFI boot."""
