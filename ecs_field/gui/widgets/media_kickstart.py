"""Unattended install on the Boot media page: the host's settings, checked as typed, and the ks.cfg.

The section on the page is one row (off by default): a tick, a Settings… button and what is set.
The fields are those of ``ecs-field kickstart`` (host name, address/prefix, gateway, DNS, VLAN,
NTP, NIC, install disk, root password) in a dialog with a live preview of ks.cfg: at 1024x640
the page has no room for ten fields. Values are checked by ecs_field.media.kickstart.model (the
same rules as the command line) and their problems shown beside the field in the page's words.
Defaults come from a site's ``install`` mapping in sites.yaml. The root password is hashed
(SHA-512 crypt) the moment it is accepted and both password fields are emptied: the plaintext
is kept nowhere, and only the hash reaches ks.cfg.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ecs_field.gui.widgets.media_style import media_tones
from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.kickstart.model import FieldProblem, HostSettings, RawSettings, check_settings

log = logging.getLogger(__name__)

# field -> (label on screen, placeholder)
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "hostname": ("Host name", "esx01.depot7.example"),
    "ip": ("Address/prefix", "10.7.0.10/24"),
    "gateway": ("Gateway", "10.7.0.1"),
    "dns": ("DNS servers", "10.7.0.2, 10.7.0.3"),
    "vlan": ("VLAN (optional)", "untagged"),
    "ntp": ("NTP servers (optional)", "pool.ntp.org"),
    "nic": ("Management NIC (optional)", "the installer's choice, e.g. vmnic0"),
    "disk": ("Install disk", "local (first local disk; never a USB disk)"),
}
_OPTION = re.compile(r"--(hostname|ip|gateway|dns|vlan|ntp|nic|disk)\b")


def problem_words(problem: FieldProblem) -> str:
    """A FieldProblem said with the dialog's field names ("Gateway"), not the options (--gateway)."""
    text = _OPTION.sub(lambda m: f"“{FIELD_WORDS[m.group(1)][0]}”", problem.message)
    text = re.sub(r"\(e\.g\. “[^”]+” ", "(e.g. ", text)  # "(e.g. --ip 10.0.0.10/24)" -> "(e.g. 10.0.0.10/24)"
    where = f" (default from {problem.origin})" if problem.origin else ""
    return text + where


@dataclass
class KickstartState:
    """What the section holds: typed values, the site they default from, and the root password's hash."""

    values: dict[str, str] = field(default_factory=dict)
    site: str = ""
    root_hash: str = ""
    _defaults: dict[str, RawSettings] = field(default_factory=dict, repr=False, compare=False)

    def raw(self) -> RawSettings:
        typed: dict[str, Any] = {name: self.values.get(name) or None for name in FIELD_WORDS}
        raw = RawSettings(**typed)
        if self.site:
            if self.site not in self._defaults:  # read sites.yaml once per site, not per keystroke
                self._defaults[self.site] = site_defaults(self.site)
            raw = raw.filled_from(self._defaults[self.site])
        return raw

    def check(self) -> tuple[HostSettings | None, list[FieldProblem]]:
        return check_settings(self.raw())

    def text(self) -> str | None:
        """The ks.cfg, or None while a value or the password is missing."""
        from ecs_field.media.kickstart.render import render_kickstart

        settings, _problems = self.check()
        if settings is None or not self.root_hash:
            return None
        return render_kickstart(settings, self.root_hash)


def site_names() -> list[str]:
    try:
        from ecs_field.sites.registry import Registry

        return list(Registry.load().names())
    except Exception as exc:  # an unreadable sites.yaml: no defaults, said in the log
        log.info("sites for kickstart defaults: %s", exc)
        return []


def site_defaults(name: str) -> RawSettings:
    from ecs_field.media.kickstart.model import settings_from_site
    from ecs_field.sites.registry import Registry

    try:
        site = Registry.load().get(name)
    except Exception as exc:
        log.info("site %s: %s", name, exc)
        return RawSettings()
    defaults, _warnings = settings_from_site(site.install, site.name)
    return defaults


