"""Numbers are read exactly: a JSON number in a case is its decimal, never a binary float
that rounds 17.99999999999999999999 up to 18; digits other than 0-9 are named, not
called empty."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from core_support import base_case, errors_of, run_cli

from mgdesk.commands.evaluate import decode_case
from mgdesk.core.case import parse_case
from mgdesk.core.errors import FieldError
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.core.units import parse_quantity


def case_text(age: str, **patient: object) -> str:
    """A case as JSON text with the age written exactly as given."""
    document = base_case(**{f"patient__{k}": v for k, v in patient.items()})
    return json.dumps(document).replace(
        f'"age_years": {document["patient"]["age_years"]}', f'"age_years": {age}'
    )


def test_an_age_just_under_18_is_out_of_scope_and_gets_no_orders() -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], case_text("17.99999999999999999999"))
    plan = result.json()
    assert plan["status"] == "out_of_scope" and plan["orders"] == []


def test_a_woman_just_under_56_is_asked_about_pregnancy() -> None:
    text = case_text("55.99999999999999999", sex="female", pregnant=None)
    result = run_cli(["evaluate", "--format", "json", "-"], text)
    assert result.code == 2
    assert result.json()["errors"] == [
        {
            "field": "patient.pregnant",
            "message": "is required for a woman aged 18 to under 56: "
            "answer true or false (there is no default)",
        }
    ]


def test_the_decoded_case_keeps_the_age_as_written() -> None:
    document = decode_case(case_text("17.99999999999999999999").encode())
    assert document["patient"]["age_years"] == Decimal("17.99999999999999999999")
    case = parse_case(document, default_protocol())
    assert case.patient.age_years == Fraction("17.99999999999999999999")


@pytest.mark.parametrize(
    ("age", "status"),
    [("18.0", "ok"), ("1.8e1", "ok"), ("180e-1", "ok"), ("1799e-2", "out_of_scope")],
)
def test_exponents_and_trailing_zeros_are_read_exactly(age: str, status: str) -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], case_text(age))
    assert result.json()["status"] == status


@pytest.mark.parametrize(
    ("age", "message"),
    [
        ("1e999999999", "must be between 0 and 120 years"),
        ("-1e999999999", "must be between 0 and 120 years"),
        ("1e-999999999", "has more than 100 decimal places"),
    ],
)
def test_an_absurd_exponent_is_refused_at_once(age: str, message: str) -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], case_text(age))
    assert result.code == 2
    [error] = result.json()["errors"]
    assert error["field"] == "patient.age_years" and message in error["message"]


OTHER_DIGITS = [
    pytest.param("١٫٤ mg/dL", id="arabic-indic"),
    pytest.param("۱.۴ mg/dL", id="extended-arabic-indic"),
    pytest.param("１．４ mg/dL", id="full-width"),
    pytest.param("1.٤ mg/dL", id="mixed"),
    pytest.param("1٫4 mg/dL", id="arabic-decimal-separator"),
]


@pytest.mark.parametrize("typed", OTHER_DIGITS)
def test_a_quantity_in_other_digits_says_to_use_0_to_9(typed: str) -> None:
    with pytest.raises(FieldError) as raised:
        parse_quantity(typed, "labs.magnesium", ("mg/dL",))
    assert "use the digits 0-9" in raised.value.message
    assert "empty" not in raised.value.message
    errors = errors_of(base_case(labs__magnesium=typed))
    assert [(e.field, "use the digits 0-9" in e.message) for e in errors] == [
        ("labs.magnesium", True)
    ]


@pytest.mark.parametrize("typed", ["٤٥", "４５", "45.٥"])
def test_an_age_in_other_digits_says_to_use_0_to_9(typed: str) -> None:
    errors = errors_of(base_case(patient__age_years=typed))
    assert [e.field for e in errors] == ["patient.age_years"]
    assert "use the digits 0-9" in errors[0].message


def test_a_number_where_a_choice_is_expected_is_shown_as_written() -> None:
    result = run_cli(
        ["evaluate", "--format", "json", "-"],
        json.dumps(base_case()).replace('"clinical": {}', '"clinical": {"torsades": 1.50}'),
    )
    assert [e["message"].split(" is not")[0] for e in result.json()["errors"]] == ["1.50"]
