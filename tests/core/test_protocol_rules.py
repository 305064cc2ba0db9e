"""Every rule, branch and boundary of PROTOCOL.md under the bundled default protocol."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from core_support import (
    FORBIDDEN_WORDS,
    NAKED_DECIMAL,
    THOUSANDS,
    TRAILING_ZERO,
    base_case,
    ids,
    monitoring_codes,
    plan_of,
    roles,
    step_outcomes,
    warning_codes,
    woman,
)

from mgdesk.core import codes
from mgdesk.core.bands import band_of
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import MAGNESIUM_ORDER_CODES, MONITORING_CODES, ORDER_CODES, WARNING_CODES
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.records.site_protocol import load_protocol

MAGNESIUM_ORDERS = set(MAGNESIUM_ORDER_CODES)
PARENTERAL_ORDERS = {
    "mg_sulfate_iv_torsades",
    "mg_sulfate_iv_loading",
    "mg_sulfate_iv_severe",
    "mg_sulfate_im_severe",
    "mg_sulfate_im_mild",
    "mg_sulfate_iv_mild",
    "mg_sulfate_bag_refractory",
}
ORAL_ORDERS = {"mg_oxide_oral", "mg_organic_oral"}
SEVERE = "0.9 mg/dL"
MILD = "1.4 mg/dL"


def order(plan: Plan, order_id: str) -> Any:
    found = plan.order(order_id)
    assert found is not None, f"no {order_id} in {ids(plan)}"
    return found


def magnesium_ids(plan: Plan) -> set[str]:
    return {o.id for o in plan.orders if o.id in MAGNESIUM_ORDERS}


def level_of(plan: Plan, code: str) -> str:
    return next(w.level for w in plan.warnings if w.code == code)


# -- bands, units and display ---------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "band"),
    [
        ("1.19 mg/dL", "severe"),
        ("1.2 mg/dL", "mild"),
        ("1.20 mg/dL", "mild"),
        ("1.79 mg/dL", "mild"),
        ("1.8 mg/dL", "normal"),
        ("2.6 mg/dL", "normal"),
        ("2.61 mg/dL", "high"),
        ("0.49 mmol/L", "severe"),
        ("0.4937 mmol/L", "severe"),
        ("0.4938 mmol/L", "mild"),
        ("0.50 mmol/L", "mild"),
        ("0.7405 mmol/L", "mild"),
        ("0.741 mmol/L", "normal"),
        ("1.069 mmol/L", "normal"),
        ("1.07 mmol/L", "high"),
        ("0.98 mEq/L", "severe"),
        ("0.99 mEq/L", "mild"),
        ("1.48 mEq/L", "mild"),
        ("1.482 mEq/L", "normal"),
        ("2.139 mEq/L", "normal"),
        ("2.14 mEq/L", "high"),
    ],
)
def test_band_boundaries_in_every_unit(entered: str, band: str) -> None:
    plan = plan_of(base_case(labs__magnesium=entered))
    assert plan.severity == band
    assert step_outcomes(plan)["magnesium"] == band


@pytest.mark.parametrize(
    ("entered", "mg_dl"),
    [("0.49 mmol/L", "1.191"), ("0.50 mmol/L", "1.215"), ("0.99 mEq/L", "1.203")],
)
def test_converted_values_are_exact(entered: str, mg_dl: str) -> None:
    plan = plan_of(base_case(labs__magnesium=entered))
    assert plan.magnesium is not None
    assert abs(plan.magnesium.mg_dl - Fraction(mg_dl)) < Fraction("0.0005")


def test_conversions_in_all_three_units() -> None:
    level = plan_of(base_case(labs__magnesium="0.5 mmol/L")).magnesium
    assert level is not None
    assert level.mg_dl == Fraction("1.21525")
    assert level.meq_l == 1
    assert level.mmol_l == Fraction("0.5")
    assert dict(level.shown) == {"mg/dL": "1.22", "mmol/L": "0.5", "mEq/L": "1"}


def test_display_is_never_rounded_across_a_threshold() -> None:
    plan = plan_of(base_case(labs__magnesium="0.492 mmol/L"))
    assert plan.severity == "severe"
    assert plan.magnesium is not None
    shown = dict(plan.magnesium.shown)
    assert shown["mg/dL"] == "1.196"
    assert "1.196 mg/dL" in plan.magnesium.shown_text
    assert plan.as_dict()["magnesium"]["shown"]["mg/dL"] == "1.196"


NEAR_THRESHOLDS = [
    Fraction(thousandths, 1000)
    for centre in (1200, 1800, 2600)
    for thousandths in range(centre - 12, centre + 13, 2)
]


@pytest.mark.parametrize("unit", ["mg/dL", "mmol/L", "mEq/L"])
def test_every_shown_value_stays_in_the_band_of_the_exact_value(unit: str) -> None:
    protocol = default_protocol()
    factor = {"mg/dL": Fraction(1), "mmol/L": Fraction("2.4305"), "mEq/L": Fraction("1.21525")}
    for mg_dl in NEAR_THRESHOLDS:
        text = f"{float(mg_dl / factor[unit]):.5f}"
        plan = plan_of(base_case(labs__magnesium=f"{text} {unit}"))
        assert plan.magnesium is not None
        assert band_of(Fraction(text) * factor[unit], protocol) == plan.severity
        for shown_unit, shown in plan.magnesium.shown:
            back = Fraction(shown) * factor[shown_unit]
            assert band_of(back, protocol) == plan.severity, (text, unit, shown_unit, shown)


def test_clearance_display_is_never_rounded_across_a_threshold() -> None:
    plan = plan_of(base_case(labs__creatinine_clearance="29.996 mL/min"))
    assert step_outcomes(plan)["renal"] == "reduced_dose"
    assert plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.shown == "29.996 mL/min"


@pytest.mark.parametrize(
    ("entered", "other_band"),
    [("1.4 mmol/L", "mild"), ("0.9 mg/dL", "normal"), ("0.9 mEq/L", "normal"), ("3 mmol/L", None)],
)
def test_possible_unit_confusion(entered: str, other_band: str | None) -> None:
    plan = plan_of(base_case(labs__magnesium=entered))
    if other_band is None:
        assert "possible_unit_confusion" not in warning_codes(plan)
        return
    warning = next(w for w in plan.warnings if w.code == "possible_unit_confusion")
    assert warning.level == "caution"
    assert other_band in warning.text
    for unit in ("mg/dL", "mmol/L", "mEq/L"):
        assert unit in warning.text  # the value in all three units


def test_unit_confusion_both_directions_with_the_documented_numbers() -> None:
    high = plan_of(base_case(labs__magnesium="1.4 mmol/L"))
    assert high.severity == "high"
    assert "3.4 mg/dL" in next(w.text for w in high.warnings if w.code == "possible_unit_confusion")
    severe = plan_of(base_case(labs__magnesium="0.9 mg/dL"))
    assert severe.severity == "severe"
    assert "possible_unit_confusion" in warning_codes(severe)


@pytest.mark.parametrize(
    "entered", ["0.3 mg/dL", "1.4 mg/dL", "2.0 mg/dL", "0.6 mmol/L", "1.2 mEq/L"]
)
def test_no_unit_confusion_when_no_other_reading_is_mild_or_normal(entered: str) -> None:
    assert "possible_unit_confusion" not in warning_codes(
        plan_of(base_case(labs__magnesium=entered))
    )


# -- 1. scope ------------------------------------------------------------------------


def test_under_18_is_out_of_scope_but_the_band_is_shown() -> None:
    plan = plan_of(base_case(patient__age_years=17.99))
    assert plan.status == "out_of_scope"
    assert plan.severity == "mild"
    assert plan.magnesium is not None
    assert plan.orders == ()
    assert warning_codes(plan) == {"out_of_scope_pediatric"}
    assert level_of(plan, "out_of_scope_pediatric") == "stop"
    assert "paediatric" in plan.warnings[0].text
    assert plan.path[-1] == "out_of_scope"


@pytest.mark.parametrize("age", [18, 18.0, 120])
def test_age_18_and_over_is_in_scope(age: float) -> None:
    plan = plan_of(base_case(patient__age_years=age))
    assert plan.status == "ok"
    assert step_outcomes(plan)["scope"] == "in_scope"


def test_age_zero_is_valid_and_out_of_scope() -> None:
    assert plan_of(base_case(patient__age_years=0)).status == "out_of_scope"


def test_pregnancy_is_out_of_scope() -> None:
    plan = plan_of(woman(30, patient__pregnant=True))
    assert plan.status == "out_of_scope"
    assert warning_codes(plan) == {"out_of_scope_pregnancy"}
    assert "obstetric" in plan.warnings[0].text
    assert plan.orders == ()


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (base_case(patient__age_years=12), "out_of_scope_pediatric"),
        (woman(40, patient__pregnant=True), "out_of_scope_pregnancy"),
        (woman(60, patient__pregnant=True), "out_of_scope_pregnancy"),
    ],
)
def test_out_of_scope_stops_everything_and_torsades_makes_it_urgent(
    document: dict[str, Any], code: str
) -> None:
    document["labs"].update(
        magnesium=SEVERE, potassium="2.5 mmol/L", creatinine_clearance="10 mL/min"
    )
    document["clinical"].update(
        torsades="pulseless",
        heart_block=True,
        volume_depleted=True,
        dialysis=True,
        gi_losses="short_bowel",
        digoxin=True,
        symptoms=["seizure"],
    )
    plan = plan_of(document)
    assert plan.status == "out_of_scope"
    assert plan.orders == ()
    assert warning_codes(plan) == {code}
    assert plan.monitoring == ()
    assert "urgent" in plan.warnings[0].text.lower()


# -- 2. magnesium level ----------------------------------------------------------------


def test_normal_level_orders_no_magnesium() -> None:
    plan = plan_of(base_case(labs__magnesium="2.0 mg/dL"))
    assert plan.status == "ok"
    assert plan.severity == "normal"
    assert magnesium_ids(plan) == set()
    assert "not_hypomagnesemic" in warning_codes(plan)
    assert level_of(plan, "not_hypomagnesemic") == "info"
    assert "above_normal_range" not in warning_codes(plan)
    assert "review_causative_drugs" not in warning_codes(plan)
    assert step_outcomes(plan)["treatment"] == "not_hypomagnesemic"


def test_normal_level_wording_mentions_a_torsades_dose_only_when_one_is_given() -> None:
    treated = plan_of(base_case(labs__magnesium="2.0 mg/dL", clinical__torsades="with_pulse"))
    text = next(w.text for w in treated.warnings if w.code == "not_hypomagnesemic")
    assert "torsades dose" in text
    blocked = plan_of(
        base_case(
            labs__magnesium="2.0 mg/dL", clinical__torsades="with_pulse", clinical__heart_block=True
        )
    )
    assert magnesium_ids(blocked) == set()
    text = next(w.text for w in blocked.warnings if w.code == "not_hypomagnesemic")
    assert "torsades dose" not in text


def test_high_level_warns_and_orders_no_magnesium() -> None:
    plan = plan_of(base_case(labs__magnesium="3.0 mg/dL", clinical__symptoms=["tetany"]))
    assert plan.severity == "high"
    assert magnesium_ids(plan) == set()
    assert {"not_hypomagnesemic", "above_normal_range"} <= warning_codes(plan)
    assert level_of(plan, "above_normal_range") == "caution"


@pytest.mark.parametrize("torsades", ["with_pulse", "pulseless"])
def test_missing_magnesium_with_torsades_is_incomplete(torsades: str) -> None:
    plan = plan_of(base_case(labs__magnesium=None, clinical__torsades=torsades))
    assert plan.status == "incomplete"
    assert plan.severity is None
    assert plan.magnesium is None
    assert ids(plan)[0] == "mg_sulfate_iv_torsades"
    assert magnesium_ids(plan) == {"mg_sulfate_iv_torsades"}
    assert [m.field for m in plan.missing] == ["labs.magnesium"]
    assert step_outcomes(plan)["magnesium"] == "missing"
    assert step_outcomes(plan)["treatment"] == "level_missing"
    assert plan.as_dict()["severity"] is None


# -- 3. contraindications ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "outcome", "warnings"),
    [
        ({"heart_block": True}, "heart_block", {"heart_block_contraindication"}),
        ({"myasthenia_gravis": True}, "myasthenia_gravis", {"myasthenia_gravis_contraindication"}),
        (
            {"heart_block": True, "myasthenia_gravis": True},
            "heart_block_and_myasthenia_gravis",
            {"heart_block_contraindication", "myasthenia_gravis_contraindication"},
        ),
    ],
)
@pytest.mark.parametrize("magnesium", [SEVERE, MILD])
def test_contraindication_withholds_all_parenteral_magnesium(
    flags: dict[str, bool], outcome: str, warnings: set[str], magnesium: str
) -> None:
    document = base_case(labs__magnesium=magnesium, labs__potassium="3.0 mmol/L")
    document["clinical"].update(flags, symptoms=["seizure"], torsades="with_pulse")
    plan = plan_of(document)
    assert magnesium_ids(plan) == set()
    assert step_outcomes(plan)["contraindications"] == outcome
    assert step_outcomes(plan)["torsades"] == "contraindicated"
    assert warnings | {"refer_specialist"} <= warning_codes(plan)
    assert "torsades_do_not_delay" not in warning_codes(plan)
    assert all(level_of(plan, code) == "stop" for code in warnings)
    assert "ecg_monitoring" in monitoring_codes(plan)
    for code in warnings:
        text = next(w.text for w in plan.warnings if w.code == code)
        assert "cardiology" in text and "urgent" in text.lower()
    assert roles(plan)["potassium_replacement"] == "primary"


def test_heart_block_always_gives_ecg_monitoring_myasthenia_only_with_torsades() -> None:
    assert "ecg_monitoring" in monitoring_codes(plan_of(base_case(clinical__heart_block=True)))
    plan = plan_of(base_case(clinical__myasthenia_gravis=True))
    assert "ecg_monitoring" not in monitoring_codes(plan)
    assert "cardiology" not in next(
        w.text for w in plan.warnings if w.code == "myasthenia_gravis_contraindication"
    )


@pytest.mark.parametrize("flag", ["heart_block", "myasthenia_gravis"])
def test_contraindication_with_mild_band_gives_the_oral_ladder(flag: str) -> None:
    plan = plan_of(base_case(**{f"clinical__{flag}": True, "clinical__symptoms": ["cramps"]}))
    assert roles(plan) == {"mg_oxide_oral": "primary", "mg_organic_oral": "alternative"}
    failed = plan_of(
        base_case(**{f"clinical__{flag}": True, "clinical__prior_therapy": "oral_failed"})
    )
    assert roles(failed) == {"mg_oxide_oral": "primary", "alfacalcidol_oral": "primary"}
    assert order(failed, "mg_oxide_oral").mg_mmol == 24


@pytest.mark.parametrize(
    "changes",
    [
        {"clinical__symptoms": ["tetany"]},
        {"clinical__oral_route_available": False},
        {"clinical__prior_therapy": "oral_and_alfacalcidol_failed"},
        {"labs__magnesium": SEVERE},
    ],
)
def test_contraindication_otherwise_orders_no_magnesium(changes: dict[str, Any]) -> None:
    plan = plan_of(base_case(clinical__heart_block=True, **changes))
    assert magnesium_ids(plan) == set()
    assert step_outcomes(plan)["treatment"] == "withheld_contraindication"
    assert "review_causative_drugs" in warning_codes(plan)


def test_digoxin_warns_with_every_parenteral_order_only() -> None:
    plan = plan_of(base_case(labs__magnesium=SEVERE, clinical__digoxin=True))
    assert level_of(plan, "digoxin_interaction") == "caution"
    for o in plan.orders:
        if o.id in PARENTERAL_ORDERS:
            assert "digoxin_interaction" in o.warnings
    oral = plan_of(base_case(clinical__digoxin=True))
    assert "digoxin_interaction" not in warning_codes(oral)


# -- 4. torsades -------------------------------------------------------------------------


@pytest.mark.parametrize("magnesium", [SEVERE, MILD, "2.0 mg/dL", "3.0 mg/dL", None])
def test_torsades_with_a_pulse_at_any_level(magnesium: str | None) -> None:
    plan = plan_of(base_case(labs__magnesium=magnesium, clinical__torsades="with_pulse"))
    first = plan.orders[0]
    assert first.id == "mg_sulfate_iv_torsades" and first.role == "primary"
    assert first.mg_mmol is not None and abs(float(first.mg_mmol) - 8.115) < 0.01
    for part in (
        "magnesium sulfate 2 g",
        "8.11 mmol",
        "16.2 mEq",
        "100 mL",
        "15 minutes",
        "133 mg/min",
        "400 mL/h",
        "sodium chloride 0.9% or glucose 5%",
    ):
        assert part in first.text
    assert level_of(plan, "torsades_do_not_delay") == "stop"
    assert "ecg_monitoring" in monitoring_codes(plan)
    assert "iv_rate_and_dilution" in first.warnings
    assert "rate_exception_life_threatening" not in warning_codes(plan)
    assert first.rate_mg_min is not None and first.rate_mg_min <= 150


def test_pulseless_torsades_push_carries_the_rate_exception() -> None:
    plan = plan_of(base_case(labs__magnesium="2.2 mg/dL", clinical__torsades="pulseless"))
    push = plan.orders[0]
    assert push.id == "mg_sulfate_iv_torsades"
    for part in ("magnesium sulfate 2 g", "diluted to 10 mL", "IV/IO push", "1 to 2 minutes"):
        assert part in push.text
    assert "rate_exception_life_threatening" in push.warnings
    assert level_of(plan, "rate_exception_life_threatening") == "caution"
    assert "iv_rate_and_dilution" not in push.warnings
    assert push.concentration_g_dl is not None and push.concentration_g_dl <= 20
    assert step_outcomes(plan)["torsades"] == "pulseless"


def test_torsades_dose_serves_as_the_loading_dose() -> None:
    plan = plan_of(
        base_case(
            labs__magnesium=SEVERE, clinical__torsades="with_pulse", clinical__symptoms=["seizure"]
        )
    )
    assert ids(plan)[:2] == ["mg_sulfate_iv_torsades", "mg_sulfate_iv_severe"]
    assert "mg_sulfate_iv_loading" not in ids(plan)


@pytest.mark.parametrize("clearance", ["25 mL/min", "10 mL/min"])
def test_torsades_dose_is_never_reduced(clearance: str) -> None:
    plan = plan_of(base_case(clinical__torsades="with_pulse", labs__creatinine_clearance=clearance))
    torsades = order(plan, "mg_sulfate_iv_torsades")
    assert "magnesium sulfate 2 g" in torsades.text
    assert abs(float(torsades.mg_mmol) - 8.115) < 0.01


# -- 5. volume ---------------------------------------------------------------------------


def test_volume_depletion_puts_saline_first_after_emergency_orders() -> None:
    plan = plan_of(base_case(clinical__volume_depleted=True, labs__potassium="3.5 mmol/L"))
    assert ids(plan)[0] == "sodium_chloride_iv_rehydration"
    assert roles(plan)["sodium_chloride_iv_rehydration"] == "primary"
    assert level_of(plan, "volume_depletion_correct_first") == "stop"
    assert "fluid_balance" in monitoring_codes(plan)
    assert "2-4 L/day" in order(plan, "sodium_chloride_iv_rehydration").text
    emergency = plan_of(
        base_case(
            labs__magnesium=SEVERE, clinical__volume_depleted=True, clinical__symptoms=["tetany"]
        )
    )
    assert ids(emergency)[:3] == [
        "mg_sulfate_iv_loading",
        "sodium_chloride_iv_rehydration",
        "mg_sulfate_iv_severe",
    ]


# -- 6. renal function -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "ml_min"),
    [
        (
            base_case(patient__age_years=65, patient__weight="70 kg", labs__creatinine="1.4 mg/dL"),
            "52.08",
        ),
        (woman(45, patient__weight="60 kg", labs__creatinine="0.9 mg/dL"), "74.77"),
        (base_case(), "100"),
    ],
)
def test_cockcroft_gault(document: dict[str, Any], ml_min: str) -> None:
    plan = plan_of(document)
    assert plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.method == "cockcroft_gault"
    assert abs(plan.creatinine_clearance.ml_min - Fraction(ml_min)) < Fraction("0.01")


EXACTLY_30 = [
    base_case(patient__age_years=40, patient__weight="64.8 kg", labs__creatinine="3.0 mg/dL"),
    base_case(patient__age_years=40, patient__weight="64.8 kg", labs__creatinine="265.2 umol/L"),
    base_case(patient__age_years=40, patient__weight="64.8 kg", labs__creatinine="265.2 µmol/L"),
    woman(40, patient__weight="43.2 kg", labs__creatinine="1.7 mg/dL"),
    base_case(labs__creatinine_clearance="30 mL/min"),
]
EXACTLY_20 = [
    base_case(patient__age_years=40, patient__weight="43.2 kg", labs__creatinine="3.0 mg/dL"),
    base_case(patient__age_years=40, patient__weight="43.2 kg", labs__creatinine="265.2 umol/L"),
    woman(40, patient__weight="28.8 kg", labs__creatinine="1.7 mg/dL"),
    base_case(labs__creatinine_clearance="20 mL/min"),
]


@pytest.mark.parametrize("document", EXACTLY_30)
def test_clearance_exactly_30_gives_full_doses(document: dict[str, Any]) -> None:
    document["labs"]["magnesium"] = SEVERE
    plan = plan_of(document)
    assert plan.creatinine_clearance is not None and plan.creatinine_clearance.ml_min == 30
    assert plan.creatinine_clearance.shown == "30 mL/min"
    assert step_outcomes(plan)["renal"] == "full_dose"
    assert "renal_crcl_below_30" not in warning_codes(plan)
    assert "magnesium sulfate 5 g" in order(plan, "mg_sulfate_iv_severe").text
    weight_known = "weight" in document["patient"]
    assert ("mg_sulfate_im_severe" in ids(plan)) == weight_known


@pytest.mark.parametrize("document", EXACTLY_20)
def test_clearance_exactly_20_gives_reduced_doses(document: dict[str, Any]) -> None:
    plan = plan_of(document)
    assert plan.creatinine_clearance is not None and plan.creatinine_clearance.ml_min == 20
    assert step_outcomes(plan)["renal"] == "reduced_dose"
    assert level_of(plan, "renal_crcl_below_30") == "caution"
    assert "renal_crcl_below_20" not in warning_codes(plan)
    assert roles(plan)["mg_oxide_oral"] == "primary"


@pytest.mark.parametrize(
    ("clearance", "outcome"),
    [("29.99 mL/min", "reduced_dose"), ("19.99 mL/min", "below_20"), ("0 mL/min", "below_20")],
)
def test_clearance_just_below_the_thresholds(clearance: str, outcome: str) -> None:
    plan = plan_of(base_case(labs__creatinine_clearance=clearance))
    assert step_outcomes(plan)["renal"] == outcome


def test_entered_clearance_is_used_instead_of_cockcroft_gault() -> None:
    plan = plan_of(base_case(labs__creatinine_clearance="25 mL/min"))
    assert plan.creatinine_clearance is not None
    assert plan.creatinine_clearance.method == "entered"
    assert plan.creatinine_clearance.ml_min == 25
    assert "entered" in plan.creatinine_clearance.arithmetic
    alone = plan_of(
        base_case(
            patient__weight=None, labs__creatinine=None, labs__creatinine_clearance="60 mL/min"
        )
    )
    assert step_outcomes(alone)["renal"] == "full_dose"
    assert alone.status == "ok"


@pytest.mark.parametrize(
    ("removed", "missing"), [("creatinine", "labs.creatinine"), ("weight", "patient.weight")]
)
@pytest.mark.parametrize("magnesium", [SEVERE, MILD])
def test_unknown_renal_function_is_incomplete(removed: str, missing: str, magnesium: str) -> None:
    section = "labs" if removed == "creatinine" else "patient"
    plan = plan_of(base_case(**{f"{section}__{removed}": None, "labs__magnesium": magnesium}))
    assert plan.status == "incomplete"
    assert level_of(plan, "renal_function_unknown") == "stop"
    assert missing in [m.field for m in plan.missing]
    assert magnesium_ids(plan) == set()
    assert step_outcomes(plan)["treatment"] == "withheld_renal"


def test_unknown_renal_function_with_a_normal_level_is_not_incomplete() -> None:
    plan = plan_of(base_case(labs__magnesium="2.0 mg/dL", labs__creatinine=None))
    assert plan.status == "ok"
    assert "renal_function_unknown" in warning_codes(plan)


def test_dialysis() -> None:
    plan = plan_of(base_case(clinical__dialysis=True))
    assert step_outcomes(plan)["renal"] == "dialysis"
    assert {
        "renal_crcl_below_20",
        "refer_specialist",
        "cockcroft_gault_not_valid",
    } <= warning_codes(plan)
    assert level_of(plan, "cockcroft_gault_not_valid") == "info"
    assert plan.creatinine_clearance is not None  # still shown when it can be computed
    assert magnesium_ids(plan) == set()


def test_dialysis_takes_precedence_over_unknown_renal_function() -> None:
    plan = plan_of(base_case(clinical__dialysis=True, labs__creatinine=None))
    assert step_outcomes(plan)["renal"] == "dialysis"
    assert "renal_function_unknown" not in warning_codes(plan)
    assert plan.status == "ok"
    assert plan.creatinine_clearance is None


RESTRICTED = {
    "below_20": {"labs__creatinine_clearance": "15 mL/min"},
    "dialysis": {"clinical__dialysis": True},
    "unknown": {"labs__creatinine": None},
}


@pytest.mark.parametrize("renal", sorted(RESTRICTED))
@pytest.mark.parametrize("magnesium", [SEVERE, MILD])
def test_emergency_only_for_severe_symptoms(renal: str, magnesium: str) -> None:
    plan = plan_of(
        base_case(
            labs__magnesium=magnesium,
            labs__potassium="3.2 mmol/L",
            clinical__symptoms=["tetany"],
            **RESTRICTED[renal],
        )
    )
    assert step_outcomes(plan)["renal"] == renal
    assert step_outcomes(plan)["treatment"] == "emergency_only"
    assert ids(plan) == ["mg_sulfate_iv_loading", "mg_sulfate_iv_severe", "potassium_replacement"]
    loading, severe = order(plan, "mg_sulfate_iv_loading"), order(plan, "mg_sulfate_iv_severe")
    assert "magnesium sulfate 2 g" in loading.text
    assert abs(float(loading.mg_mmol) - 8.115) < 0.01
    for part in ("magnesium sulfate 2.5 g", "100 mL", "3 hours", "33.3 mL/h", "13.9 mg/min"):
        assert part in severe.text
    assert abs(float(severe.mg_mmol) - 10.14) < 0.01
    for o in (loading, severe):
        assert o.emergency
        assert "max_20g_per_48h" in o.warnings
        assert ("renal_crcl_below_20" in o.warnings) == (renal != "unknown")
    assert level_of(plan, "max_20g_per_48h") == "stop"
    assert "20 g" in next(w.text for w in plan.warnings if w.code == "max_20g_per_48h")
    assert roles(plan)["potassium_replacement"] == "conditional"


@pytest.mark.parametrize("renal", sorted(RESTRICTED))
@pytest.mark.parametrize(
    "changes",
    [
        {"labs__magnesium": SEVERE},
        {"clinical__symptoms": ["cramps"]},
        {"clinical__oral_route_available": False},
        {},
        {"clinical__prior_therapy": "oral_failed"},
        {"clinical__prior_therapy": "oral_and_alfacalcidol_failed"},
    ],
)
def test_no_routine_magnesium_when_renal_function_is_restricted(
    renal: str, changes: dict[str, Any]
) -> None:
    plan = plan_of(base_case(labs__potassium="3.2 mmol/L", **RESTRICTED[renal], **changes))
    assert magnesium_ids(plan) == set()
    assert "alfacalcidol_oral" not in ids(plan)
    assert step_outcomes(plan)["treatment"] == "withheld_renal"
    assert roles(plan)["potassium_replacement"] == "conditional"
    if renal != "unknown":
        assert {"renal_crcl_below_20", "refer_specialist"} <= warning_codes(plan)


@pytest.mark.parametrize("renal", sorted(RESTRICTED))
def test_torsades_with_restricted_renal_function_is_capped(renal: str) -> None:
    plan = plan_of(base_case(clinical__torsades="pulseless", **RESTRICTED[renal]))
    assert ids(plan)[0] == "mg_sulfate_iv_torsades"
    torsades = plan.orders[0]
    assert "max_20g_per_48h" in torsades.warnings
    assert ("renal_crcl_below_20" in torsades.warnings) == (renal != "unknown")
    assert magnesium_ids(plan) == {"mg_sulfate_iv_torsades"}


REDUCED = {"labs__creatinine_clearance": "25 mL/min"}


def test_reduced_severe_infusion_and_no_im_alternative() -> None:
    plan = plan_of(base_case(labs__magnesium=SEVERE, **REDUCED))
    severe = order(plan, "mg_sulfate_iv_severe")
    for part in ("magnesium sulfate 2.5 g", "100 mL", "3 hours", "33.3 mL/h", "13.9 mg/min"):
        assert part in severe.text
    assert "mg_sulfate_im_severe" not in ids(plan)
    assert level_of(plan, "renal_crcl_below_30") == "caution"


def test_reduced_keeps_the_full_loading_dose() -> None:
    plan = plan_of(base_case(labs__magnesium=SEVERE, clinical__symptoms=["arrhythmia"], **REDUCED))
    assert ids(plan) == ["mg_sulfate_iv_loading", "mg_sulfate_iv_severe"]
    assert "magnesium sulfate 2 g" in order(plan, "mg_sulfate_iv_loading").text
    assert "magnesium sulfate 2.5 g" in order(plan, "mg_sulfate_iv_severe").text


def test_reduced_im_mild_course_is_two_doses() -> None:
    plan = plan_of(base_case(clinical__symptoms=["weakness"], **REDUCED))
    im = order(plan, "mg_sulfate_im_mild")
    assert im.doses == 2
    assert "for 2 doses" in im.text


def test_reduced_refractory_bag_is_2_to_6_mmol() -> None:
    plan = plan_of(base_case(clinical__prior_therapy="oral_and_alfacalcidol_failed", **REDUCED))
    bag = order(plan, "mg_sulfate_bag_refractory")
    assert bag.mg_mmol == (2, 6)
    assert "2 to 6 mmol" in bag.text


def test_reduced_oral_starts_at_8_mmol_and_stays_at_12_after_a_failed_trial() -> None:
    # Revision 1.1: the oral start at clearance 20 to < 30 is 8 mmol (was 12).
    first = plan_of(base_case(**REDUCED))
    assert order(first, "mg_oxide_oral").mg_mmol == 8
    assert order(first, "mg_organic_oral").mg_mmol == 8
    assert "24 mmol" not in order(first, "mg_oxide_oral").text  # no escalation
    failed = plan_of(base_case(clinical__prior_therapy="oral_failed", **REDUCED))
    assert order(failed, "mg_oxide_oral").mg_mmol == 12
    assert "alfacalcidol_oral" in ids(failed)


# -- 7. potassium ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("potassium", "torsades", "low"),
    [
        ("3.99 mmol/L", "none", True),
        ("4.0 mmol/L", "none", False),
        ("4.0 mEq/L", "none", False),
        ("3.99 mEq/L", "none", True),
        ("4.0 mmol/L", "with_pulse", True),
        ("4.49 mEq/L", "pulseless", True),
        ("4.5 mmol/L", "with_pulse", False),
        ("4.5 mEq/L", "pulseless", False),
    ],
)
def test_potassium_target(potassium: str, torsades: str, low: bool) -> None:
    plan = plan_of(base_case(labs__potassium=potassium, clinical__torsades=torsades))
    assert ("potassium_replacement" in ids(plan)) == low
    assert ("hypokalemia_correct_concurrently" in warning_codes(plan)) == low
    assert ("recheck_potassium" in monitoring_codes(plan)) == low
    assert step_outcomes(plan)["potassium"] == ("low" if low else "at_target")
    if low:
        assert level_of(plan, "hypokalemia_correct_concurrently") == "caution"
        assert roles(plan)["potassium_replacement"] == "primary"
        assert ids(plan)[-1] == "potassium_replacement"


def test_potassium_target_is_4_5_with_untreated_torsades() -> None:
    plan = plan_of(
        base_case(
            labs__potassium="4.2 mmol/L",
            clinical__torsades="with_pulse",
            clinical__myasthenia_gravis=True,
        )
    )
    assert "potassium_replacement" in ids(plan)


def test_potassium_unknown() -> None:
    plan = plan_of(base_case(labs__potassium=None))
    assert level_of(plan, "potassium_unknown") == "info"
    assert "recheck_potassium" in monitoring_codes(plan)
    assert "potassium_replacement" not in ids(plan)
    assert step_outcomes(plan)["potassium"] == "unknown"


# -- 8. treatment ------------------------------------------------------------------------


@pytest.mark.parametrize("symptom", codes.SYMPTOMS_SEVERE)
@pytest.mark.parametrize("magnesium", [SEVERE, MILD])
def test_severe_symptoms_loading_dose_then_infusion(symptom: str, magnesium: str) -> None:
    plan = plan_of(base_case(labs__magnesium=magnesium, clinical__symptoms=["cramps", symptom]))
    assert roles(plan) == {"mg_sulfate_iv_loading": "primary", "mg_sulfate_iv_severe": "primary"}
    assert ids(plan) == ["mg_sulfate_iv_loading", "mg_sulfate_iv_severe"]
    loading = order(plan, "mg_sulfate_iv_loading")
    for part in ("magnesium sulfate 2 g", "100 mL", "15 minutes", "133 mg/min", "400 mL/h"):
        assert part in loading.text
    assert "magnesium sulfate 5 g" in order(plan, "mg_sulfate_iv_severe").text
    assert step_outcomes(plan)["treatment"] == "severe_symptoms"


def test_severe_band_infusion_with_im_alternative() -> None:
    plan = plan_of(base_case(labs__magnesium=SEVERE, clinical__symptoms=["cramps"]))
    assert ids(plan) == ["mg_sulfate_iv_severe", "mg_sulfate_im_severe"]
    assert roles(plan) == {"mg_sulfate_iv_severe": "primary", "mg_sulfate_im_severe": "alternative"}
    severe = order(plan, "mg_sulfate_iv_severe")
    for part in (
        "magnesium sulfate 5 g",
        "20.3 mmol",
        "40.6 mEq",
        "10 mL of magnesium sulfate 50%",
        "1000 mL",
        "3 hours",
        "27.8 mg/min",
        "333 mL/h",
    ):
        assert part in severe.text
    assert abs(float(severe.mg_mmol) - 20.29) < 0.01
    im = order(plan, "mg_sulfate_im_severe")
    assert "only if IV access is unavailable" in im.text
    assert "magnesium sulfate 5 g" in im.text and "10 mL" in im.text and "IM" in im.text
    assert "2 sites" in im.text and "250 mg/kg" in im.text
    assert step_outcomes(plan)["treatment"] == "severe_band"


def test_no_im_severe_alternative_without_a_weight() -> None:
    plan = plan_of(
        base_case(
            labs__magnesium=SEVERE, patient__weight=None, labs__creatinine_clearance="80 mL/min"
        )
    )
    assert ids(plan) == ["mg_sulfate_iv_severe"]


@pytest.mark.parametrize("symptom", codes.SYMPTOMS_MILD)
def test_mild_symptoms_give_the_im_course(symptom: str) -> None:
    plan = plan_of(base_case(clinical__symptoms=[symptom]))
    assert roles(plan) == {"mg_sulfate_im_mild": "primary", "mg_sulfate_iv_mild": "alternative"}
    im = order(plan, "mg_sulfate_im_mild")
    for part in (
        "magnesium sulfate 1 g",
        "4.06 mmol",
        "8.11 mEq",
        "2 mL",
        "IM",
        "every 6 hours for 4 doses",
        "32.5 mEq",
    ):
        assert part in im.text
    assert im.doses == 4
    assert abs(float(im.mg_mmol) - 4.057) < 0.01
    assert step_outcomes(plan)["treatment"] == "mild_parenteral"


def test_no_oral_route_gives_the_im_course() -> None:
    plan = plan_of(base_case(clinical__oral_route_available=False))
    assert roles(plan) == {"mg_sulfate_im_mild": "primary", "mg_sulfate_iv_mild": "alternative"}


def test_oral_first_line() -> None:
    plan = plan_of(base_case())
    assert ids(plan) == ["mg_oxide_oral", "mg_organic_oral"]
    assert roles(plan) == {"mg_oxide_oral": "primary", "mg_organic_oral": "alternative"}
    oxide = order(plan, "mg_oxide_oral")
    for part in (
        "magnesium oxide 12 mmol",
        "24 mEq",
        "292 mg elemental magnesium",
        "484 mg",
        "3 magnesium oxide 160 mg capsules (11.9 mmol)",
        "orally once daily at night",
        "increase to 24 mmol daily",
    ):
        assert part in oxide.text
    assert oxide.mg_mmol == 12
    organic = order(plan, "mg_organic_oral")
    assert organic.mg_mmol == 12
    assert "3 magnesium glycerophosphate 4 mmol tablets (12 mmol)" in organic.text
    assert "liquid or dissolvable" in organic.text
    assert monitoring_codes(plan) == {"recheck_mg_oral"}
    assert "product_dose_rounding" not in warning_codes(plan)
    assert step_outcomes(plan)["treatment"] == "oral_first_line"


def test_oxide_intolerance_makes_the_organic_salt_primary() -> None:
    plan = plan_of(base_case(clinical__oral_mg_intolerance=True))
    assert roles(plan) == {"mg_organic_oral": "primary"}


@pytest.mark.parametrize(
    ("intolerant", "salt"), [(False, "mg_oxide_oral"), (True, "mg_organic_oral")]
)
def test_oral_failed_doubles_the_dose_and_adds_alfacalcidol(intolerant: bool, salt: str) -> None:
    plan = plan_of(
        base_case(clinical__prior_therapy="oral_failed", clinical__oral_mg_intolerance=intolerant)
    )
    assert roles(plan) == {salt: "primary", "alfacalcidol_oral": "primary"}
    assert ids(plan) == [salt, "alfacalcidol_oral"]
    assert order(plan, salt).mg_mmol == 24
    alfacalcidol = order(plan, "alfacalcidol_oral")
    assert "alfacalcidol 0.25 mcg orally daily" in alfacalcidol.text
    assert alfacalcidol.beside is not None
    assert "specialist" in alfacalcidol.beside and "9 mcg" in alfacalcidol.beside
    assert level_of(plan, "monitor_calcium_alfacalcidol") == "caution"
    assert {"monitor_calcium", "recheck_mg_oral"} <= monitoring_codes(plan)
    assert step_outcomes(plan)["treatment"] == "oral_failed"
    if salt == "mg_oxide_oral":
        assert "6 magnesium oxide 160 mg capsules (23.8 mmol)" in order(plan, salt).text


def test_refractory_bag() -> None:
    plan = plan_of(base_case(clinical__prior_therapy="oral_and_alfacalcidol_failed"))
    assert roles(plan) == {"mg_sulfate_bag_refractory": "primary"}
    bag = order(plan, "mg_sulfate_bag_refractory")
    assert bag.mg_mmol == (4, 12)
    for part in (
        "magnesium sulfate 4 to 12 mmol",
        "2.96 g",
        "2 to 5.9 mL",
        "1000 mL sodium chloride 0.9%",
        "12 hours",
        "83.3 mL/h",
        "4.11 mg/min",
        "daily",
    ):
        assert part in bag.text
    # The subcut option is said beside the IV order, not in it.
    assert "subcut" not in bag.text
    assert bag.beside == "subcut only as a specialist's off-label option"
    assert level_of(plan, "subcut_off_label") == "caution"
    assert level_of(plan, "refer_specialist") == "info"
    assert {"recheck_mg_parenteral", "toxicity_signs"} <= monitoring_codes(plan)
    assert bag.rate_mg_min is not None and bag.rate_mg_min <= 150
    assert step_outcomes(plan)["treatment"] == "refractory"
    assert bag.as_dict()["mg_mmol"] == [4.0, 12.0]


@pytest.mark.parametrize("magnesium", [SEVERE, MILD])
def test_review_causative_drugs_whenever_hypomagnesemic(magnesium: str) -> None:
    plan = plan_of(base_case(labs__magnesium=magnesium))
    assert level_of(plan, "review_causative_drugs") == "info"
    assert "proton pump inhibitors" in next(
        w.text for w in plan.warnings if w.code == "review_causative_drugs"
    )


# -- 9. GI losses, 10. monitoring ----------------------------------------------------------


@pytest.mark.parametrize("losses", codes.GI_LOSSES)
def test_gi_losses(losses: str) -> None:
    plan = plan_of(base_case(clinical__gi_losses=losses))
    present = losses != "none"
    assert ("gi_losses_may_worsen" in warning_codes(plan)) == present
    assert ("fluid_balance" in monitoring_codes(plan)) == present
    assert step_outcomes(plan)["gi_losses"] == ("present" if present else "none")
    if present:
        assert level_of(plan, "gi_losses_may_worsen") == "caution"


def test_every_parenteral_order_gives_antidote_and_toxicity_monitoring() -> None:
    for document in CATALOGUE.values():
        plan = plan_of(document)
        for o in plan.orders:
            if o.id in PARENTERAL_ORDERS:
                assert "calcium_antidote_available" in o.warnings
                assert {"toxicity_signs", "recheck_mg_parenteral"} <= set(o.monitoring)
                assert {"toxicity_signs", "recheck_mg_parenteral"} <= monitoring_codes(plan)
                assert level_of(plan, "calcium_antidote_available") == "caution"
            if o.id in ORAL_ORDERS:
                assert "recheck_mg_oral" in monitoring_codes(plan)
            iv = o.route == "iv" and o.id in PARENTERAL_ORDERS
            push = "rate_exception_life_threatening" in o.warnings
            assert ("iv_rate_and_dilution" in o.warnings) == (iv and not push), (o.id, o.warnings)


def test_order_sequence() -> None:
    plan = plan_of(
        base_case(
            clinical__torsades="with_pulse",
            clinical__volume_depleted=True,
            clinical__prior_therapy="oral_failed",
            labs__potassium="3.0 mmol/L",
        )
    )
    assert ids(plan) == [
        "mg_sulfate_iv_torsades",
        "sodium_chloride_iv_rehydration",
        "mg_oxide_oral",
        "alfacalcidol_oral",
        "potassium_replacement",
    ]
    severe = plan_of(
        base_case(
            labs__magnesium=SEVERE, clinical__volume_depleted=True, labs__potassium="3.0 mmol/L"
        )
    )
    assert ids(severe) == [
        "sodium_chloride_iv_rehydration",
        "mg_sulfate_iv_severe",
        "mg_sulfate_im_severe",
        "potassium_replacement",
    ]


# -- products ----------------------------------------------------------------------------


def site_protocol(tmp_path: Path, change: Any) -> Any:
    from importlib.resources import files

    from mgdesk import resources

    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    change(document)
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return load_protocol(path)


def test_product_dose_rounding_with_the_400_mg_tablet(tmp_path: Path) -> None:
    protocol = site_protocol(
        tmp_path,
        lambda d: d["orders"]["mg_oxide_oral"].update(product="magnesium_oxide_400mg_tablet"),
    )
    plan = plan_of(base_case(), protocol)
    oxide = order(plan, "mg_oxide_oral")
    assert oxide.mg_mmol == 12  # the ordered amount, not what the tablet delivers
    assert "1 magnesium oxide 400 mg tablet (9.93 mmol)" in oxide.text
    assert level_of(plan, "product_dose_rounding") == "info"
    text = next(w.text for w in plan.warnings if w.code == "product_dose_rounding")
    assert "9.93 mmol" in text and "12 mmol" in text


def test_three_capsules_deliver_11_9_mmol_within_tolerance() -> None:
    oxide = order(plan_of(base_case()), "mg_oxide_oral")
    assert oxide.product is not None
    assert oxide.product.units == 3
    assert abs(float(oxide.product.mmol) - 11.91) < 0.01
    assert oxide.product.key == "magnesium_oxide_160mg_capsule"


def test_injection_volumes_to_one_decimal() -> None:
    bag = order(
        plan_of(base_case(clinical__prior_therapy="oral_and_alfacalcidol_failed")),
        "mg_sulfate_bag_refractory",
    )
    assert bag.product is not None and bag.product.units == (Fraction(2), Fraction("5.9"))
    severe = order(plan_of(base_case(labs__magnesium=SEVERE)), "mg_sulfate_iv_severe")
    assert severe.product is not None and severe.product.units == 10


# -- order text --------------------------------------------------------------------------

CATALOGUE: dict[str, dict[str, Any]] = {
    "oral": base_case(),
    "oral_intolerant": base_case(clinical__oral_mg_intolerance=True),
    "oral_failed": base_case(clinical__prior_therapy="oral_failed"),
    "refractory": base_case(clinical__prior_therapy="oral_and_alfacalcidol_failed"),
    "refractory_reduced": base_case(
        clinical__prior_therapy="oral_and_alfacalcidol_failed", **REDUCED
    ),
    "im_mild": base_case(clinical__symptoms=["tremor"]),
    "im_mild_reduced": base_case(clinical__symptoms=["tremor"], **REDUCED),
    "severe": base_case(labs__magnesium=SEVERE, clinical__digoxin=True),
    "severe_reduced": base_case(labs__magnesium=SEVERE, **REDUCED),
    "severe_symptoms": base_case(labs__magnesium=SEVERE, clinical__symptoms=["seizure"]),
    "emergency_below_20": base_case(
        labs__magnesium=SEVERE,
        clinical__symptoms=["tetany"],
        labs__creatinine_clearance="10 mL/min",
        labs__potassium="3 mmol/L",
    ),
    "emergency_unknown": base_case(labs__creatinine=None, clinical__symptoms=["seizure"]),
    "dialysis": base_case(clinical__dialysis=True, clinical__torsades="with_pulse"),
    "torsades_pulse": base_case(
        labs__magnesium="2.0 mg/dL",
        clinical__torsades="with_pulse",
        clinical__volume_depleted=True,
        clinical__gi_losses="malabsorption",
    ),
    "torsades_pulseless": base_case(labs__magnesium=None, clinical__torsades="pulseless"),
    "heart_block_torsades": base_case(
        clinical__heart_block=True,
        clinical__torsades="with_pulse",
        clinical__myasthenia_gravis=True,
    ),
    "high": base_case(labs__magnesium="1.4 mmol/L", labs__potassium=None),
    "pediatric": base_case(patient__age_years=10),
    "pregnant": woman(25, patient__pregnant=True),
}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_order_text_style(name: str) -> None:
    plan = plan_of(CATALOGUE[name])
    for o in plan.orders:
        text = o.text
        assert not FORBIDDEN_WORDS.search(text), (o.id, text)
        assert not TRAILING_ZERO.search(text), (o.id, text)
        assert not NAKED_DECIMAL.search(text), (o.id, text)
        assert not THOUSANDS.search(text), (o.id, text)
        if o.id not in MAGNESIUM_ORDERS:
            continue
        assert o.dose is not None and o.product is not None
        assert "mmol" in text and "mEq" in text and "mg elemental magnesium" in text
        assert (
            "magnesium sulfate" in text
            or "magnesium oxide" in text
            or "magnesium glycerophosphate" in text
        )
        assert o.product.name.split(" (")[0].removesuffix("capsule").removesuffix("tablet") in text
        if o.route == "iv" and "rate_exception_life_threatening" not in o.warnings:
            assert o.diluent and o.diluent in text
            for part in (" mL ", "mL/h", "mg/min", " over "):
                assert part in text, (o.id, part)
    for w in plan.warnings:
        assert not FORBIDDEN_WORDS.search(w.text), (w.code, w.text)
        assert "{" not in w.text, (w.code, w.text)  # every placeholder filled


def test_salt_mass_is_never_called_elemental() -> None:
    oxide = order(plan_of(base_case()), "mg_oxide_oral")
    assert "484 mg elemental" not in oxide.text
    assert "480 mg" not in oxide.text
    assert "salt 484 mg magnesium oxide" in oxide.text
    assert oxide.dose is not None
    assert "salt: 484 mg magnesium oxide" in oxide.dose.text


# -- every code and outcome is reachable ---------------------------------------------------


def test_every_code_status_severity_and_step_outcome_is_produced(tmp_path: Path) -> None:
    plans = [plan_of(d) for d in CATALOGUE.values()]
    plans += [
        plan_of(base_case(labs__magnesium="2.0 mg/dL")),
        plan_of(base_case(labs__creatinine=None)),
    ]
    plans += [
        plan_of(base_case(**{f"clinical__{f}": True})) for f in ("heart_block", "myasthenia_gravis")
    ]
    plans += [plan_of(base_case(labs__creatinine_clearance="29 mL/min"))]
    plans += [plan_of(base_case(labs__magnesium=SEVERE, clinical__heart_block=True))]
    # Revision 1.1: an eGFR, a short height, magnesium already given up to the limit.
    plans += [plan_of(base_case(labs__creatinine=None, labs__egfr="25 mL/min/1.73 m2"))]
    plans += [plan_of(base_case(patient__height="150 cm"))]
    given = base_case(
        labs__magnesium=SEVERE,
        labs__creatinine="6.0 mg/dL",
        clinical__symptoms=["seizure"],
        clinical__magnesium_given=[{"time": "2026-12-04T08:00Z", "route": "iv", "amount": "17 g"}],
    )
    given["assessed_at"] = "2026-12-04T12:00Z"
    plans += [plan_of(given)]
    # Step 8f's other outcomes: IM given 2 hours ago, within the 4-hour IM limit and beyond it.
    for amount in ("2 g", "16 g"):
        im_given = base_case(
            labs__magnesium=SEVERE,
            clinical__magnesium_given=[
                {"time": "2026-12-04T10:00Z", "route": "im", "amount": amount}
            ],
        )
        im_given["assessed_at"] = "2026-12-04T12:00Z"
        plans += [plan_of(im_given)]
    rounding = site_protocol(
        tmp_path,
        lambda d: d["orders"]["mg_oxide_oral"].update(product="magnesium_oxide_400mg_tablet"),
    )
    plans.append(plan_of(base_case(), rounding))
    seen_warnings = set().union(*(warning_codes(p) for p in plans))
    assert seen_warnings == set(WARNING_CODES)
    for p in plans:
        for w in p.warnings:
            assert w.level == WARNING_CODES[w.code]
    assert {o.id for p in plans for o in p.orders} == set(ORDER_CODES)
    assert {o.role for p in plans for o in p.orders} == set(codes.ROLES)
    assert set().union(*(monitoring_codes(p) for p in plans)) == set(MONITORING_CODES)
    assert {p.status for p in plans} == set(codes.STATUSES)
    assert {p.severity for p in plans} == {*codes.BANDS, None}
    for step, outcomes in codes.STEP_OUTCOMES.items():
        seen = {s.outcome for p in plans for s in p.steps if s.id == step}
        missing = set(outcomes) - seen
        assert not missing, f"step {step}: outcomes never produced {missing}"


def test_the_trace_records_every_step_in_order() -> None:
    plan = plan_of(base_case())
    assert [s.id for s in plan.steps] == [
        "scope",
        "magnesium",
        "contraindications",
        "torsades",
        "volume",
        "renal",
        "potassium",
        "treatment",
        "magnesium_given",
        "gi_losses",
        "monitoring",
    ]
    for step in plan.steps:
        assert step.rationale and step.outcome_label is not None and step.title
    renal = next(s for s in plan.steps if s.id == "renal")
    assert any("30 mL/min" in t.value for t in renal.thresholds)
    assert any("100 mL/min" in i.value for i in renal.inputs)
    assert plan.path[-1] == "plan"


def test_treatment_step_states_what_an_adequate_oral_trial_is() -> None:
    """PROTOCOL.md: the screen and the sheet say what an adequate oral trial is."""
    from mgdesk.core.case import parse_case
    from mgdesk.core.engine import evaluate
    from mgdesk.core.protocol_loader import default_protocol

    protocol = default_protocol()
    document = {
        "patient": {"age_years": 60, "sex": "male", "weight": "70 kg"},
        "labs": {"magnesium": "1.4 mg/dL", "creatinine": "1 mg/dL"},
        "clinical": {"prior_therapy": "oral_failed"},
    }
    plan = evaluate(parse_case(document, protocol), protocol)
    treatment = next(step for step in plan.steps if step.id == "treatment")
    trial = {t.name: t.value for t in treatment.thresholds}["adequate oral trial"]
    assert "7 days" in trial and "24 mmol" in trial and "1.8 mg/dL" in trial


def test_warnings_by_level_put_stop_first_then_caution_then_information() -> None:
    from mgdesk.core.case import parse_case
    from mgdesk.core.engine import evaluate
    from mgdesk.core.protocol_loader import default_protocol

    protocol = default_protocol()
    document = {
        "patient": {"age_years": 70, "sex": "male", "weight": "70 kg"},
        "labs": {"magnesium": "1.4 mg/dL", "potassium": "3.5 mmol/L", "creatinine": "1 mg/dL"},
        "clinical": {"volume_depleted": True, "gi_losses": "short_bowel"},
    }
    plan = evaluate(parse_case(document, protocol), protocol)
    levels = [w.level for w in plan.warnings_by_level()]
    assert levels == sorted(levels, key=("stop", "caution", "info").index)
    assert {"stop", "caution", "info"} <= set(levels)
    assert sorted(plan.warnings_by_level(), key=str) == sorted(plan.warnings, key=str)


def test_the_salt_mass_names_the_form_weighed() -> None:
    """2 g of magnesium sulfate is 2 g of the heptahydrate: the dose says which salt form."""
    from mgdesk.core.case import parse_case
    from mgdesk.core.engine import evaluate
    from mgdesk.core.protocol_loader import default_protocol

    protocol = default_protocol()
    document = {
        "patient": {"age_years": 60, "sex": "male", "weight": "70 kg"},
        "labs": {"magnesium": "0.9 mg/dL", "creatinine": "1 mg/dL"},
    }
    infusion = evaluate(parse_case(document, protocol), protocol).order("mg_sulfate_iv_severe")
    assert infusion is not None and infusion.dose is not None
    assert infusion.dose.salt == "magnesium sulfate heptahydrate"
    assert infusion.dose.text.endswith("salt: 5 g magnesium sulfate heptahydrate")
    assert infusion.text.startswith(
        "magnesium sulfate 5 g"
    )  # the order line keeps the generic name
