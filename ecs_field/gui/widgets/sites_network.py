"""A drawing of the host network from the HostConfiguration profile.

vSwitches as boxes with their port groups and VLANs; under them the host's NICs from the site
inventory, with a line per uplink (solid: active, dashed: standby). A NIC a switch names but the
box does not have is drawn red with "missing": the profile would fail on that host.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ecs_field.gui.theme import Tones, tones_for
from ecs_field.sites.status.overview import NetworkView, NicView, SwitchView

SWITCH_W = 230
ROW_H = 24
HEADER_H = 30
GAP = 28
NIC_W = 176
NIC_H = 64  # name, then the chip on up to two lines: a long chip name wraps instead of being cut
MARGIN = 16
NIC_GAP = 14
WIRE_MIN_H = 70
LANE_STEP = 9  # each uplink's horizontal run has its own height, so no two lines lie on each other


class NetworkDiagram(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = NetworkView()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Host network drawing")
        self.setObjectName("networkDiagram")

    def set_view(self, view: NetworkView) -> None:
        self.view = view
        self.setToolTip(view.inventory_note)
        self.updateGeometry()
        self.update()

    # -- layout -------------------------------------------------------------------------------------------
    def _switch_height(self, switch: SwitchView) -> int:
        return HEADER_H + max(1, len(switch.port_groups)) * ROW_H + 10

    def _wire_count(self) -> int:
        return sum(1 for s in self.view.switches for u in s.uplinks if u in {n.name for n in self.view.nics})

    def _wire_height(self) -> int:
        return max(WIRE_MIN_H, 28 + self._wire_count() * LANE_STEP)

    def _layout(self) -> tuple[dict[str, QRectF], dict[str, QRectF], float]:
        switches: dict[str, QRectF] = {}
        x = float(MARGIN)
        tallest = 0
        for switch in self.view.switches:
            height = self._switch_height(switch)
            switches[switch.name] = QRectF(x, MARGIN + 22, SWITCH_W, height)
            x += SWITCH_W + GAP
            tallest = max(tallest, height)
        nic_y = MARGIN + 22 + tallest + self._wire_height()
        nics: dict[str, QRectF] = {}
        nx = float(MARGIN)
        for nic in self.view.nics:
            nics[nic.name] = QRectF(nx, nic_y, NIC_W, NIC_H)
            nx += NIC_W + NIC_GAP
        # the drawing's width: its rightmost box and a margin (no trailing gap: no needless scroll bar)
        right = max([r.right() for r in switches.values()] + [r.right() for r in nics.values()] + [0.0])
        return switches, nics, right + MARGIN

    def sizeHint(self) -> QSize:
        switches, nics, width = self._layout()
        bottom = max([r.bottom() for r in nics.values()] + [r.bottom() for r in switches.values()] + [120.0])
        return QSize(int(width), int(bottom + MARGIN + 40))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def wire_paths(self) -> list[tuple[SwitchView, str, list[QPointF]]]:
        """Each uplink's line: down from its switch, across at its own height (its lane), down to
        its own point on the NIC. Wires may cross; no two lie on top of each other."""
        switches, nics, _ = self._layout()
        if not switches:
            return []
        lanes_top = max(r.bottom() for r in switches.values()) + 14
        wires = [
            (switch, index, uplink)
            for switch in self.view.switches
            for index, uplink in enumerate(switch.uplinks)
            if uplink in nics
        ]
        into: dict[str, list[int]] = {}
        for number, (_switch, _index, uplink) in enumerate(wires):
            into.setdefault(uplink, []).append(number)
        paths = []
        for number, (switch, index, uplink) in enumerate(wires):
            box = switches[switch.name]
            nic_box = nics[uplink]
            sharing = into[uplink]
            offset = (sharing.index(number) - (len(sharing) - 1) / 2) * 14
            start = QPointF(box.left() + 30 + index * 26, box.bottom())
            end = QPointF(nic_box.center().x() + offset, nic_box.top())
            lane_y = lanes_top + number * LANE_STEP
            paths.append(
                (
                    switch,
                    uplink,
                    [start, QPointF(start.x(), lane_y), QPointF(end.x(), lane_y), end],
                )
            )
        return paths

    # -- painting -------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_colour = palette.windowText().color()
        tones = tones_for(palette)  # light or dark: wires, tags and the missing NIC stay readable
        painter.fillRect(self.rect(), palette.base())
        if not self.view.switches:
            painter.setPen(text_colour)
            painter.drawText(
                self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                "No vSwitches declared: the repository has no HostConfiguration with "
                "esx.network_vss.switches.",
            )
            return
        switches, nics, _ = self._layout()
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        painter.setFont(bold)
        painter.setPen(text_colour)
        painter.drawText(QPointF(MARGIN, MARGIN + 12), "Host network (from the HostConfiguration profile)")
        # wires first, so boxes sit on top
        for switch, uplink, points in self.wire_paths():
            nic = next(n for n in self.view.nics if n.name == uplink)
            colour = QColor(
                tones.failed
                if not nic.present
                else tones.passed if uplink in switch.active else tones.not_checked
            )
            pen = QPen(colour, 2.2)
            if uplink in switch.standby and uplink not in switch.active:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawPolyline(QPolygonF(points))
        for switch in self.view.switches:
            self._paint_switch(
                painter, switch, switches[switch.name], bold=bold, small=small, text_colour=text_colour,
                tones=tones,
            )
        for nic in self.view.nics:
            self._paint_nic(
                painter, nic, nics[nic.name], bold=bold, small=small, text_colour=text_colour, tones=tones
            )
        painter.setFont(small)
        painter.setPen(text_colour)
        legend_y = max(r.bottom() for r in nics.values()) + 24 if nics else 0
        legend = "solid: active uplink   dashed: standby   red: named in the profile, not on this box"
        if not self.view.has_inventory:
            legend = self.view.inventory_note or "No inventory: NICs not checked."
        painter.drawText(QPointF(MARGIN, legend_y), legend)
        painter.end()

    def _paint_switch(
        self,
        painter: QPainter,
        switch: SwitchView,
        box: QRectF,
        *,
        bold: QFont,
        small: QFont,
        text_colour: QColor,
        tones: Tones,
    ) -> None:
        painter.setPen(QPen(QColor(tones.border), 1.4))
        painter.setBrush(self.palette().alternateBase())
        painter.drawRoundedRect(box, 8, 8)
        painter.setFont(bold)
        painter.setPen(text_colour)
        title = switch.name + (f"  ·  MTU {switch.mtu}" if switch.mtu else "")
        painter.drawText(
            box.adjusted(10, 6, -10, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, title
        )
        painter.setFont(small)
        metrics = QFontMetrics(small)
        y = box.top() + HEADER_H
        if not switch.port_groups:
            painter.drawText(QPointF(box.left() + 12, y + 16), "no port groups")
        for group in switch.port_groups:
            row = QRectF(box.left() + 8, y, box.width() - 16, ROW_H - 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.palette().base())
            painter.drawRoundedRect(row, 4, 4)
            painter.setPen(text_colour)
            name = metrics.elidedText(group.name, Qt.TextElideMode.ElideRight, int(row.width() - 70))
            painter.drawText(row.adjusted(8, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, name)
            vlan = "no VLAN" if not group.vlan_id else f"VLAN {group.vlan_id}"
            tag = QRectF(row.right() - 64, row.top() + 3, 60, row.height() - 6)
            badge = tones.badge("info" if group.vlan_id else "neutral")
            painter.setPen(QPen(QColor(badge.border), 1.0))
            painter.setBrush(QColor(badge.bg))
            painter.drawRoundedRect(tag, 6, 6)
            painter.setPen(QColor(badge.fg))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, vlan)
            y += ROW_H

    def _paint_nic(
        self,
        painter: QPainter,
        nic: NicView,
        box: QRectF,
        *,
        bold: QFont,
        small: QFont,
        text_colour: QColor,
        tones: Tones,
    ) -> None:
        missing = tones.box("fail")
        border = QColor(missing.border if not nic.present else tones.border)
        pen = QPen(border, 2.0 if not nic.present else 1.3)
        if not nic.present:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QColor(missing.bg) if not nic.present else self.palette().alternateBase())
        painter.drawRoundedRect(box, 6, 6)
        painter.setFont(bold)
        painter.setPen(QColor(missing.fg) if not nic.present else text_colour)
        painter.drawText(
            box.adjusted(8, 4, -8, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            f"{nic.name}  {nic.bus.upper()}",
        )
        painter.setFont(small)
        metrics = QFontMetrics(small)
        if not nic.present:
            detail = "missing on this box"
        else:
            speed = f" · {nic.speed_mbps / 1000:g} Gb/s" if nic.speed_mbps else ""
            detail = (nic.chip or "unknown chip") + speed
        line_h = metrics.height()
        width = int(box.width() - 16)
        for number, line in enumerate(two_lines(detail, metrics, width)):
            painter.drawText(
                QRectF(box.left() + 8, box.top() + 24 + number * line_h, width, line_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                line,
            )


def two_lines(text: str, metrics: QFontMetrics, width: int) -> list[str]:
    """``text`` broken at spaces into at most two lines of ``width``; only what is past them is elided."""
    words = text.split()
    first = ""
    while words and metrics.horizontalAdvance((first + " " + words[0]).strip()) <= width:
        first = (first + " " + words.pop(0)).strip()
    if not first and words:  # one word wider than the box: it is cut at the box's edge, not lost
        return [metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width)]
    rest = " ".join(words)
    if not rest:
        return [first]
    return [first, metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)]
