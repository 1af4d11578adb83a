"""GitReader's answers for the Sites page (diff) and which git it runs (issue 10, STARTUP's request)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from ecs_field.sites.repo.gitrepo import SiteRepo
from ecs_field.sites.status import warm
from ecs_field.sites.status.gitread import GitReader
from tests.unit.sites.repo_builder import commit_files, make_repo, run_git


def test_diff_is_the_git_librarys(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    one = commit_files(repo, "one", {"a.yaml": "x: 1\n", "b.yaml": "y: ü\n"})
    run_git(repo, "mv", "a.yaml", "renamed.yaml")
    two = commit_files(repo, "two", {"b.yaml": "y: 2\n"})
    light, full = GitReader(repo), SiteRepo(repo)
    assert light.diff(one, two) == full.diff(one, two)
    assert "renamed.yaml" in light.diff(one, two) and light.diff(two, two) == ""
    assert light.diff(one, two, ["b.yaml"]) == full.diff(one, two, ["b.yaml"])
    assert light.diff(two + "^", two) == full.diff(two + "^", two)
    from ecs_field.errors import BadInput

    with pytest.raises(BadInput):
        light.diff("--output=/tmp/x", two)  # never an option
    with pytest.raises(BadInput):
        light.diff("0" * 40, two)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for git")
def test_the_apps_git_is_used_when_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    commit_files(repo, "one", {"a.yaml": "x: 1\n"})
    real = shutil.which("git")
    assert real
    log = tmp_path / "calls"
    fake = tmp_path / "bundled-git"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(fake))
    reader = GitReader(repo)
    assert reader.head().subject == "one"
    calls = log.read_text().splitlines()
    assert any(" status " in f" {c} " for c in calls) and any(" log " in f" {c} " for c in calls)
    # it chooses a git, it does not change what git reads: not part of a warm entry's environment
    assert "GIT_PYTHON_GIT_EXECUTABLE" not in warm.git_environment()
    assert warm.git_environment({"GIT_DIR": "x", "GIT_PYTHON_REFRESH": "quiet", "HOME": "/h"}) == {
        "GIT_DIR": "x",
        "HOME": "/h",
    }
    assert os.environ["GIT_PYTHON_GIT_EXECUTABLE"] == str(fake)


def test_reading_ahead_gives_the_same_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    one = commit_files(repo, "one", {"a.yaml": "x: 1\n"})
    two = commit_files(repo, "two", {"a.yaml": "x: 2\n"})
    plain = GitReader(repo)
    for applied in (one, one[:10], two, f"main@sha1:{one}"):
        ahead = GitReader(repo)
        ahead.read_ahead(applied)
        assert ahead.head() == plain.head()
        assert ahead.commit(applied) == plain.commit(applied)
    missing = GitReader(repo)
    missing.read_ahead("0" * 40)  # not in the clone: nothing read ahead, the questions still answer
    assert missing.head() == plain.head()
    from ecs_field.errors import BadInput

    with pytest.raises(BadInput):
        missing.commit("0" * 40)
    odd = GitReader(repo)
    odd.read_ahead("--all")  # never an option
    assert odd.head().sha == two
