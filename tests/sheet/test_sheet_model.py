"""The order sheet as a document model (no Qt): content, refusals, determinism, wording."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from sheet_support import (
    FACILITY,
    GENERATED_AT,
    case_document,
    evaluated,
    example,
    example_files,
    refused_documents,
    shared_case_files,
    sheet_for,
    with_changes,
    wording_text,
)
from worked_cases import worked_case

from mgdesk import __version__, resources
from mgdesk.core.errors import CaseInvalid
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.document.sheet import (
    CHECKBOX,
    END_OF_ORDERS,
    SheetRefused,
    build_sheet,
    in_words,
    new_sheet_id,
    plan_blockers,
)
from mgdesk.document.sheet_html import render_header_html, render_html, sheet_text
from mgdesk.document.wording import check_wording
from mgdesk.records.site_protocol import load_protocol

MILD = "mild-oral-1.4-mg-dl.json"
TORSADES = "torsades-with-pulse.json"
SEVERE = "severe-tetany.json"
# Seizure with magnesium 0.9 mg/dL, no creatinine and no weight: only emergency orders.
EMERGENCY_ONLY: dict[str, Any] = {
    "patient": {
        "id": "T-1",
        "name": "Test, Emergency",
        "age_years": 60,
        "sex": "male",
        "allergies": "none known",
    },
    "labs": {"magnesium": "0.9 mg/dL", "potassium": "4.2 mmol/L"},
    "clinical": {"symptoms": ["seizure"]},
}


def refusal(document: dict[str, Any], **kwargs: Any) -> tuple[str, ...]:
    with pytest.raises(SheetRefused) as raised:
        sheet_for(document, **kwargs)
    assert raised.value.reasons, "a refusal gives its reasons"
    return raised.value.reasons


def site_protocol(tmp_path: Path, change: Any) -> Protocol:
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_text("utf-8"))
    change(document)
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_protocol(path)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_mild_sheet_has_the_safety_data_and_every_order_field() -> None:
    text = flat(sheet_text(sheet_for(example(MILD))))
    for expected in (
        FACILITY,
        "Adult hypomagnesemia — not for pregnancy or patients under 18",
        "Patient: Example, Mild · ID: DEMO-0001",
        "Allergies none known",
        "Weight 80 kg",
        "1.4 mg/dL = 0.576 mmol/L = 1.15 mEq/L (entered as 1.4 mg/dL); band: mild",
        "Potassium 4.2 mmol/L",
        "Creatinine 1 mg/dL",
        "100 mL/min, Cockcroft-Gault with actual body weight 80 kg: no height entered; "
        "(140 - 50 years) x 80 kg",
        f"{CHECKBOX} 1. Magnesium oxide orally [PRIMARY]",
        f"{CHECKBOX} 2. Organic magnesium salt orally "
        "[ALTERNATIVE to order 1: give one or the other, never both]",
        "Order magnesium oxide 12 mmol magnesium (24 mEq, 292 mg elemental magnesium; salt 484 mg "
        "magnesium oxide): 3 magnesium oxide 160 mg capsules (11.9 mmol) orally once daily",
        "Route, frequency oral (by mouth), once daily at night, until review on 2026-12-03 "
        "(day 7 recheck)",
        "Recheck serum magnesium at 2-3 days and at day 7.",
        "Prescriber signature",
        "Printed name Dr Jane Roe",
        "Date (YYYY-MM-DD)",
        "Time (24-hour, HH:MM)",
        "NOT VALID WITHOUT THE PRESCRIBER'S SIGNATURE.",
    ):
        assert expected in text, expected


def test_an_iv_order_states_diluent_volume_duration_rates_frequency_and_doses() -> None:
    text = flat(sheet_text(sheet_for(example(SEVERE))))
    for expected in (
        "Diluent, volume 1000 mL sodium chloride 0.9% or glucose 5% (final concentration 0.5%)",
        "Duration 3 hours Rate 333 mL/h; 27.8 mg/min",
        "Frequency once Number of doses 1",
        "magnesium sulfate 5 g (20.3 mmol, 40.6 mEq, 493 mg elemental magnesium;",
        "Route IV (intravenous)",
        "[PRIMARY, EMERGENCY: give now]",
    ):
        assert expected in text, expected


def test_nothing_but_the_end_rule_follows_the_last_order() -> None:
    sheet = sheet_for(example(SEVERE))
    lines = sheet_text(sheet).splitlines()
    end = lines.index(END_OF_ORDERS)
    last_order_row = next(
        i for i, line in enumerate(lines) if line.startswith("Frequency once Number")
    )
    assert lines[last_order_row + 1] == END_OF_ORDERS
    assert lines[end + 1].startswith("Stop-level warnings acknowledged")
    assert lines.count(END_OF_ORDERS) == 1


def test_stop_warnings_are_boxed_first_and_listed_as_acknowledged() -> None:
    sheet = sheet_for(example(TORSADES))
    markup, text = render_html(sheet), flat(sheet_text(sheet))
    stop = "STOP, read before acting:"
    assert 'border="3"' in markup.split(stop)[0].rsplit("<table", 1)[1]
    assert "torsades_do_not_delay" not in text
    assert text.index(stop) < text.index("1. Magnesium sulfate IV for torsades")
    assert (
        "Stop-level warnings acknowledged by the prescriber before printing: Torsades de pointes."
    ) in text
    for caution in (
        "CAUTION Digoxin with parenteral magnesium",
        "INFORMATION IV magnesium sulfate",
    ):
        assert caution in text


def test_the_reasoning_page_has_every_step_with_inputs_thresholds_outcome_and_sources() -> None:
    protocol = default_protocol()
    _, plan = evaluated(example(MILD))
    names = {o.id: f"order {n}" for n, o in enumerate(plan.orders, 1)}
    text = sheet_text(sheet_for(example(MILD)))
    reasoning = flat(text[text.index("How the plan was reached") :])
    for number, step in enumerate(plan.steps, 1):
        assert f"{number}. {step.title}" in reasoning
        assert step.rationale in reasoning
        for value in (*step.inputs, *step.thresholds):
            # In words, and naming orders by their number on the sheet.
            assert f"{value.name}: {in_words(value.value, names)}" in reasoning
        for source in step.sources:
            assert protocol.sources[source].citation in reasoning
    assert "Outcome: oral, first line" in reasoning


def test_the_footer_names_version_protocol_sheet_time_and_approval() -> None:
    sheet = sheet_for(example(MILD), audit_hash="ab" * 32)
    protocol = default_protocol()
    assert sheet.footer_lines() == (
        f"Protocol {protocol.id} version {protocol.version} · SHA-256 {protocol.sha256[:12]}",
        f"Sheet TEST0-SHEET · generated 2026-11-26 14:30+01:00 · mgdesk {__version__}",
        f"Audit entry {'ab' * 32}",
        "NOT site-approved protocol",
    )


def test_a_site_approved_protocol_past_its_review_date_is_flagged(tmp_path: Path) -> None:
    def approve(document: dict[str, Any]) -> None:
        document["approval"].update(
            site_approved=True,
            site="St Elsewhere",
            approved_by="Drug committee",
            effective_date="2024-01-01",
            review_date="2025-01-01",
        )

    protocol = site_protocol(tmp_path, approve)
    footer = sheet_for(example(MILD), protocol=protocol).footer_lines()
    assert "NOT site-approved" not in " ".join(footer)
    assert footer[-1] == "CAUTION: protocol past its review date (2025-01-01)"
    current = sheet_for(
        example(MILD), protocol=protocol, generated_at=GENERATED_AT.replace(year=2024)
    )
    assert "CAUTION" not in " ".join(current.footer_lines())


def test_an_incomplete_plan_with_emergency_orders_prints_with_a_banner_and_no_weight() -> None:
    sheet = sheet_for(EMERGENCY_ONLY)
    text = flat(sheet_text(sheet))
    assert sheet.emergency_only and sheet.status == "incomplete"
    assert (
        "INCOMPLETE PLAN Routine treatment cannot be decided until these are recorded: creatinine "
        "(or a measured creatinine clearance); weight (or a measured creatinine clearance)."
    ) in text
    assert "Weight not recorded (emergency sheet" in text
    assert "EMERGENCY SHEET: every magnesium order on it is an emergency order" in text


@pytest.mark.parametrize(
    ("labs", "weight", "reason"),
    [
        ({"creatinine": None}, "80 kg", "no creatinine recorded"),
        ({"creatinine": "1 mg/dL"}, None, "no weight recorded"),
        ({"creatinine": None}, None, "no creatinine or weight recorded"),
    ],
)
def test_an_unknown_clearance_says_what_is_missing(
    labs: dict[str, Any], weight: str | None, reason: str
) -> None:
    document = with_changes(EMERGENCY_ONLY, labs=labs, patient={"weight": weight})
    labs_rows = {f.label: f.value for f in sheet_for(document).labs}
    assert labs_rows["Creatinine clearance"] == f"unknown: {reason}, and no measured clearance"


def test_the_sheet_takes_the_unknown_clearance_reason_from_the_plan() -> None:
    """The sheet prints the plan's reason; it does not re-derive it from the case."""
    case, plan = evaluated(EMERGENCY_ONLY)
    told = replace(plan, clearance_unknown_reason="no creatinine from the laboratory yet")
    sheet = build_sheet(
        case,
        told,
        default_protocol(),
        facility=FACILITY,
        prescriber="Dr Jane Roe",
        acknowledged=[w.code for w in plan.stop_warnings],
        generated_at=GENERATED_AT,
        sheet_id="TEST0-SHEET",
    )
    labs_rows = {f.label: f.value for f in sheet.labs}
    assert labs_rows["Creatinine clearance"] == "unknown: no creatinine from the laboratory yet"


