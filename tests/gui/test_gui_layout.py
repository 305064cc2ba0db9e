"""The window at clinic sizes: the decision is visible without scrolling, nothing is clipped."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
from gui_support import make_window, set_checked, shared_case, shared_case_names
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.document.line_breaks import as_typed
from mgdesk.gui import labels
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings

SIZES = [QSize(800, 600), QSize(1024, 700), QSize(1920, 1080)]
CASES = shared_case_names()


def shown_window(qtbot: QtBot, protocol: Protocol, size: QSize, case: str) -> MainWindow:
    window = make_window(qtbot, protocol)
    window.resize(size)
    assert window.form.load(shared_case(case)["case"]) == []
    qtbot.waitUntil(lambda: window.size() == size)
    qtbot.wait(20)  # the layouts that the new texts asked for
    return window


def rect_in_window(widget: QWidget, rect: QRect, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, rect.topLeft()), rect.size())


def fully_visible(widget: QWidget, window: MainWindow) -> bool:
    """The widget is shown and every pixel of it lies inside the window's central area."""
    central = window.centralWidget()
    area = QRect(central.mapTo(window, QPoint(0, 0)), central.size())
    return widget.isVisible() and area.contains(rect_in_window(widget, widget.rect(), window))


def first_order_rect(window: MainWindow) -> QRect:
    """Where the first order's paragraph is drawn, in the plan's viewport coordinates."""
    details = window.plan_view.details
    plan = window.plan_view.plan
    assert plan is not None and plan.orders
    cursor = details.document().find(plan.orders[0].title)
    assert not cursor.isNull()
    block = details.document().documentLayout().blockBoundingRect(cursor.block())
    offset = details.verticalScrollBar().value()
    return block.translated(0, -offset).toAlignedRect()


def clipped_labels(window: QWidget) -> list[str]:
    """Labels shown smaller than their text needs (a wrapping label may grow downwards)."""
    clipped = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            fits = label.heightForWidth(label.width()) <= label.height()
        else:
            hint = label.sizeHint()
            fits = hint.width() <= label.width() and hint.height() <= label.height()
        if not fits:
            clipped.append(f"{label.accessibleName() or label.text()[:40]!r} {label.size()}")
    return clipped


def words(text: str) -> str:
    return " ".join(as_typed(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width()}x{s.height()}")
@pytest.mark.parametrize("case", CASES)
def test_the_decision_is_visible_and_nothing_clipped(
    qtbot: QtBot, protocol: Protocol, size: QSize, case: str
) -> None:
    window = shown_window(qtbot, protocol, size, case)
    assert window.size() == size
    if window.emergency_banner.text():
        assert fully_visible(window.emergency_banner, window)
    assert fully_visible(window.plan_view.status, window)
    plan = window.plan_view.plan
    if plan is not None and plan.orders:
        details = window.plan_view.details
        assert fully_visible(details, window)
        # An emergency order given now is in the banner, itself fully visible: on the
        # smallest screen a plan with several stop-level warnings may push it below the fold.
        in_banner = plan.orders[0].emergency and words(plan.orders[0].text[:60]) in words(
            html.unescape(window.emergency_banner.text())
        )
        assert in_banner or details.viewport().rect().contains(first_order_rect(window)), (
            "the first order is below the fold"
        )
    assert clipped_labels(window) == []


def test_the_algorithm_is_a_tab_when_narrow_and_a_column_when_wide(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = make_window(qtbot, protocol)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.columns.wide is False)
    assert window.splitter.count() == 2
    assert window.columns.tabs.indexOf(window.algorithm) >= 0
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: window.columns.wide is True)
    assert window.splitter.count() == 3 and window.splitter.widget(2) is window.algorithm
    assert window.algorithm.isVisible() and window.plan_view.isVisible()


