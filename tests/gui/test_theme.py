"""Light and dark: every status colour a page shows is readable on the background it is drawn on.

Each page is rendered (QWidget.grab) in the light theme (Fusion + its light palette) and the
dark theme (Fusion + theme.dark_palette()). Text colours are read from what the page set (item
foregrounds, the style sheets and rich text of its labels) and compared with the background
they sit on (the palette's window or base colour, or the box's own background) using the WCAG
2.x contrast ratio: >= 4.5:1 for text. Check boxes are the exception: their outline is sampled
from the rendered pixels, against the window or list colour (>= 3:1, WCAG 1.4.11). The Boot
media page is rendered too; its fixed colours are another helper's to switch, so what fails
there is marked xfail ("media page colours: lead to switch"). Since 1a0c635 every media colour
comes from the theme (media_style.py), so no media check is marked: each must pass in both themes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QLabel,
    QStyle,
    QStyleFactory,
    QStyleOptionButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ecs_field.gui import theme
from ecs_field.gui.theme import DARK, LIGHT, MIN_TEXT_CONTRAST, MIN_UI_CONTRAST, contrast_ratio

Pair = tuple[str, str, str]  # (what, text colour, background colour)
MEDIA_XFAIL = "media page colours: lead to switch"

# -- contrast helper ---------------------------------------------------------------------------------------


def test_contrast_ratio_matches_the_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WebAIM's reference pair: #767676 on white is the lightest grey that passes AA (4.54:1)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") < MIN_TEXT_CONTRAST
    # order does not matter; a translucent foreground is laid over the background first
    assert contrast_ratio("#ffffff", "#000000") == contrast_ratio("#000000", "#ffffff")
    assert contrast_ratio(QColor(0, 0, 0, 0), "#ffffff") == pytest.approx(1.0)
    with pytest.raises(ValueError):
        contrast_ratio("not a colour", "#ffffff")


hex_colour = st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}")


@given(hex_colour, hex_colour)
def test_contrast_ratio_is_symmetric_and_bounded(a: str, b: str) -> None:
    ratio = contrast_ratio(a, b)
    assert 1.0 <= ratio <= 21.0 + 1e-9
    assert ratio == pytest.approx(contrast_ratio(b, a))


# -- the tones against the palettes they are used with -----------------------------------------------------
def light_palette() -> QPalette:
    return QStyleFactory.create("Fusion").standardPalette()


TEXT_TONES = ("passed", "action", "failed", "not_checked", "muted", "link", "special")
BACKGROUNDS = (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase)


@pytest.mark.parametrize("tone", ["light", "dark"])
def test_every_tone_is_readable_on_window_base_and_alternate_rows(tone: str) -> None:
    tones, palette = (DARK, theme.dark_palette()) if tone == "dark" else (LIGHT, light_palette())
    # the platform's own light palettes are close to Fusion's: Windows 10/11 window #f0f0f0
    extra = [] if tone == "dark" else ["#f0f0f0", "#ffffff"]
    backgrounds = [palette.color(role).name() for role in BACKGROUNDS] + extra
    failures = [
        f"{name} {getattr(tones, name)} on {bg}: {contrast_ratio(getattr(tones, name), bg):.2f}"
        for name in TEXT_TONES
        for bg in backgrounds
        if contrast_ratio(getattr(tones, name), bg) < MIN_TEXT_CONTRAST
    ]
    for state in ("pass", "warn", "fail", "info", "special", "neutral"):
        for kind in ("box", "badge"):
            box = getattr(tones, kind)(state)
            if contrast_ratio(box.fg, box.bg) < MIN_TEXT_CONTRAST:
                failures.append(f"{kind} {state}: {box.fg} on {box.bg}")
    for fg, bg in ((tones.fix_fg, tones.fix_bg), (tones.howto_fg, tones.howto_bg)):
        if contrast_ratio(fg, bg) < MIN_TEXT_CONTRAST:
            failures.append(f"box {fg} on {bg}")
    failures += [
        f"border {tones.border} on {bg}"
        for bg in backgrounds
        if contrast_ratio(tones.border, bg) < MIN_UI_CONTRAST
    ]
    assert not failures, failures


def test_the_dark_palette_is_dark_and_its_text_readable() -> None:
    palette = theme.dark_palette()
    assert theme.is_dark(palette) and theme.tones_for(palette) is DARK
    assert theme.tones_for(light_palette()) is LIGHT
    pairs = [
        (QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
        (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
        (QPalette.ColorRole.Text, QPalette.ColorRole.AlternateBase),
        (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
        (QPalette.ColorRole.HighlightedText, QPalette.ColorRole.Highlight),
        (QPalette.ColorRole.ToolTipText, QPalette.ColorRole.ToolTipBase),
        (QPalette.ColorRole.Link, QPalette.ColorRole.Base),
    ]
    for fg, bg in pairs:
        assert contrast_ratio(palette.color(fg), palette.color(bg)) >= MIN_TEXT_CONTRAST, (fg, bg)


# -- which theme -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "scheme", "expected"),
    [
        ({}, "", ""),  # nothing known: the platform's look, as before
        ({}, "light", ""),
        ({}, "dark", "dark"),
        ({"ECS_FIELD_THEME": "dark"}, "light", "dark"),
        ({"ECS_FIELD_THEME": " Light "}, "dark", "light"),
        ({"ECS_FIELD_THEME": "auto"}, "dark", "dark"),
        ({"ECS_FIELD_THEME": "solarized"}, "dark", "dark"),  # unknown: logged, the OS decides
        ({"ECS_FIELD_THEME": "solarized"}, "", ""),
    ],
)
def test_choose_theme(env: dict[str, str], scheme: str, expected: str) -> None:
    assert theme.choose_theme(env, scheme) == expected


@given(st.text(max_size=30), st.sampled_from(["", "light", "dark"]))
def test_any_theme_variable_gives_a_theme_or_none(value: str, scheme: str) -> None:
    assert theme.choose_theme({"ECS_FIELD_THEME": value}, scheme) in ("", "light", "dark")


@pytest.fixture
def restore_look(qapp: QApplication) -> Iterator[None]:
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    yield
    theme.apply_theme(qapp, "", style, palette)


def test_controller_follows_the_os_and_returns_to_the_platform_look(
    qapp: QApplication, restore_look: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = {"now": "dark"}
    monkeypatch.setattr(theme, "system_scheme", lambda _app=None: scheme["now"])
    before = qapp.palette().color(QPalette.ColorRole.Window).name()
    controller = theme.ThemeController(qapp, environ={})
    assert controller.update() == "dark"
    assert isinstance(qapp.style(), theme.ThemeStyle) and theme.is_dark(qapp.palette())
    assert (
        qapp.palette().color(QPalette.ColorRole.Window).name() == theme.DARK_ROLES[QPalette.ColorRole.Window]
    )
    scheme["now"] = "light"  # the technician switches the OS back to light
    assert controller.update() == ""
    assert not isinstance(qapp.style(), theme.ThemeStyle)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == before


def test_start_follows_the_os_signal_when_not_pinned(
    qapp: QApplication, restore_look: None, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> None:
    scheme = {"now": ""}
    monkeypatch.setattr(theme, "system_scheme", lambda _app=None: scheme["now"])
    controller = theme.ThemeController(qapp, environ={})
    assert controller.start() == "" and not theme.is_dark(qapp.palette())
    scheme["now"] = "dark"
    try:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the OS switched to dark
        qtbot.waitUntil(lambda: theme.is_dark(qapp.palette()), timeout=2000)
        assert controller.applied == "dark"
    finally:
        controller.stop()
    scheme["now"] = ""
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    qtbot.wait(50)
    assert controller.applied == "dark"  # stopped: no longer follows


def test_start_with_a_pinned_theme_applies_it(qapp: QApplication, restore_look: None) -> None:
    hints = qapp.styleHints()
    controller = theme.ThemeController(qapp, environ={"ECS_FIELD_THEME": "dark"})
    try:
        assert controller.start() == "dark" and theme.is_dark(qapp.palette())
    finally:
        if hasattr(hints, "unsetColorScheme"):  # Qt 6.8+: the pin is app-wide; later tests must not see it
            hints.unsetColorScheme()


def test_pinned_light_wins_over_a_dark_os(
    qapp: QApplication, restore_look: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(theme, "system_scheme", lambda _app=None: "dark")
    controller = theme.ThemeController(qapp, environ={"ECS_FIELD_THEME": "light"})
    assert controller.update() == "light"
    assert not theme.is_dark(qapp.palette()) and isinstance(qapp.style(), theme.ThemeStyle)


# -- pages, rendered in each theme -------------------------------------------------------------------------
def switch_theme(qtbot: QtBot, qapp: QApplication, name: str) -> None:
    """Switch as the OS does, from inside the event loop (Qt tells widgets of a new palette only there)."""
    QTimer.singleShot(0, lambda: theme.apply_theme(qapp, name))
    qtbot.wait(150)


@pytest.fixture(params=["light", "dark"])
def tone(request: pytest.FixtureRequest, qapp: QApplication, restore_look: None) -> str:
    theme.apply_theme(qapp, request.param)
    return str(request.param)


STYLE_ATTR = re.compile(r"style\s*=\s*(['\"])(.*?)\1", re.S)
COLOUR_PROP = re.compile(r"(?<![\w-])color\s*:\s*(#[0-9a-fA-F]{3,8}|[a-z]+)")
BACKGROUND_PROP = re.compile(r"(?<![\w-])background(?:-color)?\s*:\s*(#[0-9a-fA-F]{3,8}|[a-z]+)")


def html_pairs(what: str, html: str, background: str) -> list[Pair]:
    """(text colour, background) of every inline style that sets a colour in rich text."""
    pairs = []
    for _, style in STYLE_ATTR.findall(html):
        colour = COLOUR_PROP.search(style)
        if colour:
            bg = BACKGROUND_PROP.search(style)
            pairs.append((f"{what}: {style.strip()}", colour.group(1), bg.group(1) if bg else background))
    return pairs


def sheet_pair(what: str, sheet: str, background: str) -> list[Pair]:
    """The colour a style sheet gives a widget's text, on the sheet's background or ``background``."""
    colour = COLOUR_PROP.search(sheet)
    if not colour:
        return []
    bg = BACKGROUND_PROP.search(sheet)
    return [(what, colour.group(1), bg.group(1) if bg else background)]


def label_pairs(what: str, label: QLabel, background: str) -> list[Pair]:
    """A label's text colour (its style sheet's, else its palette's) and its rich-text spans."""
    pairs = sheet_pair(what, label.styleSheet(), background)
    if not pairs:
        pairs = [(what, label.palette().color(label.foregroundRole()).name(), background)]
    return pairs + html_pairs(what, label.text(), background)


