"""A small live graph of the write/verify rate, painted by hand (no chart library needed)."""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

PHASE_COLORS = {"write": QColor("#0969da"), "verify": QColor("#1a7f37"), "flush": QColor("#9a6700")}


def format_rate(rate_bps: float) -> str:
    if rate_bps <= 0:
        return "–"
    value = rate_bps
    for unit in ("B/s", "kB/s", "MB/s", "GB/s"):
        if value < 1000 or unit == "GB/s":
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
        value /= 1000
    return f"{rate_bps:.0f} B/s"  # pragma: no cover


class SpeedGraph(QWidget):
    """Keeps the last ``capacity`` samples (rate, phase) and draws them as a filled line."""

    def __init__(self, parent: QWidget | None = None, capacity: int = 240) -> None:
        super().__init__(parent)
        self.samples: deque[tuple[float, str]] = deque(maxlen=capacity)
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Speed graph")

    def sizeHint(self) -> QSize:
        return QSize(360, 80)

    def clear(self) -> None:
        self.samples.clear()
        self.update()

    def add(self, rate_bps: float, phase: str) -> None:
        self.samples.append((max(0.0, rate_bps), phase))
        self.setToolTip(f"{phase}: {format_rate(rate_bps)}")
        self.update()

    @property
    def peak(self) -> float:
        return max((rate for rate, _ in self.samples), default=0.0)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        palette = self.palette()
        painter.fillRect(area, palette.base())
        painter.setPen(QPen(palette.mid().color(), 1))
        painter.drawRect(area)
        for fraction in (0.25, 0.5, 0.75):  # faint grid
            y = area.top() + area.height() * fraction
            painter.setPen(QPen(palette.midlight().color(), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        peak = self.peak
        if len(self.samples) >= 2 and peak > 0:
            plot = area.adjusted(2, 16, -2, -2)
            step = plot.width() / max(1, (self.samples.maxlen or len(self.samples)) - 1)
            segments: list[tuple[str, list[QPointF]]] = []
            for index, (rate, phase) in enumerate(self.samples):
                point = QPointF(plot.left() + index * step, plot.bottom() - plot.height() * rate / peak)
                if not segments or segments[-1][0] != phase:
                    if segments:
                        segments[-1][1].append(point)
                    segments.append((phase, []))
                segments[-1][1].append(point)
            for phase, points in segments:
                color = PHASE_COLORS.get(phase, palette.highlight().color())
                fill = QColor(color)
                fill.setAlpha(50)
                polygon = QPolygonF([QPointF(points[0].x(), plot.bottom()), *points,
                                     QPointF(points[-1].x(), plot.bottom())])
                path = QPainterPath()
                path.addPolygon(polygon)
                painter.fillPath(path, fill)
                painter.setPen(QPen(color, 1.6))
                painter.drawPolyline(QPolygonF(points))
                # each phase is named where it starts: the colour alone must not carry it
                width = points[-1].x() - points[0].x()
                if width > painter.fontMetrics().horizontalAdvance(phase) + 8:
                    painter.setPen(palette.text().color())
                    painter.drawText(QPointF(points[0].x() + 4, plot.bottom() - 4), phase)
        painter.setPen(palette.text().color())
        label = f"peak {format_rate(peak)}" if peak > 0 else "speed"
        text_area = area.adjusted(6, 2, -6, -2)
        top = Qt.AlignmentFlag.AlignTop
        painter.drawText(text_area, Qt.AlignmentFlag.AlignLeft | top, label)
        if self.samples:
            rate, phase = self.samples[-1]
            painter.drawText(text_area, Qt.AlignmentFlag.AlignRight | top, f"{phase} {format_rate(rate)}")
        painter.end()
