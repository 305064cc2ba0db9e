"""Protocol revision 1.1: height and the weight Cockcroft-Gault uses, eGFR, the reduced oral
start, the IV mild alternative, magnesium already given and the 48-hour limit (PROTOCOL.md).

Every boundary is tested exactly, in every unit the field accepts.
"""

from __future__ import annotations

import json
from fractions import Fraction
from importlib.resources import files
from typing import Any

import pytest
from core_support import (
    ASSESSED,
    base_case,
    ids,
    plan_of,
    roles,
    warning_codes,
    with_given,
    woman,
)

from mgdesk import resources
from mgdesk.core.case import parse_case
from mgdesk.core.errors import CaseInvalid, FieldError
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol, parse_protocol

SEVERE = "1.0 mg/dL"


def errors_of(document: dict[str, Any]) -> list[FieldError]:
    """The field errors of a case; none for a valid one."""
    try:
        parse_case(document, default_protocol())
    except CaseInvalid as exc:
        return list(exc.errors)
    return []


def default_document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        files(resources).joinpath("protocols", "default.json").read_bytes()
    )
    return data


def protocol_from(document: dict[str, Any]) -> Protocol:
    return parse_protocol(json.dumps(document).encode(), origin="test")


def protocol_1_0() -> Protocol:
    """The bundled protocol as a 1.0 file: without any field revision 1.1 added."""
    d = default_document()
    d["version"] = "1.0.0"
    del d["settings"]
    for key in ("bmi_underweight_below", "bmi_overweight_from", "cumulative_infusion_step"):
        del d["thresholds"][key]
    for key in ("height", "egfr", "magnesium_given"):
        del d["plausibility"][key]
    for key in ("oral_start_reduced", "mild_iv", "mild_iv_reduced"):
        del d["doses"][key]
    del d["orders"]["mg_sulfate_iv_mild"]
    for code in (
        "cockcroft_gault_actual_weight",
        "ideal_weight_not_defined",
        "egfr_used_for_renal_function",
        "parenteral_magnesium_given",
        "cumulative_limit_reached",
    ):
        del d["warnings"][code]
    for key in ("mdcalc_cg_weight", "devine_ibw", "iv_mild_guides", "uk_egfr_reports"):
        del d["sources"][key]
    return protocol_from(d)


def clearance(plan: Plan) -> Fraction:
    assert plan.creatinine_clearance is not None
    return plan.creatinine_clearance.ml_min


def order_salt_g(plan: Plan, order_id: str) -> Fraction:
    order = plan.order(order_id)
    assert order is not None and order.dose is not None
    mass = order.dose.salt_mass_mg
    assert isinstance(mass, Fraction)
    return mass / 1000


# -- inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize("height", ["160 cm", "1.6 m", "1.60 m", "160.0 cm"])
def test_height_in_cm_and_m_gives_the_same_clearance(height: str) -> None:
    plan = plan_of(
        woman(42, patient__weight="105 kg", patient__height=height, labs__creatinine="0.8 mg/dL")
    )
    assert abs(float(clearance(plan)) - 106.19178559711285) < 1e-9


def test_height_in_inches_is_exactly_2_54_cm() -> None:
    inches = plan_of(base_case(patient__height="70 in", patient__weight="100 kg"))
    cm = plan_of(base_case(patient__height="177.8 cm", patient__weight="100 kg"))
    assert clearance(inches) == clearance(cm)
    assert inches.body_size is not None and inches.body_size.height_cm == Fraction("177.8")


@pytest.mark.parametrize(
    ("height", "valid"),
    [
        ("100 cm", True),
        ("99.9 cm", False),
        ("250 cm", True),
        ("250.1 cm", False),
        ("2.5 m", True),
        ("1 m", True),
        ("0.99 m", False),
        ("39.37 in", False),
        ("39.371 in", True),  # 100.00234 cm
        ("98.42 in", True),  # 249.9868 cm
        ("98.43 in", False),  # 250.0122 cm
    ],
)
def test_height_plausibility_is_compared_exactly_in_every_unit(height: str, valid: bool) -> None:
    fields = [e.field for e in errors_of(base_case(patient__height=height))]
    assert ("patient.height" not in fields) == valid, fields


