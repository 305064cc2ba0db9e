"""The one rule for text that reaches the screen or paper: it prints as it was typed.

Invisible characters can make printed identity differ from typed identity: a
right-to-left override turns "ID: MRN-1234" into "4321-NRM :DI", a zero-width space makes
two ids that look alike differ. Such text is refused where it is entered, never cleaned
up silently. Genuine right-to-left text (Arabic, Hebrew) needs none of these characters:
it is isolated from the text around it where it is printed (isolated()).
"""

from __future__ import annotations

import unicodedata

PRESCRIBER_LIMIT = 200
FACILITY_LIMIT = 200

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, overrides and their pop
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
)
_RIGHT_TO_LEFT = frozenset({"R", "AL"})


def printable_text_problem(value: str, limit: int | None = None) -> str | None:
    """What keeps value from printing as typed, as a message that continues the field's
    name ("contains ..."), or None. Refused: more than limit characters, direction
    controls, other invisible format characters (Unicode Cf), control characters (Cc),
    line and paragraph separators, and lone surrogates."""
    if limit is not None and len(value) > limit:
        return f"is longer than {limit} characters"
    if value.isprintable():  # no "Other" or "Separator" character: none of those below
        return None
    for character in value:
        category = unicodedata.category(character)
        if category == "Cc":
            return f"contains a control character ({_code(character)}): remove it"
        if character in BIDI_CONTROLS:
            return (
                f"contains an invisible direction control ({_code(character)}) that would "
                "reorder the printed text: remove it (right-to-left text needs none)"
            )
        if category == "Cf":
            return f"contains an invisible character ({_code(character)}): remove it"
        if category in ("Zl", "Zp"):
            return f"contains a line break ({_code(character)}): keep it to one line"
        if category == "Cs":
            return "contains characters that are not valid text"
    return None


def isolated(value: str) -> str:
    """value as printed among other text: one holding right-to-left letters is wrapped in
    FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE, so it reads in its own direction and
    never reorders the label or the text beside it; other text is unchanged."""
    if any(unicodedata.bidirectional(c) in _RIGHT_TO_LEFT for c in value):
        return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
    return value


def as_typed(printed: str) -> str:
    """The value that isolated() printed as printed (for records, which keep what was typed)."""
    if printed.startswith(FIRST_STRONG_ISOLATE) and printed.endswith(POP_DIRECTIONAL_ISOLATE):
        return printed[1:-1]
    return printed


def _code(character: str) -> str:
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".strip()
