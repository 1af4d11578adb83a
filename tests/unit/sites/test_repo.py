"""SiteRepo against real git repositories: clone, fetch, fast-forward only, offline reads."""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

import pytest

from ecs_field.errors import BadInput, Cancelled
from ecs_field.events import CancelToken, Progress
from ecs_field.sites.repo.gitrepo import SiteRepo, normalize_revision
from tests.unit.sites.repo_builder import (
    commit_files,
    fast_import_history,
    make_repo,
    push,
    remote_and_clone,
    run_git,
)


def test_clone_reports_progress_and_reads_head(tmp_path: Path) -> None:
    work, bare, _ = remote_and_clone(tmp_path)
    commit_files(work, "add host config", {"host/ntp.yaml": "a: 1\n"}, date="2026-11-20T10:00:00+02:00")
    push(work)
    events: list[Progress] = []
    repo = SiteRepo.clone(str(bare), tmp_path / "fresh", progress=events.append)
    head = repo.head()
    assert head.subject == "add host config"
    assert head.sha == run_git(work, "rev-parse", "HEAD")
    assert head.short == head.sha[: len(head.short)]
    assert head.time == datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    assert head.time.tzinfo is not None
    assert head.files == ("host/ntp.yaml",)
    assert repo.branch == "main"
    assert repo.upstream == "origin/main"
    assert events and events[-1].message.endswith("done")


def test_clone_of_missing_url_fails_cleanly_and_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "nothing"
    with pytest.raises(BadInput) as info:
        SiteRepo.clone(str(tmp_path / "no-such-remote.git"), dest)
    assert "cloning" in info.value.message
    assert not dest.exists()


def test_clone_cancelled_before_start_raises_and_cleans_up(tmp_path: Path) -> None:
    _, bare, _ = remote_and_clone(tmp_path)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        SiteRepo.clone(str(bare), tmp_path / "cancelled", cancel=token)
    assert not (tmp_path / "cancelled").exists()


def test_clone_into_non_empty_folder_is_refused(tmp_path: Path) -> None:
    _, bare, _ = remote_and_clone(tmp_path)
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(BadInput, match="not empty"):
        SiteRepo.clone(str(bare), dest)
    assert (dest / "keep.txt").read_text() == "mine"


def test_pull_fast_forwards_and_lists_new_commits(tmp_path: Path) -> None:
    work, _, clone = remote_and_clone(tmp_path)
    repo = SiteRepo(clone)
    old = repo.head().sha
    commit_files(work, "vm: add gateway", {"vms/gw.yaml": "kind: VirtualMachine\n"})
    commit_files(work, "host: ntp", {"host/ntp.yaml": "x: 1\n"})
    push(work)
    result = repo.pull_ff_only()
    assert result.status == "fast-forwarded" and result.changed and result.ok
    assert result.old_sha == old
    assert result.new_sha == run_git(work, "rev-parse", "HEAD") == repo.head().sha
    assert [c.subject for c in result.commits] == ["host: ntp", "vm: add gateway"]
    assert result.commits[1].files == ("vms/gw.yaml",)
    assert (clone / "host" / "ntp.yaml").exists()
    again = repo.pull_ff_only()
    assert again.status == "up-to-date" and not again.changed


def test_pull_never_merges_diverged_history(tmp_path: Path) -> None:
    work, _, clone = remote_and_clone(tmp_path)
    commit_files(work, "remote change", {"a.yaml": "remote\n"})
    push(work)
    local = commit_files(clone, "local change", {"b.yaml": "local\n"})
    repo = SiteRepo(clone)
    result = repo.pull_ff_only()
    assert result.status == "diverged" and not result.ok
    assert (result.ahead, result.behind) == (1, 1)
    assert repo.head().sha == local  # the local commit is still there, nothing merged
    assert not (clone / "a.yaml").exists()
    assert "diverged" in result.message


