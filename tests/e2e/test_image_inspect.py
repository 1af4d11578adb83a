"""`ecs-field image inspect` on ISOs built with xorriso, and on bad files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clirun import run_cli
from tests.unit.media.test_image_inspect import build_esxi_iso, build_hybrid_iso, pytestmark  # noqa: F401


def test_inspect_esxi_json(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path)
    done = run_cli("image", "inspect", str(iso), "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["format"] == "iso9660" and document["hybrid"] is False
    assert document["boot"] == {"bios": True, "uefi": True}
    assert document["esxi"]["version"] == "8.0.2" and document["esxi"]["build"] == "22380479"
    assert document["write_mode"] == "uefi-fat32"
    assert done.stderr == ""


def test_inspect_hybrid_human(tmp_path: Path) -> None:
    done = run_cli("image", "inspect", str(build_hybrid_iso(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "Hybrid MBR:  yes" in done.stdout and "Write mode:  raw" in done.stdout


def test_inspect_bad_and_truncated(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("site 12: two NUCs, one USB NIC\n" * 100)
    done = run_cli("image", "inspect", str(junk), "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert "notes.txt is not a disk or ISO image" in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.stderr
    iso = build_esxi_iso(tmp_path)
    cut = tmp_path / "cut.iso"
    cut.write_bytes(iso.read_bytes()[: 600 * 1024])
    done = run_cli("image", "inspect", str(cut))
    assert done.returncode == 2 and "cut.iso is truncated" in done.stderr


def test_image_without_subcommand_is_usage_error() -> None:
    done = run_cli("image")
    assert done.returncode == 2 and "inspect" in done.stderr
