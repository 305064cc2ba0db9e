"""The protocol's step graph drawn as a flowchart, with the path one case took highlighted.

The chart is laid out from protocol.graph, the same nodes and edges the engine walks:
decision nodes (and the end they lead to) form a column; action nodes, and ends that
branch off, sit in a second column beside the decision that leads to them. Parallel
edges between two nodes are drawn once, with every outcome named on the label.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QBrush,
    QColor,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsScene,
    QGraphicsTextItem,
    QGraphicsView,
    QWidget,
)

if TYPE_CHECKING:
    from mgdesk.core.protocol import Graph, GraphNode

SPINE, SIDE = 0, 1
NODE_WIDTH = {SPINE: 240.0, SIDE: 210.0}
TRUNK_OFFSET = 70.0  # from the spine's right edge to the vertical line that fans out to the side
COLUMN_GAP = 230.0  # from the spine's right edge to the side column
BUS_OFFSET = 28.0  # right of the side column, where edges return to the spine
PADDING = 8.0
MIN_GAP = 30.0
ZOOM_LIMITS = (0.3, 4.0)
Shown = Callable[[str], str]  # a protocol text as the window shows it (its decimal separator)
READABLE_POINTS = 9.0  # Fit never draws the chart's text smaller than this
ARROW_DIRECTIONS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
VISITED, CURRENT, UNVISITED = "visited", "current", "unvisited"


def columns_of(graph: Graph) -> dict[str, int]:
    """SPINE for decisions and the end a chain runs into; SIDE for actions and branching ends."""
    targets: dict[str, set[str]] = {}
    for edge in graph.edges:
        targets.setdefault(edge.source, set()).add(edge.target)
    columns = {}
    for node in graph.nodes:
        if node.kind == "decision":
            columns[node.id] = SPINE
        elif node.kind == "end":
            sources = [e.source for e in graph.edges if e.target == node.id]
            chain_end = bool(sources) and all(targets[s] == {node.id} for s in sources)
            columns[node.id] = SPINE if chain_end else SIDE
        else:
            columns[node.id] = SIDE
    return columns


def topological_order(graph: Graph) -> list[str]:
    """Node ids so that every edge points forward (the protocol refuses cyclic graphs)."""
    incoming = {n.id: 0 for n in graph.nodes}
    for edge in graph.edges:
        incoming[edge.target] += 1
    ready = [n.id for n in graph.nodes if incoming[n.id] == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for edge in graph.edges:
            if edge.source == node:
                incoming[edge.target] -= 1
                if incoming[edge.target] == 0:
                    ready.append(edge.target)
    return order


class NodeItem(QGraphicsPathItem):
    """One node: its shape says its kind (hexagon decision, box action, rounded end)."""

    def __init__(self, node: GraphNode, column: int, shown: Shown) -> None:
        super().__init__()
        self.node_id = node.id
        self.node = node
        self.kind = node.kind
        self.column = column
        self.state = UNVISITED
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(shown(node.question or node.title))
        self.text = QGraphicsTextItem(self)
        question = ""
        if node.question:
            question = f"<br><small>{html.escape(shown(node.question))}</small>"
        self.text.setHtml(f"<b>{html.escape(shown(node.title))}</b>{question}")
        width = NODE_WIDTH[column]
        inset = 14.0 if node.kind == "decision" else PADDING
        self.text.setTextWidth(width - 2 * inset)
        self.text.setPos(inset, PADDING / 2)
        self.size = (width, self.text.boundingRect().height() + PADDING)
        self.setPath(_shape(node.kind, *self.size))

    @property
    def width(self) -> float:
        return self.size[0]

    @property
    def height(self) -> float:
        return self.size[1]

    def mid_y(self) -> float:
        return self.y() + self.height / 2


@dataclass
class EdgeGroup:
    """Every edge between one pair of nodes, drawn as one line with all outcomes on its label."""

    source: str
    target: str
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (outcome, label)
    line: QGraphicsPathItem | None = None
    head: QGraphicsPolygonItem | None = None
    label: QGraphicsTextItem | None = None  # the label shown
    # Each label made so far, by the outcome it emphasises (None: none).
    labels: dict[str | None, QGraphicsTextItem] = field(default_factory=dict)
    taken: str | None = None


class FlowchartScene(QGraphicsScene):
    """The laid-out chart; set_path() restyles it for one case without rebuilding."""

    def __init__(self, graph: Graph, palette: QPalette, shown: Shown = str) -> None:
        super().__init__()
        self.graph = graph
        self.shown = shown
        self.palette_ = palette
        self.columns = columns_of(graph)
        self.nodes: dict[str, NodeItem] = {}
        self.groups: list[EdgeGroup] = []
        self.visited: set[str] = set()  # the nodes of the case's path
        for node in graph.nodes:
            item = NodeItem(node, self.columns[node.id], shown)
            self.addItem(item)
            self.nodes[node.id] = item
        for edge in graph.edges:
            group = next(
                (g for g in self.groups if (g.source, g.target) == (edge.source, edge.target)), None
            )
            if group is None:
                group = EdgeGroup(edge.source, edge.target)
                self.groups.append(group)
            group.outcomes.append((edge.outcome, edge.label))
        for group in self.groups:
            group.label = QGraphicsTextItem()
            group.label.setTextWidth(self._label_width(group))
            # Measured at its widest (all bold), so the layout has room for any highlight.
            group.label.setHtml(self._label_html(group, emphasise_all=True))
            self.addItem(group.label)
        self._place_nodes()
        for group in self.groups:
            self._route(group)
        self.setSceneRect(self.itemsBoundingRect().adjusted(-20, -20, 20, 20))
        self.restyle(palette)

    # -- layout -------------------------------------------------------------------------

    def _side_x(self) -> float:
        return NODE_WIDTH[SPINE] + COLUMN_GAP

    def _label_width(self, group: EdgeGroup) -> float:
        source, target = self.nodes[group.source], self.nodes[group.target]
        if source.column == SPINE and target.column == SIDE:
            return COLUMN_GAP - TRUNK_OFFSET - 10
        return NODE_WIDTH[SPINE] / 2 + TRUNK_OFFSET - 16

    def _label_height(self, source: str, target: str) -> float:
        group = next((g for g in self.groups if (g.source, g.target) == (source, target)), None)
        if group is None or group.label is None or not group.outcomes[0][1]:
            return 0.0
        return float(group.label.boundingRect().height())

    def _place_nodes(self) -> None:
        spine_bottom = side_bottom = side_mid = -1e9
        previous_spine: str | None = None
        for node_id in topological_order(self.graph):
            item = self.nodes[node_id]
            sources = [e.source for e in self.graph.edges if e.target == node_id]
            if item.column == SPINE:
                gap = MIN_GAP
                if previous_spine is not None:
                    gap = max(MIN_GAP, self._label_height(previous_spine, node_id) + 12)
                top = spine_bottom + gap if previous_spine is not None else 0.0
                for source in sources:
                    if self.nodes[source].column == SIDE:
                        top = max(top, side_bottom + MIN_GAP)
                item.setPos(0.0, top)
                spine_bottom, previous_spine = top + item.height, node_id
            else:
                parent_mid = max((self.nodes[s].mid_y() for s in sources), default=0.0)
                label = max((self._label_height(s, node_id) for s in sources), default=0.0)
                mid = max(parent_mid, side_mid + label + 8, side_bottom + 12 + item.height / 2)
                item.setPos(self._side_x(), mid - item.height / 2)
                side_bottom, side_mid = item.y() + item.height, mid

    def _route(self, group: EdgeGroup) -> None:
        source, target = self.nodes[group.source], self.nodes[group.target]
        path = QPainterPath()
        if source.column == SPINE and target.column == SPINE and target.y() > source.y():
            x = source.width / 2
            start, end = QPointF(x, source.y() + source.height), QPointF(x, target.y())
            path.moveTo(start)
            path.lineTo(end)
            label_at = QPointF(x + 8, (start.y() + end.y()) / 2)
            centred = True
        elif source.column == SPINE and target.column == SIDE:
            trunk = source.width + TRUNK_OFFSET
            path.moveTo(source.width, source.mid_y())
            path.lineTo(trunk, source.mid_y())
            path.lineTo(trunk, target.mid_y())
            end = QPointF(target.x(), target.mid_y())
            path.lineTo(end)
            label_at = QPointF(trunk + 5, target.mid_y())
            centred = False
        elif source.column == SIDE and target.column == SPINE:
            bus = self._side_x() + NODE_WIDTH[SIDE] + BUS_OFFSET
            path.moveTo(source.x() + source.width, source.mid_y())
            path.lineTo(bus, source.mid_y())
            path.lineTo(bus, target.mid_y())
            end = QPointF(target.width, target.mid_y())
            path.lineTo(end)
            label_at = QPointF(target.width + 8, target.mid_y())
            centred = False
        else:  # any other shape of graph: round the left side of the chart
            path.moveTo(source.x(), source.mid_y())
            path.lineTo(-40, source.mid_y())
            path.lineTo(-40, target.mid_y())
            end = QPointF(target.x(), target.mid_y())
            path.lineTo(end)
            label_at = QPointF(-36, (source.mid_y() + target.mid_y()) / 2)
            centred = True
        group.line = self.addPath(path)
        group.line.setZValue(-1)
        before = path.pointAtPercent(0.999) if path.length() > 0 else end
        group.head = self.addPolygon(_arrow_head(before, end))
        assert group.label is not None
        height = group.label.boundingRect().height()
        group.label.setPos(label_at.x(), label_at.y() - (height / 2 if centred else height + 1))

    # -- words for a screen reader -------------------------------------------------------

    def describe(self, node_id: str) -> str:
        """A node as a screen reader says it: kind, question, whether and how the case passed."""
        item = self.nodes[node_id]
        parts = [{"decision": "Decision", "action": "Action", "end": "End"}[item.kind]]
        if item.node.question:
            parts.append(self.shown(item.node.question))
        if node_id not in self.visited:
            parts.append("Not reached by this case")
        else:
            taken = [
                text
                for g in self.groups
                if g.source == node_id and g.taken is not None
                for outcome, text in g.outcomes
                if outcome == g.taken and text
            ]
            taken_text = self.shown(", ".join(taken))
            parts.append("On this case's path" + (f": {taken_text}" if taken else ""))
        targets = [self.nodes[g.target].node.title for g in self.groups if g.source == node_id]
        if targets:
            parts.append(f"Leads to {'; '.join(targets)}")
        return ". ".join(parts) + "."

    def neighbour(self, node_id: str, direction: tuple[int, int]) -> str | None:
        """The nearest node in a direction (arrow keys): ahead along it, then closest across."""
        here = self.nodes[node_id].sceneBoundingRect().center()
        dx, dy = direction
        best: tuple[float, str] | None = None
        for other_id, item in self.nodes.items():
            centre = item.sceneBoundingRect().center()
            along = (centre.x() - here.x()) * dx + (centre.y() - here.y()) * dy
            across = abs((centre.x() - here.x()) * dy) + abs((centre.y() - here.y()) * dx)
            if other_id == node_id or along <= 1:
                continue
            score = along + 2 * across
            if best is None or score < best[0]:
                best = (score, other_id)
        return best[1] if best else None

    # -- one case's path ----------------------------------------------------------------

    def set_path(
        self, taken: Iterable[tuple[str, str]], visited: Iterable[str], current: str | None
    ) -> None:
        """Highlight the outcomes taken (source, outcome), the nodes visited and the current one."""
        taken_outcomes = dict(taken)
        visited_ids = self.visited = set(visited)
        changed_nodes, changed_groups = [], []
        for node_id, item in self.nodes.items():
            state = (
                CURRENT if node_id == current else VISITED if node_id in visited_ids else UNVISITED
            )
            if state != item.state:
                item.state = state
                changed_nodes.append(item)
        for group in self.groups:
            outcome = taken_outcomes.get(group.source)
            chosen = outcome if any(o == outcome for o, _ in group.outcomes) else None
            if chosen != group.taken:
                group.taken = chosen
                changed_groups.append(group)
        self._style(changed_nodes, changed_groups)  # only what changed: this runs on every edit

    def restyle(self, palette: QPalette) -> None:
        """Colours from the palette's roles, so light and dark themes both read well."""
        self.palette_ = palette
        self.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        for group in self.groups:  # labels in the earlier colours are made again as needed
            for label in group.labels.values():
                if label is not group.label:
                    self.removeItem(label)
            group.labels.clear()
        self._style(list(self.nodes.values()), self.groups)

    def _style(self, nodes: Iterable[NodeItem], groups: Iterable[EdgeGroup]) -> None:
        palette = self.palette_
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Link)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        quiet = _mix(text, base, 0.55)
        for item in nodes:
            item.text.setDefaultTextColor(text)
            if item.state == CURRENT:
                item.setPen(QPen(highlight, 4))
                item.setBrush(_mix(highlight, base, 0.35))
            elif item.state == VISITED:
                item.setPen(QPen(accent, 2.5))
                item.setBrush(_mix(highlight, base, 0.12))
            else:
                item.setPen(QPen(quiet, 1.2))
                item.setBrush(base)
        for group in groups:
            colour, width = (accent, 3.0) if group.taken is not None else (quiet, 1.3)
            assert group.line is not None and group.head is not None
            group.line.setPen(QPen(colour, width))
            group.line.setZValue(0 if group.taken is not None else -1)
            group.head.setPen(QPen(colour, 1))
            group.head.setBrush(QBrush(colour))
            self._show_label(group, text)

    def _show_label(self, group: EdgeGroup, colour: QColor) -> None:
        """Show the group's label with its taken outcome emphasised. Each wording is laid out
        once and kept: laying out rich text was most of what a new path cost."""
        shown = group.label
        assert shown is not None
        label = group.labels.get(group.taken)
        if label is None:
            label = group.labels[group.taken] = QGraphicsTextItem()
            label.setTextWidth(shown.textWidth())
            label.setPos(shown.pos())
            label.setDefaultTextColor(colour)
            label.setHtml(self._label_html(group))
            self.addItem(label)
        if label is not shown:
            if shown in group.labels.values():
                shown.hide()
            else:  # the label the layout was measured with, or one in the earlier colours
                self.removeItem(shown)
            label.show()
            group.label = label

    def _label_html(self, group: EdgeGroup, emphasise_all: bool = False) -> str:
        accent = self.palette_.color(QPalette.ColorRole.Link).name()
        parts = []
        for outcome, text in group.outcomes:
            if not text:
                continue
            written = html.escape(self.shown(text))
            if outcome == group.taken or emphasise_all:
                written = f'<b><span style="color:{accent}">{written}</span></b>'
            parts.append(written)
        return " · ".join(parts)


