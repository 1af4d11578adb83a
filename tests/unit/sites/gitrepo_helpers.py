"""Real git repositories for the sync tests, built with the git CLI (fixed dates: stable ids)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, date: str = "2026-11-20T10:00:00Z") -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def init(repo: Path, branch: str = "main") -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", branch)
    return repo


def commit(
    repo: Path, message: str, files: dict[str, str], *, remove: tuple[str, ...] = (), n: int = 0
) -> str:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for rel in remove:
        (repo / rel).unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=f"2026-11-20T10:{n:02d}:00Z")
    return git(repo, "rev-parse", "HEAD")


VM_WEB = """apiVersion: vmoperator.vmware.com/v1alpha1
kind: VirtualMachine
metadata:
  name: web
  namespace: apps
spec:
  className: small
  imageName: photon.ova
  powerState: poweredOn
"""

VM_DB = VM_WEB.replace("name: web", "name: db")

NAMESPACE = """apiVersion: v1
kind: Namespace
metadata:
  name: apps
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: apps
data: {a: b}
"""
