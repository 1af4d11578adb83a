"""`ecs-field sites list|add|remove|pull` end to end against real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ecs_field import paths
from tests.clirun import run_cli, run_process
from tests.unit.sites.repo_builder import (
    NAMESPACE,
    commit_files,
    make_repo,
    push,
    run_git,
    upstream_and_remote,
)


def upstream(tmp_path: Path) -> tuple[Path, Path]:
    return upstream_and_remote(tmp_path, {"apps/ns.yaml": NAMESPACE})


def test_add_list_remove(tmp_path: Path) -> None:
    folder = make_repo(tmp_path / "local-site")
    done = run_cli(
        "sites",
        "add",
        "depot-7",
        "--repo",
        str(folder),
        "--branch",
        "main",
        "--path",
        "sites/d7",
        "--api",
        "https://10.7.0.10:6443",
        "--api",
        "https://10.7.0.11:6443",
        "--token-env",
        "D7_TOKEN",
    )
    assert done.returncode == 0, done.stderr
    listed = run_process("sites", "list", "--json")
    assert listed.returncode == 0
    (site,) = json.loads(listed.stdout)
    assert site["name"] == "depot-7" and site["repo"] == str(folder.resolve())
    assert site["branch"] == "main" and site["path"] == "sites/d7" and site["token_env"] == "D7_TOKEN"
    assert [h["api"] for h in site["hosts"]] == ["https://10.7.0.10:6443", "https://10.7.0.11:6443"]
    assert site["hosts"][0]["token_ref"] == "env:D7_TOKEN"
    stored = yaml.safe_load((paths.config_dir() / "sites.yaml").read_text())
    assert stored["schema"] == "ecs-field/sites@1"
    human = run_cli("sites", "list")
    assert "depot-7" in human.stdout and "https://10.7.0.10:6443" in human.stdout
    assert run_cli("sites", "add", "depot-7", "--repo", str(folder)).returncode == 2
    assert run_cli("sites", "remove", "depot-7").returncode == 0
    assert json.loads(run_cli("sites", "list", "--json").stdout) == []
    gone = run_cli("sites", "remove", "depot-7")
    assert gone.returncode == 2 and "unknown site" in gone.stderr


def test_add_refuses_bad_input(tmp_path: Path) -> None:
    three = run_cli(
        "sites",
        "add",
        "x",
        "--repo",
        "https://h/r.git",
        "--api",
        "https://a",
        "--api",
        "https://b",
        "--api",
        "https://c",
    )
    assert three.returncode == 2 and "at most 2" in three.stderr
    missing = run_cli("sites", "add", "x", "--repo", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    bad_api = run_cli("sites", "add", "x", "--repo", "https://h/r.git", "--api", "10.0.0.1")
    assert bad_api.returncode == 2 and "http(s) URL" in bad_api.stderr


def test_pull_clones_then_fast_forwards_and_prints_changes(tmp_path: Path) -> None:
    work, bare = upstream(tmp_path)
    assert run_cli("sites", "add", "d7", "--repo", bare.as_uri()).returncode == 0
    first = run_cli("sites", "pull", "d7")
    assert first.returncode == 0, first.stderr
    clone = paths.data_dir() / "repos" / "d7"
    assert "Cloned" in first.stdout and (clone / "apps" / "ns.yaml").exists()
    commit_files(work, "vm: add gateway", {"vms/gw.yaml": "kind: VirtualMachine\n"})
    push(work)
    second = run_cli("sites", "pull", "d7")
    assert second.returncode == 0, second.stderr
    assert (
        "1 new commit" in second.stdout
        and "vm: add gateway" in second.stdout
        and "vms/gw.yaml" in second.stdout
    )
    third = run_cli("sites", "pull", "d7")
    assert third.returncode == 0 and "up to date" in third.stdout
    linted = run_cli("lint", "d7", "--json")
    assert linted.returncode == 1  # vms/gw.yaml has no apiVersion or name
    assert {f["file"] for f in json.loads(linted.stdout)["findings"]} == {"vms/gw.yaml"}


def test_pull_never_merges_a_diverged_clone(tmp_path: Path) -> None:
    work, bare = upstream(tmp_path)
    run_cli("sites", "add", "d7", "--repo", bare.as_uri())
    assert run_cli("sites", "pull", "d7").returncode == 0
    clone = paths.data_dir() / "repos" / "d7"
    mine = commit_files(clone, "local fix", {"fix.yaml": "a: 1\n"})
    commit_files(work, "remote change", {"other.yaml": "b: 2\n"})
    push(work)
    done = run_cli("sites", "pull", "d7")
    assert done.returncode == 1
    assert "diverged" in done.stderr
    assert run_git(clone, "rev-parse", "HEAD") == mine
    assert not (clone / "other.yaml").exists()


def test_pull_refuses_dirty_clone(tmp_path: Path) -> None:
    work, bare = upstream(tmp_path)
    run_cli("sites", "add", "d7", "--repo", bare.as_uri())
    run_cli("sites", "pull", "d7")
    clone = paths.data_dir() / "repos" / "d7"
    (clone / "apps" / "ns.yaml").write_text("edited by hand\n")
    commit_files(work, "remote change", {"apps/ns.yaml": "changed upstream\n"})
    push(work)
    done = run_cli("sites", "pull", "d7")
    assert done.returncode == 1 and "uncommitted" in done.stderr
    assert (clone / "apps" / "ns.yaml").read_text() == "edited by hand\n"


def test_pull_of_unreachable_remote_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    run_cli("sites", "add", "gone", "--repo", (tmp_path / "missing.git").as_uri())
    done = run_cli("sites", "pull", "gone")
    assert done.returncode in (2, 3)
    assert "Traceback" not in done.stderr and "cloning" in done.stderr
    assert not (paths.data_dir() / "repos" / "gone").exists()


def test_corrupt_sites_file_is_reported_and_kept() -> None:
    target = paths.config_dir() / "sites.yaml"
    target.write_text("schema: ecs-field/sites@1\nsites: [oops\n")
    done = run_cli("sites", "list")
    assert done.returncode == 2 and "set aside" in done.stderr
    assert list(paths.config_dir().glob("sites.yaml.corrupt-*"))
    assert run_cli("sites", "list", "--json").stdout.strip() == "[]"
