"""A laptop without Git (common on Windows): self-test passes and Sites says so in one message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def path_without_git(tmp_path: Path) -> str:
    """A PATH folder holding links to every tool on this PATH except git."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            if entry.name.startswith("git") or (folder / entry.name).exists():
                continue
            (folder / entry.name).symlink_to(entry.path)
    return str(folder)


def _run(args: list[str], path: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "ECS_FIELD_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("GIT_PYTHON_GIT_EXECUTABLE", None)
    return subprocess.run([sys.executable, "-m", "ecs_field", *args], capture_output=True, text=True,
                          env=env, timeout=180)


@pytest.mark.slow
def test_self_test_passes_without_git(path_without_git: str, tmp_path: Path) -> None:
    done = _run(["self-test"], path_without_git, tmp_path / "home")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Bad git executable" not in done.stderr


def test_sites_commands_say_git_is_missing(path_without_git: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    done = _run(["status", "--repo", str(repo)], path_without_git, tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert "git is not installed" in done.stderr.lower()
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
