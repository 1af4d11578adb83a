"""Test-wide setup: the app's state lives in a temporary folder; Qt runs offscreen."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Session-wide fences, set before anything (a session-scoped QApplication, a library reading
# XDG paths at import) can look: the per-test ECS_FIELD_HOME below is function-scoped, and
# session fixtures are created before it, which is how a test run once wrote the real user's
# "~/.config/ecs-field/ECS Field Kit.ini". test_real_home_untouched.py checks the fence.
REAL_HOME = Path.home()
_SESSION_ROOT = Path(tempfile.mkdtemp(prefix="ecs-field-tests-"))
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_SESSION_ROOT / _name.lower())
os.environ["ECS_FIELD_HOME"] = str(_SESSION_ROOT / "ecs-home")


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
