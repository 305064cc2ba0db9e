"""One decimal separator in the whole window: form, plan, gauge, flowchart, steps, dialog."""

from __future__ import annotations

import re

import pytest
from gui_support import make_window, shared_case, shared_case_names
from PySide6.QtWidgets import (
    QGraphicsTextItem,
    QLabel,
    QLineEdit,
    QListWidget,
    QTextBrowser,
    QWidget,
)
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.document.line_breaks import as_typed
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.preferences import PreferencesDialog
from mgdesk.gui.settings import open_settings
from mgdesk.gui.sheet_dialog import OrderSheetDialog

DECIMAL_POINT = re.compile(r"\d\.\d")
TAG = re.compile(r"<[^>]*>")
VALID = [n for n in shared_case_names() if shared_case(n)["expect"].get("exit", 0) == 0]


def shown_texts(top: QWidget) -> list[str]:
    """Every text the window shows or tells a screen reader, tags removed."""
    texts: list[str] = [top.windowTitle()]
    for widget in top.findChildren(QWidget):
        texts += [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription()]
        if isinstance(widget, QLabel):
            texts.append(TAG.sub(" ", widget.text()))
        elif isinstance(widget, QTextBrowser):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QListWidget):
            texts += [widget.item(i).text() for i in range(widget.count())]
    return texts


def chart_texts(window: MainWindow) -> list[str]:
    scene = window.algorithm.chart.chart
    assert scene is not None
    return [item.toPlainText() for item in scene.items() if isinstance(item, QGraphicsTextItem)] + [
        item.toolTip() for item in scene.nodes.values()
    ]


def decimal_points(texts: list[str], protocol: Protocol) -> list[str]:
    """Texts with a "." between digits, the protocol's version (not a number) aside."""
    return [t for t in texts if DECIMAL_POINT.search(t.replace(protocol.version, "VERSION"))]


@pytest.mark.parametrize("case", VALID)
def test_a_comma_window_shows_no_decimal_point(qtbot: QtBot, protocol: Protocol, case: str) -> None:
    window = make_window(qtbot, protocol, decimal_point=",")
    assert window.form.load(shared_case(case)["case"]) == []
    plan = window.plan_view.plan
    assert plan is not None
    texts = shown_texts(window) + chart_texts(window)
    gauge = window.plan_view.gauge
    texts += [gauge.value_text, *gauge.threshold_labels()]
    window.algorithm.chart.setFocus()  # the chart words its nodes for whoever has it focused
    qtbot.waitUntil(window.algorithm.chart.hasFocus)
    for node in plan.path:  # every step's details, and the chart's words for each node
        window.algorithm.select_node(node)
        texts += [
            window.algorithm.detail.toPlainText(),
            window.algorithm.chart.accessibleDescription(),
        ]
    assert decimal_points(texts, protocol) == []
    assert "1,2" in gauge.threshold_labels()


def test_the_values_clinicians_saw_twice_agree(qtbot: QtBot, protocol: Protocol) -> None:
    window = make_window(qtbot, protocol, decimal_point=",")
    assert window.form.load(shared_case("v08.json")["case"]) == []  # 0.9 mg/dL, severe
    assert window.form_view.line_edits["labs.magnesium"].text() == "0,9"
    assert "0,9 mg/dL" in as_typed(window.form_view.rows["labs.magnesium"].note.text())
    assert window.plan_view.gauge.value_text == "0,9 mg/dL"
    details = as_typed(window.plan_view.details.toPlainText())
    assert "8,11 mmol" in details and "8.11" not in details


def test_the_torsades_banner_and_sheet_dialog_follow_the_separator(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = make_window(qtbot, protocol, decimal_point=",")
    assert window.form.load(shared_case("v06.json")["case"]) == []
    assert "8,11 mmol" in as_typed(window.emergency_banner.text())
    window.menus.open_order_sheet()
    dialog = window.findChild(OrderSheetDialog)
    assert dialog is not None
    assert decimal_points(shown_texts(dialog), protocol) == []


def test_a_point_window_is_unchanged(qtbot: QtBot, protocol: Protocol) -> None:
    window = make_window(qtbot, protocol, decimal_point=".")
    assert window.form.load(shared_case("v08.json")["case"]) == []
    assert window.plan_view.gauge.value_text == "0.9 mg/dL"
    assert "8.11 mmol" in as_typed(window.plan_view.details.toPlainText())


def test_the_separator_can_be_chosen_in_the_preferences(qtbot: QtBot, protocol: Protocol) -> None:
    window = make_window(qtbot, protocol)
    dialog = PreferencesDialog(window.settings, window)
    dialog.decimal_separator.setCurrentIndex(dialog.decimal_separator.findData(","))
    dialog.accept()
    window.close()
    again = MainWindow(open_settings())  # no separator given: the setting is used
    qtbot.addWidget(again)
    again.install_protocol(protocol)
    assert again.numbers.decimal_point == ","
    assert again.form.load(shared_case("v08.json")["case"]) == []
    assert again.plan_view.gauge.value_text == "0,9 mg/dL"


def test_messages_show_the_separator_and_typed_values_as_typed(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = make_window(qtbot, protocol, decimal_point=",")
    assert window.form.load(shared_case("v08.json")["case"]) == []
    window.form_view.line_edits["labs.potassium"].setText("42")
    error = window.form_view.rows["labs.potassium"].error.text()
    assert "outside the plausible range" in error
    assert not DECIMAL_POINT.search(error) and re.search(r"\d,\d", error)
    window.form_view.line_edits["labs.magnesium"].setText("0.9")
    error = window.form_view.rows["labs.magnesium"].error.text()
    assert "'0.9'" in error  # what was typed, quoted as typed