def test_pull_refuses_a_dirty_tree_and_changes_nothing(tmp_path: Path) -> None:
    work, _, clone = remote_and_clone(tmp_path)
    commit_files(work, "remote change", {"README.md": "new\n"})
    push(work)
    (clone / "README.md").write_text("my unsaved edit\n")
    repo = SiteRepo(clone)
    before = repo.head().sha
    result = repo.pull_ff_only()
    assert result.status == "dirty" and not result.ok
    assert "uncommitted" in result.message
    assert repo.head().sha == before
    assert (clone / "README.md").read_text() == "my unsaved edit\n"


def test_ahead_only_is_reported_not_pushed(tmp_path: Path) -> None:
    _, _, clone = remote_and_clone(tmp_path)
    commit_files(clone, "local only", {"x.yaml": "x\n"})
    repo = SiteRepo(clone)
    assert repo.ahead_behind() == (1, 0)
    result = repo.pull_ff_only()
    assert result.status == "ahead" and result.ok and not result.changed


def test_no_upstream_is_reported(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "solo")
    commit_files(repo_dir, "one", {"a.yaml": "a\n"})
    repo = SiteRepo(repo_dir)
    assert repo.ahead_behind() is None
    assert repo.pull_ff_only().status == "no-upstream"


def test_ahead_behind_counts_after_fetch(tmp_path: Path) -> None:
    work, _, clone = remote_and_clone(tmp_path)
    for i in range(3):
        commit_files(work, f"c{i}", {f"f{i}.yaml": "x\n"})
    push(work)
    commit_files(clone, "mine", {"mine.yaml": "x\n"})
    repo = SiteRepo(clone)
    assert repo.ahead_behind() == (1, 0)  # offline: the remote's commits are not known yet
    repo.fetch()
    assert repo.ahead_behind() == (1, 3)


def test_offline_reads(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "r")
    first = commit_files(repo_dir, "first", {"a.yaml": "a: 1\n"})
    second = commit_files(repo_dir, "second", {"a.yaml": "a: 2\n", "b.yaml": "b\n"})
    third = commit_files(repo_dir, "third", {"c.yaml": "c\n"}, remove=("b.yaml",))
    run_git(repo_dir, "tag", "v1", second)
    repo = SiteRepo(repo_dir)
    assert repo.resolve("v1") == second
    assert repo.resolve(first[:7]) == first
    assert repo.resolve(f"main@sha1:{third}") == third
    assert repo.resolve("nope") is None
    assert repo.resolve("--all") is None
    assert repo.is_ancestor(first, third) and not repo.is_ancestor(third, first)
    assert repo.is_ancestor(third, third)
    between = repo.commits_between(first, third)
    assert [c.subject for c in between] == ["third", "second"]
    assert set(between[0].files) == {"b.yaml", "c.yaml"}
    assert repo.count_between(first, third) == 2
    diff = repo.diff(first, second, paths=["a.yaml"])
    assert "-a: 1" in diff and "+a: 2" in diff and "b.yaml" not in diff
    assert repo.changed_files(first, third) == ["a.yaml", "c.yaml"]
    assert repo.show_file(first, "a.yaml") == b"a: 1\n"
    assert repo.show_file(first, "c.yaml") is None
    assert not repo.is_dirty()
    (repo_dir / "untracked.yaml").write_text("u\n")
    assert not repo.is_dirty() and repo.is_dirty(untracked=True)


def test_missing_revision_is_bad_input_with_hint(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "r")
    commit_files(repo_dir, "first", {"a.yaml": "a\n"})
    repo = SiteRepo(repo_dir)
    with pytest.raises(BadInput) as info:
        repo.commits_between("0" * 40, "HEAD")
    assert "not found" in info.value.message and info.value.hint


def test_not_a_repository_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a Git repository"):
        SiteRepo(tmp_path)
    with pytest.raises(BadInput, match="no such folder"):
        SiteRepo(tmp_path / "missing")