def window_of(widget: QWidget) -> str:
    return QApplication.palette().color(QPalette.ColorRole.Window).name()


def base_colours(view: QAbstractItemView) -> list[str]:
    palette = view.palette()
    colours = [palette.color(QPalette.ColorRole.Base).name()]
    if view.alternatingRowColors():
        colours.append(palette.color(QPalette.ColorRole.AlternateBase).name())
    return colours


def model_pairs(what: str, view: QAbstractItemView, columns: list[int]) -> list[Pair]:
    """Foreground colours a model gives its cells, on every row colour of the view."""
    model = view.model()
    pairs = []

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            for column in columns:
                index = model.index(row, column, parent)
                brush = index.data(Qt.ItemDataRole.ForegroundRole)
                if brush is not None:
                    colour = brush.color() if hasattr(brush, "color") else QColor(brush)
                    for bg in base_colours(view):
                        pairs.append((f"{what} {index.data()!r}", colour.name(), bg))
            walk(model.index(row, 0, parent))

    walk(QModelIndex())
    return pairs


def too_faint(pairs: list[Pair]) -> list[str]:
    return [
        f"{what}: {fg} on {bg} = {contrast_ratio(fg, bg):.2f}"
        for what, fg, bg in pairs
        if contrast_ratio(fg, bg) < MIN_TEXT_CONTRAST
    ]


