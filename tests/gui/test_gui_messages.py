"""Messages that help: a unit typed in the value box, one message per problem, values as typed."""

from __future__ import annotations

import pytest
from gui_support import line_edit, pick, type_text
from PySide6.QtCore import QRectF
from pytestqt.qtbot import QtBot
from test_gui_form import enter_mild_man

from mgdesk.document.line_breaks import as_typed
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.plan_view import _label_place


def error_of(window: MainWindow, field: str) -> str:
    row = window.form_view.rows[field]
    return row.error.text() if row.error.isVisible() else ""


def test_a_unit_typed_with_the_same_unit_picked_is_understood(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)  # magnesium in mg/dL
    type_text(qtbot, window, "labs.magnesium", "1.3 mg/dL")
    assert error_of(window, "labs.magnesium") == ""
    plan = window.plan_view.plan
    assert plan is not None and plan.magnesium is not None
    assert plan.magnesium.entered == "1.3 mg/dL"


def test_a_unit_typed_with_no_unit_picked_is_taken(qtbot: QtBot, window: MainWindow) -> None:
    enter_mild_man(qtbot, window)
    window.form_view.unit_pickers["labs.potassium"].setCurrentIndex(-1)
    type_text(qtbot, window, "labs.potassium", "4.2 mmol/l")
    assert error_of(window, "labs.potassium") == ""
    assert window.plan_view.plan is not None
    document, problems = window.form.document()
    assert problems == [] and document["labs"]["potassium"] == "4.2 mmol/L"


def test_a_unit_typed_against_the_picked_one_says_to_pick_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    pick(qtbot, window.form_view.unit_pickers["labs.magnesium"], "mmol/L")
    type_text(qtbot, window, "labs.magnesium", "1.4 mg/dL")
    message = error_of(window, "labs.magnesium")
    assert "mg/dL mg/dL" not in message and "unknown unit" not in message
    assert "pick" in message and "mg/dL" in message and "mmol/L" in message
    assert window.plan_view.plan is None
    assert line_edit(window, "labs.magnesium").text() == "1.4 mg/dL"  # nothing typed is lost


def test_a_unit_the_picker_does_not_offer_says_to_pick_from_the_list(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "labs.magnesium", "1.4 mg")
    message = error_of(window, "labs.magnesium")
    assert "'mg'" in message and "pick the unit from the list" in message
    assert "mmol/L" in message  # the list's units are named
    assert window.plan_view.plan is None


def test_the_pregnancy_error_and_its_hint_say_different_things(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "patient.age_years", "30")
    pick(qtbot, window.form_view.sex, "Female")
    row = window.form_view.rows["patient.pregnant"]
    error, note = row.error.text(), as_typed(row.note.text())
    assert "required" in error and "choose" in error
    assert "18" in note and "56" in note
    assert "18" not in error and "required" not in note.split("for a woman")[1]
    assert "true or false" not in error  # the case file's words, not the form's


def test_no_pregnancy_hint_for_a_woman_past_the_asked_ages(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    pick(qtbot, window.form_view.sex, "Female")
    type_text(qtbot, window, "patient.age_years", "78")
    row = window.form_view.rows["patient.pregnant"]
    assert as_typed(row.note.text()) == "" and not row.error.isVisible()
    type_text(qtbot, window, "patient.age_years", "40")
    assert "18" in as_typed(row.note.text())
    type_text(qtbot, window, "patient.age_years", "")
    assert "18" in as_typed(row.note.text())  # no age yet: the rule is shown


def test_a_level_just_under_a_threshold_is_shown_as_typed(qtbot: QtBot, window: MainWindow) -> None:
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "labs.magnesium", "1.19999999999")
    plan = window.plan_view.plan
    assert plan is not None and plan.severity == "severe" and plan.magnesium is not None
    assert plan.magnesium.entered == "1.19999999999 mg/dL"
    note = as_typed(window.form_view.rows["labs.magnesium"].note.text())
    assert "1.19999999999 mg/dL" in note and "= 1.2 mg/dL" not in note
    window.algorithm.select_node("magnesium")
    assert "entered as 1.19999999999 mg/dL" in window.algorithm.detail.toPlainText()
    assert "1.19999999999" in window.plan_view.gauge.value_text


def test_the_pregnancy_picker_says_when_it_is_not_asked(qtbot: QtBot, window: MainWindow) -> None:
    enter_mild_man(qtbot, window)
    picker = window.form_view.pregnant
    assert not picker.isEnabled() and picker.placeholderText() == "Not asked for a man"
    pick(qtbot, window.form_view.sex, "Female")
    assert picker.isEnabled() and picker.placeholderText() == "Not answered"


@pytest.mark.parametrize("marker", [None, 10.0, 50.0, 52.0, 90.0])
def test_a_band_name_is_never_under_the_level_marker(marker: float | None) -> None:
    band = QRectF(0, 0, 100, 16)
    place = _label_place(band, 30, marker)
    if place is not None:
        assert band.contains(place)
        if marker is not None:
            assert not place.left() - 2 <= marker <= place.right() + 2
    if marker is None or marker < 10:
        assert place is not None and place.center().x() == band.center().x()
