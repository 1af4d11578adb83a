"""Light and dark: the palette the app uses, and the status colours that stay readable on it.

Every page takes its status colours from here (``tones_for(palette)``), so a word shown in
colour (DESIGN.md section 6: status is colour AND word) keeps a WCAG contrast of at least
4.5:1 against the background it is drawn on, in a light and in a dark palette alike. The
tones are GitHub Primer's, which are tuned for WCAG AA on their backgrounds; ``contrast_ratio``
lets tests check that claim against the palette actually in use.

Which theme: ``ECS_FIELD_THEME=dark|light`` wins; otherwise the OS colour scheme (Qt 6.5+
``QStyleHints.colorScheme()``) decides, and in light mode the app is left exactly as the
platform draws it. Dark is Fusion with ``dark_palette()`` and ``ThemeStyle``, which gives
unticked check boxes an outline that can be seen (on a dark window Fusion's is invisible).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory, QStyleOption, QWidget

log = logging.getLogger(__name__)

THEME_ENV = "ECS_FIELD_THEME"
# A widget learns of a new application palette by ApplicationPaletteChange, a top-level window by
# PaletteChange (Qt sends the former to child widgets only): pages listen to both.
PALETTE_EVENTS = (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange)
MIN_TEXT_CONTRAST = 4.5  # WCAG 2.x AA, normal-size text
MIN_UI_CONTRAST = 3.0  # WCAG 2.1 1.4.11: outlines a control is recognised by


# -- contrast (WCAG 2.x definitions) ---------------------------------------------------------------------
def _channel(value: float) -> float:
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str | QColor) -> float:
    c = QColor(colour)
    if not c.isValid():
        raise ValueError(f"not a colour: {colour!r}")
    return 0.2126 * _channel(c.redF()) + 0.7152 * _channel(c.greenF()) + 0.0722 * _channel(c.blueF())


def contrast_ratio(foreground: str | QColor, background: str | QColor) -> float:
    """1.0 (same colour) to 21.0 (black on white); the order of the two does not matter.

    A foreground with alpha is first laid over the background, as the screen shows it.
    """
    fg = composite(foreground, background)
    a, b = relative_luminance(fg), relative_luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def composite(foreground: str | QColor, background: str | QColor) -> QColor:
    """``foreground`` (maybe translucent) painted over an opaque ``background``."""
    fg, bg = QColor(foreground), QColor(background)
    for given, parsed in ((foreground, fg), (background, bg)):
        if not parsed.isValid():
            raise ValueError(f"not a colour: {given!r}")
    alpha = fg.alphaF()
    if alpha >= 1.0:
        return QColor(fg.rgb())
    pairs = ((fg.redF(), bg.redF()), (fg.greenF(), bg.greenF()), (fg.blueF(), bg.blueF()))
    mix = [alpha * f + (1 - alpha) * b for f, b in pairs]
    return QColor.fromRgbF(mix[0], mix[1], mix[2])


# -- tones -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """A tinted box (banner, badge): text in ``fg`` on ``bg``, framed by ``border``."""

    fg: str
    bg: str
    border: str


@dataclass(frozen=True)
class Tones:
    dark: bool
    passed: str
    action: str
    failed: str
    not_checked: str
    muted: str  # secondary text (details, "seen", hints)
    fix_bg: str  # background of a "Fix:" box
    fix_fg: str
    howto_bg: str  # background of a "How to check:" box (not checked)
    howto_fg: str
    link: str
    special: str = "#6639ba"  # purple: a state apart (a suspended Kustomization)
    border: str = "#6e7781"  # outlines of boxes and controls (>= 3:1 on window and base)
    # tinted boxes (banners) per state: pass, warn, fail, info, neutral, special
    ok_box: Box = Box("#116329", "#dafbe1", "#4ac26b")
    warn_box: Box = Box("#7d4e00", "#fff8c5", "#d4a72c")
    fail_box: Box = Box("#a40e26", "#ffebe9", "#ff8182")
    info_box: Box = Box("#0550ae", "#ddf4ff", "#54aeff")
    neutral_box: Box = Box("#424a53", "#f6f8fa", "#d0d7de")
    special_box: Box = Box("#512a97", "#fbefff", "#c297ff")
    # solid badges (pills) per state; on a light window white text on the full colour
    ok_badge: Box = Box("#ffffff", "#1a7f37", "#1a7f37")
    warn_badge: Box = Box("#ffffff", "#9a6700", "#9a6700")
    fail_badge: Box = Box("#ffffff", "#cf222e", "#cf222e")
    info_badge: Box = Box("#ffffff", "#0969da", "#0969da")
    neutral_badge: Box = Box("#ffffff", "#6e7781", "#6e7781")
    special_badge: Box = Box("#ffffff", "#8250df", "#8250df")

    def state(self, state: str) -> str:
        return {
            "pass": self.passed,
            "warn": self.action,
            "fail": self.failed,
            "not_checked": self.not_checked,
            "info": self.link,
            "special": self.special,
        }.get(state, self.muted)

    def support(self, support: str) -> str:
        return {
            "inbox": self.passed,
            "driver-required": self.action,
            "unsupported": self.failed,
        }.get(support, self.not_checked)

    def box(self, state: str) -> Box:
        """The tinted box (problem banner, missing NIC) for a state: pass, warn, fail, info, special."""
        return {
            "pass": self.ok_box,
            "warn": self.warn_box,
            "fail": self.fail_box,
            "info": self.info_box,
            "special": self.special_box,
        }.get(state, self.neutral_box)

    def badge(self, state: str) -> Box:
        return {
            "pass": self.ok_badge,
            "warn": self.warn_badge,
            "fail": self.fail_badge,
            "info": self.info_badge,
            "special": self.special_badge,
        }.get(state, self.neutral_badge)


LIGHT = Tones(
    dark=False,
    passed="#116329",
    action="#7d4e00",
    failed="#a40e26",
    not_checked="#4d5a6b",
    muted="#4d5761",
    fix_bg="#fff8c5",
    fix_fg="#3b2300",
    howto_bg="#eef1f4",
    howto_fg="#1f2328",
    link="#0550ae",
)
_DARK_OK = Box("#7ee787", "#0f2a1a", "#2ea043")
_DARK_WARN = Box("#f2cc60", "#2e2405", "#9e6a03")
_DARK_FAIL = Box("#ffa198", "#3a1216", "#da3633")
_DARK_INFO = Box("#a5d6ff", "#0d2540", "#1f6feb")
_DARK_NEUTRAL = Box("#d1d7e0", "#1c2128", "#3d444d")
_DARK_SPECIAL = Box("#e2c5ff", "#2a1548", "#8957e5")
DARK = Tones(
    dark=True,
    passed="#56d364",
    action="#e3b341",
    failed="#ff7b72",
    not_checked="#a5b4c6",
    muted="#b1bac4",
    fix_bg="#3d2e00",
    fix_fg="#f8e3a1",
    howto_bg="#2b3036",
    howto_fg="#e6edf3",
    link="#79c0ff",
    special="#d2a8ff",
    border="#8b949e",
    ok_box=_DARK_OK,
    warn_box=_DARK_WARN,
    fail_box=_DARK_FAIL,
    info_box=_DARK_INFO,
    neutral_box=_DARK_NEUTRAL,
    special_box=_DARK_SPECIAL,
    # a full-colour pill glares on a dark window: the same tinted boxes, framed
    ok_badge=_DARK_OK,
    warn_badge=_DARK_WARN,
    fail_badge=_DARK_FAIL,
    info_badge=_DARK_INFO,
    neutral_badge=Box("#d1d7e0", "#1c2128", "#656c76"),  # a pill's frame must show on the window
    special_badge=_DARK_SPECIAL,
)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def tones_for(palette: QPalette) -> Tones:
    return DARK if is_dark(palette) else LIGHT


def current_tones() -> Tones:
    """Tones for the application palette (a widget's own palette may be tinted by a style sheet)."""
    return tones_for(QApplication.palette())


def box_sheet(selector: str, box: Box, *, radius: int = 6, padding: str = "6px 10px") -> str:
    """A style sheet drawing ``selector`` as a tinted box with readable text."""
    return (
        f"{selector} {{ color: {box.fg}; background: {box.bg}; border: 1px solid {box.border};"
        f" border-radius: {radius}px; padding: {padding}; }}"
    )


# -- the dark palette and style --------------------------------------------------------------------------
DARK_ROLES: dict[QPalette.ColorRole, str] = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.AlternateBase: "#262626",
    QPalette.ColorRole.ToolTipBase: "#3a3a3a",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff7b72",
    QPalette.ColorRole.Link: "#79c0ff",
    QPalette.ColorRole.LinkVisited: "#d2a8ff",
    QPalette.ColorRole.Highlight: "#2f6fb0",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.PlaceholderText: "#9a9a9a",
}


