"""The fleet on the Sites page: one entry per site and the fleet's counts above the list.

The rows are what `ecs-field sites list` prints (ecs_field.sites.status.fleet.site_overview, read
from cached files only): each site's sync, health, snapshot age and last error; the counts are
fleet_counts of the same rows. Status is colour and word together (DESIGN.md 6).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ecs_field.gui.theme import Tones, tones_for
from ecs_field.gui.widgets.sites_badge import colour_for, label_for

ROLE_NAME = Qt.ItemDataRole.UserRole
ROLE_OVERVIEW = Qt.ItemDataRole.UserRole + 1


def sync_text(overview: Any) -> str:
    """The sync word with its counts, as `sites list` shows it (both counts when diverged)."""
    word = overview.sync if overview is not None else "unknown"
    text = label_for(word)
    if overview is None:
        return text
    if word == "behind" and overview.commits_behind:
        text += f" by {overview.commits_behind}"
    elif word == "ahead" and overview.commits_ahead:
        text += f" by {overview.commits_ahead}"
    elif word == "diverged":
        text += f" (+{overview.commits_ahead} / −{overview.commits_behind})"
    return text


def age_text(overview: Any) -> str:
    from ecs_field.sites.status.snapshot import human_age

    if overview is None or not overview.snapshot_taken_at:
        return "no snapshot"
    if overview.snapshot_age_s is None:
        return "snapshot dated in the future"
    return f"snapshot {human_age(overview.snapshot_age_s)} old" + (" (stale)" if overview.stale else "")


def short_age(overview: Any) -> str:
    """"10 min", "3 h (stale)", "no snapshot": the snapshot's age in a narrow list."""
    text = age_text(overview)
    if text.startswith("snapshot ") and " old" in text:
        return text.removeprefix("snapshot ").replace(" old", "")
    return text


def error_text(overview: Any) -> str:
    """The site's last error and any problem reading its cached files, on one line."""
    if overview is None:
        return ""
    parts = ([overview.last_error] if overview.last_error else []) + list(overview.problems or [])
    return " · ".join(" ".join(str(p).split()) for p in parts)


def site_tooltip(overview: Any) -> str:
    if overview is None:
        return ""
    lines = [
        overview.name,
        f"Sync: {sync_text(overview)}",
        f"Health: {label_for(overview.health)}",
        age_text(overview).capitalize(),
    ]
    if overview.last_error:
        lines.append(f"Last error: {overview.last_error}")
    lines += list(overview.problems or [])
    if not overview.computed_at:
        lines.append("Not read yet: open the site (or run `ecs-field status NAME`) to fill this line.")
    return "\n".join(lines)


SYNC_ORDER = ("diverged", "failed", "behind", "ahead", "suspended", "in-sync", "unknown")
HEALTH_ORDER = ("degraded", "progressing", "healthy", "unknown")


def fleet_summary_html(rows: Sequence[Any], tones: Tones) -> str:
    """"3 sites / Sync: 2 behind, 1 in sync / Health: 1 degraded, 2 healthy": each word in its colour,
    what needs a hand first."""
    from ecs_field.sites.status.fleet import fleet_counts

    if not rows:
        return ""
    counts = fleet_counts(list(rows))

    def words(mapping: dict[str, int], order: tuple[str, ...]) -> str:
        ordered = sorted(mapping.items(), key=lambda item: (_rank(item[0], order), item[0]))
        return ", ".join(
            f"<span style='color:{colour_for(word, tones)}'>{n} {html.escape(label_for(word).lower())}</span>"
            for word, n in ordered
        )

    total = f"{len(rows)} site{'s' if len(rows) != 1 else ''}"
    return (
        f"<b>{total}</b><br>Sync: {words(counts['sync'], SYNC_ORDER)}"
        f"<br>Health: {words(counts['health'], HEALTH_ORDER)}"
    )


def _rank(word: str, order: tuple[str, ...]) -> int:
    return order.index(word) if word in order else len(order)


class SiteItemDelegate(QStyledItemDelegate):
    """Per site: its name and health, a coloured dot with the sync word and snapshot age, the last error."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        lines = 3 if error_text(index.data(ROLE_OVERVIEW)) else 2
        return QSize(200, option.fontMetrics.height() * lines + 8 + 6 * (lines - 1))

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        overview = index.data(ROLE_OVERVIEW)
        name = str(index.data(ROLE_NAME) or "")
        tones = tones_for(option.palette)  # readable on this list's base, light or dark
        rect: QRect = option.rect.adjusted(10, 4, -8, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_colour = option.palette.highlightedText().color() if selected else option.palette.text().color()
        metrics = option.fontMetrics
        line_h = metrics.height()
        bold = QFont(option.font)
        bold.setBold(True)

        health = overview.health if overview is not None else "unknown"
        health_label = label_for(health)
        health_w = metrics.horizontalAdvance(health_label) + 4
        painter.setFont(bold)
        painter.setPen(text_colour)
        name_rect = QRect(rect.left(), rect.top(), rect.width() - health_w - 8, line_h)
        painter.drawText(
            name_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()),
        )
        painter.setFont(option.font)
        painter.setPen(text_colour if selected else QColor(colour_for(health, tones)))
        painter.drawText(
            QRect(rect.right() - health_w, rect.top(), health_w, line_h),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            health_label,
        )

        word = overview.sync if overview is not None else "unknown"
        colour = QColor(colour_for(word, tones))
        y2 = rect.top() + line_h + 6
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(QRect(rect.left(), y2 + (line_h - 10) // 2, 10, 10))
        detail = f"{sync_text(overview)} · {short_age(overview)}"  # narrow list: in full in the tooltip
        painter.setPen(text_colour if selected else colour)
        painter.drawText(
            QRect(rect.left() + 16, y2, rect.width() - 16, line_h),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(detail, Qt.TextElideMode.ElideRight, rect.width() - 16),
        )
        error = error_text(overview)
        if error:
            y3 = y2 + line_h + 6
            painter.setPen(text_colour if selected else QColor(tones.failed))
            painter.drawText(
                QRect(rect.left() + 16, y3, rect.width() - 16, line_h),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                metrics.elidedText(error, Qt.TextElideMode.ElideRight, rect.width() - 16),
            )
        painter.restore()