def test_narrowing_the_window_takes_width_from_the_algorithm_first(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = make_window(qtbot, protocol)
    window.resize(1900, 900)
    qtbot.waitUntil(lambda: window.width() == 1900)
    form, plan, algorithm = window.splitter.sizes()
    window.resize(1500, 900)
    qtbot.waitUntil(lambda: window.width() == 1500)
    narrower = window.splitter.sizes()
    assert narrower[:2] == [form, plan] and narrower[2] < algorithm


def test_each_arrangement_remembers_its_splitter(qtbot: QtBot, protocol: Protocol) -> None:
    window = make_window(qtbot, protocol)
    # The offscreen screen is 800x600: a saved geometry larger than that would shrink.
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.columns.wide is False)
    window.splitter.setSizes([420, 360])
    narrow = window.splitter.sizes()
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: window.columns.wide is True)
    window.splitter.setSizes([400, 500, 600])
    wide = window.splitter.sizes()
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.columns.wide is False)
    assert window.splitter.sizes() == narrow
    window.close()
    assert open_settings().splitter_state("main") != open_settings().splitter_state("main_narrow")
    again = MainWindow(open_settings())
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.columns.wide is False and again.splitter.sizes() == narrow
    again.resize(1600, 900)
    qtbot.waitUntil(lambda: again.columns.wide is True)
    assert again.splitter.sizes() == wide


@pytest.mark.parametrize(
    ("case", "headline"),
    [
        ("v01.json", "Plan complete"),
        ("v06.json", "Plan with stop-level warnings"),
        ("v22.json", "Out of scope for this protocol: no orders"),
        ("v29.json", "Incomplete: information is missing; stop-level warnings below"),
    ],
)
def test_the_headline_states_the_plans_real_status(
    window: MainWindow, case: str, headline: str
) -> None:
    assert window.form.load(shared_case(case)["case"]) == []
    plan = window.plan_view.plan
    assert plan is not None
    assert window.plan_view.status.text() == headline == labels.plan_headline(plan)


def test_stop_warnings_with_missing_information_say_both(window: MainWindow) -> None:
    case = shared_case("v11.json")["case"]
    assert window.form.load(case) == []
    plan = window.plan_view.plan
    assert plan is not None and plan.stop_warnings
    assert "stop-level warnings" in window.plan_view.status.text()


def test_an_incomplete_plan_without_stop_warnings_says_what_is_missing(
    window: MainWindow,
) -> None:
    assert window.form.load(shared_case("v29.json")["case"]) == []
    plan = window.plan_view.plan
    assert plan is not None and plan.status == "incomplete"
    quiet = dataclasses.replace(plan, warnings=())
    assert labels.plan_headline(quiet) == "Incomplete: information is missing"


def test_ctrl_3_brings_the_algorithm_tab_forward_when_narrow(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = make_window(qtbot, protocol)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.columns.wide is False)
    assert window.columns.tabs.currentWidget() is window.columns.plan
    window.menus.focus_algorithm()
    assert window.columns.tabs.currentWidget() is window.algorithm
    qtbot.waitUntil(window.algorithm.steps.hasFocus)
    window.menus.focus_plan()
    assert window.columns.tabs.currentWidget() is window.columns.plan


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_form_does_not_move_when_the_emergency_banner_appears(
    qtbot: QtBot, protocol: Protocol, size: QSize
) -> None:
    window = shown_window(qtbot, protocol, size, "v01.json")
    tetany = window.form_view.symptoms["tetany"]
    assert window.emergency_banner.isHidden()
    before = rect_in_window(tetany, tetany.rect(), window)
    set_checked(qtbot, tetany, True)
    qtbot.waitUntil(lambda: fully_visible(window.emergency_banner, window))
    assert rect_in_window(tetany, tetany.rect(), window) == before
    assert tetany.hasFocus()


def test_an_emergency_brings_the_plan_tab_forward_when_narrow(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = shown_window(qtbot, protocol, QSize(1024, 700), "v01.json")
    assert window.columns.wide is False
    window.columns.show_algorithm()
    assert window.columns.tabs.currentWidget() is window.algorithm
    set_checked(qtbot, window.form_view.symptoms["tetany"], True)
    qtbot.waitUntil(lambda: fully_visible(window.emergency_banner, window))
    assert window.columns.tabs.currentWidget() is window.columns.plan
    assert "tetany" in words(window.emergency_banner.text()).lower()


def test_a_reworded_emergency_banner_does_not_move_the_plan(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = shown_window(qtbot, protocol, QSize(1024, 700), "v06.json")
    banner = window.emergency_banner
    assert banner.isVisible()
    tall = banner.height()
    window.form_view.line_edits["labs.potassium"].setText("33")  # invalid: the banner rewords
    qtbot.wait(20)
    assert banner.isVisible() and "waits for the marked entries" in banner.text()
    assert banner.height() >= tall
    assert clipped_labels(window) == []
    window.form_view.choices["clinical.torsades"].setCurrentIndex(0)  # no torsades: no banner
    assert banner.isHidden() and banner.minimumHeight() == 0
