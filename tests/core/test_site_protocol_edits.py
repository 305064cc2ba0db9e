"""What a site's edits of the protocol may and may not do to the orders a plan gives."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from fractions import Fraction
from importlib.resources import files
from typing import Any

import pytest
from core_support import base_case, plan_of

from mgdesk import resources
from mgdesk.core.case import parse_case
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.invariants import plan_violations
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol, parse_protocol

DEFAULT: dict[str, Any] = json.loads(
    files(resources).joinpath("protocols", "default.json").read_bytes()
)
SEVERE = base_case(labs__magnesium="0.9 mg/dL")
MILD_SYMPTOMATIC = base_case(clinical__symptoms=["cramps"])


def site(change: Callable[[dict[str, Any]], object]) -> Protocol:
    document = copy.deepcopy(DEFAULT)
    change(document)
    return parse_protocol(json.dumps(document).encode(), origin="site.json")


def problems(change: Callable[[dict[str, Any]], object]) -> tuple[str, ...]:
    with pytest.raises(ProtocolInvalid) as caught:
        site(change)
    return caught.value.problems


# -- 1. whole-number counts ---------------------------------------------------------------


@pytest.mark.parametrize("value", [0.5, 0, -1, 1.5, True, "2"])
def test_a_number_of_doses_must_be_a_whole_number_from_one(value: object) -> None:
    found = problems(lambda d: d["doses"]["mild_im"].update(doses=value))
    assert any(p.startswith("doses.mild_im.doses:") for p in found), found


@pytest.mark.parametrize("value", [1.5, 0])
def test_a_number_of_injection_sites_must_be_a_whole_number_from_one(value: object) -> None:
    found = problems(lambda d: d["doses"]["severe_im"].update(sites=value))
    assert any("doses.severe_im.sites:" in p and "whole number" in p for p in found), found


def test_whole_counts_are_ordered_as_given() -> None:
    protocol = site(
        lambda d: (d["doses"]["mild_im"].update(doses=3), d["doses"]["severe_im"].update(sites=1))
    )
    mild = plan_of(MILD_SYMPTOMATIC, protocol).order("mg_sulfate_im_mild")
    assert mild is not None and mild.doses == 3 and "for 3 doses" in mild.text
    im = plan_of(SEVERE, protocol).order("mg_sulfate_im_severe")
    assert im is not None and "into 1 site," in im.text and "1 sites" not in im.text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("adult_from_age_years", 200),
        ("product_rounding_tolerance_percent", 150),
        ("product_rounding_tolerance_percent", "5"),
    ],
)
def test_ages_and_percentages_are_refused_outside_their_range(key: str, value: object) -> None:
    found = problems(lambda d: d["thresholds"].update({key: value}))
    assert any(p.startswith(f"thresholds.{key}:") for p in found), found


def test_non_count_numbers_may_still_be_fractional() -> None:
    protocol = site(
        lambda d: d["thresholds"].update(
            product_rounding_tolerance_percent=2.5, adult_from_age_years=17.5
        )
    )
    assert protocol.thresholds.product_rounding_tolerance_percent == Fraction(5, 2)


def test_a_magnesium_order_that_gives_no_magnesium_withholds_the_plan() -> None:
    protocol = default_protocol()
    case_document = MILD_SYMPTOMATIC
    plan = plan_of(case_document, protocol)
    order = plan.order("mg_sulfate_im_mild")
    assert order is not None
    case = parse_case(copy.deepcopy(case_document), protocol)
    assert plan_violations(case, plan, protocol) == []
    for broken in (dataclasses.replace(order, doses=0), dataclasses.replace(order, mg_mmol=0)):
        bad = dataclasses.replace(plan, orders=(broken,))
        assert "dose: mg_sulfate_im_mild delivers no magnesium" in plan_violations(
            case, bad, protocol
        )


# -- 2. product rounding, for every product that rounds -------------------------------------


def test_every_product_that_rounds_is_named_and_marked_on_its_order() -> None:
    protocol = site(
        lambda d: (
            d["orders"]["mg_oxide_oral"].update(product="magnesium_oxide_400mg_tablet"),
            d["orders"]["mg_organic_oral"].update(product="magnesium_aspartate_10mmol_sachet"),
        )
    )
    plan = plan_of(base_case(), protocol)
    rounding = [w for w in plan.warnings if w.code == "product_dose_rounding"]
    assert len(rounding) == 1
    assert rounding[0].text == (
        "magnesium oxide 400 mg tablet: 1 magnesium oxide 400 mg tablet delivers 9.93 mmol, "
        "not exactly the 12 mmol ordered. "
        "magnesium aspartate 10 mmol sachet: 1 magnesium aspartate 10 mmol sachet delivers "
        "10 mmol, not exactly the 12 mmol ordered."
    )
    for order_id in ("mg_oxide_oral", "mg_organic_oral"):
        order = plan.order(order_id)
        assert order is not None and "product_dose_rounding" in order.warnings


def test_rounding_to_several_units_reads_in_the_plural() -> None:
    protocol = site(
        lambda d: (
            d["products"]["magnesium_oxide_160mg_capsule"].update(salt_per_unit="120 mg"),
            d["doses"]["oral_start"].update(magnesium="16 mmol"),
        )
    )
    plan = plan_of(base_case(), protocol)
    text = next(w.text for w in plan.warnings if w.code == "product_dose_rounding")
    assert "5 magnesium oxide 160 mg capsules deliver 14.9 mmol" in text
    rounded = plan.order("mg_oxide_oral")
    assert rounded is not None and "product_dose_rounding" in rounded.warnings
    untouched = plan.order("mg_organic_oral")
    assert untouched is not None and "product_dose_rounding" not in untouched.warnings


# -- 3. placeholders --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda d: d["warnings"]["review_causative_drugs"].update(text="Review {drug_list}."),
            "warnings.review_causative_drugs.text: {drug_list}",
        ),
        (
            lambda d: d["orders"]["alfacalcidol_oral"].update(text="alfacalcidol {dos} daily"),
            "orders.alfacalcidol_oral.text: {dos}",
        ),
        (
            lambda d: d["orders"]["mg_oxide_oral"].update(note="see {escalated}"),
            "orders.mg_oxide_oral.note: {escalated}",
        ),
        (
            lambda d: d["monitoring"]["recheck_mg_oral"].update(text="recheck on {day}"),
            "monitoring.recheck_mg_oral.text: {day}",
        ),
    ],
    ids=["warning", "order text", "order note", "monitoring"],
)
def test_a_placeholder_the_engine_does_not_fill_is_refused(
    change: Callable[[dict[str, Any]], object], where: str
) -> None:
    found = problems(change)
    assert any(p.startswith(where) and "not filled in" in p for p in found), found


def test_placeholders_the_engine_fills_are_accepted_and_filled() -> None:
    protocol = site(
        lambda d: d["warnings"]["review_causative_drugs"].update(
            text="Review the drug chart (IV limit {iv_max_rate})."
        )
    )
    text = next(
        w.text
        for w in plan_of(base_case(), protocol).warnings
        if w.code == "review_causative_drugs"
    )
    assert text == "Review the drug chart (IV limit 150 mg/min)."


# -- 4. order fields --------------------------------------------------------------------------

NOTE = "pharmacy note: use the premixed bag"


@pytest.mark.parametrize(
    ("order_id", "case_document"),
    [
        ("mg_sulfate_iv_torsades", base_case(clinical__torsades="with_pulse")),
        ("mg_sulfate_iv_loading", base_case(clinical__symptoms=["seizure"])),
        ("mg_sulfate_iv_severe", SEVERE),
        ("mg_sulfate_im_severe", SEVERE),
        ("mg_sulfate_im_mild", MILD_SYMPTOMATIC),
        ("mg_oxide_oral", base_case()),
        ("mg_organic_oral", base_case()),
    ],
)
def test_a_note_on_any_magnesium_order_is_printed_in_it(
    order_id: str, case_document: dict[str, Any]
) -> None:
    protocol = site(lambda d: d["orders"][order_id].update(note=NOTE))
    order = plan_of(case_document, protocol).order(order_id)
    assert order is not None and NOTE in order.text


@pytest.mark.parametrize(
    ("order_id", "case_document"),
    [
        (
            "mg_sulfate_bag_refractory",
            base_case(clinical__prior_therapy="oral_and_alfacalcidol_failed"),
        ),
        ("alfacalcidol_oral", base_case(clinical__prior_therapy="oral_failed")),
    ],
)
def test_the_note_of_the_bag_and_of_alfacalcidol_is_said_beside_the_order(
    order_id: str, case_document: dict[str, Any]
) -> None:
    """The bag's note (the bundled one: the subcut option of an IV order) and alfacalcidol's
    (the specialist's range) are not part of the order: the plan carries them apart."""
    protocol = site(lambda d: d["orders"][order_id].update(note=NOTE))
    order = plan_of(case_document, protocol).order(order_id)
    assert order is not None and order.beside == NOTE and NOTE not in order.text


def test_the_pulseless_torsades_push_prints_its_note() -> None:
    protocol = site(lambda d: d["orders"]["mg_sulfate_iv_torsades"].update(note=NOTE))
    order = plan_of(base_case(clinical__torsades="pulseless"), protocol).order(
        "mg_sulfate_iv_torsades"
    )
    assert order is not None and order.text.endswith(f"once, now; {NOTE}")


def test_the_im_alternative_without_a_note_reads_cleanly() -> None:
    protocol = site(lambda d: d["orders"]["mg_sulfate_im_severe"].pop("note"))
    order = plan_of(SEVERE, protocol).order("mg_sulfate_im_severe")
    assert order is not None and "once (within the maximum" in order.text


@pytest.mark.parametrize(
    ("order_id", "field"),
    [
        ("mg_sulfate_iv_severe", "timing"),
        ("mg_sulfate_im_mild", "frequency"),
        ("mg_oxide_oral", "frequency"),
        ("alfacalcidol_oral", "timing"),
        ("sodium_chloride_iv_rehydration", "target_torsades_range"),
    ],
)
def test_a_field_an_order_does_not_take_is_refused(order_id: str, field: str) -> None:
    found = problems(lambda d: d["orders"][order_id].update({field: "every 6 hours"}))
    assert any(
        p.startswith(f"orders.{order_id}.{field}: is not a field of this order") for p in found
    ), found


# -- 6. the trace says why the IM alternative is or is not listed -----------------------------


def lower_im_limit(document: dict[str, Any]) -> None:
    document["thresholds"]["im_max_per_weight_4h"] = "50 mg/kg"


@pytest.mark.parametrize(
    ("change", "case_changes", "expected"),
    [
        (None, {}, "listed: 5 g is within 250 mg/kg x 80 kg = 20 g"),
        (lower_im_limit, {}, "not listed: 5 g exceeds 50 mg/kg x 80 kg = 4 g"),
        (
            None,
            {"patient__weight": None, "labs__creatinine_clearance": "60 mL/min"},
            "not listed: no weight recorded",
        ),
        (
            None,
            {"labs__creatinine_clearance": "25 mL/min"},
            "not listed: creatinine clearance below 30 mL/min",
        ),
    ],
    ids=["listed", "over the mg/kg limit", "no weight", "clearance below 30"],
)
def test_the_treatment_step_says_why_the_im_alternative_is_or_is_not_listed(
    change: Callable[[dict[str, Any]], object] | None,
    case_changes: dict[str, Any],
    expected: str,
) -> None:
    protocol = site(change) if change else default_protocol()
    plan = plan_of(base_case(labs__magnesium="0.9 mg/dL", **case_changes), protocol)
    treatment = next(s for s in plan.steps if s.id == "treatment")
    assert treatment.outcome == "severe_band"
    assert [v.value for v in treatment.inputs if v.name == "IM alternative"] == [expected]
    assert (plan.order("mg_sulfate_im_severe") is not None) == expected.startswith("listed")
