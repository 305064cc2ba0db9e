"""Helpers for the order sheet tests: cases, sheets, the command line and reading PDFs back."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from worked_cases import CASES_DIR, worked_case_files

from mgdesk import resources
from mgdesk.core.case import Case, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.document.sheet import OrderSheet, build_sheet
from mgdesk.document.sheet_html import sheet_text
from mgdesk.document.wording import _anonymised

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATED_AT = datetime(2026, 11, 26, 14, 30, tzinfo=timezone(timedelta(hours=1)))
FACILITY = "St Elsewhere General Hospital"
# Ligature characters that pypdf returns where a font joins letters; the sheet uses none.
LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
A4_POINTS = (595, 842)
LETTER_POINTS = (612, 792)
SHEET_ID = re.compile(r"Sheet ([0-9A-Z]{5}-[0-9A-Z]{5})")


class ModalCallError(AssertionError):
    """A test reached a modal call that would block a headless run forever."""


def examples_dir() -> Path:
    return Path(str(files(resources).joinpath("examples")))


def example_files() -> list[Path]:
    return sorted(p for p in examples_dir().glob("*.json") if p.name != "expected.json")


def shared_cases_dir() -> Path:
    return CASES_DIR


def shared_case_files() -> list[Path]:
    return worked_case_files()


def case_document(path: Path) -> dict[str, Any]:
    """The case in a file: a case file, or a shared worked case (the case under "case")."""
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    case = document.get("case", document)
    assert isinstance(case, dict)
    return case


def example(name: str) -> dict[str, Any]:
    return case_document(examples_dir() / name)


def with_changes(document: Mapping[str, Any], **sections: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a case document with fields replaced (a value of None removes the field)."""
    changed = copy.deepcopy(dict(document))
    for section, fields in sections.items():
        part = changed.setdefault(section, {})
        for key, value in fields.items():
            if value is None:
                part.pop(key, None)
            else:
                part[key] = value
    return changed


def refused_documents() -> list[tuple[dict[str, Any], str, str]]:
    """Cases whose sheet is refused whatever is acknowledged: (document, reason, id). The
    sheet model and the command line are both tested on them."""
    mild = example("mild-oral-1.4-mg-dl.json")
    return [
        (with_changes(mild, patient={"age_years": 12}), "outside this protocol", "out-of-scope"),
        (
            with_changes(mild, labs={"magnesium": "2.2 mg/dL"}),
            "no order to sign",
            "nothing-to-sign",
        ),
        (
            with_changes(mild, patient={"allergies": None}),
            "Allergies are not recorded",
            "no-allergies",
        ),
        (
            with_changes(
                mild, patient={"weight": None}, labs={"creatinine_clearance": "90 mL/min"}
            ),
            "Weight is not recorded",
            "no-weight",
        ),
    ]


def evaluated(document: Mapping[str, Any], protocol: Protocol | None = None) -> tuple[Case, Plan]:
    protocol = protocol or default_protocol()
    case = parse_case(dict(document), protocol)
    return case, evaluate(case, protocol)


def sheet_for(
    document: Mapping[str, Any],
    *,
    acknowledge_all: bool = True,
    acknowledged: Sequence[str] = (),
    protocol: Protocol | None = None,
    sheet_id: str = "TEST0-SHEET",
    prescriber: str | None = "Dr Jane Roe",
    audit_hash: str | None = None,
    generated_at: datetime = GENERATED_AT,
) -> OrderSheet:
    protocol = protocol or default_protocol()
    case, plan = evaluated(document, protocol)
    codes = [w.code for w in plan.stop_warnings] if acknowledge_all else list(acknowledged)
    return build_sheet(
        case,
        plan,
        protocol,
        facility=FACILITY,
        prescriber=prescriber,
        acknowledged=codes,
        generated_at=generated_at,
        sheet_id=sheet_id,
        audit_hash=audit_hash,
    )


def wording_text(sheet: OrderSheet) -> str:
    """The printed text that the wording rules apply to (see wording._anonymised for what is
    left out)."""
    return sheet_text(_anonymised(sheet))


def normalised(text: str) -> str:
    """pypdf's text of a Qt PDF, with tabs between words (ENGINEERING.md 2.2.6)."""
    # The word joiner that keeps "mEq/L" on one line comes back as a tab after the slash.
    return re.sub(r"/ (?=[A-Za-zµ])", "/", " ".join(text.split()))


def pdf_pages(path: Path) -> list[str]:
    return [normalised(page.extract_text() or "") for page in PdfReader(path).pages]


def media_box(path: Path, page: int = 0) -> tuple[int, int]:
    box = PdfReader(path).pages[page].mediabox
    return round(float(box.width)), round(float(box.height))


def run_sheet_command(
    args: Sequence[str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`mgdesk sheet ARGS` in a fresh process (one Q*Application per process: pytest-qt's
    QApplication may already exist in this one), with the prescriber's name unless ARGS
    give it."""
    if "--prescriber" not in args:
        args = [*args, "--prescriber", "Dr Jane Roe"]
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "mgdesk", "sheet", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_case(folder: Path, document: Mapping[str, Any], name: str = "case.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
