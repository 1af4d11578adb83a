"""Test-wide setup: the app's state lives in a temporary folder; Qt runs offscreen."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def ecs_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own ECS_FIELD_HOME so nothing touches the user's real files."""
    home = tmp_path_factory.mktemp("ecs-home")
    monkeypatch.setenv("ECS_FIELD_HOME", str(home))
    return home


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


needs_root = pytest.mark.skipif(not is_root(), reason="needs root for loop devices and mounts")
