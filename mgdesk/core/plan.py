"""The plan: the engine's immutable answer, which every view renders and none re-decides."""

from __future__ import annotations

from dataclasses import field
from fractions import Fraction
from typing import Any

from mgdesk.core.codes import WARNING_LEVELS
from mgdesk.core.frozen import Frozen

Amount = Fraction | tuple[Fraction, Fraction]

PLAN_FORMAT = "mgdesk-plan/1"

# The orders given at once, before anything else is decided: the torsades dose, and the
# loading dose for severe symptoms (the torsades dose serves as the loading dose with torsades).
IMMEDIATE_ORDERS = ("mg_sulfate_iv_torsades", "mg_sulfate_iv_loading")


def _number(value: Amount | None) -> Any:
    if value is None:
        return None
    if isinstance(value, tuple):
        return [float(v) for v in value]
    return float(value)


class Dose(Frozen):
    """Magnesium per dose: the same amount as mmol, mEq, elemental mg and salt mass."""

    salt: str  # the salt weighed, in full (e.g. "magnesium sulfate heptahydrate")
    salt_mass_mg: Amount
    mmol: Amount
    meq: Amount
    elemental_mg: Amount
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "salt": self.salt,
            "salt_mass_mg": _number(self.salt_mass_mg),
            "mmol": _number(self.mmol),
            "mEq": _number(self.meq),
            "elemental_mg": _number(self.elemental_mg),
            "text": self.text,
        }


class ProductUse(Frozen):
    """How many units of a product make up one dose, and what they deliver."""

    key: str
    name: str
    units: Amount
    unit: str
    mmol: Amount
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "units": _number(self.units),
            "unit": self.unit,
            "mmol": _number(self.mmol),
            "text": self.text,
        }


class Order(Frozen):
    """One order of the plan, with its dose, product, volume, rate and timing."""

    id: str
    role: str
    route: str | None
    title: str
    text: str
    drug: str
    mg_mmol: Amount | None = None
    dose: Dose | None = None
    product: ProductUse | None = None
    diluent: str | None = None
    volume_ml: Fraction | None = None
    duration_min: Fraction | None = None
    duration_max_min: Fraction | None = None
    rate_ml_h: Fraction | None = None
    rate_mg_min: Fraction | None = None
    concentration_g_dl: Fraction | None = None
    frequency: str | None = None
    doses: int | None = None
    emergency: bool = False
    # For an alternative: the id of the order it replaces (give one or the other, never both).
    alternative_to: str | None = None
    warnings: tuple[str, ...] = ()
    monitoring: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    # Said beside the order, not part of it (the specialist's range of alfacalcidol).
    beside: str | None = None
    # What the prescriber writes in before it is given, each a labelled blank ("Drug, dose").
    to_complete: tuple[str, ...] = ()
    # The id of the order it refers to ("then the infusion below"): the two are kept together.
    refers_to: str | None = None
    # An oral course: the day after issue on which it is reviewed (the protocol's recheck).
    review_day: int | None = None

    def asides(self) -> tuple[str, ...]:
        """What the plan says with the order besides its line, for a view that has no blanks
        or notes of its own: what the prescriber writes in, until when a course runs, and
        what is said beside it."""
        lines = []
        if self.to_complete:
            lines.append(f"Prescriber to complete: {'; '.join(self.to_complete)}")
        if self.review_day is not None:
            lines.append(f"Until review at the day {self.review_day} recheck")
        if self.beside:
            lines.append(f"Not part of the order: {self.beside}")
        return tuple(lines)

    @property
    def is_magnesium(self) -> bool:
        return self.mg_mmol is not None

    @property
    def is_intravenous(self) -> bool:
        return self.route in ("iv", "iv_io")

    @property
    def is_parenteral(self) -> bool:
        return self.is_magnesium and (self.is_intravenous or self.route in ("im", "subcut"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "alternative_to": self.alternative_to,
            "refers_to": self.refers_to,
            "route": self.route,
            "title": self.title,
            "text": self.text,
            "beside": self.beside,
            "to_complete": list(self.to_complete),
            "drug": self.drug,
            "mg_mmol": _number(self.mg_mmol),
            "dose": self.dose.as_dict() if self.dose else None,
            "product": self.product.as_dict() if self.product else None,
            "diluent": self.diluent,
            "volume_mL": _number(self.volume_ml),
            "duration_min": _number(self.duration_min),
            "duration_max_min": _number(self.duration_max_min),
            "rate_mL_h": _number(self.rate_ml_h),
            "rate_mg_min": _number(self.rate_mg_min),
            "concentration_percent": _number(self.concentration_g_dl),
            "frequency": self.frequency,
            "doses": self.doses,
            "review_day": self.review_day,
            "emergency": self.emergency,
            "warnings": list(self.warnings),
            "monitoring": list(self.monitoring),
            "sources": list(self.sources),
        }


class PlanWarning(Frozen):
    """A warning of the plan: its code, level, wording and sources."""

    code: str
    level: str
    text: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "text": self.text,
            "sources": list(self.sources),
        }


