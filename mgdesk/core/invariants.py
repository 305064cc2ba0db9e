"""The safety invariants of PROTOCOL.md, checked on every plan with the protocol's own numbers
and, for the limits of invariants 4-6, never above mgdesk's fixed ceilings (core/ceilings.py).

A violation withholds the plan: a wrong order must never reach a screen or a sheet.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import TYPE_CHECKING

from mgdesk.core import codes
from mgdesk.core.ceilings import (
    IM_MAX_PER_WEIGHT_4H,
    IV_MAX_CONCENTRATION,
    IV_MAX_RATE,
    PUSH_MAX_RATE,
    RENAL_MAX_48H,
    effective_limit,
)
from mgdesk.core.errors import PlanWithheld
from mgdesk.core.formatting import significant
from mgdesk.core.protocol import ORDER_CODES, WARNING_CODES
from mgdesk.core.units import magnitude_in

if TYPE_CHECKING:
    from mgdesk.core.case import Case
    from mgdesk.core.plan import Order, Plan
    from mgdesk.core.protocol import Protocol

EMERGENCY_ORDERS = ("mg_sulfate_iv_torsades", "mg_sulfate_iv_loading", "mg_sulfate_iv_severe")
_ELEMENTAL = re.compile(r"([0-9.]+) mg elemental")


def check_plan(case: Case, plan: Plan, protocol: Protocol) -> None:
    violations = plan_violations(case, plan, protocol)
    if violations:
        raise PlanWithheld(violations)


def plan_violations(case: Case, plan: Plan, protocol: Protocol) -> list[str]:
    v: list[str] = []
    t = protocol.thresholds
    warning_codes = set(plan.warning_codes())
    monitoring_codes = {m.code for m in plan.monitoring}
    magnesium_orders = [o for o in plan.orders if o.is_magnesium]
    ids = [o.id for o in plan.orders]

    if plan.status not in codes.STATUSES:
        v.append(f"unknown status {plan.status!r}")
    if plan.severity not in (*codes.BANDS, None):
        v.append(f"unknown severity {plan.severity!r}")
    if len(ids) != len(set(ids)):
        v.append("an order appears twice")
    primaries = {o.id for o in plan.orders if o.role == "primary"}
    for order in plan.orders:
        if (order.role == "alternative") != (order.alternative_to is not None) or (
            order.alternative_to is not None and order.alternative_to not in primaries
        ):
            v.append(f"{order.id}: an alternative must name a primary order of this plan")
        if order.refers_to is not None and order.refers_to not in ids[ids.index(order.id) + 1 :]:
            v.append(f"{order.id}: refers to {order.refers_to}, which is not below it")
        if order.id not in ORDER_CODES or order.role not in codes.ROLES:
            v.append(f"unknown order or role {order.id}/{order.role}")
        if order.route not in (*codes.ROUTES, None):
            v.append(f"{order.id}: unknown route {order.route!r}")
    for w in plan.warnings:
        if WARNING_CODES.get(w.code) != w.level:
            v.append(f"warning {w.code} has level {w.level}")

    # 9. Out of scope: no orders at all.
    if plan.status == "out_of_scope" and plan.orders:
        v.append("9: orders for a patient out of scope")
    # 3. No magnesium for a normal or high level unless torsades.
    if plan.severity in ("normal", "high") and not case.torsades_present and magnesium_orders:
        v.append("3: magnesium ordered for a level that is not low")
    contraindicated = case.clinical.heart_block or case.clinical.myasthenia_gravis
    # 10. Heart block or myasthenia gravis: no parenteral magnesium.
    if contraindicated and any(o.is_parenteral for o in plan.orders):
        v.append("10: parenteral magnesium despite a contraindication")
    # 11. Torsades, in scope, no contraindication: the torsades order, first of all.
    if (
        case.torsades_present
        and plan.status != "out_of_scope"
        and not contraindicated
        and (not ids or ids[0] != "mg_sulfate_iv_torsades")
    ):
        v.append("11: torsades without the torsades order first")
    # 4. IV rate and dilution.
    max_rate = effective_limit(t.iv_max_rate, IV_MAX_RATE, "mg/min")
    max_concentration = effective_limit(t.iv_max_concentration, IV_MAX_CONCENTRATION, "g/dL")
    for order in magnesium_orders:
        if not order.is_intravenous:
            continue
        exempt = order.id == "mg_sulfate_iv_torsades" and case.clinical.torsades == "pulseless"
        too_fast = order.rate_mg_min is None or order.rate_mg_min > max_rate
        too_strong = (
            order.concentration_g_dl is None or order.concentration_g_dl > max_concentration
        )
        excepted = exempt and "rate_exception_life_threatening" in order.warnings
        # The exception has a ceiling of its own: the push no faster than the guideline's.
        too_fast_for_push = order.rate_mg_min is None or order.rate_mg_min > PUSH_MAX_RATE.value
        if too_fast and (not excepted or too_fast_for_push):
            v.append(f"4: {order.id} runs faster than the IV limit")
        if too_strong:
            v.append(f"4: {order.id} is more concentrated than the IV limit")
    # 5. Severe renal impairment or unknown renal function: emergency magnesium only, capped.
    clearance = plan.creatinine_clearance
    restricted = (
        case.clinical.dialysis
        or clearance is None
        or clearance.ml_min < magnitude_in(t.clearance_emergency_only_below, "mL/min")
    )
    if restricted:
        for order in magnesium_orders:
            if order.id not in EMERGENCY_ORDERS or not order.emergency:
                v.append(f"5: non-emergency {order.id} with restricted renal function")
            if "max_20g_per_48h" not in order.warnings:
                v.append(f"5: {order.id} lacks max_20g_per_48h")
            known_low = clearance is not None or case.clinical.dialysis
            if known_low and "renal_crcl_below_20" not in order.warnings:
                v.append(f"5: {order.id} lacks renal_crcl_below_20")
        total = sum((_salt_mg(o) for o in magnesium_orders), start=Fraction(0))
        if total > effective_limit(t.renal_max_48h, RENAL_MAX_48H, "mg"):
            v.append("5: emergency magnesium above the 48-hour cap")
    # 6. IM severe alternative only with full renal function and a weight, within mg/kg.
    im = plan.order("mg_sulfate_im_severe")
    if im is not None:
        weight = case.patient.weight
        if (
            clearance is None
            or weight is None
            or clearance.ml_min < magnitude_in(t.clearance_full_dose_from, "mL/min")
        ):
            v.append("6: IM severe alternative without full renal function and a weight")
        elif _salt_mg(im) > effective_limit(
            t.im_max_per_weight_4h, IM_MAX_PER_WEIGHT_4H, "mg/kg"
        ) * (magnitude_in(weight, "kg")):
            v.append("6: IM severe dose above the mg/kg maximum")
    # 7. Antidote and toxicity monitoring with every parenteral magnesium order.
    for order in magnesium_orders:
        if order.is_parenteral and not (
            "calcium_antidote_available" in order.warnings
            and "toxicity_signs" in order.monitoring
            and "calcium_antidote_available" in warning_codes
            and "toxicity_signs" in monitoring_codes
        ):
            v.append(f"7: {order.id} lacks the antidote or toxicity monitoring")
    # 8. mmol, mEq and elemental mg agree; salt mass never labelled elemental.
    for order in magnesium_orders:
        v.extend(_dose_agreement(order, protocol))
    # Every magnesium order gives some magnesium, in at least one dose.
    for order in magnesium_orders:
        if not _delivers_magnesium(order):
            v.append(f"dose: {order.id} delivers no magnesium")
    for order in plan.orders:
        for code in order.warnings:
            if code not in warning_codes:
                v.append(f"{order.id}: carries {code} but the plan does not list it")
    return v


def _delivers_magnesium(order: Order) -> bool:
    amounts = [order.mg_mmol]
    if order.product is not None:
        amounts.append(order.product.mmol)
    lows = [a[0] if isinstance(a, tuple) else a for a in amounts]
    return all(low is not None and low > 0 for low in lows) and (
        order.doses is None or order.doses >= 1
    )


def _salt_mg(order: Order) -> Fraction:
    if order.dose is None:
        return Fraction(0)
    mass = order.dose.salt_mass_mg
    return mass[1] if isinstance(mass, tuple) else mass


def _dose_agreement(order: Order, protocol: Protocol) -> list[str]:
    dose = order.dose
    if dose is None:
        return [f"8: {order.id} has no dose breakdown"]
    valence = magnitude_in(protocol.magnesium_valence, "eq/mol")
    molar_mass = magnitude_in(protocol.magnesium_molar_mass, "g/mol")
    lows = [dose.mmol, dose.meq, dose.elemental_mg]
    pairs = [tuple(x) if isinstance(x, tuple) else (x,) for x in lows]
    problems: list[str] = []
    for mmol, meq, elemental in zip(*pairs, strict=True):
        if meq != mmol * valence or elemental != mmol * molar_mass:
            problems.append(f"8: {order.id} mmol, mEq and elemental mg disagree")
    shown = {significant(e) for e in pairs[2]}
    for figure in _ELEMENTAL.findall(order.text):
        if figure not in shown:
            problems.append(f"8: {order.id} labels {figure} mg as elemental")
    return problems
