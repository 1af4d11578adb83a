"""The foundation: errors, events, atomic storage, paths, the CLI shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_field import __version__, paths, storage
from ecs_field.cli import main
from ecs_field.errors import BadInput, Cancelled, EcsFieldError
from ecs_field.events import CancelToken, RateMeter
from ecs_field.hardware.inventory import Inventory, Nic, PciDevice


def test_version_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0  # answered before argparse, nothing else loaded
    assert capsys.readouterr().out.strip() == f"ecs-field {__version__}"


def test_module_entry_point_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "ecs_field", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.strip() == f"ecs-field {__version__}"


def test_error_carries_hint_and_code() -> None:
    err = BadInput("report.txt: line 3: not lspci output", "Export with lspci -nn")
    assert isinstance(err, EcsFieldError)
    assert err.exit_code == 2
    assert "hint: Export with lspci -nn" in str(err)
    assert Cancelled().exit_code == 130


def test_cancel_token() -> None:
    token = CancelToken()
    token.check()
    token.cancel()
    with pytest.raises(Cancelled):
        token.check()


def test_rate_meter_uses_a_window() -> None:
    now = [0.0]
    meter = RateMeter(window_s=2.0, clock=lambda: now[0])
    for second in range(10):
        now[0] = float(second)
        # fast for 5 s, then slow: the window shows the slow rate, the mean would not
        meter.update(second * 100 if second <= 5 else 500 + (second - 5) * 10)
    assert meter.rate == pytest.approx(10.0)
    assert meter.eta(540, 640) == pytest.approx(10.0)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    storage.atomic_write_json(target, {"schema": "x@1", "a": 1})
    storage.atomic_write_json(target, {"schema": "x@1", "a": 2})
    assert json.loads(target.read_text())["a"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_corrupt_document_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    target.write_text('{"schema": "x@1", "trunc')
    with pytest.raises(storage.CorruptFile) as exc:
        storage.load_json_document(target, "x@1")
    assert not target.exists()
    assert exc.value.aside.read_text() == '{"schema": "x@1", "trunc'
    assert "set aside" in exc.value.message
    assert storage.load_json_document(target, "x@1") is None


def test_wrong_schema_is_corrupt(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    target.write_text('{"schema": "other@1"}')
    with pytest.raises(storage.CorruptFile):
        storage.load_json_document(target, "x@1")


def test_paths_follow_ecs_field_home(ecs_home: Path) -> None:
    assert paths.config_dir() == ecs_home / "config"
    assert paths.data_dir().is_dir()


def test_inventory_round_trip() -> None:
    inv = Inventory()
    inv.pci.append(PciDevice("0000:56:00.0", "8086", "15f3", "0200"))
    inv.nics.append(Nic("pci", "8086", "15f3", "0000:56:00.0", esxi_name="vmnic0"))
    inv.cpu.p_cores, inv.cpu.e_cores = 4, 8
    data = json.loads(json.dumps(inv.to_dict()))
    assert data["schema"] == "ecs-field/inventory@1"
    assert data["cpu"]["hybrid"] is True
    back = Inventory.from_dict(data)
    assert back.nics[0].esxi_name == "vmnic0"
    assert back.pci[0].is_ethernet


def test_inventory_rejects_other_schema() -> None:
    with pytest.raises(ValueError):
        Inventory.from_dict({"schema": "nope"})
