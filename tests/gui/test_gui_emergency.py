"""The emergency dose is never hidden by an unrelated field (safety issue, item 7): with an
invalid case, the banner still says what to give now, and nothing else of the plan is shown."""

from __future__ import annotations

from typing import Any

from gui_support import pick, set_checked, shared_case, type_text
from pytestqt.qtbot import QtBot

from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.protocol import Protocol
from mgdesk.document.line_breaks import as_typed
from mgdesk.gui.main_window import MainWindow

# Invalid for a reason unrelated to the emergency: an invisible direction control
# (the form no longer takes a name over its 200 characters).
UNPRINTABLE_NAME = "Smith, John \u202e"


def paste_name(window: MainWindow, name: str) -> None:
    """Paste a name (a control character cannot be typed key by key)."""
    window.form_view.line_edits["patient.name"].setText(name)


def words(text: str) -> str:
    """text as read: the joiners that keep a quantity on one line left out."""
    return " ".join(as_typed(text).split())


def immediate_text(case: dict[str, Any], protocol: Protocol) -> str:
    """The text of the one order to give now in the plan of a valid case."""
    (order,) = evaluate(parse_case(case, protocol), protocol).immediate_orders
    return order.text


def pulseless_torsades() -> dict[str, Any]:
    case = shared_case("v06.json")["case"]
    case["clinical"]["torsades"] = "pulseless"
    return case


def severe_tetany() -> dict[str, Any]:
    case: dict[str, Any] = shared_case("v08.json")["case"]
    return case


def banner(window: MainWindow) -> str:
    assert window.emergency_banner.isVisible()
    return words(window.emergency_banner.text())


def assert_no_plan_and_no_sheet(window: MainWindow) -> None:
    assert window.plan_view.plan is None
    assert window.current_case_and_plan() is None
    assert "Orders" not in window.plan_view.details.toPlainText()
    assert "magnesium sulfate" not in window.plan_view.details.toPlainText()
    assert window.algorithm.path == ()
    assert not window.menus.order_sheet_action.isEnabled()


def test_an_invalid_name_never_hides_the_pulseless_torsades_push(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    case = pulseless_torsades()
    assert window.form.load(case) == []
    paste_name(window, UNPRINTABLE_NAME)
    text = banner(window)
    assert "Torsades de pointes. Give now:" in text
    assert words(immediate_text(case, protocol)) in text
    assert "IV/IO push" in text
    assert "The rest of the plan, including any infusion to follow, waits" in text
    assert "no plan is shown" not in text
    assert window.form.is_marked_invalid("patient.name")
    assert_no_plan_and_no_sheet(window)
    type_text(qtbot, window, "patient.name", "Example")  # corrected: the whole plan
    assert window.plan_view.plan is not None
    assert window.menus.order_sheet_action.isEnabled()
    assert "waits" not in banner(window)


def test_severe_tetany_with_potassium_1_2_shows_the_loading_dose_to_give_now(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    case = severe_tetany()
    assert window.form.load(case) == []
    type_text(qtbot, window, "labs.potassium", "1.2")
    assert window.form.is_marked_invalid("labs.potassium")
    text = banner(window)
    assert "Severe symptoms (tetany). Give now:" in text
    assert words(immediate_text(case, protocol)) in text
    assert "antidote" in text  # the warnings the order carries
    assert "waits for the marked entries" in text
    assert_no_plan_and_no_sheet(window)


def test_a_valid_case_with_severe_symptoms_gets_a_give_now_banner_too(
    window: MainWindow, protocol: Protocol
) -> None:
    case = severe_tetany()
    assert window.form.load(case) == []
    assert window.plan_view.plan is not None
    text = banner(window)
    assert "Severe symptoms (tetany). Give now:" in text
    assert words(immediate_text(case, protocol)) in text
    assert "waits" not in text


def test_an_unanswered_pregnancy_question_blocks_the_torsades_dose(
    qtbot: QtBot, window: MainWindow
) -> None:
    case = pulseless_torsades()
    case["patient"]["age_years"] = 30
    assert window.form.load(case) == []
    assert window.assessment is not None
    assert "patient.pregnant" in [e.field for e in window.assessment.errors]
    text = banner(window)
    assert "Give now" not in text and "magnesium sulfate" not in text
    assert "no dose is shown until the marked entries it depends on are corrected: Pregnant" in text
    pick(qtbot, window.form_view.pregnant, "No, not pregnant")
    assert "Give now" in banner(window)


def test_an_age_the_form_cannot_read_blocks_the_loading_dose(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.form.load(severe_tetany()) == []
    type_text(qtbot, window, "patient.age_years", "4x")
    text = banner(window)
    assert "Give now" not in text and "corrected: Age" in text
    assert_no_plan_and_no_sheet(window)


def test_a_magnesium_level_the_form_cannot_read_does_not_block_the_torsades_dose(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.form.load(pulseless_torsades()) == []
    type_text(qtbot, window, "labs.magnesium", "2..0")
    assert window.plan_view.plan is None
    assert "Torsades de pointes. Give now:" in banner(window)


def test_a_contraindication_still_stops_the_emergency_dose_and_says_why(
    qtbot: QtBot, window: MainWindow
) -> None:
    case = pulseless_torsades()
    case["patient"]["name"] = UNPRINTABLE_NAME
    assert window.form.load(case) == []
    set_checked(qtbot, window.form_view.flags["clinical.heart_block"], True)
    text = banner(window)
    assert "Torsades de pointes. No magnesium order from this protocol:" in text
    assert "heart block" in text.lower() and "Give now" not in text
    assert "waits for the marked entries" in text
    assert_no_plan_and_no_sheet(window)


def test_no_banner_for_an_invalid_case_without_an_emergency(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.form.load(shared_case("v01.json")["case"]) == []
    paste_name(window, UNPRINTABLE_NAME)
    assert window.plan_view.plan is None
    assert not window.emergency_banner.isVisible()
