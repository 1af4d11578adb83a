"""What a write did, per stick, where the progress was: verified or not, the hash, the time, and
whether the stick may be pulled out now.

The panel takes the place (and the height) of the progress bar and speed graph, so the page does
not jump when a write ends; more sticks than fit scroll inside it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QWidget

from ecs_field.gui.widgets.media_progress import format_duration
from ecs_field.gui.widgets.media_reasons import page_words
from ecs_field.gui.widgets.media_runner import RunOutcome
from ecs_field.gui.widgets.media_style import media_tones
from ecs_field.gui.widgets.media_text import esc
from ecs_field.media.drives import human_size

SAFE = "Safe to remove"


def outcome_html(outcome: RunOutcome) -> str:
    """One stick's result: a headline (mark, word, device), the facts, and what to do with the stick."""
    tones = media_tones()
    name = esc(outcome.display or outcome.device)
    label = esc(outcome.label) + (f", {human_size(outcome.size_bytes)}" if outcome.size_bytes else "")
    if outcome.kind == "verify":
        return verify_html(outcome)
    if outcome.ok:
        colour = tones.passed if outcome.verified else tones.action
        word = "Written and verified" if outcome.verified else "Written, NOT verified"
        facts = []
        if outcome.verified:
            facts.append(
                f"all {human_size(outcome.bytes_written)} read back and matched"
                if outcome.bytes_written
                else "read back and matched"
            )
        else:
            facts.append("not read back: verification was off")
        if outcome.sha256:
            facts.append(f"SHA-256 <tt>{esc(outcome.sha256)}</tt>")
        if outcome.seconds is not None:
            facts.append(f"took {format_duration(outcome.seconds)}")
        box = tones.ok_box if outcome.verified else tones.warn_box
        safe = (
            f"<span style='color:{box.fg}; background:{box.bg}'>&nbsp;✔ {SAFE}&nbsp;</span> "
            "the stick's cache is written out: unplug it now."
        )
        mark = "✔" if outcome.verified else "!"
        return (
            f"<p style='margin:2px 0'><b style='color:{colour}'>{mark} {word}</b> · <b>{name}</b> {label}"
            f"<br>{' · '.join(facts)}<br>{safe}</p>"
        )
    detail = esc(page_words(outcome.summary))
    hint = f"<br><i>{esc(page_words(outcome.hint))}</i>" if outcome.hint else ""
    word = "Cancelled" if outcome.exit_code == 130 else "Failed"
    return (
        f"<p style='margin:2px 0'><b style='color:{tones.failed}'>✖ {word}</b> · <b>{name}</b> {label}"
        f"<br>{detail}{hint}</p>"
    )


def verify_html(outcome: RunOutcome) -> str:
    """A comparison: Same (and safe to remove, nothing was written), Different (where), or not compared."""
    tones = media_tones()
    name = esc(outcome.display or outcome.device)
    label = esc(outcome.label) + (f", {human_size(outcome.size_bytes)}" if outcome.size_bytes else "")
    took = f" · took {format_duration(outcome.seconds)}" if outcome.seconds is not None else ""
    if outcome.ok:
        box = tones.ok_box
        return (
            f"<p style='margin:2px 0'><b style='color:{tones.passed}'>✔ Same as the image</b> · "
            f"<b>{name}</b> {label}<br>{esc(outcome.summary)}{took}<br>"
            f"<span style='color:{box.fg}; background:{box.bg}'>"
            f"&nbsp;✔ {SAFE}&nbsp;</span> nothing was written: unplug it when you like.</p>"
        )
    word = {6: "Different from the image", 130: "Not compared"}.get(outcome.exit_code, "Could not compare")
    hint = f"<br><i>{esc(page_words(outcome.hint))}</i>" if outcome.hint else ""
    return (
        f"<p style='margin:2px 0'><b style='color:{tones.failed}'>✖ {word}</b> · <b>{name}</b> {label}"
        f"<br>{esc(page_words(outcome.summary))}{hint}</p>"
    )


class WriteResults(QScrollArea):
    """The per-stick results (``label`` holds them as rich text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("writeResults")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setAutoFillBackground(False)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName("Write results")
        self.setWidget(self.label)
        self.outcomes: list[RunOutcome] = []

    def show_outcomes(self, outcomes: list[RunOutcome]) -> None:
        self.outcomes = list(outcomes)
        self.label.setText("".join(outcome_html(o) for o in outcomes))

    def restyle(self) -> None:
        if self.outcomes:
            self.show_outcomes(self.outcomes)
