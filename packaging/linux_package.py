"""Linux packages from the one-folder bundle: a .deb, a portable .tar.xz, and the glibc floor check.

    python3 packaging/build.py --deb --tar      (builds the bundle first)

The .deb installs the bundle under /usr/lib/ecs-field with /usr/bin/ecs-field, the desktop file
(reverse-DNS name, opens ISOs), AppStream metainfo, hicolor icons (16-256 px from the SVG, and
the SVG itself), and a polkit action so the password prompt for the write helper names what it
is for. It depends on what the app really runs: git (Sites), pkexec (writing sticks) and the
X11/Wayland client libraries Qt's platform plugins load from the system.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "io.github.ecsfield.FieldKit"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
GLIBC_FLOOR = (2, 35)  # Ubuntu 22.04 LTS
DEPENDS = (
    "libc6 (>= 2.35)",
    "git",
    "pkexec | policykit-1",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libglib2.0-0 | libglib2.0-0t64",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-shape0",
    "libstdc++6",
    "libexpat1",
    "libudev1",
)
_GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?")


def version() -> str:
    text = (ROOT / "ecs_field" / "__init__.py").read_text()
    match = re.search(r'__version__ = "([^"]+)"', text)
    if not match:
        raise SystemExit("ecs_field/__init__.py has no __version__")
    return match.group(1)


# glibc floor -----------------------------------------------------------------------------
def glibc_versions(objdump_text: str) -> set[tuple[int, int]]:
    """GLIBC_x.y symbol versions named in `objdump -T` output."""
    return {(int(m.group(1)), int(m.group(2))) for m in _GLIBC.finditer(objdump_text)}


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def glibc_report(bundle: Path) -> list[tuple[tuple[int, int], str]]:
    """(highest GLIBC version needed, file) for every ELF file of the bundle, highest first."""
    found = []
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file() or not is_elf(path):
            continue
        out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True, check=False).stdout
        versions = glibc_versions(out)
        if versions:
            found.append((max(versions), str(path.relative_to(bundle))))
    return sorted(found, reverse=True)


def check_glibc_floor(bundle: Path, floor: tuple[int, int] = GLIBC_FLOOR) -> list[str]:
    """Files needing a newer glibc than ``floor`` (empty: the bundle starts on that glibc)."""
    return [f"{name} needs GLIBC_{v[0]}.{v[1]}" for v, name in glibc_report(bundle) if v > floor]


# staging ---------------------------------------------------------------------------------
def render_icons(svg: Path, share: Path) -> None:
    """hicolor PNGs at every size from the one SVG, plus the SVG as the scalable icon."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication

    # A QApplication (not a bare QGuiApplication), so a later widget application in the same
    # process (the test run) can reuse it instead of failing on a second singleton.
    _app = QGuiApplication.instance() or QApplication(["ecs-field-icons"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):
            raise SystemExit(f"could not write {target}")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)


def stage(bundle: Path, root: Path) -> Path:
    """The installed file tree of the package under ``root`` (which must not exist)."""
    lib = root / "usr" / "lib" / "ecs-field"
    shutil.copytree(bundle, lib, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "ecs-field").symlink_to("../lib/ecs-field/ecs-field")
    share = root / "usr" / "share"
    linux = HERE / "linux"
    for source, folder in (
        (linux / f"{APP_ID}.desktop", share / "applications"),
        (linux / f"{APP_ID}.metainfo.xml", share / "metainfo"),
        (linux / f"{APP_ID}.policy", share / "polkit-1" / "actions"),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / source.name)
    render_icons(ROOT / "resources" / "icons" / "ecs-field.svg", share)
    for path in root.rglob("*"):  # dpkg wants 0755 folders and no group/other write bits
        if not path.is_symlink():
            path.chmod((path.stat().st_mode & 0o755) | (0o755 if path.is_dir() else 0o644))
    return root


def control_text(version_text: str, installed_kib: int) -> str:
    return (
        "Package: ecs-field\n"
        f"Version: {version_text}\n"
        "Section: admin\n"
        "Priority: optional\n"
        "Architecture: amd64\n"
        "Maintainer: ECS Field Kit developers <ecs-field@users.noreply.github.com>\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        "Homepage: https://github.com/ecs-field/ecs-field\n"
        "Description: field tool for VMware Edge Compute Stack sites\n"
        " Checks whether a box and its network adapters work with an ESXi release,\n"
        " writes verified boot sticks for ECS hosts, and shows a site's GitOps sync and\n"
        " workload state from its repository and cached status snapshots, offline.\n"
    )


def build_deb(bundle: Path, out_dir: Path, work: Path) -> Path:
    if work.exists():
        shutil.rmtree(work)
    root = stage(bundle, work / "root")
    size_kib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    debian = root / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(control_text(version(), size_kib))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"ecs-field_{version()}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(target)],
                   check=True, stdout=subprocess.DEVNULL)
    return target


def build_tar(bundle: Path, out_dir: Path) -> Path:
    """A portable archive: unpack anywhere and run ecs-field-<version>/ecs-field."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"ecs-field-{version()}-linux-x86_64.tar.xz"
    with tarfile.open(target, "w:xz", preset=6) as archive:
        archive.add(bundle, arcname=f"ecs-field-{version()}")
    return target
