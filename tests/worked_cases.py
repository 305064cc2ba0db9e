"""The worked cases of the clinical specification: the repository's own copy, and nothing
outside the repository (tests/data/cases/README.md says where they come from)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).resolve().parent / "data" / "cases"


def worked_case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.json"))


def worked_case(name: str) -> dict[str, Any]:
    """The worked case file NAME (for example "v01.json"): its "case" and its "expect"."""
    document = json.loads((CASES_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document
