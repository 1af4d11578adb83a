"""Packaging pieces that run here: bundle pruning, the glibc floor, the .deb layout, the NSIS script.

The full bundle is built and installed by .ci/run (slow); these tests check the logic on small
stand-ins so a mistake shows in the ordinary test run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import bundle_prune  # noqa: E402
import linux_package  # noqa: E402


def test_prune_drops_unused_qt_host_libraries_and_what_only_they_needed() -> None:
    entries = [
        ("PySide6/QtWidgets.abi3.so", "/s/QtWidgets", "EXTENSION"),
        ("PySide6/Qt/translations/qt_de.qm", "/s/qm", "DATA"),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/s/gtk3", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/xcb", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", "/s/vnc", "BINARY"),
        ("libstdc++.so.6", "/s/stdcxx", "BINARY"),
        ("libcairo.so.2", "/s/cairo", "BINARY"),  # needed by the GTK theme only
        ("libxcb-util.so.1", "/s/xcbutil", "BINARY"),  # needed by the xcb platform plugin
        ("libffi.so.8", "/s/ffi", "BINARY"),  # needed by libxcb-util (transitively kept)
        ("libpython3.11.so.1.0", "/s/py", "BINARY"),
    ]
    needed = {
        "/s/gtk3": ["libcairo.so.2"],
        "/s/xcb": ["libxcb-util.so.1", "libstdc++.so.6"],
        "/s/xcbutil": ["libffi.so.8"],
    }
    kept, dropped = bundle_prune.prune(entries, needed=lambda src: needed.get(src, []))
    names = {e[0] for e in kept}
    assert names == {
        "PySide6/QtWidgets.abi3.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "libxcb-util.so.1",
        "libffi.so.8",
        "libpython3.11.so.1.0",
    }
    assert set(dropped) == {e[0] for e in entries} - names


def test_glibc_versions_read_from_objdump_text() -> None:
    text = (
        "0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.2.5) memcpy\n"
        "0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.34) __libc_start_main\n"
        "0000000000000000      DF *UND*  0000000000000000 (GLIBCXX_3.4.30) _ZSt4endl\n"
    )
    assert linux_package.glibc_versions(text) == {(2, 2), (2, 34)}


@pytest.mark.skipif(not shutil.which("objdump"), reason="objdump (binutils) not installed")
def test_glibc_floor_flags_a_file_needing_a_newer_glibc(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy(sys.executable, bundle / "python")
    highest = linux_package.glibc_report(bundle)[0][0]
    assert linux_package.check_glibc_floor(bundle, floor=highest) == []
    lower = (highest[0], highest[1] - 1)
    expected = f"python needs GLIBC_{highest[0]}.{highest[1]}"
    assert linux_package.check_glibc_floor(bundle, floor=lower) == [expected]


@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="dpkg-deb not installed")
def test_deb_layout_from_a_stand_in_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "ecs-field"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "ecs-field").write_text("#!/bin/sh\necho stand-in\n")
    (bundle / "ecs-field").chmod(0o755)
    (bundle / "_internal" / "data.txt").write_text("x")
    # In a child process: rendering the icons starts a Qt application, which must not become the
    # test run's own (the GUI tests create theirs with the app's settings).
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import linux_package as lp; from pathlib import Path; "
        "print(lp.build_deb(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])))"
    )
    built = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "packaging"), str(bundle), str(tmp_path / "dist"),
         str(tmp_path / "work")],
        capture_output=True, text=True, check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    deb = Path(built.stdout.strip().splitlines()[-1])
    assert deb.name == f"ecs-field_{linux_package.version()}_amd64.deb"
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    app = linux_package.APP_ID
    for expected in (
        "./usr/lib/ecs-field/ecs-field",
        "./usr/bin/ecs-field -> ../lib/ecs-field/ecs-field",
        f"./usr/share/applications/{app}.desktop",
        f"./usr/share/metainfo/{app}.metainfo.xml",
        f"./usr/share/polkit-1/actions/{app}.policy",
        f"./usr/share/icons/hicolor/scalable/apps/{app}.svg",
        *(f"./usr/share/icons/hicolor/{s}x{s}/apps/{app}.png" for s in linux_package.ICON_SIZES),
    ):
        assert expected in listing, expected
    assert "root/root" in listing and "-rwxr-xr-x root/root" in listing
    control = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True,
                             check=True).stdout
    assert "git" in control and "pkexec" in control and "libc6 (>= 2.35)" in control


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed")
def test_desktop_file_is_valid_and_opens_files() -> None:
    desktop = ROOT / "packaging" / "linux" / f"{linux_package.APP_ID}.desktop"
    done = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert done.returncode == 0 and "error" not in done.stdout.lower(), done.stdout
    text = desktop.read_text()
    assert "Exec=ecs-field gui %F" in text and "application/x-iso9660-image" in text


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream not installed")
def test_metainfo_is_valid() -> None:
    metainfo = ROOT / "packaging" / "linux" / f"{linux_package.APP_ID}.metainfo.xml"
    done = subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not shutil.which("makensis"), reason="nsis not installed")
@pytest.mark.parametrize("with_mingit", [False, True])
def test_nsis_script_compiles_against_a_stand_in_payload(tmp_path: Path, with_mingit: bool) -> None:
    payload = tmp_path / "payload"
    (payload / "_internal").mkdir(parents=True)
    for name in ("ecs-field.exe", "ecs-field-gui.exe"):
        (payload / name).write_bytes(b"MZ stand-in")
    (payload / "_internal" / "stand-in.txt").write_text("x")
    out = tmp_path / "setup.exe"
    extra = []
    if with_mingit:  # what the release workflow passes: a MinGit folder for laptops without Git
        (tmp_path / "mingit" / "cmd").mkdir(parents=True)
        (tmp_path / "mingit" / "cmd" / "git.exe").write_bytes(b"MZ stand-in")
        extra = [f"-DMINGIT={tmp_path / 'mingit'}"]
    done = subprocess.run(
        ["makensis", "-V2", f"-DVERSION={linux_package.version()}", f"-DPAYLOAD={payload}", *extra,
         f"-DOUTFILE={out}", str(ROOT / "packaging" / "windows" / "ecs-field.nsi")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.stat().st_size > 50_000


def test_windows_version_resource_follows_the_version() -> None:
    sys.path.insert(0, str(ROOT / "packaging" / "windows"))
    import version_info

    text = version_info.version_file_text("1.2.3")
    assert "filevers=(1, 2, 3, 0)" in text and "StringStruct('ProductVersion', '1.2.3')" in text


def test_icons_are_multi_size() -> None:
    import struct

    data = (ROOT / "packaging" / "windows" / "ecs-field.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1) and count >= 5
    assert (ROOT / "packaging" / "macos" / "ecs-field.icns").read_bytes()[:4] == b"icns"
