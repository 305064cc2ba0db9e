"""Protocol 1.1's invariants 15-17 and its monotonic rules, over random cases (hypothesis)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mgdesk.core import codes
from mgdesk.core.case import Case, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import PlanWithheld
from mgdesk.core.given import given_totals
from mgdesk.core.plan import Plan
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.core.revision_invariants import revision_violations
from mgdesk.core.units import quantity

PROTOCOL = default_protocol()
ASSESSED = datetime.fromisoformat("2026-12-04T12:00:00+00:00")
EMERGENCY = ("mg_sulfate_iv_torsades", "mg_sulfate_iv_loading")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: str(Decimal(n).scaleb(-places)))


ENTRY = st.fixed_dictionaries(
    {
        "time": st.integers(0, 60 * 60).map(
            lambda minutes: (ASSESSED - timedelta(minutes=minutes)).isoformat()
        ),
        "route": st.sampled_from(["iv", "im"]),
        "amount": st.one_of(
            decimals(5, 150, 1).map(lambda g: f"{g} g"),
            st.integers(1, 60).map(lambda mmol: f"{mmol} mmol"),
            st.integers(2, 120).map(lambda meq: f"{meq} mEq"),
            st.integers(100, 9000).map(lambda mg: f"{mg} mg"),
        ),
    }
)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """A valid adult case with any of 1.1's inputs, renal function from normal to anuric."""
    sex = draw(st.sampled_from(codes.SEXES))
    patient: dict[str, Any] = {"age_years": draw(st.integers(18, 100)), "sex": sex}
    if sex == "female" and patient["age_years"] < 56:
        patient["pregnant"] = False
    if draw(st.integers(0, 5)) > 0:
        patient["weight"] = f"{draw(decimals(400, 2000, 1))} kg"
    if draw(st.booleans()):
        patient["height"] = draw(
            st.one_of(
                decimals(1400, 2100, 1).map(lambda cm: f"{cm} cm"),
                st.sampled_from(["152.4 cm", "60 in", "1.524 m", "152.39 cm"]),
            )
        )
    labs: dict[str, Any] = {
        "magnesium": draw(st.sampled_from(["0.8 mg/dL", "1.19 mg/dL", "1.2 mg/dL", "1.5 mg/dL"])),
        "potassium": "4.2 mmol/L",
    }
    if draw(st.integers(0, 4)) > 0:
        labs["creatinine"] = f"{draw(decimals(5, 90, 1))} mg/dL"
    if draw(st.integers(0, 3)) == 0:
        labs["egfr"] = f"{draw(st.integers(5, 120))} mL/min/1.73 m2"
    if draw(st.integers(0, 5)) == 0:
        labs["creatinine_clearance"] = f"{draw(st.integers(0, 120))} mL/min"
    clinical: dict[str, Any] = {
        "symptoms": draw(st.sampled_from([[], [], ["seizure"], ["tetany"], ["cramps"]])),
        "torsades": draw(st.sampled_from(["none", "none", "none", "with_pulse", "pulseless"])),
        "oral_route_available": draw(st.sampled_from([True, True, False])),
        "dialysis": draw(st.sampled_from([False, False, False, True])),
    }
    document = {"patient": patient, "labs": labs, "clinical": clinical}
    entries = draw(st.lists(ENTRY, max_size=4))
    if entries:
        clinical["magnesium_given"] = entries
        document["assessed_at"] = ASSESSED.isoformat()
    return document


def case_of(document: dict[str, Any]) -> Case:
    return parse_case(document, PROTOCOL)


def planned(case: Case) -> Plan | None:
    """The plan, or None when it is withheld because an IM order and the IM given in the last
    4 hours exceed 250 mg/kg (invariant 6: PROTOCOL.md names nothing to give instead)."""
    try:
        return evaluate(case, PROTOCOL)
    except PlanWithheld as withheld:
        if not all(v.startswith("6: ") for v in withheld.violations):
            raise
        return None


def salt_g(plan: Plan, order_id: str) -> Fraction:
    order = plan.order(order_id)
    assert order is not None and order.dose is not None
    mass = order.dose.salt_mass_mg
    return (mass[1] if isinstance(mass, tuple) else mass) / 1000


