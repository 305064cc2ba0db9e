"""One dose of magnesium worked out exactly: mmol, mEq, elemental and salt mass, and the
units of a product that give it (rounded as the product allows)."""

from __future__ import annotations

from fractions import Fraction

from mgdesk.core.formatting import amount_text, decimals, salt_mass_text, significant
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import Dose, ProductUse
from mgdesk.core.protocol import Product, Protocol
from mgdesk.core.units import Quantity, magnitude_in, product_in

# The values of a product_dose_rounding warning: product, units, delivers, delivered, ordered.
Rounding = dict[str, str]


class Amounts(Frozen):
    """One dose of magnesium as the engine works with it: single, exact amounts."""

    salt: str
    salt_mass_mg: Fraction
    mmol: Fraction
    meq: Fraction
    elemental_mg: Fraction

    def dose(self) -> Dose:
        return Dose(self.salt, self.salt_mass_mg, self.mmol, self.meq, self.elemental_mg, "")


class UnitsOf(Frozen):
    """How many units of one product make up one dose, and what they deliver."""

    key: str
    name: str
    units: Fraction
    unit: str
    mmol: Fraction
    text: str

    def use(self) -> ProductUse:
        return ProductUse(self.key, self.name, self.units, self.unit, self.mmol, self.text)


def dose_of_salt(salt_mass: Quantity, product: Product, protocol: Protocol) -> Amounts:
    mmol = magnitude_in(salt_mass / product.salt.mass_per_magnesium, "mmol")
    return dose_of(product, mmol, protocol, salt_mass_mg=magnitude_in(salt_mass, "mg"))


def dose_of(
    product: Product, mmol: Fraction, protocol: Protocol, salt_mass_mg: Fraction | None = None
) -> Amounts:
    if salt_mass_mg is None:
        salt_mass_mg = product_in(mmol, "mmol", product.salt.mass_per_magnesium, "mg")
    meq = product_in(mmol, "mmol", protocol.magnesium_valence, "mEq")
    elemental = product_in(mmol, "mmol", protocol.magnesium_molar_mass, "mg")
    return Amounts(product.salt.full_name, salt_mass_mg, mmol, meq, elemental)


def product_use(
    product: Product, mmol: Fraction, protocol: Protocol
) -> tuple[UnitsOf, Rounding | None]:
    """The units of product for mmol, and the rounding to warn about if they are off by more
    than the protocol's tolerance."""
    per_unit = magnitude_in(product.magnesium_per_unit, "mmol")
    if product.is_injection:
        units = Fraction(decimals(mmol / per_unit, 1))  # injections are measured to 0.1 mL
        unit_name = product.unit_plural
        count = f"{decimals(units, 1)} {unit_name}"
    else:
        units = Fraction(max(1, round(mmol / per_unit)))
        unit_name = product.unit_singular if units == 1 else product.unit_plural
        name = product.name
        if units != 1 and name.endswith(product.unit_singular):
            name = name[: -len(product.unit_singular)] + product.unit_plural
        count = f"{units} {name}"
    delivered = units * per_unit
    tolerance = protocol.thresholds.product_rounding_tolerance_percent / 100
    rounding = None
    if abs(delivered - mmol) > tolerance * mmol:
        rounding = {
            "product": product.name,
            "units": count,
            "delivers": "delivers" if units == 1 else "deliver",
            "delivered": f"{significant(delivered)} mmol",
            "ordered": f"{significant(mmol)} mmol",
        }
    text = (
        f"{count} of {product.name}"
        if product.is_injection
        else f"{count} ({significant(delivered)} mmol)"
    )
    return UnitsOf(product.key, product.name, units, unit_name, delivered, text), rounding


def dose_text(dose: Amounts) -> str:
    return (
        f"{significant(dose.mmol)} mmol, {significant(dose.meq)} mEq, "
        f"{significant(dose.elemental_mg)} mg elemental magnesium"
    )


def with_text(dose: Dose) -> Dose:
    """The dose with its text: the amount of magnesium three ways, and the salt weighed."""
    text = (
        f"{amount_text(dose.mmol, 'mmol')} magnesium = {amount_text(dose.meq, 'mEq')} = "
        f"{amount_text(dose.elemental_mg, 'mg')} elemental magnesium; "
        f"salt: {salt_mass_text(dose.salt_mass_mg)} {dose.salt}"
    )
    return Dose(dose.salt, dose.salt_mass_mg, dose.mmol, dose.meq, dose.elemental_mg, text)