@pytest.mark.parametrize("value", ["170", "170 kg", "170 ft", "-170 cm", "nan cm", 170])
def test_a_height_without_a_unit_or_of_the_wrong_kind_is_refused(value: object) -> None:
    assert [e.field for e in errors_of(base_case(patient__height=value))] == ["patient.height"]


@pytest.mark.parametrize(
    "egfr", ["25 mL/min/1.73 m2", "25 mL/min/1.73m2", "25mL/min/1.73 m2", " 25  mL/min/1.73  m2 "]
)
def test_egfr_spellings(egfr: str) -> None:
    plan = plan_of(base_case(labs__creatinine=None, labs__egfr=egfr))
    assert plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.method == "egfr"
    assert plan.creatinine_clearance.ml_min == 25
    assert plan.creatinine_clearance.shown == "25 mL/min/1.73 m2"


def test_a_clearance_in_the_egfr_field_is_refused_naming_the_clearance_field() -> None:
    errors = errors_of(base_case(labs__egfr="25 mL/min"))
    assert [e.field for e in errors] == ["labs.egfr"]
    assert "labs.creatinine_clearance" in errors[0].message


def test_an_egfr_in_the_clearance_field_is_refused_naming_the_egfr_field() -> None:
    errors = errors_of(base_case(labs__creatinine_clearance="25 mL/min/1.73 m2"))
    assert [e.field for e in errors] == ["labs.creatinine_clearance"]
    assert "labs.egfr" in errors[0].message


@pytest.mark.parametrize(
    ("egfr", "valid"),
    [("0 mL/min/1.73 m2", True), ("200 mL/min/1.73 m2", True), ("200.1 mL/min/1.73 m2", False)],
)
def test_egfr_plausibility(egfr: str, valid: bool) -> None:
    fields = [e.field for e in errors_of(base_case(labs__egfr=egfr))]
    assert ("labs.egfr" not in fields) == valid


def given_errors(entries: Any, assessed_at: Any = ASSESSED) -> dict[str, str]:
    document = base_case(clinical__magnesium_given=entries)
    if assessed_at is not None:
        document["assessed_at"] = assessed_at
    return {e.field: e.message for e in errors_of(document)}


def entry(time: str = "2026-12-04T08:00:00Z", route: str = "iv", amount: Any = "2 g") -> Any:
    return {"time": time, "route": route, "amount": amount}


def test_magnesium_given_needs_assessed_at() -> None:
    assert set(given_errors([entry()], assessed_at=None)) == {"assessed_at"}
    assert given_errors([], assessed_at=None) == {}  # an empty list needs nothing


@pytest.mark.parametrize(
    ("entries", "assessed_at", "field", "words"),
    [
        ([entry(time="2026-12-04T08:00:00")], ASSESSED, "[0].time", "no UTC offset"),
        ([entry()], "2026-12-04T12:00:00", "assessed_at", "no UTC offset"),
        ([entry(time="2026-12-04T12:00:01Z")], ASSESSED, "[0].time", "after assessed_at"),
        ([entry(time="yesterday")], ASSESSED, "[0].time", "not a date and time"),
        ([entry(time="2026-02-30T08:00:00Z")], ASSESSED, "[0].time", "not a real date"),
        ([entry(route="oral")], ASSESSED, "[0].route", "not one of: iv, im"),
        ([entry(amount="2 mL")], ASSESSED, "[0].amount", "wrong kind of unit"),
        ([entry(amount="2")], ASSESSED, "[0].amount", "no unit"),
        ([entry(amount="0 g")], ASSESSED, "[0].amount", "above zero"),
        ([entry(amount="40.001 g")], ASSESSED, "[0].amount", "above 40 g"),
        ([entry(amount="162.3 mmol")], ASSESSED, "[0].amount", "above 40 g"),
        ([{**entry(), "dose": 1}], ASSESSED, "[0].dose", "not a field"),
        ([{"time": "2026-12-04T08:00:00Z"}], ASSESSED, "[0].route", "required"),
        ("2 g", ASSESSED, "magnesium_given", "must be a list"),
    ],
)
def test_magnesium_given_errors_name_the_field(
    entries: Any, assessed_at: str, field: str, words: str
) -> None:
    found = given_errors(entries, assessed_at)
    named = [f for f in found if f.endswith(field)]
    assert named, found
    assert words in found[named[0]]


