"""The warm `status SITE`: the finished output, kept until anything it was read from changes.

Real git repositories; every change a technician (or git) can make must miss the warm entry and
show up in the next answer. The warm answer must be byte for byte the full path's (text, --json,
stderr). Behaviour only: nothing here measures time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ecs_field import __version__, paths
from ecs_field.commands import status as status_command
from ecs_field.sites.registry import Registry, Site
from ecs_field.sites.status import clock, sync, warm, watch
from ecs_field.sites.status.snapshot import format_time
from tests.clirun import run_cli
from tests.unit.sites.repo_builder import VM_DB, VM_WEB, commit_files, flux_vm_snapshot, make_repo, run_git

NOW = dt.datetime(2026, 12, 4, 12, 0, 0, 250_000, tzinfo=dt.timezone.utc)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """One clock for the full path (sync) and the warm path (clock); tests move it on."""
    moment = [NOW]
    monkeypatch.setattr(clock, "utc_now", lambda: moment[0])
    monkeypatch.setattr(clock, "now_us", lambda: (moment[0] - EPOCH) // dt.timedelta(microseconds=1))
    monkeypatch.setattr(sync, "utc_now", lambda: moment[0])
    return moment


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def warm_run(*args: str) -> subprocess.CompletedProcess[str] | None:
    """status_command.answer_from_cache as ecs_field.cli.main calls it first; None: it declined."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = status_command.answer_from_cache(list(args))
    if code is None:
        assert out.getvalue() == "" and err.getvalue() == ""  # declined: nothing printed
        return None
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def snapshot_doc(head: str, *, power: str = "poweredOn", taken: dt.datetime = NOW) -> dict[str, object]:
    return flux_vm_snapshot(head, format_time(taken), power=power)


def import_snapshot(tmp_path: Path, head: str, **kw: object) -> None:
    file = tmp_path / "snap.json"
    file.write_text(json.dumps(snapshot_doc(head, **kw)))  # type: ignore[arg-type]
    done = run_cli("snapshot", "import", "site", str(file))
    assert done.returncode == 0, done.stderr


def make_site(tmp_path: Path) -> tuple[Path, str]:
    repo = make_repo(tmp_path / "repo")
    head = commit_files(repo, "vms", {"vms/web.yaml": VM_WEB, "ns/README.md": "apps\n"})
    Registry.load().add(Site("site", str(repo)))
    import_snapshot(tmp_path, head)
    return repo, head


def full(*args: str) -> subprocess.CompletedProcess[str]:
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    return done


