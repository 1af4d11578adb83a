"""Render every page, light and dark, for a look by eye (not collected by pytest: no test_ prefix).

    QT_QPA_PLATFORM=offscreen python3 -m tests.gui.render_pages [OUT_DIR]

Writes <page>-<case>-<light|dark>-<W>x<H>.png under OUT_DIR (default /tmp/gui-shots/pages) at
1280x800 and 1024x640 (the window), with the themes the app applies (ecs_field.gui.theme:
Fusion + its light palette, Fusion + the dark palette):
  hardware-actions    a mini PC whose only NIC the catalog does not know (actions, adapters)
  hardware-supported  a NUC 11 with its onboard i225
  hardware-failed     a file that is no report, read after a verdict
  media-drives        a stock-like ESXi ISO and three drives: a USB stick, an internal NVMe
                      (needs its path typed), the system disk; "Show all drives" ticked
  media-notbootable   a plain data ISO (the "not bootable" warning), no drive ticked
  media-result        the outcome lines after a write (one verified, one unverified, one failed)
  sites-<tab>         the demo site (ecs-field self-test's) on each tab
  sites-problem       a site whose repository is not cloned (the problem banner)
  history             four writes: failed (selected), verified, not verified, cancelled
Drives are stand-ins (the page's drive listing is replaced); everything else is real. The
app's state goes to a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="ecs-field-render-pages-"))
os.environ["ECS_FIELD_HOME"] = str(_HOME / "home")
os.environ.pop("ECS_FIELD_THEME", None)  # this script applies both themes itself
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_HOME / _name.lower())

from PySide6.QtCore import QThreadPool  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ecs_field.gui import app as gui_app  # noqa: E402
from ecs_field.gui import theme  # noqa: E402
from tests.gui.render_lib import shoot, wait  # noqa: E402


def data_iso(root: Path) -> Path:
    """An ISO with files and no boot record: the page warns it will not boot."""
    src = root / "data"
    src.mkdir(parents=True, exist_ok=True)
    (src / "README.TXT").write_text("drivers and notes\n")
    iso = root / "drivers-and-notes.iso"
    subprocess.run(
        ["xorriso", "-as", "mkisofs", "-quiet", "-o", str(iso), "-V", "NOTES", "-J", "-R", str(src)],
        check=True,
        capture_output=True,
    )
    return iso






def render(app: QApplication, out: Path, tone: str, work: Path) -> None:
    from ecs_field.gui.main_window import MainWindow
    from ecs_field.gui.pages import hardware, media, sites
    from ecs_field.gui.widgets.media_runner import RunOutcome
    from tests.unit.compat import inventories as boxes
    from tests.unit.media.test_image_inspect import build_esxi_iso

    theme.apply_theme(app, tone)
    window = MainWindow()
    window.show()

    page: Any = window.show_page("hardware")
    assert isinstance(page, hardware.HardwarePage)
    page.show_inventory(boxes.unknown_nic_only(), "ms-b0a8 (inventory JSON)")
    wait(lambda: not page._busy)
    shoot(window, out, f"hardware-actions-{tone}")
    nuc = boxes.nuc11_with_rtl8156()
    nuc.usb, nuc.nics = [], nuc.nics[:1]
    page.show_inventory(nuc, "nuc11tnhi5 (probe export)")
    wait(lambda: not page._busy)
    shoot(window, out, f"hardware-supported-{tone}")
    bad = work / "notes.txt"
    bad.write_text("just some notes about the box\n", encoding="utf-8")
    page.import_files([bad])
    wait(lambda: not page._busy)
    shoot(window, out, f"hardware-failed-{tone}")

    page = window.show_page("sites")
    assert isinstance(page, sites.SitesPage)
    page.self_test()
    tabs = ["workloads", "changes", "lint", "flux", "network"]
    for index, name in enumerate(tabs):
        page.tabs.setCurrentIndex(index)
        shoot(window, out, f"sites-{name}-{tone}")
    page.tabs.setCurrentIndex(0)
    page._show_problem(
        "The repository of far-site is not cloned yet (~/ecs-field/sites/far-site).",
        "Press Pull to clone it (needs the network).",
    )
    shoot(window, out, f"sites-problem-{tone}")

    window.show_page("history")
    shoot(window, out, f"history-{tone}")
    # Boot media last: after a write its result lines make the window taller than 640 px
    page = window.show_page("media")
    assert isinstance(page, media.MediaPage)
    page.show_all.setChecked(True)
    wait(lambda: not page._drive_job_running)
    iso_root = work / f"iso-{tone}"
    iso_root.mkdir()
    page.open_path(build_esxi_iso(iso_root))
    wait(lambda: page.image_info is not None)
    wait(lambda: not page._drive_job_running)
    page.drive_list.set_checked("/dev/sdb")
    shoot(window, out, f"media-drives-{tone}")
    page.open_path(data_iso(iso_root))
    wait(
        lambda: (
            page.image_info is not None
            and page.image_path is not None
            and page.image_path.name.startswith("drivers")
        )
    )
    shoot(window, out, f"media-notbootable-{tone}")
    page._on_finished(
        [
            RunOutcome(
                "/dev/sdb",
                "SanDisk Ultra",
                True,
                True,
                0,
                "/dev/sdb (SanDisk Ultra, 28.6 GiB): 630 194 176 bytes written and read back: they match.",
            ),
            RunOutcome(
                "/dev/sdc",
                "Kingston DataTraveler",
                True,
                False,
                0,
                "/dev/sdc (Kingston DataTraveler, 14.4 GiB): written, NOT read back (verify was off).",
            ),
            RunOutcome(
                "/dev/sdd",
                "Generic Flash Disk",
                False,
                False,
                5,
                "/dev/sdd (Generic Flash Disk): I/O error at 112 MiB.",
                "Unplug it and try another stick.",
            ),
        ]
    )
    wait(lambda: not page._drive_job_running)
    shoot(window, out, f"media-result-{tone}")

    for each in window.pages:
        each.shutdown()
    window.close()
    QThreadPool.globalInstance().waitForDone(10000)  # no job may outlive the window it reports to
    QTest.qWait(100)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("/tmp/gui-shots/pages")
    out.mkdir(parents=True, exist_ok=True)
    app = gui_app.create_application(["render-pages"])
    from ecs_field.gui.pages import media
    from tests.gui.test_theme import stand_in_drives, write_sample_history

    def listing(include_internal: bool = False) -> list[Any]:
        time.sleep(0.2)  # as long as a real listing (an instant one races media.py's "finished")
        return [d for d in stand_in_drives() if include_internal or d.removable]

    media.list_drives = listing
    write_sample_history()
    work = Path(tempfile.mkdtemp(prefix="work-", dir=_HOME))
    for tone in ("light", "dark"):
        render(app, out, tone, work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