class MonitoringItem(Frozen):
    """A monitoring instruction of the plan."""

    code: str
    text: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "sources": list(self.sources)}


class StepValue(Frozen):
    """One input a step read, or one threshold it compared: a name and the value shown."""

    name: str
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value}


class Step(Frozen):
    """One step of the protocol graph as the case went through it."""

    id: str
    title: str
    inputs: tuple[StepValue, ...]
    thresholds: tuple[StepValue, ...]
    outcome: str
    outcome_label: str
    rationale: str
    sources: tuple[str, ...]
    next: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "inputs": [i.as_dict() for i in self.inputs],
            "thresholds": [t.as_dict() for t in self.thresholds],
            "outcome": self.outcome,
            "outcome_label": self.outcome_label,
            "rationale": self.rationale,
            "sources": list(self.sources),
            "next": self.next,
        }


class MagnesiumLevel(Frozen):
    """The magnesium level as entered, in every unit, and as shown."""

    entered: str
    mg_dl: Fraction
    mmol_l: Fraction
    meq_l: Fraction
    shown: tuple[tuple[str, str], ...]  # (unit, number as shown), never rounded across a threshold

    @property
    def shown_text(self) -> str:
        return " = ".join(f"{number} {unit}" for unit, number in self.shown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entered": self.entered,
            "mg_dL": float(self.mg_dl),
            "mmol_L": float(self.mmol_l),
            "mEq_L": float(self.meq_l),
            "shown": {unit: number for unit, number in self.shown},
        }


class WeightUsed(Frozen):
    """The weight Cockcroft-Gault used, and why."""

    kind: str  # "actual", "ideal" or "adjusted"
    kg: Fraction
    reason: str  # e.g. "adjusted body weight 73.4 kg: BMI 41, ideal 52.4 kg"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "kg": float(self.kg), "reason": self.reason}


# How each renal estimate is named wherever it is shown.
ESTIMATE_NAMES = {
    "entered": "measured creatinine clearance",
    "cockcroft_gault": "Cockcroft-Gault",
    "egfr": "eGFR (no creatinine clearance could be computed)",
}


class Clearance(Frozen):
    """The renal estimate used (a measured clearance, Cockcroft-Gault or an eGFR), how it was
    found, and how it is shown."""

    ml_min: Fraction
    method: str  # "entered" (measured), "cockcroft_gault" or "egfr"
    arithmetic: str
    shown: str
    weight: WeightUsed | None = None  # with Cockcroft-Gault

    def described(self) -> str:
        """The estimate, its method and (for Cockcroft-Gault) the weight used and why, as the
        window and the sheet state it: "22.5 mL/min, Cockcroft-Gault with adjusted body weight
        79.4 kg: BMI 46.9, ideal 52.4 kg"."""
        method = ESTIMATE_NAMES.get(self.method, self.method)
        weight = f" with {self.weight.reason}" if self.weight is not None else ""
        return f"{self.shown}, {method}{weight}"

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "mL_min": float(self.ml_min),
            "method": self.method,
            "arithmetic": self.arithmetic,
            "shown": self.shown,
        }
        if self.weight is not None:
            shown["weight"] = self.weight.as_dict()
        return shown


class BodySize(Frozen):
    """BMI and ideal and adjusted body weight, from an entered height and weight."""

    height_cm: Fraction
    weight_kg: Fraction
    bmi: Fraction
    ideal_kg: Fraction | None  # None under 152.4 cm (60 in), where it is not defined
    adjusted_kg: Fraction | None
    shown: str  # e.g. "BMI 41, ideal 52.4 kg, adjusted 73.4 kg"

    def as_dict(self) -> dict[str, Any]:
        return {
            "height_cm": float(self.height_cm),
            "weight_kg": float(self.weight_kg),
            "bmi": float(self.bmi),
            "ideal_kg": _number(self.ideal_kg),
            "adjusted_kg": _number(self.adjusted_kg),
            "shown": self.shown,
        }


class GivenEntry(Frozen):
    """One entry of magnesium given before the assessment, as the limits count it."""

    time: str  # ISO 8601 with its offset
    route: str  # "iv" or "im"
    entered: str  # the amount as entered
    salt_g: Fraction  # as magnesium sulfate heptahydrate
    mmol: Fraction
    in_48h: bool  # counted toward the 48-hour total
    im_in_4h: bool  # counted toward the IM limit of 4 hours

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "route": self.route,
            "entered": self.entered,
            "salt_g": float(self.salt_g),
            "mmol": float(self.mmol),
            "in_48h": self.in_48h,
            "im_in_4h": self.im_in_4h,
        }


