"""`ecs-field status` and `ecs-field snapshot import` run as a user would, against real git repos."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ecs_field.cli import main

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


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process (used once: the rest call main() in-process)."""
    env = dict(os.environ, ECS_FIELD_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "ecs_field", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def call(*args: str) -> subprocess.CompletedProcess[str]:
        code = main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out.out, out.err)

    return call


def test_demo_status_works_with_no_setup(ecs_home: Path) -> None:
    done = run(ecs_home, "status", "demo", "--json")
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

    human = run(ecs_home, "status", "demo")
    assert human.returncode == 0
    assert "BEHIND by 1 commit" in human.stdout and "FAILED" in human.stdout
    assert "NTP from the site router" in human.stdout


def test_status_of_a_plain_repo_with_kubectl_yaml(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    demo = cli("status", "demo", "--json")
    repo = json.loads(demo.stdout)["repo"]
    kubectl = tmp_path / "kustomizations.yaml"
    kubectl.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                        "kind": "Kustomization",
                        "metadata": {"name": "flux-system", "namespace": "flux-system"},
                        "spec": {"path": "./"},
                        "status": {
                            "lastAppliedRevision": f"main@sha1:{repo['head']}",
                            "conditions": [
                                {"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"}
                            ],
                        },
                    }
                ],
            }
        )
    )
    done = cli("status", "--repo", repo["path"], "--snapshot", str(kubectl), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["sync"] == "in-sync" and data["snapshot"]["source"] == "import kustomizations.yaml"
    # only Kustomizations were in the file: VMs are not claimed missing
    assert all(w["health"] == "unknown" for w in data["workloads"] if w["kind"] == "VirtualMachine")


def test_import_replaces_cached_snapshot_and_bad_file_keeps_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = json.loads(cli("status", "demo", "--json").stdout)
    fixed = tmp_path / "fixed.json"
    fixed.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                        "kind": "Kustomization",
                        "metadata": {"name": "flux-system", "namespace": "flux-system"},
                        "status": {
                            "lastAppliedRevision": f"main@sha1:{first['repo']['head']}",
                            "conditions": [{"type": "Ready", "status": "True"}],
                        },
                    }
                ],
            }
        )
    )
    done = cli("snapshot", "import", "demo", str(fixed))
    assert done.returncode == 0, done.stderr
    assert "Imported 1 objects" in done.stderr
    assert json.loads(cli("status", "demo", "--json").stdout)["sync"] == "in-sync"

    broken = tmp_path / "broken.json"
    broken.write_text('{"kind": "List", "items": [\n{"kind": ')
    bad = cli("snapshot", "import", "demo", str(broken))
    assert bad.returncode == 2
    assert "broken.json: line 2" in bad.stderr and "Traceback" not in bad.stderr
    assert json.loads(cli("status", "demo", "--json").stdout)["sync"] == "in-sync"


def test_unknown_site_and_missing_repo(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("status", "nosuchsite")
    assert done.returncode == 2 and "no site named 'nosuchsite'" in done.stderr
    missing = cli("status", "--repo", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    not_git = cli("status", "--repo", str(plain))
    assert not_git.returncode == 2 and "not a Git repository" in not_git.stderr
