"""inspect_image on ISOs built here with xorriso (hybrid, ESXi-like El Torito) and on bad files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.media.image.inspect import inspect_image, parse_boot_cfg, parse_mbr

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("xorriso", "mkfs.fat", "mcopy")),
    reason="needs xorriso, dosfstools, mtools",
)

BOOT_CFG = """bootstate=0
title=Loading ESXi installer
timeout=5
prefix=
kernel=/b.b00
kernelopt=runweasel cdromBoot
modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /uc_intel.b00
build=8.0.2-0.0.22380479
updated=0
"""


def _tree(root: Path) -> Path:
    src = root / "src"
    (src / "EFI" / "BOOT").mkdir(parents=True)
    (src / "ISOLINUX.BIN").write_bytes(bytes(range(256)) * 16)  # a stand-in: only its placement matters
    (src / "BOOT.CFG").write_text(BOOT_CFG)
    (src / "EFI" / "BOOT" / "BOOT.CFG").write_text(BOOT_CFG)
    (src / "EFI" / "BOOT" / "BOOTX64.EFI").write_bytes(b"MZ" + b"\x00" * 8190)
    (src / "B.B00").write_bytes(b"\x7fELF" + b"\x01" * 10000)
    efiboot = src / "EFIBOOT.IMG"
    subprocess.run(["mkfs.fat", "-C", str(efiboot), "1440"], check=True, capture_output=True)
    subprocess.run(["mmd", "-i", str(efiboot), "::/EFI", "::/EFI/BOOT"], check=True, capture_output=True)
    subprocess.run(["mcopy", "-i", str(efiboot), str(src / "EFI" / "BOOT" / "BOOTX64.EFI"), "::/EFI/BOOT/"],
                   check=True, capture_output=True)
    return src


def build_esxi_iso(root: Path, volume: str = "ESXI-8.0U2-22380479-STANDARD",
                   boot_cfg: str | None = None) -> Path:
    """An El Torito ISO laid out like a stock ESXi installer: BIOS + UEFI entries, no hybrid MBR."""
    src = _tree(root)
    if boot_cfg is not None:
        (src / "BOOT.CFG").write_text(boot_cfg)
        (src / "EFI" / "BOOT" / "BOOT.CFG").write_text(boot_cfg)
    iso = root / "esxi.iso"
    subprocess.run(
        ["xorriso", "-as", "mkisofs", "-quiet", "-o", str(iso), "-V", volume, "-J", "-R",
         "-b", "ISOLINUX.BIN", "-c", "BOOT.CAT", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
         "-eltorito-alt-boot", "-e", "EFIBOOT.IMG", "-no-emul-boot", str(src)],
        check=True, capture_output=True,
    )
    return iso


def build_hybrid_iso(root: Path) -> Path:
    """A hybrid ISO: xorriso writes an MBR from a 432-byte boot code file plus a partition table."""
    src = _tree(root)
    mbr_code = root / "mbr.bin"
    mbr_code.write_bytes(b"\xfa\xeb\xfe" + b"\x00" * 429)  # cli; jmp $ : harmless boot code
    iso = root / "hybrid.iso"
    subprocess.run(
        ["xorriso", "-as", "mkisofs", "-quiet", "-o", str(iso), "-V", "HYBRID_TEST",
         "-isohybrid-mbr", str(mbr_code),
         "-b", "ISOLINUX.BIN", "-c", "BOOT.CAT", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
         "-eltorito-alt-boot", "-e", "EFIBOOT.IMG", "-no-emul-boot", "-isohybrid-gpt-basdat", str(src)],
        check=True, capture_output=True,
    )
    return iso


def test_esxi_iso(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path)
    info = inspect_image(iso)
    document = info.to_dict()
    contract = ["path", "size_bytes", "format", "volume_id", "hybrid", "boot", "esxi", "write_mode"]
    assert list(document)[: len(contract)] == contract
    assert document["path"] == str(iso) and document["size_bytes"] == iso.stat().st_size
    assert document["format"] == "iso9660"
    assert document["volume_id"] == "ESXI-8.0U2-22380479-STANDARD"
    assert document["hybrid"] is False
    assert document["boot"] == {"bios": True, "uefi": True}
    assert document["esxi"]["version"] == "8.0.2" and document["esxi"]["build"] == "22380479"
    assert document["esxi"]["source"] == "BOOT.CFG"
    assert document["write_mode"] == "uefi-fat32"
    platforms = [(e["platform"], e["bootable"]) for e in document["el_torito"]]
    assert platforms == [("bios", True), ("uefi", True)]
    assert document["efi_loader"] == "/EFI/BOOT/BOOTX64.EFI"
    assert document["files"] == 7


def test_esxi_version_from_volume_id_when_boot_cfg_has_no_build(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path, volume="ESXI-7.0U3N-21930508-STANDARD",
                         boot_cfg="title=Loading ESXi installer\n")
    info = inspect_image(iso)
    assert info.esxi == {"version": "7.0U3N", "build": "21930508", "source": "volume id"}


def test_not_esxi(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path, volume="DATA_DISC", boot_cfg="# not ESXi\n")
    assert inspect_image(iso).esxi is None


def test_hybrid_iso(tmp_path: Path) -> None:
    info = inspect_image(build_hybrid_iso(tmp_path))
    assert info.format == "iso9660" and info.hybrid is True
    assert info.write_mode == "raw"
    assert info.bios and info.uefi
    assert info.partitions and info.partitions[0].type_id != 0


def test_disk_image(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    sector = bytearray(512)
    sector[446:462] = bytes([0x80, 0, 0, 0, 0x0C, 0, 0, 0]) + (2048).to_bytes(4, "little") + \
        (4096).to_bytes(4, "little")
    sector[510:512] = b"\x55\xaa"
    image.write_bytes(bytes(sector) + b"\x00" * (6144 * 512 - 512))
    info = inspect_image(image)
    assert (info.format, info.write_mode, info.bios, info.hybrid) == ("disk-image", "raw", True, False)


def test_boot_sector_without_table_is_unknown(tmp_path: Path) -> None:
    image = tmp_path / "fs.img"
    subprocess.run(["mkfs.fat", "-C", str(image), "2048"], check=True, capture_output=True)
    info = inspect_image(image)
    # not recognised as bootable: auto mode refuses it, --mode raw writes it anyway
    assert info.format == "unknown" and info.write_mode is None and not info.bootable
    assert "no partition table" in info.refusal and "not recognised as bootable" in info.refusal
    assert any("--mode raw" in n for n in info.notes)


def test_truncated_iso(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path)
    data = iso.read_bytes()
    cut = tmp_path / "cut.iso"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match=r"cut\.iso is truncated.*the file has"):
        inspect_image(cut)
    stub = tmp_path / "stub.iso"
    stub.write_bytes(data[: 32768 + 100])
    with pytest.raises(BadInput, match=r"stub\.iso is truncated"):
        inspect_image(stub)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (bytes(range(256)) * 300, "not a disk or ISO image"),
        (b"\xfd7zXZ\x00" + b"\x00" * 100, "compressed xz"),
        (b"PK\x03\x04" + b"\x00" * 100, "compressed zip"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message) as caught:
        inspect_image(path)
    assert "bad.bin" in caught.value.message and caught.value.hint


def test_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        inspect_image(tmp_path / "nope.iso")
    with pytest.raises(BadInput, match="folder"):
        inspect_image(tmp_path)


def test_parse_boot_cfg_and_mbr() -> None:
    facts = parse_boot_cfg("title=Loading ESXi installer\nbuild=7.0.3-0.55.20328353\n# build=1.0-0.1\n")
    assert (facts["version"], facts["build"]) == ("7.0.3", "20328353")
    assert parse_boot_cfg("build=\n").get("version") is None
    sector = bytearray(512)
    sector[510:512] = b"\x55\xaa"
    sector[446] = 0x12  # not a status byte: boot code, not a partition table
    assert parse_mbr(bytes(sector), 10**6) == (False, [])
