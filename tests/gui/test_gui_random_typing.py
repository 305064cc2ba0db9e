"""Random typing into every field: never raises, never hangs, never a plan for invalid input."""

from __future__ import annotations

import time
from typing import Any

import pytest
from gui_support import shared_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from mgdesk.core.case import parse_case
from mgdesk.core.emergency import emergency_orders
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, PlanWithheld
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.gui.case_form_view import FLAG_FIELDS
from mgdesk.gui.main_window import MainWindow

pytestmark = pytest.mark.slow  # thousands of random edits

LINE_FIELDS = (
    "patient.id",
    "patient.name",
    "patient.age_years",
    "patient.weight",
    "patient.allergies",
    "labs.magnesium",
    "labs.potassium",
    "labs.creatinine",
    "labs.creatinine_clearance",
)
UNIT_FIELDS = ("patient.weight", "labs.magnesium", "labs.potassium", "labs.creatinine")
CHOICE_FIELDS = ("clinical.torsades", "clinical.gi_losses", "clinical.prior_therapy")
BOXES = (
    *FLAG_FIELDS,
    "symptom:tetany",
    "symptom:cramps",
    "symptom:seizure",
)
SLOW = 2.0  # seconds; one edit takes milliseconds, so this only catches a hang

NUMBERISH = st.lists(
    st.sampled_from(
        [
            "0",
            "1",
            "2",
            "4",
            "5",
            "9",
            ".",
            ",",
            "-",
            "+",
            " ",
            "e",
            "00",
            "1.4",
            "0.49",
            "120",
            "mg/dL",
            "mmol/L",
            "mEq/L",
            "µmol/L",
            "kg",
            "lb",
            "mL/min",
            "NaN",
            "inf",
            "1e400",
            "%",
        ]
    ),
    max_size=6,
).map("".join)
ANY_TEXT = st.text(
    st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cc", "Cs", "Co", "Cn")), max_size=14
)
EDIT = st.one_of(
    st.tuples(st.just("type"), st.sampled_from(LINE_FIELDS), st.one_of(NUMBERISH, ANY_TEXT)),
    st.tuples(st.just("unit"), st.sampled_from(UNIT_FIELDS), st.integers(-1, 2)),
    st.tuples(st.just("choice"), st.sampled_from(CHOICE_FIELDS), st.integers(0, 4)),
    st.tuples(st.just("sex"), st.just("patient.sex"), st.integers(-1, 1)),
    st.tuples(st.just("pregnant"), st.just("patient.pregnant"), st.integers(-1, 1)),
    st.tuples(st.just("toggle"), st.sampled_from(BOXES), st.just(0)),
)
RANDOM = settings(
    max_examples=45,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def apply(qtbot: QtBot, window: MainWindow, edit: tuple[str, str, Any]) -> None:
    kind, field, value = edit
    view = window.form_view
    if kind == "type":
        line = view.line_edits[field]
        line.selectAll()
        qtbot.keyClick(line, Qt.Key.Key_Delete)
        type_any_text(line, value)
        if value.isascii():
            assert line.text() == value
    elif kind == "unit":
        picker = view.unit_pickers[field]
        picker.setCurrentIndex(min(value, picker.count() - 1))
    elif kind == "choice":
        combo = view.choices[field]
        combo.setCurrentIndex(value % combo.count())
    elif kind in ("sex", "pregnant"):
        (view.sex if kind == "sex" else view.pregnant).setCurrentIndex(value)
    else:
        box = (
            view.symptoms[field.split(":")[1]]
            if field.startswith("symptom:")
            else view.flags[field]
        )
        box.toggle()


def type_any_text(widget: QWidget, text: str) -> None:
    """Key presses carrying each character (QTest's keyClicks aborts outside ASCII)."""
    for character in text:
        for event_type in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(
                event_type, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, character
            )
            QApplication.sendEvent(widget, event)


def core_answer(window: MainWindow, protocol: Protocol) -> Plan | None:
    """What the core says about the form's document, asked directly."""
    document, problems = window.form.document()
    if problems:
        return None
    try:
        return evaluate(parse_case(document, protocol), protocol)
    except (CaseInvalid, PlanWithheld):
        return None


def check_consistent(window: MainWindow, protocol: Protocol) -> None:
    expected = core_answer(window, protocol)
    assert window.plan_view.plan == expected
    if expected is None:
        assert window.current_case_and_plan() is None
        assert window.algorithm.path == ()
        assert window.plan_view.gauge.value is None
        assert "Orders" not in window.plan_view.details.toPlainText()
        # Only the emergency orders the core gives for the invalid case are given now.
        document, problems = window.form.document()
        emergency = emergency_orders(document, protocol, [p.field for p in problems])
        given = emergency is not None and bool(emergency.orders)
        assert ("Give now" in window.emergency_banner.text()) == given
    else:
        assert window.algorithm.path == expected.path


@RANDOM
@given(edits=st.lists(EDIT, min_size=1, max_size=10))
def test_random_edits_of_an_empty_form(
    qtbot: QtBot, window: MainWindow, protocol: Protocol, edits: list[tuple[str, str, Any]]
) -> None:
    window.files.new_case()
    for edit in edits:
        started = time.perf_counter()
        apply(qtbot, window, edit)
        assert time.perf_counter() - started < SLOW
        check_consistent(window, protocol)


@RANDOM
@given(
    edits=st.lists(EDIT, min_size=1, max_size=6),
    case=st.sampled_from(["v01.json", "v06.json", "v08.json", "v16.json", "v29.json"]),
)
def test_random_edits_of_a_valid_case(
    qtbot: QtBot,
    window: MainWindow,
    protocol: Protocol,
    edits: list[tuple[str, str, Any]],
    case: str,
) -> None:
    assert window.form.load(shared_case(case)["case"]) == []
    check_consistent(window, protocol)
    for edit in edits:
        apply(qtbot, window, edit)
        check_consistent(window, protocol)
