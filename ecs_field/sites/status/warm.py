"""The finished `status SITE` output, kept until anything it was computed from changes.

A warm `status` must cost little more than starting Python (issue 9, section 4): no YAML, no
Git process, no Git library. So after a full computation the command keeps, per site and
options, the rendered output (text or JSON, with the snapshot's time fields left open) and a
fingerprint (watch.py) of everything the answer was read from:

* the registry file (sites.yaml): an edited site entry misses;
* the site's cached snapshot file: a new import or fetch misses;
* the clone's Git files: HEAD, config, index, packed-refs, FETCH_HEAD, shallow, every loose ref
  under refs/ (a commit, pull, fetch or reset moves one), objects/pack and info/;
* Git's own configuration files outside the clone, and the GIT_* environment (with HOME);
* every folder and file of the work tree (an edit, a new untracked file, a removal).

The snapshot's age, staleness and "dated in the future" flag are recomputed at print time
(clock.refresh_times). An entry is only written when the full computation could be cached at
all (clean work tree, the site's current snapshot read without problems, the applied commit
present in the clone); anything unusual (a .git file instead of a folder, submodules, symbolic
links or special files in the work tree, a huge tree) writes none and the full path runs every time.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecs_field.sites.status import watch

SCHEMA = "ecs-field/status-warm@1"
FORMAT = "1"  # bump when the status output changes shape

# Files in the clone's .git folder that decide HEAD, refs, ahead/behind, which commits exist and
# what counts as untracked. Missing ones are recorded as absent: their appearance is a change.
_GIT_FILES = (
    "HEAD",
    "config",
    "index",
    "packed-refs",
    "FETCH_HEAD",
    "shallow",
    "commondir",
    "info",
    "info/exclude",
    "info/grafts",
    "objects/pack",
    "objects/info",
    "objects/info/alternates",
)
MAX_REFS = 5_000  # more loose refs than this: no warm entry


def git_config_files(environ: Mapping[str, str] | None = None) -> list[str]:
    """Git's configuration and ignore files outside the clone (global, XDG, system)."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return [
        os.path.join(home, ".gitconfig"),
        os.path.join(xdg, "git", "config"),
        os.path.join(xdg, "git", "ignore"),
        os.path.join(xdg, "git", "attributes"),
        "/etc/gitconfig",
    ]


def git_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The GIT_* variables (they can move the repository, the index or the config git reads), and
    HOME / XDG_CONFIG_HOME (which configuration files git_config_files() watched). GIT_PYTHON_*
    only choose GitPython's git (sites/repo/gitfind sets them in the full path's process)."""
    env = os.environ if environ is None else environ
    return {
        key: value
        for key, value in env.items()
        if (key.startswith("GIT_") and not key.startswith("GIT_PYTHON_"))
        or key in ("HOME", "XDG_CONFIG_HOME")
    }


def _refs(git_dir: str) -> list[str] | None:
    found: list[str] = []
    for folder, dirs, files in os.walk(os.path.join(git_dir, "refs")):
        found.append(folder)
        found.extend(os.path.join(folder, name) for name in dirs + files)
        if len(found) > MAX_REFS:
            return None
    return found


def watched_paths(registry_file: Path, snapshot_file: Path, repo: Path) -> list[str] | None:
    """Every path the status of ``repo`` with ``snapshot_file`` depends on; None when it cannot
    be watched cheaply and safely (see the module's notes)."""
    if sys.platform == "win32":
        return None  # write_summary's lock is POSIX only (for now): no warm entries there
    root = os.path.abspath(repo)
    git_dir = os.path.join(root, ".git")
    if os.path.islink(git_dir) or not os.path.isdir(git_dir):
        return None  # a worktree or submodule (.git is a file), or not a clone at all
    if os.path.lexists(os.path.join(root, ".gitmodules")) or os.path.lexists(
        os.path.join(git_dir, "modules")
    ):
        return None  # a submodule's new commits change the status without changing a file we see
    refs = _refs(git_dir)
    work_tree = watch.tree(root)
    if refs is None or work_tree is None:
        return None
    git = [os.path.join(git_dir, name) for name in _GIT_FILES]
    return [
        os.path.abspath(registry_file),
        os.path.abspath(snapshot_file),
        *git,
        *refs,
        *git_config_files(),
        *work_tree,
    ]


def entry_key(site: str, path_option: str | None, stale_after_s: float, mode: str) -> str:
    """Everything on the command line the output depends on (the rest is in the fingerprint)."""
    return json.dumps([FORMAT, site, path_option, repr(float(stale_after_s)), mode])


def entry_path(cache_dir: Path, key: str) -> Path:
    # A checksum only names the file; load() compares the whole key stored inside.
    return Path(cache_dir) / "status" / f"warm-{zlib.crc32(key.encode()):08x}.json"


def load(cache_dir: Path, key: str) -> dict[str, Any] | None:
    """The entry for ``key`` when nothing it depends on changed; None otherwise (and on any damage)."""
    try:
        with open(entry_path(cache_dir, key), "rb") as handle:
            entry = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    if (
        not isinstance(entry, dict)
        or entry.get("schema") != SCHEMA
        or entry.get("key") != key
        or entry.get("git_env") != git_environment()
        or not isinstance(entry.get("watch"), dict)
        or not isinstance(entry.get("parts"), list)
        or not all(isinstance(part, str) for part in entry["parts"])
        or not isinstance(entry.get("snapshot"), dict)
        or not isinstance(entry.get("head"), dict)
        or not isinstance(entry.get("summary"), dict)
        or not isinstance(entry.get("summary_path"), str)
    ):
        return None
    return entry if watch.unchanged(entry["watch"]) else None


def save(cache_dir: Path, key: str, fingerprint: watch.Fingerprint, payload: dict[str, Any]) -> None:
    """Write the entry (parts, snapshot, head, summary, summary_path in ``payload``); a cache:
    an unwritable folder only costs the speed."""
    document = {"schema": SCHEMA, "key": key, "git_env": git_environment(), "watch": fingerprint, **payload}
    target = entry_path(cache_dir, key)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # site data: the user's only
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(document).encode("utf-8"))
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def discard(cache_dir: Path, key: str) -> None:
    with contextlib.suppress(OSError):
        entry_path(cache_dir, key).unlink()


def write_summary(path: Path, document: dict[str, Any], timeout_s: float = 5.0) -> bool:
    """Write a site's status-summary.json as fleet.save_summary_doc does, under the same lock
    (storage.file_lock; storage loads neither YAML nor logging until it needs them). False when it
    could not (the caller then takes the full path, which reports why)."""
    from ecs_field import storage
    from ecs_field.errors import EcsFieldError

    try:
        with storage.file_lock(path, timeout_s=timeout_s):
            storage.atomic_write_json(path, document, durable=False)  # a cache of the last status
    except (OSError, ValueError, EcsFieldError):  # ValueError: a path without a name
        return False
    return True
