"""The command-line contract of DESIGN.md section 4, checked on the real CLI in a subprocess.

Field names are what scripts and acceptance checks rely on; each area's own tests go deeper,
this file makes sure no document loses a contract field and that --json prints one document.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.imagefiles import make_iso

FIXTURES = Path(__file__).parent.parent / "unit" / "compat" / "fixtures"


def run_json(*args: str) -> tuple[int, Any, str]:
    done = subprocess.run(
        [sys.executable, "-m", "ecs_field", *args],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=os.environ.copy(),
    )
    document = json.loads(done.stdout) if done.stdout.strip() else None  # exactly one document
    return done.returncode, document, done.stderr


def test_version() -> None:
    done = subprocess.run([sys.executable, "-m", "ecs_field", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("ecs-field ")


def test_verdict_document() -> None:
    hybrid = str(FIXTURES / "nuc12-hybrid.inventory.json")
    code, doc, _ = run_json("check", "--json", "--release", "8.0U3", hybrid)
    assert code == 1  # supported with actions: the hybrid CPU needs a boot option
    assert doc["schema"] == "ecs-field/verdict@1"
    assert {"release", "verdict", "platform", "cpu", "memory_bytes", "nics", "checks"} <= doc.keys()
    assert doc["verdict"] == "actions-required"
    assert {"vendor", "product", "board", "family", "matched"} <= doc["platform"].keys()
    assert {"model", "cores", "threads", "hybrid"} <= doc["cpu"].keys()
    for nic in doc["nics"]:
        assert {"bus", "id", "name", "chip", "driver", "support", "component", "source"} <= nic.keys()
        assert nic["bus"] in {"pci", "usb"}
        assert nic["support"] in {"inbox", "driver-required", "unsupported", "unknown"}
    for check in doc["checks"]:
        assert {"id", "status", "title", "detail", "fix"} <= check.keys()
        assert check["status"] in {"pass", "warn", "fail"}


def test_bad_input_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(4096))
    code, doc, err = run_json("check", "--json", str(junk))
    assert code == 2 and doc is None and "junk.bin" in err and "Traceback" not in err


def test_drives_document() -> None:
    code, doc, _ = run_json("drives", "--all", "--json")
    assert code == 0 and isinstance(doc, list)
    keys = {"path", "size_bytes", "vendor", "model", "serial", "bus", "removable", "read_only", "system",
            "mountpoints", "writable", "reasons"}
    for drive in doc:
        assert keys <= drive.keys()
        if drive["system"]:
            assert drive["writable"] is False and drive["reasons"]


@pytest.mark.skipif(not __import__("shutil").which("xorriso"), reason="needs xorriso")
def test_image_inspect_document(tmp_path: Path) -> None:
    iso = make_iso(tmp_path / "esxi.iso")
    code, doc, _ = run_json("image", "inspect", str(iso), "--json")
    assert code == 0
    assert {"path", "size_bytes", "format", "volume_id", "hybrid", "boot", "esxi", "write_mode"} <= doc.keys()
    assert doc["format"] == "iso9660" and doc["hybrid"] is False
    assert doc["boot"] == {**doc["boot"], "bios": True, "uefi": True}
    assert doc["esxi"]["version"] and doc["esxi"]["build"]
    assert doc["write_mode"] == "uefi-fat32"


def test_lint_and_status_documents_on_the_demo_site() -> None:
    code, doc, _ = run_json("status", "demo", "--json")
    assert code == 0
    assert {"site", "repo", "applied_revision", "sync", "commits_behind", "pending", "snapshot",
            "kustomizations", "workloads"} <= doc.keys()
    assert {"path", "branch", "head", "head_time", "dirty", "ahead", "behind"} <= doc["repo"].keys()
    assert doc["sync"] in {"in-sync", "behind", "ahead", "diverged", "failed", "suspended", "unknown"}
    assert {"taken_at", "age_s", "stale", "source"} <= doc["snapshot"].keys()
    for pending in doc["pending"]:
        assert {"commit", "subject", "files"} <= pending.keys()
    for k in doc["kustomizations"]:
        assert {"name", "ready", "reason", "message", "revision"} <= k.keys()
    for w in doc["workloads"]:
        assert {"kind", "namespace", "name", "desired", "observed", "health", "message"} <= w.keys()
        assert w["health"] in {"current", "in-progress", "failed", "missing", "unknown"}

    repo = doc["repo"]["path"]
    code, lint, _ = run_json("lint", repo, "--json")
    assert code in (0, 1)
    assert set(lint) >= {"findings", "counts"} and set(lint["counts"]) == {"error", "warning", "info"}
    for finding in lint["findings"]:
        assert {"severity", "rule", "file", "line", "object", "message", "hint"} <= finding.keys()
    assert code == (1 if lint["counts"]["error"] else 0)


def test_catalog_images_history_sites_print_json() -> None:
    for args in (["catalog", "--json"], ["images", "list", "--json"], ["history", "--json"],
                 ["sites", "list", "--json"]):
        code, doc, err = run_json(*args)
        assert code == 0, (args, err)
        assert doc is not None
