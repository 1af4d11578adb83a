"""An unusable state folder (ECS_FIELD_HOME is a file) is a clear message and exit 2, not a traceback."""

from __future__ import annotations

from pathlib import Path

from tests.clirun import run_process


def test_state_folder_that_is_a_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    done = run_process("catalog", env={"ECS_FIELD_HOME": str(home)})
    assert done.returncode == 2, done.stderr
    assert "cannot use this folder" in done.stderr and "ECS_FIELD_HOME" in done.stderr
    assert "Traceback" not in done.stderr
