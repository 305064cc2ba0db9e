"""Evaluation time per case, against a floor measured in the same run.

The floor is the cost of parsing the same cases' quantities with the same unit registry
(what any unit-safe tool must pay); the engine's cost is validation, renal function,
the walk of the protocol graph, the orders' arithmetic and the invariant checks. The
target is that one evaluation fits well inside one frame (16 ms) of a live form.

    python benchmarks/evaluate.py [--cases 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from importlib.resources import files
from typing import Any

from mgdesk import resources
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.core.units import parse_quantity

FRAME_MS = 16.0
TARGET_MS = FRAME_MS / 4  # "well inside one frame"
QUANTITY_FIELDS = {
    ("patient", "weight"): ("kg", "lb"),
    ("labs", "magnesium"): ("mg/dL", "mmol/L", "mEq/L"),
    ("labs", "potassium"): ("mmol/L", "mEq/L"),
    ("labs", "creatinine"): ("mg/dL", "umol/L", "µmol/L"),
    ("labs", "creatinine_clearance"): ("mL/min",),
}


def example_cases() -> list[dict[str, Any]]:
    folder = files(resources).joinpath("examples")
    return [
        json.loads(f.read_text("utf-8"))
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".json") and f.name != "expected.json"
    ]


def parse_quantities(document: dict[str, Any]) -> None:
    for (section, field), accepted in QUANTITY_FIELDS.items():
        value = document.get(section, {}).get(field)
        if value is not None:
            parse_quantity(value, f"{section}.{field}", accepted)


def per_case_ms(work: Any, documents: list[dict[str, Any]], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for document in documents:
            work(document)
        samples.append((time.perf_counter() - start) * 1000 / len(documents))
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="evaluations per round")
    args = parser.parse_args()
    protocol = default_protocol()
    base = example_cases()
    documents = [base[i % len(base)] for i in range(args.cases)]
    evaluate(parse_case(documents[0], protocol), protocol)  # warm the registry's caches

    floor = per_case_ms(parse_quantities, documents, rounds=5)
    engine = per_case_ms(lambda d: evaluate(parse_case(d, protocol), protocol), documents, rounds=5)
    ratio = engine / floor
    ok = engine <= TARGET_MS
    print(f"floor (parse the quantities): {floor:.3f} ms per case")
    print(f"evaluate (validate + plan + invariants): {engine:.3f} ms per case")
    print(f"ratio to floor: {ratio:.1f}x")
    print(
        f"target: <= {TARGET_MS:.0f} ms per case (a quarter of a {FRAME_MS:.0f} ms frame): "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