@pytest.mark.parametrize("amount", ["40 g", "40000 mg", "162.29 mmol", "324.58 mEq"])
def test_an_entry_of_40_g_or_its_equivalent_is_accepted(amount: str) -> None:
    assert given_errors([entry(amount=amount, time="2026-12-01T08:00:00Z")]) == {}


def test_a_1_0_case_is_still_valid_and_gives_no_new_section() -> None:
    plan = plan_of(base_case()).as_dict()
    assert "body_size" not in plan and "magnesium_given" not in plan


# -- renal function ----------------------------------------------------------------------


def issue_case(height: str | None) -> dict[str, Any]:
    """The issue's patient: a woman of 80, 120 kg, creatinine 2.5 mg/dL, a severe level."""
    return woman(
        80,
        patient__weight="120 kg",
        patient__height=height,
        labs__creatinine="2.5 mg/dL",
        labs__magnesium=SEVERE,
    )


def test_the_issue_case_without_height_uses_actual_weight_and_the_full_dose() -> None:
    plan = plan_of(issue_case(None))
    assert clearance(plan) == 34
    assert order_salt_g(plan, "mg_sulfate_iv_severe") == 5
    assert "cockcroft_gault_actual_weight" in warning_codes(plan)
    assert plan.creatinine_clearance is not None and plan.creatinine_clearance.weight is not None
    assert plan.creatinine_clearance.weight.reason == "actual body weight 120 kg: no height entered"


def test_the_issue_case_with_height_uses_adjusted_weight_and_half_the_dose() -> None:
    plan = plan_of(issue_case("160 cm"))
    assert abs(float(clearance(plan)) - 22.5) < 0.05
    assert order_salt_g(plan, "mg_sulfate_iv_severe") == Fraction("2.5")
    assert "mg_sulfate_im_severe" not in ids(plan)
    assert "renal_crcl_below_30" in warning_codes(plan)
    assert "cockcroft_gault_actual_weight" not in warning_codes(plan)
    weight = plan.creatinine_clearance.weight if plan.creatinine_clearance else None
    assert weight is not None and weight.kind == "adjusted"
    assert weight.reason == "adjusted body weight 79.4 kg: BMI 46.9, ideal 52.4 kg"


def test_the_example_of_protocol_md() -> None:
    plan = plan_of(
        woman(42, patient__weight="105 kg", patient__height="160 cm", labs__creatinine="0.8 mg/dL")
    )
    assert plan.creatinine_clearance is not None and plan.creatinine_clearance.weight is not None
    assert plan.creatinine_clearance.weight.reason == (
        "adjusted body weight 73.4 kg: BMI 41, ideal 52.4 kg"
    )
    assert plan.creatinine_clearance.shown == "106 mL/min"
    assert plan.body_size is not None
    assert plan.body_size.shown == "BMI 41, ideal 52.4 kg, adjusted 73.4 kg"


# At 200 cm, BMI = weight / 4 and ideal weight (male) = 50 + 2.3 x (200 / 2.54 - 60) = 93.11 kg.
@pytest.mark.parametrize(
    ("weight", "kind"),
    [
        ("73.99 kg", "actual"),  # BMI 18.4975: under 18.5
        ("74 kg", "actual"),  # BMI exactly 18.5: the lower of ideal and actual, actual here
        ("99.99 kg", "ideal"),  # BMI 24.9975: ideal (93.1 kg) is lower than actual
        ("100 kg", "adjusted"),  # BMI exactly 25: adjusted
    ],
)
def test_bmi_18_5_and_25_are_compared_exactly(weight: str, kind: str) -> None:
    plan = plan_of(base_case(patient__height="200 cm", patient__weight=weight))
    assert plan.creatinine_clearance is not None and plan.creatinine_clearance.weight is not None
    assert plan.creatinine_clearance.weight.kind == kind