@pytest.mark.parametrize(
    ("document", "kwargs", "expected"),
    [
        *(pytest.param(doc, {}, reason, id=name) for doc, reason, name in refused_documents()),
        pytest.param(
            with_changes(example(MILD), patient={"name": None}),
            {},
            "The patient's name is not recorded",
            id="no-name",
        ),
        pytest.param(
            example(TORSADES),
            {"acknowledge_all": False},
            "Stop-level warning not acknowledged: Torsades de pointes",
            id="not-acknowledged",
        ),
        pytest.param(
            example(TORSADES),
            {"acknowledge_all": False, "acknowledged": ["torsades_do_not_delay", "no_such_code"]},
            "'no_such_code' is not a stop-level warning of this plan",
            id="unknown-code",
        ),
        pytest.param(
            example(MILD),
            {"acknowledge_all": False, "acknowledged": ["review_causative_drugs"]},
            "'review_causative_drugs' is not a stop-level warning",
            id="not-a-stop-code",
        ),
    ],
)
def test_refusals_say_why(document: dict[str, Any], kwargs: dict[str, Any], expected: str) -> None:
    reasons = refusal(document, **kwargs)
    assert any(expected in reason for reason in reasons), reasons


def test_every_missing_item_is_reported_at_once() -> None:
    document = with_changes(
        example("oral-failed-stoma.json"),
        patient={"allergies": None, "weight": None},
        labs={"creatinine_clearance": "80 mL/min"},
    )
    reasons = refusal(document, acknowledge_all=False)
    assert len(reasons) == 3, reasons


