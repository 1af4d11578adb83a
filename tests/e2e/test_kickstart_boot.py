"""`write --kickstart` end to end: the stick boots in QEMU+OVMF and its loader sees the kickstart.

The ESXi-like ISO carries, as EFI/BOOT/BOOTX64.EFI, a UEFI program that prints the stick's
/BOOT.CFG, /EFI/BOOT/BOOT.CFG and /KS.CFG to the serial console (tests/fixtures/efi/cat_app.py).
The kickstart is made by `ecs-field kickstart`, the stick by `ecs-field write --kickstart` on a
loop device; `ecs-field verify` then checks it read-only. The serial log must show both
kernelopt lines booting with ks=usb:/KS.CFG and every line of the ks.cfg as written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ecs_field.media.image.fat32 import Fat32StickSource
from tests.clirun import run_process
from tests.e2e.test_fat32_boot import boot_usb_stick
from tests.e2e.test_fat32_boot import pytestmark as boot_marks
from tests.e2e.write_devices import attached_loop
from tests.fixtures.efi.cat_app import END_MARKER, START_MARKER, build_cat_app
from tests.fixtures.efi.esxi_like_iso import build_esxi_like_iso

pytestmark = boot_marks

ROOT_PASSWORD = "Depot7#Kick"  # a password ESXi 8 accepts; only its SHA-512 crypt hash is written


def make_kickstart(folder: Path) -> Path:
    target = folder / "ks.cfg"
    done = run_process(
        "kickstart",
        "--hostname",
        "esx01.depot7.example",
        "--ip",
        "10.7.0.10/24",
        "--gateway",
        "10.7.0.1",
        "--dns",
        "10.7.0.2,10.7.0.3",
        "--vlan",
        "70",
        "--ntp",
        "10.7.0.2",
        "--root-password-env",
        "ECS_TEST_ROOT_PW",
        "-o",
        str(target),
        env={"ECS_TEST_ROOT_PW": ROOT_PASSWORD},
    )
    assert done.returncode == 0, done.stderr
    return target


def file_section(log: str, name: str) -> str:
    """What the loader printed for ``name`` (between "=== FILE name" and "=== END"), LF line ends."""
    text = log.replace("\r\n", "\n").replace("\r", "")
    found = re.search(r"=== FILE " + re.escape(name) + r"\n(.*?)\n=== (END|MISSING)", text, re.S)
    assert found is not None, f"no section for {name} in the serial log:\n{text[-3000:]}"
    assert found.group(2) == "END", f"{name} could not be opened on the stick"
    return found.group(1)


def test_kickstart_stick_boots_with_ks_option_and_the_file_on_it(tmp_path: Path) -> None:
    kickstart = make_kickstart(tmp_path)
    ks_text = kickstart.read_text()
    built = build_esxi_like_iso(tmp_path, stick_app=build_cat_app())
    with Fat32StickSource(built.iso, kickstart=kickstart.read_bytes()) as source:
        size = source.size_bytes
    with attached_loop(tmp_path / "ks-backing.img", size + (8 << 20)) as device:
        done = run_process(
            "write",
            str(built.iso),
            device,
            "--kickstart",
            str(kickstart),
            "--yes",
            "--progress",
            "json",
            "--allow-non-removable",
            "--confirm-device",
            device,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        last = json.loads(done.stdout.strip().splitlines()[-1])
        assert last["phase"] == "done" and last["bytes_total"] == size
        history = run_process("history", "--json")
        assert history.returncode == 0, history.stderr
        record = json.loads(history.stdout)["records"][0]
        expected = {"file": "ks.cfg", "hostname": "esx01.depot7.example", "ip": "10.7.0.10"}
        assert record["kickstart"] == expected
        assert "$6$" not in history.stdout  # the record names the kickstart, never the password hash

        checked = run_process("verify", str(built.iso), device, "--kickstart", str(kickstart), "--json")
        assert checked.returncode == 0, checked.stderr
        assert json.loads(checked.stdout)["same"] is True
        without = run_process("verify", str(built.iso), device)
        assert without.returncode == 6, without.stderr
        assert "first difference at offset" in without.stderr

        log, exit_code = boot_usb_stick(device, tmp_path)

    assert START_MARKER in log and END_MARKER in log, f"loader output incomplete:\n{log[-3000:]}"
    assert exit_code == 0  # the loader powered the VM off itself
    for name in ("\\BOOT.CFG", "\\EFI\\BOOT\\BOOT.CFG"):
        boot_cfg = file_section(log, name)
        kernelopt = [line for line in boot_cfg.splitlines() if line.startswith("kernelopt=")]
        assert kernelopt == ["kernelopt=runweasel cdromBoot ks=usb:/KS.CFG"], boot_cfg
        assert "kernel=/b.b00" in boot_cfg.splitlines()  # the rest of the file is untouched
    on_stick = file_section(log, "\\KS.CFG")
    assert on_stick.splitlines() == ks_text.rstrip("\n").splitlines()
    lines = on_stick.splitlines()
    assert "vmaccepteula" in lines
    assert "install --firstdisk=local --overwritevmfs" in lines
    assert any(line.startswith("rootpw --iscrypted $6$") for line in lines)
    network = next(line for line in lines if line.startswith("network "))
    for option in (
        "--bootproto=static",
        "--ip=10.7.0.10",
        "--netmask=255.255.255.0",
        "--gateway=10.7.0.1",
        "--nameserver=10.7.0.2,10.7.0.3",
        "--hostname=esx01.depot7.example",
        "--vlanid=70",
    ):
        assert option in network.split(), network
    assert ROOT_PASSWORD not in log


@pytest.mark.parametrize("mode", ["raw"])
def test_kickstart_with_raw_mode_exits_2_before_the_stick_is_touched(tmp_path: Path, mode: str) -> None:
    kickstart = make_kickstart(tmp_path)
    built = build_esxi_like_iso(tmp_path)
    with attached_loop(tmp_path / "raw-backing.img", 64 << 20) as device:
        with open(device, "r+b") as handle:
            handle.write(b"\xaa" * 4096)
        done = run_process(
            "write",
            str(built.iso),
            device,
            "--kickstart",
            str(kickstart),
            "--mode",
            mode,
            "--yes",
            "--allow-non-removable",
            "--confirm-device",
            device,
        )
        with open(device, "rb") as handle:
            head = handle.read(4096)
    assert done.returncode == 2, done.stderr
    assert "--kickstart cannot be used" in done.stderr
    assert head == b"\xaa" * 4096
