"""The safety ceilings of the specification (invariants 4-6): constants of mgdesk, not data.

A site protocol may set lower limits, never higher ones: the loader refuses a protocol whose
thresholds or doses go above a ceiling, and the invariants check every plan against the
ceiling as well as the protocol's own (lower) limit. So no protocol file, however it was
written, can make mgdesk print an order above these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from mgdesk.core.formatting import significant
from mgdesk.core.frozen import Frozen
from mgdesk.core.units import Quantity, magnitude_in, quantity


class Ceiling(Frozen):
    """A fixed limit in its canonical unit, over what time if any, and where it comes from."""

    value: Fraction
    unit: str
    source: str
    period: str = ""  # e.g. " in 48 hours"

    @property
    def text(self) -> str:
        """E.g. "mgdesk's fixed ceiling of 150 mg/min (FDA magnesium sulfate label)"."""
        limit = f"{_figure(self.value)} {self.unit}{self.period}"
        return f"mgdesk's fixed ceiling of {limit} ({self.source})"


_LABEL = "FDA magnesium sulfate label"
# Invariant 4. The label: "should not exceed 150 mg/minute", diluted to 20% or less.
IV_MAX_RATE = Ceiling(Fraction(150), "mg/min", _LABEL)
IV_MAX_CONCENTRATION = Ceiling(Fraction(20), "g/dL", _LABEL)
# The one exception to IV_MAX_RATE: the pulseless torsades push, 2 g over 1 to 2 minutes
# (AHA). Its ceiling is the fastest push the guideline gives: 2 g in 1 minute.
PUSH_MAX_RATE = Ceiling(Fraction(2000), "mg/min", "AHA ECC 2020, pulseless torsades")
# Invariant 5. The label: with severe renal impairment, at most 20 g in 48 hours.
RENAL_MAX_48H = Ceiling(Fraction(20), "g", _LABEL, " in 48 hours")
# Invariant 6. The label: IM, up to 250 mg/kg within 4 hours.
IM_MAX_PER_WEIGHT_4H = Ceiling(Fraction(250), "mg/kg", _LABEL, " in 4 hours")

# Each protocol threshold that a ceiling bounds.
THRESHOLD_CEILINGS: Mapping[str, Ceiling] = {
    "iv_max_rate": IV_MAX_RATE,
    "iv_max_concentration": IV_MAX_CONCENTRATION,
    "renal_max_48h": RENAL_MAX_48H,
    "im_max_per_weight_4h": IM_MAX_PER_WEIGHT_4H,
}
_INFUSIONS = (
    "torsades_with_pulse",
    "loading",
    "severe_iv",
    "severe_iv_reduced",
    "mild_iv",
    "mild_iv_reduced",
)
_PUSH = "torsades_pulseless"
# Bags dosed in mmol of magnesium, from magnesium_low to magnesium_high.
_BAGS = ("refractory_bag", "refractory_bag_reduced")
# With restricted renal function the engine orders the torsades dose or the loading dose,
# then the reduced severe infusion: the most a plan can hold then.
_RENAL_FIRST = ("torsades_with_pulse", "torsades_pulseless", "loading")
_RENAL_THEN = "severe_iv_reduced"
_IM_WINDOW_MIN = Fraction(240)
_DIGITS = 6
_MOST_DIGITS = 60  # the precision significant() divides to


def effective_limit(protocol_value: Any, ceiling: Ceiling, unit: str) -> Fraction:
    """The lower of a protocol's limit and mgdesk's ceiling, in unit."""
    return min(
        magnitude_in(protocol_value, unit),
        magnitude_in(quantity(ceiling.value, ceiling.unit), unit),
    )


def check_ceilings(
    problem: Callable[[str, str], None],
    thresholds: Mapping[str, Any],
    plausibility: Mapping[str, tuple[Any, Any]],
    doses: Mapping[str, Mapping[str, Any]],
    sulfate_per_magnesium: Quantity | None,
) -> None:
    """Report (where, message) for every threshold above its ceiling and every dose that
    would give an order above one. sulfate_per_magnesium: the protocol's mass of magnesium
    sulfate per mmol of magnesium (None if unreadable), which turns a bag's mmol into the
    salt mass the engine prints. Values missing or unreadable are reported elsewhere."""
    for key, ceiling in THRESHOLD_CEILINGS.items():
        value = thresholds.get(key)
        if value is not None and magnitude_in(value, ceiling.unit) > ceiling.value:
            problem(
                f"thresholds.{key}",
                f"{_shown(value, ceiling)} is above {ceiling.text}",
            )
    for name in (*_INFUSIONS, _PUSH):
        _check_iv(problem, name, doses.get(name, {}))
    if sulfate_per_magnesium is not None:
        for name in _BAGS:
            _check_bag(problem, name, doses.get(name, {}), sulfate_per_magnesium)
    lightest = plausibility.get("weight", (None, None))[0]
    if lightest is not None and magnitude_in(lightest, "kg") > 0:
        for name in ("severe_im", "mild_im", "mild_im_reduced"):
            _check_im(problem, name, doses.get(name, {}), magnitude_in(lightest, "kg"))
    _check_renal_total(problem, doses)


def _positive(dose: Mapping[str, Any], field: str, unit: str) -> Fraction | None:
    value = dose.get(field)
    if value is None:
        return None
    magnitude = magnitude_in(value, unit)
    return magnitude if magnitude > 0 else None


def _check_iv(problem: Callable[[str, str], None], name: str, dose: Mapping[str, Any]) -> None:
    salt = _positive(dose, "salt_mass", "mg")
    if salt is not None:
        _check_infusion(problem, name, dose, salt, _g(salt))


def _check_bag(
    problem: Callable[[str, str], None],
    name: str,
    dose: Mapping[str, Any],
    sulfate_per_magnesium: Quantity,
) -> None:
    """A bag at its largest amount, as the engine prints its rate ("at most ... mg/min")."""
    mmol = _positive(dose, "magnesium_high", "mmol")
    if mmol is None:
        return
    salt = mmol * magnitude_in(sulfate_per_magnesium, "mg/mmol")
    _check_infusion(problem, name, dose, salt, f"{_figure(mmol)} mmol ({_g(salt)})")


def _check_infusion(
    problem: Callable[[str, str], None],
    name: str,
    dose: Mapping[str, Any],
    salt: Fraction,
    amount: str,
) -> None:
    """salt: mg of magnesium sulfate in the dose's volume, given over its duration."""
    millilitres = _positive(dose, "volume", "mL")
    minutes = _positive(dose, "duration", "min")
    where = f"doses.{name}"
    if millilitres is not None:
        concentration = salt / 1000 / (millilitres / 100)
        if concentration > IV_MAX_CONCENTRATION.value:
            problem(
                where,
                f"{amount} in {_figure(millilitres)} mL is "
                f"{_figure(concentration, IV_MAX_CONCENTRATION.value)} g/dL, "
                f"above {IV_MAX_CONCENTRATION.text}",
            )
    if minutes is not None:
        rate = salt / minutes
        ceiling = PUSH_MAX_RATE if name == _PUSH else IV_MAX_RATE
        if rate > ceiling.value:
            volume = f" in {_figure(millilitres)} mL" if millilitres is not None else ""
            problem(
                where,
                f"{amount}{volume} over {_figure(minutes)} min is "
                f"{_figure(rate, ceiling.value)} mg/min, above {ceiling.text}",
            )


