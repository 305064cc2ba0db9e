"""A protocol file given with --protocol is for evaluation only: every output says so, on
screen, on standard error and on every page of the sheet, whatever approval it claims."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sheet_support import (
    example,
    examples_dir,
    pdf_pages,
    run_sheet_command,
    write_case,
)

from mgdesk.commands import evaluate as evaluate_cli
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.document.sheet import EVALUATION_FILE, build_sheet
from mgdesk.document.sheet_html import sheet_text

TORSADES = "torsades-with-pulse.json"
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "mgdesk/resources/protocols/default.json"


def approved_protocol_file(folder: Path) -> Path:
    """A protocol file that claims the site's approval."""
    document: dict[str, Any] = json.loads(DEFAULT_FILE.read_bytes())
    document["approval"].update(
        site_approved=True,
        site="Ward 7",
        approved_by="A. Pharmacist",
        effective_date="2020-01-01",
        review_date="2099-01-01",
    )
    path = folder / "claims-approval.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_sheet_model_marks_an_evaluation_file_in_its_footer() -> None:
    protocol = default_protocol()
    case = parse_case(example("mild-oral-1.4-mg-dl.json"), protocol)
    plan = evaluate(case, protocol)
    common: dict[str, Any] = {
        "facility": "Ward 7",
        "prescriber": "Dr Roe",
        "acknowledged": [w.code for w in plan.stop_warnings],
        "generated_at": datetime(2026, 1, 1, 9, 0).astimezone(),
        "sheet_id": "TEST0-SHEET",
    }
    marked = build_sheet(case, plan, protocol, evaluation_file=True, **common)
    assert EVALUATION_FILE in marked.footer_lines()[-1]
    assert EVALUATION_FILE in sheet_text(marked)
    unmarked = build_sheet(case, plan, protocol, **common)
    assert EVALUATION_FILE not in sheet_text(unmarked)


def test_evaluate_marks_a_protocol_file_in_the_report_and_on_stderr(tmp_path: Path) -> None:
    path = approved_protocol_file(tmp_path)
    case = (examples_dir() / TORSADES).read_bytes()
    out, err = io.StringIO(), io.StringIO()
    status = evaluate_cli.run(
        ["evaluate", "--protocol", str(path), "-"], io.BytesIO(case), out, err
    )
    assert status == 0
    report = out.getvalue().splitlines()
    assert report[2].startswith("PROTOCOL FOR EVALUATION ONLY: NOT INSTALLED")
    assert f"site-approved, {EVALUATION_FILE}" in report[-2]
    assert f"mgdesk: {path} (" in err.getvalue() and EVALUATION_FILE in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert evaluate_cli.run(["evaluate", "-"], io.BytesIO(case), out, err) == 0
    assert "EVALUATION" not in out.getvalue() and err.getvalue() == ""


@pytest.mark.parametrize("output", ["json", "jsonl"])
def test_the_json_plan_of_a_protocol_file_is_marked_whatever_approval_it_claims(
    tmp_path: Path, output: str
) -> None:
    path = approved_protocol_file(tmp_path)
    case = json.dumps(example(TORSADES)).encode()
    out, err = io.StringIO(), io.StringIO()
    argv = ["evaluate", "--format", output, "--protocol", str(path), "-"]
    assert evaluate_cli.run(argv, io.BytesIO(case), out, err) == 0
    protocol = json.loads(out.getvalue())["protocol"]
    assert protocol["site_approved"] is True  # what the file claims, and beside it:
    assert protocol["evaluation_only"] is True
    out = io.StringIO()
    assert evaluate_cli.run([*argv[:3], "-"], io.BytesIO(case), out, io.StringIO()) == 0
    assert "evaluation_only" not in json.loads(out.getvalue())["protocol"]


@pytest.mark.slow
def test_every_page_of_a_sheet_made_with_a_protocol_file_is_marked(tmp_path: Path) -> None:
    protocol = approved_protocol_file(tmp_path)
    case = write_case(tmp_path, example(TORSADES))
    result = run_sheet_command(
        [
            str(case),
            "-o",
            "marked.pdf",
            "--acknowledge",
            "torsades_do_not_delay",
            "--protocol",
            str(protocol),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert EVALUATION_FILE in result.stderr
    pages = pdf_pages(tmp_path / "marked.pdf")
    assert len(pages) >= 2
    assert all(EVALUATION_FILE in page for page in pages), pages
