"""Add or edit a site: the fields of sites.yaml, checked by the registry before saving."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ecs_field.errors import EcsFieldError
from ecs_field.gui.theme import current_tones
from ecs_field.sites.registry import Host, Site, validate_site


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
        form.addRow("&Name", self.name)
        form.addRow("&Repository", repo_row)
        form.addRow("&Branch", self.branch)
        form.addRow("&Path in repository", self.path)
        form.addRow("Host &API", self.api)
        form.addRow("&Token variable", self.token_env)
        form.addRow("Host CA &file", self.ca_file)
        form.addRow("&Inventory", inv_row)
        # rows holding a layout (field + browse button) get no buddy by themselves: the mnemonic
        # must still put the cursor in the field
        for field, row in ((self.repo, repo_row), (self.inventory, inv_row)):
            label = form.labelForField(row)
            if isinstance(label, QLabel):
                label.setBuddy(field)
        self.error = QLabel()
        self.error.setObjectName("siteDialogError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {current_tones().failed};")  # readable on light and dark
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
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

    def _accept(self) -> None:
        try:
            self.result_site = self.build_site()
        except EcsFieldError as exc:
            self.error.setText(exc.message + (f"\n{exc.hint}" if exc.hint else ""))
            return
        self.accept()


def _name_from(repo: str) -> str:
    stem = Path(repo.rstrip("/")).name.removesuffix(".git").lower()
    cleaned = "".join(ch if ch.isalnum() or ch in "-._" else "-" for ch in stem).strip("-._")
    return cleaned[:63]
