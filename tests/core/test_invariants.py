"""The 14 safety invariants of PROTOCOL.md, over random valid cases (hypothesis).

Cases are generated as exact physiological values, then written in randomly chosen units:
magnesium as a decimal in mmol/L (so mg/dL = x * 2.4305 and mEq/L = 2x are exact decimals),
creatinine as a decimal in mg/dL (so umol/L = x * 88.4 is exact) and weight as a decimal in
lb (so kg = lb * 0.45359237 is exact). The same patient in other units must get the same plan.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from core_support import base_case, ids, warning_codes
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mgdesk.core import codes
from mgdesk.core.bands import band_of
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import PlanWithheld
from mgdesk.core.formatting import significant
from mgdesk.core.invariants import check_plan, plan_violations
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import ORDER_CODES, WARNING_CODES
from mgdesk.core.protocol_loader import default_protocol

PROTOCOL = default_protocol()
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BAND_RANK = {"severe": 0, "mild": 1, "normal": 2, "high": 3}
MG_PER_MMOL = Decimal("2.4305")
UMOL_PER_MG_DL = Decimal("88.4")
KG_PER_LB = Decimal("0.45359237")
PARENTERAL_ROUTES = ("iv", "im", "subcut")
RESTRICTED_IDS = {"mg_sulfate_iv_torsades", "mg_sulfate_iv_loading", "mg_sulfate_iv_severe"}

# Text a case accepts: no control, format (invisible) or separator characters, no surrogates.
PRINTED_AS_TYPED_EXCLUDES = ["Cc", "Cf", "Cs", "Zl", "Zp"]


def text(number: Decimal) -> str:
    """A decimal as plain text, never in exponent form and without trailing zeros."""
    shown = format(number, "f")
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


@dataclass(frozen=True)
class Patient:
    """Physiological values, exact, before they are written in any unit."""

    age: Decimal
    sex: str
    pregnant: bool | None
    weight_lb: Decimal | None
    magnesium_mmol: Decimal | None
    potassium: Decimal | None
    creatinine_mg_dl: Decimal | None
    clearance: Decimal | None
    clinical: dict[str, Any]
    texts: dict[str, str]


@dataclass(frozen=True)
class Units:
    magnesium: str = "mmol/L"
    potassium: str = "mmol/L"
    creatinine: str = "mg/dL"
    weight: str = "lb"


UNITS = st.builds(
    Units,
    magnesium=st.sampled_from(["mg/dL", "mmol/L", "mEq/L"]),
    potassium=st.sampled_from(["mmol/L", "mEq/L"]),
    creatinine=st.sampled_from(["mg/dL", "umol/L", "µmol/L"]),
    weight=st.sampled_from(["kg", "lb"]),
)


def decimals(
    low: int, high: int, places: int, special: list[int] | None = None
) -> st.SearchStrategy[Decimal]:
    """Decimals low..high (given in units of 10**-places), with some boundary values favoured."""
    whole = st.integers(low, high)
    if special:
        whole = st.one_of(st.sampled_from(special), whole)
    return whole.map(lambda n: Decimal(n).scaleb(-places))


# 0.2-8.0 mg/dL is 0.0823-3.2915 mmol/L; thousandths keep mg/dL and mEq/L exact. Each band
# is drawn about as often as the others, with the values around the thresholds favoured.
MAGNESIUM = st.one_of(
    st.sampled_from([83, 300, 480, 490, 493, 494, 500, 740, 741, 1069, 1070, 3291]).map(
        lambda n: Decimal(n).scaleb(-3)
    ),
    decimals(83, 493, 3),
    decimals(494, 740, 3),
    decimals(741, 1069, 3),
    decimals(1070, 3291, 3),
)
POTASSIUM = st.one_of(
    decimals(300, 550, 2, special=[399, 400, 449, 450]), decimals(150, 900, 2, special=[150, 900])
)
CREATININE = st.one_of(
    decimals(50, 150, 2), decimals(150, 400, 2), decimals(10, 2500, 2, special=[10, 2500])
)
WEIGHT_LB = st.one_of(
    decimals(1000, 2500, 1), decimals(441, 8818, 1, special=[441, 8818])
)  # 20.0-400.0 kg
CLEARANCE = decimals(0, 2500, 1, special=[0, 199, 200, 299, 300, 2500])
SYMPTOMS = st.lists(
    st.sampled_from(codes.SYMPTOMS_SEVERE + codes.SYMPTOMS_MILD), unique=True, max_size=3
)


@st.composite
def patients(draw: st.DrawFn) -> Patient:
    age = draw(
        st.one_of(
            st.sampled_from(
                [
                    Decimal(0),
                    Decimal(12),
                    Decimal("17.99"),
                    Decimal(18),
                    Decimal("55.99"),
                    Decimal(56),
                    Decimal(120),
                ]
            ),
            decimals(18, 95, 0),
            decimals(1800, 9500, 2),
            decimals(1800, 12000, 2),
        )
    )
    sex = draw(st.sampled_from(codes.SEXES))
    if sex == "female" and 18 <= age < 56:
        pregnant: bool | None = draw(st.sampled_from([False] * 7 + [True]))
    elif sex == "female":
        pregnant = draw(st.sampled_from([None] * 4 + [False] * 3 + [True]))
    else:
        pregnant = draw(st.sampled_from([None, False]))
    torsades = draw(st.sampled_from(["none", "none", "none", "with_pulse", "pulseless"]))
    magnesium = draw(MAGNESIUM if torsades == "none" else st.none() | MAGNESIUM)
    clinical: dict[str, Any] = {}
    optional = {
        "symptoms": st.one_of(st.just([]), SYMPTOMS),
        "torsades": st.just(torsades),
        "heart_block": st.booleans(),
        "volume_depleted": st.booleans(),
        "dialysis": st.booleans(),
        "gi_losses": st.sampled_from(codes.GI_LOSSES),
        "oral_route_available": st.sampled_from([True, True, True, False]),
        "oral_mg_intolerance": st.booleans(),
        "myasthenia_gravis": st.booleans(),
        "digoxin": st.booleans(),
        "prior_therapy": st.sampled_from(codes.PRIOR_THERAPY),
    }
    for key, strategy in optional.items():
        if (key == "torsades" and torsades != "none") or draw(st.integers(0, 3)) > 0:
            clinical[key] = draw(strategy)
    # contraindications and dialysis are rarer in practice; keep most cases routine
    for rare in ("heart_block", "myasthenia_gravis", "dialysis"):
        if clinical.get(rare) and draw(st.integers(0, 3)) > 0:
            clinical[rare] = False
    texts = {}
    if draw(st.booleans()):
        texts["id"] = draw(
            st.text(
                st.characters(codec="utf-8", exclude_categories=PRINTED_AS_TYPED_EXCLUDES),
                max_size=20,
            )
        )
    if draw(st.booleans()):
        texts["name"] = draw(
            st.text(
                st.characters(codec="utf-8", exclude_categories=PRINTED_AS_TYPED_EXCLUDES),
                max_size=30,
            )
        )
    return Patient(
        age=age,
        sex=sex,
        pregnant=pregnant,
        weight_lb=draw(st.none() | WEIGHT_LB | WEIGHT_LB | WEIGHT_LB),
        magnesium_mmol=magnesium,
        potassium=draw(st.none() | POTASSIUM | POTASSIUM),
        creatinine_mg_dl=draw(st.none() | CREATININE | CREATININE | CREATININE),
        clearance=draw(st.none() | st.none() | CLEARANCE),
        clinical=clinical,
        texts=texts,
    )


def document(p: Patient, u: Units) -> dict[str, Any]:
    """The case document for patient p, its measurements written in units u."""
    patient: dict[str, Any] = {
        "age_years": int(p.age) if p.age == int(p.age) else float(p.age),
        "sex": p.sex,
    }
    patient.update(p.texts)
    if p.pregnant is not None:
        patient["pregnant"] = p.pregnant
    if p.weight_lb is not None:
        weight = p.weight_lb if u.weight == "lb" else p.weight_lb * KG_PER_LB
        patient["weight"] = f"{text(weight)} {u.weight}"
    labs: dict[str, Any] = {}
    if p.magnesium_mmol is not None:
        factor = {"mmol/L": Decimal(1), "mg/dL": MG_PER_MMOL, "mEq/L": Decimal(2)}[u.magnesium]
        labs["magnesium"] = f"{text(p.magnesium_mmol * factor)} {u.magnesium}"
    if p.potassium is not None:
        labs["potassium"] = f"{text(p.potassium)} {u.potassium}"
    if p.creatinine_mg_dl is not None:
        factor = Decimal(1) if u.creatinine == "mg/dL" else UMOL_PER_MG_DL
        labs["creatinine"] = f"{text(p.creatinine_mg_dl * factor)} {u.creatinine}"
    if p.clearance is not None:
        labs["creatinine_clearance"] = f"{text(p.clearance)} mL/min"
    return {"patient": patient, "labs": labs, "clinical": dict(p.clinical)}


def evaluated(doc: dict[str, Any]) -> Plan:
    return evaluate(parse_case(doc, PROTOCOL), PROTOCOL)


def signature(plan: Plan) -> dict[str, Any]:
    """What must not depend on the units a value was typed in."""
    return {
        "status": plan.status,
        "severity": plan.severity,
        "orders": [(o.id, o.role, o.mg_mmol) for o in plan.orders],
        "warnings": sorted(set(plan.warning_codes()) - {"possible_unit_confusion"}),
        "monitoring": [m.code for m in plan.monitoring],
        "renal": next((s.outcome for s in plan.steps if s.id == "renal"), None),
        "clearance": plan.creatinine_clearance.ml_min if plan.creatinine_clearance else None,
    }


# -- the invariants, checked here independently of mgdesk.core.invariants ---------------


def assert_invariants(p: Patient, plan: Plan) -> None:
    magnesium_orders = [o for o in plan.orders if o.is_magnesium]
    parenteral = [o for o in magnesium_orders if o.route in PARENTERAL_ROUTES]
    warnings = warning_codes(plan)
    monitoring = {m.code for m in plan.monitoring}
    torsades = p.clinical.get("torsades", "none") != "none"
    contraindicated = bool(p.clinical.get("heart_block") or p.clinical.get("myasthenia_gravis"))
    out_of_scope = p.age < 18 or p.pregnant is True
    order_ids = ids(plan)

    assert plan.status in codes.STATUSES and plan.severity in (*codes.BANDS, None)
    assert len(order_ids) == len(set(order_ids))
    for w in plan.warnings:
        assert WARNING_CODES[w.code] == w.level
    for o in plan.orders:
        assert o.id in ORDER_CODES and o.role in codes.ROLES
        assert set(o.warnings) <= warnings
    # the band is computed even out of scope, exactly, from the magnesium level
    if p.magnesium_mmol is None:
        assert plan.severity is None
    else:
        assert plan.severity == band_of(Fraction(p.magnesium_mmol) * Fraction("2.4305"), PROTOCOL)
    # 9. out of scope: no orders at all, and only the scope warning
    assert (plan.status == "out_of_scope") == out_of_scope
    if out_of_scope:
        assert plan.orders == () and len(plan.warnings) == 1
        assert plan.warnings[0].code in ("out_of_scope_pediatric", "out_of_scope_pregnancy")
        return
    # 3. no magnesium for a normal or high level unless torsades
    if plan.severity in ("normal", "high") and not torsades:
        assert magnesium_orders == []
    if plan.severity in ("severe", "mild"):
        assert "review_causative_drugs" in warnings
    else:
        assert "review_causative_drugs" not in warnings
    # 4. IV rate and dilution
    for o in magnesium_orders:
        if o.route != "iv":
            continue
        assert o.concentration_g_dl is not None and o.concentration_g_dl <= 20
        assert o.rate_mg_min is not None
        if o.rate_mg_min > 150:
            assert o.id == "mg_sulfate_iv_torsades" and p.clinical["torsades"] == "pulseless"
            assert "rate_exception_life_threatening" in o.warnings
    # 5. severe renal impairment, dialysis or unknown renal function: emergency only, capped
    clearance = plan.creatinine_clearance.ml_min if plan.creatinine_clearance else None
    if p.clearance is not None:
        assert clearance == p.clearance
    renal_known = p.clearance is not None or (
        p.creatinine_mg_dl is not None and p.weight_lb is not None
    )
    assert (clearance is not None) == renal_known
    dialysis = bool(p.clinical.get("dialysis"))
    restricted = dialysis or clearance is None or clearance < 20
    if restricted:
        for o in magnesium_orders:
            assert o.id in RESTRICTED_IDS and o.emergency
            assert "max_20g_per_48h" in o.warnings
            assert ("renal_crcl_below_20" in o.warnings) == (dialysis or clearance is not None)
        assert "alfacalcidol_oral" not in order_ids
        for o in plan.orders:
            if o.id == "potassium_replacement":
                assert o.role == "conditional"
        if not dialysis and clearance is None and plan.severity in ("severe", "mild"):
            assert plan.status == "incomplete"
    # 6. IM severe alternative only with clearance >= 30 and a weight, within 250 mg/kg
    im = plan.order("mg_sulfate_im_severe")
    if im is not None:
        assert (
            clearance is not None and clearance >= 30 and not dialysis and p.weight_lb is not None
        )
        assert im.dose is not None and not isinstance(im.dose.salt_mass_mg, tuple)
        assert im.dose.salt_mass_mg <= 250 * Fraction(p.weight_lb) * Fraction("0.45359237")
    # 7. antidote and toxicity monitoring with every parenteral magnesium order
    for o in parenteral:
        assert (
            "calcium_antidote_available" in o.warnings and "calcium_antidote_available" in warnings
        )
        assert "toxicity_signs" in monitoring and "recheck_mg_parenteral" in monitoring
        assert ("digoxin_interaction" in o.warnings) == bool(p.clinical.get("digoxin"))
    # 8. mmol, mEq and mg agree; salt mass never labelled elemental
    for o in magnesium_orders:
        dose = o.dose
        assert dose is not None
        amounts = [dose.mmol, dose.meq, dose.elemental_mg, dose.salt_mass_mg]
        pairs = zip(*[a if isinstance(a, tuple) else (a,) for a in amounts], strict=True)
        for mmol, meq, elemental, salt in pairs:
            assert meq == 2 * mmol and elemental == mmol * Fraction("24.305") and salt > elemental
        if isinstance(dose.elemental_mg, tuple):
            low, high = (significant(e) for e in dose.elemental_mg)
            assert f"{low} to {high} mg elemental" in o.text
        else:
            assert f"{significant(dose.elemental_mg)} mg elemental" in o.text
        assert o.mg_mmol == dose.mmol
        for figure in re.findall(r"([0-9.]+) mg elemental", o.text):
            elementals = (
                dose.elemental_mg if isinstance(dose.elemental_mg, tuple) else (dose.elemental_mg,)
            )
            assert figure in {significant(e) for e in elementals}
    # 10. heart block or myasthenia gravis: no parenteral magnesium
    if contraindicated:
        assert parenteral == []
    # 11. torsades, in scope, no contraindication: the torsades order first
    if torsades and not contraindicated:
        assert order_ids[0] == "mg_sulfate_iv_torsades"
        assert "torsades_do_not_delay" in warnings and "ecg_monitoring" in monitoring
    if torsades or p.clinical.get("heart_block"):
        assert "ecg_monitoring" in monitoring
    # the order sequence
    rank = {
        "mg_sulfate_iv_torsades": 0,
        "mg_sulfate_iv_loading": 1,
        "sodium_chloride_iv_rehydration": 2,
        "alfacalcidol_oral": 5,
        "potassium_replacement": 6,
    }
    ranks = [rank.get(i, 3) for i in order_ids]
    assert ranks == sorted(ranks)
    treatment = [o.role for o in plan.orders if rank.get(o.id, 3) == 3]
    assert treatment == sorted(treatment, key=lambda r: r != "primary")
    # 14. the engine's own check agrees
    case = parse_case(document(p, Units()), PROTOCOL)
    assert plan_violations(case, plan, PROTOCOL) == []


@pytest.mark.slow
@SETTINGS
@given(patients(), UNITS)
def test_every_plan_keeps_the_safety_invariants(p: Patient, units: Units) -> None:
    plan = evaluated(document(p, units))  # 14: never PlanWithheld for valid input
    assert_invariants(p, plan)


@pytest.mark.slow
@SETTINGS
@given(patients(), UNITS, UNITS)
def test_the_same_values_in_other_units_give_the_same_plan(
    p: Patient, one: Units, other: Units
) -> None:
    first, second = evaluated(document(p, one)), evaluated(document(p, other))
    assert signature(first) == signature(second)
    if first.magnesium and second.magnesium:
        assert first.magnesium.mg_dl == second.magnesium.mg_dl


@pytest.mark.slow
@SETTINGS
@given(patients(), UNITS, MAGNESIUM, MAGNESIUM)
def test_lower_magnesium_never_gives_a_milder_band(
    p: Patient, units: Units, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    lower = evaluated(document(dataclasses.replace(p, magnesium_mmol=low), units))
    higher = evaluated(document(dataclasses.replace(p, magnesium_mmol=high), units))
    assert lower.severity is not None and higher.severity is not None
    assert BAND_RANK[lower.severity] <= BAND_RANK[higher.severity]


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(patients(), UNITS)
def test_the_same_input_always_gives_the_same_plan(p: Patient, units: Units) -> None:
    doc = document(p, units)
    assert evaluated(doc).as_dict() == evaluated(doc).as_dict()


@pytest.mark.slow
@SETTINGS
@given(patients(), UNITS)
def test_unit_confusion_is_about_the_number_as_typed(p: Patient, units: Units) -> None:
    assume(p.magnesium_mmol is not None and p.age >= 18 and p.pregnant is not True)
    plan = evaluated(document(p, units))
    assert plan.magnesium is not None and plan.severity is not None
    typed = Fraction(document(p, units)["labs"]["magnesium"].split()[0])
    per_mg_dl = {"mg/dL": Fraction(1), "mmol/L": Fraction("2.4305"), "mEq/L": Fraction("1.21525")}
    others = {band_of(typed * f, PROTOCOL) for u, f in per_mg_dl.items() if u != units.magnesium}
    expected = plan.severity in ("severe", "high") and bool(others & {"mild", "normal"})
    assert ("possible_unit_confusion" in warning_codes(plan)) == expected
    for shown_unit, shown in plan.magnesium.shown:  # display never crosses a threshold
        assert band_of(Fraction(shown) * per_mg_dl[shown_unit], PROTOCOL) == plan.severity


# -- the checker itself catches broken plans ----------------------------------------------


def broken(document: dict[str, Any], **order_changes: Any) -> tuple[Any, Plan]:
    """A real plan, and its case, with the first magnesium order changed."""
    case = parse_case(document, PROTOCOL)
    plan = evaluate(case, PROTOCOL)
    index = next(i for i, o in enumerate(plan.orders) if o.is_magnesium)
    orders = list(plan.orders)
    orders[index] = dataclasses.replace(orders[index], **order_changes)
    return case, dataclasses.replace(plan, orders=tuple(orders))


def violations(case: Any, plan: Plan) -> list[str]:
    found = plan_violations(case, plan, PROTOCOL)
    assert found, "the checker accepted a broken plan"
    with pytest.raises(PlanWithheld) as caught:
        check_plan(case, plan, PROTOCOL)
    assert list(caught.value.violations) == found
    return found


SEVERE = base_case(labs__magnesium="0.9 mg/dL")


def test_checker_catches_a_missing_antidote() -> None:
    case, plan = broken(SEVERE, warnings=("iv_rate_and_dilution",))
    assert any(v.startswith("7:") for v in violations(case, plan))


def test_checker_catches_a_missing_toxicity_monitoring() -> None:
    case, plan = broken(SEVERE, monitoring=("recheck_mg_parenteral",))
    plan = dataclasses.replace(
        plan, monitoring=tuple(m for m in plan.monitoring if m.code != "toxicity_signs")
    )
    assert any(v.startswith("7:") for v in violations(case, plan))


def test_checker_catches_a_fast_infusion() -> None:
    case, plan = broken(SEVERE, rate_mg_min=Fraction(200))
    assert any(v.startswith("4:") for v in violations(case, plan))


def test_checker_catches_a_concentrated_infusion() -> None:
    case, plan = broken(SEVERE, concentration_g_dl=Fraction(50))
    assert any(v.startswith("4:") for v in violations(case, plan))


def test_checker_catches_magnesium_for_a_normal_level() -> None:
    _, severe_plan = broken(SEVERE)
    normal = parse_case(base_case(labs__magnesium="2.0 mg/dL"), PROTOCOL)
    plan = dataclasses.replace(evaluate(normal, PROTOCOL), orders=severe_plan.orders)
    assert any(v.startswith("3:") for v in violations(normal, plan))


def test_checker_catches_orders_out_of_scope() -> None:
    _, severe_plan = broken(SEVERE)
    child = parse_case(base_case(patient__age_years=12, labs__magnesium="0.9 mg/dL"), PROTOCOL)
    plan = dataclasses.replace(evaluate(child, PROTOCOL), orders=severe_plan.orders)
    assert any(v.startswith("9:") for v in violations(child, plan))


def test_checker_catches_parenteral_magnesium_despite_heart_block() -> None:
    _, severe_plan = broken(SEVERE)
    blocked = parse_case(
        base_case(labs__magnesium="0.9 mg/dL", clinical__heart_block=True), PROTOCOL
    )
    plan = dataclasses.replace(evaluate(blocked, PROTOCOL), orders=severe_plan.orders)
    assert any(v.startswith("10:") for v in violations(blocked, plan))


def test_checker_catches_torsades_not_first() -> None:
    case = parse_case(base_case(clinical__torsades="with_pulse"), PROTOCOL)
    plan = evaluate(case, PROTOCOL)
    plan = dataclasses.replace(plan, orders=tuple(reversed(plan.orders)))
    assert any(v.startswith("11:") for v in violations(case, plan))
    without = dataclasses.replace(
        plan, orders=tuple(o for o in plan.orders if o.id != "mg_sulfate_iv_torsades")
    )
    assert any(v.startswith("11:") for v in violations(case, without))


def test_checker_catches_routine_magnesium_with_severe_renal_impairment() -> None:
    _, routine = broken(base_case())
    impaired = parse_case(base_case(labs__creatinine_clearance="10 mL/min"), PROTOCOL)
    plan = dataclasses.replace(evaluate(impaired, PROTOCOL), orders=routine.orders)
    assert any(v.startswith("5:") for v in violations(impaired, plan))


def test_checker_catches_an_emergency_order_without_the_renal_cap() -> None:
    document = base_case(
        labs__magnesium="0.9 mg/dL",
        clinical__symptoms=["tetany"],
        labs__creatinine_clearance="10 mL/min",
    )
    case, plan = broken(document, warnings=("iv_rate_and_dilution", "calcium_antidote_available"))
    found = violations(case, plan)
    assert any("max_20g_per_48h" in v for v in found)
    assert any("renal_crcl_below_20" in v for v in found)


def test_checker_catches_an_im_alternative_with_reduced_clearance() -> None:
    _, full = broken(SEVERE)
    reduced = parse_case(
        base_case(labs__magnesium="0.9 mg/dL", labs__creatinine_clearance="25 mL/min"), PROTOCOL
    )
    plan = dataclasses.replace(evaluate(reduced, PROTOCOL), orders=full.orders)
    assert any(v.startswith("6:") for v in violations(reduced, plan))


def test_checker_catches_doses_that_disagree() -> None:
    case, plan = broken(SEVERE)
    order = plan.orders[0]
    assert order.dose is not None
    bad_dose = dataclasses.replace(order.dose, meq=Fraction(99))
    plan = dataclasses.replace(
        plan, orders=(dataclasses.replace(order, dose=bad_dose), *plan.orders[1:])
    )
    assert any(v.startswith("8:") for v in violations(case, plan))


def test_checker_catches_a_salt_mass_labelled_elemental() -> None:
    case, plan = broken(base_case())
    order = plan.orders[0]
    plan = dataclasses.replace(
        plan,
        orders=(
            dataclasses.replace(order, text=order.text.replace("salt 484 mg", "484 mg elemental")),
            *plan.orders[1:],
        ),
    )
    assert any(v.startswith("8:") for v in violations(case, plan))


def test_checker_catches_unknown_codes_and_levels() -> None:
    case, plan = broken(base_case())
    plan = dataclasses.replace(plan, status="fine")
    assert any("status" in v for v in violations(case, plan))
    case, plan = broken(base_case())
    warning = dataclasses.replace(
        plan.warnings[0], level="info" if plan.warnings[0].level != "info" else "stop"
    )
    plan = dataclasses.replace(plan, warnings=(warning, *plan.warnings[1:]))
    assert any("level" in v for v in violations(case, plan))


def test_checker_catches_an_alternative_naming_no_primary_order() -> None:
    """The sheet prints "give instead of order N" from alternative_to: it must be real."""
    case = parse_case(base_case(labs__magnesium="1.4 mg/dL"), PROTOCOL)
    plan = evaluate(case, PROTOCOL)
    orders = tuple(
        dataclasses.replace(o, alternative_to="mg_sulfate_iv_severe")
        if o.role == "alternative"
        else o
        for o in plan.orders
    )
    assert orders != plan.orders
    found = violations(case, dataclasses.replace(plan, orders=orders))
    assert any("must name a primary order" in v for v in found)
