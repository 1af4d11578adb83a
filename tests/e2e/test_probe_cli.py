"""``ecs-field probe`` as a technician runs it: a real process on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecs_field.cli import main
from ecs_field.hardware.importer import load_inputs
from tests.clirun import run_process


def test_probe_prints_one_inventory_document() -> None:
    done = run_process("probe")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "ecs-field/inventory@1"
    assert document["cpu"]["threads"] and document["memory_bytes"]
    assert {"platform", "cpu", "memory_bytes", "disks", "pci", "usb", "nics", "sources", "notes"} <= set(
        document
    )


def test_probe_writes_file_that_check_inputs_read_back(tmp_path: Path) -> None:
    target = tmp_path / "out" / "box.json"
    done = run_process("probe", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "wrote" in done.stderr
    assert [p.name for p in target.parent.iterdir()] == ["box.json"]  # no temp file left behind
    document = json.loads(target.read_text())
    inv = load_inputs([target])
    assert [n.esxi_name for n in inv.nics] == [n["esxi_name"] for n in document["nics"]]


def test_probe_refuses_a_folder_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and "Traceback" not in err