def dark_palette() -> QPalette:
    """Fusion's frame shades derived from a dark button colour, then the roles text is read in."""
    roles = QPalette.ColorRole
    palette = QPalette(QColor(DARK_ROLES[roles.Button]), QColor(DARK_ROLES[roles.Window]))
    for role, colour in DARK_ROLES.items():
        palette.setColor(role, QColor(colour))
    if hasattr(QPalette.ColorRole, "Accent"):  # Qt 6.6+: ticks, progress, focus
        palette.setColor(QPalette.ColorRole.Accent, QColor("#3d8fd6"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#858585"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor("#474747"))
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight, QColor("#2f6fb0"))
    return palette


# check-box like indicators whose frame Fusion derives from the window colour (window.darker(140)):
# on a dark window that frame is all but invisible, so an unticked box looked like no box at all
_INDICATORS = (
    QStyle.PrimitiveElement.PE_IndicatorCheckBox,
    QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
    QStyle.PrimitiveElement.PE_IndicatorRadioButton,
)


def indicator_outline(palette: QPalette) -> QColor:
    """The frame drawn around check boxes (>= 3:1 against window and base, light or dark)."""
    return QColor(tones_for(palette).border)


class ThemeStyle(QProxyStyle):
    """Fusion, plus an outline around check boxes and radio buttons that can be seen.

    Fusion frames them in window.darker(140): about 1.6:1 on its light window and all but
    invisible on a dark one. Used only when the app applies a theme (dark, or ECS_FIELD_THEME=light);
    the platform's own light look is left alone.
    """

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in _INDICATORS:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, element == _INDICATORS[2])
        painter.setPen(indicator_outline(option.palette))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect: QRect = option.rect.adjusted(0, 0, -1, -1)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(rect.adjusted(1, 1, -1, -1))
        else:
            # Fusion draws the box in the option rect, one pixel in for item views
            side = min(rect.width(), rect.height())
            square = QRect(rect.left(), rect.top() + (rect.height() - side) // 2, side, side)
            painter.drawRect(square)
        painter.restore()


# -- choosing and applying ---------------------------------------------------------------------------------
def requested_theme(environ: Mapping[str, str] = os.environ) -> str:
    """'dark', 'light', or '' (follow the OS) from ECS_FIELD_THEME; other values are logged and ignored."""
    value = environ.get(THEME_ENV, "").strip().lower()
    if value in ("dark", "light"):
        return value
    if value not in ("", "auto", "system"):
        log.warning("%s=%r is not dark, light or auto: following the system", THEME_ENV, value)
    return ""


def system_scheme(app: QApplication | None = None) -> str:
    """'dark', 'light' or '' (not known: Qt older than 6.5, or a platform that does not say)."""
    hints = (app or QApplication.instance()).styleHints()  # type: ignore[union-attr]
    scheme = getattr(hints, "colorScheme", None)
    if scheme is None:
        return ""
    value = scheme()
    if value == Qt.ColorScheme.Dark:
        return "dark"
    if value == Qt.ColorScheme.Light:
        return "light"
    return ""


def choose_theme(environ: Mapping[str, str], scheme: str) -> str:
    """'dark' or 'light' to apply, or '' to leave the platform's look as it is (light, as always)."""
    wanted = requested_theme(environ)
    if wanted:
        return wanted
    return "dark" if scheme == "dark" else ""


class ThemeController:
    """Applies the chosen theme and follows the OS when it switches (unless ECS_FIELD_THEME pins it)."""

    def __init__(self, app: QApplication, environ: Mapping[str, str] = os.environ) -> None:
        self.app = app
        self.environ = environ
        self.applied = ""  # '' = the platform's own look
        self._original_style = app.style().name()
        self._original_palette = QPalette(app.palette())
        self._following = False

    def start(self) -> str:
        pinned = requested_theme(self.environ)
        hints = self.app.styleHints()
        if pinned and hasattr(hints, "setColorScheme"):
            # Qt 6.8+: native parts (title bar, file dialogs) follow the pinned scheme too
            hints.setColorScheme(Qt.ColorScheme.Dark if pinned == "dark" else Qt.ColorScheme.Light)
        if not pinned and hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._scheme_changed)
            self._following = True
        return self.update()

    def stop(self) -> None:
        """Stop following the OS (the look stays as it is)."""
        if self._following:
            self.app.styleHints().colorSchemeChanged.disconnect(self._scheme_changed)
            self._following = False

    def _scheme_changed(self, *_: object) -> None:
        self.update()

    def update(self) -> str:
        theme = choose_theme(self.environ, system_scheme(self.app))
        if theme != self.applied:
            apply_theme(self.app, theme, self._original_style, self._original_palette)
            self.applied = theme
            log.info("theme: %s", theme or "platform default")
        return theme


def apply_theme(
    app: QApplication, theme: str, original_style: str = "", original_palette: QPalette | None = None
) -> None:
    """Fusion + dark palette, Fusion + its light palette, or back to the platform's look ('')."""
    if theme in ("dark", "light"):
        app.setStyle(ThemeStyle(QStyleFactory.create("Fusion")))
        app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
        return
    if original_style:
        app.setStyle(QStyleFactory.create(original_style))
    if original_palette is not None:
        app.setPalette(original_palette)
