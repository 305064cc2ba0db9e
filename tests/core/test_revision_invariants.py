"""The checker of invariants 15-17 (protocol revision 1.1) withholds a plan that breaks one.

Each test breaks a plan the engine made, as a faulty rule would, and expects the checker to
name the invariant; the property tests show the engine's own plans pass it.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from core_support import base_case

from mgdesk.core.case import Case, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import PlanWithheld
from mgdesk.core.plan import Plan
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.core.revision_invariants import check_revision_invariants, revision_violations

PROTOCOL = default_protocol()
ASSESSED = "2026-12-04T12:00:00+00:00"


def case_of(document: dict[str, Any], *given: tuple[str, str, str]) -> Case:
    """The case, with magnesium given as (time, route, amount) assessed at ASSESSED."""
    changed = copy.deepcopy(document)
    if given:
        changed["clinical"]["magnesium_given"] = [
            {"time": t, "route": r, "amount": a} for t, r, a in given
        ]
        changed["assessed_at"] = ASSESSED
    return parse_case(changed, PROTOCOL)


def violations(case: Case, plan: Plan) -> list[str]:
    """What the checker finds in plan, which must be something, and the plan withheld."""

    def again(other: Case) -> Plan:
        return evaluate(other, PROTOCOL)

    found = revision_violations(case, plan, PROTOCOL, again)
    assert found, "the checker accepted a broken plan"
    with pytest.raises(PlanWithheld) as caught:
        check_revision_invariants(case, plan, PROTOCOL, again)
    assert list(caught.value.violations) == found
    return found


# Clearance 18 mL/min and a seizure: the loading dose and the half-dose infusion, under the
# 48-hour limit. With 17 g given, 1 g is left for the infusion (worked case Y22).
SEIZURE_CLEARANCE_18 = base_case(
    labs__magnesium="0.8 mg/dL",
    labs__creatinine=None,
    labs__creatinine_clearance="18 mL/min",
    clinical__symptoms=["seizure"],
)
GIVEN_17_G = ("2026-12-03T14:00:00+00:00", "iv", "17 g")


def test_an_infusion_above_what_the_48_hour_limit_leaves_is_caught() -> None:
    case = case_of(SEIZURE_CLEARANCE_18, GIVEN_17_G)
    uncut = evaluate(case_of(SEIZURE_CLEARANCE_18), PROTOCOL)
    plan = dataclasses.replace(evaluate(case, PROTOCOL), orders=uncut.orders)
    found = violations(case, plan)
    assert "15: magnesium orders above what the 48-hour limit leaves" in found


def test_a_cut_infusion_without_cumulative_limit_reached_is_caught() -> None:
    case = case_of(SEIZURE_CLEARANCE_18, GIVEN_17_G)
    plan = evaluate(case, PROTOCOL)
    silent = tuple(w for w in plan.warnings if w.code != "cumulative_limit_reached")
    assert len(silent) == len(plan.warnings) - 1
    found = violations(case, dataclasses.replace(plan, warnings=silent))
    assert found == ["15: cumulative_limit_reached does not match the 48-hour limit"]


def test_cumulative_limit_reached_with_full_renal_function_is_caught() -> None:
    restricted = evaluate(case_of(SEIZURE_CLEARANCE_18, GIVEN_17_G), PROTOCOL)
    reached = next(w for w in restricted.warnings if w.code == "cumulative_limit_reached")
    case = case_of(base_case(labs__magnesium="0.8 mg/dL"), GIVEN_17_G)
    plan = evaluate(case, PROTOCOL)
    found = violations(case, dataclasses.replace(plan, warnings=(*plan.warnings, reached)))
    assert found == ["15: cumulative_limit_reached without the 48-hour limit"]


# A severe level, clearance 60 mL/min, 70 kg: the IM severe course (5 g) is offered unless IM
# magnesium given in the last 4 hours would take it above 250 mg/kg (17.5 g).
SEVERE_70_KG = base_case(
    labs__magnesium="0.8 mg/dL", patient__weight="70 kg", labs__creatinine_clearance="60 mL/min"
)


def test_an_im_course_above_250_mg_per_kg_with_what_was_given_is_caught() -> None:
    case = case_of(SEVERE_70_KG, ("2026-12-04T11:00:00+00:00", "im", "15 g"))
    plan = evaluate(case, PROTOCOL)
    assert plan.order("mg_sulfate_im_severe") is None
    offered = evaluate(case_of(SEVERE_70_KG), PROTOCOL)
    found = violations(case, dataclasses.replace(plan, orders=offered.orders))
    assert found == [
        "6: Magnesium sulfate IM (severe; only if IV access is unavailable), 5 g now, with 15 g "
        "given IM in the last 4 hours, would exceed 250 mg/kg in 4 hours (17.5 g for 70 kg)"
    ]


def test_an_im_mild_course_above_250_mg_per_kg_with_what_was_given_is_withheld() -> None:
    # 40 kg: at most 10 g IM in 4 hours, all of it given in the last 3 hours; the course's
    # first 1 g now would make 11 g (invariant 6 holds for every IM order, not only the
    # severe alternative).
    document = base_case(
        patient__weight="40 kg", labs__magnesium="1.5 mg/dL", clinical__symptoms=["cramps"]
    )
    within = case_of(document, ("2026-12-04T09:00:00+00:00", "im", "9 g"))
    assert evaluate(within, PROTOCOL).order("mg_sulfate_im_mild") is not None
    above = case_of(
        document,
        ("2026-12-04T09:00:00+00:00", "im", "5 g"),
        ("2026-12-04T11:00:00+00:00", "im", "5 g"),
    )
    with pytest.raises(PlanWithheld) as withheld:
        evaluate(above, PROTOCOL)
    assert withheld.value.violations == (
        "6: Magnesium sulfate IM (mild deficiency), 1 g now, with 10 g given IM in the last "
        "4 hours, would exceed 250 mg/kg in 4 hours (10 g for 40 kg)",
    )


def test_an_order_that_appears_only_because_magnesium_was_given_is_caught() -> None:
    measured = base_case(labs__creatinine_clearance="100 mL/min")
    case = case_of(measured, ("2026-12-04T08:00:00+00:00", "iv", "2 g"))
    plan = evaluate(case, PROTOCOL)
    extra = evaluate(case_of(SEVERE_70_KG), PROTOCOL).order("mg_sulfate_iv_severe")
    assert extra is not None and plan.order("mg_sulfate_iv_severe") is None
    found = violations(case, dataclasses.replace(plan, orders=(*plan.orders, extra)))
    assert found == ["16: mg_sulfate_iv_severe appears only because magnesium was given"]


def test_a_dose_made_larger_because_magnesium_was_given_is_caught() -> None:
    case = case_of(SEVERE_70_KG, ("2026-12-04T08:00:00+00:00", "iv", "2 g"))
    plan = evaluate(case, PROTOCOL)
    order = plan.order("mg_sulfate_iv_severe")
    assert order is not None and order.dose is not None
    larger = dataclasses.replace(
        order, dose=dataclasses.replace(order.dose, salt_mass_mg=order.dose.salt_mass_mg * 2)
    )
    orders = tuple(larger if o is order else o for o in plan.orders)
    found = violations(case, dataclasses.replace(plan, orders=orders))
    assert "16: mg_sulfate_iv_severe is larger because magnesium was given" in found


@pytest.mark.parametrize(
    "document",
    [
        base_case(labs__magnesium="0.8 mg/dL"),  # Cockcroft-Gault, 100 mL/min
        base_case(
            labs__magnesium="0.8 mg/dL", labs__creatinine=None, labs__egfr="25 mL/min/1.73 m2"
        ),
    ],
    ids=["cockcroft_gault", "egfr"],
)
def test_orders_other_than_those_of_the_estimate_entered_as_measured_are_caught(
    document: dict[str, Any],
) -> None:
    case = case_of(document)
    plan = evaluate(case, PROTOCOL)
    assert plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.method in ("cockcroft_gault", "egfr")
    method = plan.creatinine_clearance.method
    found = violations(case, dataclasses.replace(plan, orders=plan.orders[1:]))
    assert found == [f"17: the {method} estimate entered as measured gives other orders"]
