"""`ecs-field self-test` as a user runs it: no GitPython at start, and its exit code and output
survive the early exit that skips the interpreter's teardown (issue 10, "Fast start")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

# Runs the command as `python -m ecs_field self-test` does, and reports at os._exit (the command's
# early exit, which skips atexit) which modules the process has loaded.
REPORTING_RUN = """
import os, sys
real_exit = os._exit
def report(code):
    loaded = sorted(m for m in sys.modules if m == "git" or m.startswith(("git.", "gitdb")))
    sys.stderr.write("LOADED-GITPYTHON=%s\\n" % ",".join(loaded))
    sys.stderr.write("LOADED-SITES=%s\\n" % ("ecs_field.sites.status.gitread" in sys.modules))
    sys.stderr.flush()
    real_exit(code)
os._exit = report
sys.argv = ["ecs-field", "self-test"]
from ecs_field.cli import main
raise SystemExit(main())
"""


def _self_test(home: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECS_FIELD_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("GIT_PYTHON_GIT_EXECUTABLE", None)
    return subprocess.run(
        [sys.executable, *(command or ("-m", "ecs_field", "self-test"))],
        capture_output=True, text=True, env=env, timeout=180, check=False,
    )


def test_self_test_start_does_not_import_gitpython(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _self_test(home)  # builds the demo site (that one-off build may use GitPython)
    assert first.returncode == 0, first.stderr[-2000:]
    done = _self_test(home, "-c", REPORTING_RUN)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "self-test: page Sites: ok" in done.stderr
    assert "LOADED-SITES=True" in done.stderr  # the demo site was read (by status.gitread)
    assert "LOADED-GITPYTHON=\n" in done.stderr, done.stderr[-500:]


def test_early_exit_keeps_output_log_and_exit_code(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _self_test(home)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"self-test: 4 pages in [\d.]+ s, ok\n\Z", done.stderr)
    log_text = "\n".join(p.read_text() for p in (home / "log").glob("*.log"))
    assert "self-test" in log_text  # the log file was flushed before the process ended

    # a broken catalog entry fails the Hardware page: exit 1, and the failure is printed
    (home / "config" / "catalog.d").mkdir(parents=True, exist_ok=True)
    (home / "config" / "catalog.d" / "broken.yaml").write_text("schema: nonsense\nnics: [1, 2\n")
    failed = _self_test(home)
    assert failed.returncode == 1, failed.stderr[-2000:]
    assert "self-test: FAILED Hardware" in failed.stderr and failed.stderr.rstrip().endswith("FAILED")
