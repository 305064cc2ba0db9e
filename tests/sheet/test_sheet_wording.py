"""check_wording on its own: what reads right passes, each error-prone form is caught."""

from __future__ import annotations

import pytest

from mgdesk.document.wording import check_wording

GOOD = [
    "magnesium sulfate 2 g (8.11 mmol, 16.2 mEq, 197 mg elemental magnesium) in 100 mL",
    "magnesium sulfate 5 g in 1000 mL sodium chloride 0.9% IV over 3 hours (333 mL/h, 27.8 mg/min)",
    "alfacalcidol 0.25 mcg orally daily",
    "12 mmol magnesium = 24 mEq = 292 mg elemental magnesium; salt: 484 mg magnesium oxide",
    "subcut only as a specialist's off-label option",
    "creatinine 88.4 µmol/L; potassium 4.5 to 5 mmol/L",
    "generated 2026-11-26 14:30+01:00",
    "protocol version 1.0.0 and mgdesk 0.1.10",
    "Nephron 1976;16:31-41; Gut 2006;55(Suppl IV):iv1-iv12",
    "give 10 units of insulin",
    "Recheck serum magnesium at 2-3 days and at day 7.",
    "magnesium oxide 400 mg tablet (9.93 mmol)",
]

BAD = [
    ("MgSO4 2 g IV", "MgSO4"),
    ("give mag sulfate", "mag"),
    ("MgO 400 mg", "MgO"),
    ("Mg 2 g IV", "Mg"),
    ("MS 4 g IV", "MS"),
    ("2.0 g", "2.0"),
    ("a dose of 1.50 mmol.", "1.50"),
    ("give .25 mcg", ".25"),
    ("0.25 µg daily", "µg"),
    ("0.25 ug daily", "ug"),
    ("dilute in 100 cc", "cc"),
    ("give SC", "SC"),
    ("give SQ", "SQ"),
    ("orally QD", "QD"),
    ("orally qd", "qd"),
    ("orally q.d.", "q.d."),
    ("10 U insulin", "U"),
    ("10 IU vitamin", "IU"),
    ("in 1,000 mL", "1,0"),
    ("2,5 g", "2,5"),
    ("1\u202f000 mL", "1\u202f0"),
    ("on 11/26/2026", "11/26/2026"),
    ("on 26.11.2026", "26.11.2026"),
    ("on 26 Nov 2026", "26 Nov 2026"),
    ("on November 26, 2026", "November 26, 2026"),
    ("at 2:30 PM", "2:30 PM"),
    ("at 8 am", "8 am"),
    ("480 mg elemental", "elemental"),
    ("480 mg elemental magnesium oxide", "elemental"),
    ("484 mg magnesium oxide (elemental)", "elemental"),
]


@pytest.mark.parametrize("text", GOOD)
def test_right_wording_passes(text: str) -> None:
    assert check_wording(text) == []


@pytest.mark.parametrize(("text", "found"), BAD, ids=[b[0] for b in BAD])
def test_each_error_prone_form_is_caught(text: str, found: str) -> None:
    problems = check_wording(text)
    assert problems, f"{text!r} passed"
    assert any(repr(found) in p or found in p for p in problems), problems


def test_every_problem_is_reported_once() -> None:
    problems = check_wording("MgSO4 2.0 g qd and MgSO4 2.0 g qd")
    assert len(problems) == 3
    assert all(p.endswith(tuple("abcdefghijklmnopqrstuvwxyz0123456789)")) for p in problems)
