"""The site detail reads Git without GitPython when it can, and shows exactly what GitPython showed.

overview.open_repo picks status.gitread.GitReader (plain ``git`` processes) when the app's git is
the one on PATH, and repo.gitrepo.SiteRepo (GitPython) for a bundled or named git; both must give
the Sites page the same detail, diffs included.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from ecs_field.errors import BadInput
from ecs_field.sites.demo import ensure_demo_site
from ecs_field.sites.registry import local_repo_path
from ecs_field.sites.repo.gitrepo import SiteRepo
from ecs_field.sites.status import overview
from ecs_field.sites.status.gitread import GitReader
from tests.unit.sites.repo_builder import commit_files, make_repo, run_git

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="needs git")


def _stable(status: dict[str, Any]) -> dict[str, Any]:
    """The status without what moves with the clock (the snapshot's age)."""
    snapshot = {k: v for k, v in status["snapshot"].items() if k != "age_s"}
    return {**status, "snapshot": snapshot}


def test_detail_is_the_same_without_gitpython(monkeypatch: pytest.MonkeyPatch) -> None:
    site = ensure_demo_site()
    path = local_repo_path(site)
    monkeypatch.delenv("GIT_PYTHON_GIT_EXECUTABLE", raising=False)
    assert isinstance(overview.open_repo(path), GitReader)
    light = overview.load_site_detail(site, repo_path=path)

    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(GIT))  # a named git: GitPython runs it
    assert isinstance(overview.open_repo(path), SiteRepo)
    full = overview.load_site_detail(site, repo_path=path)

    assert light.status["sync"] == "behind" and light.status["commits_behind"] == 1
    assert _stable(light.status) == _stable(full.status)
    assert light.diffs == full.diffs and len(light.diffs) == 1
    assert next(iter(light.diffs.values())).startswith("diff --git ")
    assert light.lint == full.lint and light.network == full.network


def test_diff_matches_gitpython_for_renames_and_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_PYTHON_GIT_EXECUTABLE", raising=False)
    repo = make_repo(tmp_path / "repo")
    commit_files(repo, "first", {"apps/a.yaml": "kind: Namespace\nmetadata:\n  name: a\n" * 20})
    run_git(repo, "mv", "apps/a.yaml", "apps/b.yaml")
    commit_files(repo, "rename and change", {"apps/c.yaml": "kind: Namespace\nmetadata:\n  name: c\n"})
    rename = run_git(repo, "rev-parse", "HEAD").strip()
    run_git(repo, "checkout", "-q", "-b", "side", "HEAD~1")
    commit_files(repo, "side", {"side.yaml": "x: 1\n"})
    run_git(repo, "checkout", "-q", "main")
    run_git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    merge = run_git(repo, "rev-parse", "HEAD").strip()

    light, full = overview.open_repo(repo), SiteRepo(repo)
    for sha in (rename, merge):
        text = overview._diff(light, sha)
        assert text == full.diff(sha + "^", sha)
    assert "rename to apps/b.yaml" in overview._diff(light, rename)
    assert "side.yaml" in overview._diff(light, merge)


def test_diff_of_an_unknown_commit_is_a_clear_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit_files(repo, "first", {"a.yaml": "a: 1\n"})
    with pytest.raises(BadInput, match="git diff failed"):
        overview._diff(GitReader(repo), "0" * 40)
    with pytest.raises(BadInput, match="not a revision"):
        overview._diff(GitReader(repo), "--output=/tmp/x")


def test_without_git_on_path_the_gitpython_layer_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    commit_files(repo, "first", {"a.yaml": "a: 1\n"})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("GIT_PYTHON_GIT_EXECUTABLE", raising=False)
    assert overview.git_executable() is None
    with pytest.raises(BadInput, match="git is not installed"):
        overview.open_repo(repo)  # SiteRepo: the one place that knows a bundled git and says it is missing


def test_git_executable_follows_a_named_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(GIT))
    assert overview.git_executable() == str(GIT)
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(tmp_path / "no-git-here"))
    assert overview.git_executable() is None


def test_a_git_failure_fails_the_detail_after_the_lint_side_ended(tmp_path: Path) -> None:
    # the git side runs beside the lint: its error must still reach the caller, as before
    site = ensure_demo_site()
    folder = tmp_path / "not-a-clone"
    shutil.copytree(local_repo_path(site), folder, ignore=shutil.ignore_patterns(".git"))
    with pytest.raises(BadInput, match="not a Git repository"):
        overview.load_site_detail(site, repo_path=folder)


def test_a_cancelled_load_stops_with_both_sides_done(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecs_field.errors import Cancelled
    from ecs_field.events import CancelToken

    site = ensure_demo_site()
    token = CancelToken()
    real_lint = overview._lint

    def lint_then_cancel(*args: Any) -> Any:
        token.cancel()  # the user moved on while the manifests were checked
        return real_lint(*args)

    monkeypatch.setattr(overview, "_lint", lint_then_cancel)
    with pytest.raises(Cancelled):
        overview.load_site_detail(site, repo_path=local_repo_path(site), cancel=token)
    assert not [t for t in threading.enumerate() if t.name == "site-detail-git"]
