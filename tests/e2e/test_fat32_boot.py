"""The synthesised FAT32 stick really boots: written to a loop device, booted by OVMF as a USB
stick in QEMU (TCG, no KVM), it starts EFI/BOOT/BOOTX64.EFI from the FAT32 partition.

The ISO is ESXi-shaped (El Torito BIOS + UEFI entries, no hybrid MBR). Its file tree holds a
real UEFI program printing STICK_MARKER; its El Torito EFIBOOT.IMG holds a different one
printing ELTORITO_MARKER, so the serial log tells which path the firmware took.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ecs_field.media.image.fat32 import Fat32StickSource
from ecs_field.media.image.source import FileSource, ImageSource
from tests.clirun import run_process
from tests.conftest import have, needs_root
from tests.e2e.write_devices import attached_loop
from tests.fixtures.efi.esxi_like_iso import ELTORITO_MARKER, STICK_MARKER, build_esxi_like_iso

_FIRMWARE_PAIRS = [  # (code, vars template): Debian/Ubuntu, Fedora, Arch
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"),
    ("/usr/share/edk2/x64/OVMF_CODE.fd", "/usr/share/edk2/x64/OVMF_VARS.fd"),
]


def _firmware() -> tuple[Path, Path] | None:
    for code, template in _FIRMWARE_PAIRS:
        if Path(code).is_file() and Path(template).is_file():
            return Path(code), Path(template)
    return None


pytestmark = [
    pytest.mark.qemu,
    pytest.mark.root,
    pytest.mark.slow,
    needs_root,
    pytest.mark.skipif(not have("qemu-system-x86_64"), reason="needs qemu-system-x86_64"),
    pytest.mark.skipif(_firmware() is None, reason="needs OVMF firmware (apt install ovmf)"),
    pytest.mark.skipif(not all(have(t) for t in ("xorriso", "mcopy", "mkfs.fat", "losetup")),
                       reason="needs xorriso, mtools, dosfstools and losetup"),
]

BOOT_TIMEOUT_S = 120  # TCG on a slow 2-core runner; a good boot takes ~5-15 s


def write_to_device(source: ImageSource, device: str) -> None:
    """What the writer does at its core: stream the source onto the device, then flush."""
    buffer = bytearray(4 << 20)
    view = memoryview(buffer)
    fd = os.open(device, os.O_WRONLY)
    try:
        done = 0
        while done < source.size_bytes:
            got = source.read_into(done, view)
            os.pwrite(fd, view[:got], done)
            done += got
        os.fsync(fd)
    finally:
        os.close(fd)


def boot_usb_stick(device: str, workdir: Path) -> tuple[str, int | None]:
    """Boot ``device`` as a USB stick under OVMF; the serial log and QEMU's exit code (None
    when we had to stop it)."""
    firmware = _firmware()
    assert firmware is not None
    code, template = firmware
    variables = workdir / "OVMF_VARS.fd"
    shutil.copyfile(template, variables)
    serial = workdir / "serial.log"
    serial.unlink(missing_ok=True)
    command = [
        "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "512",
        "-display", "none", "-nodefaults", "-no-reboot",  # -nodefaults: no NIC, so no PXE wait
        "-serial", f"file:{serial}",
        "-drive", f"if=pflash,format=raw,readonly=on,file={code}",
        "-drive", f"if=pflash,format=raw,file={variables}",
        "-drive", f"file={device},format=raw,if=none,id=stick",
        "-device", "qemu-xhci", "-device", "usb-storage,drive=stick,removable=on",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    text = ""
    try:
        while time.monotonic() < deadline:
            text = serial.read_text(errors="replace") if serial.exists() else ""
            if process.poll() is not None:
                break
            # Either marker means the firmware chose its path; "Shell>" means it found nothing.
            if ELTORITO_MARKER in text or "Shell>" in text:
                break
            time.sleep(0.25)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    text = serial.read_text(errors="replace") if serial.exists() else ""
    return text, process.returncode if process.returncode is not None and process.returncode >= 0 else None


def test_stick_boots_bootx64_from_the_fat32_partition(tmp_path: Path) -> None:
    built = build_esxi_like_iso(tmp_path)
    with Fat32StickSource(built.iso) as source, \
            attached_loop(tmp_path / "stick-backing.img", source.size_bytes + (8 << 20)) as device:
        write_to_device(source, device)
        log, exit_code = boot_usb_stick(device, tmp_path)
    assert STICK_MARKER in log, f"marker not on the serial console; log tail:\n{log[-2000:]}"
    assert ELTORITO_MARKER not in log
    assert "USB" in log  # OVMF names the boot option it started: the USB stick
    assert exit_code == 0  # the program shut the VM down itself


def test_ecs_field_write_auto_makes_a_stick_that_boots(tmp_path: Path) -> None:
    """The product path: `ecs-field write` picks uefi-fat32 for the ESXi-shaped ISO by itself,
    writes and verifies the loop device, and the stick boots."""
    built = build_esxi_like_iso(tmp_path)
    with Fat32StickSource(built.iso) as source:
        expected_size = source.size_bytes
    with attached_loop(tmp_path / "cli-backing.img", expected_size + (8 << 20)) as device:
        done = run_process("write", str(built.iso), device, "--yes", "--progress", "json",
                           "--allow-non-removable", "--confirm-device", device, timeout=300)
        assert done.returncode == 0, done.stderr
        last = json.loads(done.stdout.strip().splitlines()[-1])
        assert last["phase"] == "done" and last["bytes_total"] == expected_size
        log, _ = boot_usb_stick(device, tmp_path)
    assert STICK_MARKER in log, f"marker not on the serial console; log tail:\n{log[-2000:]}"


def test_raw_copy_of_the_iso_does_not_start_the_trees_loader(tmp_path: Path) -> None:
    """Negative control. OVMF (unlike many real firmwares) reads El Torito even from a USB
    disk, so a raw copy runs EFIBOOT.IMG's loader at best; it never starts the file tree's
    EFI/BOOT/BOOTX64.EFI, which is what the FAT32 stick provides."""
    built = build_esxi_like_iso(tmp_path)
    with FileSource(built.iso) as source, \
            attached_loop(tmp_path / "raw-backing.img", source.size_bytes + (8 << 20)) as device:
        write_to_device(source, device)
        log, _ = boot_usb_stick(device, tmp_path)
    assert STICK_MARKER not in log
    assert "BdsDxe" in log  # the firmware did run and looked at the stick
