"""`ecs-field lint` end to end: exit codes, JSON shape, human output, --inventory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.clirun import run_cli, run_process

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
SITE = FIXTURES / "ecs-site"
INVENTORY = FIXTURES / "inventory-depot7.json"


def _not_deprecation(finding: dict) -> bool:
    # The fixture's flux-system files use the Flux v1beta2 APIs a `flux bootstrap` of its day wrote;
    # lint warns that Flux 2.8 removed them (tests/unit/sites/test_lint.py checks those warnings).
    return finding["rule"] != "deprecated-api"


def test_clean_site_exits_0_with_exact_json_shape() -> None:
    done = run_process("lint", str(SITE), "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) >= {"findings", "counts"}
    assert [f for f in document["findings"] if _not_deprecation(f)] == []
    assert document["counts"] == {"error": 0, "warning": 2, "info": 0}
    for finding in document["findings"]:
        assert set(finding) == {"severity", "rule", "file", "line", "object", "message", "hint"}


def test_clean_site_with_inventory_exits_0() -> None:
    done = run_cli("lint", str(SITE), "--inventory", str(INVENTORY))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 error(s)" in done.stdout and "hardware fit not checked" not in done.stdout


def test_errors_exit_1_and_json_names_file_line_object(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    net = site / "host-config" / "network.yaml"
    net.write_text(
        net.read_text()
        .replace('"active_nics": ["vmnic1"]', '"active_nics": ["vmnic3"]')
        .replace('"bridge": { "nics": ["vmnic1"] }', '"bridge": { "nics": ["vmnic3"] }')
    )
    done = run_cli("lint", str(site), "--inventory", str(INVENTORY), "--json")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["counts"]["error"] == 1
    (finding,) = [f for f in document["findings"] if _not_deprecation(f)]
    assert finding == {
        "severity": "error",
        "rule": "nic-missing",
        "file": "host-config/network.yaml",
        "line": finding["line"],
        "object": "HostConfiguration/esx-system/host-network",
        "message": finding["message"],
        "hint": finding["hint"],
    }
    assert (
        net.read_text().splitlines()[finding["line"] - 1].strip().startswith('"bridge": { "nics": ["vmnic3"]')
    )
    human = run_cli("lint", str(site), "--inventory", str(INVENTORY))
    assert human.returncode == 1
    assert f"host-config/network.yaml:{finding['line']}: error [nic-missing]" in human.stdout


def test_warnings_only_exit_0(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    (site / "host-config" / "usb-nic.yaml").unlink()
    done = run_cli("lint", str(site), "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["counts"] == {"error": 0, "warning": 3, "info": 0}  # 2 deprecations


def test_bad_input_exits_2(tmp_path: Path) -> None:
    missing = run_process("lint", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such folder or site" in missing.stderr and missing.stdout == ""
    bad_inventory = run_cli("lint", str(SITE), "--inventory", str(tmp_path / "none.json"))
    assert bad_inventory.returncode == 2 and "hint:" in bad_inventory.stderr


def test_hostile_repository_is_linted_not_crashed(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(
        "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)
        )
    )
    (tmp_path / "deep.yaml").write_text("[" * 50_000 + "]" * 50_000)
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01\x02garbage")
    done = run_cli("lint", str(tmp_path), "--json")
    assert done.returncode == 1
    rules = sorted(f["rule"] for f in json.loads(done.stdout)["findings"])
    assert rules == ["file-binary", "yaml-alias-bomb", "yaml-too-deep"]