def test_empty_repository_has_no_head(tmp_path: Path) -> None:
    repo = SiteRepo(make_repo(tmp_path / "empty"))
    with pytest.raises(BadInput, match="no commits"):
        repo.head()
    assert repo.ahead_behind() is None


def test_detached_head_has_no_branch(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "r")
    first = commit_files(repo_dir, "first", {"a.yaml": "a\n"})
    commit_files(repo_dir, "second", {"a.yaml": "b\n"})
    run_git(repo_dir, "checkout", "-q", first)
    repo = SiteRepo(repo_dir)
    assert repo.branch is None
    assert repo.head().sha == first


def test_git_missing_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(tmp_path / "no-git-here"))
    with pytest.raises(BadInput, match="git is not installed"):
        SiteRepo(tmp_path)


def test_long_history_uses_git_counts(tmp_path: Path) -> None:
    """Counting and ranges go through git (tests/bench/site_repo_history.py times 10,000 commits)."""
    repo_dir = make_repo(tmp_path / "big")
    fast_import_history(repo_dir, 3000)
    repo = SiteRepo(repo_dir)
    first = repo.resolve("main~2999")
    assert first is not None
    assert repo.count_between(first, "HEAD") == 2999
    assert repo.is_ancestor(first, "HEAD")
    recent = repo.commits_between("main~20", "HEAD", limit=5)
    assert [c.subject for c in recent] == [f"change {i}" for i in range(3000, 2995, -1)]
    assert repo.head().subject == "change 3000"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("main@sha1:" + "a" * 40, "a" * 40),
        ("sha1:" + "b" * 40, "b" * 40),
        ("main/" + "c" * 40, "c" * 40),
        ("v1.2", "v1.2"),
        ("feature/x", "feature/x"),
    ],
)
def test_flux_revisions_are_normalised(given: str, expected: str) -> None:
    assert normalize_revision(given) == expected


class _DumbGitHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a bare repository over git's "dumb" HTTP protocol (static files) on 127.0.0.1."""

    seen_auth: ClassVar[list[str]] = []
    gate: ClassVar[threading.Event | None] = None

    def do_GET(self) -> None:
        type(self).seen_auth.append(self.headers.get("Authorization", ""))
        gate = type(self).gate
        if gate is not None:
            gate.wait(30)
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def dumb_http_server(bare: Path, gate: threading.Event | None = None) -> Iterator[tuple[str, list[str]]]:
    """Yields the URL and the list of Authorization headers the server received."""
    run_git(bare, "update-server-info")
    handler = type("Handler", (_DumbGitHandler,), {"seen_auth": [], "gate": gate})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(bare))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", handler.seen_auth
    finally:
        if gate is not None:
            gate.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_clone_over_http_sends_the_token_as_a_header(tmp_path: Path) -> None:
    _, bare, _ = remote_and_clone(tmp_path)
    with dumb_http_server(bare) as (url, handler_log):
        repo = SiteRepo.clone(url, tmp_path / "http-clone", token="s3cret-token")
    assert repo.head().subject == "first"
    expected = "Basic " + base64.b64encode(b"x-access-token:s3cret-token").decode()
    assert handler_log and all(h == expected for h in handler_log)
    # The token is not written into the clone's configuration.
    assert "s3cret" not in (tmp_path / "http-clone" / ".git" / "config").read_text()


def test_cancel_stops_a_stalled_clone_and_cleans_up(tmp_path: Path) -> None:
    _, bare, _ = remote_and_clone(tmp_path)
    gate = threading.Event()  # the server holds every request until the test ends
    token = CancelToken()
    dest = tmp_path / "stalled"
    with dumb_http_server(bare, gate) as (url, _):
        timer = threading.Timer(0.5, token.cancel)
        timer.start()
        try:
            with pytest.raises(Cancelled):
                SiteRepo.clone(url, dest, cancel=token)
        finally:
            timer.cancel()
    assert not dest.exists()
