"""Step 8f, magnesium already given, as a step of the trace between the treatment and the GI
losses: its outcome, what it read and the limits it compared (PROTOCOL.md step 8f)."""

from __future__ import annotations

from typing import Any

import pytest
from core_support import ASSESSED, base_case, plan_of, warning_codes, with_given
from worked_cases import worked_case

from mgdesk.core.plan import Plan, Step


def given_step(plan: Plan) -> Step:
    return next(s for s in plan.steps if s.id == "magnesium_given")


def inputs(step: Step) -> dict[str, str]:
    return {v.name: v.value for v in step.inputs}


def y22(*entries: tuple[str, str, str]) -> dict[str, Any]:
    """Worked case Y22 (clearance 18, a seizure) with other magnesium given."""
    return with_given(worked_case("y22.json")["case"], *entries)


def test_the_step_comes_after_the_treatment_action_and_before_the_gi_losses() -> None:
    plan = plan_of(worked_case("y18.json")["case"])
    assert plan.path[plan.path.index("treatment") :][:4] == (
        "treatment",
        "tx_im_mild",
        "magnesium_given",
        "gi_losses",
    )
    treatment = next(s for s in plan.steps if s.id == "treatment")
    assert treatment.next == "tx_im_mild"
    step = given_step(plan)
    assert step.next == "gi_losses" and step.title == "Magnesium already given"


def test_nothing_given_is_outcome_none() -> None:
    step = given_step(plan_of(worked_case("y18.json")["case"]))
    assert (step.outcome, step.outcome_label) == ("none", "none in 48 hours")
    assert inputs(step) == {"magnesium given in the last 48 hours": "none"}
    assert step.thresholds == (), "no limit counts what was not given, at full doses"
    assert step.rationale.startswith("No parenteral magnesium was given")
    assert step.sources == ("fda_mgso4_50", "pfizer_mgso4_d5w")


def test_an_entry_older_than_48_hours_is_said_and_not_counted() -> None:
    plan = plan_of(with_given(base_case(), ("2026-12-02T11:59:59Z", "iv", "5 g")))
    step = given_step(plan)
    assert step.outcome == "none"
    assert inputs(step)["magnesium given in the last 48 hours"] == (
        "none (1 entry before the 48 hours)"
    )
    assert inputs(step)["counted back from"] == ASSESSED
    assert "parenteral_magnesium_given" not in warning_codes(plan)


def test_magnesium_given_within_the_limits_is_counted() -> None:
    full_dose = plan_of(with_given(base_case(), ("2026-12-03T12:00:00Z", "iv", "5 g")))
    step = given_step(full_dose)
    assert (step.outcome, step.outcome_label) == ("counted", "given, within the limits")
    assert inputs(step) == {
        "magnesium given in the last 48 hours": "5 g",
        "counted back from": ASSESSED,
        "48-hour limit counted": "no: clearance 20 mL/min or more",
    }
    assert step.thresholds == ()
    assert "parenteral_magnesium_given" in warning_codes(full_dose)
    # Y22 with only its first 5 g: the half-dose infusion fits what is left of the 20 g.
    limited = plan_of(y22(("2026-12-03T08:00:00+00:00", "iv", "5 g")))
    step = given_step(limited)
    assert step.outcome == "counted"
    assert inputs(step)["torsades and loading doses now"] == "2 g"
    assert inputs(step)["infusion within the 48-hour limit"] == (
        "2.5 g (13 g left of the 48-hour limit)"
    )
    assert "cumulative_limit_reached" not in warning_codes(limited)


def test_y22_reaches_the_48_hour_limit_in_this_step_not_in_the_treatment() -> None:
    plan = plan_of(worked_case("y22.json")["case"])
    step = given_step(plan)
    assert (step.outcome, step.outcome_label) == ("limit_reached", "48-hour limit reached")
    assert inputs(step)["magnesium given in the last 48 hours"] == "17 g"
    assert inputs(step)["infusion within the 48-hour limit"] == (
        "cut to 1 g (1 g left of the 48-hour limit)"
    )
    assert {t.name: t.value for t in step.thresholds} == {
        "at most in 48 hours (clearance below 20 mL/min, dialysis or unknown)": "20 g"
    }
    treatment = next(s for s in plan.steps if s.id == "treatment")
    assert treatment.outcome == "emergency_only"
    assert not any("48" in v.name for v in treatment.inputs)
    assert {"parenteral_magnesium_given", "cumulative_limit_reached"} <= warning_codes(plan)


def test_17_g_given_yesterday_in_one_dose_cuts_the_infusion_as_y22_does() -> None:
    plan = plan_of(y22(("2026-12-03T18:00:00+00:00", "iv", "17 g")))
    step = given_step(plan)
    assert step.outcome == "limit_reached"
    assert inputs(step)["infusion within the 48-hour limit"] == (
        "cut to 1 g (1 g left of the 48-hour limit)"
    )


def test_with_no_infusion_the_step_says_what_is_left() -> None:
    """Clearance 18 and no symptoms: no magnesium is ordered; 19 g given leaves 1 g."""
    document = worked_case("y22.json")["case"]
    document["clinical"]["symptoms"] = []
    plan = plan_of(with_given(document, ("2026-12-04T08:00:00Z", "iv", "19 g")))
    step = given_step(plan)
    assert step.outcome == "counted"
    assert inputs(step)["left of the 48-hour limit"] == "1 g"


@pytest.mark.parametrize(
    ("im_given", "outcome", "listed"),
    [("12 g", "counted", True), ("12.5 g", "counted", True), ("12.6 g", "im_limit_reached", False)],
)
def test_im_given_in_4_hours_can_take_away_the_im_alternative(
    im_given: str, outcome: str, listed: bool
) -> None:
    """70 kg: at most 17.5 g IM in 4 hours; the IM alternative is 5 g."""
    document = base_case(labs__magnesium="0.9 mg/dL", patient__weight="70 kg")
    plan = plan_of(with_given(document, ("2026-12-04T08:00:00Z", "im", im_given)))
    step = given_step(plan)
    assert step.outcome == outcome
    assert inputs(step)["given IM in the last 4 hours"] == im_given
    thresholds = {t.name: t.value for t in step.thresholds}
    assert thresholds == {"IM at most in 4 hours": "250 mg/kg x 70 kg = 17.5 g"}
    assert (plan.order("mg_sulfate_im_severe") is not None) is listed
    if not listed:
        assert step.outcome_label == "IM limit in 4 hours reached"


def test_without_a_weight_the_im_limit_is_not_what_left_the_alternative_out() -> None:
    document = base_case(
        labs__magnesium="0.9 mg/dL", patient__weight=None, labs__creatinine_clearance="60 mL/min"
    )
    plan = plan_of(with_given(document, ("2026-12-04T10:00:00Z", "im", "13 g")))
    assert plan.order("mg_sulfate_im_severe") is None
    step = given_step(plan)
    assert step.outcome == "counted"
    assert {t.name: t.value for t in step.thresholds}["IM at most in 4 hours"] == "250 mg/kg"


def test_out_of_scope_never_reaches_the_step() -> None:
    plan = plan_of(with_given(base_case(patient__age_years=17), ("2026-12-04T08:00Z", "iv", "5 g")))
    assert "magnesium_given" not in plan.path
    assert plan.path[-1] == "out_of_scope"
