"""The one place the window asks the core: validate the case document, then evaluate it;
for a case that is not valid, the emergency orders that do not wait for it.

Imported only after the first paint (it loads the core, and through it the unit
registry and the protocol).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from mgdesk.core.case import Case, parse_case
from mgdesk.core.chemistry import (
    CREATININE_UNITS,
    HEIGHT_UNITS,
    MAGNESIUM_UNITS,
    POTASSIUM_UNITS,
    WEIGHT_UNITS,
)
from mgdesk.core.emergency import EmergencyPlan, emergency_fields, emergency_orders
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, FieldError, PlanWithheld
from mgdesk.core.formatting import significant
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import magnitude_in

# "umol/L" and "µmol/L" are one unit; the picker offers the spelling mgdesk prints.
UNIT_CHOICES = {
    "labs.magnesium": MAGNESIUM_UNITS,
    "labs.potassium": POTASSIUM_UNITS,
    "labs.creatinine": tuple(u for u in CREATININE_UNITS if u != "umol/L"),
    "patient.weight": WEIGHT_UNITS,
    "patient.height": HEIGHT_UNITS,
}
UNIT_ALIASES = {"umol/l": "µmol/L", "ml/min/1.73m2": "mL/min/1.73 m2"}


@dataclass(frozen=True)
class Assessment:
    """What the core made of one case document: a plan, or the reasons there is none."""

    document: Mapping[str, Any]
    case: Case | None
    plan: Plan | None
    errors: tuple[FieldError, ...]
    withheld: tuple[str, ...] = ()  # why a valid case has no plan (a safety check failed)
    # For a case that is not valid: the orders to give now all the same, or the marked
    # entries they wait for.
    emergency: EmergencyPlan | None = None
    emergency_blockers: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class Bands:
    """The protocol's magnesium thresholds in mg/dL, for the band gauge."""

    severe_below: Fraction
    normal_from: Fraction
    high_above: Fraction


@dataclass(frozen=True)
class PregnancyAges:
    """The ages, as shown, at which a woman's pregnancy answer is required (from the protocol)."""

    from_age: str
    below_age: str


def assess(
    document: Mapping[str, Any], protocol: Protocol, form_errors: Iterable[FieldError] = ()
) -> Assessment:
    """The core's plan for document; form_errors (problems the form found first) withhold it too."""
    local = tuple(form_errors)
    local_fields = {e.field for e in local}
    try:
        case = parse_case(dict(document), protocol)
    except CaseInvalid as invalid:
        core = tuple(e for e in invalid.errors if e.field not in local_fields)
        return _invalid(document, protocol, local + core, local_fields)
    if local:
        return _invalid(document, protocol, local, local_fields)
    try:
        return Assessment(document, case, evaluate(case, protocol), ())
    except PlanWithheld as withheld:
        return Assessment(document, case, None, (), withheld.violations)


def _invalid(
    document: Mapping[str, Any],
    protocol: Protocol,
    errors: tuple[FieldError, ...],
    unreadable: set[str],
) -> Assessment:
    """No plan for an invalid case; its emergency orders, or the errors they wait for."""
    emergency = emergency_orders(dict(document), protocol, unreadable)
    needed = emergency_fields(document)
    blockers = tuple(e for e in errors if e.field.partition("[")[0] in needed)
    return Assessment(
        document, None, None, errors, emergency=emergency, emergency_blockers=blockers
    )


def bands_of(protocol: Protocol) -> Bands:
    t = protocol.thresholds
    return Bands(
        magnitude_in(t.magnesium_severe_below, "mg/dL"),
        magnitude_in(t.magnesium_normal_from, "mg/dL"),
        magnitude_in(t.magnesium_high_above, "mg/dL"),
    )


def pregnancy_ages(protocol: Protocol) -> PregnancyAges:
    return PregnancyAges(
        significant(protocol.thresholds.adult_from_age_years, 4),
        significant(protocol.thresholds.pregnancy_question_below_age_years, 4),
    )
