"""Records the golden plans: `mgdesk evaluate` over the worked cases and generated cases.

Run it only when a change of behaviour is intended (a new protocol revision), and say so in
the commit: the golden test exists to prove that a change of structure changed no plan.

    .venv/bin/python scripts/record_golden.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mgdesk.records.generated_cases import generated_cases

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
    lines = [json.dumps(case, ensure_ascii=False) for case in generated_cases(GENERATED_COUNT)]
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
