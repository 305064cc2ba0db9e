"""Every plan mgdesk prints is byte-identical to the recorded golden plans.

A change of structure must change no plan, error message or report; a change of behaviour
records the plans again (scripts/record_golden.py) in the commit that makes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from core_support import REPO_ROOT, cases_dir, run_cli

GOLDEN = REPO_ROOT / "tests" / "data" / "golden"
README_EXAMPLE = REPO_ROOT / "mgdesk" / "resources" / "examples" / "mild-oral-1.4-mg-dl.json"


def test_every_worked_case_has_a_golden_plan() -> None:
    worked = {p.stem for p in cases_dir().glob("*.json")}
    recorded = {p.stem for p in (GOLDEN / "worked-plans").glob("*.json")}
    assert worked and worked == recorded


@pytest.mark.parametrize(
    "path", sorted((GOLDEN / "worked-plans").glob("*.json")), ids=lambda p: p.stem
)
def test_a_worked_case_prints_its_golden_plan(path: Path) -> None:
    case = json.loads((cases_dir() / path.name).read_text(encoding="utf-8"))["case"]
    result = run_cli(["evaluate", "--format", "json", "-"], stdin=json.dumps(case))
    assert result.stdout == path.read_text(encoding="utf-8")


def test_the_generated_cases_print_their_golden_plans() -> None:
    cases = (GOLDEN / "generated-cases.jsonl").read_bytes()
    result = run_cli(["evaluate", "--format", "jsonl", "-"], stdin=cases)
    expected = (GOLDEN / "generated-plans.jsonl").read_text(encoding="utf-8").splitlines()
    printed = result.stdout.splitlines()
    assert len(printed) == len(expected) == 600  # 400 cases of 1.0's inputs, 200 of 1.1's
    for number, (got, want) in enumerate(zip(printed, expected, strict=True), 1):
        assert got == want, f"generated case on line {number} prints another plan"


def test_the_readme_example_prints_its_golden_report() -> None:
    result = run_cli(["evaluate", str(README_EXAMPLE)])
    assert result.stdout == (GOLDEN / "readme-example.txt").read_text(encoding="utf-8")


def test_the_readme_shows_the_start_of_the_golden_report() -> None:
    # The README's example output, up to its "  ..." line, as mgdesk prints it.
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    command = f"$ mgdesk evaluate {README_EXAMPLE.relative_to(REPO_ROOT).as_posix()}\n"
    shown = readme.split(command, 1)[1].split("  ...\n", 1)[0]
    report = (GOLDEN / "readme-example.txt").read_text(encoding="utf-8")
    assert shown.count("\n") >= 5 and report.startswith(shown)
