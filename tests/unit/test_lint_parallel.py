"""Lint's parallel parse (sites/lint/prefetch.py): the same report byte for byte with and without the
worker pool (fork and spawn), on the fixture repositories and on a generated multi-file repository
with findings in several files; a pool that cannot start, a worker that dies or fails, or an
answer that cannot be read falls back to parsing in process; Ctrl-C stops the workers at once."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.commands.lint import _lint_text
from ecs_field.sites.lint import forked, linter, prefetch
from ecs_field.sites.repo import manifests, safe_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the files each side parsed, so a test knows the pool really ran (or did not)."""
    seen = {"worker_files": 0, "own_files": 0}
    real_content, real_parse = prefetch.file_content, prefetch.parse_file

    def content(rel: str, data: bytes, loaded: safe_yaml.LoadResult) -> manifests.FileContent:
        seen["worker_files"] += 1
        return real_content(rel, data, loaded)

    def parse(rel: str, data: bytes | safe_yaml.LoadIssue) -> manifests.FileContent:
        seen["own_files"] += 1
        return real_parse(rel, data)

    monkeypatch.setattr(prefetch, "file_content", content)
    monkeypatch.setattr(prefetch, "parse_file", parse)
    return seen


def report(root: Path, subpath: str | None = None) -> tuple[str, str]:
    """(text, --json) of a cold lint: parse_file's in-process cache is emptied first."""
    out = []
    for as_json in (False, True):
        manifests._parsed.clear()
        code, text = _lint_text(root, subpath, None, None, as_json)
        out.append(f"{code}\n{text}")
    return out[0], out[1]


def serial_report(root: Path, monkeypatch: pytest.MonkeyPatch, subpath: str | None = None) -> tuple[str, str]:
    with monkeypatch.context() as m:
        m.setattr(prefetch, "MIN_BYTES", 10**15)
        m.setattr(linter, "FORK_MIN_OBJECTS", 10**15)
        return report(root, subpath)


