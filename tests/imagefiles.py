"""Small real ISO images for tests, built with xorriso (El Torito BIOS + UEFI entries).

The payload is pseudo-random so sizes and checksums are meaningful; the boot files are dummies
(nothing boots them), but the ISO structure is what a real ESXi installer ISO has.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path


def make_iso(
    path: Path, payload_bytes: int = 256 * 1024, *, seed: int = 1, volume_id: str = "ESXI-TEST"
) -> Path:
    tree = path.parent / f".{path.name}.tree"
    (tree / "EFI" / "BOOT").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    (tree / "PAYLOAD.BIN").write_bytes(rng.randbytes(payload_bytes))
    (tree / "ISOLINUX.BIN").write_bytes(b"\xeb\x3c" + bytes(2046))
    (tree / "EFIBOOT.IMG").write_bytes(bytes(64 * 1024))
    (tree / "EFI" / "BOOT" / "BOOTX64.EFI").write_bytes(b"MZ" + bytes(4094))
    # the "build=" line is where ESXi ISOs state their version (what image inspection reads)
    (tree / "BOOT.CFG").write_text(
        "bootstate=0\ntitle=Loading ESXi installer\nbuild=8.0.3-0.0.24022510\nkernel=/b.b00\n"
    )
    subprocess.run(
        ["xorriso", "-as", "mkisofs", "-quiet", "-o", str(path), "-V", volume_id, "-J", "-R",
         "-b", "ISOLINUX.BIN", "-c", "BOOT.CAT", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
         "-eltorito-alt-boot", "-e", "EFIBOOT.IMG", "-no-emul-boot", str(tree)],
        check=True, capture_output=True,
    )
    shutil.rmtree(tree)
    return path
