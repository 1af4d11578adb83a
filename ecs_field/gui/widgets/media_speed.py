"""A small live graph of the write/verify rate, painted by hand (no chart library needed).

The whole job is shown across the whole width, however short it was: samples are spread over
the width (a 3-second write filled 6 % of it when each sample had a fixed step), and a long job
halves its resolution instead of scrolling its start away. Peak and current rate sit in a strip
of their own above the plot, so no line runs through them; a phase is named under its line where
it starts when the line leaves room, else in that strip beside its colour.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ecs_field.gui.widgets.media_style import phase_colour

PHASE_NAMES = {"write": "write", "flush": "flush", "verify": "verify"}


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
    """Keeps up to ``capacity`` samples (rate, phase) of the whole job and draws them as filled lines."""

    def __init__(self, parent: QWidget | None = None, capacity: int = 240) -> None:
        super().__init__(parent)
        self.capacity = max(4, capacity)
        self.samples: list[tuple[float, str]] = []
        self._stride = 1  # events per sample: doubles each time the samples fill ``capacity``
        self._pending: list[tuple[float, str]] = []
        self.setMinimumHeight(72)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Speed graph")

    def sizeHint(self) -> QSize:
        return QSize(360, 84)

    def clear(self) -> None:
        self.samples.clear()
        self._pending.clear()
        self._stride = 1
        self.update()

    def add(self, rate_bps: float, phase: str) -> None:
        self._pending.append((max(0.0, rate_bps), phase))
        if len(self._pending) >= self._stride or self._pending[0][1] != phase:
            rates = [r for r, _ in self._pending]
            self.samples.append((sum(rates) / len(rates), self._pending[-1][1]))
            self._pending.clear()
        if len(self.samples) >= self.capacity:  # keep the whole job: halve the resolution
            self.samples = [
                ((a[0] + b[0]) / 2, a[1]) for a, b in zip(self.samples[::2], self.samples[1::2], strict=False)
            ] + ([self.samples[-1]] if len(self.samples) % 2 else [])
            self._stride *= 2
        self.setToolTip(f"{phase}: {format_rate(rate_bps)}")
        self.update()

    @property
    def peak(self) -> float:
        return max((rate for rate, _ in self.samples), default=0.0)

    def header_height(self) -> int:
        return self.fontMetrics().height() + 4

    def plot_rect(self) -> QRectF:
        """Where the lines go: below the words, inside the frame."""
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        return area.adjusted(3, self.header_height() + 2, -3, -3)

    def points(self) -> list[tuple[str, QPointF]]:
        """Each sample's point, the first at the left edge and the last at the right edge."""
        plot, peak = self.plot_rect(), self.peak
        if not self.samples or peak <= 0:
            return []
        step = plot.width() / max(1, len(self.samples) - 1)
        return [
            (phase, QPointF(plot.left() + index * step, plot.bottom() - plot.height() * rate / peak))
            for index, (rate, phase) in enumerate(self.samples)
        ]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        palette = self.palette()
        painter.fillRect(area, palette.base())
        painter.setPen(QPen(palette.mid().color(), 1))
        painter.drawRect(area)
        plot = self.plot_rect()
        painter.setPen(QPen(palette.mid().color(), 1, Qt.PenStyle.DotLine))
        for fraction in (0.25, 0.5, 0.75):  # faint grid, inside the plot only
            y = plot.top() + plot.height() * fraction
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        segments: list[tuple[str, list[QPointF]]] = []
        for phase, point in self.points():
            if not segments or segments[-1][0] != phase:
                if segments:
                    segments[-1][1].append(point)  # joined: no gap between phases
                segments.append((phase, []))
            segments[-1][1].append(point)
        if len(segments) == 1 and len(segments[0][1]) == 1:  # one sample: a flat line over the width
            only = segments[0][1][0]
            segments[0][1][:] = [QPointF(plot.left(), only.y()), QPointF(plot.right(), only.y())]
        for phase, line in segments:
            if len(line) < 2:
                line.append(QPointF(plot.right(), line[0].y()))
            color = phase_colour(phase)
            fill = QColor(color)
            fill.setAlpha(55)
            path = QPainterPath()
            path.addPolygon(
                QPolygonF([QPointF(line[0].x(), plot.bottom()), *line, QPointF(line[-1].x(), plot.bottom())])
            )
            painter.fillPath(path, fill)
            painter.setPen(QPen(color, 1.8))
            painter.drawPolyline(QPolygonF(line))
        named = {phase for phase, line in segments if self._name_in_plot(painter, phase, line, plot)}
        self._paint_header(painter, area, named)
        painter.end()

    def _name_in_plot(self, painter: QPainter, phase: str, line: list[QPointF], plot: QRectF) -> bool:
        """Name a phase where it starts, under its line; only where the line stays clear of the word."""
        word = PHASE_NAMES.get(phase, phase)
        metrics = painter.fontMetrics()
        box = QRectF(
            line[0].x() + 4,
            plot.bottom() - metrics.height() - 2,
            metrics.horizontalAdvance(word) + 2,
            metrics.height(),
        )
        if box.right() > line[-1].x() or box.right() > plot.right():
            return False
        # the line's lowest point over the word's width (and its neighbours) must be above the word
        near = [p.y() for p in line if box.left() - 8 <= p.x() <= box.right() + 8]
        if not near or max(near) + 2 >= box.top():
            return False
        painter.setPen(self.palette().text().color())
        painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, word)
        return True

    def _paint_header(self, painter: QPainter, area: QRectF, named: set[str]) -> None:
        """Peak on the left, the phases seen (each in its colour, named) and the current rate on the right."""
        palette = self.palette()
        strip = QRectF(area.left() + 6, area.top() + 1, area.width() - 12, self.header_height())
        middle = Qt.AlignmentFlag.AlignVCenter
        peak = self.peak
        painter.setPen(palette.text().color())
        label = f"peak {format_rate(peak)}" if peak > 0 else "speed"
        painter.drawText(strip, Qt.AlignmentFlag.AlignLeft | middle, label)
        left = strip.left() + painter.fontMetrics().horizontalAdvance(label) + 14
        right = strip.right()
        if self.samples:
            rate, phase = self.samples[-1]
            now = f"now {format_rate(rate)}"
            painter.drawText(strip, Qt.AlignmentFlag.AlignRight | middle, now)
            right -= painter.fontMetrics().horizontalAdvance(now) + 14
        # phases not named in the plot get a legend entry: colour AND word
        seen = [p for p in dict.fromkeys(phase for _, phase in self.samples) if p not in named]
        metrics = painter.fontMetrics()
        for phase in reversed(seen):
            word = PHASE_NAMES.get(phase, phase)
            width = metrics.horizontalAdvance(word)
            if right - width - 14 < left:  # a narrow graph: the words never overlap
                break
            painter.setPen(palette.text().color())
            painter.drawText(
                QRectF(right - width, strip.top(), width, strip.height()),
                Qt.AlignmentFlag.AlignRight | middle,
                word,
            )
            painter.fillRect(QRectF(right - width - 14, strip.center().y() - 1.5, 10, 3), phase_colour(phase))
            right -= width + 24
