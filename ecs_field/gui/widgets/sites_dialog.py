"""Add or edit a site: the fields of sites.yaml, checked by the registry before saving."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ecs_field.errors import EcsFieldError
from ecs_field.gui.theme import current_tones
from ecs_field.sites.registry import Host, Site, is_remote_repo, validate_site


class SiteDialog(QDialog):
    def __init__(
        self, parent: QWidget | None = None, site: Site | None = None, *, repo_hint: str = ""
    ) -> None:
        super().__init__(parent)
        self.editing = site is not None
        self.setWindowTitle("Edit site" if site else "Add site")
        self.setMinimumWidth(520)
        self.result_site: Site | None = None
        self._original = site

        self.name = QLineEdit(site.name if site else "")
        self.name.setPlaceholderText("depot-7 (lower-case letters, digits, - . _)")
        self.name.setReadOnly(self.editing)
        if self.editing:
            self.name.setToolTip("A site keeps its name (its snapshots and history are filed under it).")
        self.repo = QLineEdit(site.repo if site else repo_hint)
        self.repo.setPlaceholderText("https://git.example.com/edge/depot-7.git or a local folder")
        browse = QPushButton("F&older…")
        browse.clicked.connect(self._browse_repo)
        repo_row = QHBoxLayout()
        repo_row.addWidget(self.repo, 1)
        repo_row.addWidget(browse)
        self.branch = QLineEdit(site.branch if site else "")
        self.branch.setPlaceholderText("default branch")
        self.path = QLineEdit(site.path if site else "./")
        self.api = QLineEdit(site.hosts[0].api if site and site.hosts else "")
        self.api.setPlaceholderText("https://10.0.0.20:6443 (the host's API, for snapshots)")
        self.token_env = QLineEdit(site.token_env if site else "")
        self.token_env.setPlaceholderText("ECS_TOKEN (name of the variable, not the token)")
        self.ca_file = QLineEdit(site.ca_file if site else "")
        self.ca_file.setPlaceholderText("host CA certificate (PEM) when its certificate is self-signed")
        inventory = site.inventory if site and isinstance(site.inventory, str) else ""
        self.inventory = QLineEdit(inventory)
        self.inventory.setPlaceholderText("inventory JSON or lspci/lsusb dumps of the box (optional)")
        inv_browse = QPushButton("Fi&le…")
        inv_browse.clicked.connect(self._browse_inventory)
        inv_row = QHBoxLayout()
        inv_row.addWidget(self.inventory, 1)
        inv_row.addWidget(inv_browse)

        form = QFormLayout()
        self._field_errors: dict[QLineEdit, QLabel] = {}
        # required fields carry a star in their label and say so to screen readers
        form.addRow("&Name *", self._with_error(self.name, self.name))
        form.addRow("&Repository *", self._with_error(repo_row, self.repo))
        form.addRow("&Branch", self._with_error(self.branch, self.branch))
        form.addRow("&Path in repository", self._with_error(self.path, self.path))
        form.addRow("Host &API", self._with_error(self.api, self.api))
        form.addRow("&Token variable", self._with_error(self.token_env, self.token_env))
        form.addRow("Host CA &file", self._with_error(self.ca_file, self.ca_file))
        form.addRow("&Inventory", self._with_error(inv_row, self.inventory))
        for field in (self.name, self.repo):
            field.setAccessibleDescription("required")
        # the mnemonic of a row must put the cursor in its field (rows hold a container)
        for field in self._field_errors:
            container = field.parentWidget()
            while container is not None and form.labelForField(container) is None:
                container = container.parentWidget()
            label = form.labelForField(container) if container is not None else None
            if isinstance(label, QLabel):
                label.setBuddy(field)
        required = QLabel("* required")
        required.setObjectName("siteDialogRequired")
        self.error = QLabel()
        self.error.setObjectName("siteDialogError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setContentsMargins(0, 0, 0, 3)
        self.error.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)  # spare height below the messages, never between them
        bottom = QHBoxLayout()
        bottom.addWidget(required)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        if repo_hint and not site:
            self.name.setText(_name_from(repo_hint))

    def _browse_repo(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Site repository folder")
        if folder:
            self.repo.setText(folder)
            if not self.name.text():
                self.name.setText(_name_from(folder))

    def _browse_inventory(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Inventory of the site's box")
        if chosen:
            self.inventory.setText(chosen)

    def build_site(self) -> Site:
        hosts: tuple[Host, ...] = ()
        if self.api.text().strip():
            old = self._original.hosts[0] if self._original and self._original.hosts else None
            hosts = (
                Host(old.name if old else "host-1", self.api.text().strip(), old.token_ref if old else ""),
            )
            if self._original:
                hosts = hosts + self._original.hosts[1:]
        inventory: str | dict[str, object] | None = self.inventory.text().strip() or None
        if inventory is None and self._original is not None and isinstance(self._original.inventory, dict):
            inventory = self._original.inventory
        site = Site(
            name=self.name.text().strip(),
            repo=self.repo.text().strip(),
            branch=self.branch.text().strip(),
            path=self.path.text().strip() or "./",
            hosts=hosts,
            token_env=self.token_env.text().strip(),
            token_keyring=self._original.token_keyring if self._original else "",
            release=self._original.release if self._original else "",
            inventory=inventory,
            notes=self._original.notes if self._original else "",
            ca_file=self.ca_file.text().strip(),
        )
        validate_site(site)
        return site

    def _with_error(self, row: QWidget | QLayout, field: QLineEdit) -> QWidget:
        """The field (or its row with a browse button) with its own error line under it."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if isinstance(row, QLayout):
            column.addLayout(row)
        else:
            column.addWidget(row)
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        # a wrapped label's last line loses its descenders ("_" of ECS_TOKEN) without this room
        error.setContentsMargins(0, 0, 0, 3)
        error.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        error.hide()
        column.addWidget(error)
        self._field_errors[field] = error
        return box

    def field_problems(self) -> dict[QLineEdit, str]:
        """Every field's problem at once, each checked by the registry's own validation."""
        problems: dict[QLineEdit, str] = {}
        name = self.name.text().strip()
        repo = self.repo.text().strip()
        probe_name = "new-site"
        if not name:
            problems[self.name] = "Required: a short name such as depot-7."
        else:
            message = _problem(Site(name=name, repo="probe"), "")
            if message:
                problems[self.name] = message
            else:
                probe_name = name
        prefix = f"site {probe_name}: "
        if not repo:
            problems[self.repo] = "Required: a Git URL or the folder of a clone."
        elif not is_remote_repo(repo) and not Path(repo).expanduser().is_dir():
            problems[self.repo] = f"No such folder: {repo}. Give an existing clone's folder or a Git URL."
        checks: list[tuple[QLineEdit, Site]] = [
            (self.path, Site(name=probe_name, repo="probe", path=self.path.text().strip() or "./")),
            (self.token_env, Site(name=probe_name, repo="probe", token_env=self.token_env.text().strip())),
        ]
        api = self.api.text().strip()
        if api:
            checks.append((self.api, Site(name=probe_name, repo="probe", hosts=(Host("host-1", api),))))
        for field, probe in checks:
            message = _problem(probe, prefix)
            if message:
                problems[field] = message
        ca = self.ca_file.text().strip()
        if ca:
            from ecs_field.sites.status.tls import check_ca_file

            try:
                check_ca_file(Path(ca).expanduser(), option="Host CA file")
            except EcsFieldError as exc:
                problems[self.ca_file] = _sentence(exc.message, exc.hint)
        inventory = self.inventory.text().strip()
        if inventory and not Path(inventory).expanduser().is_file():
            problems[self.inventory] = f"No such file: {inventory}. Give an inventory JSON or a dump file."
        return problems

    def show_problems(self, problems: dict[QLineEdit, str]) -> None:
        tones = current_tones()  # readable on light and dark
        for field, label in self._field_errors.items():
            message = problems.get(field, "")
            label.setText(message)
            label.setVisible(bool(message))
            label.setStyleSheet(f"color: {tones.failed};")
            field.setStyleSheet(f"QLineEdit {{ border: 2px solid {tones.failed}; }}" if message else "")
        if problems:
            # in the order of the form, top to bottom
            problems = {f: problems[f] for f in self._field_errors if f in problems}
            count = len(problems)
            self.error.setText(
                f"{count} field{'s need' if count != 1 else ' needs'} a fix before saving (marked in red): "
                + ", ".join(_field_name(self, f) for f in problems)
                + "."
            )
            self.error.setStyleSheet(f"color: {tones.failed};")
            self.error.show()
            next(iter(problems)).setFocus()
        else:
            self.error.clear()
            self.error.hide()

    def _accept(self) -> None:
        problems = self.field_problems()
        if not problems:
            try:
                self.result_site = self.build_site()
            except EcsFieldError as exc:  # a rule no single field shows (e.g. two hosts)
                self.result_site = None
                self.show_problems({})
                self.error.setText(exc.message + (f"\n{exc.hint}" if exc.hint else ""))
                self.error.setStyleSheet(f"color: {current_tones().failed};")
                self.error.show()
                return
        self.show_problems(problems)
        if problems:
            self.result_site = None
            return
        self.accept()

    def changed_fields(self) -> dict[str, object]:
        """The fields of the edited site that differ from the registry's (for Registry.update_fields)."""
        if self._original is None or self.result_site is None:
            return {}
        before, after = self._original.to_dict(), self.result_site.to_dict()
        keys = ("repo", "branch", "path", "hosts", "token_env", "ca_file", "inventory")
        return {
            key: getattr(self.result_site, key) for key in keys if before.get(key) != after.get(key)
        }


def _problem(site: Site, prefix: str) -> str:
    try:
        validate_site(site)
    except EcsFieldError as exc:
        return _sentence(exc.message.removeprefix(prefix), exc.hint)
    return ""


def _sentence(message: str, hint: str | None) -> str:
    """"Message. Hint": the registry's words as one readable line under the field."""
    message = message[:1].upper() + message[1:]
    if message and message[-1] not in ".!?":
        message += "."
    return f"{message} {hint}" if hint else message


def _field_name(dialog: SiteDialog, field: QLineEdit) -> str:
    return {
        dialog.name: "Name",
        dialog.repo: "Repository",
        dialog.branch: "Branch",
        dialog.path: "Path in repository",
        dialog.api: "Host API",
        dialog.token_env: "Token variable",
        dialog.ca_file: "Host CA file",
        dialog.inventory: "Inventory",
    }.get(field, "Field")


def _name_from(repo: str) -> str:
    stem = Path(repo.rstrip("/")).name.removesuffix(".git").lower()
    cleaned = "".join(ch if ch.isalnum() or ch in "-._" else "-" for ch in stem).strip("-._")
    return cleaned[:63]
