"""The wording rules of the order sheet: what it must never print ("MgSO4", "2.0 g",
"1,000 mL", "12/05/77"), checked over the sheet's own text before any sheet is produced."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from mgdesk.document.sheet import OrderSheet, SheetRefused
from mgdesk.document.sheet_html import sheet_text

_ENTERED = "[entered]"
_CITATION = "[citation]"
_SALTS = (
    r"(?:oxide|sulfate|sulphate|glycerophosphate|aspartate|chloride|citrate|lactate|gluconate"
    r"|hydroxide|carbonate|pidolate)"
)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

WORDING_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i:(?<!\w)(?:mgso[4₄]?|mso4|mgo|mgcl2|mag)(?!\w))|(?<!\w)(?:Mg|MS)(?!\w)"),
        "abbreviated drug name {found!r}: write the generic name in full "
        "(for example magnesium sulfate)",
    ),
    (
        re.compile(r"(?<![\d.])\d+\.\d*0(?!\d|\.\d)"),
        "trailing zero in {found!r}: write 2 g, not 2.0 g",
    ),
    (re.compile(r"(?<![\w.])\.\d+"), "no leading zero in {found!r}: write 0.25, not .25"),
    (re.compile(r"[µμ]g(?!\w)|(?i:(?<!\w)ug(?!\w))"), "{found!r}: write mcg"),
    (re.compile(r"(?i)(?<!\w)c\.?c\.?(?!\w)"), "{found!r}: write mL, not cc"),
    (re.compile(r"(?i)(?<!\w)(?:sc|sq|subq|s\.c\.|s\.q\.)(?!\w)"), "{found!r}: write subcut"),
    (
        re.compile(r"(?i:(?<!\w)q\.?o?\.?d\.?(?!\w))|(?<!\w)OD(?!\w)"),
        "{found!r}: write daily (or every other day) in full",
    ),
    (re.compile(r"(?<!\w)(?:U|IU|u|I\.U\.)(?!\w)"), "{found!r}: write units in full"),
    (
        re.compile(r"\d[,\u00a0\u2009\u202f'’]\d"),
        "thousands separator or decimal comma in {found!r}: write 1000 mL and 2.5 g",
    ),
    (
        re.compile(
            r"(?<![\d.])(?:\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})|\d{1,2}\.\d{1,2}\.\d{4}"
            r"|\d{4}/\d{1,2}/\d{1,2})(?!\d|\.\d)"
        ),
        "date {found!r}: write dates as YYYY-MM-DD",
    ),
    (
        re.compile(
            rf"(?i)(?<!\w)(?:\d{{1,2}}\s+{_MONTHS},?\s+\d{{2,4}}|{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}})(?!\w)"
        ),
        "date {found!r}: write dates as YYYY-MM-DD",
    ),
    (
        re.compile(r"(?i)(?<!\w)\d{1,2}(?:[:.]\d{2})?\s*[ap]\.?m\.?(?!\w)"),
        "time {found!r}: write times in 24-hour form (14:30)",
    ),
    (
        re.compile(
            rf"(?i)elemental(?!\s+magnesium(?!\s+{_SALTS})\b)|{_SALTS}\s*[(,:]?\s*elemental"
        ),
        "{found!r}: only magnesium itself is elemental; a salt mass is never called elemental",
    ),
)


def check_wording(text: str) -> list[str]:
    """Every breach of the wording rules in text, as sentences; empty when it reads right."""
    problems: list[str] = []
    for pattern, message in WORDING_RULES:
        for match in pattern.finditer(text):
            problem = message.format(found=match.group(0))
            if problem not in problems:
                problems.append(problem)
    return problems


def _anonymised(sheet: OrderSheet) -> OrderSheet:
    """The sheet without what people typed (names, ids, allergies), identifiers and the
    bibliographic citations, which are quoted as published: the wording rules are for the
    words that instruct. An MRN such as "12/05/77" or a patient called "Mag" is printed
    exactly as entered."""
    return replace(
        sheet,
        facility=_ENTERED,
        patient_name=_ENTERED,
        patient_id=_ENTERED,
        allergies=_ENTERED,
        prescriber=_ENTERED if sheet.prescriber else None,
        sheet_id=_ENTERED,
        audit_hash=_ENTERED if sheet.audit_hash else None,
        app_version=_ENTERED,
        protocol_version=_ENTERED,
        references=tuple(replace(f, value=_CITATION) for f in sheet.references),
    )


@functools.lru_cache(maxsize=16)
def _wording_problems(anonymised: OrderSheet) -> tuple[str, ...]:
    """Cached by what the rules read: build_sheet checks a sheet, and render_html checks it
    again before printing, by then with another sheet id or its audit entry's hash."""
    return tuple(check_wording(sheet_text(anonymised)))


def refuse_bad_wording(sheet: OrderSheet) -> None:
    problems = _wording_problems(_anonymised(sheet))
    if problems:
        raise SheetRefused(
            [f"The sheet's wording breaks a rule, so it is not printed: {p}." for p in problems]
        )
