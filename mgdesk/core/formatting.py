"""Numbers and quantities as a clinician reads them.

Three significant figures, no trailing zeros, a leading zero, no thousands separators,
whatever the locale. Callers that compare against thresholds ask for more digits
rather than let rounding move a value across a threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from mgdesk.core.units import Quantity, magnitude_in, unit

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
)


def significant(value: Fraction | int, digits: int = 3) -> str:
    """value to the given significant figures: 8.115 -> "8.12"? no: exact 8.1147 -> "8.11"."""
    value = Fraction(value)
    if value == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec = 60
        number = Decimal(value.numerator) / Decimal(value.denominator)
        exponent = number.adjusted() - digits + 1
        rounded = number.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    return _plain(rounded)


def decimals(value: Fraction | int, places: int) -> str:
    """value rounded to a fixed number of decimal places, trailing zeros removed."""
    value = Fraction(value)
    with localcontext() as ctx:
        ctx.prec = 60
        number = Decimal(value.numerator) / Decimal(value.denominator)
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _plain(rounded)


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def preserving(value: Fraction, same_side: Callable[[Fraction], bool], digits: int = 3) -> str:
    """Round to `digits` significant figures, adding digits until the shown number still
    lands on the same side of every threshold (same_side says whether it does)."""
    for extra in range(0, 8):
        shown = significant(value, digits + extra)
        if same_side(Fraction(shown)):
            return shown
    return significant(value, digits + 8)


def display_unit(q: Quantity) -> str:
    for symbol in DISPLAY_UNITS:
        if unit(symbol) == q.units:
            return symbol
    raise ValueError(f"no display spelling for {q.units!r}")


def plain_quantity(q: Quantity, digits: int = 3) -> str:
    magnitude = q.magnitude if isinstance(q.magnitude, Fraction) else Fraction(q.magnitude)
    return f"{significant(magnitude, digits)} {display_unit(q)}"


def mass(q: Quantity) -> str:
    """A mass in g from 1 g up, in mg below: "2 g", "484 mg", "0.25 mcg" stays as given."""
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