# The same boundaries with the height in metres and in inches. At 90 in (228.6 cm, 5.225796 m2)
# BMI 18.5 is 96.677226 kg and BMI 25 is 130.6449 kg, exactly; ideal weight (male) is 119 kg.
# From BMI 18.5 the weight's reason names the ideal weight it was compared with.
@pytest.mark.parametrize(
    ("height", "weight", "kind", "names_ideal"),
    [
        ("2 m", "73.99 kg", "actual", False),
        ("2 m", "74 kg", "actual", True),
        ("2 m", "99.99 kg", "ideal", True),
        ("2 m", "100 kg", "adjusted", True),
        ("90 in", "96.677225 kg", "actual", False),
        ("90 in", "96.677226 kg", "actual", True),
        ("90 in", "130.6448 kg", "ideal", True),
        ("90 in", "130.6449 kg", "adjusted", True),
    ],
)
def test_bmi_18_5_and_25_are_exact_with_the_height_in_m_and_in(
    height: str, weight: str, kind: str, names_ideal: bool
) -> None:
    plan = plan_of(base_case(patient__height=height, patient__weight=weight))
    assert plan.creatinine_clearance is not None and plan.creatinine_clearance.weight is not None
    assert plan.creatinine_clearance.weight.kind == kind
    assert ("ideal" in plan.creatinine_clearance.weight.reason) == names_ideal


def test_bmi_shown_is_never_rounded_onto_a_boundary() -> None:
    plan = plan_of(base_case(patient__height="200 cm", patient__weight="99.99 kg"))
    assert plan.body_size is not None and plan.body_size.shown.startswith("BMI 24.998,")


@pytest.mark.parametrize(
    ("height", "defined"),
    [
        ("152.4 cm", True),
        ("60 in", True),
        ("1.524 m", True),
        ("152.39 cm", False),
        ("59.99 in", False),
    ],
)
def test_ideal_weight_is_defined_from_exactly_152_4_cm(height: str, defined: bool) -> None:
    plan = plan_of(woman(60, patient__height=height, patient__weight="80 kg"))
    assert ("ideal_weight_not_defined" not in warning_codes(plan)) == defined
    assert plan.body_size is not None
    assert (plan.body_size.ideal_kg is not None) == defined
    if defined:
        assert plan.body_size.ideal_kg == Fraction("45.5")


def test_the_order_of_the_renal_estimates() -> None:
    egfr = {"labs__egfr": "50 mL/min/1.73 m2"}
    measured = plan_of(base_case(labs__creatinine_clearance="40 mL/min", **egfr))
    assert measured.creatinine_clearance is not None
    assert measured.creatinine_clearance.method == "entered"
    assert not {"cockcroft_gault_actual_weight", "egfr_used_for_renal_function"} & warning_codes(
        measured
    )
    cg = plan_of(base_case(**egfr))
    assert (
        cg.creatinine_clearance is not None and cg.creatinine_clearance.method == "cockcroft_gault"
    )
    assert "egfr_used_for_renal_function" not in warning_codes(cg)
    no_weight = plan_of(base_case(patient__weight=None, **egfr))
    assert no_weight.creatinine_clearance is not None
    assert no_weight.creatinine_clearance.method == "egfr"
    assert "egfr_used_for_renal_function" in warning_codes(no_weight)
    assert "renal_function_unknown" not in warning_codes(no_weight)
    unknown = plan_of(base_case(patient__weight=None))
    assert unknown.creatinine_clearance is None and unknown.status == "incomplete"


def test_a_height_alone_gives_no_clearance_and_no_body_size() -> None:
    plan = plan_of(base_case(patient__weight=None, patient__height="180 cm"))
    assert plan.creatinine_clearance is None and plan.body_size is None