def _check_im(
    problem: Callable[[str, str], None], name: str, dose: Mapping[str, Any], lightest_kg: Fraction
) -> None:
    salt = _positive(dose, "salt_mass", "mg")
    if salt is None:
        return
    count = 1
    interval = _positive(dose, "interval", "min")
    doses = dose.get("doses")
    if interval is not None and isinstance(doses, int):
        # Doses given within any 4 hours: one every interval, at most the course.
        count = min(doses, -(-_IM_WINDOW_MIN // interval))
    per_weight = salt * count / lightest_kg
    if per_weight > IM_MAX_PER_WEIGHT_4H.value:
        given = f"{count} doses of {_g(salt)}" if count > 1 else _g(salt)
        problem(
            f"doses.{name}",
            f"{given} in 4 hours at the lowest plausible weight ({_figure(lightest_kg)} kg)"
            f" is {_figure(per_weight, IM_MAX_PER_WEIGHT_4H.value)} mg/kg, "
            f"above {IM_MAX_PER_WEIGHT_4H.text}",
        )


def _check_renal_total(
    problem: Callable[[str, str], None], doses: Mapping[str, Mapping[str, Any]]
) -> None:
    firsts = {n: _positive(doses.get(n, {}), "salt_mass", "g") for n in _RENAL_FIRST}
    then = _positive(doses.get(_RENAL_THEN, {}), "salt_mass", "g")
    known = {name: mass for name, mass in firsts.items() if mass is not None}
    if then is None or len(known) != len(firsts):
        return
    largest = max(known, key=known.__getitem__)
    total = known[largest] + then
    if total > RENAL_MAX_48H.value:
        problem(
            f"doses.{_RENAL_THEN}",
            f"with restricted renal function a plan may hold doses.{largest} "
            f"({_figure(known[largest])} g) and doses.{_RENAL_THEN} ({_figure(then)} g): "
            f"{_figure(total, RENAL_MAX_48H.value)} g of magnesium sulfate, "
            f"above {RENAL_MAX_48H.text}",
        )


def _g(milligrams: Fraction) -> str:
    return f"{_figure(milligrams / 1000)} g"


def _shown(value: Any, ceiling: Ceiling) -> str:
    return f"{_figure(magnitude_in(value, ceiling.unit), ceiling.value)} {ceiling.unit}"


def _figure(value: Fraction, ceiling: Fraction | None = None) -> str:
    """value to _DIGITS significant figures, or more if it is above ceiling: a value just
    above a ceiling never shows as the ceiling ("150.0000000001 is above 150")."""
    digits = _DIGITS
    while (
        ceiling is not None
        and value > ceiling
        and digits < _MOST_DIGITS
        and significant(value, digits) == significant(ceiling, digits)
    ):
        digits += 1
    return significant(value, digits)
