"""Real git repositories for the repo/registry/lint tests, built with the git CLI."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ENV = {
    "GIT_AUTHOR_NAME": "Tech",
    "GIT_AUTHOR_EMAIL": "tech@example.invalid",
    "GIT_COMMITTER_NAME": "Tech",
    "GIT_COMMITTER_EMAIL": "tech@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run_git(cwd: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, **ENV}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "-q", "-b", branch)
    return path


def commit_files(
    repo: Path, message: str, files: dict[str, str], remove: tuple[str, ...] = (), date: str | None = None
) -> str:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for rel in remove:
        (repo / rel).unlink()
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "--allow-empty", "-m", message, date=date)
    return run_git(repo, "rev-parse", "HEAD")


def remote_and_clone(tmp: Path) -> tuple[Path, Path, Path]:
    """An upstream work tree, a bare "remote" it pushes to, and a clone of the remote."""
    work = make_repo(tmp / "upstream")
    commit_files(work, "first", {"README.md": "site\n"})
    bare = tmp / "remote.git"
    run_git(tmp, "clone", "-q", "--bare", str(work), str(bare))
    run_git(work, "remote", "add", "origin", str(bare))
    run_git(work, "fetch", "-q", "origin")
    run_git(work, "branch", "-q", "--set-upstream-to=origin/main", "main")
    clone = tmp / "clone"
    run_git(tmp, "clone", "-q", str(bare), str(clone))
    return work, bare, clone


def push(work: Path) -> None:
    run_git(work, "push", "-q", "origin", "main")
