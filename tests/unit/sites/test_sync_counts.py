"""Counting past the pending list's limit: commits_behind stays exact when the list is capped.

A mutation check found that capping commits_behind at the pending list's limit (50) survived
every other test: the repositories there had fewer commits than the limit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ecs_field.sites.repo.gitrepo import SiteRepo
from ecs_field.sites.status.snapshot import Snapshot
from ecs_field.sites.status.sync import PENDING_LIMIT, compute_status
from tests.unit.sites.repo_builder import fast_import_history, make_repo, run_git


def test_commits_behind_is_exact_beyond_the_pending_limit(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "site")
    total = PENDING_LIMIT + 23
    fast_import_history(path, total)
    run_git(path, "reset", "-q", "--hard", "main")
    first = run_git(path, "rev-list", "--max-parents=0", "HEAD").strip()
    snapshot = Snapshot(
        taken_at="2026-11-26T11:30:00Z",
        source="test",
        items=[
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": "site", "namespace": "flux-system"},
                "spec": {"path": "./"},
                "status": {
                    "lastAppliedRevision": f"main@sha1:{first}",
                    "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"}],
                },
            }
        ],
        listed_kinds=["Kustomization"],
    )
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
    status = compute_status("s", SiteRepo(path), snapshot, now=now)
    assert status.sync == "behind"
    assert status.commits_behind == total - 1
    assert len(status.pending) == PENDING_LIMIT
    assert status.pending[0]["subject"] == f"change {total}"
