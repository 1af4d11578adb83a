"""Snapshot files from outside: checked before caching, the previous snapshot kept, Secrets dropped,
future dates flagged. Property tests: any bytes or any JSON/YAML shape gives exit 0 or 2, never a
traceback, never a hang."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.errors import BadInput
from ecs_field.sites.registry import Registry, Site
from ecs_field.sites.status.snapshot import SCHEMA, SnapshotStore, format_time, import_snapshot, utc_now
from ecs_field.sites.status.snapshot_input import DROPPED, MAX_DEPTH
from tests.clirun import run_cli

VM = {
    "apiVersion": "vmoperator.vmware.com/v1alpha1",
    "kind": "VirtualMachine",
    "metadata": {"name": "web-01", "namespace": "apps", "generation": 1},
    "status": {"powerState": "poweredOn", "conditions": [{"type": "Ready", "status": "True"}]},
}


def _own(
    items: list[object], taken_at: object = "2026-12-01T10:00:00Z", **extra: object
) -> dict[str, object]:
    return {"schema": SCHEMA, "site": "s", "taken_at": taken_at, "source": "test", "items": items, **extra}


def _write(path: Path, document: object, as_yaml: bool = False) -> Path:
    path.write_text(yaml.safe_dump(document) if as_yaml else json.dumps(document))
    return path


def _site(tmp_path: Path) -> None:
    Registry.load().add(Site("depot", str(tmp_path)))


# -- field checks name the field --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{**VM, "metadata": {"name": ["a"]}}], "items[0].metadata.name"),
        ([{**VM, "status": "Ready"}], "items[0].status"),
        ([{**VM, "status": {"conditions": {"type": "Ready"}}}], "items[0].status.conditions"),
        ([{**VM, "status": {"conditions": [{"type": 5}]}}], "items[0].status.conditions[0].type"),
        ([{**VM, "metadata": {"name": "x", "generation": "one"}}], "items[0].metadata.generation"),
        ([VM, {"kind": ["VirtualMachine"]}], "items[1].kind"),
        ([{"kind": "Event", "count": "many"}], "items[0].count"),
    ],
)
def test_bad_fields_are_exit_2_naming_the_field(tmp_path: Path, items: list[object], field: str) -> None:
    file = _write(tmp_path / "snap.json", _own(items))
    with pytest.raises(BadInput) as info:
        import_snapshot(file)
    assert field in info.value.message and info.value.exit_code == 2


def test_kubectl_list_item_with_a_bad_field_names_it(tmp_path: Path) -> None:
    document = {"apiVersion": "v1", "kind": "List", "items": [VM, {**VM, "spec": ["not", "a", "map"]}]}
    with pytest.raises(BadInput) as info:
        import_snapshot(_write(tmp_path / "k.yaml", document, as_yaml=True))
    assert "items[1].spec" in info.value.message and "expected a mapping" in info.value.message


def test_taken_at_as_a_yaml_date_is_read_as_a_time(tmp_path: Path) -> None:
    text = f"schema: {SCHEMA}\nsite: s\ntaken_at: 2026-12-01T10:00:00Z\nsource: test\nitems: []\n"
    (tmp_path / "snap.yaml").write_text(text)
    snapshot = import_snapshot(tmp_path / "snap.yaml")
    assert snapshot.taken_at == "2026-12-01T10:00:00Z"
    (tmp_path / "bad.yaml").write_text(text.replace("2026-12-01T10:00:00Z", "[1, 2]"))
    with pytest.raises(BadInput) as info:
        import_snapshot(tmp_path / "bad.yaml")
    assert "taken_at" in info.value.message


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(
            f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join(f"*{chr(96 + i)}" for _ in range(10)) + "]"
        )
    lines.append("kind: List\nitems: []")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInput) as info:
        import_snapshot(tmp_path / "bomb.yaml")
    assert "alias" in info.value.message.lower()


def test_deep_nesting_is_refused_in_json_and_yaml(tmp_path: Path) -> None:
    deep: object = "x"
    for _ in range(MAX_DEPTH + 5):
        deep = {"a": deep}
    with pytest.raises(BadInput) as info:
        import_snapshot(_write(tmp_path / "deep.json", _own([{**VM, "spec": deep}])))
    assert "nested more than" in info.value.message and "items[0].spec" in info.value.message
    (tmp_path / "deeper.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BadInput):
        import_snapshot(tmp_path / "deeper.json")
    (tmp_path / "deep.yaml").write_text(
        "kind: List\nitems:\n" + "".join("  " * i + "- \n" for i in range(3000))
    )
    with pytest.raises(BadInput):
        import_snapshot(tmp_path / "deep.yaml")


def test_size_limit_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecs_field.sites.status import snapshot_input

    monkeypatch.setattr(snapshot_input, "MAX_JSON_BYTES", 1000)
    big = _write(tmp_path / "big.json", _own([VM] * 20))
    with pytest.raises(BadInput) as info:
        import_snapshot(big)
    assert "MB limit" in info.value.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "snap.json"
    os.mkfifo(fifo)
    with pytest.raises(BadInput) as info:
        import_snapshot(fifo)
    assert "not a regular file" in info.value.message


def test_non_text_key_and_binary_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(
        "kind: List\nitems:\n- kind: VirtualMachine\n  metadata: {name: a}\n  1: x\n"
    )
    with pytest.raises(BadInput) as info:
        import_snapshot(tmp_path / "k.yaml")
    assert "not text" in info.value.message
    (tmp_path / "b.json").write_bytes(b"{\x00\x01")
    with pytest.raises(BadInput):
        import_snapshot(tmp_path / "b.json")


# -- the CLI keeps the previous snapshot ------------------------------------------------------------
def test_a_bad_import_keeps_the_previous_snapshot_and_status_works(tmp_path: Path) -> None:
    _site(tmp_path)
    good = _write(tmp_path / "good.json", _own([VM], taken_at=format_time(utc_now())))
    assert run_cli("snapshot", "import", "depot", str(good)).returncode == 0
    before = SnapshotStore("depot").current_path.read_bytes()
    for name, document in (
        ("bad1.json", _own([{**VM, "metadata": {"name": {"x": 1}}}])),
        ("bad2.json", _own("not a list")),
        ("bad3.json", {"schema": "someone-else@1", "items": []}),
    ):
        done = run_cli("snapshot", "import", "depot", str(_write(tmp_path / name, document)))
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert SnapshotStore("depot").current_path.read_bytes() == before
    assert SnapshotStore("depot").load().snapshot is not None


# -- secrets ----------------------------------------------------------------------------------------
def test_secret_values_never_reach_the_cache(tmp_path: Path) -> None:
    _site(tmp_path)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "vm-creds",
            "namespace": "apps",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"password":"c3VwZXJzM2NyZXQ="}}'
            },
        },
        "data": {"password": "c3VwZXJzM2NyZXQ="},
        "stringData": {"token": "plain-t0ken-value"},
    }
    file = _write(tmp_path / "k.json", {"apiVersion": "v1", "kind": "List", "items": [secret, VM]})
    done = run_cli("snapshot", "import", "depot", str(file))
    assert done.returncode == 0, done.stderr
    cached = SnapshotStore("depot").current_path.read_text()
    assert "c3VwZXJzM2NyZXQ=" not in cached and "plain-t0ken-value" not in cached
    stored = SnapshotStore("depot").load().snapshot
    assert stored is not None
    kept = stored.find("Secret", "vm-creds", "apps")
    assert kept is not None and kept["data"] == {"password": DROPPED}  # the key names stay
    assert any("Secret values dropped" in note for note in stored.notes)


# -- the future -------------------------------------------------------------------------------------
def test_a_snapshot_dated_in_the_future_is_flagged(tmp_path: Path) -> None:
    from tests.unit.sites.repo_builder import commit_files, make_repo

    repo = make_repo(tmp_path / "repo")
    commit_files(repo, "one", {"a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n"})
    Registry.load().add(Site("later", str(repo)))
    future = format_time(utc_now() + dt.timedelta(hours=3))
    file = _write(tmp_path / "f.json", _own([VM], taken_at=future))
    done = run_cli("snapshot", "import", "later", str(file))
    assert done.returncode == 0 and "in the future" in done.stderr
    status = run_cli("status", "later", "--json")
    data = json.loads(status.stdout)
    assert data["snapshot"]["future"] is True and data["snapshot"]["stale"] is True
    assert any("in the future" in p for p in data["snapshot"]["problems"])
    text = run_cli("status", "later")
    assert "snapshot dated in the future" in text.stdout.splitlines()[0]
    listed = json.loads(run_cli("sites", "list", "--json").stdout)
    assert listed[0]["stale"] is True and any("future" in p for p in listed[0]["problems"])


# -- properties -------------------------------------------------------------------------------------
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
_shapes = st.one_of(
    _json,
    st.builds(_own, st.lists(_json, max_size=4)),
    st.builds(
        lambda items: {"apiVersion": "v1", "kind": "List", "items": items}, st.lists(_json, max_size=4)
    ),
    st.builds(
        lambda meta, status: {"kind": "VirtualMachine", "metadata": meta, "status": status}, _json, _json
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_shapes, as_yaml=st.booleans())
def test_any_document_imports_or_is_bad_input(tmp_path: Path, document: object, as_yaml: bool) -> None:
    file = tmp_path / ("p.yaml" if as_yaml else "p.json")
    try:
        file.write_text(yaml.safe_dump(document) if as_yaml else json.dumps(document))
    except (ValueError, yaml.YAMLError):
        return
    try:
        snapshot = import_snapshot(file)
    except BadInput as exc:
        assert exc.message
        return
    SnapshotStore("prop", root=tmp_path / "store").save(snapshot)  # what imports, caches and reads back
    assert SnapshotStore("prop", root=tmp_path / "store").load().snapshot is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_any_bytes_import_or_are_bad_input(tmp_path: Path, data: bytes) -> None:
    file = tmp_path / "raw.json"
    file.write_bytes(data)
    with contextlib.suppress(BadInput):
        import_snapshot(file)


def test_hostile_import_through_the_cli_is_never_exit_70(tmp_path: Path) -> None:
    _site(tmp_path)
    cases = {
        "num.yaml": "kind: List\nitems:\n- kind: VirtualMachine\n  metadata: {name: " + "9" * 5000 + "}\n",
        "tag.yaml": "kind: List\nitems:\n- !!python/object:os.system {}\n",
        "dup.json": '{"schema": "ecs-field/snapshot@1", "taken_at": "x", "items": []}',
        "list.json": "[1, 2, 3]",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        done = run_cli("snapshot", "import", "depot", str(tmp_path / name))
        assert done.returncode in (0, 2), (name, done.stderr)
        assert "internal error" not in done.stderr, name
