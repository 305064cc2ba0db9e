"""Where a magnesium level or a creatinine clearance falls among the protocol's thresholds,
and the level as shown: rounded for reading, never across a threshold."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from mgdesk.core.chemistry import (
    MAGNESIUM_UNITS,
    magnesium_in_all_units,
    magnesium_mg_dl,
    reinterpret,
)
from mgdesk.core.formatting import as_typed, display_unit, preserving, significant
from mgdesk.core.plan import MagnesiumLevel
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import Quantity, exact_magnitude, magnitude_in


def band_of(mg_dl: Fraction, protocol: Protocol) -> str:
    """The band of a level in mg/dL, compared exactly with the protocol's thresholds."""
    t = protocol.thresholds
    if mg_dl < magnitude_in(t.magnesium_severe_below, "mg/dL"):
        return "severe"
    if mg_dl < magnitude_in(t.magnesium_normal_from, "mg/dL"):
        return "mild"
    if mg_dl <= magnitude_in(t.magnesium_high_above, "mg/dL"):
        return "normal"
    return "high"


def renal_band(ml_min: Fraction, protocol: Protocol) -> str:
    t = protocol.thresholds
    if ml_min >= magnitude_in(t.clearance_full_dose_from, "mL/min"):
        return "full_dose"
    if ml_min >= magnitude_in(t.clearance_emergency_only_below, "mL/min"):
        return "reduced_dose"
    return "below_20"


def magnesium_reading(entered: Quantity, protocol: Protocol) -> tuple[MagnesiumLevel, str]:
    """The entered level in every unit, and its band."""
    values = magnesium_in_all_units(entered, protocol)
    band = band_of(values["mg/dL"], protocol)

    def same_band(unit_text: str) -> Callable[[Fraction], bool]:
        def check(shown: Fraction) -> bool:
            return band_in(shown, unit_text, protocol) == band

        return check

    shown = tuple((u, preserving(values[u], same_band(u))) for u in MAGNESIUM_UNITS)
    text = f"{as_typed(Fraction(entered.magnitude))} {display_unit(entered)}"
    return MagnesiumLevel(text, values["mg/dL"], values["mmol/L"], values["mEq/L"], shown), band


def band_in(number: Fraction, unit_text: str, protocol: Protocol) -> str:
    """The band of number read in unit_text (for a level whose unit may have been mistaken)."""
    return band_of(magnesium_mg_dl(reinterpret(number, unit_text), protocol), protocol)


def in_all_units(q: Quantity, protocol: Protocol) -> str:
    """A magnesium concentration in every unit, as a threshold is shown: "1.2 mg/dL = ..."."""
    values = magnesium_in_all_units(q, protocol)
    return " = ".join(f"{significant(values[u], 4)} {u}" for u in MAGNESIUM_UNITS)


def unit_confusion(
    entered: Quantity, level: MagnesiumLevel, band: str, protocol: Protocol
) -> dict[str, str] | None:
    """The values of possible_unit_confusion when the number typed, read in another unit,
    would be mild or normal rather than severe or high; else None."""
    entered_unit = display_unit(entered)
    for other in MAGNESIUM_UNITS:
        if other == entered_unit:
            continue
        other_band = band_in(exact_magnitude(entered), other, protocol)
        if other_band in ("mild", "normal"):
            return {
                "entered": level.entered,
                "band": band,
                "unit": entered_unit,
                "other_band": other_band,
                "other_unit": other,
                "all_units": level.shown_text,
            }
    return None
