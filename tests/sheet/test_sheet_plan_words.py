"""The sheet prints the plan's words and decides none: what an order says, what it leaves to
the prescriber, what is said beside it, its route and when an oral course is reviewed all
come from the plan, so a site protocol that rewords an order sees its words on paper.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sheet_support import evaluated, example, sheet_for, with_changes

from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.document.report import text_report
from mgdesk.document.sheet import OrderSheet
from mgdesk.document.sheet_html import sheet_text

DEFAULT = Path(__file__).parents[2] / "mgdesk" / "resources" / "protocols" / "default.json"
REFRACTORY = {"clinical": {"prior_therapy": "oral_and_alfacalcidol_failed"}}


def site(change: Callable[[dict[str, Any]], object]) -> Protocol:
    document = json.loads(DEFAULT.read_text("utf-8"))
    change(document)
    return parse_protocol(json.dumps(document).encode("utf-8"), origin="site")


def order_of(sheet: OrderSheet, order_id: str) -> Any:
    return next(o for o in sheet.orders if o.id == order_id)


def fields_of(sheet: OrderSheet, order_id: str) -> dict[str, str]:
    return {f.label: f.value for f in order_of(sheet, order_id).details}


def test_a_site_that_rewords_the_potassium_prompt_sees_its_words() -> None:
    def reword(d: dict[str, Any]) -> None:
        entry = d["orders"]["potassium_replacement"]
        entry["text"] = "potassium chloride per the renal ward protocol, target {target}"
        entry["text_torsades"] = (
            "potassium chloride IV per cardiology, target {target_torsades_range}"
        )

    protocol = site(reword)
    low = {"labs": {"potassium": "3.2 mmol/L"}}
    mild = sheet_for(with_changes(example("mild-oral-1.4-mg-dl.json"), **low), protocol=protocol)
    assert order_of(mild, "potassium_replacement").text.startswith(
        "potassium chloride per the renal ward protocol, target 4 mmol/L: write in every blank"
    )
    torsades = sheet_for(example("torsades-with-pulse.json"), protocol=protocol)
    assert order_of(torsades, "potassium_replacement").text.startswith(
        "potassium chloride IV per cardiology, target 4.5 to 5 mmol/L"
    )


def test_the_potassium_prompt_of_the_plan_is_the_one_printed() -> None:
    document = example("torsades-with-pulse.json")
    _, plan = evaluated(document)
    planned = plan.order("potassium_replacement")
    assert planned is not None and planned.to_complete == ("Drug, dose", "Route, rate")
    assert "4.5 to 5 mmol/L (torsades de pointes)" in planned.text
    printed = order_of(sheet_for(document), "potassium_replacement")
    assert printed.text == f"{planned.text}: write in every blank below before it is given"


def test_the_oral_review_is_the_protocol_s_recheck_day() -> None:
    protocol = site(lambda d: d["monitoring"]["recheck_mg_oral"].update(review_day=3))
    document = example("mild-oral-1.4-mg-dl.json")
    _, plan = evaluated(document, protocol)
    assert {o.review_day for o in plan.orders} == {3}
    route = fields_of(sheet_for(document, protocol=protocol), "mg_oxide_oral")["Route, frequency"]
    assert route.endswith("until review on 2026-11-29 (day 3 recheck)")
    _, bundled = evaluated(document)
    assert {o.review_day for o in bundled.orders} == {7}


def test_the_alfacalcidol_note_is_the_protocol_s_and_its_order_line_is_whole() -> None:
    def reword(d: dict[str, Any]) -> None:
        entry = d["orders"]["alfacalcidol_oral"]
        entry["text"] = "alfacalcidol {dose} orally daily; take it with breakfast"
        entry["note"] = "the renal team may raise it (up to {guideline_max} daily)"

    sheet = sheet_for(example("oral-failed-stoma.json"), protocol=site(reword))
    alfacalcidol = order_of(sheet, "alfacalcidol_oral")
    assert alfacalcidol.text == "alfacalcidol 0.25 mcg orally daily; take it with breakfast"
    assert alfacalcidol.note == "the renal team may raise it (up to 9 mcg daily)"


def test_a_site_s_note_on_the_bag_is_printed_beside_it() -> None:
    note = "pharmacy note: use the premixed bag"
    protocol = site(lambda d: d["orders"]["mg_sulfate_bag_refractory"].update(note=note))
    document = with_changes(example("oral-failed-stoma.json"), **REFRACTORY)
    sheet = sheet_for(document, protocol=protocol)
    bag = order_of(sheet, "mg_sulfate_bag_refractory")
    assert note not in bag.text and bag.note == note
    assert f"Not part of the order: {note}" in " ".join(sheet_text(sheet).split())


def test_the_push_s_route_is_iv_or_io_in_the_plan_and_on_the_sheet() -> None:
    document = with_changes(example("torsades-with-pulse.json"), clinical={"torsades": "pulseless"})
    _, plan = evaluated(document)
    push = plan.order("mg_sulfate_iv_torsades")
    assert push is not None and push.route == "iv_io" and "IV/IO push" in push.text
    route = fields_of(sheet_for(document), "mg_sulfate_iv_torsades")["Route"]
    assert route == "IV or IO (intravenous or intraosseous)"


def test_an_order_is_kept_with_the_next_only_where_the_plan_says_it_refers_to_it() -> None:
    protocol = site(
        lambda d: d["orders"]["mg_sulfate_bag_refractory"].update(
            frequency="daily, the bag below the line"
        )
    )
    document = with_changes(example("oral-failed-stoma.json"), **REFRACTORY)
    bag = order_of(sheet_for(document, protocol=protocol), "mg_sulfate_bag_refractory")
    assert "below" in bag.text and not bag.with_next
    _, plan = evaluated(example("severe-tetany.json"))
    assert [o.refers_to for o in plan.orders] == ["mg_sulfate_iv_severe", None]


def test_the_loading_dose_is_kept_with_its_infusion_across_the_saline_between() -> None:
    document = with_changes(example("severe-tetany.json"), clinical={"volume_depleted": True})
    sheet = sheet_for(document)
    assert [(o.id, o.with_next) for o in sheet.orders] == [
        ("mg_sulfate_iv_loading", True),
        ("sodium_chloride_iv_rehydration", True),
        ("mg_sulfate_iv_severe", False),
    ]


def test_a_loading_dose_whose_infusion_is_withheld_refers_to_nothing_below() -> None:
    """18 g given in the last 48 hours with unknown renal function: the 48-hour allowance
    withholds the infusion, so the loading dose is given once, alone."""
    document = with_changes(
        example("severe-tetany.json"),
        labs={"creatinine": None},
        clinical={
            "magnesium_given": [
                {"time": "2026-12-04T08:00:00+00:00", "route": "iv", "amount": "18 g"}
            ]
        },
    )
    document["assessed_at"] = "2026-12-04T12:00:00+00:00"
    _, plan = evaluated(document)
    (loading,) = plan.orders
    assert loading.id == "mg_sulfate_iv_loading" and loading.refers_to is None
    assert loading.text.endswith("once") and "below" not in loading.text


def test_unknown_renal_function_is_worded_by_the_plan() -> None:
    document = with_changes(example("severe-tetany.json"), labs={"creatinine": None})
    _, plan = evaluated(document)
    infusion = plan.order("mg_sulfate_iv_severe")
    assert infusion is not None
    assert infusion.text.endswith("; reduced dose because renal function is unknown")
    assert "renal function is unknown" in text_report(plan)


def test_the_window_s_words_are_the_sheet_s() -> None:
    """The text report (like the window) says what the sheet prints with an order."""
    _, plan = evaluated(example("oral-failed-stoma.json"))
    report = " ".join(text_report(plan).split())
    assert "Not part of the order: increase only on a specialist's advice" in report
    assert "Prescriber to complete: Drug, dose; Route, rate" in report
    assert "Until review at the day 7 recheck" in report


def earlier_1_1_file(document: dict[str, Any]) -> None:
    """The bundled protocol as a site's file of revision 1.1 was written before the plan
    carried these wordings: one potassium text, alfacalcidol's range in its text, no review
    day."""
    orders = document["orders"]
    orders["potassium_replacement"]["text"] = (
        "potassium replacement per the local potassium protocol: target potassium {target} or "
        "above ({target_torsades_range} with torsades)"
    )
    del orders["potassium_replacement"]["text_torsades"]
    orders["alfacalcidol_oral"]["text"] = (
        "alfacalcidol {dose} orally daily; increase only on a specialist's advice (the guideline "
        "range reaches {guideline_max} daily)"
    )
    del orders["alfacalcidol_oral"]["note"]
    del document["monitoring"]["recheck_mg_oral"]["review_day"]


def test_a_site_file_of_1_1_written_earlier_loads_and_prints_its_own_words() -> None:
    protocol = site(earlier_1_1_file)
    assert protocol.read_as_1_0 == ()
    assert protocol.read_as_bundled == (
        "monitoring.recheck_mg_oral.review_day: missing, read as the bundled 7",
    )
    torsades = sheet_for(example("torsades-with-pulse.json"), protocol=protocol)
    assert "(4.5 to 5 mmol/L with torsades)" in order_of(torsades, "potassium_replacement").text
    stoma = sheet_for(example("oral-failed-stoma.json"), protocol=protocol)
    alfacalcidol = order_of(stoma, "alfacalcidol_oral")
    assert alfacalcidol.text.endswith("(the guideline range reaches 9 mcg daily)")
    assert alfacalcidol.note == ""
    assert fields_of(stoma, "mg_oxide_oral")["Route, frequency"].endswith("(day 7 recheck)")
