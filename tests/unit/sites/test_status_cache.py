"""The per-commit desired rows and the finished-status cache: right answers first, speed second.

The fast reader (libyaml events) must give the same rows and lines as the bounded loader; the
caches must never answer for another commit, a dirty tree or another snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field import paths
from ecs_field.sites.registry import Registry, Site
from ecs_field.sites.repo import safe_yaml
from ecs_field.sites.status import desired
from ecs_field.sites.status.gitread import GitReader
from ecs_field.sites.status.snapshot import format_time, utc_now
from tests.clirun import run_cli
from tests.unit.sites.repo_builder import commit_files, flux_vm_snapshot, make_repo, run_git

TRICKY = {
    "multi.yaml": (
        "# leading comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n---\n\n"
        "# second\napiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata:\n"
        "  name: web\n  namespace: apps\nspec:\n  powerState: poweredOff\n  className: small\n---\n"
    ),
    "list.yaml": (
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, "
        "namespace: apps}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n"
    ),
    "anchors.yaml": (
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachineClass\nmetadata: &m\n  name: big\n"
        "spec:\n  hardware:\n    cpus: 8\n    memory: 32Gi\n"
    ),
    "nulls.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  namespace: ~\n",
    "date.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 2026-01-02\n  namespace: apps\n",
    "flow.yaml": '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flowy"}}\n',
    "scalar.yaml": "just a string\n",
    "seq.yaml": "- a\n- b\n",
    "kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
    ),
    "host.yaml": (
        "apiVersion: esx.vmware.com/v1alpha1\nkind: HostConfiguration\nmetadata:\n  name: ntp\n"
        '  namespace: esx-system\nspec:\n  profile: |\n    {"esx": {"system": {}, "network": {}}}\n'
    ),
    "broken.yaml": "apiVersion: v1\nkind: [unclosed\n",
    "quoted.yaml": 'apiVersion: "v1"\nkind: \'Namespace\'\nmetadata:\n  name: "null"\n',
}


def _reference_rows(path: Path, rel: str) -> list[desired.DesiredRow]:
    loaded = safe_yaml.load_text(path.read_text())
    return [row for d in loaded.documents for row in desired._rows_of(d.value, rel, d.line)]


def test_fast_reader_gives_the_bounded_loaders_rows_and_lines(tmp_path: Path) -> None:
    for name, text in TRICKY.items():
        (tmp_path / name).write_text(text)
    rows = desired.desired_rows(tmp_path, None)
    expected = [row for name in sorted(TRICKY) for row in _reference_rows(tmp_path / name, name)]
    assert rows == expected
    by_name = {r.name: r for r in rows}
    assert by_name["web"].line == 10 and by_name["web"].desired == "poweredOff, class small"
    assert by_name["big"].desired == "8 vCPU, 32Gi memory"
    assert by_name["ntp"].desired == "profile: network, system"
    assert by_name["n"].namespace is None and by_name["null"].kind == "Namespace"
    assert {"a", "b"} <= set(by_name)


_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=_names, name=_names, namespace=_names, power=_names, docs=st.integers(1, 3))
def test_fast_and_bounded_readers_agree_on_generated_manifests(
    tmp_path: Path, kind: str, name: str, namespace: str, power: str, docs: int
) -> None:
    body = (
        f"apiVersion: v1\nkind: {json.dumps(kind)}\nmetadata:\n  name: {json.dumps(name)}\n"
        f"  namespace: {json.dumps(namespace)}\nspec:\n  powerState: {json.dumps(power)}\n"
    )
    file = tmp_path / "gen.yaml"
    file.write_text("---\n".join([body] * docs))
    fast = desired._documents(str(file))
    rows = [r for value, line in fast for r in desired._rows_of(value, "gen.yaml", line)]
    assert rows == _reference_rows(file, "gen.yaml")


def test_hostile_files_are_read_by_the_bounded_loader_without_crashing(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("a:\n" + "".join("  " * i + "- \n" for i in range(1, 5000)))
    (tmp_path / "flow.yaml").write_text("[" * 10000 + "]" * 10000)
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]" for i in range(1, 9)
    ]
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\nkind: Namespace\nmetadata: {name: x}\n")
    (tmp_path / "num.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + "9" * 5000 + "\n"
    )
    rows = desired.desired_rows(tmp_path, None)
    assert all(len(r.name) < 6000 for r in rows)


def test_rows_are_cached_per_commit_and_only_then(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    one = commit_files(repo, "one", {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"})
    first = desired.desired_rows(repo, None, commit=one)
    cached = list(desired.cache_folder().glob("desired-*.json"))
    assert len(cached) == 1 and one in cached[0].name
    # a cache file that lies is believed only for its own commit
    document = json.loads(cached[0].read_text())
    document["rows"][0][2] = "from-the-cache"
    cached[0].write_text(json.dumps(document))
    assert desired.desired_rows(repo, None, commit=one)[0].name == "from-the-cache"
    two = commit_files(repo, "two", {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"})
    assert desired.desired_rows(repo, None, commit=two)[0].name == "b"
    assert desired.desired_rows(repo, None, commit=None)[0].name == "b"  # no commit: the files
    run_git(repo, "checkout", "-q", one)
    cached[0].write_text("{not json")
    assert desired.desired_rows(repo, None, commit=one) == first  # a broken cache: the files again


def _status_site(tmp_path: Path) -> tuple[Path, str]:
    repo = make_repo(tmp_path / "repo")
    head = commit_files(
        repo,
        "vms",
        {
            "vm.yaml": "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\n"
            "metadata: {name: web, namespace: apps}\nspec: {powerState: poweredOn}\n"
        },
    )
    Registry.load().add(Site("cached", str(repo)))
    return repo, head


def _import(tmp_path: Path, head: str, power: str) -> None:
    snapshot = flux_vm_snapshot(head, format_time(utc_now()), power=power)
    (tmp_path / "s.json").write_text(json.dumps(snapshot))
    assert run_cli("snapshot", "import", "cached", str(tmp_path / "s.json")).returncode == 0


def _status(**_: object) -> dict[str, object]:
    done = run_cli("status", "cached", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_finished_status_is_cached_until_commit_snapshot_or_tree_change(tmp_path: Path) -> None:
    repo, head = _status_site(tmp_path)
    _import(tmp_path, head, "poweredOn")
    assert _status()["health"] == "healthy"
    folder = paths.cache_dir() / "status"
    assert len(list(folder.glob("status-*.json"))) == 1
    assert _status()["health"] == "healthy"  # warm: same answer
    _import(tmp_path, head, "poweredOff")  # a new snapshot: recomputed
    assert _status()["health"] == "progressing"
    (repo / "vm.yaml").write_text((repo / "vm.yaml").read_text().replace("web", "web-2"))  # dirty
    dirty = _status()
    assert dirty["repo"]["dirty"] is True and {w["name"] for w in dirty["workloads"]} >= {"web-2"}
    run_git(repo, "commit", "-qam", "rename")  # a new commit: behind by one
    after = _status()
    assert after["sync"] == "behind" and after["commits_behind"] == 1


def test_age_moves_on_in_a_cached_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecs_field.sites.status import status_cache

    _, head = _status_site(tmp_path)
    _import(tmp_path, head, "poweredOn")
    first = _status()
    document = dict(first)
    document["snapshot"] = dict(first["snapshot"], age_s=0.0)  # type: ignore[arg-type]
    later = status_cache.refresh_times(document, 3600.0, now=utc_now().replace(year=utc_now().year + 1))
    assert later["snapshot"]["stale"] is True and later["snapshot"]["age_s"] > 3600 * 24 * 300


def test_git_reader_answers_like_the_git_library(tmp_path: Path) -> None:
    from ecs_field.sites.repo.gitrepo import SiteRepo

    repo = make_repo(tmp_path / "repo")
    a = commit_files(repo, "a", {"a.yaml": "x: 1\n"})
    b = commit_files(repo, "b", {"b.yaml": "x: 2\n"})
    light, full = GitReader(repo), SiteRepo(repo)
    assert light.branch == full.branch == "main"
    assert light.head().sha == full.head().sha == b
    assert light.resolve(f"main@sha1:{a}") == full.resolve(f"main@sha1:{a}") == a
    assert light.resolve("-x") is None and light.resolve("0" * 40) is None
    assert light.is_ancestor(a, b) and not light.is_ancestor(b, a)
    assert light.count_between(a, b) == full.count_between(a, b) == 1
    assert [c.files for c in light.commits_between(a, b)] == [("b.yaml",)]
    assert light.commit(a).subject == "a" and light.is_dirty() is False
    (repo / "a.yaml").write_text("x: 3\n")
    assert GitReader(repo).is_dirty() is True
    bare = tmp_path / "bare.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    from ecs_field.errors import BadInput

    with pytest.raises(BadInput, match="bare repository"):
        GitReader(bare)
    with pytest.raises(BadInput, match="not a Git repository"):
        GitReader(tmp_path)


def test_an_untracked_manifest_is_read_not_answered_from_a_cache(tmp_path: Path) -> None:
    repo, head = _status_site(tmp_path)
    _import(tmp_path, head, "poweredOn")
    assert {w["name"] for w in _status()["workloads"]} == {"web"}
    _status()  # cached now
    (repo / "extra").mkdir()
    (repo / "extra" / "vm2.yaml").write_text(
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\n"
        "metadata: {name: web-b, namespace: apps}\n"
    )
    seen = _status()
    assert seen["repo"]["dirty"] is False  # "dirty" keeps meaning tracked changes
    assert {w["name"] for w in seen["workloads"]} == {"web", "web-b"}
    assert GitReader(repo).files_are_head() is False


def test_links_fifos_and_big_files_are_never_read(tmp_path: Path) -> None:
    import os
    import sys

    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: secret-outside}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ok.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: inside}\n")
    if sys.platform != "win32":
        (repo / "link.yaml").symlink_to(outside)
        os.mkfifo(repo / "pipe.yaml")
    (repo / "big.yaml").write_bytes(b"a: b\n" * (desired.MAX_FILE_BYTES // 5 + 1))
    assert [r.name for r in desired.desired_rows(repo, None)] == ["inside"]
