"""A finished status, cached until the repository or the snapshot changes.

`status SITE` run twice on the same commit and the same snapshot gives the same answer except
for the snapshot's age. So the computed document is kept in the cache folder under a key made of
everything it depends on, and a run that finds it costs one ``git status`` (which also tells
whether the work tree is clean) plus reading one JSON file: no Git library, no manifests, no
comparison. (The warm path proper, warm.py, comes first and runs no git at all; this cache serves
when that one missed but the commit and snapshot are the same, e.g. another output form.)

A work tree with uncommitted changes, or with untracked manifests (or folders), is never cached.
The key: the repository's HEAD commit, branch, upstream and ahead/behind counts, the times of
``FETCH_HEAD`` and ``packed-refs`` (a fetch may bring the applied commit into the clone), the
identity (inode, size, mtime) of the cached snapshot file, the manifests path, the stale limit
and the format version. The snapshot's age, staleness and
"dated in the future" flag are recomputed on every run from its time.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecs_field import paths, storage
from ecs_field.sites.status.clock import refresh_times  # noqa: F401 - re-exported (its home until now)

log = logging.getLogger(__name__)

CACHE_SCHEMA = "ecs-field/status-cache@1"
FORMAT = "3"  # bump when the status document changes shape


@dataclass(frozen=True)
class GitState:
    oid: str
    branch: str
    upstream: str
    ahead_behind: str
    dirty: bool  # tracked files changed (what `status` reports as "uncommitted changes")
    untracked_manifests: bool = False  # a *.yaml/*.yml git does not track: read, but not in HEAD

    @property
    def files_are_head(self) -> bool:
        """The manifests on disk are exactly HEAD's: safe to use caches keyed by the commit."""
        return not self.dirty and not self.untracked_manifests


def git_program() -> str:
    """The git the app runs: the one on PATH, else the MinGit the Windows installer ships (gitfind
    points GIT_PYTHON_GIT_EXECUTABLE at it, without importing GitPython)."""
    from ecs_field.sites.repo import gitfind  # noqa: F401 - for its effect on the environment

    return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"


def git_state(repo: Path) -> GitState | None:
    """HEAD, branch, upstream, ahead/behind and cleanliness in one ``git status``; None if git fails."""
    try:
        done = subprocess.run(
            [
                git_program(),
                "-C",
                str(repo),
                "status",
                "--porcelain=v2",
                "--branch",
                "--untracked-files=normal",
            ],
            capture_output=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    fields = {"oid": "", "head": "", "upstream": "", "ab": ""}
    dirty = untracked = False
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("# branch."):
            key, _, value = line[len("# branch.") :].partition(" ")
            if key in fields:
                fields[key] = value
        elif line.startswith("? "):
            untracked = untracked or line.lower().endswith((".yaml", ".yml", "/"))
        elif line.strip():
            dirty = True
    if not fields["oid"] or fields["oid"] == "(initial)":
        return None
    return GitState(fields["oid"], fields["head"], fields["upstream"], fields["ab"], dirty, untracked)


def _identity(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def status_key(
    *, site: str, repo: Path, state: GitState, snapshot_file: Path, subpath: str | None, stale_after_s: float
) -> str | None:
    """The cache key, or None when the status must be computed (dirty tree, no snapshot file)."""
    if not state.files_are_head:
        return None
    snap = _identity(snapshot_file)
    if snap is None:
        return None
    git_dir = Path(repo) / ".git"
    parts = {
        "format": FORMAT,
        "site": site,
        "repo": str(Path(repo).resolve()),
        "git": [state.oid, state.branch, state.upstream, state.ahead_behind],
        "refs": [_identity(git_dir / "FETCH_HEAD"), _identity(git_dir / "packed-refs")],
        "snapshot": [str(snapshot_file), snap],
        "subpath": subpath or "",
        "stale_after_s": stale_after_s,
    }
    return json.dumps(parts, sort_keys=True)  # the key is its own text: compared whole on reading


def _path(key: str) -> Path:
    # A checksum only names the file; load() compares the whole key stored inside.
    return paths.cache_dir() / "status" / f"status-{zlib.crc32(key.encode()):08x}.json"


def load(key: str) -> dict[str, Any] | None:
    try:
        document = json.loads(_path(key).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("schema") != CACHE_SCHEMA or document.get("key") != key:
        return None
    status = document.get("status")
    return status if isinstance(status, dict) else None


def save(key: str, status: dict[str, Any]) -> None:
    try:
        storage.atomic_write_text(
            _path(key), json.dumps({"schema": CACHE_SCHEMA, "key": key, "status": status})
        )
    except OSError as exc:
        log.info("status cache not written: %s", exc)
