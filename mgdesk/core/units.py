"""The project's one unit registry, built lazily from its own definitions file.

Magnitudes are exact fractions: a value typed at a threshold, in any accepted unit,
lands on the side the protocol defines, never moved by a float round-trip.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable
from fractions import Fraction
from importlib.resources import as_file, files
from typing import Any, Protocol

from mgdesk import resources
from mgdesk.core.errors import FieldError

Unit = Hashable  # a unit of the registry: compared and hashed exactly


class Quantity(Protocol):
    """What mgdesk uses of a pint quantity of its registry (pint generates the class per
    registry, so the type is described here rather than imported)."""

    @property
    def magnitude(self) -> Fraction | int: ...

    @property
    def units(self) -> Unit: ...

    @property
    def dimensionality(self) -> Hashable: ...

    def to(self, target: Unit) -> Quantity: ...

    def __mul__(self, other: Quantity | Fraction | int, /) -> Quantity: ...

    def __rmul__(self, other: Fraction | int, /) -> Quantity: ...

    def __truediv__(self, other: Quantity | Fraction | int, /) -> Quantity: ...

    def __lt__(self, other: Quantity, /) -> bool: ...

    def __le__(self, other: Quantity, /) -> bool: ...

    def __gt__(self, other: Quantity, /) -> bool: ...

    def __ge__(self, other: Quantity, /) -> bool: ...


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_QUANTITY_TEXT = re.compile(r"^\s*([+-]?)\s*([0-9.,]*[0-9][0-9.,]*|[A-Za-z]+)\s*(.*?)\s*$")
# A unit as mgdesk reads it: names (with the micro sign) joined by "/", nothing to evaluate.
_UNIT_TEXT = re.compile(r"\s*[A-Za-zµμ]+(?:\s*/\s*[A-Za-zµμ]+)*\s*")
_MAX_UNIT_TEXT = 40
_ARABIC_SEPARATORS = frozenset("\u066b\u066c")  # decimal and thousands separators
# Spellings of units whose name holds a number, which the unit grammar above does not read:
# each maps to the registry's name for it (units.txt). Spaces inside are collapsed first.
_SPELLED_UNITS = {
    "mL/min/1.73 m2": "egfr_mL_min_173m2",
    "mL/min/1.73m2": "egfr_mL_min_173m2",
    "mL/min/1.73 m²": "egfr_mL_min_173m2",
    "mL/min/1.73m²": "egfr_mL_min_173m2",
}


@functools.cache
def registry() -> Any:
    """The shared registry, built on first use (a few milliseconds, not on the start-up path)."""
    import pint

    reg: Any = pint.UnitRegistry(None, non_int_type=Fraction, cache_folder=None)
    with as_file(files(resources).joinpath("units.txt")) as path:
        reg.load_definitions(str(path))
    return reg


def quantity(magnitude: Fraction | int | str, unit: str) -> Quantity:
    """A quantity with an exact magnitude: numbers given as text are read as decimals."""
    value = magnitude if isinstance(magnitude, Fraction) else Fraction(magnitude)
    return quantity_of(value, _parsed(unit))


def quantity_of(magnitude: Fraction | int, units: Unit) -> Quantity:
    """A quantity of the registry from a magnitude and a unit already parsed."""
    made: Quantity = registry().Quantity(magnitude, units)
    return made


@functools.lru_cache(maxsize=64)
def _parsed(unit_text: str) -> Unit:
    """pint's units for the text (what Quantity(value, text) parses on every call), with
    mgdesk's spellings of units whose name holds a number ("mL/min/1.73 m2")."""
    parsed: Unit = registry().parse_units(
        _SPELLED_UNITS.get(" ".join(unit_text.split()), unit_text)
    )
    return parsed


@functools.lru_cache(maxsize=256)
def unit(text: str) -> Unit:
    """The registry's unit for text such as "mg/dL"; raises ValueError for an unknown unit.

    Only unit names joined by "/" reach pint: its parser evaluates arithmetic, and an
    exponent such as "mg**(9**9**9)" typed into a field would never finish.
    """
    if len(text) > _MAX_UNIT_TEXT:
        raise ValueError(f"unknown unit {text!r}")
    spelled = _SPELLED_UNITS.get(" ".join(text.split()))
    if spelled is None and _UNIT_TEXT.fullmatch(text) is None:
        raise ValueError(f"unknown unit {text!r}")
    reg = registry()
    try:
        parsed: Unit = reg.parse_units(spelled or text)
    except Exception as exc:  # pint raises several error types for bad unit text
        raise ValueError(f"unknown unit {text!r}") from exc
    return parsed


