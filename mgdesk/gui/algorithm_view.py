"""The algorithm view: the flowchart, the path as a list of steps, and one step explained.

Back and Next walk the path; choosing a step in the list selects its node in the chart
and choosing a node in the chart selects its step. Every figure shown is the engine's
own trace (plan.steps), never recomputed here.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mgdesk.document.locale_text import localised_markup
from mgdesk.gui.flowchart import FlowchartView

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mgdesk.core.plan import Order, Plan, Step, StepValue
    from mgdesk.core.protocol import Protocol
    from mgdesk.gui.locale_numbers import LocaleNumbers


class AlgorithmView(QWidget):
    """Step through the path one case took through the protocol's flowchart."""

    def __init__(self, numbers: LocaleNumbers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.numbers = numbers
        self.protocol: Protocol | None = None
        self.plan: Plan | None = None
        self.path: tuple[str, ...] = ()
        self._steps: dict[str, Step] = {}
        self._syncing = False
        self._detail_shown = ""

        self.back_button = QPushButton("◀ &Back")
        self.back_button.setAccessibleName("Previous step")
        self.back_button.setToolTip("Previous step (Alt+Left)")
        self.next_button = QPushButton("Ne&xt ▶")
        self.next_button.setAccessibleName("Next step")
        self.next_button.setToolTip("Next step (Alt+Right)")
        self.position = QLabel()
        self.position.setAccessibleName("Step position")
        # As wide as its widest text, so that moving along the path never resizes the bar
        # (a resize there relays out, and repaints, the whole window).
        self.position.setMinimumWidth(
            max(
                self.position.fontMetrics().horizontalAdvance(text)
                for text in ("Step 88 of 88", "Off the path", "No path yet")
            )
            + 4
        )
        self.zoom_out_button = self._tool_button("−", "Zoom out (Ctrl+-)")
        self.zoom_in_button = self._tool_button("+", "Zoom in (Ctrl++)")
        self.fit_button = self._tool_button("Fit", "Fit the whole chart")

        bar = QHBoxLayout()
        for widget in (self.back_button, self.next_button, self.position):
            bar.addWidget(widget)
        bar.addStretch(1)
        for widget in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            bar.addWidget(widget)

        self.chart = FlowchartView(numbers.shown)
        self.steps = QListWidget()
        self.steps.setAccessibleName("Steps of the path this case took")
        self.steps.setUniformItemSizes(True)  # one line each: a reworded row measures nothing
        self.detail = QTextBrowser()
        self.detail.setAccessibleName(
            "The selected step: inputs, thresholds, outcome, rationale and sources"
        )
        for scrolled in (self.steps, self.detail):  # a scroll bar that comes and goes relays out
            scrolled.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        for pane in (self.chart, self.steps, self.detail):
            self.splitter.addWidget(pane)
        self.splitter.setSizes([520, 150, 280])

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self.back_button.clicked.connect(self.previous_step)
        self.next_button.clicked.connect(self.next_step)
        self.zoom_out_button.clicked.connect(lambda: self.chart.zoom_by(1 / 1.25))
        self.zoom_in_button.clicked.connect(lambda: self.chart.zoom_by(1.25))
        self.fit_button.clicked.connect(self.chart.fit)
        self.steps.currentRowChanged.connect(self._row_changed)
        self.chart.node_selected.connect(self.select_node)
        self._update_buttons()

    def _tool_button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setMaximumWidth(button.fontMetrics().horizontalAdvance(text) + 28)
        return button

    def set_protocol(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.chart.set_graph(protocol.graph)
        self.show_plan(None)

    def show_plan(self, plan: Plan | None) -> None:
        """Show plan's path (or none), keeping the selected node while it is still on the path."""
        if self.protocol is None:
            return
        kept = self.selected_node()
        self.plan = plan
        path = plan.path if plan else ()
        self._steps = {s.id: s for s in plan.steps} if plan else {}
        entries = [
            f"{number}. {self.numbers.shown(self._entry_text(node_id))}"
            for number, node_id in enumerate(path, 1)
        ]
        self._syncing = True
        try:
            self.path = path
            # Rows are reworded, added or taken away, never all rebuilt: this runs on every
            # edit, and a path often changes in one step only.
            for row, entry in enumerate(entries):
                if row >= self.steps.count():
                    self.steps.addItem(entry)
                elif self.steps.item(row).text() != entry:
                    self.steps.item(row).setText(entry)
            while self.steps.count() > len(entries):
                self.steps.takeItem(self.steps.count() - 1)
            row = self.path.index(kept) if kept in self.path else 0 if self.path else -1
            self.steps.setCurrentRow(row)
        finally:
            self._syncing = False
        self._show_node(self.path[row] if row >= 0 else None)

    def _entry_text(self, node_id: str) -> str:
        assert self.protocol is not None
        node = self.protocol.graph.node(node_id)
        step = self._steps.get(node_id)
        if step is not None and step.outcome_label:
            return f"{node.title}: {step.outcome_label}"
        return node.title

    # -- moving along the path ----------------------------------------------------------

    def selected_node(self) -> str | None:
        row = self.steps.currentRow()
        return self.path[row] if 0 <= row < len(self.path) else None

    def previous_step(self) -> None:
        if self.steps.currentRow() > 0:
            self.steps.setCurrentRow(self.steps.currentRow() - 1)

    def next_step(self) -> None:
        if self.steps.currentRow() < len(self.path) - 1:
            self.steps.setCurrentRow(self.steps.currentRow() + 1)

    def select_node(self, node_id: str) -> None:
        """Select a node, from the chart or a caller; a node off the path is explained too."""
        if node_id in self.path:
            self.steps.setCurrentRow(self.path.index(node_id))
            return
        self._syncing = True
        try:
            self.steps.setCurrentRow(-1)
        finally:
            self._syncing = False
        self._show_node(node_id)

    def _row_changed(self, row: int) -> None:
        if not self._syncing:
            self._show_node(self.path[row] if 0 <= row < len(self.path) else None)

    def _show_node(self, node_id: str | None) -> None:
        if self.protocol is None or self.chart.chart is None:
            return
        plan = self.plan
        taken = [(s.id, s.outcome) for s in plan.steps] if plan else []
        taken += [(n, "next") for n in self.path if self.protocol.graph.node(n).kind == "action"]
        self.chart.chart.set_path(taken, self.path, node_id)
        self.chart.show_node(node_id or self.protocol.graph.start)
        detail = localised_markup(self._detail_html(node_id), self.numbers.decimal_point)
        if detail != self._detail_shown:
            self._detail_shown = detail
            self.detail.setHtml(detail)
        self._update_buttons()

    def _update_buttons(self) -> None:
        row, count = self.steps.currentRow(), len(self.path)
        self.back_button.setEnabled(row > 0)
        self.next_button.setEnabled(0 <= row < count - 1)
        if 0 <= row < count:
            self.position.setText(f"Step {row + 1} of {count}")
        else:
            self.position.setText("Off the path" if count else "No path yet")

    # -- the selected step, explained ---------------------------------------------------

    def _detail_html(self, node_id: str | None) -> str:
        if node_id is None or self.protocol is None:
            return "<p>The path appears once the case is complete and valid.</p>"
        node = self.protocol.graph.node(node_id)
        parts = [f"<h3>{_e(node.title)}</h3>"]
        if node.question:
            parts.append(f"<p><i>{_e(node.question)}</i></p>")
        step = self._steps.get(node_id)
        if node_id not in self.path:
            parts.append("<p>This case did not reach this step.</p>")
        elif step is None:
            parts.append(self._action_or_end_html(node_id, node.kind))
        else:
            parts.append(f"<p><b>Outcome:</b> {_e(step.outcome_label or step.outcome)}</p>")
            parts.append(_values("Inputs", step.inputs))
            parts.append(_values("Thresholds compared", step.thresholds))
            parts.append(f"<p><b>Why:</b> {_e(step.rationale)}</p>")
            parts.append(f"<p><b>Next:</b> {_e(self.protocol.graph.node(step.next).title)}</p>")
            if self.plan is not None and self.plan.orders_of(node_id):
                parts.append("<p><b>Orders from this step:</b></p>")
                parts.append(_orders_html(self.plan.orders_of(node_id)))
        sources = step.sources if step is not None else node.sources
        if sources:
            items = "".join(f"<li>{_e(self._citation(s))}</li>" for s in sources)
            parts.append(f"<p><b>Sources</b></p><ul>{items}</ul>")
        return "".join(parts)

    def _action_or_end_html(self, node_id: str, kind: str) -> str:
        """What an action on the path ordered (the plan says), or where the path ended."""
        plan = self.plan
        if plan is None:
            return ""
        if kind == "action":
            orders = plan.orders_of(node_id)
            if not orders:
                return "<p>Action on this case's path. It gave no orders.</p>"
            return "<p>Action on this case's path. It gave these orders:</p>" + _orders_html(orders)
        count = len(plan.orders)
        listed = f"{count} order{'' if count == 1 else 's'}" if count else "no orders"
        return f"<p>End of this case's path: the plan lists {listed}.</p>"

    def _citation(self, source: str) -> str:
        assert self.protocol is not None
        entry = self.protocol.sources.get(source)
        if entry is None:
            return source
        return f"{entry.citation} ({entry.reference})"


def _values(heading: str, values: tuple[StepValue, ...]) -> str:
    if not values:
        return ""
    rows = "".join(f"<tr><td>{_e(v.name)}</td><td><b>{_e(v.value)}</b></td></tr>" for v in values)
    return f"<p><b>{heading}</b></p><table cellspacing='0' cellpadding='3'>{rows}</table>"


def _orders_html(orders: Sequence[Order]) -> str:
    items = "".join(f"<li><b>{_e(o.title)}</b>: {_e(o.text)}</li>" for o in orders)
    return f"<ol>{items}</ol>"


def _e(text: str) -> str:
    return html.escape(text, quote=True)
