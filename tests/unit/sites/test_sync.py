"""Sync status of real git repositories against snapshots, and workload comparison."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ecs_field.sites.repo.gitrepo import SiteRepo
from ecs_field.sites.status.snapshot import Snapshot
from ecs_field.sites.status.sync import compute_status, parse_revision
from tests.unit.sites.repo_builder import (
    CONFIGMAP,
    NAMESPACE,
    VM_DB,
    VM_WEB,
    commit_files,
    fixed_date,
    make_repo,
    run_git,
)

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


def kustomization(
    revision: str | None,
    *,
    ready: str = "True",
    reason: str = "ReconciliationSucceeded",
    message: str = "Applied",
    suspend: bool = False,
    stalled: bool = False,
    name: str = "flux-system",
    path: str = "./",
) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": ready, "reason": reason, "message": message}]
    if stalled:
        conditions.append({"type": "Stalled", "status": "True", "reason": reason, "message": message})
    status: dict[str, Any] = {"conditions": conditions, "observedGeneration": 1}
    if revision:
        status["lastAppliedRevision"] = revision
        status["lastAttemptedRevision"] = revision
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system", "generation": 1},
        "spec": {
            "path": path,
            "suspend": suspend,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
        "status": status,
    }


def vm(name: str, *, power: str = "poweredOn", prereq_failed: bool = False) -> dict[str, Any]:
    status: dict[str, Any] = {"powerState": power, "phase": "Created", "vmIp": "10.0.0.5"}
    if prereq_failed:
        status["conditions"] = [
            {
                "type": "VirtualMachinePrereqReady",
                "status": "False",
                "reason": "VirtualMachineClassNotFound",
                "message": "class small not found",
            }
        ]
        status["powerState"] = ""
    return {
        "apiVersion": "vmoperator.vmware.com/v1alpha1",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {"powerState": "poweredOn", "className": "small"},
        "status": status,
    }


def snap(
    *items: dict[str, Any],
    taken_at: str = "2026-11-26T11:30:00Z",
    kinds: tuple[str, ...] = ("Kustomization", "GitRepository", "VirtualMachine", "Namespace"),
) -> Snapshot:
    return Snapshot(taken_at=taken_at, source="test", items=list(items), listed_kinds=list(kinds))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteRepo, list[str]]:
    # Shared by the module: tests that add commits do it on their own branches and return to main.
    path = make_repo(tmp_path_factory.mktemp("sync") / "site")
    shas = [
        commit_files(path, "Namespace", {"ns.yaml": NAMESPACE}, date=fixed_date(1)),
        commit_files(path, "Web VM", {"vms/web.yaml": VM_WEB, "cfg.yaml": CONFIGMAP}, date=fixed_date(2)),
        commit_files(path, "DB VM", {"vms/db.yaml": VM_DB}, date=fixed_date(3)),
        commit_files(
            path, "Tweak web", {"vms/web.yaml": VM_WEB.replace("small", "medium")}, date=fixed_date(4)
        ),
    ]
    return SiteRepo(path), shas


@pytest.mark.parametrize(
    ("text", "ref", "sha"),
    [
        ("main@sha1:" + "a" * 40, "main", "a" * 40),
        ("v1.2.0@sha1:" + "B" * 40, "v1.2.0", "b" * 40),
        ("refs/heads/main@sha1:" + "c" * 40, "refs/heads/main", "c" * 40),
        ("sha1:" + "d" * 40, "", "d" * 40),
        ("main/" + "e" * 40, "main", "e" * 40),
        ("f" * 40, "", "f" * 40),
        ("main@sha256:" + "0" * 64, "main", ""),
    ],
)
def test_parse_revision(text: str, ref: str, sha: str) -> None:
    revision = parse_revision(text)
    assert revision is not None and (revision.ref, revision.sha) == (ref, sha)
    assert parse_revision("") is None


def test_in_sync(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    status = compute_status("s", site, snap(kustomization(f"main@sha1:{shas[-1]}")), now=NOW)
    assert status.sync == "in-sync" and status.commits_behind == 0 and status.pending == []
    data = status.to_dict()
    assert data["repo"]["head"] == shas[-1] and data["repo"]["branch"] == "main"
    assert data["repo"]["head_time"] == "2026-11-20T10:04:00Z"
    assert data["applied_revision"] == f"main@sha1:{shas[-1]}"
    assert data["snapshot"] == {
        **data["snapshot"],
        "taken_at": "2026-11-26T11:30:00Z",
        "age_s": 1800.0,
        "stale": False,
        "source": "test",
    }
    assert data["kustomizations"][0]["ready"] is True
    assert data["kustomizations"][0]["revision"] == f"main@sha1:{shas[-1]}"
    json.dumps(data)


def test_behind_lists_pending_commits_and_files(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    status = compute_status("s", site, snap(kustomization(f"main@sha1:{shas[1]}"), vm("web")), now=NOW)
    assert status.sync == "behind" and status.commits_behind == 2
    assert [p["subject"] for p in status.pending] == ["Tweak web", "DB VM"]
    assert status.pending[0]["files"] == ["vms/web.yaml"] and status.pending[0]["commit"] == shas[3]
    rows = {(w.kind, w.name): w for w in status.workloads}
    assert rows[("VirtualMachine", "db")].health == "missing"
    assert f"pending commit {shas[2][:8]}" in rows[("VirtualMachine", "db")].message
    assert rows[("VirtualMachine", "web")].health == "current"
    assert "pending commit" in rows[("VirtualMachine", "web")].message
    assert rows[("Namespace", "apps")].health == "missing"  # listed kind, not on host


def test_legacy_and_short_revision_forms(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    assert compute_status("s", site, snap(kustomization(f"main/{shas[1]}")), now=NOW).sync == "behind"
    assert compute_status("s", site, snap(kustomization(f"sha1:{shas[3]}")), now=NOW).sync == "in-sync"


def test_ahead_when_host_applied_newer_commit(repo: tuple[SiteRepo, list[str]]) -> None:
    site, _ = repo
    path = Path(site.path)
    run_git(path, "checkout", "-q", "-b", "upstream-copy")
    newer = commit_files(
        path, "Newer on the server", {"vms/x.yaml": VM_WEB.replace("web", "x")}, date=fixed_date(5)
    )
    run_git(path, "checkout", "-q", "main")
    status = compute_status("s", SiteRepo(path), snap(kustomization(f"main@sha1:{newer}")), now=NOW)
    assert status.sync == "ahead" and status.commits_ahead == 1 and status.commits_behind == 0
    assert "Pull" in status.sync_message


def test_diverged(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    path = Path(site.path)
    run_git(path, "checkout", "-q", "-b", "other", shas[1])
    other = commit_files(
        path, "Elsewhere", {"other.yaml": NAMESPACE.replace("apps", "other")}, date=fixed_date(6)
    )
    run_git(path, "checkout", "-q", "main")
    status = compute_status("s", SiteRepo(path), snap(kustomization(f"main@sha1:{other}")), now=NOW)
    assert status.sync == "diverged"


def test_unknown_without_snapshot_or_with_foreign_commit(repo: tuple[SiteRepo, list[str]]) -> None:
    site, _ = repo
    status = compute_status("s", site, None, now=NOW)
    assert status.sync == "unknown" and status.to_dict()["snapshot"]["stale"] is True
    assert all(w.health == "unknown" for w in status.workloads)
    foreign = compute_status("s", site, snap(kustomization("main@sha1:" + "9" * 40)), now=NOW)
    assert foreign.sync == "unknown" and "not in the local clone" in foreign.sync_message
    none = compute_status("s", site, snap(vm("web")), now=NOW)
    assert none.sync == "unknown" and "no Flux Kustomization" in none.sync_message


def test_failed_with_reason(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    k = kustomization(
        f"main@sha1:{shas[1]}",
        ready="False",
        reason="BuildFailed",
        message="kustomize build failed: accumulating resources",
        stalled=True,
    )
    status = compute_status("s", site, snap(k), now=NOW)
    assert status.sync == "failed"
    assert "kustomize build failed" in status.sync_message
    assert status.commits_behind == 2  # the commit comparison is still there
    assert status.kustomizations[0]["ready"] is False and status.kustomizations[0]["reason"] == "BuildFailed"


def test_failed_git_source(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    source = {
        "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "AuthenticationFailed",
                    "message": "authentication required",
                }
            ]
        },
    }
    status = compute_status("s", site, snap(kustomization(f"main@sha1:{shas[3]}"), source), now=NOW)
    assert status.sync == "failed" and "AuthenticationFailed" in status.sync_message


def test_suspended(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    status = compute_status("s", site, snap(kustomization(f"main@sha1:{shas[1]}", suspend=True)), now=NOW)
    assert status.sync == "suspended" and status.kustomizations[0]["suspended"] is True


def test_stale_snapshot(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    old = snap(kustomization(f"main@sha1:{shas[3]}"), taken_at="2026-11-26T09:00:00Z")
    assert compute_status("s", site, old, now=NOW).snapshot_stale is True
    assert compute_status("s", site, old, now=NOW, stale_after_s=86400).snapshot_stale is False


def test_workloads_failed_extra_and_unlisted_kinds(repo: tuple[SiteRepo, list[str]]) -> None:
    site, shas = repo
    status = compute_status(
        "s",
        site,
        snap(
            kustomization(f"main@sha1:{shas[3]}"),
            vm("web", prereq_failed=True),
            vm("db", power="poweredOff"),
            vm("stray"),
            {"kind": "Namespace", "metadata": {"name": "apps"}, "status": {"phase": "Active"}},
        ),
        now=NOW,
    )
    rows = {(w.kind, w.name): w for w in status.workloads}
    assert rows[("VirtualMachine", "web")].health == "failed"
    assert "VirtualMachineClassNotFound" in rows[("VirtualMachine", "web")].message
    assert rows[("VirtualMachine", "db")].health == "in-progress"
    assert rows[("VirtualMachine", "stray")].health == "unknown"
    assert "not declared" in rows[("VirtualMachine", "stray")].message
    assert rows[("Namespace", "apps")].health == "current"
    assert rows[("VirtualMachine", "web")].desired.startswith("poweredOn, class medium")
    assert "10.0.0.5" in rows[("VirtualMachine", "db")].observed
    assert ("ConfigMap", "cfg") not in rows  # not a kind the snapshot carries
    assert status.to_dict()["counts"]["failed"] == 1


def test_subpath_selects_matching_kustomization(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "multi")
    a = commit_files(path, "a", {"sites/a/ns.yaml": NAMESPACE}, date=fixed_date(1))
    b = commit_files(path, "b", {"sites/b/ns.yaml": NAMESPACE.replace("apps", "b")}, date=fixed_date(2))
    snapshot = snap(
        kustomization(f"main@sha1:{b}", name="site-b", path="./sites/b"),
        kustomization(f"main@sha1:{a}", name="site-a", path="./sites/a"),
    )
    status = compute_status("a", SiteRepo(path), snapshot, subpath="sites/a", now=NOW)
    assert status.sync == "behind" and status.applied_revision == f"main@sha1:{a}"
    assert [w.name for w in status.workloads] == ["apps"]


def test_empty_repository_is_unknown(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "empty")
    status = compute_status("e", SiteRepo(path), snap(kustomization("main@sha1:" + "1" * 40)), now=NOW)
    assert status.sync == "unknown" and status.to_dict()["repo"]["head"] is None
