"""Build the one-folder bundle and smoke-test it: ``python packaging/build.py [--check]``.

--check runs ``ecs-field --version`` and ``ecs-field self-test`` from the bundle (offscreen),
so missing hidden imports show up in CI, not on a technician's laptop.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="run the bundle's smoke tests after building")
    args = parser.parse_args()
    work, dist = HERE / "build", HERE / "dist"
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--workpath", str(work), "--distpath", str(dist), str(HERE / "ecs-field.spec")],
        check=True,
    )
    exe = dist / "ecs-field" / ("ecs-field.exe" if os.name == "nt" else "ecs-field")
    print(f"built {exe}")
    if args.check:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env, check=True)
        print(version.stdout.strip())
        subprocess.run([str(exe), "self-test"], env=env, check=True)
        print("bundle smoke tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