def generated_repo(root: Path, files: int = 5) -> Path:
    """Files of ConfigMaps (duplicates across files), a Deployment with a text replicas, a Secret
    without apiVersion, an alias, a syntax error, non-UTF-8 bytes, and a kustomization in a folder."""
    for f in range(files):
        docs = [
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: apps\n"
            f"data:\n  key: value-{i}\n"
            for i in range(30 + 7 * f)
        ]
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{f}\n  labels: &l {{app: w}}\n"
            "spec:\n  replicas: three\n  selector: {matchLabels: *l}\n  template:\n"
            "    metadata: {labels: *l}\n    spec:\n      containers:\n      - name: c\n"
        )
        docs.append("kind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n")
        if f == 2:
            docs.append("a: [1, 2\n")
        (root / f"f{f}.yaml").write_text("---\n".join(docs))
    (root / "latin1.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n")
    app = root / "app"
    app.mkdir()
    (app / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml, gone.yaml]\n"
    )
    (app / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: apps\n"
    )
    return root


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool even for a small tree, with two workers even on a one-CPU machine."""
    monkeypatch.setattr(prefetch, "MIN_BYTES", 1)
    monkeypatch.setattr(prefetch, "usable_cpus", lambda: 3)
    monkeypatch.setattr(linter, "FORK_MIN_OBJECTS", 1)  # schema validation in a forked child too


# -- the same report -------------------------------------------------------------------------------


@pytest.mark.usefixtures("parallel")
def test_generated_repo_same_report_with_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: dict[str, int]
) -> None:
    root = generated_repo(tmp_path)
    serial = serial_report(root, monkeypatch)
    assert calls == {"worker_files": 0, "own_files": 0}
    text, as_json = report(root)
    assert calls["worker_files"] >= 2 and calls["own_files"] >= 1  # both sides parsed files
    assert (text, as_json) == serial
    # findings in several files, from the loader, the per-object rules and the cross-object ones
    for needle in ("f0.yaml", "f1.yaml", "f2.yaml", "f4.yaml", "latin1.yaml", "app/kustomization.yaml"):
        assert needle in text
    for rule in ("duplicate-object", "schema-type", "missing-apiversion", "yaml-syntax"):
        assert rule in as_json


@pytest.mark.usefixtures("parallel")
@pytest.mark.parametrize(
    ("repo", "subpath"),
    [
        ("ecs-site", None),
        ("flux-bootstrap", None),
        ("flux-bootstrap", "clusters/depot-7"),
        ("ecs-example-style", None),
    ],
)
def test_fixture_repos_same_report_with_the_pool(
    repo: str, subpath: str | None, monkeypatch: pytest.MonkeyPatch, calls: dict[str, int]
) -> None:
    root = FIXTURES / repo
    serial = serial_report(root, monkeypatch, subpath)
    assert report(root, subpath) == serial
    assert calls["worker_files"] >= 1


@pytest.mark.usefixtures("parallel")
def test_spawn_start_method_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: dict[str, int]
) -> None:
    """macOS and Windows start workers with spawn: a new interpreter that imports the worker."""
    root = generated_repo(tmp_path, files=3)
    serial = serial_report(root, monkeypatch)
    monkeypatch.setattr(prefetch, "START_METHOD", "spawn")
    assert report(root) == serial
    assert calls["worker_files"] >= 1


def test_below_the_threshold_no_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*_: object) -> None:
        raise AssertionError("a pool for a small tree")

    monkeypatch.setattr(prefetch, "_run", no_pool)
    root = generated_repo(tmp_path)
    assert sum(f.stat().st_size for f in root.rglob("*.yaml")) < prefetch.MIN_BYTES
    text, _ = report(root)
    assert "duplicate-object" in text


@pytest.mark.usefixtures("parallel")
def test_one_cpu_no_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefetch, "usable_cpus", lambda: 1)
    monkeypatch.setattr(prefetch, "_run", lambda *_: pytest.fail("a pool on one CPU"))
    assert prefetch.prefetch([("a.yaml", 10**7), ("b.yaml", 10**7)], lambda _: b"a: 1\n") == {}


# -- falling back ----------------------------------------------------------------------------------


def _die(job: list[tuple[str, bytes]]) -> list[bytes]:
    os._exit(3)  # a worker killed mid-file (out of memory, a crash in C)


def _fail(job: list[tuple[str, bytes]]) -> list[bytes]:
    raise MemoryError("worker out of memory")


def _garbage(job: list[tuple[str, bytes]]) -> list[bytes]:
    return [b"m\x00not marshal" for _ in job]


def _sleep(job: list[tuple[str, bytes]]) -> list[bytes]:
    time.sleep(120)
    return []


@pytest.mark.usefixtures("parallel")
@pytest.mark.parametrize("worker", [_die, _fail, _garbage])
def test_failing_worker_falls_back_to_the_same_report(
    worker: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: dict[str, int]
) -> None:
    root = generated_repo(tmp_path)
    serial = serial_report(root, monkeypatch)
    monkeypatch.setattr(prefetch, "parse_files", worker)
    assert report(root) == serial
    assert calls["worker_files"] == 0  # nothing came from the workers: the model parsed those files
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("parallel")
def test_pool_that_cannot_start_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = generated_repo(tmp_path)
    serial = serial_report(root, monkeypatch)

    def no_semaphores() -> object:
        raise OSError(38, "Function not implemented")  # sem_open missing (some containers, Android)

    monkeypatch.setattr(prefetch, "_context", no_semaphores)
    assert report(root) == serial


@pytest.mark.usefixtures("parallel")
def test_ctrl_c_stops_the_workers_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = generated_repo(tmp_path)
    monkeypatch.setattr(prefetch, "parse_files", _sleep)

    def interrupted(rel: str, data: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(prefetch, "parse_file", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        report(root)
    assert time.monotonic() - started < 20  # the workers sleep 120 s: they were not waited for
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []


# -- the parts -------------------------------------------------------------------------------------


def test_split_gives_every_file_once_and_balances_bytes() -> None:
    files = sorted(((f"f{i}.yaml", 1000 + 97 * i) for i in range(23)), key=lambda f: -f[1])
    for workers in (1, 2, 3, 7):
        own, shares = prefetch.split(files, workers)
        placed = own + [rel for share in shares for rel in share]
        assert sorted(placed) == sorted(rel for rel, _ in files)
        size = dict(files)
        loads = [sum(size[r] for r in share) for share in shares]
        own_load = sum(size[r] for r in own) + prefetch._RECEIVE_COST * sum(loads)
        assert max(loads) - min(loads) <= max(size.values())
        assert abs(own_load - max(loads)) <= max(size.values())
    assert prefetch.split([("only.yaml", 10)], 1)[1] in ([], [["only.yaml"]])


_yaml_text = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            [
                "a: 1",
                "- x",
                "b: &a [1, 2]",
                "c: *a",
                "---",
                "d: |\n  t\n  u",
                "e: {f: 0x1F, g: 1e400}",
                "h: 2001-12-14",
                "? [k]\n: v",
                "i: !!binary aGk=",
                "j: .nan",
                "  - bad",
                "k: 'é'",
            ]
        ),
        max_size=12,
    ).map("\n".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_yaml_text)
def test_worker_answer_round_trips_to_the_same_load(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    loaded = safe_yaml.load_bytes(data)
    decoded = prefetch._decode(prefetch._encode(loaded))
    assert repr(decoded) == repr(loaded)  # repr: a .nan is not equal to itself


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_damaged_answer_is_none_not_a_traceback(answer: bytes) -> None:
    decoded = prefetch._decode(b"m" + answer)
    assert decoded is None or isinstance(decoded, safe_yaml.LoadResult)


def test_fork_only_from_a_single_threaded_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import threading

    if not sys.platform.startswith("linux"):
        pytest.skip("fork is chosen on Linux only")
    assert prefetch._context().get_start_method() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert prefetch._context().get_start_method() == "spawn"
    finally:
        stop.set()
        other.join()


# -- rule families in a forked child (forked.py) -----------------------------------------------------

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: Linux and macOS only")


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What each forked child sent back (None: it failed and its families ran here)."""
    seen: list[object] = []
    real = forked._finish

    def finish(child: tuple[int, int]) -> object:
        seen.append(real(child))
        return seen[-1]

    monkeypatch.setattr(forked, "_finish", finish)
    return seen


