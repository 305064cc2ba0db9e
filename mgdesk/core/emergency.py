"""The emergency orders of a case that is not (yet) valid as a whole.

A torsades dose or a loading dose for severe symptoms must not wait for an unrelated field
(a long name, an implausible potassium). These orders are decided from the fields they
depend on alone: the case is cut down to those fields, validated by parse_case and walked
by the engine like any other case (so the same builders and invariant checks make them),
and only the orders to give now are kept from its plan. Every other field is left out.
Renal function adds the 48-hour cap to them: it is read if all its fields are valid, and is
otherwise unknown (so the orders carry the cap, as the engine gives it for unknown function).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from mgdesk.core import codes
from mgdesk.core.case import CASE_FORMAT, Case, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, PlanWithheld
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import Order, PlanWarning
from mgdesk.core.protocol import Protocol

# What every emergency order depends on: whether the patient is in scope, whether magnesium
# is contraindicated, whether there is torsades, and what the orders warn of (digoxin,
# dialysis).
EMERGENCY_FIELDS = (
    "patient.age_years",
    "patient.sex",
    "patient.pregnant",
    "clinical.torsades",
    "clinical.heart_block",
    "clinical.myasthenia_gravis",
    "clinical.digoxin",
    "clinical.dialysis",
)
# What the loading dose depends on besides: the symptoms, and the level (given only for a low
# one). With torsades, the torsades dose serves as the loading dose whatever these say.
LOADING_FIELDS = ("clinical.symptoms", "labs.magnesium")
# Read when all of them are valid, otherwise left out (renal function is then unknown). The
# magnesium already given is never read: it reduces no emergency dose (PROTOCOL.md 8f).
RENAL_FIELDS = (
    "patient.weight",
    "patient.height",
    "labs.creatinine",
    "labs.creatinine_clearance",
    "labs.egfr",
)
# Besides the warnings its orders name: give the torsades dose now, or why no dose is ordered.
EMERGENCY_WARNINGS = (
    "torsades_do_not_delay",
    "out_of_scope_pediatric",
    "out_of_scope_pregnancy",
    "heart_block_contraindication",
    "myasthenia_gravis_contraindication",
)


class EmergencyPlan(Frozen):
    """The emergency of a case and the orders to give now (none if the protocol gives none,
    with the warnings that say why)."""

    torsades: str
    severe_symptoms: tuple[str, ...]
    orders: tuple[Order, ...]
    warnings: tuple[PlanWarning, ...]

    def as_dict(self) -> dict[str, Any]:
        """The keys an error report carries besides its errors."""
        return {
            "emergency_orders": [o.as_dict() for o in self.orders],
            "emergency_warnings": [w.as_dict() for w in self.warnings],
        }


def emergency_fields(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields the emergency orders of document depend on (dotted paths)."""
    clinical = document.get("clinical")
    torsades = clinical.get("torsades") if isinstance(clinical, Mapping) else None
    if torsades in codes.TORSADES and torsades != "none":
        return EMERGENCY_FIELDS
    return EMERGENCY_FIELDS + LOADING_FIELDS


def asked_emergency(document: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The emergency a case document asks about (torsades, the severe symptoms), read before
    validation: what the window names while the orders wait for the fields they need."""
    clinical = document.get("clinical")
    if not isinstance(clinical, Mapping):
        return "none", ()
    torsades = clinical.get("torsades")
    symptoms = clinical.get("symptoms")
    severe = tuple(
        s for s in (symptoms if isinstance(symptoms, list) else []) if s in codes.SYMPTOMS_SEVERE
    )
    return (torsades if torsades in codes.TORSADES else "none"), severe


def emergency_orders(
    document: object, protocol: Protocol, unreadable: Collection[str] = ()
) -> EmergencyPlan | None:
    """The emergency orders of document, even if other fields are invalid; None when it has
    no emergency (neither torsades nor a severe symptom) or a field they depend on is missing
    or invalid. unreadable: fields the caller could not read (the window's own problems)."""
    if not isinstance(document, Mapping):
        return None
    fields = emergency_fields(document)
    unread = {field.partition("[")[0] for field in unreadable}
    if unread & set(fields):
        return None
    renal = () if unread & set(RENAL_FIELDS) else RENAL_FIELDS
    case = _valid_case(document, fields, renal, protocol)
    if case is None:
        return None
    if not (case.torsades_present or case.clinical.severe_symptoms):
        return None
    try:
        plan = evaluate(case, protocol)
    except PlanWithheld:
        return None
    orders = plan.immediate_orders
    named = {code for order in orders for code in order.warnings} | set(EMERGENCY_WARNINGS)
    return EmergencyPlan(
        case.clinical.torsades,
        case.clinical.severe_symptoms,
        orders,
        tuple(w for w in plan.warnings_by_level() if w.code in named),
    )


def _valid_case(
    document: Mapping[str, Any],
    fields: tuple[str, ...],
    renal: tuple[str, ...],
    protocol: Protocol,
) -> Case | None:
    """The case of fields and renal (or, if only the renal fields are invalid, of fields
    alone); None if a field of fields is invalid or missing."""
    try:
        return parse_case(_only(document, fields + renal), protocol)
    except CaseInvalid as invalid:
        if not renal or any(e.field not in renal for e in invalid.errors):
            return None
    try:
        return parse_case(_only(document, fields), protocol)
    except CaseInvalid:
        return None


def _only(document: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """document cut down to fields (its sections always present, so that only a missing
    field, never a missing section, is an error)."""
    cut: dict[str, Any] = {
        "format": document.get("format", CASE_FORMAT),
        "patient": {},
        "labs": {},
        "clinical": {},
    }
    for field in fields:
        section, _, key = field.partition(".")
        values = document.get(section)
        if isinstance(values, Mapping) and key in values:
            cut[section][key] = values[key]
    return cut