def test_torsades_with_only_a_potassium_order_beside_it_needs_no_weight() -> None:
    """Emergency-only: every magnesium order is an emergency one; potassium replacement
    follows the local protocol and does not depend on the weight."""
    document = with_changes(example(TORSADES), patient={"weight": None})
    sheet = sheet_for(document)
    assert sheet.emergency_only
    assert sheet.weight.startswith("not recorded")


def test_a_sheet_of_emergency_orders_alone_needs_no_weight_but_allergies() -> None:
    assert sheet_for(EMERGENCY_ONLY).weight.startswith("not recorded")
    reasons = refusal(with_changes(EMERGENCY_ONLY, patient={"allergies": None}))
    assert any("Allergies" in r for r in reasons)


def test_two_sheets_differ_only_in_sheet_id_and_time() -> None:
    first = sheet_for(example(TORSADES), sheet_id=new_sheet_id())
    second = sheet_for(
        example(TORSADES), sheet_id=new_sheet_id(), generated_at=GENERATED_AT + timedelta(hours=3)
    )
    assert first.sheet_id != second.sheet_id
    text = (
        sheet_text(second)
        .replace(second.sheet_id, first.sheet_id)
        .replace(second.generated_text, first.generated_text)
    )
    assert text == sheet_text(first)
    assert render_html(second).replace(second.sheet_id, first.sheet_id) == render_html(first)