@needs_fork
@pytest.mark.usefixtures("parallel")
def test_forked_schema_family_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: list[object]
) -> None:
    if not forked.usable():
        pytest.skip("a thread is running in this test process")
    root = generated_repo(tmp_path)
    serial = serial_report(root, monkeypatch)
    assert answers == []
    text, as_json = report(root)
    assert (text, as_json) == serial
    assert len(answers) == 2 and all(isinstance(a, list) and a for a in answers)  # text and --json
    assert "schema-type" in text


def _child_dies(ctx: Any, parent: int = os.getpid()) -> list[object]:
    if os.getpid() != parent:
        os._exit(9)
    return list(RULES_SCHEMAS(ctx))


def _child_raises(ctx: Any, parent: int = os.getpid()) -> list[object]:
    if os.getpid() != parent:
        raise MemoryError("child out of memory")
    return list(RULES_SCHEMAS(ctx))


RULES_SCHEMAS = linter.RULE_FAMILIES["schemas"]


@needs_fork
@pytest.mark.usefixtures("parallel")
@pytest.mark.parametrize("family", [_child_dies, _child_raises])
def test_failing_child_runs_its_family_here(
    family: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: list[object]
) -> None:
    if not forked.usable():
        pytest.skip("a thread is running in this test process")
    root = generated_repo(tmp_path)
    serial = serial_report(root, monkeypatch)
    monkeypatch.setitem(linter.RULE_FAMILIES, "schemas", family)
    assert report(root) == serial
    assert answers == [None, None]


@needs_fork
@pytest.mark.usefixtures("parallel")
def test_ctrl_c_kills_the_forked_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not forked.usable():
        pytest.skip("a thread is running in this test process")
    root = generated_repo(tmp_path)
    children: list[int] = []
    real_start = forked._start

    def start(ctx: Any, families: list[forked.Family]) -> tuple[int, int] | None:
        child = real_start(ctx, families)
        assert child is not None
        children.append(child[0])
        return child

    def slow(ctx: object) -> list[object]:
        time.sleep(120)
        return []

    def interrupted(ctx: object) -> list[object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(forked, "_start", start)
    monkeypatch.setitem(linter.RULE_FAMILIES, "schemas", slow)
    monkeypatch.setitem(linter.RULE_FAMILIES, "structure", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        report(root)
    assert time.monotonic() - started < 20
    assert len(children) == 1
    with pytest.raises(ChildProcessError):  # killed and reaped: no zombie left behind
        os.waitpid(children[0], os.WNOHANG)


def test_below_the_object_count_no_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "_start", lambda *_: pytest.fail("forked for a small tree"))
    text, _ = report(generated_repo(tmp_path))
    assert "schema-type" in text
