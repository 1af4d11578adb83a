"""`status` and `sites list` as a technician reads them, on real git repositories: sync and health
on the first line, the applied commit's message, last applied/failed, events with counts, 100
columns with failure reasons whole, both counts of a diverged host; the fleet view and `sites edit`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecs_field.sites.registry import Registry, Site
from ecs_field.sites.status.snapshot import format_time, utc_now
from tests.clirun import run_cli
from tests.unit.sites.repo_builder import commit_files, fixed_date, make_repo, run_git

VM_YAML = (
    "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata:\n  name: {name}\n"
    "  namespace: apps\nspec:\n  className: small\n  imageName: photon.ova\n  powerState: poweredOn\n"
)
LONG_REASON = (
    "VirtualMachineClass gpu-large not found in namespace apps; the vm-operator cannot place this VM "
    "until a class with that name is bound to the namespace (kubectl get vmclassbindings -n apps) - "
    "END-OF-REASON"
)


def _vm(name: str, *, failed: bool = False) -> dict[str, Any]:
    conditions = (
        [
            {
                "type": "VirtualMachinePrereqReady",
                "status": "False",
                "reason": "VirtualMachineClassNotFound",
                "message": LONG_REASON,
            }
        ]
        if failed
        else [{"type": "Ready", "status": "True"}]
    )
    return {
        "apiVersion": "vmoperator.vmware.com/v1alpha1",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {"powerState": "poweredOn"},
        "status": {"powerState": "" if failed else "poweredOn", "conditions": conditions},
    }


def _kustomization(applied: str, *, failed: bool = False) -> dict[str, Any]:
    ready = (
        {
            "type": "Ready",
            "status": "False",
            "reason": "BuildFailed",
            "message": "kustomize build failed: accumulating resources: missing.yaml: no such file",
            "lastTransitionTime": "2026-12-01T09:30:00Z",
        }
        if failed
        else {
            "type": "Ready",
            "status": "True",
            "reason": "ReconciliationSucceeded",
            "message": f"Applied revision: main@sha1:{applied}",
            "lastTransitionTime": "2026-12-01T09:00:00Z",
        }
    )
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"path": "./", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        "status": {"lastAppliedRevision": f"main@sha1:{applied}", "conditions": [ready]},
    }


def _event(reason: str, message: str, count: int, when: str, kind: str = "VirtualMachine") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"e-{reason}-{when}", "namespace": "apps"},
        "type": "Warning" if reason.endswith(("Failed", "NotFound")) else "Normal",
        "reason": reason,
        "message": message,
        "count": count,
        "lastTimestamp": when,
        "involvedObject": {"kind": kind, "name": "web-02" if kind == "VirtualMachine" else "flux-system"},
    }


def _snapshot(items: list[dict[str, Any]], taken_at: str | None = None) -> dict[str, Any]:
    return {
        "schema": "ecs-field/snapshot@1",
        "site": "depot",
        "taken_at": taken_at or format_time(utc_now()),
        "source": "test",
        "listed_kinds": ["Kustomization", "VirtualMachine", "Event"],
        "items": items,
    }


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Any]:
    repo = make_repo(tmp_path / "repo")
    first = commit_files(
        repo, "Add the web VMs", {"vms/web-01.yaml": VM_YAML.format(name="web-01")}, date=fixed_date(1)
    )
    second = commit_files(
        repo, "Second web VM", {"vms/web-02.yaml": VM_YAML.format(name="web-02")}, date=fixed_date(2)
    )
    third = commit_files(
        repo, "A third one", {"vms/web-03.yaml": VM_YAML.format(name="web-03")}, date=fixed_date(3)
    )
    Registry.load().add(Site("depot", str(repo)))
    return {"repo": repo, "commits": [first, second, third], "tmp": tmp_path}


def _import(site: dict[str, Any], items: list[dict[str, Any]], taken_at: str | None = None) -> None:
    file = site["tmp"] / "snap.json"
    file.write_text(json.dumps(_snapshot(items, taken_at)))
    done = run_cli("snapshot", "import", "depot", str(file))
    assert done.returncode == 0, done.stderr


def test_first_line_has_sync_health_and_age_then_the_applied_commit(site: dict[str, Any]) -> None:
    first = site["commits"][0]
    _import(
        site,
        [
            _kustomization(first),
            _vm("web-01"),
            _vm("web-02", failed=True),
            _event("VirtualMachineClassNotFound", "class gpu-large not found", 4, "2026-12-01T09:40:00Z"),
            _event("VirtualMachineClassNotFound", "class gpu-large not found", 3, "2026-12-01T09:50:00Z"),
            _event(
                "ReconciliationSucceeded",
                "Reconciliation finished",
                1,
                "2026-12-01T09:00:00Z",
                "Kustomization",
            ),
        ],
    )
    done = run_cli("status", "depot")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Site depot: BEHIND by 2 commits · DEGRADED: 1 failed, 1 missing · snapshot ")
    assert lines[0].endswith(" old")
    text = done.stdout
    assert f"Applied      {first[:8]} Add the web VMs" in text
    assert "by Tech, 2026-11-20 10:01:00" in text
    assert "Last applied 2026-12-01 09:00:00 UTC" in text
    # the two events of the same reason, object and message fold into one row: x7
    assert "VirtualMachineClassNotFound x7  VirtualMachine/web-02" in text
    assert "2026-12-01 09:50:00 UTC" in text
    assert max(len(line) for line in lines) <= 100
    # the failure reason is wrapped, never cut
    flat = " ".join(line.strip() for line in lines)
    assert LONG_REASON in flat

    data = json.loads(run_cli("status", "depot", "--json").stdout)
    assert data["health"] == "degraded" and data["sync"] == "behind" and data["commits_behind"] == 2
    assert data["applied"] == {
        "commit": first,
        "subject": "Add the web VMs",
        "author": "Tech",
        "time": "2026-11-20T10:01:00Z",
    }
    assert data["last_applied"]["time"] == "2026-12-01T09:00:00Z"
    assert data["last_error"].startswith("VirtualMachine apps/web-02: prerequisites not ready")
    folded = [e for e in data["events"] if e["reason"] == "VirtualMachineClassNotFound"]
    assert len(folded) == 1 and folded[0]["count"] == 7


def test_healthy_in_sync_and_last_failed(site: dict[str, Any]) -> None:
    head = site["commits"][2]
    _import(site, [_kustomization(head), _vm("web-01"), _vm("web-02"), _vm("web-03")])
    first = run_cli("status", "depot").stdout.splitlines()[0]
    assert first.startswith("Site depot: IN-SYNC · HEALTHY · snapshot ")
    _import(site, [_kustomization(head, failed=True), _vm("web-01"), _vm("web-02"), _vm("web-03")])
    data = json.loads(run_cli("status", "depot", "--json").stdout)
    assert data["sync"] == "failed" and data["health"] == "degraded"
    assert data["last_failed"]["reason"] == "BuildFailed"
    assert data["last_failed"]["time"] == "2026-12-01T09:30:00Z"
    text = run_cli("status", "depot").stdout
    assert "Last failed  2026-12-01 09:30:00 UTC (BuildFailed): kustomize build failed" in text
    assert text.splitlines()[0].startswith("Site depot: FAILED · DEGRADED")


def test_applied_commit_not_in_the_clone_says_pull(site: dict[str, Any]) -> None:
    _import(site, [_kustomization("ab" * 20), _vm("web-01")])
    text = run_cli("status", "depot").stdout
    assert "not in the local clone: pull the site" in text
    assert text.splitlines()[0].startswith("Site depot: UNKNOWN · ")


def test_diverged_host_shows_both_counts(site: dict[str, Any]) -> None:
    repo: Path = site["repo"]
    base = site["commits"][0]
    # the host applied a commit on another line of history: 2 commits the local branch lacks
    run_git(repo, "checkout", "-q", "-b", "hotfix", base)
    commit_files(repo, "Hotfix one", {"hot/a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"})
    host = commit_files(
        repo, "Hotfix two", {"hot/b.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"}
    )
    run_git(repo, "checkout", "-q", "main")
    _import(site, [_kustomization(host), _vm("web-01"), _vm("web-02"), _vm("web-03")])
    data = json.loads(run_cli("status", "depot", "--json").stdout)
    assert data["sync"] == "diverged"
    assert data["commits_ahead"] == 2 and data["commits_behind"] == 2
    first = run_cli("status", "depot").stdout.splitlines()[0]
    assert first.startswith("Site depot: DIVERGED (host 2 ahead, 2 behind) · ")
    listed = run_cli("sites", "list").stdout
    assert "DIVERGED +2/-2" in listed


def test_sites_list_is_the_fleet_view(site: dict[str, Any], tmp_path: Path) -> None:
    _import(site, [_kustomization(site["commits"][0]), _vm("web-01"), _vm("web-02", failed=True)])
    assert run_cli("status", "depot").returncode == 0
    Registry.load().add(Site("never-seen", str(tmp_path)))
    rows = json.loads(run_cli("sites", "list", "--json").stdout)
    assert isinstance(rows, list)  # DESIGN.md section 4: a JSON array, as before
    by_name = {r["name"]: r for r in rows}
    depot = by_name["depot"]
    assert depot["sync"] == "behind" and depot["health"] == "degraded" and depot["commits_behind"] == 2
    assert isinstance(depot["snapshot_age_s"], float) and depot["snapshot_age_s"] < 600
    assert depot["last_error"].startswith("VirtualMachine apps/web-02")
    assert {"repo", "path", "hosts", "local_path", "cloned"} <= set(depot)
    fresh = by_name["never-seen"]
    assert fresh["sync"] == "unknown" and fresh["health"] == "unknown" and fresh["snapshot_age_s"] is None
    assert fresh["last_error"] == ""

    text = run_cli("sites", "list").stdout
    lines = text.splitlines()
    assert lines[0].split() == ["NAME", "SYNC", "HEALTH", "SNAPSHOT", "CLONED", "HOST", "API", "REPO"]
    depot_line = next(line for line in lines if line.startswith("depot "))
    assert "BEHIND 2" in depot_line and "DEGRADED" in depot_line
    assert any("VirtualMachine apps/web-02" in line for line in lines)
    assert lines[-1] == "2 sites: 1 behind, 1 unknown · 1 degraded, 1 unknown"
    assert max(len(line) for line in lines) <= 100


def test_corrupt_summary_is_set_aside_and_the_site_shows_unknown(site: dict[str, Any]) -> None:
    from ecs_field.sites.status.fleet import summary_path

    _import(site, [_kustomization(site["commits"][2]), _vm("web-01")])
    assert run_cli("status", "depot").returncode == 0
    path = summary_path("depot")
    path.write_text('{"schema": "ecs-field/status-summary@1", "sync": 5}')
    rows = json.loads(run_cli("sites", "list", "--json").stdout)
    assert rows[0]["sync"] == "unknown" and any("set aside" in p for p in rows[0]["problems"])
    assert list(path.parent.glob("status-summary.json.corrupt-*"))


def test_sites_edit_changes_only_what_is_given(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    added = run_cli(
        "sites",
        "add",
        "d7",
        "--repo",
        str(repo),
        "--branch",
        "main",
        "--api",
        "https://10.7.0.10:6443",
        "--token-env",
        "D7_TOKEN",
        "--release",
        "8.0U3",
    )
    assert added.returncode == 0, added.stderr
    done = run_cli("sites", "edit", "d7", "--path", "sites/d7", "--api", "https://10.7.0.11:6443")
    assert done.returncode == 0, done.stderr
    site = Registry.load().get("d7")
    assert site.path == "sites/d7" and site.branch == "main" and site.release == "8.0U3"
    assert [h.api for h in site.hosts] == ["https://10.7.0.11:6443"]
    assert site.hosts[0].token_ref == "env:D7_TOKEN"
    renamed = run_cli("sites", "edit", "d7", "--token-env", "NEW_TOKEN", "--branch", "")
    assert renamed.returncode == 0
    site = Registry.load().get("d7")
    assert site.token_env == "NEW_TOKEN" and site.hosts[0].token_ref == "env:NEW_TOKEN" and site.branch == ""
    assert run_cli("sites", "edit", "d7").returncode == 2  # nothing to change
    unknown = run_cli("sites", "edit", "nope", "--branch", "x")
    assert unknown.returncode == 2 and "unknown site 'nope'" in unknown.stderr
    bad = run_cli("sites", "edit", "d7", "--api", "ftp://x")
    assert bad.returncode == 2 and "not an http(s) URL" in bad.stderr
    assert Registry.load().get("d7").hosts[0].api == "https://10.7.0.11:6443"
    exists = run_cli("sites", "add", "d7", "--repo", str(repo))
    assert exists.returncode == 2 and "sites edit d7" in exists.stderr
