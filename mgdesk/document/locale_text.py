"""Numbers in the reader's decimal separator, at display time only.

The core writes every number with a decimal point ("1.4 mg/dL", "8.11 mmol"); the window
and the order sheet show its texts through localised_decimals(), the one place where
the point of a decimal number becomes the locale's separator ("1,4 mg/dL").

Only a decimal number is changed: digits, one point, digits, standing on their own.
Left as they are:
- versions and dotted dates ("1.0.0", "04.12.2026"): more than one point;
- ids, codes, hashes, paths and DOIs ("DEMO-1.5", "v1.2", "ab1.2cd", "doi:10.1053/x"):
  touching a letter, a letter and hyphen, a slash or a colon; "version 1.0";
- text a person typed: a name, an id or allergies, which mgdesk prints inside Unicode
  directional isolates (mgdesk.core.text), and a value quoted in a message ("'1.4 mg'
  is not ..."): shown exactly as typed.
ISMP's rules stay true because the core's numbers already keep them: a leading zero is
kept ("0,5") and a trailing zero never appears.
"""

from __future__ import annotations

import re

POINT = "."
EGFR_AREA = "/1.73 m"  # mL/min/1.73 m2
_DECIMAL = re.compile(
    r"(?<![\w./:'\"])"  # not in a word, id, hash, path or DOI, after a point or a quote
    r"(?<![^\W\d_]-)"  # not after a letter and a hyphen ("DEMO-1.5")
    r"(?<!(?i:version) )"  # not a two-part version ("version 1.0")
    r"(\d+)\.(\d+)"
    r"(?!\w|[/'\"]|\.\d)"  # not before a letter or digit, a slash, a quote, a point and digit
)
# Text between a directional isolate (LRI, RLI, FSI) and its pop (PDI): typed by a person.
_ISOLATED = re.compile("([\u2066\u2067\u2068].*?\u2069)", re.DOTALL)
_TAG_OR_STYLE = re.compile(r"(<style\b.*?</style>|<[^>]*>)", re.DOTALL | re.IGNORECASE)


def localised_decimals(text: str, separator: str = POINT) -> str:
    """text with the point of every decimal number written as separator ("," in de_DE)."""
    if separator == POINT or "." not in text:
        return text
    replacement = rf"\1{separator}\2"
    # The eGFR's unit holds a number after a slash, where a path would be left alone.
    text = text.replace(EGFR_AREA, EGFR_AREA.replace(POINT, separator))
    parts = _ISOLATED.split(text)
    # split() with one group: the isolated spans are at the odd positions.
    return "".join(
        part if index % 2 else _DECIMAL.sub(replacement, part) for index, part in enumerate(parts)
    )


def localised_markup(markup: str, separator: str = POINT) -> str:
    """HTML with localised_decimals() applied to its text only (never to tags or styles)."""
    if separator == POINT:
        return markup
    parts = _TAG_OR_STYLE.split(markup)
    return "".join(
        part if index % 2 else localised_decimals(part, separator)
        for index, part in enumerate(parts)
    )
