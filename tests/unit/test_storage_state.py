"""storage: atomic writes leave the old file or the new one and no stray temporary file; caches
may skip fsync; the lock's path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecs_field import storage


def test_atomic_write_leaves_only_the_target(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    for i in range(20):
        storage.atomic_write_json(target, {"i": i}, durable=bool(i % 2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    assert target.read_text().count('"i": 19') == 1


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sites.yaml"
    target.write_text("old\n")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        storage.atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.yaml"]


def test_temporary_names_never_collide(tmp_path: Path) -> None:
    target = tmp_path / "x"
    made = [storage._temp_beside(target) for _ in range(200)]
    for fd, _ in made:
        os.close(fd)
    assert len({name for _, name in made}) == 200
    assert all(Path(name).parent == tmp_path and Path(name).name.startswith(".x.") for _, name in made)
    assert storage.lock_path_of(target) == tmp_path / "x.lock"
