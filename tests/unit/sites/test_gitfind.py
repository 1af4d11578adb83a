"""Which git the app runs: PATH first, else the MinGit the Windows installer puts beside the app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecs_field.sites.repo import gitfind


def _app_with_mingit(tmp_path: Path, name: str = "git.exe") -> Path:
    app = tmp_path / "ECS Field Kit"
    git = app / "mingit" / "cmd" / name
    git.parent.mkdir(parents=True)
    git.write_text("")
    return app


def test_bundled_git_is_found_beside_the_app(tmp_path: Path) -> None:
    app = _app_with_mingit(tmp_path)
    assert gitfind.bundled_git(app) == app / "mingit" / "cmd" / "git.exe"
    assert gitfind.bundled_git(tmp_path / "elsewhere") is None


def test_used_only_when_path_has_no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app_with_mingit(tmp_path, "git")
    # setenv first so the test's undo removes what the code under test sets
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", "")
    monkeypatch.delenv("GIT_PYTHON_GIT_EXECUTABLE")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    chosen = gitfind.use_bundled_git_when_none_on_path(app)
    assert chosen == app / "mingit" / "cmd" / "git"
    assert os.environ["GIT_PYTHON_GIT_EXECUTABLE"] == str(chosen)


def test_git_on_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app_with_mingit(tmp_path, "git")
    # setenv first so the test's undo removes what the code under test sets
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", "")
    monkeypatch.delenv("GIT_PYTHON_GIT_EXECUTABLE")
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / "git").write_text("#!/bin/sh\n")
    (on_path / "git").chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path))
    assert gitfind.use_bundled_git_when_none_on_path(app) is None
    assert "GIT_PYTHON_GIT_EXECUTABLE" not in os.environ