def test_sheet_ids_are_short_unique_and_upper_case() -> None:
    ids = {new_sheet_id() for _ in range(2000)}
    assert len(ids) == 2000
    for sheet_id in list(ids)[:50]:
        assert len(sheet_id) == 11 and sheet_id == sheet_id.upper() and sheet_id[5] == "-"
        assert not set(sheet_id) & set("ILOU")


def test_every_field_is_escaped() -> None:
    document = with_changes(
        example(MILD), patient={"name": "<b>Smith & Jones</b>", "allergies": "<script>"}
    )
    sheet = sheet_for(document, prescriber="Dr <i>Roe</i>")
    markup = render_html(sheet) + render_header_html(sheet)
    assert "<b>Smith" not in markup and "<script>" not in markup and "<i>Roe" not in markup
    assert "&lt;b&gt;Smith &amp; Jones&lt;/b&gt;" in markup
    assert "&lt;script&gt;" in markup
    assert "Allergies <script>" in sheet_text(sheet)  # printed as typed, never as markup


def test_names_and_ids_are_printed_as_entered_even_when_they_look_like_abbreviations() -> None:
    document = with_changes(
        example(MILD), patient={"name": "Mag, Sc", "id": "12/05/77", "allergies": "cc"}
    )
    text = sheet_text(sheet_for(document))
    assert "Patient: Mag, Sc · ID: 12/05/77" in text


def test_a_protocol_whose_wording_breaks_a_rule_is_refused(tmp_path: Path) -> None:
    def abbreviate(document: dict[str, Any]) -> None:
        document["orders"]["mg_organic_oral"]["note"] = "give with MgSO4 2.0 g qd, 1,000 mL"

    protocol = site_protocol(tmp_path, abbreviate)
    reasons = refusal(example(MILD), protocol=protocol)
    joined = " ".join(reasons)
    for found in ("'MgSO4'", "'2.0'", "'qd'", "'1,0'"):
        assert found in joined, joined


def test_a_hand_built_sheet_with_bad_wording_is_not_rendered() -> None:
    from dataclasses import replace

    sheet = sheet_for(example(MILD))
    bad = replace(sheet, monitoring=("Recheck at 8 am on 11/26/2026",))
    with pytest.raises(SheetRefused):
        render_html(bad)


