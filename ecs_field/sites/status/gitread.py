"""The offline Git reads `status` needs, by running ``git`` directly (no Git library).

repo/gitrepo.SiteRepo does the same reads through GitPython, which costs ~0.1 s to import and
more per call; `status` makes about ten reads and must start fast (issue 9, section 4). This
class implements sync.RepoLike with one ``git status`` for HEAD/branch/upstream/dirtiness and one
``git`` process per other question (the git on PATH, else the app's bundled MinGit), plus ``diff``
for the Sites page. Read-only: it never changes the repository and never takes
its index lock (GIT_OPTIONAL_LOCKS=0).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ecs_field.errors import BadInput
from ecs_field.sites.repo.gitfind import git_missing
from ecs_field.sites.repo.gitlog import LOG_FORMAT as _LOG_FORMAT
from ecs_field.sites.repo.gitlog import CommitInfo
from ecs_field.sites.repo.gitlog import parse_log as _parse_log
from ecs_field.sites.status.status_cache import GitState, git_program, git_state

_HEX = re.compile(r"^[0-9a-fA-F]{4,64}$")


Commit = CommitInfo  # the shared commit record (sites/repo/gitlog.py)


class GitReader:
    def __init__(self, path: Path, state: GitState | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise BadInput(f"{self.path}: no such folder", "Check the path, or clone the site first.")
        self._state: GitState | None = state or git_state(self.path)
        self._read: dict[str, Commit] = {}  # commits read ahead (read_ahead), by the rev asked for
        if self._state is not None:
            return
        # No state: not a repository, a bare one, or one without commits. Say which.
        inside = self._run("rev-parse", "--is-bare-repository", check=False)
        if inside is None:
            raise BadInput(
                f"{self.path}: not a Git repository (or git is not installed)",
                "Give the folder of a clone (it contains .git); install Git if `git --version` fails.",
            )
        if inside.strip() == "true":
            raise BadInput(
                f"{self.path}: a bare repository has no files to read", "Clone it to a normal folder first."
            )

    # -- RepoLike ------------------------------------------------------------------------------------
    @property
    def branch(self) -> str | None:
        head = self._state.branch if self._state else ""
        return None if not head or head == "(detached)" else head

    def head(self) -> Commit:
        if self._state is None:
            raise BadInput(
                f"{self.path}: the repository has no commits yet", "Pull the site, or make a first commit."
            )
        return self.commit(self._state.oid)

    def is_dirty(self) -> bool:
        return bool(self._state and self._state.dirty)

    def files_are_head(self) -> bool:
        """No uncommitted change and no untracked manifest: the files on disk are HEAD's."""
        return bool(self._state and self._state.files_are_head)

    def ahead_behind(self) -> tuple[int, int] | None:
        if self._state is None or not self._state.upstream:
            return None
        match = re.match(r"^\+(\d+) -(\d+)$", self._state.ahead_behind.strip())
        return (int(match.group(1)), int(match.group(2))) if match else None

    def resolve(self, rev: str) -> str | None:
        rev = _plain(rev)
        if not rev:
            return None
        out = self._run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return (out.strip() or None) if out else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = self._process("merge-base", "--is-ancestor", self._arg(ancestor), self._arg(descendant))
        if done.returncode in (0, 1):
            return done.returncode == 0
        raise BadInput(f"{self.path}: git merge-base failed: {_err(done)}")

    def count_between(self, old: str, new: str) -> int:
        out = self._run("rev-list", "--count", f"{self._arg(old)}..{self._arg(new)}", "--")
        return int((out or "0").strip() or 0)

    def left_right(self, a: str, b: str) -> tuple[int, int] | None:
        """(commits only in ``a``, commits only in ``b``) in one git call; None if either is unknown."""
        first, second = _plain(a), _plain(b)
        if not first or not second:
            return None
        out = self._run("rev-list", "--left-right", "--count", f"{first}...{second}", "--", check=False)
        parts = (out or "").split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            return None
        return int(parts[0]), int(parts[1])

    def commits_between(self, old: str, new: str, limit: int | None = 500) -> list[Commit]:
        args = ["log", f"--format={_LOG_FORMAT}", "--name-only", "--no-renames"]
        if limit is not None:
            args.append(f"--max-count={limit}")
        return _parse_log(self._run(*args, f"{self._arg(old)}..{self._arg(new)}", "--") or "")

    def diff(self, old: str, new: str, paths: Sequence[str] | None = None) -> str:
        """``git diff OLD NEW -- PATHS`` as repo.gitrepo.SiteRepo.diff gives it (same options)."""
        args = ["diff", "--no-color", "--no-ext-diff", self._arg(old), self._arg(new), "--"]
        return self._run(*args, *(paths or ())) or ""

    def read_ahead(self, rev: str) -> None:
        """Read HEAD's commit and ``rev``'s in one git call (compute_status asks for both, one after
        the other; each git process costs ~5-10 ms). When ``rev`` is not in the clone, nothing is
        read here and each question runs on its own, as without this."""
        first, second = (self._state.oid if self._state else ""), _plain(rev)
        if not first or not second or not _HEX.match(second) or second in self._read:
            return
        out = self._run(
            "log",
            "--no-walk=unsorted",
            f"--format={_LOG_FORMAT}",
            "--no-renames",
            first,
            second,
            "--",
            check=False,
        )
        if not out:
            return
        for commit in _parse_log(out):
            for wanted in (first, second):
                if commit.sha.lower().startswith(wanted.lower()):
                    self._read[wanted] = commit

    def commit(self, rev: str) -> Commit:
        known = self._read.get(_plain(rev))
        if known is not None:
            return known
        out = self._run(
            "log", f"--format={_LOG_FORMAT}", "--no-renames", "--max-count=1", self._arg(rev), "--"
        )
        commits = _parse_log(out or "")
        if not commits:
            raise BadInput(f"{self.path}: commit {rev} not found", "Pull the site to fetch newer commits.")
        return commits[0]

    # -- running git --------------------------------------------------------------------------------
    def _arg(self, rev: str) -> str:
        value = _plain(rev)
        if not value:
            raise BadInput(f"{self.path}: {rev!r} is not a revision", "Give a branch, tag or commit SHA.")
        return value

    def _process(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                [git_program(), "-C", str(self.path), *args],
                capture_output=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"},
                check=False,
            )
        except FileNotFoundError:
            raise git_missing() from None
        except (OSError, subprocess.SubprocessError) as exc:
            raise BadInput(f"{self.path}: git could not run ({exc})") from None

    def _run(self, *args: str, check: bool = True) -> str | None:
        done = self._process(*args)
        if done.returncode != 0:
            if not check:
                return None
            raise BadInput(
                f"{self.path}: git {args[0]} failed: {_err(done)}",
                "Pull the site to fetch newer commits (ecs-field sites pull NAME), or check the revision.",
            )
        return done.stdout.decode("utf-8", "replace")


def _plain(rev: str) -> str:
    """A Flux revision ("main@sha1:<hex>", "sha1:<hex>", "main/<hex>") as git takes it; never an option."""
    rev = rev.strip()
    if "@sha1:" in rev or "@sha256:" in rev:
        rev = rev.rsplit(":", 1)[1]
    elif rev.startswith(("sha1:", "sha256:")):
        rev = rev.split(":", 1)[1]
    elif "/" in rev and _HEX.match(rev.rsplit("/", 1)[1]) and len(rev.rsplit("/", 1)[1]) in (40, 64):
        rev = rev.rsplit("/", 1)[1]
    return "" if rev.startswith("-") else rev


def _err(done: subprocess.CompletedProcess[bytes]) -> str:
    text = done.stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[-1] if text else f"exit {done.returncode}"
