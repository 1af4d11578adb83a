"""Snapshot import (app file, kubectl JSON/YAML) and the per-site cache that never loses the last good one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from ecs_field import paths
from ecs_field.errors import BadInput
from ecs_field.sites.status.snapshot import (
    SCHEMA,
    Snapshot,
    SnapshotStore,
    import_snapshot,
    load_snapshot,
    save_snapshot,
)

VM = {
    "apiVersion": "vmoperator.vmware.com/v1alpha1",
    "kind": "VirtualMachine",
    "metadata": {
        "name": "web",
        "namespace": "apps",
        "managedFields": [{"x": 1}],
        "annotations": {"veco.vmware.com/gitops-status": "Pulled"},
    },
    "spec": {"powerState": "poweredOn"},
    "status": {"powerState": "poweredOff", "phase": "Created"},
}


def _snap(taken_at: str = "2026-11-26T10:00:00Z", n: int = 1) -> Snapshot:
    return Snapshot(
        taken_at=taken_at,
        source="test",
        items=[dict(VM, metadata={"name": f"vm{i}"}) for i in range(n)],
        listed_kinds=["VirtualMachine"],
    )


def test_import_kubectl_json_list(tmp_path: Path) -> None:
    path = tmp_path / "vms.json"
    path.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [VM], "metadata": {"resourceVersion": ""}})
    )
    snap = import_snapshot(path, site="s")
    assert snap.of_kind("VirtualMachine")[0]["metadata"]["name"] == "web"
    assert "managedFields" not in snap.items[0]["metadata"]
    assert snap.listed_kinds == ["VirtualMachine"]
    assert snap.source == "import vms.json"
    assert snap.site == "s"
    assert [w.word for w in snap.gitops_words()] == ["Pulled"]


def test_import_typed_list_fills_kind(tmp_path: Path) -> None:
    item = {k: v for k, v in VM.items() if k not in ("kind", "apiVersion")}
    path = tmp_path / "vms.json"
    path.write_text(
        json.dumps(
            {"apiVersion": "vmoperator.vmware.com/v1alpha1", "kind": "VirtualMachineList", "items": [item]}
        )
    )
    snap = import_snapshot(path)
    assert snap.items[0]["kind"] == "VirtualMachine"


def test_import_yaml_list_and_bare_objects(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [VM]}))
    assert len(import_snapshot(path).items) == 1
    multi = tmp_path / "multi.yaml"
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}
    multi.write_text(yaml.safe_dump(VM) + "---\n" + yaml.safe_dump(ns))
    assert {i["kind"] for i in import_snapshot(multi).items} == {"VirtualMachine", "Namespace"}
    bare = tmp_path / "one.json"
    bare.write_text(json.dumps(VM))
    assert import_snapshot(bare).items[0]["metadata"]["name"] == "web"


def test_import_own_snapshot_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(_snap(n=2).to_dict()))
    back = import_snapshot(path)
    assert back.taken_at == "2026-11-26T10:00:00Z" and len(back.items) == 2 and back.source == "test"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ('{"kind": "List", "items": [\n  {"a": ', "line 2"),
        ("kind: [unclosed\n  - x: y\n", "line"),
        ("", "empty"),
        ("[1, 2]", "not a Kubernetes object"),
        ('{"hello": "world"}', "not a Kubernetes object"),
        ('{"kind": "List", "items": [{"metadata": {}}]}', "has no kind"),
        ('{"schema": "ecs-field/snapshot@1", "items": "x"}', "not a valid ecs-field snapshot"),
    ],
)
def test_import_bad_input_names_file_and_line(tmp_path: Path, text: str, expect: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(BadInput) as exc:
        import_snapshot(path)
    assert "bad.json" in exc.value.message and expect in exc.value.message
    assert exc.value.hint


def test_import_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        import_snapshot(tmp_path / "nope.json")


def test_store_keeps_short_history_and_loads_newest() -> None:
    store = SnapshotStore("site-a", keep=3)
    for hour in range(5):
        store.save(_snap(f"2026-11-26T1{hour}:00:00Z", n=hour + 1))
    assert len(store.history()) == 3
    loaded = store.load()
    assert loaded.snapshot is not None and loaded.snapshot.taken_at == "2026-11-26T14:00:00Z"
    assert loaded.problems == []
    assert store.folder == paths.data_dir() / "snapshots" / "site-a"
    assert store.info() == ("2026-11-26T14:00:00Z", "test")


def test_corrupt_current_is_set_aside_and_previous_used() -> None:
    store = SnapshotStore("site-b")
    store.save(_snap("2026-11-26T10:00:00Z"))
    store.save(_snap("2026-11-26T11:00:00Z"))
    store.current_path.write_text('{"schema": "ecs-field/snapshot@1", "items": [')
    for newest in store.history()[:1]:
        newest.write_text("garbage")  # the newest history copy is damaged too
    result = store.load()
    assert result.snapshot is not None and result.snapshot.taken_at == "2026-11-26T10:00:00Z"
    assert any("set aside" in p for p in result.problems)
    assert any("previous snapshot" in p for p in result.problems)
    aside = [p.name for p in store.folder.iterdir() if ".corrupt-" in p.name]
    assert aside and aside[0].startswith("current.json.corrupt-")
    assert not store.current_path.exists()


def test_no_snapshot_yet() -> None:
    result = load_snapshot("never-fetched")
    assert result.snapshot is None and result.problems == []


def test_site_name_cannot_escape_the_folder() -> None:
    path = save_snapshot("../../etc", _snap())
    assert paths.data_dir() / "snapshots" in path.parents


def test_invalid_snapshot_is_not_saved() -> None:
    store = SnapshotStore("s")
    store.save(_snap())
    bad = Snapshot(taken_at="yesterday", source="x")
    with pytest.raises(BadInput, match="not saved"):
        store.save(bad)
    result = store.load()
    assert result.snapshot is not None and result.snapshot.taken_at == "2026-11-26T10:00:00Z"


def test_killed_while_saving_keeps_a_good_snapshot(ecs_home: Path) -> None:
    """A process saving big snapshots in a loop is SIGKILLed; what is left still loads."""
    script = textwrap.dedent("""
        import sys
        from ecs_field.sites.status.snapshot import Snapshot, SnapshotStore
        store = SnapshotStore("killed")
        items = [{"kind": "Event", "metadata": {"name": f"e{i}"}, "message": "x" * 200} for i in range(3000)]
        n = 0
        while True:
            n += 1
            stamp = f"2026-11-26T10:{n // 60 % 60:02d}:{n % 60:02d}Z"
            store.save(Snapshot(taken_at=stamp, source=f"loop {n}", items=items))
            if n == 1:
                print("saved", flush=True)
    """)
    env = dict(os.environ, ECS_FIELD_HOME=str(ecs_home))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "saved"
        time.sleep(0.4)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    result = SnapshotStore("killed").load()
    assert result.snapshot is not None, result.problems
    assert result.problems == []
    assert len(result.snapshot.items) == 3000
    assert json.loads(SnapshotStore("killed").current_path.read_text())["schema"] == SCHEMA
