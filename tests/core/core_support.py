"""Shared helpers for the core tests: the shared worked cases, case builders, the CLI runner."""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from worked_cases import CASES_DIR, worked_case_files

from mgdesk.commands import evaluate as cli
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, FieldError
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol

REPO_ROOT = Path(__file__).resolve().parents[2]


def cases_dir() -> Path:
    return CASES_DIR


def shared_case_files() -> list[Path]:
    return worked_case_files()


def load_shared_case(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def base_case(**changes: Any) -> dict[str, Any]:
    """A valid, unremarkable case: man of 50, 80 kg, Mg 1.4 mg/dL, K 4.2, creatinine 1.0.

    Cockcroft-Gault gives exactly 100 mL/min. changes use "section__field" keys; the value
    None removes the field.
    """
    document: dict[str, Any] = {
        "patient": {"age_years": 50, "sex": "male", "weight": "80 kg"},
        "labs": {"magnesium": "1.4 mg/dL", "potassium": "4.2 mmol/L", "creatinine": "1.0 mg/dL"},
        "clinical": {},
    }
    for key, value in changes.items():
        section, field = key.split("__")
        if value is None:
            document[section].pop(field, None)
        else:
            document[section][field] = value
    return document


def woman(age: float = 60, **changes: Any) -> dict[str, Any]:
    """The base case as a woman; pregnancy answered False when the protocol asks for it."""
    values: dict[str, Any] = {"patient__sex": "female", "patient__age_years": age}
    if 18 <= age < 56:
        values["patient__pregnant"] = False
    values.update(changes)
    return base_case(**values)


ASSESSED = "2026-12-04T12:00:00+00:00"


def with_given(document: dict[str, Any], *entries: tuple[str, str, str]) -> dict[str, Any]:
    """The case with magnesium given: (time, route, amount), assessed at ASSESSED."""
    changed = copy.deepcopy(document)
    changed["clinical"]["magnesium_given"] = [
        {"time": t, "route": r, "amount": a} for t, r, a in entries
    ]
    changed["assessed_at"] = ASSESSED
    return changed


def plan_of(document: Mapping[str, Any], protocol: Protocol | None = None) -> Plan:
    active = protocol or default_protocol()
    return evaluate(parse_case(copy.deepcopy(dict(document)), active), active)


def errors_of(document: object, protocol: Protocol | None = None) -> tuple[FieldError, ...]:
    active = protocol or default_protocol()
    try:
        parse_case(document, active)
    except CaseInvalid as exc:
        assert exc.errors, "CaseInvalid without any field error"
        return exc.errors
    raise AssertionError("the case was accepted but should have been refused")


def field_matches(field: str, expected: str) -> bool:
    """The dotted path names the expected field ("labs.magnesium" matches "magnesium")."""
    return field == expected or field.endswith("." + expected)


def ids(plan: Plan) -> list[str]:
    return [o.id for o in plan.orders]


def roles(plan: Plan) -> dict[str, str]:
    return {o.id: o.role for o in plan.orders}


def warning_codes(plan: Plan) -> set[str]:
    return set(plan.warning_codes())


def monitoring_codes(plan: Plan) -> set[str]:
    return {m.code for m in plan.monitoring}


def step_outcomes(plan: Plan) -> dict[str, str]:
    return {s.id: s.outcome for s in plan.steps}


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def run_cli(args: Sequence[str], stdin: bytes | str = b"") -> CliResult:
    """mgdesk.commands.evaluate.run in process, with standard input and both outputs captured."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(list(args), stdin=io.BytesIO(data), stdout=out, stderr=err)
    return CliResult(code, out.getvalue(), err.getvalue())


def check_expect(plan: Mapping[str, Any], expect: Mapping[str, Any], label: str) -> None:
    """Assert every key of a worked case's `expect` against a plan as JSON (plan.as_dict())."""
    orders = plan["orders"]
    order_ids = [o["id"] for o in orders]
    warnings = {w["code"] for w in plan["warnings"]}
    monitoring = {m["code"] for m in plan["monitoring"]}
    for key, want in expect.items():
        where = f"{label}: expect.{key}"
        if key == "status":
            assert plan["status"] == want, where
        elif key == "severity":
            assert plan["severity"] == want, where
        elif key == "primary":
            assert {o["id"] for o in orders if o["role"] == "primary"} == set(want), where
        elif key == "present":
            assert set(want) <= set(order_ids), where
        elif key == "absent":
            assert not set(want) & set(order_ids), where
        elif key == "warnings":
            assert set(want) <= warnings, f"{where}: missing {set(want) - warnings}"
        elif key == "no_warnings":
            assert not set(want) & warnings, where
        elif key == "monitoring":
            assert set(want) <= monitoring, f"{where}: missing {set(want) - monitoring}"
        elif key == "first_order":
            assert order_ids and order_ids[0] == want, where
        elif key == "mg_mmol":
            for order_id, amount in want.items():
                order = next((o for o in orders if o["id"] == order_id), None)
                assert order is not None, f"{where}: no order {order_id}"
                assert_close(order["mg_mmol"], amount, 0.01, f"{where}.{order_id}")
        elif key == "magnesium_mg_dL":
            assert plan["magnesium"] is not None, where
            assert_close(plan["magnesium"]["mg_dL"], want, 0.01, where)
        elif key == "crcl":
            assert plan["creatinine_clearance"] is not None, where
            assert_close(plan["creatinine_clearance"]["mL_min"], want, 0.01, where)
        elif key in ("exit", "error_field"):
            assert expect.get("exit", 0) == 0, f"{where}: an invalid case reached evaluation"
        else:
            raise AssertionError(f"{where}: unknown expect key (update the test)")


def assert_close(actual: Any, want: Any, relative: float, where: str) -> None:
    if isinstance(want, list):
        assert isinstance(actual, list) and len(actual) == len(want), where
        for a, w in zip(actual, want, strict=True):
            assert_close(a, w, relative, where)
        return
    assert isinstance(actual, int | float), f"{where}: {actual!r} is not a number"
    assert abs(actual - want) <= relative * abs(want), f"{where}: {actual} is not about {want}"


# Order text style (PROTOCOL.md, "Order text").
FORBIDDEN_WORDS = re.compile(r"MgSO4|\bMag\b|µg|μg|\bcc\b|\bSC\b|\bQD\b|\bIU\b|\bU\b")
TRAILING_ZERO = re.compile(r"(?<![\d.])\d+\.\d*0(?![\d])")
NAKED_DECIMAL = re.compile(r"(?<![\d])\.\d")
THOUSANDS = re.compile(r"\d,\d{3}(?!\d)")
