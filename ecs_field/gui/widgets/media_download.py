"""Download an ISO from the orchestrator into the image library, from the Boot media page.

The page runs ``media.download.download_image`` in a worker; this module holds the dialog that
asks for the URL and what proves the download (SHA-256), and the progress dialog with Cancel.
A cancelled or interrupted download keeps its ``.part`` file: starting it again resumes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ecs_field.errors import BadInput, EcsFieldError
from ecs_field.gui.widgets.media_style import media_tones
from ecs_field.media.library.hashing import normalize_sha256


class DownloadDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Download an image")
        self.setMinimumWidth(560)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://orchestrator.example/…/ECS-host.iso")
        self.sha256 = QLineEdit()
        self.sha256.setPlaceholderText("optional: the SHA-256 the orchestrator shows")
        self.token_env = QLineEdit()
        self.token_env.setPlaceholderText("optional: environment variable holding the bearer token")
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("optional: CA certificate (PEM) of a private orchestrator")
        form = QFormLayout()
        form.addRow("&URL", self.url)
        form.addRow("&SHA-256", self.sha256)
        form.addRow("&Token variable", self.token_env)
        form.addRow("CA &file", self.ca_file)
        note = QLabel(
            "Without a variable the token is looked up in the keyring (service ecs-field, user = the "
            "server's host name). Tokens are never stored by the app. An interrupted download resumes."
        )
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {media_tones().failed};")
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok | cancel)
        buttons.button(ok).setText("Download")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def request(self) -> dict[str, object]:
        """The keyword arguments for download_image; raises EcsFieldError for bad fields."""
        from ecs_field.media.library.download import check_url  # the downloader loads when it is used

        url = check_url(self.url.text())
        sha = self.sha256.text().strip()
        ca = self.ca_file.text().strip()
        if ca and not Path(ca).expanduser().is_file():
            raise BadInput(f"CA file {ca}: no such file", "Give the orchestrator's CA certificate (PEM).")
        return {
            "url": url,
            "sha256": normalize_sha256(sha, where="SHA-256") if sha else None,
            "token_env": self.token_env.text().strip() or None,
            "ca_file": Path(ca).expanduser() if ca else None,
        }

    def _accept(self) -> None:
        try:
            self.request()
        except EcsFieldError as exc:
            self.error.setText(exc.message + (f"\n{exc.hint}" if exc.hint else ""))
            return
        self.accept()
