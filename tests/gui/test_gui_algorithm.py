"""The algorithm view: a chart drawn from protocol.graph, the path highlighted, step by step."""

from __future__ import annotations

import re

import pytest
from gui_support import shared_case
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.gui.flowchart import CURRENT, SIDE, SPINE, UNVISITED, VISITED, columns_of
from mgdesk.gui.main_window import MainWindow


def load(window: MainWindow, name: str) -> None:
    assert window.form.load(shared_case(name)["case"]) == []
    assert window.plan_view.plan is not None


def test_the_chart_is_the_protocols_graph(window: MainWindow, protocol: Protocol) -> None:
    chart = window.algorithm.chart.chart
    assert chart is not None
    assert set(chart.nodes) == {n.id for n in protocol.graph.nodes}
    drawn = {(g.source, outcome, g.target) for g in chart.groups for outcome, _ in g.outcomes}
    assert drawn == {(e.source, e.outcome, e.target) for e in protocol.graph.edges}
    columns = columns_of(protocol.graph)
    for node in protocol.graph.nodes:
        if node.kind in ("decision", "action"):
            assert columns[node.id] == (SPINE if node.kind == "decision" else SIDE)
    assert columns["plan"] == SPINE and columns["out_of_scope"] == SIDE


def test_nodes_do_not_overlap(window: MainWindow) -> None:
    chart = window.algorithm.chart.chart
    assert chart is not None
    items = list(chart.nodes.values())
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            assert not first.sceneBoundingRect().intersects(second.sceneBoundingRect()), (
                first.node_id,
                second.node_id,
            )


def test_the_path_and_the_taken_edges_are_highlighted(window: MainWindow) -> None:
    load(window, "v19.json")
    plan = window.plan_view.plan
    assert plan is not None
    chart = window.algorithm.chart.chart
    assert chart is not None
    current = window.algorithm.selected_node()
    for node_id, item in chart.nodes.items():
        expected = CURRENT if node_id == current else VISITED if node_id in plan.path else UNVISITED
        assert item.state == expected, node_id
    taken = {(g.source, g.target) for g in chart.groups if g.taken is not None}
    from_steps = {(s.id, s.next) for s in plan.steps}
    assert from_steps <= taken
    assert all(source in plan.path and target in plan.path for source, target in taken)
    treatment = next(s for s in plan.steps if s.id == "treatment")
    group = next(g for g in chart.groups if (g.source, g.target) == ("treatment", treatment.next))
    assert group.taken == treatment.outcome
    assert group.label is not None and "font-weight:700" in group.label.toHtml()


def test_back_and_next_walk_the_path(qtbot: QtBot, window: MainWindow, protocol: Protocol) -> None:
    load(window, "v08.json")
    plan = window.plan_view.plan
    assert plan is not None
    view = window.algorithm
    assert view.selected_node() == plan.path[0]
    assert not view.back_button.isEnabled()
    seen = [view.selected_node()]
    while view.next_button.isEnabled():
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
        seen.append(view.selected_node())
    assert tuple(seen) == plan.path
    assert view.position.text() == f"Step {len(plan.path)} of {len(plan.path)}"
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert view.selected_node() == plan.path[-2]


def test_a_step_shows_inputs_thresholds_outcome_rationale_and_sources(
    window: MainWindow, protocol: Protocol
) -> None:
    load(window, "v08.json")
    plan = window.plan_view.plan
    assert plan is not None
    for step in plan.steps:
        window.algorithm.select_node(step.id)
        text = " ".join(window.algorithm.detail.toPlainText().split())
        assert step.title in text
        assert (step.outcome_label or step.outcome) in text
        for value in (*step.inputs, *step.thresholds):
            assert value.name in text and " ".join(value.value.split()) in text
        assert step.rationale in text
        for source in step.sources:
            assert " ".join(protocol.sources[source].citation.split()) in text


def test_keyboard_shortcuts_step_through_the_path(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "v01.json")
    view = window.algorithm
    window.activateWindow()
    view.steps.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert view.steps.currentRow() == 1
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert view.steps.currentRow() == 0


