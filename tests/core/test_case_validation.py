"""Invalid cases are refused with an error naming the field and saying what is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from core_support import base_case, errors_of, plan_of, run_cli, woman

from mgdesk.core.case import TEXT_LIMITS, parse_case
from mgdesk.core.errors import CaseInvalid
from mgdesk.core.protocol_loader import default_protocol

# (id, case document, field the error names, words the message contains)
INVALID: list[tuple[str, Any, str, str]] = [
    ("missing unit", base_case(labs__magnesium="1.4"), "labs.magnesium", "no unit"),
    ("missing unit weight", base_case(patient__weight="80"), "patient.weight", "no unit"),
    ("missing unit creatinine", base_case(labs__creatinine="1.0"), "labs.creatinine", "no unit"),
    ("missing unit potassium", base_case(labs__potassium="4.2"), "labs.potassium", "no unit"),
    (
        "missing unit clearance",
        base_case(labs__creatinine_clearance="50"),
        "labs.creatinine_clearance",
        "no unit",
    ),
    ("number not text", base_case(labs__magnesium=1.4), "labs.magnesium", "number and a unit"),
    ("unknown unit", base_case(labs__magnesium="1.4 mg/dX"), "labs.magnesium", "unknown unit"),
    (
        "unknown unit weight",
        base_case(patient__weight="80 stone"),
        "patient.weight",
        "unknown unit",
    ),
    (
        "wrong dimension",
        base_case(labs__magnesium="1.4 kg"),
        "labs.magnesium",
        "wrong kind of unit",
    ),
    (
        "wrong dimension weight",
        base_case(patient__weight="80 mg/dL"),
        "patient.weight",
        "wrong kind of unit",
    ),
    (
        "wrong dimension creatinine",
        base_case(labs__creatinine="1.0 mmol"),
        "labs.creatinine",
        "wrong kind of unit",
    ),
    (
        "other unit of the right kind",
        base_case(labs__magnesium="14 mg/L"),
        "labs.magnesium",
        "not accepted",
    ),
    (
        "potassium in mg/dL",
        base_case(labs__potassium="4 mg/dL"),
        "labs.potassium",
        "wrong kind of unit",
    ),
    ("negative", base_case(labs__magnesium="-1.4 mg/dL"), "labs.magnesium", "negative"),
    ("negative weight", base_case(patient__weight="-80 kg"), "patient.weight", "negative"),
    ("negative age", base_case(patient__age_years=-1), "patient.age_years", "between 0 and 120"),
    ("nan text", base_case(labs__magnesium="nan mg/dL"), "labs.magnesium", "not a number"),
    ("NaN text", base_case(labs__potassium="NaN mmol/L"), "labs.potassium", "not a number"),
    ("inf text", base_case(labs__creatinine="inf mg/dL"), "labs.creatinine", "not a number"),
    ("Infinity text", base_case(patient__weight="Infinity kg"), "patient.weight", "not a number"),
    ("nan age", base_case(patient__age_years=float("nan")), "patient.age_years", "number"),
    ("infinite age", base_case(patient__age_years=float("inf")), "patient.age_years", "number"),
    ("boolean age", base_case(patient__age_years=True), "patient.age_years", "number"),
    ("boolean magnesium", base_case(labs__magnesium=False), "labs.magnesium", "number and a unit"),
    ("text age", base_case(patient__age_years="50"), "patient.age_years", "number"),
    ("text flag", base_case(clinical__heart_block="yes"), "clinical.heart_block", "true or false"),
    ("number flag", base_case(clinical__dialysis=1), "clinical.dialysis", "true or false"),
    (
        "null flag",
        {**base_case(), "clinical": {"digoxin": None}},
        "clinical.digoxin",
        "true or false",
    ),
    ("text pregnant", woman(30, patient__pregnant="no"), "patient.pregnant", "true or false"),
    ("decimal comma", base_case(labs__magnesium="1,4 mg/dL"), "labs.magnesium", "decimal point"),
    (
        "thousands separator",
        base_case(labs__creatinine="1,000 umol/L"),
        "labs.creatinine",
        "decimal point",
    ),
    ("empty", base_case(labs__magnesium=""), "labs.magnesium", "empty"),
    ("no number", base_case(labs__magnesium="mg/dL"), "labs.magnesium", "not a number"),
    ("exponent", base_case(labs__magnesium="1e0 mg/dL"), "labs.magnesium", "unit"),
    ("too long", base_case(labs__magnesium="1" * 70 + " mg/dL"), "labs.magnesium", "too long"),
    ("unknown sex", base_case(patient__sex="M"), "patient.sex", "female, male"),
    ("missing sex", base_case(patient__sex=None), "patient.sex", "required"),
    ("missing age", base_case(patient__age_years=None), "patient.age_years", "required"),
    ("unknown torsades", base_case(clinical__torsades="yes"), "clinical.torsades", "with_pulse"),
    (
        "unknown gi losses",
        base_case(clinical__gi_losses="vomiting"),
        "clinical.gi_losses",
        "short_bowel",
    ),
    (
        "unknown prior therapy",
        base_case(clinical__prior_therapy="iv_failed"),
        "clinical.prior_therapy",
        "oral_failed",
    ),
    (
        "unknown symptom",
        base_case(clinical__symptoms=["cramps", "itching"]),
        "clinical.symptoms[1]",
        "tetany",
    ),
    (
        "symptom twice",
        base_case(clinical__symptoms=["cramps", "cramps"]),
        "clinical.symptoms[1]",
        "twice",
    ),
    ("symptoms not a list", base_case(clinical__symptoms="cramps"), "clinical.symptoms", "list"),
    ("unknown top-level field", {**base_case(), "patients": {}}, "patients", "not a field"),
    (
        "misspelled patient field",
        base_case(patient__wieght="80 kg"),
        "patient.wieght",
        "not a field",
    ),
    (
        "misspelled lab field",
        base_case(labs__magnesuim="1.4 mg/dL"),
        "labs.magnesuim",
        "not a field",
    ),
    (
        "misspelled clinical field",
        base_case(clinical__torsade="none"),
        "clinical.torsade",
        "not a field",
    ),
    (
        "id too long",
        base_case(patient__id="x" * (TEXT_LIMITS["id"] + 1)),
        "patient.id",
        "longer than 64",
    ),
    ("name too long", base_case(patient__name="x" * 201), "patient.name", "longer than 200"),
    (
        "allergies too long",
        base_case(patient__allergies="x" * 501),
        "patient.allergies",
        "longer than 500",
    ),
    ("name not text", base_case(patient__name=42), "patient.name", "text"),
    ("control characters", base_case(patient__name="Ann\x00e"), "patient.name", "control"),
    ("lone surrogate", base_case(patient__name="Ann\ud800"), "patient.name", "not valid text"),
    (
        "right-to-left override in a name",
        base_case(patient__name="Smith, John \u202e"),
        "patient.name",
        "direction control (U+202E",
    ),
    (
        "direction isolate in an id",
        base_case(patient__id="MRN\u2067-1234"),
        "patient.id",
        "direction control (U+2067",
    ),
    (
        "right-to-left mark in allergies",
        base_case(patient__allergies="none\u200f known"),
        "patient.allergies",
        "direction control (U+200F",
    ),
    (
        "zero-width space in an id",
        base_case(patient__id="MRN-12\u200b34"),
        "patient.id",
        "invisible character (U+200B",
    ),
    (
        "byte order mark in a name",
        base_case(patient__name="\ufeffSmith, John"),
        "patient.name",
        "invisible character (U+FEFF",
    ),
    (
        "tab in allergies",
        base_case(patient__allergies="none\tknown"),
        "patient.allergies",
        "control",
    ),
    (
        "lone surrogate in a field name",
        {**base_case(), "clinical": {"\udc80": 1}},
        "clinical.",
        "not a field",
    ),
    (
        "magnesium missing without torsades",
        base_case(labs__magnesium=None),
        "labs.magnesium",
        "required",
    ),
    (
        "pregnancy question at 18",
        base_case(patient__sex="female", patient__age_years=18),
        "patient.pregnant",
        "required",
    ),
    (
        "pregnancy question at 55.99",
        base_case(patient__sex="female", patient__age_years=55.99),
        "patient.pregnant",
        "required",
    ),
    ("pregnant man", base_case(patient__pregnant=True), "patient.pregnant", "male"),
    ("newer format", {**base_case(), "format": "mgdesk-case/2"}, "format", "newer"),
    ("unknown format", {**base_case(), "format": "something"}, "format", "mgdesk-case/1"),
    ("not an object", [base_case()], "case", "object"),
    ("patient missing", {"labs": base_case()["labs"]}, "patient", "missing"),
    ("labs not an object", {**base_case(), "labs": "1.4 mg/dL"}, "labs", "object"),
    ("clinical not an object", {**base_case(), "clinical": []}, "clinical", "object"),
]

# Plausibility windows (PROTOCOL.md, "Inputs and plausibility"): each edge in and just out.
EDGES: list[tuple[str, Any, bool]] = [
    ("labs__magnesium", "0.2 mg/dL", True),
    ("labs__magnesium", "0.19 mg/dL", False),
    ("labs__magnesium", "8.0 mg/dL", True),
    ("labs__magnesium", "8.01 mg/dL", False),
    ("labs__magnesium", "0.083 mmol/L", True),
    ("labs__magnesium", "0.082 mmol/L", False),
    ("labs__magnesium", "3.291 mmol/L", True),
    ("labs__magnesium", "3.292 mmol/L", False),
    ("labs__magnesium", "0.165 mEq/L", True),
    ("labs__magnesium", "0.164 mEq/L", False),
    ("labs__magnesium", "6.583 mEq/L", True),
    ("labs__magnesium", "6.584 mEq/L", False),
    ("labs__magnesium", "0 mg/dL", False),
    ("labs__potassium", "1.5 mmol/L", True),
    ("labs__potassium", "1.49 mmol/L", False),
    ("labs__potassium", "9.0 mEq/L", True),
    ("labs__potassium", "9.01 mEq/L", False),
    ("labs__creatinine", "0.1 mg/dL", True),
    ("labs__creatinine", "0.09 mg/dL", False),
    ("labs__creatinine", "25 mg/dL", True),
    ("labs__creatinine", "25.01 mg/dL", False),
    ("labs__creatinine", "8.84 umol/L", True),
    ("labs__creatinine", "8.83 µmol/L", False),
    ("labs__creatinine", "2210 µmol/L", True),
    ("labs__creatinine", "2210.1 umol/L", False),
    ("patient__weight", "20 kg", True),
    ("patient__weight", "19.99 kg", False),
    ("patient__weight", "400 kg", True),
    ("patient__weight", "400.01 kg", False),
    ("patient__weight", "44.1 lb", True),
    ("patient__weight", "44 lb", False),
    ("patient__weight", "881.8 lb", True),
    ("patient__weight", "881.9 lb", False),
    ("patient__age_years", 0, True),
    ("patient__age_years", -0.01, False),
    ("patient__age_years", 120, True),
    ("patient__age_years", 120.01, False),
    ("labs__creatinine_clearance", "0 mL/min", True),
    ("labs__creatinine_clearance", "250 mL/min", True),
    ("labs__creatinine_clearance", "250.1 mL/min", False),
    ("labs__creatinine_clearance", "-1 mL/min", False),
]


@pytest.mark.parametrize(
    ("name", "document", "field", "words"), INVALID, ids=[c[0] for c in INVALID]
)
def test_invalid_case_through_the_api(name: str, document: Any, field: str, words: str) -> None:
    errors = errors_of(document)
    matching = [e for e in errors if e.field.startswith(field)]
    assert matching, f"{name}: no error for {field}: {[str(e) for e in errors]}"
    assert any(words.lower() in e.message.lower() for e in matching), [str(e) for e in errors]


@pytest.mark.parametrize(
    ("name", "document", "field", "words"), INVALID, ids=[c[0] for c in INVALID]
)
def test_invalid_case_through_the_command_line(
    name: str, document: Any, field: str, words: str
) -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], json.dumps(document))
    assert result.code == 2
    errors = result.json()["errors"]
    assert any(e["field"].startswith(field) for e in errors), (name, errors)
    assert all(set(e) == {"field", "message"} for e in errors)
    assert "not valid" in result.stderr and "Traceback" not in result.stderr
    text = run_cli(["evaluate", "-"], json.dumps(document))
    assert text.code == 2 and text.stdout == ""
    assert field.rstrip(".") in text.stderr


@pytest.mark.parametrize(("key", "value", "valid"), EDGES, ids=[f"{k}={v}" for k, v, _ in EDGES])
def test_plausibility_window_edges(key: str, value: Any, valid: bool) -> None:
    document = base_case(**{key: value})
    if valid:
        plan_of(document)
        return
    field = key.replace("__", ".")
    errors = errors_of(document)
    assert [e.field for e in errors] == [field]
    message = errors[0].message
    assert any(word in message for word in ("plausible", "between", "negative")), message


def test_every_error_is_reported_at_once() -> None:
    document = base_case(
        labs__magnesium="1.4",
        patient__weight="80 kg kg",
        clinical__torsades="x",
        labs__potassium="99 mmol/L",
    )
    fields = {e.field for e in errors_of(document)}
    assert fields == {"labs.magnesium", "patient.weight", "clinical.torsades", "labs.potassium"}


def test_json_nan_and_infinity_tokens_are_field_errors() -> None:
    for token in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(base_case()).replace('"age_years": 50', f'"age_years": {token}')
        assert token in text
        result = run_cli(["evaluate", "--format", "json", "-"], text)
        assert result.code == 2
        assert [e["field"] for e in result.json()["errors"]] == ["patient.age_years"]
        magnesium = json.dumps(base_case()).replace('"1.4 mg/dL"', token)
        result = run_cli(["evaluate", "--format", "json", "-"], magnesium)
        assert result.code == 2
        assert [e["field"] for e in result.json()["errors"]] == ["labs.magnesium"]


def test_duplicate_fields_are_refused() -> None:
    text = (
        '{"patient": {"age_years": 50, "sex": "male"}, "labs": {"magnesium": "1.4 mg/dL", '
        '"magnesium": "0.4 mg/dL", "creatinine_clearance": "60 mL/min"}}'
    )
    result = run_cli(["evaluate", "--format", "json", "-"], text)
    assert result.code == 2
    assert "magnesium" in result.json()["errors"][0]["message"]


def test_pregnancy_question_boundaries() -> None:
    plan_of(base_case(patient__sex="female", patient__age_years=56))  # not asked from 56
    plan_of(base_case(patient__sex="female", patient__age_years=17.99))  # out of scope, not asked
    plan_of(woman(18))
    plan_of(woman(55.99))
    plan_of(base_case(patient__pregnant=False))  # a man may be answered "not pregnant"


def test_magnesium_may_be_missing_only_with_torsades() -> None:
    plan = plan_of(base_case(labs__magnesium=None, clinical__torsades="with_pulse"))
    assert plan.status == "incomplete"
    assert plan.orders[0].id == "mg_sulfate_iv_torsades"
    errors_of(base_case(labs__magnesium=None, clinical__torsades="none"))


@pytest.mark.parametrize(
    ("field", "accepted"),
    [
        (
            "labs__magnesium",
            [
                "1.4 mg/dL",
                "1.4 mg/dl",
                "0.58 mmol/L",
                "1.15 mEq/L",
                " 1.4 mg/dL ",
                "+1.4 mg/dL",
                ".58 mmol/L",
                "1.4mg/dL",
            ],
        ),
        ("labs__creatinine", ["88.4 umol/L", "88.4 µmol/L", "1 mg/dL"]),
        ("patient__weight", ["80 kg", "176 lb"]),
        ("labs__potassium", ["4.2 mmol/L", "4.2 mEq/L"]),
    ],
)
def test_accepted_spellings(field: str, accepted: list[str]) -> None:
    for text in accepted:
        plan_of(base_case(**{field: text}))


def test_a_hostile_unit_expression_is_refused_quickly() -> None:
    errors = errors_of(base_case(labs__magnesium="1.4 mg**(9**9**9)"))
    assert errors[0].field == "labs.magnesium"
    errors = errors_of(base_case(patient__weight="80 kg**(10**10**10)"))
    assert errors[0].field == "patient.weight"


@pytest.mark.parametrize("fmt", ["mgdesk-case/0", "mgdesk-case/x", "mgdesk-case/"])
def test_an_older_or_malformed_case_format_is_not_called_newer(fmt: str) -> None:
    with pytest.raises(CaseInvalid) as caught:
        parse_case({**base_case(), "format": fmt}, default_protocol())
    (error,) = caught.value.errors
    assert error.field == "format" and "newer" not in error.message
    assert error.message == "must be 'mgdesk-case/1'"


def test_case_validation_and_case_files_agree_on_a_newer_format() -> None:
    with pytest.raises(CaseInvalid) as caught:
        parse_case({**base_case(), "format": "mgdesk-case/17"}, default_protocol())
    assert "newer case format" in caught.value.errors[0].message
