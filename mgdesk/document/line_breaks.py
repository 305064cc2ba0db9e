"""Quantities kept on one line wherever mgdesk's text is wrapped: the sheet and the window.

Qt may break a line after any slash and at any space, so "0.9 mg/dL" can wrap as "0.9 mg/"
then "dL", or "0.9" then "mg/dL". A word joiner after the slash of a unit and a no-break
space between a number and its unit forbid both breaks; neither changes what is read.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
NO_BREAK_SPACE = "\u00a0"
_UNIT_SLASH = re.compile(r"(?<=[A-Za-zµ])/(?=[A-Za-zµ])")
_NUMBER_UNIT = re.compile(
    r"(?<=\d) (?=(?:mmol|mEq|mg|mcg|mL|g|kg|L|h|min|minutes?|hours?|days?|years?|mm|µmol|%)"
    r"(?![\w]))"
)


def quantities_unbroken(text: str) -> str:
    """text with no line break allowed inside a unit ("mEq/L") or between a number and its
    unit ("8.11 mmol"); HTML-escaped text stays escaped."""
    joined = _UNIT_SLASH.sub("/" + WORD_JOINER, text)
    return _NUMBER_UNIT.sub(NO_BREAK_SPACE, joined)


def as_typed(text: str) -> str:
    """text without what quantities_unbroken() added: word joiners go, no-break spaces are
    ordinary spaces again (what a reader copies, or a test compares)."""
    return text.replace(WORD_JOINER, "").replace(NO_BREAK_SPACE, " ")
