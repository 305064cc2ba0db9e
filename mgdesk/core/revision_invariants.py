"""Safety invariants 15-17 of PROTOCOL.md (revision 1.1), checked on every plan.

Invariants 16 and 17 compare a plan with the plan of a related case (no magnesium given; the
renal estimate entered as a measured clearance), which the engine evaluates on request
without checking it again. A violation withholds the plan, as for invariants 1-14.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

from mgdesk.core.case import Case
from mgdesk.core.errors import PlanWithheld
from mgdesk.core.formatting import plain_quantity
from mgdesk.core.given import emergency_now_g, given_totals, grams, salt_g
from mgdesk.core.plan import Order, Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import magnitude_in, quantity

EMERGENCY_IDS = ("mg_sulfate_iv_torsades", "mg_sulfate_iv_loading")
Reevaluate = Callable[[Case], Plan]


def check_revision_invariants(
    case: Case, plan: Plan, protocol: Protocol, reevaluate: Reevaluate
) -> None:
    violations = revision_violations(case, plan, protocol, reevaluate)
    if violations:
        raise PlanWithheld(violations)


def revision_violations(
    case: Case, plan: Plan, protocol: Protocol, reevaluate: Reevaluate
) -> list[str]:
    if plan.status == "out_of_scope":
        return []
    without_given = reevaluate(replace(case, magnesium_given=())) if case.magnesium_given else plan
    return [
        *_cumulative_limit(case, plan, protocol, without_given),
        *_im_limit_with_given(case, plan, protocol),
        *_given_never_raises(plan, without_given),
        *_estimate_as_measured(case, plan, reevaluate),
    ]


def _others(plan: Plan) -> list[Order]:
    """The magnesium orders other than the torsades and loading doses."""
    return [o for o in plan.orders if o.is_magnesium and o.id not in EMERGENCY_IDS]


def _cumulative_limit(case: Case, plan: Plan, protocol: Protocol, without_given: Plan) -> list[str]:
    """15. Where the 48-hour limit applies, the other magnesium orders fit in what it leaves;
    cumulative_limit_reached exactly when it is exceeded or an order was cut for it."""
    t = protocol.thresholds
    clearance = plan.creatinine_clearance
    limited = (
        case.clinical.dialysis
        or clearance is None
        or clearance.ml_min < magnitude_in(t.clearance_emergency_only_below, "mL/min")
    )
    flagged = "cumulative_limit_reached" in plan.warning_codes()
    if not limited:
        return ["15: cumulative_limit_reached without the 48-hour limit"] if flagged else []
    limit = magnitude_in(t.renal_max_48h, "g")
    given = given_totals(case.magnesium_given, case.assessed_at, protocol).total_g
    emergency = emergency_now_g(plan.orders)
    others = sum((salt_g(o) for o in _others(plan)), start=Fraction(0))
    found: list[str] = []
    if others > max(Fraction(0), limit - given - emergency):
        found.append("15: magnesium orders above what the 48-hour limit leaves")
    cut = _smaller_or_gone(plan, without_given)
    if flagged != (given + emergency > limit or bool(cut)):
        found.append("15: cumulative_limit_reached does not match the 48-hour limit")
    return found


def _im_limit_with_given(case: Case, plan: Plan, protocol: Protocol) -> list[str]:
    """6, counting IM magnesium given in the last 4 hours: the first dose of every IM order
    (the severe alternative, the mild course) within 250 mg/kg in 4 hours."""
    weight = case.patient.weight
    if weight is None:
        return []
    given_im = given_totals(case.magnesium_given, case.assessed_at, protocol).im_4h_g
    limit = magnitude_in(protocol.thresholds.im_max_per_weight_4h * weight, "g")
    per_weight = plain_quantity(protocol.thresholds.im_max_per_weight_4h)
    return [
        f"6: {order.title}, {grams(salt_g(order))} now, with {grams(given_im)} given IM in the "
        f"last 4 hours, would exceed {per_weight} in 4 hours ({grams(limit)} for "
        f"{plain_quantity(weight)})"
        for order in plan.orders
        if order.is_magnesium and order.route == "im" and salt_g(order) + given_im > limit
    ]


def _smaller_or_gone(plan: Plan, reference: Plan) -> list[str]:
    """The non-emergency magnesium orders of reference that plan leaves out or gives less of."""
    found = []
    for order in _others(reference):
        mine = plan.order(order.id)
        if mine is None or salt_g(mine) < salt_g(order):
            found.append(order.id)
    return found


def _given_never_raises(plan: Plan, without_given: Plan) -> list[str]:
    """16. Magnesium given never gives a larger non-emergency dose, nor a new order."""
    found = []
    for order in _others(plan):
        reference = without_given.order(order.id)
        if reference is None:
            found.append(f"16: {order.id} appears only because magnesium was given")
        elif salt_g(order) > salt_g(reference):
            found.append(f"16: {order.id} is larger because magnesium was given")
    return found


def _estimate_as_measured(case: Case, plan: Plan, reevaluate: Reevaluate) -> list[str]:
    """17. The estimate used, entered as a measured clearance, gives the same orders."""
    estimate = plan.creatinine_clearance
    if estimate is None or estimate.method == "entered":
        return []
    measured = quantity(estimate.ml_min, "mL/min")
    other = reevaluate(replace(case, labs=replace(case.labs, creatinine_clearance=measured)))
    if _orders(other) != _orders(plan):
        return [f"17: the {estimate.method} estimate entered as measured gives other orders"]
    return []


def _orders(plan: Plan) -> list[tuple[str, str, object, object]]:
    return [(o.id, o.role, o.mg_mmol, o.doses) for o in plan.orders]
