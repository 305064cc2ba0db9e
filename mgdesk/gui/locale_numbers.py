"""Decimal numbers as the system locale (or the preference) writes them, converted to the
core's point form, and the core's texts shown in it.

The core reads "1.4"; a clinician whose locale writes "1,4" types that. In a comma
locale a point could be a thousands separator ("1.400"), so it is refused rather than
guessed. In a point locale the text goes to the core unchanged and the core refuses
commas with its own message.
"""

from __future__ import annotations

import re

from mgdesk.document.locale_text import localised_decimals

_LEADING_NUMBER = re.compile(r"^(\s*[+-]?\s*)([0-9.,]+)(.*)$", re.DOTALL)


class LocaleNumbers:
    """Conversions for one locale's decimal separator (no dataclass: it is on the start-up path)."""

    def __init__(self, decimal_point: str) -> None:
        self.decimal_point = decimal_point

    @property
    def uses_comma(self) -> bool:
        return self.decimal_point == ","

    def to_core(self, text: str) -> tuple[str, str | None]:
        """The text with its leading number in point form, and a problem message or None."""
        if not self.uses_comma:
            return text, None
        match = _LEADING_NUMBER.match(text)
        if match is None:
            return text, None
        prefix, number, rest = match.groups()
        if "." in number:
            return text, (
                f"{number.strip()!r}: use the decimal comma of your system settings "
                "(for example 1,4); a point could be read as a thousands separator"
            )
        return prefix + number.replace(",", ".") + rest, None

    def shown(self, text: str) -> str:
        """A text of the core's ("1.4 mg/dL") as this locale writes its numbers ("1,4 mg/dL"):
        the window's one way to show a number (mgdesk.document.locale_text)."""
        return localised_decimals(text, self.decimal_point)
