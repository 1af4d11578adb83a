"""Build the one-folder bundle, smoke-test it, and make the installers of this OS.

    python3 packaging/build.py [--check] [--deb] [--tar] [--glibc-floor]

--check        runs ``ecs-field --version`` and ``ecs-field self-test`` from the bundle (offscreen),
               so missing hidden imports show up in CI, not on a technician's laptop
--glibc-floor  fails when any ELF file of the bundle needs a glibc newer than 2.35 (Ubuntu 22.04)
--deb          packaging/dist/ecs-field_<version>_amd64.deb (packaging/linux_package.py)
--tar          packaging/dist/ecs-field-<version>-linux-x86_64.tar.xz, the portable bundle
Windows (NSIS) and macOS (.app + dmg) installers are built by .github/workflows/release.yml on
their own runners; see packaging/windows and packaging/macos.
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
    parser.add_argument("--deb", action="store_true", help="also build the .deb (Linux)")
    parser.add_argument("--tar", action="store_true", help="also build the portable .tar.xz (Linux)")
    parser.add_argument("--glibc-floor", action="store_true", help="fail above GLIBC_2.35 (Linux)")
    args = parser.parse_args()
    work, dist = HERE / "build", HERE / "dist"
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--workpath", str(work), "--distpath", str(dist), str(HERE / "ecs-field.spec")],
        check=True,
    )
    bundle = dist / "ecs-field"
    exe = bundle / ("ecs-field.exe" if os.name == "nt" else "ecs-field")
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"built {exe} ({size / 1e6:.0f} MB unpacked)")
    if args.check:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env, check=True)
        print(version.stdout.strip())
        subprocess.run([str(exe), "self-test"], env=env, check=True)
        print("bundle smoke tests passed")
    if args.glibc_floor or args.deb or args.tar:
        sys.path.insert(0, str(HERE))
        import linux_package

        if args.glibc_floor:
            too_new = linux_package.check_glibc_floor(bundle)
            report = linux_package.glibc_report(bundle)
            if report:
                (major, minor), name = report[0]
                print(f"glibc floor: the highest need is GLIBC_{major}.{minor} ({name})")
            if too_new:
                print("glibc floor exceeded (limit 2.35):\n  " + "\n  ".join(too_new), file=sys.stderr)
                return 1
        if args.deb:
            print(f"built {linux_package.build_deb(bundle, dist, work / 'deb')}")
        if args.tar:
            print(f"built {linux_package.build_tar(bundle, dist)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
