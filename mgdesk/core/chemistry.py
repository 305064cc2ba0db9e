"""Conversions between the units a clinician types, using the protocol's constants.

pint works out what one of a unit is in the target unit, once per unit and protocol
constant; a value is then its exact magnitude times that exact factor, the same number
pint's own arithmetic gives, many times faster (the live form converts on every keystroke).
"""

from __future__ import annotations

import functools
from fractions import Fraction

from mgdesk.core.protocol import Protocol
from mgdesk.core.units import (
    Quantity,
    Unit,
    exact_magnitude,
    magnitude_in,
    quantity_of,
    registry,
    unit,
)

MAGNESIUM_UNITS = ("mg/dL", "mmol/L", "mEq/L")
POTASSIUM_UNITS = ("mmol/L", "mEq/L")
CREATININE_UNITS = ("mg/dL", "umol/L", "µmol/L")
WEIGHT_UNITS = ("kg", "lb")
CLEARANCE_UNITS = ("mL/min",)
HEIGHT_UNITS = ("cm", "m", "in")
EGFR_UNITS = ("mL/min/1.73 m2",)
# Magnesium already given: a mass of magnesium sulfate heptahydrate, or magnesium itself.
GIVEN_UNITS = ("g", "mg", "mmol", "mEq")

# A protocol constant as a cache key: pint hashes a quantity by converting it to base units.
_Constant = tuple[Fraction | int, Unit]


@functools.cache
def _dimension(text: str) -> object:
    return registry().Quantity(1, unit(text)).dimensionality


def _constant(q: Quantity) -> _Constant:
    return q.magnitude, q.units


def _quantity(constant: _Constant) -> Quantity:
    return quantity_of(*constant)


def _as_mass_concentration(value: Quantity, molar_mass: Quantity, valence: Quantity) -> Quantity:
    if value.dimensionality == _dimension("mmol/L"):
        return value * molar_mass
    if value.dimensionality == _dimension("mEq/L"):
        return value / valence * molar_mass
    return value


def magnesium_in_all_units(value: Quantity, protocol: Protocol) -> dict[str, Fraction]:
    """The level in mg/dL, mmol/L and mEq/L, each exactly converted and unrounded."""
    magnitude = exact_magnitude(value)
    factors = _magnesium_factors(*_magnesium_key(value, protocol))
    return {name: magnitude * factor for name, factor in zip(MAGNESIUM_UNITS, factors, strict=True)}


def magnesium_mg_dl(value: Quantity, protocol: Protocol) -> Fraction:
    """magnesium_in_all_units(value, protocol)["mg/dL"], without the other two."""
    return exact_magnitude(value) * _magnesium_factors(*_magnesium_key(value, protocol))[0]


def _magnesium_key(value: Quantity, protocol: Protocol) -> tuple[Unit, _Constant, _Constant]:
    return (
        value.units,
        _constant(protocol.magnesium_molar_mass),
        _constant(protocol.magnesium_valence),
    )


@functools.lru_cache(maxsize=64)
def _magnesium_factors(
    units: Unit, molar_mass: _Constant, valence: _Constant
) -> tuple[Fraction, Fraction, Fraction]:
    """One of units, in each of MAGNESIUM_UNITS."""
    mass = _as_mass_concentration(
        quantity_of(Fraction(1), units), _quantity(molar_mass), _quantity(valence)
    )
    substance = mass / _quantity(molar_mass)
    return (
        magnitude_in(mass, "mg/dL"),
        magnitude_in(substance, "mmol/L"),
        magnitude_in(substance * _quantity(valence), "mEq/L"),
    )


def reinterpret(number: Fraction, unit_text: str) -> Quantity:
    return quantity_of(number, unit(unit_text))


def creatinine_mg_dl(value: Quantity, protocol: Protocol) -> Fraction:
    return exact_magnitude(value) * _creatinine_factor(
        value.units, _constant(protocol.creatinine_molar_mass)
    )


@functools.lru_cache(maxsize=64)
def _creatinine_factor(units: Unit, molar_mass: _Constant) -> Fraction:
    """One of units, in mg/dL."""
    one = quantity_of(Fraction(1), units)
    if one.dimensionality == _dimension("umol/L"):
        return magnitude_in(one * _quantity(molar_mass), "mg/dL")
    return magnitude_in(one, "mg/dL")


def potassium_mmol_l(value: Quantity) -> Fraction:
    """Potassium is monovalent: 1 mEq/L is 1 mmol/L."""
    if value.dimensionality == _dimension("mEq/L"):
        return magnitude_in(value, "mEq/L")
    return magnitude_in(value, "mmol/L")
