"""Renal function: Cockcroft-Gault with actual body weight, or a measured clearance."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from mgdesk.core.case import Case
from mgdesk.core.chemistry import creatinine_mg_dl
from mgdesk.core.formatting import decimals, significant
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import magnitude_in

# Cockcroft DW, Gault MH. Nephron 1976;16:31-41 (REFERENCES.md D8).
CG_AGE_CONSTANT = 140
CG_DIVISOR = 72
CG_FEMALE_FACTOR = Fraction("0.85")


@dataclass(frozen=True)
class RenalFunction:
    """The creatinine clearance, how it was found, and its arithmetic."""

    ml_min: Fraction | None
    method: str | None  # "cockcroft_gault", "entered" or None when unknown
    arithmetic: str
    missing: tuple[str, ...] = ()  # what an unknown clearance lacks: "creatinine", "weight"


def renal_function(case: Case, protocol: Protocol) -> RenalFunction:
    """An entered clearance wins; else Cockcroft-Gault when creatinine and weight are known."""
    labs, patient = case.labs, case.patient
    if labs.creatinine_clearance is not None:
        value = magnitude_in(labs.creatinine_clearance, "mL/min")
        return RenalFunction(value, "entered", "measured clearance, as entered")
    if labs.creatinine is None or patient.weight is None:
        missing = [
            name
            for name, v in (("creatinine", labs.creatinine), ("weight", patient.weight))
            if v is None
        ]
        return RenalFunction(
            None, None, f"cannot be computed: no {' or '.join(missing)}", tuple(missing)
        )
    weight = magnitude_in(patient.weight, "kg")
    creatinine = creatinine_mg_dl(labs.creatinine, protocol)
    value = (CG_AGE_CONSTANT - patient.age_years) * weight / (CG_DIVISOR * creatinine)
    text = (
        f"({CG_AGE_CONSTANT} - {significant(patient.age_years, 4)} years)"
        f" x {significant(weight, 4)} kg / ({CG_DIVISOR} x {significant(creatinine, 4)} mg/dL)"
    )
    if patient.sex == "female":
        value *= CG_FEMALE_FACTOR
        text += f" x {decimals(CG_FEMALE_FACTOR, 3)} (female)"
    return RenalFunction(value, "cockcroft_gault", text)
