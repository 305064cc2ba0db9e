"""The case form, driven from the keyboard: units, validation by the core, locale, loading."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from gui_support import enter_case, line_edit, make_window, pick, set_checked, type_text
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from mgdesk.core.case import TEXT_LIMITS, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.protocol import Protocol
from mgdesk.document.line_breaks import as_typed
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings

MILD_MAN = {
    "patient.age_years": "50",
    "patient.weight": "80",
    "labs.magnesium": "1.4",
    "labs.potassium": "4.2",
    "labs.creatinine": "1.0",
}
MILD_MAN_UNITS = {
    "patient.weight": "kg",
    "labs.magnesium": "mg/dL",
    "labs.potassium": "mmol/L",
    "labs.creatinine": "mg/dL",
}


def enter_mild_man(qtbot: QtBot, window: MainWindow) -> None:
    pick(qtbot, window.form_view.sex, "Male")
    enter_case(qtbot, window, MILD_MAN, MILD_MAN_UNITS)


def core_plan(window: MainWindow, protocol: Protocol) -> Any:
    document, problems = window.form.document()
    assert not problems
    return evaluate(parse_case(document, protocol), protocol)


def assert_no_plan(window: MainWindow) -> None:
    assert window.plan_view.plan is None
    assert window.current_case_and_plan() is None
    assert window.algorithm.path == ()
    assert window.algorithm.steps.count() == 0
    assert window.plan_view.gauge.value is None
    assert "Orders" not in window.plan_view.details.toPlainText()
    assert window.plan_view.status.text() == "No plan yet"


def test_unit_pickers_have_no_default(window: MainWindow) -> None:
    for field in ("labs.magnesium", "patient.weight", "labs.creatinine", "labs.potassium"):
        picker = window.form_view.unit_pickers[field]
        assert picker.count() >= 2
        assert picker.currentIndex() == -1
        assert picker.currentText() == ""


def test_a_case_typed_from_the_keyboard_gives_the_cores_plan(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    enter_mild_man(qtbot, window)
    expected = core_plan(window, protocol)
    assert window.plan_view.plan == expected
    assert expected.severity == "mild"
    assert window.current_case_and_plan() is not None
    echo = as_typed(window.form_view.rows["labs.magnesium"].note.text())
    assert echo == "Understood as " + " = ".join(f"{n} {u}" for u, n in expected.magnesium.shown)
    clearance = as_typed(window.form_view.rows["labs.creatinine_clearance"].note.text())
    assert "Cockcroft-Gault" in clearance
    assert expected.creatinine_clearance.arithmetic in clearance


def test_a_number_without_a_unit_is_marked_and_no_plan_is_shown(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    assert window.plan_view.plan is not None
    window.files.new_case()
    pick(qtbot, window.form_view.sex, "Male")
    enter_case(
        qtbot, window, MILD_MAN, {k: v for k, v in MILD_MAN_UNITS.items() if k != "labs.magnesium"}
    )
    row = window.form_view.rows["labs.magnesium"]
    assert row.error.isVisible()
    assert "no unit" in row.error.text()
    assert window.form.is_marked_invalid("labs.magnesium")
    assert line_edit(window, "labs.magnesium").text() == "1.4"  # nothing typed is lost
    assert_no_plan(window)
    pick(qtbot, window.form_view.unit_pickers["labs.magnesium"], "mg/dL")
    assert not row.error.isVisible()
    assert not window.form.is_marked_invalid("labs.magnesium")
    assert window.plan_view.plan is not None


def test_changing_the_unit_keeps_the_number_and_reinterprets_it(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    enter_mild_man(qtbot, window)
    assert window.plan_view.plan is not None and window.plan_view.plan.severity == "mild"
    pick(qtbot, window.form_view.unit_pickers["labs.magnesium"], "mmol/L")
    assert line_edit(window, "labs.magnesium").text() == "1.4"
    plan = window.plan_view.plan
    assert plan is not None and plan.severity == "high"
    assert plan == core_plan(window, protocol)
    assert as_typed(window.form_view.rows["labs.magnesium"].note.text()).startswith(
        "Understood as 3.4"
    )
    assert "possible_unit_confusion" in plan.warning_codes()


def test_an_implausible_value_shows_the_cores_message_beside_the_field(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "labs.potassium", "42")
    row = window.form_view.rows["labs.potassium"]
    assert "outside the plausible range" in row.error.text()
    assert window.form.is_marked_invalid("labs.potassium")
    assert_no_plan(window)
    assert not window.form_view.rows["labs.magnesium"].error.isVisible()
    type_text(qtbot, window, "labs.potassium", "4.2")
    assert window.plan_view.plan is not None


def test_pregnancy_must_be_answered_for_a_woman_of_childbearing_age(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    enter_mild_man(qtbot, window)
    pick(qtbot, window.form_view.sex, "Female")
    row = window.form_view.rows["patient.pregnant"]
    assert "required" in row.error.text()
    assert not window.form.is_marked_invalid("patient.pregnant")  # missing, not wrong
    assert_no_plan(window)
    assert "18" in as_typed(row.note.text()) and "56" in as_typed(row.note.text())
    pick(qtbot, window.form_view.pregnant, "No, not pregnant")
    assert window.plan_view.plan is not None
    pick(qtbot, window.form_view.pregnant, "Yes, pregnant")
    plan = window.plan_view.plan
    assert plan is not None and plan.status == "out_of_scope"
    assert plan == core_plan(window, protocol)


def test_no_pregnancy_question_past_the_protocols_age_or_for_a_man(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    assert not window.form_view.pregnant.isEnabled()
    pick(qtbot, window.form_view.sex, "Female")
    assert window.form_view.pregnant.isEnabled()
    type_text(qtbot, window, "patient.age_years", "56")
    assert window.plan_view.plan is not None
    assert not window.form_view.rows["patient.pregnant"].error.isVisible()


def test_the_measured_clearance_is_echoed_as_entered(qtbot: QtBot, window: MainWindow) -> None:
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "labs.creatinine_clearance", "25")
    plan = window.plan_view.plan
    assert plan is not None and plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.method == "entered"
    note = as_typed(window.form_view.rows["labs.creatinine_clearance"].note.text())
    assert note.startswith("Creatinine clearance (entered)")
    assert plan.creatinine_clearance.arithmetic in note
    assert "renal_crcl_below_30" in plan.warning_codes()


def test_flags_and_symptoms_reach_the_plan(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    enter_mild_man(qtbot, window)
    set_checked(qtbot, window.form_view.symptoms["tetany"], True)
    set_checked(qtbot, window.form_view.flags["clinical.digoxin"], True)
    pick(qtbot, window.form_view.choices["clinical.gi_losses"], "Short bowel")
    plan = window.plan_view.plan
    assert plan is not None
    assert plan.order("mg_sulfate_iv_loading") is not None
    assert {"digoxin_interaction", "gi_losses_may_worsen"} <= set(plan.warning_codes())
    assert plan == core_plan(window, protocol)


def test_the_adequate_oral_trial_is_explained(window: MainWindow, protocol: Protocol) -> None:
    note = window.form_view.rows["clinical.prior_therapy"].note
    assert as_typed(note.text()) == protocol.adequate_oral_trial
    assert note.isVisible()


@pytest.fixture
def comma_locale() -> Any:
    previous = QLocale()
    QLocale.setDefault(QLocale("de_DE"))
    yield
    QLocale.setDefault(previous)


def test_decimal_comma_follows_the_system_locale(
    qtbot: QtBot, protocol: Protocol, comma_locale: None
) -> None:
    window = MainWindow(open_settings())  # the locale comes from QLocale, as in the app
    qtbot.addWidget(window)
    window.install_protocol(protocol)
    window.show()
    assert window.numbers.decimal_point == ","
    pick(qtbot, window.form_view.sex, "Male")
    enter_case(
        qtbot,
        window,
        {**MILD_MAN, "labs.magnesium": "0,58", "labs.potassium": "4,2", "labs.creatinine": "1,0"},
        {**MILD_MAN_UNITS, "labs.magnesium": "mmol/L"},
    )
    plan = window.plan_view.plan
    assert plan is not None and plan.magnesium is not None
    assert plan.magnesium.entered == "0.58 mmol/L"
    assert "1,41 mg/dL" in as_typed(window.form_view.rows["labs.magnesium"].note.text())
    type_text(qtbot, window, "labs.magnesium", "0.58")
    assert "decimal comma" in window.form_view.rows["labs.magnesium"].error.text()
    assert window.plan_view.plan is None


def test_decimal_point_locale_refuses_a_comma_with_the_cores_message(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "labs.magnesium", "1,4")
    assert "decimal point" in window.form_view.rows["labs.magnesium"].error.text()
    assert window.plan_view.plan is None


def test_loading_a_case_shows_every_value(window: MainWindow, protocol: Protocol) -> None:
    document = {
        "format": "mgdesk-case/1",
        "patient": {
            "id": "X-1",
            "name": "Case, Loaded",
            "age_years": 45.5,
            "sex": "female",
            "weight": "132 lb",
            "pregnant": False,
            "allergies": "none",
        },
        "labs": {
            "magnesium": "0.53 mmol/L",
            "potassium": "3.8 mEq/L",
            "creatinine": "80 umol/L",
            "creatinine_clearance": "44 mL/min",
        },
        "clinical": {
            "symptoms": ["cramps"],
            "torsades": "none",
            "gi_losses": "high_output_stoma",
            "prior_therapy": "oral_failed",
            "volume_depleted": True,
            "oral_mg_intolerance": True,
        },
    }
    assert window.form.load(document) == []
    assert line_edit(window, "patient.age_years").text() == "45.5"
    assert window.form_view.unit_pickers["labs.creatinine"].currentText() == "µmol/L"
    assert window.form_view.unit_pickers["patient.weight"].currentText() == "lb"
    assert line_edit(window, "labs.creatinine_clearance").text() == "44"
    assert window.form_view.symptoms["cramps"].isChecked()
    assert window.form_view.flags["clinical.volume_depleted"].isChecked()
    assert window.form_view.flags["clinical.oral_route_available"].isChecked()
    expected = evaluate(parse_case(document, protocol), protocol)
    assert window.plan_view.plan == expected


def test_a_case_the_form_cannot_show_is_refused_and_nothing_changes(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    before = window.form.document()
    problems = window.form.load(
        {"patient": {"age_years": 50, "sex": "male", "shoe_size": 9}, "labs": {}}
    )
    assert problems and "shoe_size" in problems[0]
    assert window.form.document() == before
    assert window.form.load([1, 2]) != []


def test_an_age_that_no_float_holds_is_read_exactly_not_rounded(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Just under 18 is under 18, in the form as in a case file (a float would say 18)."""
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "patient.age_years", "17.99999999999999999999")
    document, _ = window.form.document()
    assert document["patient"]["age_years"] == Decimal("17.99999999999999999999")
    assert window.plan_view.plan is not None
    assert window.plan_view.plan.status == "out_of_scope"
    assert not window.plan_view.plan.orders


