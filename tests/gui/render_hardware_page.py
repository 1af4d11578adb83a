"""Render the Hardware page to PNGs for a look by eye (not collected by pytest: no test_ prefix).

    QT_QPA_PLATFORM=offscreen python3 -m tests.gui.render_hardware_page [OUT_DIR]

Writes <case>-<light|dark>-<W>x<H>.png under OUT_DIR (default /tmp/gui-shots) for:
  empty           the page before anything was checked
  supported-nuc   a NUC 11 with its onboard i225 (all facts known): the plain "supported" case
  not-checked     a real lspci -vvnn dump of an ASUS NUC 12 Pro with no dmidecode (platform, CPU,
                  memory not checked), pasted with a shell prompt and cut short mid-line, and a
                  device change while it is shown (the info bar); input warnings unfolded
  no-usable-nic   a mini PC whose only NIC the catalog does not know: adapters to add
  failed-import   a file that is no report, read after a verdict was shown
in Fusion with the light palette and with a dark palette, at 1280x800 and 1024x640 (the window).

The verdict fields of issue 7 (not_checked, seen, input_warnings, recommendations) are taken from
the real verdict when it has them; until the core fills them, clearly marked stand-ins are added
so the page's drawing of them can be judged. The app's state goes to a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="ecs-field-render-"))
os.environ["ECS_FIELD_HOME"] = str(_HOME / "home")
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_HOME / _name.lower())

from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QStyleFactory  # noqa: E402

from ecs_field.gui import app as gui_app  # noqa: E402
from ecs_field.gui.pages import hardware  # noqa: E402
from tests.gui.render_lib import shoot  # noqa: E402
from tests.unit.compat import inventories as boxes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MACHINE = ROOT / "tests" / "fixtures" / "hardware" / "machines" / "asus-nuc12wsh-b" / "lspci-vvnn.txt"

STAND_IN_WARNINGS = [
    {
        "file": "lspci-vvnn.txt",
        "line": 1,
        "message": "shell prompt line skipped: '$ sudo lspci -vvnn'",
        "kind": "noise",
    },
    {
        "file": "lspci-vvnn.txt",
        "line": 58,
        "message": "the dump ends mid-line: NIC facts may be incomplete",
        "kind": "truncated",
    },
]
STAND_IN_RECOMMENDATIONS = [
    {
        "bus": "usb",
        "id": "0bda:8156",
        "chip": "Realtek RTL8156B",
        "driver": "vmkusb_nic_fling",
        "component": "USB NIC Fling 1.14-7vmw.803",
        "speed_mbps": 2500,
        "confidence": "high",
        "reason": "stand-in recommendation (the verdict had none)",
    },
    {
        "bus": "pci",
        "id": "8086:125c",
        "chip": "Intel I226-V",
        "driver": "ne1000",
        "component": None,
        "speed_mbps": 2500,
        "confidence": "medium",
        "reason": "stand-in recommendation (the verdict had none)",
    },
]


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#2a2a2a",
        QPalette.ColorRole.ToolTipBase: "#3a3a3a",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff5555",
        QPalette.ColorRole.Link: "#79c0ff",
        QPalette.ColorRole.Highlight: "#2f6fb0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#9a9a9a",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7f7f7f"))
    return palette


def with_stand_ins(evaluate: Callable[..., Any], *, not_checked: bool) -> Callable[..., Any]:
    """``evaluate`` whose document gains the issue-7 fields it lacks (marked as stand-ins)."""

    def wrapped(*args: Any) -> Any:
        verdict = evaluate(*args)
        to_dict = verdict.to_dict

        def doc() -> dict[str, Any]:
            data = to_dict()
            checks = data["checks"]
            if not_checked and not any("not_checked" in c for c in checks):
                for check in checks:
                    if check["id"] == "platform" and "No DMI" in check["detail"]:
                        check.update(status="warn", fix="Run 'sudo dmidecode' on the box and import it too.")
                    if check["status"] == "warn" and check["id"] in (
                        "platform",
                        "cpu",
                        "min-cores",
                        "min-memory",
                        "min-boot-disk",
                    ):
                        check["not_checked"] = True
                        check["seen"] = "nothing: lspci lists devices only (stand-in)"
                if any(c["status"] == "warn" for c in checks) and data["verdict"] == "supported":
                    data["verdict"] = "actions-required"
            if not_checked and not data.get("input_warnings"):
                data["input_warnings"] = STAND_IN_WARNINGS
            if not_checked and not data.get("recommendations"):
                data["recommendations"] = STAND_IN_RECOMMENDATIONS
            return data

        verdict.to_dict = doc
        return verdict

    return wrapped


def settle(app: QApplication, page: hardware.HardwarePage) -> None:
    for _ in range(200):
        QTest.qWait(25)
        if not page._busy:
            break
    QTest.qWait(50)




def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("/tmp/gui-shots")
    out.mkdir(parents=True, exist_ok=True)
    app = gui_app.create_application(["render-hardware-page"])
    app.setStyle(QStyleFactory.create("Fusion"))
    from ecs_field.gui.main_window import MainWindow

    real_evaluate = hardware.evaluate
    work = Path(tempfile.mkdtemp(prefix="dumps-", dir=_HOME))
    # a technician's paste: the prompt line on top, and the dump cut off in the middle of a line
    text = MACHINE.read_text(encoding="utf-8")
    cut = text[: max(text.find("\n", len(text) * 2 // 3), 0) + 25]
    pasted = work / "lspci-vvnn.txt"
    pasted.write_text("$ sudo lspci -vvnn\n" + cut, encoding="utf-8")
    bad = work / "notes.txt"
    bad.write_text("just some notes about the box\n", encoding="utf-8")

    for tone in ("light", "dark"):
        app.setPalette(dark_palette() if tone == "dark" else app.style().standardPalette())
        window = MainWindow()
        window.show()
        page = window.show_page("hardware")
        assert isinstance(page, hardware.HardwarePage)

        settle(app, page)
        shoot(window, out, f"empty-{tone}")

        hardware.evaluate = real_evaluate
        nuc = boxes.nuc11_with_rtl8156()
        nuc.usb, nuc.nics = [], nuc.nics[:1]
        nuc.cpu.flags_complete = True  # type: ignore[attr-defined]  # a full /proc/cpuinfo flag list
        page.show_inventory(nuc, "nuc11tnhi5 (probe export)")
        settle(app, page)
        shoot(window, out, f"supported-nuc-{tone}")

        hardware.evaluate = with_stand_ins(real_evaluate, not_checked=True)
        page.import_files([pasted])
        settle(app, page)
        if page.doc is None:  # this importer refuses the pasted prompt / cut line: the clean dump
            print("the pasted dump was refused; rendering the clean dump instead", file=sys.stderr)
            page.import_files([MACHINE])
            settle(app, page)
        page._on_devices_changed()  # a USB NIC plugged into this laptop meanwhile
        page.warnings_panel.toggle.setChecked(True)
        shoot(window, out, f"not-checked-{tone}")

        hardware.evaluate = real_evaluate
        page.notice.hide()
        page.show_inventory(boxes.unknown_nic_only(), "ms-b0a8 (inventory JSON)")
        settle(app, page)
        shoot(window, out, f"no-usable-nic-{tone}")

        page.import_files([bad])
        settle(app, page)
        shoot(window, out, f"failed-import-{tone}")
        window.close()
        page.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
