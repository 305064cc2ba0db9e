"""The ceilings of invariants 4-6 are mgdesk's, not the protocol's: a site protocol may lower
them, never raise them, and no protocol file can make mgdesk write an order above them."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from files_support import REPO_ROOT, default_protocol_document, protocol_bytes, run_admin

from mgdesk.commands import evaluate as evaluate_cli
from mgdesk.commands import sheet as sheet_cli
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import PlanWithheld, ProtocolInvalid
from mgdesk.core.invariants import plan_violations
from mgdesk.core.protocol_loader import default_protocol, parse_protocol
from mgdesk.core.units import quantity
from mgdesk.records.site_protocol import active_protocol, installed_protocol_path

HOSTILE = REPO_ROOT / "tests" / "data" / "protocols"
RAISED_IV = HOSTILE / "raised-iv-ceilings.json"
RAISED_IM = HOSTILE / "raised-im-ceiling.json"
LABEL = "(FDA magnesium sulfate label)"
RATE_CEILING = f"mgdesk's fixed ceiling of 150 mg/min {LABEL}"
CONCENTRATION_CEILING = f"mgdesk's fixed ceiling of 20 g/dL {LABEL}"
IM_CEILING = f"mgdesk's fixed ceiling of 250 mg/kg in 4 hours {LABEL}"
SEVERE_CASE = {
    "format": "mgdesk-case/1",
    "patient": {
        "name": "Test",
        "id": "T-1",
        "age_years": 60,
        "sex": "male",
        "weight": "80 kg",
        "allergies": "none known",
    },
    "labs": {"magnesium": "0.9 mg/dL", "potassium": "4.2 mmol/L", "creatinine": "1.0 mg/dL"},
    "clinical": {"symptoms": ["tetany"]},
}


def problems_of(change: Callable[[dict[str, Any]], object]) -> tuple[str, ...]:
    document = default_protocol_document()
    change(document)
    try:
        parse_protocol(protocol_bytes(document), origin="site.json")
    except ProtocolInvalid as exc:
        return exc.problems
    return ()


def test_the_hostile_iv_protocol_is_refused_naming_every_field() -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(RAISED_IV.read_bytes())
    found = caught.value.problems
    for problem in (
        f"thresholds.iv_max_rate: 1500 mg/min is above {RATE_CEILING}",
        f"thresholds.iv_max_concentration: 100 g/dL is above {CONCENTRATION_CEILING}",
        f"doses.loading: 2 g in 10 mL over 2 min is 1000 mg/min, above {RATE_CEILING}",
        f"doses.severe_iv: 5 g in 10 mL is 50 g/dL, above {CONCENTRATION_CEILING}",
    ):
        assert problem in found, found
    for name in ("torsades_with_pulse", "severe_iv_reduced"):
        assert any(p.startswith(f"doses.{name}: ") for p in found), found


def test_the_hostile_im_protocol_is_refused_naming_every_field() -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(RAISED_IM.read_bytes())
    for problem in (
        f"thresholds.im_max_per_weight_4h: 2500 mg/kg is above {IM_CEILING}",
        "doses.severe_im: 50 g in 4 hours at the lowest plausible weight (20 kg) is "
        f"2500 mg/kg, above {IM_CEILING}",
    ):
        assert problem in caught.value.problems, caught.value.problems


@pytest.mark.parametrize(
    ("key", "above", "at", "below"),
    [
        ("iv_max_rate", "151 mg/min", "150 mg/min", "100 mg/min"),
        ("iv_max_concentration", "21 g/dL", "20000 mg/dL", "10 g/dL"),
        ("renal_max_48h", "20.001 g", "20000 mg", "10 g"),
        ("im_max_per_weight_4h", "251 mg/kg", "250 mg/kg", "200 mg/kg"),
    ],
)
def test_a_threshold_may_be_lowered_never_raised(key: str, above: str, at: str, below: str) -> None:
    raised = problems_of(lambda d: d["thresholds"].update({key: above}))
    assert [p for p in raised if p.startswith(f"thresholds.{key}: ")] == [
        next(p for p in raised if p.startswith(f"thresholds.{key}: "))
    ]
    assert any(
        p.startswith(f"thresholds.{key}: {above.split()[0]}")
        and "is above mgdesk's fixed ceiling" in p
        for p in raised
    ), raised
    assert problems_of(lambda d: d["thresholds"].update({key: at})) == ()
    assert problems_of(lambda d: d["thresholds"].update({key: below})) == ()


def test_a_value_just_above_a_ceiling_never_shows_as_the_ceiling() -> None:
    raised = problems_of(lambda d: d["thresholds"].update(iv_max_rate="150.0000000001 mg/min"))
    assert raised == (f"thresholds.iv_max_rate: 150.0000000001 mg/min is above {RATE_CEILING}",)
    fast = problems_of(lambda d: d["doses"]["loading"].update(duration="13.3333 min"))
    assert fast == (
        f"doses.loading: 2 g in 100 mL over 13.3333 min is 150.0004 mg/min, above {RATE_CEILING}",
    )


def test_a_ceiling_in_a_unit_mgdesk_cannot_print_is_refused_before_any_plan_is_made() -> None:
    # Accepted once, "9 g/h" then failed every evaluation: the orders quote the maximum rate.
    assert problems_of(lambda d: d["thresholds"].update(iv_max_rate="9 g/h")) == (
        "thresholds.iv_max_rate: '9 g/h': mgdesk does not print 'g/h'; use mg/min",
    )


def test_the_pulseless_push_keeps_its_exception_but_has_a_ceiling_too() -> None:
    assert problems_of(lambda d: None) == ()  # 2 g over 1 minute: 2000 mg/min
    found = problems_of(lambda d: d["doses"]["torsades_pulseless"].update(duration="0.5 min"))
    assert found == (
        "doses.torsades_pulseless: 2 g in 10 mL over 0.5 min is 4000 mg/min, above mgdesk's "
        "fixed ceiling of 2000 mg/min (AHA ECC 2020, pulseless torsades)",
    )
    stronger = problems_of(lambda d: d["doses"]["torsades_pulseless"].update(volume="5 mL"))
    assert stronger == (
        f"doses.torsades_pulseless: 2 g in 5 mL is 40 g/dL, above {CONCENTRATION_CEILING}",
    )


@pytest.mark.parametrize("name", ["mild_iv", "mild_iv_reduced"])
def test_the_mild_infusions_are_held_to_the_iv_ceilings(name: str) -> None:
    # Revision 1.1's IV mild alternative: accepted once, though no bundled case reached the
    # reduced one, so "protocol check" found nothing and it installed.
    found = problems_of(lambda d: d["doses"][name].update(volume="5 mL", duration="1 min"))
    salt = "2 g" if name == "mild_iv" else "1 g"
    rate = "2000" if name == "mild_iv" else "1000"
    concentration = [f"doses.{name}: 2 g in 5 mL is 40 g/dL, above {CONCENTRATION_CEILING}"]
    assert list(found) == [
        *(concentration if name == "mild_iv" else []),
        f"doses.{name}: {salt} in 5 mL over 1 min is {rate} mg/min, above {RATE_CEILING}",
    ]


@pytest.mark.parametrize("name", ["refractory_bag", "refractory_bag_reduced"])
def test_the_refractory_bag_is_held_to_the_iv_ceilings_at_its_largest_amount(name: str) -> None:
    # 40 mmol of magnesium sulfate heptahydrate (246.47 g/mol) is 9.8588 g.
    fast = problems_of(lambda d: d["doses"][name].update(magnesium_high="40 mmol", duration="1 h"))
    assert fast == (
        f"doses.{name}: 40 mmol (9.8588 g) in 1000 mL over 60 min is 164.313 mg/min, "
        f"above {RATE_CEILING}",
    )
    strong = problems_of(lambda d: d["doses"][name].update(volume="5 mL"))
    high = {"refractory_bag": "12 mmol (2.95764 g)", "refractory_bag_reduced": "6 mmol (1.47882 g)"}
    concentration = {"refractory_bag": "59.1528", "refractory_bag_reduced": "29.5764"}
    assert strong == (
        f"doses.{name}: {high[name]} in 5 mL is {concentration[name]} g/dL, "
        f"above {CONCENTRATION_CEILING}",
    )


def test_the_im_dose_is_checked_at_the_lightest_plausible_weight() -> None:
    heavy = problems_of(lambda d: d["doses"]["severe_im"].update(salt_mass="6 g"))
    assert heavy == (
        "doses.severe_im: 6 g in 4 hours at the lowest plausible weight (20 kg) is 300 mg/kg, "
        f"above {IM_CEILING}",
    )

    def heavier_patients(d: dict[str, Any]) -> None:
        d["doses"]["severe_im"]["salt_mass"] = "6 g"
        d["plausibility"]["weight"][0] = "30 kg"

    assert problems_of(heavier_patients) == ()
    course = problems_of(lambda d: d["doses"]["mild_im"].update(salt_mass="3 g", interval="1 h"))
    assert course == (
        "doses.mild_im: 4 doses of 3 g in 4 hours at the lowest plausible weight (20 kg) is "
        f"600 mg/kg, above {IM_CEILING}",
    )


def test_the_renal_48_hour_total_is_checked() -> None:
    def large_reduced(d: dict[str, Any]) -> None:
        d["doses"]["severe_iv_reduced"].update(salt_mass="19 g", volume="1000 mL", duration="48 h")

    assert problems_of(large_reduced) == (
        "doses.severe_iv_reduced: with restricted renal function a plan may hold "
        "doses.torsades_with_pulse (2 g) and doses.severe_iv_reduced (19 g): 21 g of magnesium "
        "sulfate, above mgdesk's fixed ceiling of 20 g in 48 hours (FDA magnesium sulfate label)",
    )


def test_the_invariants_hold_the_ceilings_whatever_the_protocol_says() -> None:
    """A protocol built past the loader (as a bug could) still cannot give a fast order."""
    protocol = default_protocol()
    raised = dataclasses.replace(
        protocol,
        thresholds=dataclasses.replace(
            protocol.thresholds,
            iv_max_rate=quantity(1500, "mg/min"),
            iv_max_concentration=quantity(100, "g/dL"),
        ),
        doses=dataclasses.replace(
            protocol.doses,
            loading=dataclasses.replace(
                protocol.doses.loading,
                volume=quantity(5, "mL"),
                duration=quantity(2, "min"),
            ),
        ),
    )
    case = parse_case(dict(SEVERE_CASE), raised)
    with pytest.raises(PlanWithheld) as caught:
        evaluate(case, raised)
    assert "4: mg_sulfate_iv_loading runs faster than the IV limit" in caught.value.violations
    assert (
        "4: mg_sulfate_iv_loading is more concentrated than the IV limit" in caught.value.violations
    )


def test_the_invariants_hold_the_pulseless_push_to_its_own_ceiling() -> None:
    protocol = default_protocol()
    pulseless = {**SEVERE_CASE, "clinical": {"torsades": "pulseless"}}
    case = parse_case(dict(pulseless), protocol)
    push = evaluate(case, protocol).order("mg_sulfate_iv_torsades")
    assert push is not None and push.rate_mg_min == 2000  # the exception, allowed
    faster = dataclasses.replace(
        protocol,
        doses=dataclasses.replace(
            protocol.doses,
            torsades_pulseless=dataclasses.replace(
                protocol.doses.torsades_pulseless, duration=quantity("0.5", "min")
            ),
        ),
    )
    with pytest.raises(PlanWithheld) as caught:
        evaluate(parse_case(dict(pulseless), faster), faster)
    assert caught.value.violations == ("4: mg_sulfate_iv_torsades runs faster than the IV limit",)


def test_the_invariants_also_hold_a_lower_protocol_limit() -> None:
    protocol = default_protocol()
    lowered = dataclasses.replace(
        protocol,
        thresholds=dataclasses.replace(protocol.thresholds, iv_max_rate=quantity(100, "mg/min")),
    )
    case = parse_case(dict(SEVERE_CASE), protocol)
    plan = evaluate(case, protocol)  # loading: 2 g over 15 min = 133 mg/min
    assert plan_violations(case, plan, protocol) == []
    assert "4: mg_sulfate_iv_loading runs faster than the IV limit" in plan_violations(
        case, plan, lowered
    )
    assert plan.order("mg_sulfate_iv_loading") is not None
    assert Fraction(100) < (plan.order("mg_sulfate_iv_loading").rate_mg_min or 0)  # type: ignore[union-attr]


@pytest.mark.parametrize("hostile", [RAISED_IV, RAISED_IM], ids=["iv", "im"])
def test_protocol_check_and_install_refuse_a_raised_ceiling(hostile: Path) -> None:
    status, out, err = run_admin("protocol", "check", str(hostile))
    assert status == 2 and "No outcome differs" not in out
    assert "is above mgdesk's fixed ceiling" in err
    for flag in ((), ("--user",)):
        status, out, err = run_admin("protocol", "install", str(hostile), *flag)
        assert status == 2, out
        assert "was refused" in err and "is above mgdesk's fixed ceiling" in err
    assert not installed_protocol_path("user").exists()
    assert not installed_protocol_path("machine").exists()
    assert active_protocol().location == "bundled"


@pytest.mark.parametrize("hostile", [RAISED_IV, RAISED_IM], ids=["iv", "im"])
def test_evaluate_and_sheet_refuse_a_raised_ceiling(hostile: Path, tmp_path: Path) -> None:
    case = json.dumps(SEVERE_CASE).encode()
    out, err = io.StringIO(), io.StringIO()
    status = evaluate_cli.run(
        ["evaluate", "--protocol", str(hostile), "-"], io.BytesIO(case), out, err
    )
    assert status == 2 and out.getvalue() == ""
    assert "the protocol was refused" in err.getvalue()
    assert "is above mgdesk's fixed ceiling" in err.getvalue()
    pdf = tmp_path / "sheet.pdf"
    out, err = io.StringIO(), io.StringIO()
    status = sheet_cli.run(
        ["sheet", "-", "-o", str(pdf), "--protocol", str(hostile)], io.BytesIO(case), out, err
    )
    assert status == 2 and not pdf.exists()
    assert "is above mgdesk's fixed ceiling" in err.getvalue()
