"""`mgdesk evaluate` on an invalid case still prints the emergency orders (exit status 2)."""

from __future__ import annotations

import json
from typing import Any

from core_support import base_case, plan_of, run_cli

LONG_NAME = "N" * 201
TORSADES = base_case(patient__name=LONG_NAME, clinical__torsades="pulseless")
TETANY = base_case(
    labs__magnesium="0.9 mg/dL", labs__potassium="1.2 mmol/L", clinical__symptoms=["tetany"]
)


def corrected_order(document: dict[str, Any], order_id: str) -> dict[str, Any]:
    fixed = json.loads(json.dumps(document))
    fixed["patient"].pop("name", None)
    fixed["labs"]["potassium"] = "4.2 mmol/L"
    order = plan_of(fixed).order(order_id)
    assert order is not None
    return order.as_dict()


def test_json_carries_the_torsades_push_beside_the_errors() -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], json.dumps(TORSADES))
    assert result.code == 2
    out = result.json()
    assert [e["field"] for e in out["errors"]] == ["patient.name"]
    orders = out["emergency_orders"]
    assert [o["id"] for o in orders] == ["mg_sulfate_iv_torsades"]
    expected = corrected_order(TORSADES, "mg_sulfate_iv_torsades")
    assert set(orders[0]) == set(expected)  # the same shape as a plan's order
    assert orders[0]["text"] == expected["text"] and orders[0]["dose"] == expected["dose"]
    codes = {w["code"] for w in out["emergency_warnings"]}
    assert set(orders[0]["warnings"]) <= codes and "torsades_do_not_delay" in codes
    assert "mgdesk: the case is not valid:" in result.stderr and "patient.name" in result.stderr


def test_json_carries_the_loading_dose_for_severe_symptoms() -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], json.dumps(TETANY))
    assert result.code == 2
    out = result.json()
    assert [e["field"] for e in out["errors"]] == ["labs.potassium"]
    assert [o["id"] for o in out["emergency_orders"]] == ["mg_sulfate_iv_loading"]
    assert (
        out["emergency_orders"][0]["text"]
        == corrected_order(TETANY, "mg_sulfate_iv_loading")["text"]
    )


def test_json_without_an_emergency_or_with_a_blocking_field_is_errors_only() -> None:
    no_emergency = base_case(patient__name=LONG_NAME)
    blocked = base_case(patient__age_years=None, clinical__torsades="pulseless")
    for document in (no_emergency, blocked):
        result = run_cli(["evaluate", "--format", "json", "-"], json.dumps(document))
        assert result.code == 2 and set(result.json()) == {"errors"}


def test_json_with_a_contraindication_has_no_order_and_says_why() -> None:
    document = base_case(patient__name=LONG_NAME, clinical__torsades="pulseless")
    document["clinical"]["heart_block"] = True
    out = run_cli(["evaluate", "--format", "json", "-"], json.dumps(document)).json()
    assert out["emergency_orders"] == []
    assert [w["code"] for w in out["emergency_warnings"]] == ["heart_block_contraindication"]


def test_text_prints_the_emergency_orders_under_a_heading() -> None:
    result = run_cli(["evaluate", "-"], json.dumps(TORSADES))
    assert result.code == 2
    out = " ".join(result.stdout.split())
    assert result.stdout.startswith("EMERGENCY ORDERS: give now\n")
    assert (
        "torsades de pointes (pulseless)" in out
        and "rest of the plan, including any infusion to follow, waits" in out
    )
    text = corrected_order(TORSADES, "mg_sulfate_iv_torsades")["text"]
    assert " ".join(text.split()) in out
    assert "STOP:" in out and "[torsades_do_not_delay]" in out
    assert "Status:" not in out  # nothing else of the plan
    assert "patient.name" in result.stderr


def test_text_says_the_infusion_the_loading_dose_refers_to_waits_too() -> None:
    # The loading dose reads "once, then the infusion below": nothing is below it yet.
    result = run_cli(["evaluate", "-"], json.dumps(TETANY))
    out = " ".join(result.stdout.split())
    assert "then the infusion below" in out
    assert "The rest of the plan, including any infusion to follow, waits" in out
    assert "mg_sulfate_iv_severe" not in out and "Magnesium sulfate IV infusion" not in out


def test_text_with_a_contraindication_says_there_is_no_order() -> None:
    document = base_case(labs__magnesium="1.4", clinical__symptoms=["seizure"])
    document["labs"]["magnesium"] = "0.9 mg/dL"
    document["patient"]["name"] = LONG_NAME
    document["clinical"]["myasthenia_gravis"] = True
    result = run_cli(["evaluate", "-"], json.dumps(document))
    assert result.code == 2
    assert result.stdout.startswith("EMERGENCY: no order to give\n")
    assert "severe symptoms (seizure)" in result.stdout
    assert "[myasthenia_gravis_contraindication]" in result.stdout


def test_jsonl_carries_the_emergency_orders_on_each_invalid_line() -> None:
    lines = [json.dumps(TORSADES), json.dumps(base_case()), json.dumps(TETANY)]
    result = run_cli(["evaluate", "--format", "jsonl", "-"], "\n".join(lines))
    assert result.code == 2
    first, plan, third = result.lines()
    assert first["line"] == 1 and list(first)[:2] == ["line", "errors"]
    assert [o["id"] for o in first["emergency_orders"]] == ["mg_sulfate_iv_torsades"]
    assert "emergency_orders" not in plan and plan["status"] == "ok"
    assert [o["id"] for o in third["emergency_orders"]] == ["mg_sulfate_iv_loading"]