@pytest.mark.parametrize(
    ("egfr", "band"),
    [
        ("30 mL/min/1.73 m2", "full_dose"),
        ("29.99 mL/min/1.73 m2", "reduced_dose"),
        ("20 mL/min/1.73 m2", "reduced_dose"),
        ("19.99 mL/min/1.73 m2", "below_20"),
    ],
)
def test_egfr_bands_are_exact(egfr: str, band: str) -> None:
    plan = plan_of(base_case(labs__creatinine=None, labs__egfr=egfr))
    assert {s.id: s.outcome for s in plan.steps}["renal"] == band


def test_with_dialysis_the_egfr_warning_only_when_the_egfr_is_shown() -> None:
    shown = plan_of(
        base_case(labs__creatinine=None, labs__egfr="25 mL/min/1.73 m2", clinical__dialysis=True)
    )
    assert {"egfr_used_for_renal_function", "cockcroft_gault_not_valid"} <= warning_codes(shown)
    assert "renal_function_unknown" not in warning_codes(shown)
    computed = plan_of(base_case(labs__egfr="25 mL/min/1.73 m2", clinical__dialysis=True))
    assert "egfr_used_for_renal_function" not in warning_codes(computed)
    assert "cockcroft_gault_actual_weight" in warning_codes(computed)
    nothing = plan_of(base_case(labs__creatinine=None, clinical__dialysis=True))
    assert not {"cockcroft_gault_actual_weight", "renal_function_unknown"} & warning_codes(nothing)


def test_the_actual_weight_setting_is_1_0s_rule() -> None:
    document = default_document()
    document["settings"]["cockcroft_gault_weight"] = "actual"
    protocol = protocol_from(document)
    plan = plan_of(issue_case("160 cm"), protocol)
    assert clearance(plan) == 34
    assert "cockcroft_gault_actual_weight" not in warning_codes(plan)
    assert plan.body_size is not None  # shown all the same
    assert plan.creatinine_clearance is not None and plan.creatinine_clearance.weight is not None
    assert plan.creatinine_clearance.weight.reason == (
        "actual body weight 120 kg: this protocol always uses actual body weight"
    )


# -- oral start and the IV mild alternative ----------------------------------------------


@pytest.mark.parametrize(
    ("measured", "mmol"), [("30 mL/min", 12), ("29.99 mL/min", 8), ("20 mL/min", 8)]
)
def test_the_oral_start_is_8_mmol_from_20_to_under_30(measured: str, mmol: int) -> None:
    plan = plan_of(base_case(labs__creatinine_clearance=measured))
    oxide = plan.order("mg_oxide_oral")
    assert oxide is not None and oxide.mg_mmol == mmol
    if mmol == 8:
        assert oxide.product is not None and oxide.product.units == 2
        assert "2 magnesium oxide 160 mg capsules (7.94 mmol)" in oxide.text


@pytest.mark.parametrize(
    ("measured", "grams", "rate"),
    [("60 mL/min", 2, "16.7 mg/min"), ("25 mL/min", 1, "8.33 mg/min")],
)
def test_the_iv_mild_alternative(measured: str, grams: int, rate: str) -> None:
    plan = plan_of(
        base_case(labs__creatinine_clearance=measured, clinical__oral_route_available=False)
    )
    assert roles(plan) == {"mg_sulfate_im_mild": "primary", "mg_sulfate_iv_mild": "alternative"}
    iv = plan.order("mg_sulfate_iv_mild")
    assert iv is not None and iv.alternative_to == "mg_sulfate_im_mild"
    assert order_salt_g(plan, "mg_sulfate_iv_mild") == grams
    assert iv.rate_ml_h == 50 and iv.duration_min == 120
    assert rate in iv.text and "IM injections are painful" in iv.text
    assert "iv_rate_and_dilution" in iv.warnings and "calcium_antidote_available" in iv.warnings


def test_the_iv_mild_alternative_is_withheld_with_emergency_magnesium_only() -> None:
    plan = plan_of(base_case(labs__creatinine_clearance="19 mL/min", clinical__symptoms=["cramps"]))
    assert not {"mg_sulfate_im_mild", "mg_sulfate_iv_mild"} & set(ids(plan))


