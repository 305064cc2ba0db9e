"""Protocol 1.1 in the window, used as a new user would: height and eGFR, the renal estimate
with the weight it used, the magnesium given with the assessment time, and the plan they
change (PROTOCOL.md step 6 and step 8f)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from gui_support import make_window, pick, set_checked, shared_case, type_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.qtbot import QtBot

from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.protocol import Protocol
from mgdesk.document.line_breaks import as_typed
from mgdesk.gui import magnesium_given_table
from mgdesk.gui.flowchart import UNVISITED
from mgdesk.gui.magnesium_given_table import NO_TIME_OF_DAY, REMOVE_SHORTCUT, GivenRow
from mgdesk.gui.main_window import MainWindow

PROTOCOL_11_CASES = ["y01.json", "y10.json", "y18.json", "y22.json"]


def words(text: str) -> str:
    """text as read: the joiners that keep a quantity on one line left out."""
    return " ".join(as_typed(text).split())


def plan_text(window: MainWindow) -> str:
    return words(window.plan_view.details.toPlainText())


def enter_woman_of_80(qtbot: QtBot, window: MainWindow) -> None:
    """80 years, female, 120 kg, creatinine 2.5 mg/dL, magnesium 0.8 mg/dL, a seizure."""
    type_text(qtbot, window, "patient.age_years", "80")
    pick(qtbot, window.form_view.sex, "Female")
    type_text(qtbot, window, "patient.weight", "120")
    pick(qtbot, window.form_view.unit_pickers["patient.weight"], "kg")
    type_text(qtbot, window, "labs.magnesium", "0.8")
    pick(qtbot, window.form_view.unit_pickers["labs.magnesium"], "mg/dL")
    type_text(qtbot, window, "labs.potassium", "4.2")
    pick(qtbot, window.form_view.unit_pickers["labs.potassium"], "mmol/L")
    type_text(qtbot, window, "labs.creatinine", "2.5")
    pick(qtbot, window.form_view.unit_pickers["labs.creatinine"], "mg/dL")
    set_checked(qtbot, window.form_view.symptoms["seizure"], True)


def severe_infusion_text(window: MainWindow) -> str:
    plan = window.plan_view.plan
    assert plan is not None
    order = plan.order("mg_sulfate_iv_severe")
    assert order is not None
    return order.text


def test_her_height_changes_the_clearance_and_the_severe_dose(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_woman_of_80(qtbot, window)
    assert not window.form_view.pregnant.isEnabled() or (
        window.form_view.rows["patient.pregnant"].error.text() == ""
    ), "pregnancy is not asked at 80"
    plan = window.plan_view.plan
    assert plan is not None and plan.status == "ok"
    assert plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.shown == "34 mL/min"
    assert "magnesium sulfate 5 g" in severe_infusion_text(window)
    assert "Renal function: 34 mL/min, Cockcroft-Gault with actual body weight 120 kg: " in (
        plan_text(window)
    )
    assert "actual body weight 120 kg: no height entered" in plan_text(window)

    type_text(qtbot, window, "patient.height", "160")
    assert window.plan_view.plan is None, "a height without its unit is never read as cm"
    height_row = window.form_view.rows["patient.height"]
    assert height_row.error.isVisible() and "unit" in height_row.error.text()
    assert window.form_view.unit_pickers["patient.height"].currentIndex() == -1
    pick(qtbot, window.form_view.unit_pickers["patient.height"], "cm")

    plan = window.plan_view.plan
    assert plan is not None and plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.shown == "22.5 mL/min"
    weight = plan.creatinine_clearance.weight
    assert weight is not None and weight.kind == "adjusted"
    assert "magnesium sulfate 2.5 g" in severe_infusion_text(window)
    text = plan_text(window)
    assert f"Renal function: 22.5 mL/min, Cockcroft-Gault with {weight.reason}" in text
    assert weight.reason.startswith("adjusted body weight 79.4 kg: BMI 46.9, ideal 52.4 kg")
    assert plan.body_size is not None and f"Body size: {plan.body_size.shown}" in text
    note = as_typed(window.form_view.rows["labs.creatinine_clearance"].note.text())
    assert note.startswith("Creatinine clearance (Cockcroft-Gault):")
    assert "x 79.43 kg (adjusted body weight)" in note


def test_the_height_is_read_in_metres_and_inches_too(qtbot: QtBot, window: MainWindow) -> None:
    enter_woman_of_80(qtbot, window)
    shown = []
    for value, unit in (("1.6", "m"), ("62.992126", "in")):
        type_text(qtbot, window, "patient.height", value)
        pick(qtbot, window.form_view.unit_pickers["patient.height"], unit)
        plan = window.plan_view.plan
        assert plan is not None and plan.creatinine_clearance is not None
        shown.append(plan.creatinine_clearance.shown)
    assert shown == ["22.5 mL/min", "22.5 mL/min"]


def test_the_egfr_is_never_confused_with_a_clearance(qtbot: QtBot, window: MainWindow) -> None:
    enter_woman_of_80(qtbot, window)
    type_text(qtbot, window, "labs.creatinine", "")
    type_text(qtbot, window, "labs.egfr", "25")
    units = [label.text() for label in window.form_view.rows["labs.egfr"].findChildren(QLabel)]
    assert "mL/min/1.73 m2" in units and "mL/min" not in units
    assert "labs.egfr" not in window.form_view.unit_pickers, "one unit: nothing to pick"
    document, _ = window.form.document()
    assert document["labs"]["egfr"] == "25 mL/min/1.73 m2"
    plan = window.plan_view.plan
    assert plan is not None and plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.method == "egfr"
    assert "egfr_used_for_renal_function" in plan.warning_codes()
    assert "Renal function: 25 mL/min/1.73 m2, eGFR" in plan_text(window)
    assert (
        window.form_view.rows["labs.creatinine_clearance"]
        .note.text()
        .startswith("Renal function from the eGFR")
    )


def add_dose(
    qtbot: QtBot, window: MainWindow, day: str, time: str, route: str, amount: str, unit: str
) -> GivenRow:
    """Add a row with the keyboard (the Add button's mnemonic) and fill it in by typing."""
    given = window.form_view.given
    given.add_button.setFocus()
    qtbot.keyClick(given.add_button, Qt.Key.Key_Space)
    row = given.rows[-1]
    assert row.date.hasFocus()
    qtbot.keyClicks(row.date, day)
    qtbot.keyClicks(row.time, time)
    pick(qtbot, row.route, route)
    qtbot.keyClicks(row.amount, amount)
    pick(qtbot, row.unit, unit)
    return row


def test_17_g_given_yesterday_cuts_the_infusion_to_1_g(qtbot: QtBot, window: MainWindow) -> None:
    """Worked case Y22: clearance 18, a seizure; with 17 g given in the last 48 hours only
    1 g of the 20 g remains after the 2 g loading dose."""
    case = shared_case("y22.json")["case"]
    del case["clinical"]["magnesium_given"], case["assessed_at"]
    assert window.form.load(case) == []
    before = window.plan_view.plan
    assert before is not None and before.creatinine_clearance is not None
    assert before.creatinine_clearance.shown == "18 mL/min"
    assert "magnesium sulfate 2.5 g" in severe_infusion_text(window)

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    row = add_dose(qtbot, window, yesterday, "10:00", "IV", "17", "g")
    given = window.form_view.given
    assert window.plan_view.plan is None, "the assessment time is required first"
    assert "is required when clinical.magnesium_given lists" in given.assessed_at.error.text()
    assert window.form.document()[0]["clinical"]["magnesium_given"][0]["route"] == "iv"

    given.assessed_at.now_button.setFocus()
    qtbot.keyClick(given.assessed_at.now_button, Qt.Key.Key_Space)
    plan = window.plan_view.plan
    assert plan is not None, window.form.document()
    assert not given.assessed_at.error.isVisible() and not row.error.isVisible()
    order = severe_infusion_text(window)
    assert "magnesium sulfate 1 g" in order and "cut to what remains of the 48-hour limit" in order
    assert "cumulative_limit_reached" in plan.warning_codes()
    assert plan.magnesium_given is not None
    assert given.summary.text() == plan.magnesium_given.shown
    assert "17 g magnesium sulfate" in given.summary.text()
    assert "1 g left of the 20 g allowed in 48 hours" in given.summary.text()
    assert f"Magnesium given: {plan.magnesium_given.shown}" in plan_text(window)
    assert given_outcome_on_chart(window) == "limit_reached"

    row.date.setFocus()
    qtbot.keyClick(
        row.date,
        Qt.Key.Key_Backspace,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert given.rows == [] and given.add_button.hasFocus()
    assert "magnesium sulfate 2.5 g" in severe_infusion_text(window)
    assert given_outcome_on_chart(window) == "none"


def given_outcome_on_chart(window: MainWindow) -> str | None:
    """The outcome of step 8f that the flowchart highlights, checked against the plan's."""
    chart, plan = window.algorithm.chart.chart, window.plan_view.plan
    assert chart is not None and plan is not None
    group = next(g for g in chart.groups if g.source == "magnesium_given")
    assert group.taken == next(s.outcome for s in plan.steps if s.id == "magnesium_given")
    return group.taken


def test_the_now_button_sets_the_local_time_with_its_offset(
    qtbot: QtBot, window: MainWindow
) -> None:
    edit = window.form_view.given.assessed_at.edit
    assert edit.text() == ""
    qtbot.mouseClick(window.form_view.given.assessed_at.now_button, Qt.MouseButton.LeftButton)
    shown = datetime.fromisoformat(edit.text())
    assert shown.utcoffset() == datetime.now().astimezone().utcoffset()
    assert abs(shown - datetime.now().astimezone()) < timedelta(minutes=2)
    type_text_into(qtbot, edit, "2026-12-04T08:30+01:00")
    assert window.form.document()[0]["assessed_at"] == "2026-12-04T08:30+01:00"


def type_text_into(qtbot: QtBot, edit: QWidget, text: str) -> None:
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_an_empty_time_is_an_error_never_midnight(qtbot: QtBot, window: MainWindow) -> None:
    assert window.form.load(shared_case("y22.json")["case"]) == []
    given = window.form_view.given
    row = add_dose(qtbot, window, "2026-12-04", "", "IM", "1", "g")
    assert window.plan_view.plan is None
    assert NO_TIME_OF_DAY in row.error.text()
    assert row.time.toolTip() == f"clinical.magnesium_given[2].time: {NO_TIME_OF_DAY}"
    assert window.form.is_marked_invalid("labs.magnesium") is False
    assert row.time.palette().base() != given.rows[0].time.palette().base(), "marked"
    assert "T00:00" not in str(window.form.document()[0])
    qtbot.keyClicks(row.time, "0930")  # the colon is the user's to type: 0930 is refused
    assert row.time.text() == "09"
    qtbot.keyClicks(row.time, ":30")
    assert window.plan_view.plan is not None
    assert not row.error.isVisible()


def test_each_invalid_cell_shows_the_cores_message_for_its_entry(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    assert window.form.load(shared_case("y22.json")["case"]) == []
    given = window.form_view.given
    first, second = given.rows
    type_text_into(qtbot, second.amount, "50")
    type_text_into(qtbot, first.offset, "")
    assert window.plan_view.plan is None
    assert "above 40 g of magnesium sulfate" in second.amount.toolTip()
    assert second.amount.toolTip().startswith("clinical.magnesium_given[1].amount: 50 g is")
    assert second.unit.toolTip() == second.amount.toolTip()
    assert "has no UTC offset" in first.time.toolTip()
    assert first.time.toolTip().startswith("clinical.magnesium_given[0].time:")
    assert not first.amount.toolTip() and not second.time.toolTip()
    assert "Amount: 50 g is above" in second.error.text()
    errors_shown = plan_text(window)
    assert "Magnesium given, dose 2, amount: 50 g is above" in errors_shown


def test_a_dose_given_after_the_assessment_is_refused_at_its_time(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.form.load(shared_case("y22.json")["case"]) == []
    given = window.form_view.given
    type_text_into(qtbot, given.assessed_at.edit, "2026-12-04T01:00+00:00")
    second = given.rows[1]
    assert "is after assessed_at" in second.time.toolTip()
    assert second.error.isVisible()
    assert not given.rows[0].error.isVisible()


def test_a_new_rows_offset_is_this_computers_zone_and_a_loaded_one_is_kept(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(magnesium_given_table, "local_offset", lambda day, time: "+05:30")
    assert window.form.load(shared_case("y22.json")["case"]) == []
    row = add_dose(qtbot, window, "2026-12-04", "06:00", "IV", "2", "g")
    assert row.offset.text() == "" and row.offset.placeholderText() == "local +05:30"
    entries = window.form.document()[0]["clinical"]["magnesium_given"]
    assert entries[2] == {"time": "2026-12-04T06:00+05:30", "route": "iv", "amount": "2 g"}
    assert entries[0]["time"] == "2026-12-03T08:00:00+00:00"
    assert window.form_view.given.rows[0].offset.text() == "+00:00"


@pytest.mark.parametrize("name", PROTOCOL_11_CASES)
def test_a_worked_case_of_protocol_11_round_trips_through_the_form(
    window: MainWindow, protocol: Protocol, name: str
) -> None:
    case = shared_case(name)["case"]
    assert window.form.load(case) == []
    document, problems = window.form.document()
    assert problems == []
    for key, value in case.items():
        if isinstance(value, dict):
            for field, entered in value.items():
                assert document[key][field] == entered, f"{key}.{field}"
        else:
            assert document[key] == value, key
    assert window.plan_view.plan == evaluate(parse_case(case, protocol), protocol)


@pytest.mark.parametrize("name", PROTOCOL_11_CASES)
def test_the_flowchart_draws_and_highlights_the_path_of_a_protocol_11_case(
    window: MainWindow, name: str
) -> None:
    assert window.form.load(shared_case(name)["case"]) == []
    plan = window.plan_view.plan
    assert plan is not None
    chart = window.algorithm.chart.chart
    assert chart is not None
    for node_id in plan.path:
        assert chart.nodes[node_id].state != UNVISITED, node_id
    drawn = {(g.source, outcome, g.target) for g in chart.groups for outcome, _ in g.outcomes}
    for step in plan.steps:
        assert (step.id, step.outcome, step.next) in drawn, step.id
        group = next(g for g in chart.groups if (g.source, g.target) == (step.id, step.next))
        assert group.taken == step.outcome


def test_a_time_the_form_cannot_split_is_refused_naming_its_entry(window: MainWindow) -> None:
    case = shared_case("y22.json")["case"]
    case["clinical"]["magnesium_given"][1]["time"] = "yesterday at noon"
    problems = window.form.load(case)
    assert problems == [
        "clinical.magnesium_given[1].time: 'yesterday at noon' cannot be shown in the form"
    ]


def _mnemonic(widget: QWidget) -> str | None:
    text = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def test_the_new_keys_are_used_once_in_the_window(window: MainWindow) -> None:
    given = window.form_view.given
    now = given.assessed_at.now_button
    assert _mnemonic(now) is None and now.shortcut().toString() == "Ctrl+Shift+N"
    new = {given.add_button: "d"}
    others = [
        _mnemonic(w)
        for w in window.findChildren(QWidget)
        if w not in new and isinstance(w, QLabel | QAbstractButton)
    ]
    menus = [re.sub(r".*&(.).*", r"\1", a.text()).lower() for a in window.menuBar().actions()]
    for widget, letter in new.items():
        assert _mnemonic(widget) == letter
        assert letter not in others and letter not in menus, letter


def test_rows_are_removed_with_their_button_too(qtbot: QtBot, window: MainWindow) -> None:
    assert window.form.load(shared_case("y22.json")["case"]) == []
    given = window.form_view.given
    first = given.rows[0]
    first.remove.setFocus()
    qtbot.keyClick(first.remove, Qt.Key.Key_Space)
    assert len(given.rows) == 1 and given.rows[0].date.hasFocus()
    assert given.rows[0].date.accessibleName().startswith("Dose 1 given")
    entries = window.form.document()[0]["clinical"]["magnesium_given"]
    assert entries == [shared_case("y22.json")["case"]["clinical"]["magnesium_given"][1]]
    assert REMOVE_SHORTCUT in first.remove.toolTip()


def test_alt_d_adds_a_row_and_ctrl_shift_n_sets_now(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.form_view.line_edits["patient.id"].setFocus()
    qtbot.keyClick(
        window.form_view.line_edits["patient.id"], Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier
    )
    given = window.form_view.given
    qtbot.waitUntil(lambda: len(given.rows) == 1)  # a mnemonic clicks as a user sees it, later
    assert given.rows[0].date.hasFocus()
    qtbot.keyClick(
        given.rows[0].date,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: given.assessed_at.edit.text() != "")


def test_an_empty_list_of_magnesium_given_is_saved_back_as_it_was(window: MainWindow) -> None:
    case = shared_case("y18.json")["case"]
    case["clinical"]["magnesium_given"] = []
    assert window.form.load(case) == []
    assert window.form.document()[0]["clinical"]["magnesium_given"] == []
    window.form.clear()
    assert "magnesium_given" not in window.form.document()[0]["clinical"]


def test_an_amount_is_typed_with_the_locales_decimal_comma(
    qtbot: QtBot, protocol: Protocol
) -> None:
    window = make_window(qtbot, protocol, decimal_point=",")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.form.load(shared_case("y22.json")["case"]) == []
    row = add_dose(qtbot, window, "2026-12-04", "11:00", "IM", "2,5", "mmol")
    entries = window.form.document()[0]["clinical"]["magnesium_given"]
    assert entries[2]["amount"] == "2.5 mmol" and entries[2]["route"] == "im"
    type_text_into(qtbot, row.amount, "2.5")
    assert "decimal comma" in row.amount.toolTip()
    assert row.amount.toolTip().startswith("clinical.magnesium_given[2].amount:")
    assert window.plan_view.plan is None
    window.close()


def test_an_error_link_in_the_plan_goes_to_its_cell(qtbot: QtBot, window: MainWindow) -> None:
    assert window.form.load(shared_case("y22.json")["case"]) == []
    second = window.form_view.given.rows[1]
    type_text_into(qtbot, second.amount, "50")
    assert 'href="field:clinical.magnesium_given[1].amount"' in window.plan_view.details.toHtml()
    window.plan_view.field_requested.emit("clinical.magnesium_given[1].amount")
    assert window.focusWidget() is second.amount
    window.plan_view.field_requested.emit("assessed_at")
    assert window.focusWidget() is window.form_view.given.assessed_at.edit


def test_a_draft_row_is_saved_and_opened_again_as_typed(qtbot: QtBot, window: MainWindow) -> None:
    assert window.form.load(shared_case("y22.json")["case"]) == []
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    given = window.form_view.given
    given.add_button.setFocus()
    qtbot.keyClick(given.add_button, Qt.Key.Key_Space)
    qtbot.keyClicks(given.rows[2].date, "2026-12-0")
    draft, _ = window.form.document()
    assert draft["clinical"]["magnesium_given"][2] == {"time": "2026-12-0T"}
    assert window.form.load(draft) == []
    assert window.form.document()[0] == draft
    assert given.rows[2].date.text() == "2026-12-0" and given.rows[2].time.text() == ""


def test_a_new_row_says_what_it_needs_without_marking_its_empty_cells(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.form.load(shared_case("y22.json")["case"]) == []
    given = window.form_view.given
    row = given.add_row()
    assert "Time: is required" in row.error.text() and "Amount: is required" in row.error.text()
    untouched = row.amount.palette().base().color()
    assert untouched == given.rows[0].amount.palette().base().color()
    type_text_into(qtbot, row.amount, "5")
    assert "has no unit" in row.amount.toolTip(), "never a default unit"
    assert row.amount.palette().base().color() != untouched
    pick(qtbot, row.unit, "g")
    type_text_into(qtbot, row.amount, "0")
    assert "must be above zero" in row.amount.toolTip()