@SETTINGS
@given(cases())
def test_invariants_15_to_17_hold(document: dict[str, Any]) -> None:
    case = case_of(document)
    plan = planned(case)  # withheld (PlanWithheld) if an invariant broke
    assume(plan is not None)
    assert plan is not None

    def again(other: Case) -> Plan:
        return evaluate(other, PROTOCOL)

    assert revision_violations(case, plan, PROTOCOL, again) == []
    clearance = plan.creatinine_clearance
    restricted = case.clinical.dialysis or clearance is None or clearance.ml_min < 20
    others = [o for o in plan.orders if o.is_magnesium and o.id not in EMERGENCY]
    if restricted:
        given_g = given_totals(case.magnesium_given, case.assessed_at, PROTOCOL).total_g
        emergency = sum((salt_g(plan, i) for i in EMERGENCY if plan.order(i)), Fraction(0))
        assert sum((salt_g(plan, o.id) for o in others), Fraction(0)) <= max(
            Fraction(0), 20 - given_g - emergency
        )


@SETTINGS
@given(cases(), st.lists(ENTRY, min_size=1, max_size=3))
def test_more_magnesium_given_never_raises_a_non_emergency_dose(
    document: dict[str, Any], more: list[dict[str, str]]
) -> None:
    before = planned(case_of(document))
    assume(before is not None)
    assert before is not None
    after_document = copy.deepcopy(document)
    after_document["clinical"]["magnesium_given"] = [
        *document["clinical"].get("magnesium_given", []),
        *more,
    ]
    after_document["assessed_at"] = ASSESSED.isoformat()
    after = planned(case_of(after_document))
    if after is None:  # IM given up to the mg/kg limit leaves no room for an IM order
        return
    for order in after.orders:
        if not order.is_magnesium or order.id in EMERGENCY:
            continue
        assert before.order(order.id) is not None, order.id
        assert salt_g(after, order.id) <= salt_g(before, order.id), order.id
    for emergency in EMERGENCY:
        assert (before.order(emergency) is None) == (after.order(emergency) is None)


@SETTINGS
@given(cases())
def test_the_estimate_entered_as_measured_gives_the_same_orders(document: dict[str, Any]) -> None:
    case = case_of(document)
    plan = planned(case)
    assume(plan is not None)
    assert plan is not None
    estimate = plan.creatinine_clearance
    if estimate is None:
        return
    measured = replace(
        case, labs=replace(case.labs, creatinine_clearance=quantity(estimate.ml_min, "mL/min"))
    )
    other = evaluate(measured, PROTOCOL)
    assert [(o.id, o.role, o.mg_mmol) for o in other.orders] == [
        (o.id, o.role, o.mg_mmol) for o in plan.orders
    ]


@SETTINGS
@given(
    st.sampled_from(codes.SEXES),
    st.integers(18, 100),
    decimals(1524, 2100, 1),
    decimals(250, 600, 1),
    decimals(5, 60, 1),
)
def test_removing_the_height_never_lowers_the_clearance_of_an_obese_patient(
    sex: str, age: int, height_cm: str, bmi: str, creatinine: str
) -> None:
    weight = Fraction(bmi) * (Fraction(height_cm) / 100) ** 2
    if not 20 <= weight <= 400:
        return
    exact = Decimal(weight.numerator) / Decimal(weight.denominator)
    # rounded up, so that the BMI stays at or above the one drawn
    kg = exact.quantize(Decimal("0.000001"), ROUND_CEILING)
    patient: dict[str, Any] = {"age_years": age, "sex": sex, "weight": f"{kg} kg"}
    if sex == "female" and age < 56:
        patient["pregnant"] = False
    labs = {"magnesium": "1.4 mg/dL", "creatinine": f"{creatinine} mg/dL"}
    without = evaluate(case_of({"patient": patient, "labs": labs}), PROTOCOL)
    tall = {**patient, "height": f"{height_cm} cm"}
    with_height = evaluate(case_of({"patient": tall, "labs": labs}), PROTOCOL)
    assert without.creatinine_clearance is not None
    assert with_height.creatinine_clearance is not None
    assert with_height.body_size is not None and with_height.body_size.bmi >= 25
    assert without.creatinine_clearance.ml_min >= with_height.creatinine_clearance.ml_min