class FlowchartView(QGraphicsView):
    """Shows the chart; Ctrl+wheel zooms, scroll bars keep it usable in a small window.

    From the keyboard the arrow keys walk from node to node (each one selected, so the
    step's details follow) and Home goes to the start; the view's accessible name and
    description say which node has the focus."""

    node_selected = Signal(str)

    def __init__(self, shown: Shown = str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown = shown
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        # The chart starts at its top left and stays anchored there when the view is resized.
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setAccessibleName("Algorithm flowchart")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.chart: FlowchartScene | None = None
        self._pressed_at: QPoint | None = None
        self._shown_node: str | None = None

    def set_graph(self, graph: Graph) -> None:
        self.chart = FlowchartScene(graph, self.palette(), self.shown)
        self.setScene(self.chart)

    def show_node(self, node_id: str | None) -> None:
        """Keep a node in view, also when the view is resized (set_path highlights it)."""
        self._shown_node = node_id
        if self.chart is not None and node_id in self.chart.nodes:
            self.ensureVisible(self.chart.nodes[node_id], 40, 40)
            self._announce(node_id)

    def shown_node(self) -> str | None:
        return self._shown_node

    def _announce(self, node_id: str) -> None:
        """The node with the focus, as the view's accessible name and description (worded
        only while someone can hear it: the chart has the focus or a screen reader listens)."""
        assert self.chart is not None
        if not (self.hasFocus() or QAccessible.isActive()):
            return
        title = self.shown(self.chart.nodes[node_id].node.title)
        self.setAccessibleName(f"Algorithm flowchart: {title}")
        self.setAccessibleDescription(self.chart.describe(node_id))
        if self.hasFocus():
            for kind in (QAccessible.Event.NameChanged, QAccessible.Event.DescriptionChanged):
                QAccessible.updateAccessibility(QAccessibleEvent(self, kind))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, chart = event.key(), self.chart
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if chart is not None and plain and (key in ARROW_DIRECTIONS or key == Qt.Key.Key_Home):
            here = self._shown_node if self._shown_node in chart.nodes else None
            if key == Qt.Key.Key_Home or here is None:
                target: str | None = chart.graph.start
            else:
                target = chart.neighbour(here, ARROW_DIRECTIONS[Qt.Key(key)])
            if target is not None:
                self.node_selected.emit(target)
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if self.chart is not None:
            self.show_node(self._shown_node or self.chart.graph.start)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.show_node(self._shown_node)

    def node_at(self, position: QPoint) -> str | None:
        """The node under a viewport position (edges, whose open paths enclose areas, ignored)."""
        for item in self.items(position):
            node = item if isinstance(item, NodeItem) else item.parentItem()
            if isinstance(node, NodeItem):
                return node.node_id
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._pressed_at = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # A click (not the end of a drag that scrolled the chart) selects the node under it.
        pressed, self._pressed_at = self._pressed_at, None
        super().mouseReleaseEvent(event)
        released = event.position().toPoint()
        if pressed is not None and (released - pressed).manhattanLength() < 6:
            node_id = self.node_at(released)
            if node_id is not None:
                self.node_selected.emit(node_id)

    def zoom(self) -> float:
        return float(self.transform().m11())

    def zoom_by(self, factor: float) -> None:
        low, high = ZOOM_LIMITS
        target = min(max(self.zoom() * factor, low), high)
        self.scale(target / self.zoom(), target / self.zoom())

    def reset_zoom(self) -> None:
        self.resetTransform()

    def text_points(self) -> float:
        """The size the chart's text is drawn at, in points, at the present zoom."""
        font = self.chart.font() if self.chart is not None else self.font()
        return font.pointSizeF() * self.zoom()

    def fit(self) -> None:
        """The chart's width in the view, but never smaller than READABLE_POINTS text: the
        rest of the chart is a scroll away."""
        if self.chart is None:
            return
        font_points = self.chart.font().pointSizeF()
        readable = READABLE_POINTS / font_points if font_points > 0 else 1.0
        # The chart is taller than wide: its vertical scroll bar takes part of the width.
        room = self.width() - 2 * self.frameWidth() - self.verticalScrollBar().sizeHint().width()
        to_width = room / self.chart.sceneRect().width()
        target = min(max(to_width, readable), ZOOM_LIMITS[1])
        self.setTransform(QTransform.fromScale(target, target))
        self.show_node(self._shown_node)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
            return
        super().wheelEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and self.chart is not None:
            self.chart.restyle(self.palette())
        super().changeEvent(event)


def _shape(kind: str, width: float, height: float) -> QPainterPath:
    path = QPainterPath()
    if kind == "decision":
        point = 10.0
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(point, 0),
                    QPointF(width - point, 0),
                    QPointF(width, height / 2),
                    QPointF(width - point, height),
                    QPointF(point, height),
                    QPointF(0, height / 2),
                    QPointF(point, 0),
                ]
            )
        )
    elif kind == "end":
        path.addRoundedRect(QRectF(0, 0, width, height), height / 2, height / 2)
    else:
        path.addRect(QRectF(0, 0, width, height))
    return path


def _arrow_head(before: QPointF, tip: QPointF) -> QPolygonF:
    dx, dy = tip.x() - before.x(), tip.y() - before.y()
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    size = 9.0
    back = QPointF(tip.x() - ux * size, tip.y() - uy * size)
    return QPolygonF(
        [
            tip,
            QPointF(back.x() - uy * size / 2, back.y() + ux * size / 2),
            QPointF(back.x() + uy * size / 2, back.y() - ux * size / 2),
        ]
    )


def _mix(first: QColor, second: QColor, amount: float) -> QColor:
    """first blended into second: amount 1 is all first, 0 all second."""
    return QColor.fromRgbF(
        first.redF() * amount + second.redF() * (1 - amount),
        first.greenF() * amount + second.greenF() * (1 - amount),
        first.blueF() * amount + second.blueF() * (1 - amount),
    )
