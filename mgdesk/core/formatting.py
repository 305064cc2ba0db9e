"""Numbers and quantities as a clinician reads them.

Three significant figures, no trailing zeros, a leading zero, no thousands separators,
whatever the locale. Callers that compare against thresholds ask for more digits
rather than let rounding move a value across a threshold.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

from mgdesk.core.units import Quantity, Unit, magnitude_in, unit

# The spellings mgdesk prints, in the order they are tried.
DISPLAY_UNITS = (
    "mg/dL",
    "mmol/L",
    "mEq/L",
    "µmol/L",
    "mL/min",
    "kg",
    "lb",
    "g",
    "mg",
    "mcg",
    "mmol",
    "mEq",
    "mL",
    "L",
    "min",
    "h",
    "mg/min",
    "mL/h",
    "mg/kg",
    "g/dL",
    "g/mol",
    "eq/mol",
    "cm",
    "m",
    "in",
    "mL/min/1.73 m2",
)
# How many digits preserving() may add: a number typed with up to about 30 digits.
PRESERVING_DIGITS = 30
# Enough digits that rounding to a few significant figures sees the exact value (a fixed
# context: localcontext() would copy one per number).
_EXACT = Context(prec=60)


def significant(value: Fraction | int, digits: int = 3) -> str:
    """value to the given significant figures, from its exact value, halves rounded up:
    8.1147 -> "8.11", 8.115 -> "8.12", 0.04937 -> "0.0494"; trailing zeros dropped."""
    value = Fraction(value)
    if value == 0:
        return "0"
    number = _EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
    exponent = number.adjusted() - digits + 1
    return _plain(number.quantize(_power_of_ten(exponent), ROUND_HALF_UP, _EXACT))


def decimals(value: Fraction | int, places: int) -> str:
    """value rounded to a fixed number of decimal places, trailing zeros removed."""
    value = Fraction(value)
    number = _EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return _plain(number.quantize(_power_of_ten(-places), ROUND_HALF_UP, _EXACT))


def _power_of_ten(exponent: int) -> Decimal:
    return Decimal((0, (1,), exponent))


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def preserving(value: Fraction, same_side: Callable[[Fraction], bool], digits: int = 3) -> str:
    """Round to `digits` significant figures, adding digits until the shown number still
    lands on the same side of every threshold (same_side says whether it does): a value
    typed with many digits just under a threshold is shown with all of them."""
    for extra in range(0, PRESERVING_DIGITS):
        shown = significant(value, digits + extra)
        if same_side(Fraction(shown)):
            return shown
    return significant(value, digits + PRESERVING_DIGITS)


def as_typed(value: Fraction) -> str:
    """A number read from decimal text written out exactly ("1.19999999999" stays so);
    a value with no exact decimal form to 12 significant figures."""
    denominator = value.denominator
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    if denominator != 1:
        return significant(value, 12)
    return _plain(_EXACT.divide(Decimal(value.numerator), Decimal(value.denominator)))


def display_unit(q: Quantity) -> str:
    symbol = _display_symbols().get(q.units)
    if symbol is None:
        raise ValueError(f"no display spelling for {q.units!r}")
    return symbol


@functools.cache
def _display_symbols() -> dict[Unit, str]:
    """Each unit's first spelling in DISPLAY_UNITS (pint's units compare and hash exactly)."""
    symbols: dict[Unit, str] = {}
    for symbol in DISPLAY_UNITS:
        symbols.setdefault(unit(symbol), symbol)
    return symbols


def plain_quantity(q: Quantity, digits: int = 3) -> str:
    magnitude = q.magnitude if isinstance(q.magnitude, Fraction) else Fraction(q.magnitude)
    return f"{significant(magnitude, digits)} {display_unit(q)}"


def mass(q: Quantity) -> str:
    """A mass in g from 1 g up, in mg below (any unit given): "2 g", "484 mg", "0.00025 mg"."""
    grams = magnitude_in(q, "g")
    if grams >= 1:
        return f"{significant(grams)} g"
    return f"{significant(magnitude_in(q, 'mg'))} mg"


def duration(q: Quantity) -> str:
    minutes = magnitude_in(q, "min")
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes / 60
        return f"{significant(hours)} hour" + ("" if hours == 1 else "s")
    return f"{significant(minutes)} minute" + ("" if minutes == 1 else "s")


def volume(q: Quantity) -> str:
    return f"{significant(magnitude_in(q, 'mL'), 4)} mL"


def amount_text(value: Fraction | tuple[Fraction, Fraction], unit_text: str) -> str:
    """A dose amount, single or a range: "4 mmol", "4 to 12 mmol"."""
    if isinstance(value, tuple):
        return f"{significant(value[0])} to {significant(value[1])} {unit_text}"
    return f"{significant(value)} {unit_text}"


def salt_mass_text(milligrams: Fraction | tuple[Fraction, Fraction]) -> str:
    """A salt mass given in mg, single or a range, in g when its largest value reaches 1 g."""
    if isinstance(milligrams, tuple):
        low, high = milligrams
        if high < 1000:
            return amount_text(milligrams, "mg")
        return amount_text((low / 1000, high / 1000), "g")
    if milligrams < 1000:
        return amount_text(milligrams, "mg")
    return amount_text(milligrams / 1000, "g")


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def entered_text(q: Quantity | None) -> str:
    """A value of the case as entered, for a step's inputs ("not entered" when absent)."""
    if q is None:
        return "not entered"
    return f"{significant(q.magnitude, 6)} {display_unit(q)}"