class KickstartDialog(QDialog):
    """The fields, each with its problem under it, the root password and the ks.cfg preview."""

    def __init__(self, state: KickstartState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unattended install")
        self.state = KickstartState(dict(state.values), state.site, state.root_hash)
        self.fields: dict[str, QLineEdit] = {}
        self.problems: dict[str, QLabel] = {}
        form = QFormLayout()
        self.site = QComboBox()
        self.site.addItem("(none)", "")
        for name in site_names():
            self.site.addItem(name, name)
        self.site.setCurrentIndex(max(0, self.site.findData(state.site)))
        self.site.currentIndexChanged.connect(self._site_changed)
        form.addRow("Defaults from &site", self.site)
        for name, (label, placeholder) in FIELD_WORDS.items():
            edit = QLineEdit(self.state.values.get(name, ""))
            edit.setPlaceholderText(placeholder)
            edit.textChanged.connect(self._changed)
            problem = QLabel("")
            problem.setWordWrap(True)
            problem.setVisible(False)
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(edit)
            column.addWidget(problem)
            form.addRow(label, column)
            self.fields[name] = edit
            self.problems[name] = problem
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("root password for the host")
        self.password_again = QLineEdit()
        self.password_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_again.setPlaceholderText("again, to be sure")
        self.password_again.returnPressed.connect(self.take_password)
        self.password_again.editingFinished.connect(self.take_password)
        self.password_state = QLabel("")
        self.password_state.setWordWrap(True)
        form.addRow("Root &password", self.password)
        form.addRow("", self.password_again)
        form.addRow("", self.password_state)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setAccessibleName("ks.cfg preview")
        # one kickstart line, one screen line: a wrapped line would read as two commands
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.preview.setMinimumWidth(420)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addLayout(form, 3)
        preview_column = QVBoxLayout()
        preview_column.addWidget(QLabel("ks.cfg as it goes on the stick (/KS.CFG):"))
        preview_column.addWidget(self.preview, 1)
        row.addLayout(preview_column, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self._site_changed()  # the site's defaults as placeholders (a site gone from sites.yaml: none)

    def _site_changed(self) -> None:
        self.state.site = str(self.site.currentData() or "")
        defaults = site_defaults(self.state.site) if self.state.site else RawSettings()
        for name, edit in self.fields.items():
            value = getattr(defaults, name)
            if isinstance(value, list | tuple):
                value = ", ".join(str(v) for v in value)
            shown = "" if value is None else str(value)
            if name == "ip" and defaults.prefix and not shown:
                shown = f"address; prefix /{defaults.prefix}"
            edit.setPlaceholderText(f"{shown} (from {self.state.site})" if shown else FIELD_WORDS[name][1])
        self._changed()

    def take_password(self) -> None:
        """Hash the password once both entries agree and ESXi 8 would take it; then forget it."""
        from ecs_field.media.kickstart.cryptpw import sha512_crypt
        from ecs_field.media.kickstart.password import check_root_password

        tones = media_tones()
        first, second = self.password.text(), self.password_again.text()
        if not first and not second:
            return
        if first != second:
            if second:
                self._say_password(tones.failed, "✖ The two entries differ.")
            return
        verdict = check_root_password(first)
        if not verdict.ok:
            self._say_password(tones.failed, "✖ ESXi would refuse it: " + "; ".join(verdict.reasons()) + ".")
            return
        self.state.root_hash = sha512_crypt(first)
        del first, second
        self.password.clear()
        self.password_again.clear()
        self._changed()

    def _say_password(self, colour: str, text: str) -> None:
        self.password_state.setText(f"<span style='color:{colour}'>{esc(text)}</span>")

    def _changed(self) -> None:
        tones = media_tones()
        for name, edit in self.fields.items():
            self.state.values[name] = edit.text().strip()
        settings, problems = self.state.check()
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem_words(problem))
        for name, label in self.problems.items():
            text = " ".join(by_field.get(name, []))
            label.setText(f"<span style='color:{tones.failed}'>✖ {esc(text)}</span>" if text else "")
            label.setVisible(bool(text))
        if self.state.root_hash:
            self._say_password(
                tones.passed, "✔ Set: kept only as a SHA-512 crypt hash. Type a new one to change it."
            )
        elif not self.password_state.text():
            self._say_password(tones.muted, "Not set yet: the stick needs one.")
        kickstart = self.state.text()
        if kickstart is not None:
            self.preview.setPlainText(kickstart)
        elif settings is None:
            self.preview.setPlainText("# Fill in the fields marked ✖ to see ks.cfg here.")
        else:
            self.preview.setPlainText("# Set the root password to see ks.cfg here.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)


class UnattendedSection(QWidget):
    """One row on the page: [x] Unattended install · Settings… · what is set, or what is missing."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = KickstartState()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.enabled = QCheckBox("&Unattended install")
        self.enabled.setToolTip(
            "Put a kickstart (ks.cfg) on the stick: the host installs itself with these "
            "network settings and root password, without questions at its console."
        )
        self.enabled.toggled.connect(self._toggled)
        self.settings_button = QPushButton("Se&ttings…")
        self.settings_button.clicked.connect(self.edit)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        row.addWidget(self.enabled)
        row.addWidget(self.settings_button)
        row.addWidget(self.summary, 1)
        self.unavailable = ""  # why the chosen image cannot carry one ("" = it can)
        # The page tells which site is selected on the Sites page ("" = none).
        self.selected_site: Any = lambda: ""
        # Tests replace this to fill the dialog and accept it.
        self.dialog_hook: Any = lambda dialog: dialog.exec() == QDialog.DialogCode.Accepted
        self._refresh()

    def _toggled(self, on: bool) -> None:
        if on and not self.state.text():
            self.edit()
        self._refresh()

    def edit(self) -> None:
        if not self.state.site and not self.state.values:
            # first time: the site chosen on the Sites page gives the defaults
            self.state.site = self.selected_site()
        dialog = KickstartDialog(self.state, self)
        if self.dialog_hook(dialog):
            self.state = dialog.state
        self._refresh()

    def set_unavailable(self, reason: str) -> None:
        """The image cannot carry a kickstart (a raw write): the tick is off and says why."""
        if reason == self.unavailable:
            return
        self.unavailable = reason
        if reason:
            self.enabled.blockSignals(True)  # the page asked: it needs no "changed" back
            self.enabled.setChecked(False)
            self.enabled.blockSignals(False)
        self.enabled.setEnabled(not reason)
        self.settings_button.setEnabled(not reason)
        self._refresh(emit=False)

    def active(self) -> bool:
        return self.enabled.isChecked() and not self.unavailable

    def ready(self) -> bool:
        return not self.active() or self.state.text() is not None

    def missing(self) -> str:
        """What is still needed, in words ("" when nothing is)."""
        if not self.active():
            return ""
        settings, problems = self.state.check()
        if settings is None:
            names = dict.fromkeys(FIELD_WORDS.get(p.field, (p.field, ""))[0] for p in problems)
            return "Unattended install: fix " + ", ".join(names) + " (Settings…)."
        if not self.state.root_hash:
            return "Unattended install: set the root password (Settings…)."
        return ""

    def describe(self) -> str:
        settings, _ = self.state.check()
        if settings is None:
            return ""
        return f"{settings.hostname} ({settings.interface})"

    def restyle(self) -> None:
        self._refresh(emit=False)

    def _refresh(self, *, emit: bool = True) -> None:
        tones = media_tones()
        if self.unavailable:
            text = f"<span style='color:{tones.muted}'>{esc(self.unavailable)}</span>"
        elif not self.enabled.isChecked():
            text = (
                f"<span style='color:{tones.muted}'>Off: the installer asks its questions at the host.</span>"
            )
        elif self.missing():
            text = f"<span style='color:{tones.action}'>! {esc(self.missing())}</span>"
        else:
            text = (
                f"<span style='color:{tones.passed}'>✔ Installs {esc(self.describe())} by itself; "
                "root password set (hashed).</span>"
            )
        self.summary.setText(text)
        if emit:
            self.changed.emit()

    def setEnabled(self, enabled: bool) -> None:
        """Locked while writing; an image that cannot carry one keeps its tick disabled."""
        super().setEnabled(enabled)
        if enabled and self.unavailable:
            self.enabled.setEnabled(False)
            self.settings_button.setEnabled(False)