# -- a site protocol of 1.0 ----------------------------------------------------------------


def test_a_1_0_protocol_keeps_1_0_behaviour() -> None:
    old = protocol_1_0()
    assert old.settings.cockcroft_gault_weight == "actual"
    assert not old.settings.mild_iv_alternative
    assert any(n.startswith("settings:") for n in old.read_as_1_0)
    reduced = plan_of(base_case(labs__creatinine_clearance="25 mL/min"), old)
    oxide = reduced.order("mg_oxide_oral")
    assert oxide is not None and oxide.mg_mmol == 12
    im = plan_of(base_case(clinical__symptoms=["cramps"]), old)
    assert roles(im) == {"mg_sulfate_im_mild": "primary"}
    obese = plan_of(issue_case("160 cm"), old)
    assert clearance(obese) == 34
    assert "cockcroft_gault_actual_weight" not in warning_codes(obese)
    # what 1.1 added as a rule of safety holds under a 1.0 file too
    given = plan_of(y22_case(), old)
    assert "cumulative_limit_reached" in warning_codes(given)
    assert order_salt_g(given, "mg_sulfate_iv_severe") == 1


def test_the_bundled_protocol_is_1_1_and_reads_nothing_as_1_0() -> None:
    protocol = default_protocol()
    assert protocol.version == "1.1.2" and protocol.read_as_1_0 == ()
    assert protocol.settings.cockcroft_gault_weight == "bmi_rule"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda d: d["settings"].update(cockcroft_gault_weight="ideal"),
            "settings.cockcroft_gault_weight",
        ),
        (lambda d: d["settings"].update(mild_iv_alternative="yes"), "settings.mild_iv_alternative"),
        (lambda d: d["settings"].pop("mild_iv_alternative"), "settings.mild_iv_alternative"),
        (
            lambda d: d["thresholds"].update(bmi_underweight_below=26),
            "thresholds.bmi_underweight_below",
        ),
        (
            lambda d: d["thresholds"].update(bmi_overweight_from=70),
            "thresholds.bmi_overweight_from",
        ),
        (lambda d: d["plausibility"].update(height=["100 mL", "250 cm"]), "plausibility.height"),
        (lambda d: d["plausibility"].update(egfr=["0 mL/min", "200 mL/min"]), "plausibility.egfr"),
    ],
)
def test_a_bad_1_1_field_is_refused(change: Any, where: str) -> None:
    from mgdesk.core.errors import ProtocolInvalid

    document = default_document()
    change(document)
    with pytest.raises(ProtocolInvalid) as refused:
        protocol_from(document)
    assert any(p.startswith(where) for p in refused.value.problems), refused.value.problems


# -- magnesium already given -----------------------------------------------------------------


def y22_case() -> dict[str, Any]:
    document = base_case(
        patient__age_years=66,
        patient__weight="70 kg",
        labs__magnesium="0.8 mg/dL",
        labs__creatinine="4.0 mg/dL",
        clinical__symptoms=["seizure"],
    )
    return with_given(
        document,
        ("2026-12-03T08:00:00+00:00", "iv", "5 g"),
        ("2026-12-04T02:00:00+00:00", "iv", "12 g"),
    )


def test_17_g_given_yesterday_cuts_the_infusion_to_1_g() -> None:
    plan = plan_of(y22_case())
    assert clearance(plan) < 20
    assert order_salt_g(plan, "mg_sulfate_iv_loading") == 2  # emergency: never reduced
    assert order_salt_g(plan, "mg_sulfate_iv_severe") == 1
    infusion = plan.order("mg_sulfate_iv_severe")
    assert infusion is not None and infusion.duration_min == 180
    assert {"parenteral_magnesium_given", "cumulative_limit_reached"} <= warning_codes(plan)
    assert plan.magnesium_given is not None
    assert plan.magnesium_given.total_g == 17 and plan.magnesium_given.allowance_g == 1
    assert plan.magnesium_given.shown == (
        "17 g magnesium sulfate (69 mmol) given IV/IM in the last 48 hours; "
        "1 g left of the 20 g allowed in 48 hours"
    )