def _sheet_or_refusal(path: Path) -> None:
    """The sheet of a case, checked against the wording rules; or its refusal, checked too."""
    document = case_document(path)
    protocol = default_protocol()
    try:
        case, plan = evaluated(document, protocol)
    except CaseInvalid:
        return  # an invalid case never reaches build_sheet (the CLI test checks its exit code)
    if plan.status == "out_of_scope" or not plan.orders:
        with pytest.raises(SheetRefused):
            build_sheet(
                case,
                plan,
                protocol,
                facility=FACILITY,
                prescriber=None,
                acknowledged=[w.code for w in plan.stop_warnings],
                generated_at=GENERATED_AT,
                sheet_id="X",
            )
        return
    if case.patient.weight is None and not plan.emergency_only:
        # A case whose renal estimate is an eGFR may have no weight (Y10): no routine sheet.
        with pytest.raises(SheetRefused, match="Weight is not recorded"):
            sheet_for(with_changes(document, patient={"allergies": "none known"}))
        return
    if not case.patient.allergies:
        with pytest.raises(SheetRefused, match="Allergies are not recorded"):
            sheet_for(document)
        document = with_changes(document, patient={"allergies": "none known"})
    sheet = sheet_for(document)
    assert check_wording(wording_text(sheet)) == []
    assert len(sheet.orders) == len(plan.orders)


@pytest.mark.parametrize("path", shared_case_files(), ids=lambda p: p.stem)
def test_the_wording_rules_hold_on_every_shared_case(path: Path) -> None:
    _sheet_or_refusal(path)


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.stem)
def test_the_wording_rules_hold_on_every_example(path: Path) -> None:
    _sheet_or_refusal(path)


def test_the_shared_cases_are_found() -> None:
    assert shared_case_files(), "no worked cases in tests/data/cases"


