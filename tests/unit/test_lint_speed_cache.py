"""The per-commit lint cache never answers for a tree it was not made from, and its fast path
(``commands.lint.fast_main``, which cli.main may call before building the parser) answers exactly
what the normal path prints, or nothing at all.

Real git repositories (tests/unit/sites/repo_builder.py); keys are compared directly (cache.key)
and through the real CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecs_field import paths
from ecs_field.commands import lint as lint_command
from ecs_field.sites.lint import cache, tree
from ecs_field.sites.lint.tree import open_tree
from tests.unit.sites.repo_builder import commit_files, make_repo, run_git

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  mode: a\n"


def key_of(root: Path, site_path: str | None = None, inventory: object = None) -> str:
    return cache.key(open_tree(root), site_path, inventory)


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecs_field", "lint", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ECS_FIELD_HOME": str(home)},
        timeout=120,
        check=False,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "site")
    commit_files(root, "one", {"apps/a.yaml": CM.format(name="a"), "apps/b.yaml": CM.format(name="b")})
    return root


def test_same_tree_same_key(site: Path) -> None:
    assert key_of(site) == key_of(site)


def test_edit_with_same_size_and_mtime_misses(site: Path) -> None:
    before = key_of(site)
    # Past a coarse kernel clock tick (a few ms), so that ctime must move. A rewrite within one tick
    # keeps every stamp: that is the racy case, test_a_racy_file_rewritten_with_the_same_stamps_misses.
    time.sleep(0.05)
    target = site / "apps" / "b.yaml"
    st = target.stat()
    with open(target, "r+b") as handle:  # in place: same inode, same size
        handle.write(CM.format(name="a").encode())
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # the mtime put back, to the nanosecond
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert key_of(site) != before


def test_adding_a_file_misses_a_hidden_one_does_not(site: Path) -> None:
    before = key_of(site)
    (site / ".notes.yaml").write_text("x: 1\n")  # hidden: never linted (Flux skips it too)
    assert key_of(site) == before
    (site / "apps" / "c.yaml").write_text(CM.format(name="c"))
    assert key_of(site) != before


def test_symlink_retargeted_misses(site: Path) -> None:
    link = site / "apps" / "link.yaml"
    link.symlink_to("a.yaml")
    before = key_of(site)
    link.unlink()
    link.symlink_to("b.yaml")
    assert key_of(site) != before
    link.unlink()
    link.symlink_to("/etc/hostname")  # out of the repository
    assert key_of(site) != before


def test_checkout_of_another_commit_misses(site: Path) -> None:
    first = key_of(site)
    commit_files(site, "two", {"apps/b.yaml": CM.format(name="z")})  # same size as before
    second = key_of(site)
    assert second != first
    run_git(site, "checkout", "-q", "HEAD~1")
    assert key_of(site) not in (second,)


def test_head_moving_alone_misses(site: Path) -> None:
    before = key_of(site)
    run_git(site, "commit", "-q", "--allow-empty", "-m", "empty")  # same files, another commit
    assert key_of(site) != before


def test_inventory_and_site_path_are_part_of_the_key(site: Path) -> None:
    plain = key_of(site)
    one = key_of(site, inventory={"nics": [{"name": "vmnic0"}]})
    two = key_of(site, inventory={"nics": [{"name": "vmnic1"}]})
    assert len({plain, one, two, key_of(site, "apps")}) == 4


def test_bare_repository_key_follows_its_branch(tmp_path: Path, site: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(site), str(bare)], check=True)
    before = key_of(bare)
    assert key_of(bare) == before
    commit_files(site, "two", {"apps/c.yaml": CM.format(name="c")})
    run_git(site, "push", "-q", str(bare), "HEAD:main")
    assert key_of(bare) != before


def test_only_files_written_within_a_tick_count_as_racy(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = 1_600_000_000_123_456_789  # 2020, with nanoseconds: a fine-grained file system
    for name in ("a.yaml", "b.yaml"):
        os.utime(site / "apps" / name, ns=(old, old))
    (site / "apps" / "b.yaml").write_text(CM.format(name="c"))  # now: within the window
    # a.yaml's ctime is recent too (utime moves it): both count; without the window neither does.
    # (Windows of a minute, so that a slow machine cannot push the files out between write and walk.)
    monkeypatch.setattr(tree, "RACY_FINE_NS", 60 * 10**9)
    monkeypatch.setattr(tree, "RACY_NS", 60 * 10**9)
    assert open_tree(site).racy_files() == ["apps/a.yaml", "apps/b.yaml"]
    monkeypatch.setattr(tree, "RACY_FINE_NS", 0)
    assert open_tree(site).racy_files() == []
    monkeypatch.setattr(tree, "_COARSE_CLOCK", True)  # whole-second clocks: the long window
    assert open_tree(site).racy_files() == ["apps/a.yaml", "apps/b.yaml"]
    monkeypatch.setattr(tree, "RACY_NS", 0)
    assert open_tree(site).racy_files() == []


def test_a_racy_file_rewritten_with_the_same_stamps_misses(site: Path) -> None:
    """The case stamps cannot see (a rewrite within the same clock tick, same size): the entry keeps
    the content digest of such files and a hit reads them again."""
    walked = open_tree(site)  # the stamps as the storing run saw them
    digest = cache.key(walked, None, None)
    racy = {"apps/b.yaml": walked.content_digest("apps/b.yaml")}
    cache.store(digest, True, 0, "{}\n", racy)
    assert cache.load(digest, True, walked) == (0, b"{}\n")
    (site / "apps" / "b.yaml").write_text(CM.format(name="x"))  # same size, other content
    assert cache.load(digest, True, walked) is None  # same key (old stamps), content differs: a miss
    (site / "apps" / "b.yaml").write_text(CM.format(name="b"))
    assert cache.load(digest, True, walked) == (0, b"{}\n")  # the content the report was made from


def test_read_folder_is_the_app_cache_folder() -> None:
    assert cache._read_folder() == paths.cache_dir() / "lint"


# -- through the CLI ---------------------------------------------------------------------------------


def test_cli_hit_is_byte_for_byte_the_miss_and_edits_are_seen(site: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for args in (("--json",), ()):
        miss = cli(str(site), *args, home=home)
        hit = cli(str(site), *args, home=home)
        assert (hit.returncode, hit.stdout, hit.stderr) == (miss.returncode, miss.stdout, "")
        assert miss.returncode == 0
    assert len(list((home / "cache" / "lint").glob("*.out"))) == 1
    target = site / "apps" / "b.yaml"
    st = target.stat()
    target.write_text(CM.format(name="a"))  # now a duplicate of a.yaml; same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    edited = cli(str(site), "--json", home=home)
    assert edited.returncode == 1
    assert [f["rule"] for f in json.loads(edited.stdout)["findings"]] == ["duplicate-object"]
    text = cli(str(site), home=home)
    assert text.returncode == 1 and "[duplicate-object]" in text.stdout


def test_fast_main_prints_what_the_normal_path_prints_or_nothing(
    site: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    normal = cli(str(site), "--json", home=tmp_path / "other-home")  # the normal path, its own cache
    assert normal.returncode == 0
    assert lint_command.fast_main([str(site), "--json"]) == 0  # a miss here: linted
    assert capfd.readouterr().out == normal.stdout
    assert lint_command.fast_main([str(site), "--json"]) == 0  # now a hit
    assert capfd.readouterr().out == normal.stdout
    for argv in (
        [],
        ["--json"],
        [str(site), "--no-cache"],
        [str(site), "--inventory", "x.json"],
        [str(site), "--json", "--json"],
        ["-h"],
        [str(site), str(site)],
        ["no-such-site-name"],
        [str(site / "apps" / "a.yaml")],
        [str(tmp_path / "bare-without-commits.git")],
    ):
        if argv and argv[0].endswith(".git"):
            subprocess.run(["git", "init", "-q", "--bare", argv[0]], check=True)
        assert lint_command.fast_main(argv) is None, argv
    assert capfd.readouterr().out == ""


def test_fast_main_leaves_a_crash_to_the_normal_path(
    site: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from ecs_field.sites.lint import linter

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(linter, "lint", broken)
    assert lint_command.fast_main([str(site)]) is None
    assert capfd.readouterr().out == ""


def test_a_truncated_or_foreign_entry_is_a_miss(site: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = cli(str(site), "--json", home=home)
    (entry,) = (home / "cache" / "lint").glob("*.out")
    data = entry.read_bytes()
    entry.write_bytes(data[:-10])
    again = cli(str(site), "--json", home=home)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    rewritten = cache.parse_entry(entry.read_bytes())  # rewritten whole (its racy list may be shorter)
    original = cache.parse_entry(data)
    assert rewritten is not None and original is not None and rewritten[:2] == original[:2]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_parse_entry_never_raises(data: bytes) -> None:
    for candidate in (data, cache._HEADER + data):
        result = cache.parse_entry(candidate)
        assert result is None or (result[0] in (0, 1) and isinstance(result[1], bytes))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([0, 1]),
    st.text(max_size=200),
    st.dictionaries(st.text(min_size=1, max_size=20), st.text(alphabet="0123456789abcdef", max_size=64)),
)
def test_entry_round_trip(code: int, text: str, racy: dict[str, str]) -> None:
    racy = {k: v for k, v in racy.items() if v}
    data = cache.entry_bytes(code, text, racy)
    assert cache.parse_entry(data) == (code, text.encode("utf-8", "surrogateescape"), racy)
    assert cache.parse_entry(data[:-1]) is None or (text == "" and not racy)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=4))
def test_fast_main_never_raises_on_any_argv(argv: list[str]) -> None:
    assume(not any(os.path.isdir(word) for word in argv))  # "/" or "." would walk real folders
    result = lint_command.fast_main(argv)
    assert result in (None, 0, 1)


def test_an_upgraded_schema_package_or_lint_module_misses(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_package = tmp_path / "kubernetes_validate" / "__init__.py"
    fake_package.parent.mkdir()
    fake_package.write_text("v1\n")
    real = cache._package_file
    monkeypatch.setattr(
        cache, "_package_file", lambda name: str(fake_package) if "kube" in name else real(name)
    )
    before = key_of(site)
    fake_package.write_text("v2 (upgraded)\n")
    assert key_of(site) != before
    upgraded = key_of(site)
    fake_package.unlink()  # uninstalled: "not checked" reports, another key
    assert key_of(site) not in (before, upgraded)
    assert cache._package_file("no_such_package_here") is None
    assert cache._package_file("yaml") is not None


def test_another_origin_url_misses(site: Path) -> None:
    # lint reads origin's URL from .git/config (is a Flux GitRepository this repository?)
    run_git(site, "remote", "add", "origin", "https://git.example.invalid/a/site.git")
    before = key_of(site)
    time.sleep(0.05)  # past a coarse clock tick, as above
    run_git(site, "remote", "set-url", "origin", "https://git.example.invalid/b/site.git")
    assert key_of(site) != before


NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=12,
).filter(lambda n: n not in (".", "..") and not n.startswith("."))


@settings(max_examples=40, deadline=None)
@given(st.lists(NAME, min_size=1, max_size=4, unique=True), NAME)
def test_any_file_names_key_and_round_trip(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], extra: str
) -> None:
    root = tmp_path_factory.mktemp("names")
    for name in names:
        try:
            (root / name).write_bytes(b"a: 1\n")
        except OSError:  # a name this file system refuses (too long in bytes, ...)
            return
    raw = os.fsencode(root) + b"/raw-\xff\xfe.yaml"  # not UTF-8: kept as surrogate escapes
    with open(raw, "wb") as handle:
        handle.write(b"b: 2\n")
    walked = open_tree(root)
    digest = cache.key(walked, None, None)
    assert cache.key(open_tree(root), None, None) == digest
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tree, "RACY_FINE_NS", 10**18)  # all just written: all racy, however slow the machine
        racy = cache.racy_digests(walked)
    assert len(racy) == len(names) + 1
    cache.store(digest, False, 0, "ok\n", racy)
    assert cache.load(digest, False, walked) == (0, b"ok\n")
    with open(raw, "wb") as handle:
        handle.write(b"b: 3\n")  # same size
    assert cache.load(digest, False, walked) is None
    if extra not in names:
        try:
            (root / extra).write_bytes(b"")
        except OSError:
            return
        assert cache.key(open_tree(root), None, None) != digest
