"""The demo site: built from shipped data on first use, registered once, showing 'behind by 1'."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_field import paths
from ecs_field.sites.demo import build_demo_repo, ensure_demo_site, reset_demo
from ecs_field.sites.registry import Registry, Site, local_repo_path
from ecs_field.sites.repo.gitrepo import SiteRepo
from ecs_field.sites.status.snapshot import SnapshotStore
from ecs_field.sites.status.sync import compute_status


def test_first_run_builds_registers_and_shows_behind_by_one() -> None:
    site = ensure_demo_site()
    assert site.name == "demo" and Registry.load().find("demo") == site
    path = local_repo_path(site)
    assert path.parent == paths.data_dir() / "demo"
    repo = SiteRepo(path)
    assert repo.count_between(repo.resolve("HEAD~2") or "", "HEAD") == 2
    snapshot = SnapshotStore("demo").load().snapshot
    assert snapshot is not None and (snapshot.age_s() or 0) < 3600
    status = compute_status("demo", repo, snapshot)
    assert status.sync == "behind" and status.commits_behind == 1
    assert status.pending[0]["subject"].startswith("NTP")
    health = {w.name: w.health for w in status.workloads}
    assert health["web-01"] == "current" and health["analytics-01"] == "failed"
    assert not status.snapshot_stale and not repo.is_dirty()


def test_second_run_changes_nothing() -> None:
    first = ensure_demo_site()
    current = SnapshotStore("demo").current_path.read_bytes()
    head = SiteRepo(local_repo_path(first)).head().sha
    again = ensure_demo_site()
    assert again == first
    assert SnapshotStore("demo").current_path.read_bytes() == current
    assert SiteRepo(local_repo_path(again)).head().sha == head
    assert Registry.load().names() == ["demo"]


def test_commit_ids_are_the_same_everywhere(tmp_path: Path) -> None:
    assert build_demo_repo(tmp_path / "a") == build_demo_repo(tmp_path / "b")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".demo-building-")]


def test_a_user_site_named_demo_is_left_alone(tmp_path: Path) -> None:
    mine = Registry.load().add(Site(name="demo", repo=str(tmp_path)))
    assert ensure_demo_site() == mine


def test_reset_rebuilds(tmp_path: Path) -> None:
    site = ensure_demo_site()
    (local_repo_path(site) / "edge-host-config" / "ntp.yaml").write_text("changed")
    assert SiteRepo(local_repo_path(site)).is_dirty()
    reset_demo()
    assert not SiteRepo(local_repo_path(site)).is_dirty()
    assert SnapshotStore("demo").load().snapshot is not None


# The ids GitPython gave the demo's commits before it was built with plain git: fixed dates and
# author make them the same on every machine and in every version.
DEMO_COMMITS = [
    "656fe02e7472e09c78f80cf312251b0b1ce13964",
    "d73e268f31c1005903fb858147b34cde0a6eb59f",
    "cdeeba8844cd04203841d36252fb6f8f823caeb8",
]


def test_demo_commit_ids_are_fixed_whatever_the_users_git_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user's global config that would sign every commit (and fail: no key) or set another name.
    config = tmp_path / "gitconfig"
    config.write_text(
        "[commit]\n\tgpgsign = true\n[user]\n\tname = Someone Else\n\temail = else@example.invalid\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    assert build_demo_repo(tmp_path / "demo-repo") == DEMO_COMMITS


def test_concurrent_first_starts_build_the_demo_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ecs_field.sites.demo import ensure_demo_files

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: ensure_demo_files(), range(4)))
    assert len({r.repo for r in results}) == 1
    assert SiteRepo(results[0].repo).head().sha == DEMO_COMMITS[-1]
    leftovers = [p.name for p in results[0].root.iterdir() if p.name.startswith(".demo-building-")]
    assert leftovers == []
