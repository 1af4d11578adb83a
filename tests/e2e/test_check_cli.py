"""`ecs-field check` and `ecs-field catalog` end to end: real files, real importer, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_field.cli import main
from ecs_field.compat.catalog import clear_cache

FIXTURES = Path(__file__).parent.parent / "unit" / "compat" / "fixtures"

# Dumps written by the team in the format of `lspci -nn` and `lsusb` (IDs from pci.ids/usb.ids).
LSPCI_NN = """\
00:00.0 Host bridge [0600]: Intel Corporation 11th Gen Core Processor Host Bridge [8086:9a14] (rev 01)
00:02.0 VGA compatible controller [0300]: Intel Corporation TigerLake-LP GT2 [8086:9a49] (rev 01)
58:00.0 Ethernet controller [0200]: Intel Corporation Ethernet Controller I225-LM [8086:15f2] (rev 03)
59:00.0 Network controller [0280]: Intel Corporation Wi-Fi 6 AX201 [8086:a0f0] (rev 20)
"""
LSUSB = """\
Bus 002 Device 003: ID 0bda:8156 Realtek Semiconductor Corp. USB 10/100/1G/2.5G LAN
Bus 002 Device 001: ID 1d6b:0003 Linux Foundation 3.0 root hub
Bus 001 Device 002: ID 046d:c52b Logitech, Inc. Unifying Receiver
"""
LSPCI_REALTEK_ONLY = """\
01:00.0 Ethernet controller [0200]: Realtek Semiconductor Co., Ltd. RTL8125 2.5GbE [10ec:8125] (rev 05)
"""


@pytest.fixture(autouse=True)
def fresh_catalog() -> None:
    clear_cache()  # each test has its own ECS_FIELD_HOME and override folder


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def dump(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_raw_dumps_merge_into_one_box(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        [
            "check",
            "--release",
            "8.0U3",
            "--json",
            str(dump(tmp_path, "lspci.txt", LSPCI_NN)),
            str(dump(tmp_path, "lsusb.txt", LSUSB)),
        ],
        capsys,
    )
    doc = json.loads(out)  # stdout holds exactly one JSON document
    assert code == 1 and doc["verdict"] == "actions-required"
    nics = {n["esxi_name"]: n for n in doc["nics"]}
    assert set(nics) == {"vmnic0", "vusb0"}  # Wi-Fi (0280) and the receiver are not NICs
    assert nics["vmnic0"]["support"] == "inbox" and nics["vmnic0"]["driver"] == "cndi_igc"
    assert nics["vusb0"]["component"] == "USB NIC Fling 1.14-7vmw.803"
    fix = next(c for c in doc["checks"] if c["id"] == "nic:vusb0")["fix"]
    assert "usbBusFullScanOnBootEnabled=1" in fix
    assert "Checking against" not in err  # the release was given


def test_default_release_is_named_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "--json", str(FIXTURES / "asrock-rack-ryzen.inventory.json")], capsys)
    assert code == 0
    assert json.loads(out)["release"] == "8.0U3"
    assert "ESXi 8.0 Update 3 (8.0U3), the catalog's default release" in err


def test_human_output_has_verdict_checks_fixes_and_nic_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "-r", "8.0U3", str(FIXTURES / "nuc12-hybrid.inventory.json")], capsys)
    assert code == 1
    assert "Verdict: SUPPORTED AFTER ACTIONS" in out
    assert "[ACTION]       Hybrid CPU" in out and "cpuUniformityHardCheckPanic=FALSE" in out
    assert "ESXI NAME" in out and "vmnic0" in out and "8086:15f3" in out
    assert "Intel NUC 12 Pro" in out


@pytest.mark.parametrize(
    ("fixture", "release", "code"),
    [
        ("asrock-rack-ryzen", "8.0U3", 0),
        ("realtek-box", "8.0U3", 1),
        ("unknown-nic-only", "8.0U3", 3),
        ("westmere-no-xsave", "8.0U1", 1),
        ("westmere-no-xsave", "8.0U2", 3),
    ],
)
def test_exit_codes(fixture: str, release: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(["check", "--release", release, str(FIXTURES / f"{fixture}.inventory.json")], capsys)[0] == code
    )


def test_realtek_only_box_from_lspci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["check", "-r", "8.0U3", "--json", str(dump(tmp_path, "l.txt", LSPCI_REALTEK_ONLY))], capsys
    )
    doc = json.loads(out)
    assert code == 1
    assert doc["nics"][0]["support"] == "driver-required"
    assert "if_re" in doc["nics"][0]["component"]


def test_bad_input_exits_2_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", str(dump(tmp_path, "notes.txt", "hello, this is not a dump\n"))], capsys)
    assert code == 2 and out == ""
    assert "notes.txt" in err and "hint:" in err
    assert "Checking against" not in err  # a refused file's message stands alone
    code, out, err = run(
        ["check", "--release", "6.7", str(FIXTURES / "supermicro-e300.inventory.json")], capsys
    )
    assert code == 2 and "Known releases: 8.0, 8.0U1, 8.0U2, 8.0U3, 9.0" in err
    code, _, err = run(["check", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and "missing.json" in err


def test_catalog_command_reports_override_errors(ecs_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    override = ecs_home / "config" / "catalog.d"
    override.mkdir(parents=True, exist_ok=True)
    (override / "broken.yaml").write_text("pci: [ {id: oops\n")
    (override / "good.yaml").write_text(
        'usb:\n  - {id: "abcd:1234", chip: "Site adapter", driver: cdce, source: "site test", '
        'confidence: low, notes: "unconfirmed"}\n'
    )
    code, out, _ = run(["catalog", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0
    assert doc["version"].endswith("+local") and doc["default_release"] == "8.0U3"
    assert [r["id"] for r in doc["releases"]] == ["8.0", "8.0U1", "8.0U2", "8.0U3", "9.0"]
    assert doc["counts"]["usb_nics"] >= 30
    assert len(doc["errors"]) == 1 and "broken.yaml" in doc["errors"][0]
    code, out, _ = run(["catalog"], capsys)
    assert code == 0 and "Problems (1" in out and "broken.yaml" in out and "(default)" in out


def test_override_entry_changes_the_verdict(
    ecs_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    override = ecs_home / "config" / "catalog.d"
    override.mkdir(parents=True, exist_ok=True)
    (override / "site.yaml").write_text(
        'pci:\n  - {id: "1969:e0b1", chip: "Killer E2500 (site-tested)", driver: atlantic, '
        'source: "site lab 2026-11", confidence: low, notes: "unconfirmed outside our lab"}\n'
        'releases:\n  - {id: "8.0U3", name: "ESXi 8.0 Update 3", order: 803, '
        "inbox_drivers: [ne1000, igbn, cndi_igc, ixgben, i40en, icen, vmkusb, atlantic], "
        'source: "site lab", confidence: low, notes: "atlantic confirmed in our lab only; unconfirmed"}\n'
    )
    code, out, _ = run(
        ["check", "-r", "8.0U3", "--json", str(FIXTURES / "unknown-nic-only.inventory.json")], capsys
    )
    doc = json.loads(out)
    assert doc["nics"][0]["support"] == "inbox" and doc["nics"][0]["chip"].startswith("Killer")
    assert code == 1  # low-confidence inbox: verify after install


def test_real_process_exit_code_and_clean_stdout(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecs_field",
            "check",
            "--release",
            "8.0U3",
            "--json",
            str(FIXTURES / "rtl8157-only.inventory.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["nics"][0]["component"] == "USB NIC Fling 1.14-7vmw.803"


def test_no_file_probes_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--release", "8.0U3", "--json"], capsys)
    doc = json.loads(out)
    assert code == {"supported": 0, "actions-required": 1, "unsupported": 3}[doc["verdict"]]
    assert any(source.startswith("probe") for source in doc["sources"])


HW = Path(__file__).parent.parent / "fixtures" / "hardware"
SITES = Path(__file__).parent.parent / "fixtures" / "sites"


def test_dmidecode_only_box_shows_not_checked_distinctly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "-r", "8.0U3", str(HW / "nuc11tnhi5-dmidecode.txt")], capsys)
    assert code == 1  # not checked is an action, never "not supported"
    assert "[NOT CHECKED]  A network adapter ESXi can use: not checked" in out
    assert "[NOT CHECKED]  Hardware virtualization" in out and "How to check:" in out
    assert "NOT CHECKED means no input carries that fact" in out
    assert "[FAIL]" not in out
    code, out, _ = run(["check", "-r", "8.0U3", "--json", str(HW / "nuc11tnhi5-dmidecode.txt")], capsys)
    doc = json.loads(out)
    nic = next(c for c in doc["checks"] if c["id"] == "nic-usable")
    assert code == 1 and nic["not_checked"] is True and nic["status"] == "warn"


def test_input_warnings_and_recommendations_in_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "m90q-lspci.txt"
    dump.write_text(
        "$ sudo lspci -nn\n"
        "00:02.0 VGA compatible controller [0300]: Intel Corporation Device [8086:9a49] (rev 01)\n"
        "pcilib: sysfs_read_vpd: read failed: Input/output error\n"
        "02:00.0 Ethernet controller [0200]: Qualcomm Atheros Killer E2500 Gigabit Ethernet Controller "
        "[1969:e0b1] (rev 10)\n"
    )
    code, out, _ = run(["check", "-r", "8.0U3", str(dump)], capsys)
    assert code == 3  # the listing names the NICs and none has a driver
    assert "Input warnings" in out and "m90q-lspci.txt:1:" in out and "m90q-lspci.txt:3:" in out
    assert "Recommended network adapters for ESXi 8.0 Update 3" in out and "No usable NIC" in out
    code, out, _ = run(["check", "-r", "8.0U3", "--json", str(dump)], capsys)
    doc = json.loads(out)
    assert {(w["file"], w["line"]) for w in doc["input_warnings"]} >= {
        ("m90q-lspci.txt", 1),
        ("m90q-lspci.txt", 3),
    }
    assert doc["recommendations"] and all(r["reason"] for r in doc["recommendations"])


def test_lint_inventory_is_repeatable_and_merged_like_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The site uses vmnic0, vmnic1 (PCI) and vusb0 (USB): only both dumps together have all three.
    lspci = HW / "multinic-4xi226-x710-lspci-vvnn.txt"
    lsusb = HW / "usb-adapters-lsusb-v.txt"
    code, out, _ = run(["lint", str(SITES / "ecs-site"), "--inventory", str(lspci), "--json"], capsys)
    assert code == 1
    assert any(f["rule"] == "nic-missing" and "vusb0" in f["message"] for f in json.loads(out)["findings"])
    code, out, _ = run(
        ["lint", str(SITES / "ecs-site"), "--inventory", str(lspci), "--inventory", str(lsusb), "--json"],
        capsys,
    )
    assert code == 0, out
    assert not any(f["rule"] == "nic-missing" for f in json.loads(out)["findings"])
    code, _, err = run(["lint", str(SITES / "ecs-site"), "--inventory", str(tmp_path / "none.txt")], capsys)
    assert code == 2 and "none.txt" in err


def test_uplinks_option_turns_a_single_nic_into_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    box = str(FIXTURES / "asrock-rack-ryzen.inventory.json")  # two usable I210 ports
    assert run(["check", "-r", "8.0U3", "--uplinks", "2", box], capsys)[0] == 0
    code, out, _ = run(["check", "-r", "8.0U3", "--uplinks", "3", "--json", box], capsys)
    doc = json.loads(out)
    assert code == 1 and next(c for c in doc["checks"] if c["id"] == "nic-uplinks")["status"] == "warn"
    assert doc["recommendations"][0]["reason"].startswith("The box needs 3 uplinks")
    with pytest.raises(SystemExit) as refused:
        main(["check", "--uplinks", "0", box])
    assert refused.value.code == 2