class GivenSummary(Frozen):
    """Magnesium given before the assessment (PROTOCOL.md step 8f) and what it leaves."""

    assessed_at: str
    entries: tuple[GivenEntry, ...]
    total_g: Fraction  # magnesium sulfate in the last 48 hours
    total_mmol: Fraction
    im_4h_g: Fraction  # magnesium sulfate IM in the last 4 hours
    limit_applies: bool  # the 48-hour limit applies (clearance < 20, dialysis or unknown)
    emergency_now_g: Fraction  # the torsades and loading doses of this plan
    allowance_g: Fraction | None  # what the limit leaves for other orders, where it applies
    shown: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "assessed_at": self.assessed_at,
            "entries": [e.as_dict() for e in self.entries],
            "total_g": float(self.total_g),
            "total_mmol": float(self.total_mmol),
            "im_4h_g": float(self.im_4h_g),
            "limit_applies": self.limit_applies,
            "emergency_now_g": float(self.emergency_now_g),
            "allowance_g": _number(self.allowance_g),
            "shown": self.shown,
        }


class Missing(Frozen):
    """A value the plan needs and the case lacks."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class Plan(Frozen):
    """The engine's answer for one case."""

    status: str
    severity: str | None
    magnesium: MagnesiumLevel | None
    creatinine_clearance: Clearance | None
    orders: tuple[Order, ...]
    warnings: tuple[PlanWarning, ...]
    monitoring: tuple[MonitoringItem, ...]
    steps: tuple[Step, ...]
    path: tuple[str, ...]
    missing: tuple[Missing, ...]
    protocol: dict[str, Any] = field(hash=False, compare=True)
    # Why creatinine_clearance is None, once the renal step has looked ("no creatinine
    # recorded, and no measured clearance"); for the views, not part of as_dict.
    clearance_unknown_reason: str | None = None
    # Revision 1.1; in as_dict only when present, so a 1.0 plan keeps its keys.
    body_size: BodySize | None = None
    magnesium_given: GivenSummary | None = None
    # The ids of the orders each node of the path produced (an action node: the orders of
    # the decision that chose it); for the flowchart, not part of as_dict.
    orders_by_node: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def orders_of(self, node_id: str) -> tuple[Order, ...]:
        """The orders node_id produced, in the plan's order."""
        ids = dict(self.orders_by_node).get(node_id, ())
        return tuple(o for o in self.orders if o.id in ids)

    def warning_codes(self) -> tuple[str, ...]:
        return tuple(w.code for w in self.warnings)

    def order(self, order_id: str) -> Order | None:
        return next((o for o in self.orders if o.id == order_id), None)

    def warnings_by_level(self) -> tuple[PlanWarning, ...]:
        """Stop-level warnings first, then cautions, then information; in plan order within."""
        return tuple(w for level in WARNING_LEVELS for w in self.warnings if w.level == level)

    @property
    def stop_warnings(self) -> tuple[PlanWarning, ...]:
        return tuple(w for w in self.warnings if w.level == "stop")

    @property
    def emergency_only(self) -> bool:
        """At least one magnesium order, and every magnesium order an emergency one: such a
        plan may be printed without a weight."""
        magnesium = [o for o in self.orders if o.is_magnesium]
        return bool(magnesium) and all(o.emergency for o in magnesium)

    @property
    def immediate_orders(self) -> tuple[Order, ...]:
        """The orders to give now (IMMEDIATE_ORDERS), in plan order."""
        return tuple(o for o in self.orders if o.id in IMMEDIATE_ORDERS)

    def as_dict(self) -> dict[str, Any]:
        revision_1_1: dict[str, Any] = {}
        if self.body_size is not None:
            revision_1_1["body_size"] = self.body_size.as_dict()
        if self.magnesium_given is not None:
            revision_1_1["magnesium_given"] = self.magnesium_given.as_dict()
        return {
            "format": PLAN_FORMAT,
            "status": self.status,
            "severity": self.severity,
            "magnesium": self.magnesium.as_dict() if self.magnesium else None,
            "creatinine_clearance": self.creatinine_clearance.as_dict()
            if self.creatinine_clearance
            else None,
            **revision_1_1,
            "orders": [o.as_dict() for o in self.orders],
            "emergency_only": self.emergency_only,
            "warnings": [w.as_dict() for w in self.warnings],
            "monitoring": [m.as_dict() for m in self.monitoring],
            "missing": [m.as_dict() for m in self.missing],
            "steps": [s.as_dict() for s in self.steps],
            "path": list(self.path),
            "protocol": dict(self.protocol),
        }