def other_digits_problem(text: str) -> str | None:
    """Why a number written with digits other than 0-9 (Arabic-Indic "٤٥", full-width "４５")
    or the Arabic decimal separator is not read, or None: mgdesk reads the digits 0-9 only,
    rather than guess what another script's number means."""
    if any((c.isdecimal() and not c.isascii()) or c in _ARABIC_SEPARATORS for c in text):
        return f"{text.strip()!r}: use the digits 0-9 (with a decimal point) to write the number"
    return None


def exact_number(text: str) -> Fraction | None:
    """The exact value of a plain decimal number ("1.4", ".5", "12"), or None."""
    if _NUMBER.fullmatch(text) is None:
        return None
    return Fraction(text)


def parse_quantity(text: object, field: str, accepted: tuple[str, ...]) -> Quantity:
    """Read "<number> <unit>" for a field that takes one of the accepted units.

    There is no default unit: a bare number, an unknown unit, a unit of the wrong
    dimension, a negative or non-finite value are all errors naming the field.
    """
    units_hint = ", ".join(accepted)
    if isinstance(text, bool) or not isinstance(text, str):
        raise FieldError(
            field, f'must be text of a number and a unit, such as "{_example(accepted)}"'
        )
    if len(text) > 64:
        raise FieldError(field, "is too long to be a number and a unit")
    other_digits = other_digits_problem(text)
    if other_digits is not None:
        raise FieldError(field, other_digits)
    match = _QUANTITY_TEXT.match(text)
    if not text.strip() or match is None:
        raise FieldError(field, f"is empty: enter a number and a unit ({units_hint})")
    sign, number_text, unit_text = match.groups()
    if number_text.lower() in {"nan", "inf", "infinity"} or not any(
        c.isdigit() for c in number_text
    ):
        raise FieldError(
            field, f"{text.strip()!r} is not a number: enter a number and a unit ({units_hint})"
        )
    if "," in number_text:
        raise FieldError(
            field, f"{number_text!r}: use a decimal point, not a comma, and no thousands separators"
        )
    number = exact_number(number_text)
    if number is None:
        raise FieldError(field, f"{number_text!r} is not a number")
    if sign == "-" and number != 0:
        raise FieldError(field, "cannot be negative")
    if not unit_text:
        raise FieldError(
            field, f"has no unit: choose one of {units_hint} (there is no default unit)"
        )
    chosen = _accepted_unit(unit_text, accepted)
    if chosen is None:
        try:
            parsed = unit(unit_text)
        except ValueError:
            raise FieldError(
                field, f"unknown unit {unit_text!r}: use one of {units_hint}"
            ) from None
        dimension = registry().Quantity(1, parsed).dimensionality
        if all(dimension != registry().Quantity(1, unit(a)).dimensionality for a in accepted):
            raise FieldError(
                field, f"{unit_text!r} is the wrong kind of unit here: use one of {units_hint}"
            )
        raise FieldError(field, f"{unit_text!r} is not accepted here: use one of {units_hint}")
    return quantity_of(number, unit(chosen))


@functools.lru_cache(maxsize=256)
def _accepted_unit(unit_text: str, accepted: tuple[str, ...]) -> str | None:
    """The accepted spelling that unit_text names, comparing the parsed units exactly."""
    try:
        parsed = unit(unit_text)
    except ValueError:
        return None
    for candidate in accepted:
        if unit(candidate) == parsed:
            return candidate
    return None


def _example(accepted: tuple[str, ...]) -> str:
    return f"1.4 {accepted[0]}"


def exact_magnitude(value: Quantity) -> Fraction:
    magnitude = value.magnitude
    return magnitude if isinstance(magnitude, Fraction) else Fraction(magnitude)


def magnitude_in(value: Quantity, target: str) -> Fraction:
    """The exact magnitude of value in the target unit (dimension checked by pint)."""
    return exact_magnitude(value) * _factor(value.units, target)


def product_in(magnitude: Fraction, unit_text: str, by: Quantity, target: str) -> Fraction:
    """Exactly magnitude_in(quantity(magnitude, unit_text) * by, target), with pint's
    arithmetic and conversion done once per unit and factor rather than on every call."""
    exact = magnitude if isinstance(magnitude, Fraction) else Fraction(magnitude)
    return exact * _product_factor(unit_text, by.magnitude, by.units, target)


@functools.lru_cache(maxsize=256)
def _product_factor(
    unit_text: str, by_magnitude: Fraction | int, by_units: Unit, target: str
) -> Fraction:
    return magnitude_in(
        quantity(1, unit_text) * registry().Quantity(by_magnitude, by_units), target
    )


@functools.lru_cache(maxsize=1024)
def _factor(units: Unit, target: str) -> Fraction:
    """The exact factor from units to target. Every unit of mgdesk's registry is a multiple
    of its base units (there are no offset units), so one factor serves every magnitude."""
    converted = registry().Quantity(1, units).to(unit(target)).magnitude
    return Fraction(converted)
