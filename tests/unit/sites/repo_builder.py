"""Real git repositories for the sites tests (repo, sync, CLI, GUI), built with the git CLI."""

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


def fixed_date(minute: int) -> str:
    """A commit date ``minute`` minutes into a fixed hour: commits made with it get stable ids."""
    return f"2026-11-20T10:{minute:02d}:00Z"


def run_git(cwd: Path, *args: str, date: str | None = None) -> str:
    """Run git in ``cwd``; ``date`` (ISO 8601) sets author and committer dates, else now."""
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


def upstream_and_remote(tmp: Path, files: dict[str, str] | None = None) -> tuple[Path, Path]:
    """An upstream work tree with one commit of ``files`` and a bare "remote" it pushes to."""
    work = make_repo(tmp / "upstream")
    commit_files(work, "first", {"README.md": "site\n"} if files is None else files)
    bare = tmp / "remote.git"
    run_git(tmp, "clone", "-q", "--bare", str(work), str(bare))
    run_git(work, "remote", "add", "origin", str(bare))
    return work, bare


def remote_and_clone(tmp: Path) -> tuple[Path, Path, Path]:
    """An upstream work tree, a bare "remote" it pushes to, and a clone of the remote."""
    work, bare = upstream_and_remote(tmp)
    run_git(work, "fetch", "-q", "origin")
    run_git(work, "branch", "-q", "--set-upstream-to=origin/main", "main")
    clone = tmp / "clone"
    run_git(tmp, "clone", "-q", str(bare), str(clone))
    return work, bare, clone


def push(work: Path) -> None:
    run_git(work, "push", "-q", "origin", "main")


def fast_import_history(repo_dir: Path, count: int) -> None:
    """``count`` linear commits on main, made in one fast-import run (one file, then empty commits)."""
    lines = []
    for i in range(1, count + 1):
        msg = f"change {i}"
        lines += [
            "commit refs/heads/main",
            f"mark :{i}",
            f"committer Tech <t@example.invalid> {1_700_000_000 + i} +0000",
            f"data {len(msg)}",
            msg,
        ]
        if i > 1:
            lines.append(f"from :{i - 1}")
        else:
            lines += ["M 644 inline site.yaml", "data 5", "n: 1\n"]
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo_dir,
        input="\n".join(lines) + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    run_git(repo_dir, "checkout", "-q", "main")


# Manifests for small test sites.
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


def flux_vm_snapshot(head: str, taken_at: str, *, power: str = "poweredOn") -> dict[str, object]:
    """A host snapshot: Flux applied ``head``; one VM "web" wanted on, observed ``power``."""
    return {
        "schema": "ecs-field/snapshot@1",
        "taken_at": taken_at,
        "source": "test",
        "listed_kinds": ["Kustomization", "VirtualMachine"],
        "items": [
            {
                "kind": "Kustomization",
                "metadata": {"name": "flux-system", "namespace": "flux-system"},
                "spec": {"path": "./"},
                "status": {
                    "lastAppliedRevision": f"main@sha1:{head}",
                    "conditions": [{"type": "Ready", "status": "True"}],
                },
            },
            {
                "kind": "VirtualMachine",
                "metadata": {"name": "web", "namespace": "apps"},
                "spec": {"powerState": "poweredOn"},
                "status": {"powerState": power},
            },
        ],
    }
