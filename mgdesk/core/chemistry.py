"""Conversions between the units a clinician types, using the protocol's constants."""

from __future__ import annotations

from fractions import Fraction

from mgdesk.core.protocol import Protocol
from mgdesk.core.units import Quantity, magnitude_in, registry, unit

MAGNESIUM_UNITS = ("mg/dL", "mmol/L", "mEq/L")
POTASSIUM_UNITS = ("mmol/L", "mEq/L")
CREATININE_UNITS = ("mg/dL", "umol/L", "µmol/L")
WEIGHT_UNITS = ("kg", "lb")
CLEARANCE_UNITS = ("mL/min",)


def _dimension(text: str) -> object:
    return registry().Quantity(1, unit(text)).dimensionality


def magnesium_as_mass_concentration(value: Quantity, protocol: Protocol) -> Quantity:
    """Magnesium in mass per volume, from mg/dL, mmol/L or mEq/L (exact)."""
    if value.dimensionality == _dimension("mmol/L"):
        return value * protocol.magnesium_molar_mass
    if value.dimensionality == _dimension("mEq/L"):
        return value / protocol.magnesium_valence * protocol.magnesium_molar_mass
    return value


def magnesium_in_all_units(value: Quantity, protocol: Protocol) -> dict[str, Fraction]:
    """The level in mg/dL, mmol/L and mEq/L, each exactly converted and unrounded."""
    mass = magnesium_as_mass_concentration(value, protocol)
    substance = mass / protocol.magnesium_molar_mass
    return {
        "mg/dL": magnitude_in(mass, "mg/dL"),
        "mmol/L": magnitude_in(substance, "mmol/L"),
        "mEq/L": magnitude_in(substance * protocol.magnesium_valence, "mEq/L"),
    }


def reinterpret(number: Fraction, unit_text: str) -> Quantity:
    return registry().Quantity(number, unit(unit_text))


def creatinine_mg_dl(value: Quantity, protocol: Protocol) -> Fraction:
    if value.dimensionality == _dimension("umol/L"):
        return magnitude_in(value * protocol.creatinine_molar_mass, "mg/dL")
    return magnitude_in(value, "mg/dL")


def potassium_mmol_l(value: Quantity) -> Fraction:
    """Potassium is monovalent: 1 mEq/L is 1 mmol/L."""
    if value.dimensionality == _dimension("mEq/L"):
        return magnitude_in(value, "mEq/L")
    return magnitude_in(value, "mmol/L")


def salt_mass_to_magnesium(salt_mass: Quantity, mass_per_magnesium: Quantity) -> Quantity:
    return (salt_mass / mass_per_magnesium).to(unit("mmol"))
