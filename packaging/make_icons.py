"""Regenerate the Windows .ico and macOS .icns from resources/icons/ecs-field.svg.

    QT_QPA_PLATFORM=offscreen python3 packaging/make_icons.py

The outputs are committed (packaging/windows/ecs-field.ico, packaging/macos/ecs-field.icns) so
the release runners need no rendering step. The .ico holds PNG-compressed 16-256 px images
(Windows Vista and later read those); Qt's ICO writer stores a single uncompressed size only.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication

    # A QApplication (not a bare QGuiApplication), so a later widget application in the same
    # process (the test run) can reuse it instead of failing on a second singleton.
    _app = QGuiApplication.instance() or QApplication(["ecs-field-icons"])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file of PNG images: ICONDIR, one ICONDIRENTRY per size, then the PNG data."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, payload = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(payload))
        payload += png
    return header + entries + payload


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    svg = ROOT / "resources" / "icons" / "ecs-field.svg"
    pngs = {size: render_png(svg, size) for size in ICO_SIZES}
    (ROOT / "packaging" / "windows" / "ecs-field.ico").write_bytes(ico_bytes(pngs))
    from PySide6.QtGui import QImage

    big = QImage.fromData(render_png(svg, 512))
    if not big.save(str(ROOT / "packaging" / "macos" / "ecs-field.icns"), "ICNS"):
        print("could not write the .icns (Qt's icns image plugin missing)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