def click_node(qtbot: QtBot, window: MainWindow, node_id: str) -> None:
    chart_view = window.algorithm.chart
    assert chart_view.chart is not None
    item = chart_view.chart.nodes[node_id]
    chart_view.show_node(node_id)
    QApplication.processEvents()
    centre = chart_view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(chart_view.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def test_clicking_a_node_selects_its_step_and_the_reverse(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "v08.json")
    plan = window.plan_view.plan
    assert plan is not None
    click_node(qtbot, window, "renal")
    assert window.algorithm.selected_node() == "renal"
    assert window.algorithm.steps.currentRow() == plan.path.index("renal")
    chart = window.algorithm.chart.chart
    assert chart is not None and chart.nodes["renal"].state == CURRENT
    window.algorithm.steps.setCurrentRow(plan.path.index("potassium"))
    assert chart.nodes["potassium"].state == CURRENT
    assert chart.nodes["renal"].state == VISITED


def test_a_node_off_the_path_is_explained_too(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "v08.json")
    click_node(qtbot, window, "tx_refractory_bag")
    assert window.algorithm.steps.currentRow() == -1
    assert "did not reach" in window.algorithm.detail.toPlainText()
    chart = window.algorithm.chart.chart
    assert chart is not None and chart.nodes["tx_refractory_bag"].state == CURRENT


def test_no_path_without_a_plan(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "v08.json")
    window.files.new_case()
    assert window.algorithm.steps.count() == 0
    chart = window.algorithm.chart.chart
    assert chart is not None
    assert all(item.state == UNVISITED for item in chart.nodes.values())
    assert all(g.taken is None for g in chart.groups)
    assert window.algorithm.position.text() == "No path yet"


def test_ctrl_wheel_and_buttons_zoom_within_limits(qtbot: QtBot, window: MainWindow) -> None:
    chart_view = window.algorithm.chart
    start = chart_view.zoom()
    qtbot.mouseClick(window.algorithm.zoom_in_button, Qt.MouseButton.LeftButton)
    assert chart_view.zoom() > start
    centre = QPointF(chart_view.viewport().rect().center())
    wheel = QWheelEvent(
        centre,
        chart_view.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    before = chart_view.zoom()
    QApplication.sendEvent(chart_view.viewport(), wheel)
    assert chart_view.zoom() < before
    for _ in range(40):
        chart_view.zoom_by(2)
    assert chart_view.zoom() <= 4.0 + 1e-9
    for _ in range(40):
        chart_view.zoom_by(0.5)
    assert chart_view.zoom() >= 0.3 - 1e-9
    chart_view.reset_zoom()
    assert chart_view.zoom() == 1.0


def test_a_small_window_scrolls_the_chart(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(900, 600)
    QApplication.processEvents()
    chart_view = window.algorithm.chart
    assert chart_view.verticalScrollBar().maximum() > 0
    assert window.width() <= 1100


def given_label(window: MainWindow) -> str:
    """The label of the chart's line from the magnesium given step to the GI losses, as read."""
    chart = window.algorithm.chart.chart
    assert chart is not None
    group = next(
        g for g in chart.groups if (g.source, g.target) == ("magnesium_given", "gi_losses")
    )
    assert group.label is not None
    return group.label.toPlainText()


def test_the_chart_draws_magnesium_already_given_after_every_treatment_action(
    window: MainWindow,
) -> None:
    chart = window.algorithm.chart.chart
    assert chart is not None
    node = chart.nodes["magnesium_given"]
    assert node.column == SPINE
    assert node.text.toPlainText() == (
        "Magnesium already given\nParenteral magnesium given in the last 48 hours?"
    )
    into = {g.source for g in chart.groups if g.target == "magnesium_given"}
    assert into == {node_id for node_id in chart.nodes if node_id.startswith("tx_")}
    assert node.y() > max(chart.nodes[n].y() for n in into), "below the treatment actions"
    assert chart.nodes["gi_losses"].y() > node.y()
    for label in ("none in 48 hours", "given, within the limits", "48-hour limit reached"):
        assert label in given_label(window)
    renal = chart.nodes["renal"].text.toPlainText()
    assert renal.endswith("Renal function: measured clearance, Cockcroft-Gault or eGFR?")


@pytest.mark.parametrize(
    ("name", "outcome", "label"),
    [
        ("y18.json", "none", "none in 48 hours"),
        ("y22.json", "limit_reached", "48-hour limit reached"),
    ],
)
def test_the_outcome_of_magnesium_already_given_is_highlighted(
    window: MainWindow, name: str, outcome: str, label: str
) -> None:
    load(window, name)
    chart = window.algorithm.chart.chart
    assert chart is not None
    assert chart.nodes["magnesium_given"].state != UNVISITED
    group = next(g for g in chart.groups if g.source == "magnesium_given")
    assert group.taken == outcome
    assert group.label is not None
    emphasised = re.findall(r"font-weight:700;[^>]*>([^<]*)<", group.label.toHtml())
    assert emphasised == [label]
    window.algorithm.select_node("magnesium_given")
    detail = " ".join(window.algorithm.detail.toPlainText().split())
    assert "Magnesium already given" in detail and label in detail