def settle(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the full path until the warm entry answers (the first run may find a summary missing)."""
    first = full(*args)
    assert warm_run(*args) is not None, "no warm entry after a full run on a clean clone"
    return first


# -- the same bytes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [(), ("--json",), ("--path", "vms"), ("--stale-after", "60", "--json")])
def test_warm_output_is_the_full_paths_byte_for_byte(
    tmp_path: Path, frozen: list[dt.datetime], extra: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_site(tmp_path)
    args = ("status", "site", *extra)

    def rendered_whole() -> subprocess.CompletedProcess[str]:
        """The full path with nothing kept: render_status / print_json of the whole document."""
        with monkeypatch.context() as patch:
            patch.setattr(status_command, "_save_warm", lambda *_: None)
            return full(*args)

    cold = rendered_whole()
    assert full(*args).stdout == cold.stdout  # the run that keeps the entry prints the same
    hot = warm_run(*args)
    assert hot is not None and hot.returncode == 0
    assert (hot.stdout, hot.stderr) == (cold.stdout, cold.stderr)
    # the clock moves on: both paths recompute the age, and still agree
    frozen[0] = NOW + dt.timedelta(hours=3, minutes=7)
    later = warm_run(*args)
    warm.discard(paths.cache_dir(), warm.entry_key("site", *_key_args(extra)))
    recomputed = rendered_whole()
    assert later is not None and (later.stdout, later.stderr) == (recomputed.stdout, recomputed.stderr)
    if "--json" in extra:
        snap = json.loads(later.stdout)["snapshot"]
        assert snap["age_s"] == 3 * 3600 + 7 * 60 + 0.2 and snap["stale"] is True  # NOW has 0.25 s
    else:
        assert "snapshot 3 h 7 min old (stale)" in later.stdout.splitlines()[0]


def _key_args(extra: tuple[str, ...]) -> tuple[str | None, float, str]:
    parsed = status_command._plain_status_args(["status", "site", *extra])
    assert parsed is not None
    return parsed[1], parsed[2], "json" if parsed[3] else "text"


def test_a_snapshot_dated_in_the_future_is_flagged_the_same_way_warm(
    tmp_path: Path, frozen: list[dt.datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, head = make_site(tmp_path)
    import_snapshot(tmp_path, head, taken=NOW + dt.timedelta(hours=2))
    for args in (("status", "site"), ("status", "site", "--json")):
        with monkeypatch.context() as patch:
            patch.setattr(status_command, "_save_warm", lambda *_: None)
            cold = full(*args)  # rendered whole
        full(*args)
        hot = warm_run(*args)
        assert hot is not None and (hot.stdout, hot.stderr) == (cold.stdout, cold.stderr)
        assert "in the future" in hot.stderr
    frozen[0] = NOW + dt.timedelta(hours=3)  # the clock caught up: no longer in the future
    hot = warm_run("status", "site")
    assert hot is not None and hot.stderr == "" and "snapshot 1 h old (stale)" in hot.stdout


def test_the_warm_run_writes_the_fleet_summary_and_the_log_line(
    tmp_path: Path, frozen: list[dt.datetime]
) -> None:
    from ecs_field.sites.status.fleet import summary_path

    make_site(tmp_path)
    settle("status", "site")
    summary = summary_path("site")
    summary.unlink()
    log = paths.log_dir() / "ecs-field.log"
    before = log.read_text() if log.exists() else ""
    assert warm_run("status", "site") is not None
    written = json.loads(summary.read_text())
    assert written["sync"] == "in-sync" and written["site"] == "site" and written["computed_at"]
    added = log.read_text()[len(before) :]
    assert added.endswith(f" INFO ecs_field.cli: ecs-field {__version__}: status site\n")


# -- every change misses ------------------------------------------------------------------------------------
def test_a_new_commit_misses_and_shows_the_host_behind(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    settle("status", "site", "--json")
    commit_files(repo, "db", {"vms/db.yaml": VM_DB})
    assert warm_run("status", "site", "--json") is None
    after = json.loads(full("status", "site", "--json").stdout)
    assert after["sync"] == "behind" and after["commits_behind"] == 1


def test_a_fetch_or_pull_moving_the_remote_ref_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    upstream = make_repo(tmp_path / "upstream")
    head = commit_files(upstream, "vms", {"vms/web.yaml": VM_WEB})
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(upstream), str(clone))
    Registry.load().add(Site("site", str(clone)))
    import_snapshot(tmp_path, head)
    settle("status", "site", "--json")
    commit_files(upstream, "db", {"vms/db.yaml": VM_DB})
    run_git(clone, "fetch", "-q")  # the remote-tracking ref moves; HEAD does not
    assert warm_run("status", "site", "--json") is None
    fetched = json.loads(full("status", "site", "--json").stdout)
    assert fetched["repo"]["behind"] == 1 and fetched["sync"] == "in-sync"
    assert warm_run("status", "site", "--json") is not None  # settled again
    run_git(clone, "pull", "-q", "--ff-only")  # now HEAD moves: the host is behind
    assert warm_run("status", "site", "--json") is None
    pulled = json.loads(full("status", "site", "--json").stdout)
    assert pulled["sync"] == "behind" and pulled["commits_behind"] == 1 and pulled["repo"]["behind"] == 0


def test_diverged_counts_are_recomputed(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, head = make_site(tmp_path)
    commit_files(repo, "host side", {"vms/db.yaml": VM_DB})
    host_head = run_git(repo, "rev-parse", "HEAD")
    run_git(repo, "reset", "-q", "--hard", head)
    import_snapshot(tmp_path, host_head)
    settle("status", "site")
    commit_files(repo, "local side", {"vms/other.yaml": VM_DB.replace("name: db", "name: other")})
    assert warm_run("status", "site") is None
    text = full("status", "site").stdout
    assert text.startswith("Site site: DIVERGED (host 1 ahead, 1 behind)")


def test_a_host_ahead_then_a_pull_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    upstream = make_repo(tmp_path / "upstream")
    commit_files(upstream, "vms", {"vms/web.yaml": VM_WEB})
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(upstream), str(clone))
    newer = commit_files(upstream, "db", {"vms/db.yaml": VM_DB})
    run_git(clone, "fetch", "-q")  # the host's commit is in the clone, HEAD is not there yet
    Registry.load().add(Site("site", str(clone)))
    import_snapshot(tmp_path, newer)
    first = json.loads(settle("status", "site", "--json").stdout)
    assert first["sync"] == "ahead" and first["commits_ahead"] == 1
    run_git(clone, "merge", "-q", "--ff-only", "origin/main")
    assert warm_run("status", "site", "--json") is None
    assert json.loads(full("status", "site", "--json").stdout)["sync"] == "in-sync"


def test_a_new_snapshot_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    _, head = make_site(tmp_path)
    settle("status", "site", "--json")
    import_snapshot(tmp_path, head, power="poweredOff")
    assert warm_run("status", "site", "--json") is None
    assert json.loads(full("status", "site", "--json").stdout)["health"] == "progressing"


@pytest.mark.parametrize("racy", [True, False])
def test_an_edited_tracked_file_misses(
    tmp_path: Path, frozen: list[dt.datetime], monkeypatch: pytest.MonkeyPatch, racy: bool
) -> None:
    """Both ways a change is seen: the stat (an old file) and the digest (a file as new as the
    fingerprint, whose stat a same-size change within one timestamp tick could keep)."""
    if not racy:
        monkeypatch.setattr(watch, "RACY_MARGIN_NS", -(10**15))  # every file counts as old
    repo, _ = make_site(tmp_path)
    settle("status", "site", "--json")
    entry = json.loads(
        warm.entry_path(paths.cache_dir(), warm.entry_key("site", None, 3600.0, "json")).read_text()
    )
    assert bool(entry["watch"]["digests"]) is racy
    web = repo / "vms" / "web.yaml"
    web.write_text(web.read_text().replace("name: web", "name: wex"))  # same size
    assert warm_run("status", "site", "--json") is None
    after = json.loads(full("status", "site", "--json").stdout)
    assert after["repo"]["dirty"] is True
    assert warm_run("status", "site", "--json") is None  # a dirty tree is never kept


def test_a_new_untracked_file_or_folder_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    settle("status", "site", "--json")
    (repo / "vms" / "db.yaml").write_text(VM_DB)
    assert warm_run("status", "site", "--json") is None
    names = {w["name"] for w in json.loads(full("status", "site", "--json").stdout)["workloads"]}
    assert "db" in names
    (repo / "vms" / "db.yaml").unlink()
    settle("status", "site", "--json")
    (repo / "ns" / "deeper").mkdir()
    assert warm_run("status", "site", "--json") is None


@pytest.mark.skipif(sys.platform != "linux", reason="a file name that is not UTF-8 (Linux file systems)")
def test_odd_file_names_are_watched_too(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    odd = os.fsencode(str(repo / "vms")) + b"/caf\xe9 \xe2\x98\x83 .yaml"
    with open(odd, "wb") as handle:
        handle.write(b"kind: Namespace\nmetadata: {name: odd}\n")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-qm", "odd names")
    settle("status", "site", "--json")
    with open(odd, "ab") as handle:
        handle.write(b"# edited\n")
    assert warm_run("status", "site", "--json") is None
    assert json.loads(full("status", "site", "--json").stdout)["repo"]["dirty"] is True


def test_a_removed_file_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    settle("status", "site")
    (repo / "ns" / "README.md").unlink()
    assert warm_run("status", "site") is None
    assert "uncommitted changes" in full("status", "site").stdout


def test_an_index_only_change_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    settle("status", "site", "--json")
    run_git(repo, "rm", "-q", "--cached", "vms/web.yaml")  # the work tree stays as it was
    assert warm_run("status", "site", "--json") is None
    assert json.loads(full("status", "site", "--json").stdout)["repo"]["dirty"] is True


def test_an_edited_registry_entry_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    make_site(tmp_path)
    before = settle("status", "site", "--json")
    Registry.load().update_fields("site", path="vms")
    assert warm_run("status", "site", "--json") is None
    assert full("status", "site", "--json").stdout == before.stdout  # same rows, but recomputed
    assert warm_run("status", "site", "--json") is not None
    Registry.load().remove("site")
    assert warm_run("status", "site", "--json") is None
    assert run_cli("status", "site").returncode == 2


def test_git_configuration_and_environment_miss(
    tmp_path: Path, frozen: list[dt.datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = make_site(tmp_path)
    settle("status", "site")
    run_git(repo, "config", "status.showUntrackedFiles", "no")
    assert warm_run("status", "site") is None
    settle("status", "site")
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "other-index"))
    assert warm_run("status", "site") is None


def test_a_commit_message_edit_without_tree_change_misses(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    settle("status", "site")
    run_git(repo, "commit", "-q", "--amend", "-m", "renamed subject")  # HEAD moves, files do not
    assert warm_run("status", "site") is None


def test_no_entry_while_the_applied_commit_is_missing_from_the_clone(
    tmp_path: Path, frozen: list[dt.datetime]
) -> None:
    _, _ = make_site(tmp_path)
    import_snapshot(tmp_path, "0123456789abcdef0123456789abcdef01234567")
    full("status", "site")
    full("status", "site")
    assert warm_run("status", "site") is None


def test_unusual_clones_are_never_answered_warm(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    (repo / "vms" / "link.yaml").symlink_to(repo / "vms" / "web.yaml")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-qm", "link")
    full("status", "site")
    full("status", "site")
    assert warm_run("status", "site") is None  # a link's target could change unseen


def test_a_linked_worktree_is_never_answered_warm(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo = make_repo(tmp_path / "repo")
    head = commit_files(repo, "vms", {"vms/web.yaml": VM_WEB})
    run_git(repo, "worktree", "add", "-q", str(tmp_path / "linked"), "-b", "other")
    Registry.load().add(Site("site", str(tmp_path / "linked")))  # its .git is a file
    import_snapshot(tmp_path, head)
    full("status", "site")
    full("status", "site")
    assert warm_run("status", "site") is None


def test_submodules_are_never_answered_warm(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    repo, _ = make_site(tmp_path)
    settle("status", "site")
    inner = make_repo(tmp_path / "inner")
    commit_files(inner, "one", {"a.txt": "a\n"})
    run_git(repo, "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(inner), "sub")
    run_git(repo, "commit", "-qm", "sub")
    full("status", "site")
    full("status", "site")
    assert warm_run("status", "site") is None  # its new commits would change no file we watch


def test_options_the_warm_path_does_not_know_go_the_full_way(
    tmp_path: Path, frozen: list[dt.datetime]
) -> None:
    make_site(tmp_path)
    settle("status", "site")
    for args in (
        ("status", "site", "-v"),
        ("status", "site", "--js"),  # argparse's abbreviations are its business
        ("status", "--repo", "x"),
        ("status", "site", "--snapshot", "f.json"),
        ("status", "site", "other"),
        ("status",),
        ("status", "site", "--stale-after", "soon"),
        ("status", "site", "--path"),
        ("status", "site", "--json", "--json"),
        ("lint", "site"),
    ):
        assert warm_run(*args) is None, args


def test_a_damaged_entry_is_ignored_and_rewritten(tmp_path: Path, frozen: list[dt.datetime]) -> None:
    make_site(tmp_path)
    good = settle("status", "site")
    entry = warm.entry_path(paths.cache_dir(), warm.entry_key("site", None, 3600.0, "text"))
    for damage in (b"", b"{not json", b"[]", b'{"schema": "ecs-field/status-warm@1"}', b"\xff\xfe"):
        entry.write_bytes(damage)
        assert warm_run("status", "site") is None
    assert full("status", "site").stdout == good.stdout
    assert warm_run("status", "site") is not None


def test_watch_sees_each_kind_of_change(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.yaml").write_text("a: 1\n")
    listed = watch.tree(str(folder))
    assert listed is not None and sorted(os.path.relpath(p, folder) for p in listed) == [
        ".",
        "sub",
        "sub/a.yaml",
    ]
    paths_ = [*listed, str(tmp_path / "absent")]
    taken = watch.take(paths_, str(folder))
    assert taken is not None and watch.unchanged(taken)
    (tmp_path / "absent").write_text("now here")
    assert not watch.unchanged(taken)
    (tmp_path / "absent").unlink()
    assert watch.unchanged(taken)
    (folder / "sub" / "b.yaml").write_text("")
    assert not watch.unchanged(taken)
    (folder / "sub" / "b.yaml").unlink()
    taken = watch.take(paths_, str(folder))
    assert taken is not None
    digests = dict(taken["digests"])
    assert digests  # everything is new: each entry also keeps a digest
    index = next(iter(digests))
    damaged = {**taken, "digests": [[index, "0" * 32]]}
    assert not watch.unchanged(damaged)  # a digest that differs is a change, even with the same stat
    for broken in ({}, {**taken, "stats": 5}, {**taken, "digests": [[999, "x"]]}, {**taken, "root": 3}):
        assert not watch.unchanged(broken)
    (folder / "sub" / "link").symlink_to(folder / "sub" / "a.yaml")
    assert watch.tree(str(folder)) is None
    assert watch.take([str(folder / "new\nline")], str(folder)) is None


# -- outside input: the command line, the clock's text, the cache file -------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)),
    st.text(alphabet="0123456789-:TZ+. x", max_size=24),
)
def test_fast_time_reading_agrees_with_datetime(moment: dt.datetime, noise: str) -> None:
    text = moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0")
    expected = clock.parse_time(text)
    assert expected is not None
    assert clock.epoch_us(text) == (expected - EPOCH) // dt.timedelta(microseconds=1)
    fast = clock.epoch_us(noise)  # any other text: the same answer as datetime, or "not mine" (None)
    slow = clock.parse_time(noise)
    if fast is not None:
        assert slow is not None and fast == (slow - EPOCH) // dt.timedelta(microseconds=1)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["status", "site", "--json", "--path", "--stale-after", "-v", "--", "-x", "=", ""]
            ),
            st.text(max_size=8),
            st.from_regex(r"--(path|stale-after)=[-0-9a-z.e]{0,6}", fullmatch=True),
            st.floats(allow_nan=False).map(str),
        ),
        max_size=6,
    ).map(lambda words: ["status", *words])
)
def test_the_warm_path_reads_a_command_line_as_argparse_does(argv: list[str]) -> None:
    """Whatever it accepts, argparse accepts with the same meaning; everything else it leaves alone."""
    from ecs_field import cli

    parsed = status_command._plain_status_args(argv)
    if parsed is None:
        return
    args = cli.build_parser(cli.COMMANDS["status"]).parse_args(argv)
    assert (args.site, args.path, args.stale_after, args.json) == parsed
    assert args.snapshot is None and args.repo is None and not args.verbose


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=300)
    | st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    ).map(lambda v: json.dumps(v).encode())
)
def test_a_damaged_cache_file_never_breaks_the_warm_path(data: bytes) -> None:
    key = warm.entry_key("site", None, 3600.0, "text")
    entry = warm.entry_path(paths.cache_dir(), key)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(data)
    assert warm.load(paths.cache_dir(), key) is None
    assert warm_run("status", "site") is None


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["parts", "snapshot", "head", "summary", "summary_path"]), value=_json_values)
@example(field="summary_path", value="")
@example(field="summary_path", value="/")
@example(field="summary_path", value="written-in-cwd")
@example(field="snapshot", value={"taken_at": "2026-02-30T00:00:00Z", "problems": "x"})
@example(field="parts", value=["", ""])
def test_a_damaged_field_of_a_current_entry_never_breaks_status(
    tmp_path_factory: pytest.TempPathFactory, field: str, value: object
) -> None:
    """The fingerprint still matches, but a field was damaged: no traceback, no exit 70, and the
    full path answers when the warm one cannot."""
    tmp = tmp_path_factory.mktemp("damaged")
    home = tmp / "home"
    os.environ["ECS_FIELD_HOME"] = str(home)  # the per-test fixture's home is shared by all examples
    make_site(tmp)
    settle("status", "site")
    key = warm.entry_key("site", None, 3600.0, "text")
    file = warm.entry_path(paths.cache_dir(), key)
    entry = json.loads(file.read_text())
    entry[field] = value
    file.write_text(json.dumps(entry))
    before = set(os.listdir(os.getcwd()))
    warm_run("status", "site")  # answers or declines; never raises, never prints half
    # A path read from the entry is never written: only the site's own summary file is.
    assert set(os.listdir(os.getcwd())) == before
    done = run_cli("status", "site")
    assert done.returncode == 0 and done.stdout.startswith("Site site: ")


_file_names = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="/\x00"), min_size=1, max_size=12
).filter(lambda n: n not in (".", "..", ".git"))


@settings(max_examples=60, deadline=None)
@given(names=st.lists(_file_names, min_size=1, max_size=6, unique_by=str.casefold), pick=st.integers(0, 5))
def test_any_file_names_are_fingerprinted_and_each_change_seen(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], pick: int
) -> None:
    folder = tmp_path_factory.mktemp("names")
    for name in names:
        try:
            (folder / name).write_text(name)
        except OSError:  # a name this file system refuses (too long in bytes): not our input
            return
    listed = watch.tree(str(folder))
    assert listed is not None
    taken = watch.take(listed, str(folder))
    if any("\n" in name for name in names):
        assert taken is None  # kept one per line: such a tree is never fingerprinted
        return
    assert taken is not None and watch.unchanged(taken)
    assert watch.unchanged(json.loads(json.dumps(taken)))  # as kept in the cache file
    target = folder / names[pick % len(names)]
    target.write_text(target.read_text() + "!")
    assert not watch.unchanged(taken)
