"""`ecs-field status` and `ecs-field snapshot import` run as a user would, against real git repos."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.clirun import run_cli, run_process
from tests.unit.sites.kubectl_output import ready_kustomization_list

STATUS_KEYS = {
    "site",
    "repo",
    "applied_revision",
    "sync",
    "commits_behind",
    "pending",
    "snapshot",
    "kustomizations",
    "workloads",
}


def test_demo_status_works_with_no_setup(ecs_home: Path) -> None:
    # the real entry point once; the other tests run the CLI in this process
    done = run_process("status", "demo", "--json", env={"ECS_FIELD_HOME": str(ecs_home)})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= STATUS_KEYS
    assert set(data["repo"]) == {"path", "branch", "head", "head_time", "dirty", "ahead", "behind"}
    assert {"taken_at", "age_s", "stale", "source"} <= set(data["snapshot"])
    assert data["sync"] == "behind" and data["commits_behind"] == 1
    assert data["pending"][0]["files"] == ["edge-host-config/ntp.yaml"]
    health = {w["name"]: w["health"] for w in data["workloads"]}
    assert health["web-01"] == "current" and health["analytics-01"] == "failed" and health["ntp"] == "missing"
    for workload in data["workloads"]:
        assert set(workload) >= {"kind", "namespace", "name", "desired", "observed", "health", "message"}
    for k in data["kustomizations"]:
        assert set(k) >= {"name", "ready", "reason", "message", "revision"}

    human = run_process("status", "demo", env={"ECS_FIELD_HOME": str(ecs_home)})
    assert human.returncode == 0
    assert "BEHIND by 1 commit" in human.stdout and "FAILED" in human.stdout
    assert "NTP from the site router" in human.stdout


def test_status_of_a_plain_repo_with_kubectl_yaml(tmp_path: Path) -> None:
    demo = run_cli("status", "demo", "--json")
    repo = json.loads(demo.stdout)["repo"]
    kubectl = tmp_path / "kustomizations.yaml"
    kubectl.write_text(
        yaml.safe_dump(ready_kustomization_list(repo["head"], path="./", reason="ReconciliationSucceeded"))
    )
    done = run_cli("status", "--repo", repo["path"], "--snapshot", str(kubectl), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["sync"] == "in-sync" and data["snapshot"]["source"] == "import kustomizations.yaml"
    # only Kustomizations were in the file: VMs are not claimed missing
    assert all(w["health"] == "unknown" for w in data["workloads"] if w["kind"] == "VirtualMachine")


def test_import_replaces_cached_snapshot_and_bad_file_keeps_it(tmp_path: Path) -> None:
    first = json.loads(run_cli("status", "demo", "--json").stdout)
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(ready_kustomization_list(first["repo"]["head"])))
    done = run_cli("snapshot", "import", "demo", str(fixed))
    assert done.returncode == 0, done.stderr
    assert "Imported 1 objects" in done.stderr
    assert json.loads(run_cli("status", "demo", "--json").stdout)["sync"] == "in-sync"

    broken = tmp_path / "broken.json"
    broken.write_text('{"kind": "List", "items": [\n{"kind": ')
    bad = run_cli("snapshot", "import", "demo", str(broken))
    assert bad.returncode == 2
    assert "broken.json: line 2" in bad.stderr and "Traceback" not in bad.stderr
    assert json.loads(run_cli("status", "demo", "--json").stdout)["sync"] == "in-sync"


def test_unknown_site_and_missing_repo(tmp_path: Path) -> None:
    done = run_cli("status", "nosuchsite")
    assert done.returncode == 2 and "no site named 'nosuchsite'" in done.stderr
    missing = run_cli("status", "--repo", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    not_git = run_cli("status", "--repo", str(plain))
    assert not_git.returncode == 2 and "not a Git repository" in not_git.stderr
