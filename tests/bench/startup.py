"""Start-up time of whole commands as a user runs them, against bare interpreters (issue 10).

    python3 tests/bench/startup.py [--runs N]

Ratios printed (targets from the issue):
  ecs-field --version          / python -c pass                         target <= 4
  ecs-field check --help       / python -c pass                         (lazy command modules)
  ecs-field self-test          / a minimal PySide6 window that shows and quits   target <= 4
`ecs-field` is the console script beside this interpreter when installed, else `python -m ecs_field`;
either runs this checkout's code (PYTHONPATH).
Best of N runs each (start-up noise is one-sided: the best run is the cost).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib

MINIMAL_QT = (
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "from PySide6.QtCore import QTimer\n"
    "app = QApplication([])\n"
    "w = QMainWindow(); w.resize(1280, 800); w.show()\n"
    "QTimer.singleShot(0, app.quit)\n"
    "app.exec()\n"
)


def _timed(argv: list[str], env: dict[str, str], runs: int) -> float:
    def once() -> None:
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    return benchlib.best_seconds(once, runs)


def _command() -> list[str]:
    """The console script of this interpreter's environment (what an installed user runs), if it is
    there, else ``python -m ecs_field``."""
    script = Path(sys.executable).parent / ("ecs-field.exe" if os.name == "nt" else "ecs-field")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ecs_field"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    benchlib.print_machine()
    home = tempfile.mkdtemp(prefix="ecs-bench-startup-")
    env = {**os.environ, "ECS_FIELD_HOME": home, "QT_QPA_PLATFORM": "offscreen"}
    # A user's install has byte-code caches (pip and PyInstaller write them); a shell that sets
    # PYTHONDONTWRITEBYTECODE would make every run recompile every module and measure that.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # This checkout's code, whatever an install elsewhere points at (an editable install may name
    # another checkout; a pyenv shim would add a bash start to every run and may pick another Python).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(benchlib.ROOT), env.get("PYTHONPATH", "")) if p)
    app = _command()
    print(f"command: {' '.join(app)}")
    bare = _timed([sys.executable, "-c", "pass"], env, args.runs)
    version = _timed([*app, "--version"], env, args.runs)
    check_help = _timed([*app, "check", "--help"], env, args.runs)
    qt_bare = _timed([sys.executable, "-c", MINIMAL_QT], env, max(3, args.runs // 2))
    subprocess.run([*app, "self-test"], env=env, capture_output=True, check=False)  # builds the demo once
    self_test = _timed([*app, "self-test"], env, max(3, args.runs // 2))
    print(f"python -c pass:        {bare * 1000:7.1f} ms (baseline)")
    print(f"ecs-field --version:   {version * 1000:7.1f} ms  ratio {version / bare:.2f} (target <= 4)")
    print(f"ecs-field check --help:{check_help * 1000:7.1f} ms  ratio {check_help / bare:.2f}")
    print(f"minimal PySide6 window:{qt_bare * 1000:7.1f} ms (baseline)")
    print(f"ecs-field self-test:   {self_test * 1000:7.1f} ms  ratio {self_test / qt_bare:.2f} (target <= 4)")
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