def test_the_sheet_takes_emergency_only_from_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheet does not work out "emergency only" itself: it prints what the plan states."""
    document = with_changes(
        example(MILD), patient={"weight": None}, labs={"creatinine_clearance": "80 mL/min"}
    )
    assert any("Weight is not recorded" in r for r in refusal(document))
    monkeypatch.setattr(Plan, "emergency_only", property(lambda self: True))
    sheet = sheet_for(document)
    assert sheet.emergency_only
    assert "EMERGENCY SHEET" in sheet_text(sheet)


def test_an_alternative_is_printed_against_the_order_the_plan_names() -> None:
    """The sheet does not guess which order an alternative replaces: the plan says."""
    document = with_changes(
        example(SEVERE),
        labs={"magnesium": "0.9 mg/dL"},
        clinical={"symptoms": [], "torsades": "with_pulse"},
    )
    case, plan = evaluated(document)
    numbers = {o.id: n for n, o in enumerate(plan.orders, 1)}
    sheet = sheet_for(document)
    im = next(o for o in sheet.orders if o.id == "mg_sulfate_im_severe")
    assert im.role_label.startswith(f"ALTERNATIVE to order {numbers['mg_sulfate_iv_severe']}:")
    # A plan that names another order is printed as the plan says.
    orders = tuple(
        replace(o, alternative_to="mg_sulfate_iv_torsades") if o.id == "mg_sulfate_im_severe" else o
        for o in plan.orders
    )
    relabelled = build_sheet(
        case,
        replace(plan, orders=orders),
        default_protocol(),
        facility=FACILITY,
        prescriber="Dr Jane Roe",
        acknowledged=[w.code for w in plan.stop_warnings],
        generated_at=GENERATED_AT,
        sheet_id="X",
    )
    im = next(o for o in relabelled.orders if o.id == "mg_sulfate_im_severe")
    assert im.role_label.startswith(f"ALTERNATIVE to order {numbers['mg_sulfate_iv_torsades']}:")


@pytest.mark.parametrize(
    ("document", "blocked"),
    [
        pytest.param(example(MILD), "", id="orders"),
        pytest.param(with_changes(example(MILD), patient={"age_years": 12}), "outside", id="child"),
        pytest.param(
            with_changes(example(MILD), labs={"magnesium": "2 mg/dL"}), "no order", id="nothing"
        ),
        # Patient data still missing is not a blocker of the plan: it can be entered.
        pytest.param(
            with_changes(example(MILD), patient={"allergies": None, "name": None}), "", id="data"
        ),
    ],
)
def test_plan_blockers_is_what_build_sheet_refuses_for(
    document: dict[str, Any], blocked: str
) -> None:
    _case, plan = evaluated(document)
    protocol = default_protocol()
    blockers = plan_blockers(plan, protocol)
    if not blocked:
        assert blockers == ()
        return
    assert len(blockers) == 1 and blocked in blockers[0]
    assert refusal(document) == blockers


def test_the_renal_line_names_the_weight_used_and_why() -> None:
    """Protocol 1.1: the sheet states the weight Cockcroft-Gault used (Y01: adjusted)."""
    document = worked_case("y01.json")["case"]
    document["patient"]["allergies"] = "none known"
    labs_rows = {f.label: f.value for f in sheet_for(document).labs}
    assert labs_rows["Creatinine clearance"].startswith(
        "106 mL/min, Cockcroft-Gault with adjusted body weight 73.4 kg: BMI 41, ideal 52.4 kg; "
    )
    assert labs_rows["Body size"] == "height 160 cm; BMI 41, ideal 52.4 kg, adjusted 73.4 kg"
    document["patient"]["height"] = "63 in"
    labs_rows = {f.label: f.value for f in sheet_for(document).labs}
    assert labs_rows["Body size"].startswith("height 63 in = 160 cm; BMI 41,")


def test_an_egfr_is_printed_as_renal_function_never_as_a_creatinine_clearance() -> None:
    """Protocol 1.1: an eGFR is never taken for a clearance, on paper either (Y10, weighed)."""
    document = worked_case("y10.json")["case"]
    document["patient"].update(allergies="none known", weight="70 kg")
    del document["labs"]["creatinine"]
    labs_rows = {f.label: f.value for f in sheet_for(document).labs}
    assert "Creatinine clearance" not in labs_rows
    assert labs_rows["Renal function"] == (
        "25 mL/min/1.73 m2, eGFR (no creatinine clearance could be computed)"
    )


def test_the_iv_mild_alternative_is_printed_as_one_or_the_other() -> None:
    """Protocol 1.1: the IV course beside the IM mild course (Y18), given instead of it."""
    document = worked_case("y18.json")["case"]
    document["patient"]["allergies"] = "none known"
    text = flat(sheet_text(sheet_for(document)))
    assert (
        f"{CHECKBOX} 2. Magnesium sulfate IV (mild deficiency; if IV access is available) "
        "[ALTERNATIVE to order 1: give one or the other, never both]"
    ) in text
    assert "magnesium sulfate 2 g (8.11 mmol, 16.2 mEq" in text


def test_the_magnesium_given_is_listed_with_its_total_and_what_is_left() -> None:
    """Protocol 1.1: each dose given, the 48-hour total and the allowance (Y22), in the
    attachment, so the orders and the signature still share page 1."""
    document = worked_case("y22.json")["case"]
    document["patient"]["allergies"] = "none known"
    sheet = sheet_for(document)
    assert sheet.magnesium_given == (
        "5 g IV 2026-12-03 08:00+00:00; 12 g IV 2026-12-04 02:00+00:00: "
        "17 g magnesium sulfate (69 mmol) given IV/IM in the last 48 hours; "
        "1 g left of the 20 g allowed in 48 hours (assessed 2026-12-04 12:00+00:00)"
    )
    assert f"Magnesium given before this assessment {sheet.magnesium_given}" in sheet_text(sheet)


def test_on_dialysis_the_reduced_dose_is_for_renal_impairment_not_unknown_function() -> None:
    """No clearance is computed on dialysis, yet renal function is known to be impaired."""
    document = example("severe-tetany.json")
    document["patient"]["allergies"] = "none known"
    document["labs"].pop("creatinine", None)
    document["clinical"]["dialysis"] = True
    sheet = sheet_for(document)
    texts = " ".join(order.text for order in sheet.orders)
    assert "reduced dose for renal impairment" in texts
    assert "renal function is unknown" not in texts