def test_every_input_has_an_accessible_name(window: MainWindow) -> None:
    inputs: list[QWidget] = [
        *window.form_view.findChildren(QLineEdit),
        *window.form_view.findChildren(QComboBox),
        *window.form_view.findChildren(QCheckBox),
    ]
    assert len(inputs) > 30
    for widget in inputs:
        assert widget.accessibleName(), widget.objectName()


def test_tab_moves_through_the_form_in_reading_order(window: MainWindow) -> None:
    order = [
        "patient.id",
        "patient.name",
        "patient.age_years",
        "patient.sex",
        "patient.weight",
        "patient.weight.unit",
        "patient.pregnant",
        "patient.allergies",
        "labs.magnesium",
        "labs.magnesium.unit",
        "labs.potassium",
        "labs.creatinine",
        "labs.creatinine_clearance",
        "clinical.symptoms.tetany",
        "clinical.torsades",
        "clinical.heart_block",
        "clinical.prior_therapy",
    ]
    chain: list[str] = []
    widget = window.form_view.line_edits["patient.id"]
    for _ in range(200):
        if widget.objectName() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            chain.append(widget.objectName())
        widget = widget.nextInFocusChain()
    positions = [chain.index(name) for name in order]
    assert positions == sorted(positions)


def test_focus_moves_with_tab_from_one_field_to_the_next(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    first = line_edit(window, "patient.id")
    first.setFocus()
    qtbot.keyClick(first, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is line_edit(window, "patient.name")


def test_new_case_clears_everything(qtbot: QtBot, window: MainWindow) -> None:
    enter_mild_man(qtbot, window)
    window.files.new_case()
    document, _ = window.form.document()
    assert document["patient"] == {}
    assert document["labs"] == {}
    assert all(p.currentIndex() == -1 for p in window.form_view.unit_pickers.values())
    assert window.plan_view.plan is None


def test_the_window_before_the_protocol_is_loaded(qtbot: QtBot) -> None:
    window = make_window(qtbot, None)
    assert window.protocol is None
    assert window.plan_view.status.text().startswith("Loading")
    type_text(qtbot, window, "labs.magnesium", "1.4")  # typing early loses nothing
    assert window.finish_startup() is True
    assert window.protocol is not None
    assert line_edit(window, "labs.magnesium").text() == "1.4"
    assert "no unit" in window.form_view.rows["labs.magnesium"].error.text()


def test_the_text_fields_take_no_more_than_the_core_accepts(window: MainWindow) -> None:
    for key, limit in TEXT_LIMITS.items():
        assert line_edit(window, f"patient.{key}").maxLength() == limit
    problems = window.form.load(
        {"patient": {"name": "x" * (TEXT_LIMITS["name"] + 1), "age_years": 50}, "labs": {}}
    )
    assert problems == ["patient.name is longer than 200 characters, more than the form takes"]


@pytest.mark.parametrize("key", sorted(TEXT_LIMITS))
def test_the_form_shows_a_text_fields_limit_and_says_when_a_paste_was_cut(
    qtbot: QtBot, window: MainWindow, key: str
) -> None:
    limit = TEXT_LIMITS[key]
    edit, row = line_edit(window, f"patient.{key}"), window.form_view.rows[f"patient.{key}"]
    assert edit.toolTip() == f"At most {limit} characters"
    QApplication.clipboard().setText("x" * (limit + 20))
    edit.setFocus()
    edit.paste()
    assert len(edit.text()) == limit
    assert row.note.text() == f"At most {limit} characters: the rest was not taken"
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert row.note.text() == ""


def test_a_direction_override_in_the_name_is_refused_beside_the_field(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    line_edit(window, "patient.name").setText("Smith, John \u202e")
    error = window.form_view.rows["patient.name"].error.text()
    assert "direction control (U+202E" in error
    assert_no_plan(window)
    assert "\u202e" not in window.windowTitle()


@pytest.mark.parametrize(
    ("field", "typed"),
    [("labs.magnesium", "١٫٤"), ("labs.magnesium", "１．４"), ("patient.age_years", "٥٠")],
)
def test_digits_other_than_0_to_9_are_named_in_the_form(
    qtbot: QtBot, window: MainWindow, field: str, typed: str
) -> None:
    enter_mild_man(qtbot, window)
    line_edit(window, field).setText(typed)
    error = window.form_view.rows[field].error.text()
    assert "use the digits 0-9" in error and "empty" not in error
    assert_no_plan(window)


def test_a_case_file_with_exact_numbers_is_shown_as_written(
    window: MainWindow, protocol: Protocol
) -> None:
    document = {
        "patient": {"age_years": Decimal("45.50"), "sex": "male", "weight": "80 kg"},
        "labs": {"magnesium": "1.4 mg/dL"},
    }
    assert window.form.load(document) == []
    assert line_edit(window, "patient.age_years").text() == "45.50"
    assert window.plan_view.plan == evaluate(parse_case(document, protocol), protocol)
    assert window.form.load({**document, "patient": {"age_years": Decimal("1E+2")}}) == []
    assert line_edit(window, "patient.age_years").text() == "100"
