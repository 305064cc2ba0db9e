"""Records the golden plans: `mgdesk evaluate` over the worked cases and generated cases.

Run it only when a change of behaviour is intended (a new protocol revision), and say so in
the commit: the golden test exists to prove that a change of structure changed no plan.

    .venv/bin/python scripts/record_golden.py
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from mgdesk.records.generated_cases import SEED, _choice, generated_case

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "tests" / "data" / "golden"
CASES_DIR = REPO / "tests" / "data" / "cases"
EXAMPLES_DIR = REPO / "mgdesk" / "resources" / "examples"
GENERATED = HERE / "generated-cases.jsonl"
GENERATED_PLANS = HERE / "generated-plans.jsonl"
WORKED_PLANS = HERE / "worked-plans"
README_EXAMPLE = EXAMPLES_DIR / "mild-oral-1.4-mg-dl.json"
README_TEXT = HERE / "readme-example.txt"
GENERATED_COUNT = 400
# Protocol 1.1's inputs, drawn from a second generator after the first 400 cases, so that
# those keep the cases (and the plans) they had under 1.0.
SEED_1_1 = 20261211
GENERATED_COUNT_1_1 = 200
ASSESSED_AT = "2026-12-04T12:00:00+00:00"


def generated_case_1_1(rng: random.Random) -> dict[str, Any]:
    """A generated case with protocol 1.1's inputs too: height, eGFR, magnesium given."""
    case = generated_case(rng)
    patient, labs, clinical = case["patient"], case["labs"], case["clinical"]
    if rng.random() < 0.6:
        patient["height"] = _choice(
            rng, ["150 cm", "152.4 cm", "160 cm", "1.75 m", "60 in", "72 in", "190 cm"]
        )
    if rng.random() < 0.3:
        labs["egfr"] = _choice(
            rng, ["15 mL/min/1.73 m2", "20 mL/min/1.73m2", "29 mL/min/1.73 m2", "60 mL/min/1.73 m2"]
        )
    if rng.random() < 0.15:
        labs.pop("creatinine", None)
    if rng.random() < 0.4:
        entries = []
        for _ in range(rng.randrange(1, 4)):
            entries.append(
                {
                    "time": _choice(
                        rng,
                        [
                            "2026-12-02T12:00:00+00:00",
                            "2026-12-02T11:59:00Z",
                            "2026-12-03T08:00:00+01:00",
                            "2026-12-04T08:00:00Z",
                            "2026-12-04T11:00:00-00:00",
                        ],
                    ),
                    "route": _choice(rng, ["iv", "im"]),
                    "amount": _choice(
                        rng, ["1 g", "2 g", "5 g", "12 g", "2500 mg", "20 mmol", "40 mEq", "45 g"]
                    ),
                }
            )
        clinical["magnesium_given"] = entries
        if rng.random() < 0.95:
            case["assessed_at"] = ASSESSED_AT
    return case


def mgdesk(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """`mgdesk ARGS` as a user runs it, with empty data folders (no installed protocol)."""
    with tempfile.TemporaryDirectory() as folders:
        env = {
            **os.environ,
            "MGDESK_DATA_DIR": f"{folders}/data",
            "MGDESK_SYSTEM_DIR": f"{folders}/system",
        }
        return subprocess.run(
            [sys.executable, "-m", "mgdesk", *args], input=stdin, capture_output=True, env=env
        )


def worked_case_document(path: Path) -> bytes:
    """The case of a worked case file (the case under "case") as a case file's bytes."""
    return json.dumps(json.loads(path.read_text(encoding="utf-8"))["case"]).encode()


def main() -> None:
    rng = random.Random(SEED)
    lines = [json.dumps(generated_case(rng), ensure_ascii=False) for _ in range(GENERATED_COUNT)]
    rng_1_1 = random.Random(SEED_1_1)
    lines += [
        json.dumps(generated_case_1_1(rng_1_1), ensure_ascii=False)
        for _ in range(GENERATED_COUNT_1_1)
    ]
    GENERATED.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = mgdesk("evaluate", "--format", "jsonl", "-", stdin=GENERATED.read_bytes())
    GENERATED_PLANS.write_bytes(result.stdout)
    WORKED_PLANS.mkdir(exist_ok=True)
    for path in sorted(CASES_DIR.glob("*.json")):
        out = mgdesk("evaluate", "--format", "json", "-", stdin=worked_case_document(path))
        (WORKED_PLANS / f"{path.stem}.json").write_bytes(out.stdout)
    README_TEXT.write_bytes(mgdesk("evaluate", str(README_EXAMPLE)).stdout)


if __name__ == "__main__":
    main()
