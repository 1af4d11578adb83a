"""A site's Git repository: clone, fetch, fast-forward only, and offline reads.

Why GitPython: it finds and drives the real ``git`` binary (the same one the technician can
use by hand, with their credential helpers and SSH config), gives typed commit objects for
the offline reads, and lets us call git's own plumbing (``rev-list --count``,
``merge-base --is-ancestor``, ``log``) through ``repo.git`` so a 10,000-commit history is
never walked in Python. Network operations run ``git`` as a child process we watch, so they
report progress, never prompt for a password (GIT_TERMINAL_PROMPT=0), and stop on cancel.

Pulling is fast-forward only: a local commit is never merged over or lost; a diverged or
dirty clone is reported and left exactly as it was.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

# Decides which git GitPython runs (a bundled MinGit when none is on PATH) and makes GitPython's
# import quiet when there is none: imported for that effect, before `import git`.
from ecs_field.sites.repo import gitfind  # isort: skip

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from ecs_field.errors import BadInput, Cancelled, NetworkError
from ecs_field.events import CancelToken, Progress, ProgressCallback, ignore_progress
from ecs_field.sites.repo.gitlog import LOG_FORMAT as _LOG_FORMAT
from ecs_field.sites.repo.gitlog import CommitInfo
from ecs_field.sites.repo.gitlog import parse_log as _parse_log

_SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
_PROGRESS = re.compile(r"([A-Za-z ]+):\s+(\d+)% \((\d+)/(\d+)\)")


@dataclass(frozen=True)
class PullResult:
    """What ``pull_ff_only`` did. ``status``:

    - "up-to-date": nothing new upstream
    - "fast-forwarded": moved from ``old_sha`` to ``new_sha`` (``commits`` newest first)
    - "ahead": local commits not on the remote; nothing to pull, nothing changed
    - "diverged": both sides have commits; nothing changed
    - "dirty": uncommitted changes; refused, nothing changed
    - "no-upstream": the branch tracks nothing (or HEAD is detached); fetched only
    """

    status: str
    old_sha: str
    new_sha: str
    ahead: int = 0
    behind: int = 0
    commits: list[CommitInfo] = field(default_factory=list)
    message: str = ""

    @property
    def changed(self) -> bool:
        return self.status == "fast-forwarded"

    @property
    def ok(self) -> bool:
        return self.status in ("up-to-date", "fast-forwarded", "ahead")


def git_available() -> bool:
    return shutil.which(_git_executable()) is not None


def _git_executable() -> str:
    return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"


def require_git() -> None:
    if not git_available():
        raise gitfind.git_missing()


def normalize_revision(rev: str) -> str:
    """Accept Flux revision strings: "main@sha1:<hex>", "sha1:<hex>", legacy "main/<hex>"."""
    rev = rev.strip()
    if "@sha1:" in rev or "@sha256:" in rev:
        return rev.rsplit(":", 1)[1]
    if rev.startswith(("sha1:", "sha256:")):
        return rev.split(":", 1)[1]
    if "/" in rev:
        tail = rev.rsplit("/", 1)[1]
        if _SHA.match(tail):
            return tail
    return rev


class SiteRepo:
    """An existing local clone (or any Git work tree)."""

    def __init__(self, path: Path) -> None:
        require_git()
        self.path = Path(path)
        try:
            self._repo = git.Repo(self.path)
        except NoSuchPathError as exc:
            raise BadInput(
                f"{self.path}: no such folder",
                "Check the path, or clone the site first (ecs-field sites pull NAME).",
            ) from exc
        except InvalidGitRepositoryError as exc:
            raise BadInput(
                f"{self.path}: not a Git repository",
                "Give the folder of a clone (it contains .git), or run `git init` there.",
            ) from exc
        if self._repo.bare:
            raise BadInput(
                f"{self.path}: a bare repository has no files to read", "Clone it to a normal folder first."
            )

    @property
    def repo(self) -> git.Repo:
        return self._repo

    # ---------------------------------------------------------------- network

    @classmethod
    def clone(  # noqa: PLR0917 - url, dest, branch read naturally in order
        cls,
        url: str,
        dest: Path,
        branch: str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        token: str | None = None,
    ) -> SiteRepo:
        """Clone ``url`` into ``dest`` (which must not exist or be empty)."""
        require_git()
        dest = Path(dest)
        if dest.exists() and any(dest.iterdir()):
            raise BadInput(f"{dest}: folder exists and is not empty", "Remove it or choose another folder.")
        created = not dest.exists()
        args = ["clone", "--progress", "--no-recurse-submodules"]
        if branch:
            args += ["--branch", branch]
        args += ["--", url, str(dest)]
        try:
            _run_git(args, cwd=None, progress=progress, cancel=cancel, token=token, what=f"cloning {url}")
        except BaseException:
            if created:
                shutil.rmtree(dest, ignore_errors=True)
            else:
                for child in dest.iterdir():
                    if child.is_dir():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
            raise
        return cls(dest)

    def fetch(
        self,
        remote: str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        token: str | None = None,
    ) -> None:
        name = remote or self._tracking_remote() or "origin"
        if name not in [r.name for r in self._repo.remotes]:
            raise BadInput(
                f"{self.path}: no remote named {name!r}",
                "Add one with `git remote add origin URL`, or register the site with its URL.",
            )
        _run_git(
            ["fetch", "--progress", "--prune", name],
            cwd=self.path,
            progress=progress,
            cancel=cancel,
            token=token,
            what=f"fetching {name}",
        )

    def pull_ff_only(
        self,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        token: str | None = None,
        fetch: bool = True,
    ) -> PullResult:
        """Fetch, then fast-forward the current branch to its upstream when that is safe."""
        old = self._head_sha()
        if fetch and self._repo.remotes:
            self.fetch(progress=progress, cancel=cancel, token=token)
        upstream = self.upstream
        if upstream is None:
            return PullResult(
                "no-upstream",
                old,
                old,
                message=(
                    "HEAD is detached"
                    if self.branch is None
                    else f"branch {self.branch} tracks no remote branch"
                ),
            )
        counts = self.ahead_behind()
        ahead, behind = counts if counts is not None else (0, 0)
        if behind == 0:
            status = "ahead" if ahead else "up-to-date"
            message = (
                f"{ahead} local commit(s) not on {upstream}; nothing to pull"
                if ahead
                else f"already up to date with {upstream}"
            )
            return PullResult(status, old, old, ahead, 0, message=message)
        if ahead:
            return PullResult(
                "diverged",
                old,
                old,
                ahead,
                behind,
                message=(
                    f"{self.branch} and {upstream} have diverged ({ahead} local, {behind} remote commit(s)); "
                    "nothing was changed. Rebase or reset by hand after saving your local commits."
                ),
            )
        if self.is_dirty():
            return PullResult(
                "dirty",
                old,
                old,
                0,
                behind,
                message=(
                    f"{self.path} has uncommitted changes; refusing to update. "
                    "Commit or stash them (or discard with `git checkout -- .`), then pull again."
                ),
            )
        target = self._git("rev-parse", "--verify", "--quiet", f"{upstream}^{{commit}}").strip()
        try:
            self._git("merge", "--ff-only", "--no-edit", target)
        except GitCommandError as exc:
            return PullResult(
                "dirty",
                old,
                old,
                0,
                behind,
                message=(f"git refused the fast-forward: {_stderr(exc)}; nothing was changed."),
            )
        commits = self.commits_between(old, target) if old else []
        return PullResult(
            "fast-forwarded",
            old,
            target,
            0,
            behind,
            commits,
            f"fast-forwarded {old[:8] or '(empty)'}..{target[:8]} ({behind} commit(s))",
        )

    # ---------------------------------------------------------------- offline reads

    def head(self) -> CommitInfo:
        sha = self._head_sha()
        if not sha:
            raise BadInput(
                f"{self.path}: the repository has no commits yet", "Pull the site, or make a first commit."
            )
        return self._log_one(sha)

    @property
    def branch(self) -> str | None:
        """Current branch name, None when HEAD is detached."""
        try:
            return self._repo.active_branch.name
        except TypeError:
            return None

    @property
    def upstream(self) -> str | None:
        """The remote-tracking branch of the current branch ("origin/main"), if any."""
        try:
            out = self._git("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
        except GitCommandError:
            return None
        return out.strip() or None

    def _tracking_remote(self) -> str | None:
        branch = self.branch
        if branch is None:
            return None
        with contextlib.suppress(GitCommandError):
            return self._git("config", "--get", f"branch.{branch}.remote").strip() or None
        return None

    def remote_url(self, name: str = "origin") -> str | None:
        with contextlib.suppress(GitCommandError):
            return self._git("remote", "get-url", name).strip() or None
        return None

    def is_dirty(self, untracked: bool = False) -> bool:
        return bool(self._repo.is_dirty(index=True, working_tree=True, untracked_files=untracked))

    def ahead_behind(self) -> tuple[int, int] | None:
        """(commits only here, commits only upstream) against the remote-tracking branch."""
        upstream = self.upstream
        if upstream is None or not self._head_sha():
            return None
        out = self._git("rev-list", "--left-right", "--count", f"HEAD...{upstream}").split()
        return int(out[0]), int(out[1])

    def count_between(self, old: str, new: str) -> int:
        """Commits reachable from ``new`` but not from ``old``."""
        a, b = self._arg(old), self._arg(new)
        return int(self._git_revs((old, new), "rev-list", "--count", f"{a}..{b}", "--").strip())

    def commits_between(self, old_sha: str, new_sha: str, limit: int | None = 500) -> list[CommitInfo]:
        """Commits in ``new`` not in ``old``, newest first, each with the files it changed."""
        args = ["log", f"--format={_LOG_FORMAT}", "--name-only", "--no-renames"]
        if limit is not None:
            args.append(f"--max-count={limit}")
        args += [f"{self._arg(old_sha)}..{self._arg(new_sha)}", "--"]
        return _parse_log(self._git_revs((old_sha, new_sha), *args))

    def log(self, rev: str = "HEAD", limit: int = 50, paths: Sequence[str] | None = None) -> list[CommitInfo]:
        args = [
            "log",
            f"--format={_LOG_FORMAT}",
            "--name-only",
            "--no-renames",
            f"--max-count={limit}",
            self._arg(rev),
            "--",
            *(paths or ()),
        ]
        return _parse_log(self._git_revs((rev,), *args))

    def commit(self, rev: str) -> CommitInfo:
        return self._log_one(self._arg(rev), rev)

    def is_ancestor(self, a: str, b: str) -> bool:
        """True when ``a`` is ``b`` or an ancestor of it."""
        try:
            self._git("merge-base", "--is-ancestor", self._arg(a), self._arg(b))
        except GitCommandError as exc:
            if exc.status == 1:
                return False
            self._raise_missing((a, b), exc)
        return True

    def resolve(self, rev: str) -> str | None:
        """Full commit SHA for a branch, tag, short SHA or Flux revision; None if unknown here."""
        rev = normalize_revision(rev)
        if not rev or rev.startswith("-"):
            return None
        try:
            out = self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        except GitCommandError:
            return None
        return out.strip() or None

    def diff(self, old: str, new: str, paths: Sequence[str] | None = None) -> str:
        args = ["diff", "--no-color", "--no-ext-diff", self._arg(old), self._arg(new), "--", *(paths or ())]
        return self._git_revs((old, new), *args, strip=False)

    def changed_files(self, old: str, new: str) -> list[str]:
        out = self._git_revs(
            (old, new), "diff", "--name-only", "--no-renames", self._arg(old), self._arg(new), "--"
        )
        return [line for line in out.splitlines() if line]

    def show_file(self, rev: str, path: str) -> bytes | None:
        """A file's bytes at ``rev``; None when it (or the revision) does not exist there."""
        try:
            out = self._repo.git.execute(
                ["git", "show", f"{self._arg(rev)}:{path}"],
                stdout_as_string=False,
                strip_newline_in_stdout=False,
            )
        except GitCommandError:
            return None
        return out if isinstance(out, bytes) else str(out).encode()

    # ---------------------------------------------------------------- helpers

    def _git(self, *args: str, strip: bool = True) -> str:
        out = self._repo.git.execute(["git", *args], strip_newline_in_stdout=strip)
        return str(out)

    def _head_sha(self) -> str:
        try:
            return self._repo.head.commit.hexsha
        except ValueError:  # unborn branch: no commits yet
            return ""

    def _arg(self, rev: str) -> str:
        """A revision as git gets it: Flux forms normalised, never something git reads as an option."""
        value = normalize_revision(rev)
        if not value or value.startswith("-"):
            raise BadInput(f"{self.path}: {rev!r} is not a revision", "Give a branch, tag or commit SHA.")
        return value

    def _git_revs(self, revs: Sequence[str], *args: str, strip: bool = True) -> str:
        """Run git in one process; only on failure look up which revision was missing."""
        try:
            return self._git(*args, strip=strip)
        except GitCommandError as exc:
            self._raise_missing(revs, exc)
            raise  # unreachable: _raise_missing always raises

    def _raise_missing(self, revs: Sequence[str], exc: GitCommandError) -> NoReturn:
        for rev in revs:
            if self.resolve(rev) is None:
                raise BadInput(
                    f"{self.path}: revision {rev!r} not found",
                    "Pull the site to fetch newer commits (ecs-field sites pull NAME), or check the name.",
                ) from exc
        raise BadInput(f"{self.path}: git failed: {_stderr(exc)}") from exc

    def _log_one(self, rev: str, given: str | None = None) -> CommitInfo:
        out = self._git_revs(
            (given or rev,),
            "log",
            f"--format={_LOG_FORMAT}",
            "--name-only",
            "--no-renames",
            "--max-count=1",
            rev,
            "--",
        )
        commits = _parse_log(out)
        if not commits:
            raise BadInput(f"{self.path}: commit {given or rev} not found")
        return commits[0]


