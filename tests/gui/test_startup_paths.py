"""Files passed on start (what a desktop file manager does with %F) open on the right page."""

from __future__ import annotations

from pathlib import Path

from ecs_field.gui.app import open_startup_paths
from ecs_field.gui.main_window import MainWindow


def test_an_iso_opens_the_boot_media_page_and_unknown_files_are_reported(qtbot, tmp_path: Path) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    iso = tmp_path / "host.iso"
    iso.write_bytes(b"\0" * 4096)
    stray = tmp_path / "notes.xyz-unknown"
    stray.write_bytes(b"\x00\x01")
    missing = tmp_path / "gone.iso"
    refused = open_startup_paths(window, [str(iso), str(stray), str(missing)])
    assert refused == [str(stray), str(missing)]
    assert window.pages[window.stack.currentIndex()].key == "media"
