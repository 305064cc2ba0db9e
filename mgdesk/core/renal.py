"""Renal function as pharmacists estimate it (PROTOCOL.md step 6): a measured clearance, else
Cockcroft-Gault with the weight the protocol's rule chooses, else an entered eGFR.

Every figure is exact (fractions); BMI 18.5 and 25 and the height 152.4 cm are compared
exactly, and the figures shown are never rounded across them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from mgdesk.core.bands import renal_band
from mgdesk.core.case import Case
from mgdesk.core.chemistry import EGFR_UNITS, creatinine_mg_dl
from mgdesk.core.formatting import decimals, display_unit, preserving, significant
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import BodySize, Clearance, StepValue, WeightUsed
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import Quantity, magnitude_in

# Cockcroft DW, Gault MH. Nephron 1976;16:31-41 (REFERENCES.md D8).
CG_AGE_CONSTANT = 140
CG_DIVISOR = 72
CG_FEMALE_FACTOR = Fraction("0.85")
# Ideal body weight, Devine (REFERENCES.md 6b R2): defined from 60 inches (152.4 cm) up.
IBW_BASE_KG = {"male": Fraction(50), "female": Fraction("45.5")}
IBW_KG_PER_INCH = Fraction("2.3")
IBW_FROM_INCHES = 60
CM_PER_INCH = Fraction("2.54")
# Adjusted body weight: ideal + 0.4 x (actual - ideal) (REFERENCES.md 6b R1).
ADJUSTED_FACTOR = Fraction("0.4")


class RenalFunction(Frozen):
    """The renal estimate used, how it was found, and its arithmetic."""

    ml_min: Fraction | None
    method: str | None  # "entered", "cockcroft_gault", "egfr", or None when unknown
    arithmetic: str
    missing: tuple[str, ...] = ()  # what an unknown estimate lacks: "creatinine", "weight"
    weight: WeightUsed | None = None  # with Cockcroft-Gault
    # The info warning that goes with the weight used: cockcroft_gault_actual_weight or
    # ideal_weight_not_defined (bmi_rule only).
    weight_warning: str | None = None


def body_size(case: Case, protocol: Protocol) -> BodySize | None:
    """BMI, ideal and adjusted weight from the entered height and weight (both needed)."""
    patient = case.patient
    if patient.height is None or patient.weight is None:
        return None
    height_cm = magnitude_in(patient.height, "cm")
    weight = magnitude_in(patient.weight, "kg")
    bmi = weight / (height_cm / 100) ** 2
    inches = height_cm / CM_PER_INCH
    shown = f"BMI {bmi_text(bmi, protocol)}"
    if inches < IBW_FROM_INCHES:
        shown += ", ideal body weight not defined under 152.4 cm"
        return BodySize(height_cm, weight, bmi, None, None, shown)
    ideal = IBW_BASE_KG[patient.sex] + IBW_KG_PER_INCH * (inches - IBW_FROM_INCHES)
    adjusted = ideal + ADJUSTED_FACTOR * (weight - ideal)
    shown += f", ideal {_kg(ideal)}, adjusted {_kg(adjusted)}"
    return BodySize(height_cm, weight, bmi, ideal, adjusted, shown)


def bmi_text(bmi: Fraction, protocol: Protocol) -> str:
    """BMI to one decimal ("46.9"), with more where one decimal would cross 18.5 or 25, and
    no trailing zero ("41", not "41.0": printed on the order sheet, where ISMP's rule holds)."""
    bounds = (protocol.thresholds.bmi_underweight_below, protocol.thresholds.bmi_overweight_from)

    def side(value: Fraction) -> tuple[bool, ...]:
        return tuple(value < bound for bound in bounds)

    exact = Decimal(bmi.numerator) / Decimal(bmi.denominator)
    for places in range(1, 8):
        shown = exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if side(Fraction(shown)) == side(bmi):
            text = format(shown, "f")
            return text.rstrip("0").rstrip(".") if "." in text else text
    return significant(bmi, 10)


def _kg(value: Fraction) -> str:
    return f"{decimals(value, 1)} kg"


def cockcroft_gault_weight(
    case: Case, protocol: Protocol, size: BodySize | None
) -> tuple[WeightUsed, str | None]:
    """The weight for Cockcroft-Gault by the protocol's rule, and the info warning it gives."""
    assert case.patient.weight is not None
    actual = magnitude_in(case.patient.weight, "kg")
    if protocol.settings.cockcroft_gault_weight == "actual":
        reason = f"actual body weight {_kg(actual)}: this protocol always uses actual body weight"
        return WeightUsed("actual", actual, reason), None
    if size is None:
        reason = f"actual body weight {_kg(actual)}: no height entered"
        return WeightUsed("actual", actual, reason), "cockcroft_gault_actual_weight"
    bmi = bmi_text(size.bmi, protocol)
    if size.ideal_kg is None or size.adjusted_kg is None:
        reason = (
            f"actual body weight {_kg(actual)}: height under 152.4 cm, "
            "ideal body weight not defined"
        )
        return WeightUsed("actual", actual, reason), "ideal_weight_not_defined"
    ideal = f"ideal {_kg(size.ideal_kg)}"
    t = protocol.thresholds
    if size.bmi < t.bmi_underweight_below:
        return WeightUsed("actual", actual, f"actual body weight {_kg(actual)}: BMI {bmi}"), None
    if size.bmi < t.bmi_overweight_from:
        if size.ideal_kg < actual:
            reason = (
                f"ideal body weight {_kg(size.ideal_kg)}: BMI {bmi}, below actual {_kg(actual)}"
            )
            return WeightUsed("ideal", size.ideal_kg, reason), None
        reason = f"actual body weight {_kg(actual)}: BMI {bmi}, {ideal}"
        return WeightUsed("actual", actual, reason), None
    reason = f"adjusted body weight {_kg(size.adjusted_kg)}: BMI {bmi}, {ideal}"
    return WeightUsed("adjusted", size.adjusted_kg, reason), None


def renal_function(case: Case, protocol: Protocol) -> RenalFunction:
    """The first available: a measured clearance, Cockcroft-Gault (age, weight, creatinine),
    an entered eGFR; else unknown."""
    labs, patient = case.labs, case.patient
    if labs.creatinine_clearance is not None:
        value = magnitude_in(labs.creatinine_clearance, "mL/min")
        return RenalFunction(value, "entered", "measured clearance, as entered")
    if labs.creatinine is not None and patient.weight is not None:
        return _cockcroft_gault(case, protocol)
    if labs.egfr is not None:
        value = magnitude_in(labs.egfr, EGFR_UNITS[0])
        return RenalFunction(value, "egfr", "eGFR, as entered")
    missing = [
        name
        for name, v in (("creatinine", labs.creatinine), ("weight", patient.weight))
        if v is None
    ]
    return RenalFunction(
        None, None, f"cannot be computed: no {' or '.join(missing)}", tuple(missing)
    )


def _cockcroft_gault(case: Case, protocol: Protocol) -> RenalFunction:
    labs, patient = case.labs, case.patient
    assert labs.creatinine is not None
    weight, warning = cockcroft_gault_weight(case, protocol, body_size(case, protocol))
    creatinine = creatinine_mg_dl(labs.creatinine, protocol)
    value = (CG_AGE_CONSTANT - patient.age_years) * weight.kg / (CG_DIVISOR * creatinine)
    named = "" if weight.kind == "actual" else f" ({weight.kind} body weight)"
    text = (
        f"({CG_AGE_CONSTANT} - {significant(patient.age_years, 4)} years)"
        f" x {significant(weight.kg, 4)} kg{named}"
        f" / ({CG_DIVISOR} x {significant(creatinine, 4)} mg/dL)"
    )
    if patient.sex == "female":
        value *= CG_FEMALE_FACTOR
        text += f" x {decimals(CG_FEMALE_FACTOR, 3)} (female)"
    return RenalFunction(value, "cockcroft_gault", text, weight=weight, weight_warning=warning)


def estimate_shown(renal: RenalFunction, protocol: Protocol) -> Clearance | None:
    """The estimate as the plan holds it, shown never rounded across a renal threshold."""
    if renal.ml_min is None or renal.method is None:
        return None
    band = renal_band(renal.ml_min, protocol)
    shown = preserving(renal.ml_min, lambda v: renal_band(v, protocol) == band)
    unit = EGFR_UNITS[0] if renal.method == "egfr" else "mL/min"
    return Clearance(
        renal.ml_min,
        renal.method,
        f"{renal.arithmetic} = {shown} {unit}",
        f"{shown} {unit}",
        renal.weight,
    )


def renal_inputs(case: Case) -> list[StepValue]:
    """What the renal step reads, for the trace (height and eGFR when entered)."""
    labs, patient = case.labs, case.patient
    inputs = [
        StepValue("creatinine", _entered(labs.creatinine)),
        StepValue("weight", _entered(patient.weight)),
        StepValue("age", f"{significant(patient.age_years, 4)} years"),
        StepValue("sex", patient.sex),
        StepValue("measured clearance", _entered(labs.creatinine_clearance)),
        StepValue("dialysis", "yes" if case.clinical.dialysis else "no"),
    ]
    if patient.height is not None:
        inputs.insert(2, StepValue("height", _entered(patient.height)))
    if labs.egfr is not None:
        inputs.insert(-1, StepValue("eGFR", _entered(labs.egfr)))
    return inputs


def _entered(q: Quantity | None) -> str:
    if q is None:
        return "not entered"
    return f"{significant(q.magnitude, 6)} {display_unit(q)}"