def _stderr(exc: GitCommandError) -> str:
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    text = text.strip().removeprefix("stderr:").strip().strip("'").strip()
    return text.splitlines()[-1] if text else str(exc)


def _auth_env(token: str | None) -> dict[str, str]:
    """Pass an HTTPS token as an extra header through the environment, never on the command line."""
    if not token:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }


def _run_git(  # noqa: PLR0917 - private helper
    args: list[str],
    cwd: Path | None,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    token: str | None,
    what: str,
) -> None:
    """Run a network git command, streaming its progress and honouring cancel."""
    report = progress or ignore_progress
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GCM_INTERACTIVE": "never",
        "LC_ALL": "C",
        "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=20"),
        # A site LAN that drops packets must end in an error, not a clone that hangs for ever.
        "GIT_HTTP_LOW_SPEED_LIMIT": os.environ.get("GIT_HTTP_LOW_SPEED_LIMIT", "1000"),
        "GIT_HTTP_LOW_SPEED_TIME": os.environ.get("GIT_HTTP_LOW_SPEED_TIME", "60"),
        **_auth_env(token),
    }
    report(Progress("git", message=what))
    process = subprocess.Popen(
        [_git_executable(), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # Own process group: cancel must also stop git's helpers (git-remote-https, ssh).
        **_new_group(),
    )
    tail: list[str] = []

    def read_stderr() -> None:
        assert process.stderr is not None
        buffer = b""
        while True:
            chunk = (
                process.stderr.read1(4096) if hasattr(process.stderr, "read1") else process.stderr.read(4096)
            )
            if not chunk:
                break
            buffer += chunk
            parts = re.split(rb"[\r\n]", buffer)
            buffer = parts.pop()
            for raw in parts:
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                match = _PROGRESS.search(line)
                if match:
                    phase, _pct, done, total = match.groups()
                    report(Progress("git", int(done), int(total), message=f"{what}: {phase.strip()}"))
                else:
                    tail.append(line)
                    del tail[:-20]

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        while process.poll() is None:
            if cancel is not None and cancel.cancelled:
                _stop(process)
                raise Cancelled(f"Cancelled {what}.")
            time.sleep(0.05)
    finally:
        if process.poll() is None:  # interrupted (Ctrl+C in the CLI): leave no git behind
            _stop(process)
        reader.join(5)
    if process.returncode != 0:
        detail = next(
            (t for t in reversed(tail) if t.startswith(("fatal:", "error:"))), tail[-1] if tail else ""
        )
        detail = detail.removeprefix("fatal: ").removeprefix("error: ")
        if _looks_like_network(detail):
            raise NetworkError(
                f"{what} failed: {detail}",
                "Check the network and the URL; for private repositories set the token "
                "(--token-env) or your Git credentials.",
            )
        raise BadInput(
            f"{what} failed: {detail or 'git exited with code ' + str(process.returncode)}",
            "Check the URL or path and the branch name.",
        )
    report(Progress("git", 1, 1, message=f"{what}: done"))


def _new_group() -> dict[str, Any]:
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate git and its helpers; kill them if they do not go within five seconds."""
    group_kill = getattr(os, "killpg", None)
    if os.name == "posix" and group_kill is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            group_kill(process.pid, signal.SIGTERM)
    else:
        process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        if os.name == "posix" and group_kill is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                group_kill(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()


def _looks_like_network(detail: str) -> bool:
    lowered = detail.lower()
    return any(
        word in lowered
        for word in (
            "could not resolve",
            "unable to access",
            "connection",
            "timed out",
            "authentication",
            "could not read from remote",
            "network",
            "ssl",
            "permission denied (publickey)",
            "terminal prompts",
        )
    )
