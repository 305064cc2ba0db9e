"""The flowchart read and walked: Fit at a readable size, every node reachable by scrolling,
actions listing their orders (from the plan), arrow keys, and words for a screen reader."""

from __future__ import annotations

import pytest
from gui_support import shared_case
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mgdesk.gui.flowchart import READABLE_POINTS
from mgdesk.gui.main_window import MainWindow


def loaded(qtbot: QtBot, window: MainWindow, case: str, width: int = 1440) -> MainWindow:
    window.resize(width, 900)
    qtbot.waitUntil(lambda: window.width() == width)
    assert window.form.load(shared_case(case)["case"]) == []
    return window


@pytest.mark.parametrize("width", [1024, 1440, 1920])
def test_fit_fills_the_width_at_a_readable_size(
    qtbot: QtBot, window: MainWindow, width: int
) -> None:
    loaded(qtbot, window, "v08.json", width)
    window.menus.focus_algorithm()  # its tab, when the window is narrow
    chart = window.algorithm.chart
    window.algorithm.fit_button.click()
    assert chart.text_points() >= READABLE_POINTS
    scene_width = chart.chart.sceneRect().width() * chart.zoom()
    bar = chart.horizontalScrollBar()
    reachable = bar.maximum() - bar.minimum() + chart.viewport().width()
    assert reachable >= scene_width - 1  # whatever does not fit is a scroll away
    if chart.text_points() > READABLE_POINTS:  # room to spare: the whole width is shown
        assert bar.maximum() == bar.minimum()


def test_every_node_and_label_can_be_scrolled_into_view(qtbot: QtBot, window: MainWindow) -> None:
    loaded(qtbot, window, "v22.json")  # out of scope: the node at the far right
    chart = window.algorithm.chart
    assert chart.chart is not None
    scene = chart.chart.sceneRect()
    for item in chart.chart.items():
        assert scene.contains(item.sceneBoundingRect()), item
    chart.show_node("out_of_scope")
    shown = chart.mapToScene(chart.viewport().rect()).boundingRect()
    assert shown.contains(chart.chart.nodes["out_of_scope"].sceneBoundingRect())


def test_an_action_node_lists_the_orders_it_gave(qtbot: QtBot, window: MainWindow) -> None:
    loaded(qtbot, window, "v08.json")
    plan = window.plan_view.plan
    assert plan is not None
    action = next(n for n in plan.path if n.startswith("tx_"))
    window.algorithm.select_node(action)
    text = " ".join(window.algorithm.detail.toPlainText().split())
    assert "The orders it leads to are listed in the plan" not in text
    assert plan.orders_of(action)
    for order in plan.orders_of(action):
        assert order.title in text and " ".join(order.text.split()) in text


def test_a_step_that_gave_an_order_lists_it(qtbot: QtBot, window: MainWindow) -> None:
    loaded(qtbot, window, "v06.json")  # torsades: the order comes from the torsades step
    window.algorithm.select_node("torsades")
    text = window.algorithm.detail.toPlainText()
    assert "Orders from this step" in text and "torsades" in text.lower()


def test_the_chart_is_walked_with_arrow_keys_and_announced(
    qtbot: QtBot, window: MainWindow
) -> None:
    loaded(qtbot, window, "v08.json")
    chart = window.algorithm.chart
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert window.algorithm.selected_node() == "scope"
    assert chart.accessibleName().endswith("Scope")
    assert "On this case's path" in chart.accessibleDescription()
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    assert window.algorithm.selected_node() == "magnesium"
    assert "Magnesium level" in chart.accessibleName()
    assert "severe" in chart.accessibleDescription()
    assert "Step 2 of" in window.algorithm.position.text()
    qtbot.keyClick(chart, Qt.Key.Key_Up)
    assert window.algorithm.selected_node() == "scope"
    qtbot.keyClick(chart, Qt.Key.Key_Right)  # the branch beside the scope step
    beside = chart.shown_node()
    assert beside is not None and beside != "scope"
    assert chart.chart is not None
    assert chart.chart.nodes[beside].x() > chart.chart.nodes["scope"].x()
    assert "Not reached by this case" in chart.accessibleDescription()
    assert "did not reach this step" in window.algorithm.detail.toPlainText()


def test_every_node_is_reached_from_the_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    loaded(qtbot, window, "v01.json")
    chart = window.algorithm.chart
    assert chart.chart is not None
    chart.setFocus()
    seen = set()
    frontier = [chart.chart.graph.start]
    keys = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right)
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        for key in keys:
            window.algorithm.select_node(node)
            qtbot.keyClick(chart, key)
            frontier.append(chart.shown_node() or node)
    assert seen == set(chart.chart.nodes)