def shoot(widget: QWidget, tmp_path: Path, name: str) -> QImage:
    image = widget.grab().toImage()
    assert not image.isNull() and image.save(str(tmp_path / f"{name}.png"))
    return image


def max_contrast(image: QImage, left: int, top: int, width: int, height: int, against: str) -> float:
    best = 1.0
    for x in range(max(left, 0), min(left + width, image.width())):
        for y in range(max(top, 0), min(top + height, image.height())):
            best = max(best, contrast_ratio(image.pixelColor(x, y), against))
    return best


def checkbox_outline_contrast(box: QCheckBox) -> float:
    """Pixels of an unticked check box's indicator, as drawn, against the window behind it."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    behind = box.palette().color(QPalette.ColorRole.Window).name()
    return max_contrast(image, rect.left(), rect.top(), rect.width(), rect.height(), behind)


def test_an_unticked_check_box_can_be_seen_on_the_dark_window(
    qtbot: QtBot, qapp: QApplication, restore_look: None
) -> None:
    qapp.setPalette(theme.dark_palette())
    plain = QCheckBox("Show all drives")
    qtbot.addWidget(plain)
    plain.setStyle(QStyleFactory.create("Fusion"))
    plain.show()
    # why ThemeStyle exists: Fusion frames the box in window.darker(140), lost on a dark window
    assert checkbox_outline_contrast(plain) < MIN_UI_CONTRAST
    theme.apply_theme(qapp, "dark")
    themed = QCheckBox("Show all drives")
    qtbot.addWidget(themed)
    themed.show()
    assert checkbox_outline_contrast(themed) >= MIN_UI_CONTRAST
    theme.apply_theme(qapp, "light")  # Fusion's light frame is faint too (about 1.6:1)
    light = QCheckBox("Show all drives")
    qtbot.addWidget(light)
    light.show()
    assert checkbox_outline_contrast(light) >= MIN_UI_CONTRAST


def check_boxes_seen(page: QWidget) -> list[str]:
    return [
        f"check box {box.text()!r}: outline {checkbox_outline_contrast(box):.2f}"
        for box in page.findChildren(QCheckBox)
        if box.isVisible() and not box.isChecked() and checkbox_outline_contrast(box) < MIN_UI_CONTRAST
    ]


# Hardware -------------------------------------------------------------------------------------------------
class NoWatcher:
    def __init__(self, _callback: Callable[[], None]) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def test_hardware_page(qtbot: QtBot, tone: str, tmp_path: Path) -> None:
    from ecs_field.gui.pages.hardware import HardwarePage
    from tests.unit.compat import inventories as boxes

    page = HardwarePage(probe=lambda _ids: boxes.nuc12_hybrid(), watcher_factory=NoWatcher)
    qtbot.addWidget(page)
    page.resize(1000, 720)
    page.show()
    page.show_inventory(boxes.unknown_nic_only(), "ms-b0a8 (inventory JSON)")
    qtbot.waitUntil(lambda: page.verdict is not None and not page._busy, timeout=10000)
    page.notice.show_message("A network adapter was plugged in.")
    page.error_label.setText("stand-in error")
    shoot(page, tmp_path, f"hardware-{tone}")
    window = window_of(page)
    base = page.checks_view.palette().color(QPalette.ColorRole.Base).name()
    text, background, _ = page.banner.colours()
    pairs: list[Pair] = [("verdict banner", text, background)]
    pairs += html_pairs("checks", page.checks_view.toHtml(), base)
    pairs += sheet_pair("error line", page.error_label.styleSheet(), window)
    pairs += sheet_pair("footer", page.footer.styleSheet(), window)
    notice = page.notice.styleSheet()
    pairs.append(("notice bar", COLOUR_PROP.findall(notice)[0], BACKGROUND_PROP.findall(notice)[0]))
    pairs += model_pairs("NIC support", page.nic_table, [6])
    assert len(pairs) > 8  # the page really showed coloured states
    assert not too_faint(pairs)
    assert theme.tones_for(QApplication.palette()).dark == (tone == "dark")


# Sites ----------------------------------------------------------------------------------------------------
@pytest.fixture
def sites_page(qtbot: QtBot, tone: str) -> Iterator[Any]:
    from ecs_field.gui.pages.sites import SitesPage

    page = SitesPage()
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.self_test()  # the demo site: behind, a failed and a missing workload, lint errors, a missing NIC
    yield page
    page.shutdown()
    page.jobs.wait_all(10000)


def sites_pairs(page: Any) -> list[Pair]:
    from ecs_field.gui.widgets.sites_badge import colour_for

    window = window_of(page)
    fg, bg = page.badge.colours()
    pairs: list[Pair] = [("sync badge", fg, bg)]
    pairs += sheet_pair("badge sheet", page.badge.styleSheet(), window)
    pairs += html_pairs("sync line", page.sync_line.text(), window)
    pairs += sheet_pair("problem banner", page.problem.styleSheet(), window)
    for name in ("workloads_view", "lint_view", "flux_view"):
        pairs += model_pairs(name, getattr(page, name), [0])
    highlighter = page._highlighter
    diff_base = page.diff_view.palette().color(QPalette.ColorRole.Base).name()
    for fmt in (highlighter.added, highlighter.removed, highlighter.hunk):
        pairs.append(("diff", fmt.foreground().color().name(), diff_base))
    list_tones = theme.tones_for(page.site_list.palette())
    list_base = page.site_list.palette().color(QPalette.ColorRole.Base).name()
    for row in range(page.site_list.count()):
        overview = page.site_list.item(row).data(Qt.ItemDataRole.UserRole + 1)
        pairs.append((f"site list {overview.sync}", colour_for(overview.sync, list_tones), list_base))
    return pairs


def test_sites_page_with_the_demo_site(qtbot: QtBot, sites_page: Any, tone: str, tmp_path: Path) -> None:
    page = sites_page
    page._show_problem("The repository of far-site is not cloned yet.", "Press Pull to clone it.")
    image = shoot(page, tmp_path, f"sites-{tone}")
    pairs = sites_pairs(page)
    words = {what.split(" '")[-1].strip("'") for what, _, _ in pairs if what.startswith("workloads_view")}
    assert {"Failed", "Missing", "Current"} <= words and len(pairs) > 20
    assert not too_faint(pairs)
    # the banner's background is really drawn (pixels sampled just inside its frame)
    banner_bg = BACKGROUND_PROP.search(page.problem.styleSheet()).group(1)  # type: ignore[union-attr]
    corner = page.problem.mapTo(page, QPoint(4, page.problem.height() // 2))
    assert image.pixelColor(corner).name() == QColor(banner_bg).name()
    # the list's dot is drawn in the tone tested above (pixels of the rendered list)
    from ecs_field.gui.widgets.sites_badge import colour_for

    dot = QColor(colour_for("behind", theme.tones_for(page.site_list.palette()))).name()
    listed = page.site_list.viewport().grab().toImage()
    assert any(
        listed.pixelColor(x, y).name() == dot
        for x in range(0, 40)
        for y in range(0, min(60, listed.height()))
    )


def test_sites_network_drawing_uses_the_palette(
    qtbot: QtBot, sites_page: Any, tone: str, tmp_path: Path
) -> None:
    page = sites_page
    page.tabs.setCurrentIndex(4)
    diagram = page.network
    image = shoot(diagram, tmp_path, f"network-{tone}")
    tones = theme.tones_for(diagram.palette())
    missing = tones.box("fail")
    assert contrast_ratio(missing.fg, missing.bg) >= MIN_TEXT_CONTRAST
    for state in ("info", "neutral"):  # VLAN tags
        badge = tones.badge(state)
        assert contrast_ratio(badge.fg, badge.bg) >= MIN_TEXT_CONTRAST
    seen = {
        image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
    }
    assert QColor(missing.bg).name() in seen  # the missing NIC's box is filled with the tested tint
    assert QColor(tones.badge("info").bg).name() in seen


def test_sites_page_follows_a_switch_of_theme(
    qtbot: QtBot, sites_page: Any, tone: str, qapp: QApplication
) -> None:
    page = sites_page
    page._show_problem("stand-in problem")
    other = "light" if tone == "dark" else "dark"
    switch_theme(qtbot, qapp, other)
    tones = theme.current_tones()
    assert tones.dark == (other == "dark")
    assert page.badge.colours() == (tones.badge("warn").fg, tones.badge("warn").bg)
    assert tones.box("fail").bg in page.problem.styleSheet()
    assert page._highlighter.added.foreground().color().name() == QColor(tones.passed).name()
    assert tones.action in page.sync_line.text() or "color" not in page.sync_line.text()
    assert not too_faint(sites_pairs(page))


# History --------------------------------------------------------------------------------------------------
def write_sample_history() -> None:
    from ecs_field.media import history
    from tests.gui.test_history_page import record

    history.append_record(record("cancelled", "AA0001", started_at="2026-11-18T08:00:00Z", verified=False))
    history.append_record(record("not-verified", "AA0002", started_at="2026-11-19T08:00:00Z", verified=False))
    history.append_record(record("verified", "4C530001230817105404"))
    history.append_record(
        record(
            "failed",
            "AA00000000017361",
            started_at="2026-11-21T10:00:00Z",
            error="I/O error writing /dev/sdb at 112 MiB: the stick was unplugged",
            verified=False,
            exit_code=5,
            phases=[],
        )
    )


def history_pairs(page: Any) -> list[Pair]:
    window = window_of(page)
    pairs = model_pairs("result", page.table, [7])
    pairs += html_pairs("details", page.details.text(), window)
    pairs += html_pairs("status", page.status.text(), window)
    return pairs


def test_history_page_with_records(qtbot: QtBot, tone: str, tmp_path: Path, qapp: QApplication) -> None:
    from ecs_field.gui.pages.history import HistoryPage
    from ecs_field.media import history

    write_sample_history()
    page = HistoryPage()
    qtbot.addWidget(page)
    page.resize(1100, 500)
    page.show()
    page.activated()
    shoot(page, tmp_path, f"history-{tone}")
    pairs = history_pairs(page)
    assert len([p for p in pairs if p[0].startswith("result")]) >= 4
    assert any("error" not in what and "details" in what for what, _, _ in pairs)
    assert not too_faint(pairs)
    # a switch of theme recolours the table and keeps the row being read
    page.table.selectRow(2)
    switch_theme(qtbot, qapp, "light" if tone == "dark" else "dark")
    assert page.table.currentRow() == 2
    assert not too_faint(history_pairs(page))
    # the corrupt-file line
    history.history_path().write_text("{ not json")
    page.reload()
    pairs = history_pairs(page)
    assert any(what.startswith("status") for what, _, _ in pairs)
    assert not too_faint(pairs)


# The whole window (status bar, navigation) ----------------------------------------------------------------
def test_status_bar_words(qtbot: QtBot, tone: str, qapp: QApplication) -> None:
    from ecs_field.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.refresh_status()
    pairs = sheet_pair("online", window.online_label.styleSheet(), window_of(window))
    assert pairs and not too_faint(pairs)
    switch_theme(qtbot, qapp, "light" if tone == "dark" else "dark")
    pairs = sheet_pair("online", window.online_label.styleSheet(), window_of(window))
    assert pairs and not too_faint(pairs)
    assert contrast_ratio("#ffffff", "#1f5f8b") >= MIN_TEXT_CONTRAST  # the selected navigation entry
    for page in window.pages:
        page.shutdown()


# Boot media (its colours are switched by the lead: what fails is xfail) -----------------------------------
def stand_in_drives() -> list[Any]:
    from ecs_field.media.drives.model import Drive

    return [
        Drive(path="/dev/sdb", size_bytes=30_752_636_928, vendor="SanDisk", model="Ultra",
              serial="4C530001230817105404", bus="usb", removable=True, kind="usb", name="sdb",
              writable=True),
        Drive(path="/dev/nvme1n1", size_bytes=512_110_190_592, vendor="Samsung", model="SSD 980",
              serial="S64ANS0T1234", bus="nvme", kind="nvme", name="nvme1n1",
              reasons=["not removable: an internal disk"]),
        Drive(path="/dev/nvme0n1", size_bytes=1_024_209_543_168, vendor="WD", model="SN770", bus="nvme",
              kind="nvme", name="nvme0n1", system=True, mountpoints=["/", "/boot/efi"],
              protected=["holds the running system (/)"]),
    ]  # fmt: skip


@pytest.fixture
def media_page(qtbot: QtBot, tone: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from PySide6.QtCore import QThreadPool

    from ecs_field.gui.pages import media
    from ecs_field.gui.widgets.media_runner import InProcessRunner, RunOutcome

    def listing(include_internal: bool = False) -> list[Any]:
        # as long as a real listing takes: media.py connects its "finished" handler after the job
        # started, so an instant job leaves the page "looking for drives" (reported to the lead)
        time.sleep(0.2)
        return [d for d in stand_in_drives() if include_internal or d.removable]

    monkeypatch.setattr(media, "list_drives", listing)
    page = media.MediaPage(runner=InProcessRunner(), watch=False)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    page.activated()
    page.show_all.setChecked(True)
    qtbot.waitUntil(lambda: not page._drive_job_running and len(page.drives) == 3, timeout=10000)
    page.facts.show_error(Path("notes.iso"), "not an ISO 9660 image")
    page._on_finished([
        RunOutcome("/dev/sdb", "SanDisk Ultra", True, True, 0, "written and read back: they match."),
        RunOutcome("/dev/sdc", "Kingston", True, False, 0, "written, NOT read back (verify was off)."),
        RunOutcome("/dev/sdd", "Generic", False, False, 5, "I/O error at 112 MiB.", "Try another stick."),
    ])  # fmt: skip
    qtbot.waitUntil(lambda: not page._drive_job_running, timeout=10000)
    internal = page.drive_list.item_for("/dev/nvme1n1")  # its reasons show in the details below
    assert internal is not None
    page.drive_list.setCurrentItem(internal)
    yield page
    page.shutdown()
    QThreadPool.globalInstance().waitForDone(10000)


def test_media_page_renders_and_its_check_boxes_show(media_page: Any, tone: str, tmp_path: Path) -> None:
    page = media_page
    shoot(page, tmp_path, f"media-{tone}")
    assert not check_boxes_seen(page)
    # the unticked drive row's check box, sampled from the rendered list (not a colour read back)
    view = page.drive_list
    item = view.item_for("/dev/nvme1n1")
    assert item.checkState(0) == Qt.CheckState.Unchecked
    rect = view.visualItemRect(item)
    image = view.viewport().grab().toImage()
    behind = view.palette().color(QPalette.ColorRole.Base).name()
    assert max_contrast(image, rect.left(), rect.top(), 26, rect.height(), behind) >= MIN_UI_CONTRAST


def media_xfail(*tones: str) -> Callable[[str], None]:
    """Mark a media check as a known failure in ``tones`` (the other tones must pass)."""

    def apply(tone: str) -> None:
        if tone in tones:
            pytest.xfail(MEDIA_XFAIL)

    return apply


def warning_pairs(page: Any) -> list[Pair]:
    """The not-bootable panel: its labels' colour on the panel's own background (one style sheet)."""
    sheet = page.not_bootable.styleSheet()
    colours, backgrounds = COLOUR_PROP.findall(sheet), BACKGROUND_PROP.findall(sheet)
    return [("not-bootable warning", colours[0], backgrounds[0])] if colours and backgrounds else []


def download_error_pairs(page: Any) -> list[Pair]:
    from ecs_field.gui.widgets.media_download import DownloadDialog

    dialog = DownloadDialog(page)
    dialog.error.setText("The server answered 404: no such file.")
    pairs = label_pairs("download dialog error", dialog.error, window_of(dialog))
    dialog.deleteLater()
    return pairs


def warning_panel_matches_the_window(page: Any) -> list[Pair]:
    """The not-bootable panel's background must belong to the palette: no light box on a dark window.

    Reported as a pair (panel, window) that must differ by less than 4.5:1 in a dark theme, i.e.
    the panel is a tint of the window, not a light banner; in light the pair is not checked.
    """
    if not theme.current_tones().dark:
        return [("light theme: not checked", "#000000", "#ffffff")]
    sheet = page.not_bootable.styleSheet()
    panel = (BACKGROUND_PROP.findall(sheet) or [window_of(page)])[0]
    # inverted on purpose: too_faint() flags a pair below 4.5:1, so give it one that passes only
    # when the panel is dark (panel luminance close to the window's, black text would fail on it)
    return [("not-bootable panel is dark", "#ffffff", panel)]


MEDIA_CHECKS: dict[str, tuple[Callable[[Any], list[Pair]], tuple[str, ...]]] = {
    # element -> (its colour pairs, the tones it is known to fail in: xfail "lead to switch")
    "drive count": (lambda p: label_pairs("drive count", p.drive_status, window_of(p)), ()),
    "drive badges and reasons": (lambda p: model_pairs("drive", p.drive_list, [0, 3]), ()),
    "drive details": (lambda p: html_pairs("details", p.drive_details.text(), window_of(p)), ()),
    "image notes and error": (
        lambda p: label_pairs("notes", p.facts.fields["notes"], window_of(p)), ()),
    "write results": (lambda p: html_pairs("result", p.result_label.text(), window_of(p)), ()),
    "not-bootable warning text": (warning_pairs, ()),
    "download dialog error": (download_error_pairs, ()),
    "not-bootable panel is a tint of the window": (warning_panel_matches_the_window, ()),
}  # fmt: skip


@pytest.mark.parametrize("element", list(MEDIA_CHECKS))
def test_media_page_colours(media_page: Any, tone: str, element: str) -> None:
    pairs_of, known_failures = MEDIA_CHECKS[element]
    pairs = pairs_of(media_page)
    assert pairs, f"{element}: no colour found (did the page change?)"
    faint = too_faint(pairs)
    if faint:
        media_xfail(*known_failures)(tone)
    assert not faint, faint


def test_labels_without_a_colour_of_their_own_use_the_palette_text(qtbot: QtBot, tone: str) -> None:
    """Plain labels follow the palette: window text on the window is readable in both themes."""
    label = QLabel("plain")
    qtbot.addWidget(label)
    palette = label.palette()
    assert (
        contrast_ratio(palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window))
        >= MIN_TEXT_CONTRAST
    )
