"""Decimal numbers as the system locale writes them, converted to the core's point form.

The core reads "1.4"; a clinician whose locale writes "1,4" types that. In a comma
locale a point could be a thousands separator ("1.400"), so it is refused rather than
guessed. In a point locale the text goes to the core unchanged and the core refuses
commas with its own message.
"""

from __future__ import annotations

import re

_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
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

    def from_core(self, number: str) -> str:
        """A number in the core's point form as this locale writes it ("1.4" -> "1,4")."""
        if self.uses_comma and _PLAIN_DECIMAL.fullmatch(number):
            return number.replace(".", ",")
        return number

    def localise_text(self, text: str) -> str:
        """Every plain decimal inside text written with this locale's decimal separator."""
        if not self.uses_comma:
            return text
        return re.sub(r"(?<![0-9.])([0-9]+)\.([0-9]+)(?![0-9.])", r"\1,\2", text)
