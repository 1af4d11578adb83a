"""What the PyInstaller bundle leaves out, and why (used by ecs-field.spec; tested in tests/unit).

Three kinds of files are dropped from the one-folder bundle:
1. Qt parts the app never loads: translations (the UI is English only), the network module and
   its TLS/network-information plugins (downloads use requests), the GTK platform theme (it drags
   in GTK, cairo and pango), the eglfs/linuxfb/vnc/vulkan/minimal-EGL platform plugins (a desktop
   app runs on xcb, wayland or offscreen), and image formats other than SVG, ICO and JPEG.
2. Host libraries every target Linux has, whose bundled copy only raises the glibc floor:
   libstdc++, libgcc_s and libexpat from the build machine need GLIBC_2.36 on Debian 12 and the
   system's own copies are always present (Ubuntu 22.04 LTS ships newer ones than Qt needs).
3. Shared libraries nothing left in the bundle needs any more (the GTK theme's dependencies),
   found from the ELF NEEDED entries of what stays.
"""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Callable, Iterable

# Patterns on the bundle-relative destination path (forward slashes).
UNUSED_QT = (
    "PySide6/Qt/translations/*",
    "PySide6/QtNetwork*",
    "PySide6/Qt/lib/libQt6Network.so*",
    "PySide6/Qt/plugins/tls/*",
    "PySide6/Qt/plugins/networkinformation/*",
    "PySide6/Qt/plugins/platformthemes/*gtk*",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/lib/libQt6EglFS*",
    "PySide6/Qt/plugins/imageformats/libqgif.so",
    "PySide6/Qt/plugins/imageformats/libqicns.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so",
    "PySide6/Qt/plugins/imageformats/libqwebp.so",
)
HOST_LIBRARIES = ("libstdc++.so*", "libgcc_s.so*", "libexpat.so*")

Needed = Callable[[str], Iterable[str]]


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def elf_needed(path: str) -> list[str]:
    """The NEEDED sonames of an ELF file (empty for anything objdump cannot read)."""
    try:
        out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, check=False).stdout
    except OSError:
        return []
    return [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]


def is_top_level_library(dest: str) -> bool:
    """A shared library PyInstaller collected as a dependency (it lands at the bundle's top)."""
    return "/" not in dest and ".so" in dest and "cpython" not in dest and not dest.startswith("libpython")


def prune(entries: list[tuple[str, str, str]], needed: Needed = elf_needed) -> tuple[list, list[str]]:
    """(kept entries, dropped destination names) for a TOC of (dest, source, typecode)."""
    dropped = []
    kept = []
    for entry in entries:
        dest = entry[0].replace("\\", "/")
        base = dest.rsplit("/", 1)[-1]
        if _matches(dest, UNUSED_QT) or (is_top_level_library(dest) and _matches(base, HOST_LIBRARIES)):
            dropped.append(dest)
        else:
            kept.append(entry)
    # Keep a top-level library only while something that stays still needs it.
    by_name = {e[0].replace("\\", "/"): e for e in kept}
    roots = [name for name in by_name if not is_top_level_library(name)]
    reachable: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in reachable:
            continue
        reachable.add(name)
        source = by_name[name][1]
        for soname in needed(source):
            if soname in by_name and soname not in reachable:
                stack.append(soname)
    final = []
    for entry in kept:
        dest = entry[0].replace("\\", "/")
        if is_top_level_library(dest) and dest not in reachable:
            dropped.append(dest)
        else:
            final.append(entry)
    return final, dropped