def restricted_seizure() -> dict[str, Any]:
    return base_case(
        labs__magnesium=SEVERE, labs__creatinine="6 mg/dL", clinical__symptoms=["seizure"]
    )


@pytest.mark.parametrize(
    ("given", "infusion_g", "limit_reached"),
    [
        ("15.5 g", Fraction("2.5"), False),  # 20 - 15.5 - 2 = 2.5: the half dose exactly
        ("16 g", Fraction(2), True),  # 2 g left: exactly on a 0.5 g step
        ("16.1 g", Fraction("1.5"), True),
        ("17.5 g", Fraction("0.5"), True),  # 0.5 g left: exactly one step
        ("17.6 g", None, True),  # 0.4 g left: withheld
        ("18 g", None, True),  # nothing left
        ("19 g", None, True),  # given and the loading dose exceed 20 g
    ],
)
def test_the_infusion_within_the_allowance(
    given: str, infusion_g: Fraction | None, limit_reached: bool
) -> None:
    plan = plan_of(with_given(restricted_seizure(), ("2026-12-04T08:00:00Z", "iv", given)))
    assert "mg_sulfate_iv_loading" in ids(plan)
    if infusion_g is None:
        assert "mg_sulfate_iv_severe" not in ids(plan)
    else:
        assert order_salt_g(plan, "mg_sulfate_iv_severe") == infusion_g
    assert ("cumulative_limit_reached" in warning_codes(plan)) == limit_reached


@pytest.mark.parametrize(
    ("amount", "grams"),
    [
        ("16 g", Fraction(16)),
        ("16000 mg", Fraction(16)),
        ("70 mmol", Fraction("17.2529")),
        ("140 mEq", Fraction("17.2529")),
    ],
)
def test_amounts_in_every_unit_are_counted_exactly(amount: str, grams: Fraction) -> None:
    plan = plan_of(with_given(restricted_seizure(), ("2026-12-04T08:00:00Z", "im", amount)))
    assert plan.magnesium_given is not None
    assert plan.magnesium_given.total_g == grams
    assert f"{grams.numerator / grams.denominator:g} g magnesium sulfate" in " ".join(
        w.text for w in plan.warnings
    )


@pytest.mark.parametrize(
    ("time", "counted"),
    [
        ("2026-12-02T12:00:00+00:00", True),  # exactly 48 hours before
        ("2026-12-02T11:59:59+00:00", False),
        ("2026-12-02T13:00:00+01:00", True),  # the same instant written with an offset
        ("2026-12-02T06:59:59-05:00", False),
        ("2026-12-04T12:00:00Z", True),  # at the assessment itself
    ],
)
def test_an_entry_exactly_48_hours_before_counts(time: str, counted: bool) -> None:
    plan = plan_of(with_given(restricted_seizure(), (time, "iv", "18 g")))
    assert ("parenteral_magnesium_given" in warning_codes(plan)) == counted
    assert ("mg_sulfate_iv_severe" in ids(plan)) == (not counted)


def full_severe(weight: str = "70 kg") -> dict[str, Any]:
    return base_case(
        labs__magnesium=SEVERE, patient__weight=weight, labs__creatinine_clearance="60 mL/min"
    )


@pytest.mark.parametrize(
    ("time", "amount", "offered"),
    [
        ("2026-12-04T08:00:00Z", "12.5 g", True),  # exactly 4 hours: 12.5 + 5 = 17.5 g = 250 mg/kg
        ("2026-12-04T08:00:00Z", "12.51 g", False),
        ("2026-12-04T07:59:59Z", "15 g", True),  # just over 4 hours: not counted
        ("2026-12-04T11:00:00Z", "50 mmol", True),  # 12.32 g + 5 g, in mmol
        ("2026-12-04T11:00:00Z", "60 mmol", False),  # 14.79 g + 5 g
        ("2026-12-04T08:00:00Z", "12500 mg", True),  # exactly 4 hours, exactly 250 mg/kg
        ("2026-12-04T08:00:00Z", "12510 mg", False),
        ("2026-12-04T11:00:00Z", "100 mEq", True),  # 12.32 g + 5 g
        ("2026-12-04T11:00:00Z", "120 mEq", False),  # 14.79 g + 5 g
    ],
)
def test_im_given_in_the_last_4_hours_counts_toward_the_im_limit(
    time: str, amount: str, offered: bool
) -> None:
    plan = plan_of(with_given(full_severe(), (time, "im", amount)))
    assert ("mg_sulfate_im_severe" in ids(plan)) == offered


