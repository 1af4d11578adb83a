"""Render the Boot media page in each state, light and dark, for a look by eye (not a test).

    QT_QPA_PLATFORM=offscreen python3 -m tests.gui.render_media_page [OUT_DIR]

Writes media-<case>-<light|dark>-<W>x<H>.png under OUT_DIR (default /tmp/gui-shots/media), the
main window at 1280x800 and 1024x640, with the themes the app applies (ecs_field.gui.theme):
  idle        no image chosen, drives listed (a USB stick, an internal NVMe, the system disk)
  chosen      a stock-like ESXi ISO, "Show all drives" on, the stick ticked, the NVMe selected
  confirm     the confirmation dialog for that write
  writing     a write in its verify pass (progress events fed to the page; nothing is written)
  done        after success: the per-stick result, the stick unticked
  unattended  the Unattended install ticked and set (and its dialog, filled in)
  verify-different  "Verify stick" found the stick differs (a stand-in comparison result)
  refused     a plain data ISO: the "not bootable" warning
Drives are stand-ins and the write runner is a stand-in that only reports; the images are real
(built with xorriso). The app's state goes to a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="ecs-field-render-media-"))
os.environ["ECS_FIELD_HOME"] = str(_HOME / "home")
os.environ.pop("ECS_FIELD_THEME", None)
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_HOME / _name.lower())

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ecs_field.gui import app as gui_app  # noqa: E402
from ecs_field.gui import theme  # noqa: E402
from tests.gui.render_lib import shoot, wait  # noqa: E402


def render(app: QApplication, out: Path, tone: str, work: Path) -> None:
    from ecs_field.events import Progress
    from ecs_field.gui.main_window import MainWindow
    from ecs_field.gui.pages import media
    from tests.gui.render_pages import data_iso
    from tests.gui.test_media_page_flow import HeldRunner, done_outcome
    from tests.unit.media.test_image_inspect import build_esxi_iso

    theme.apply_theme(app, tone)
    window = MainWindow()
    window.show()
    page: Any = window.show_page("media")
    assert isinstance(page, media.MediaPage)
    runner = HeldRunner()
    page.set_runner(runner)
    wait(lambda: not page._drive_job_running and page.drives)
    shoot(window, out, f"media-idle-{tone}")

    page.show_all.setChecked(True)
    wait(lambda: not page._drive_job_running and len(page.drives) == 3)
    iso_root = work / f"iso-{tone}"
    iso_root.mkdir()
    page.open_path(build_esxi_iso(iso_root))
    wait(lambda: page.image_info is not None)
    page.drive_list.set_checked("/dev/sdb")
    page.drive_list.setCurrentItem(page.drive_list.item_for("/dev/nvme1n1"))
    shoot(window, out, f"media-chosen-{tone}")

    shown: dict[str, Any] = {}

    def confirm(dialog: Any) -> bool:
        dialog.show()
        QTest.qWait(120)
        shoot(dialog, out, f"media-confirm-{tone}", ((dialog.width(), dialog.height()),))
        shown["dialog"] = dialog.text()
        return True

    page.confirm_hook = confirm
    page.start_write()
    size = page.write_size
    start = time.monotonic()
    for i in range(12):
        runner.progress.emit("/dev/sdb", Progress("write", size * (i + 1) // 12, size, 31e6 + i * 1e6, 10.0))
    runner.progress.emit("/dev/sdb", Progress("flush", size, size, 0.0, None))
    for i in range(5):
        runner.progress.emit("/dev/sdb", Progress("verify", size * (i + 1) * 46 // 500, size, 250e6, 0.4))
    wait(lambda: time.monotonic() - start > 0.2)
    shoot(window, out, f"media-writing-{tone}")
    runner.finish([done_outcome(page.drives[0], size)])
    wait(lambda: not runner.is_running() and bool(page.last_outcomes))
    wait(lambda: not page._drive_job_running)
    shoot(window, out, f"media-done-{tone}")

    # the unattended install: its dialog filled in, then the section on the page
    from tests.gui.test_media_page_unattended import HOST, fill

    def settings(dialog: Any) -> bool:
        fill(dialog, {**HOST, "ntp": "pool.ntp.org", "vlan": "70"})
        dialog.show()
        dialog.resize(900, dialog.sizeHint().height())
        QTest.qWait(150)
        shoot(dialog, out, f"media-unattended-dialog-{tone}", ((dialog.width(), dialog.height()),))
        return True

    page.unattended.dialog_hook = settings
    page.unattended.enabled.setChecked(True)
    page.drive_list.set_checked("/dev/sdb")
    shoot(window, out, f"media-unattended-{tone}")
    from ecs_field.gui.widgets.media_runner import verify_outcome
    from ecs_field.media.write.verify import VerifyOutcome

    page._end_verify(
        [
            verify_outcome(
                page.drives[0],
                VerifyOutcome(
                    "esxi.iso",
                    "/dev/sdb",
                    "uefi-fat32",
                    size,
                    1_048_576 * 3 + 17,
                    False,
                    1_048_576 * 3 + 17,
                    "/KS.CFG",
                    1.2,
                ),
                " with the unattended install of esx01.depot7.example (10.7.0.10/24)",
            )
        ]
    )
    shoot(window, out, f"media-verify-different-{tone}")
    page.unattended.enabled.setChecked(False)

    page.open_path(data_iso(iso_root))
    wait(
        lambda: (
            page.image_info is not None
            and page.image_path is not None
            and page.image_path.name.startswith("drivers")
        )
    )
    shoot(window, out, f"media-refused-{tone}")
    for each in window.pages:
        each.shutdown()
    window.close()
    QTest.qWait(100)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("/tmp/gui-shots/media")
    out.mkdir(parents=True, exist_ok=True)
    app = gui_app.create_application(["render-media"])
    from ecs_field.gui.pages import media
    from tests.gui.test_media_page_flow import stand_in_drives

    def listing(include_internal: bool = False) -> list[Any]:
        time.sleep(0.1)
        return [d for d in stand_in_drives() if include_internal or d.removable]

    media.list_drives = listing  # type: ignore[assignment]
    work = Path(tempfile.mkdtemp(prefix="work-", dir=_HOME))
    for tone in ("light", "dark"):
        render(app, out, tone, work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