def test_iv_given_does_not_count_toward_the_im_limit() -> None:
    plan = plan_of(with_given(full_severe(), ("2026-12-04T11:00:00Z", "iv", "15 g")))
    assert "mg_sulfate_im_severe" in ids(plan)
    assert "cumulative_limit_reached" not in warning_codes(plan)  # full renal function


def test_torsades_is_never_reduced_by_magnesium_given() -> None:
    document = with_given(
        base_case(labs__creatinine_clearance="10 mL/min", clinical__torsades="pulseless"),
        ("2026-12-04T10:00:00Z", "iv", "19 g"),
    )
    plan = plan_of(document)
    assert ids(plan)[0] == "mg_sulfate_iv_torsades"
    assert order_salt_g(plan, "mg_sulfate_iv_torsades") == 2
    assert "cumulative_limit_reached" in warning_codes(plan)


def test_the_limit_is_reached_with_no_order_left() -> None:
    """20 g given and no emergency: the limit applies (clearance < 20) whether or not an order
    remains; given is not above 20 g, so the stop warning is not due."""
    plan = plan_of(
        with_given(
            base_case(labs__creatinine_clearance="10 mL/min"),
            ("2026-12-04T10:00:00Z", "iv", "20 g"),
        )
    )
    assert "parenteral_magnesium_given" in warning_codes(plan)
    assert "cumulative_limit_reached" not in warning_codes(plan)
    over = plan_of(
        with_given(
            base_case(labs__creatinine_clearance="10 mL/min"),
            ("2026-12-04T10:00:00Z", "iv", "20.5 g"),
            ("2026-12-04T11:00:00Z", "im", "1 mg"),
        )
    )
    assert "cumulative_limit_reached" in warning_codes(over)


def test_the_plan_lists_the_magnesium_given() -> None:
    plan = plan_of(
        with_given(
            restricted_seizure(),
            ("2026-12-01T08:00:00Z", "iv", "5 g"),
            ("2026-12-04T10:00:00Z", "im", "8 mmol"),
        )
    ).as_dict()
    given = plan["magnesium_given"]
    assert [e["in_48h"] for e in given["entries"]] == [False, True]
    assert [e["im_in_4h"] for e in given["entries"]] == [False, True]
    assert given["entries"][1]["entered"] == "8 mmol"
    assert given["limit_applies"] is True and given["emergency_now_g"] == 2


def test_the_text_report_names_the_estimate_the_weight_and_the_magnesium_given() -> None:
    from core_support import run_cli

    egfr = run_cli(
        ["evaluate", "-"],
        json.dumps(base_case(labs__creatinine=None, labs__egfr="25 mL/min/1.73 m2")),
    )
    assert "Renal function (eGFR): eGFR, as entered = 25 mL/min/1.73 m2" in egfr.stdout
    assert "Creatinine clearance (entered)" not in egfr.stdout
    tall = run_cli(
        ["evaluate", "-"],
        json.dumps(y22_case() | {"patient": {**y22_case()["patient"], "height": "175 cm"}}),
    )
    words = " ".join(tall.stdout.split())
    assert "Body size: BMI 22.9, ideal 70.5 kg, adjusted 70.3 kg" in words
    assert "Cockcroft-Gault used the actual body weight 70 kg: BMI 22.9, ideal 70.5 kg" in words
    assert (
        "Magnesium given: 17 g magnesium sulfate (69 mmol) given IV/IM in the last 48 hours"
        in words
    )
