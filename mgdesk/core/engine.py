"""The engine: walks the protocol's step graph for one case and returns an immutable Plan.

This is the one copy of the algorithm. The GUI, the flowchart, the order sheet and the
command line render the Plan it returns; none of them decides anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from mgdesk.core import codes
from mgdesk.core.case import Case
from mgdesk.core.chemistry import (
    MAGNESIUM_UNITS,
    magnesium_in_all_units,
    magnesium_mg_dl,
    potassium_mmol_l,
    reinterpret,
)
from mgdesk.core.formatting import (
    amount_text,
    decimals,
    display_unit,
    duration,
    mass,
    plain_quantity,
    preserving,
    salt_mass_text,
    significant,
    volume,
)
from mgdesk.core.invariants import check_plan
from mgdesk.core.plan import (
    Clearance,
    Dose,
    MagnesiumLevel,
    Missing,
    MonitoringItem,
    Order,
    Plan,
    PlanWarning,
    ProductUse,
    Step,
    StepValue,
)
from mgdesk.core.protocol import Product, Protocol
from mgdesk.core.renal import renal_function
from mgdesk.core.units import Quantity, magnitude_in, product_in, quantity

EMERGENCY_RENAL = ("below_20", "dialysis", "unknown")
# Orders appear in this sequence (PROTOCOL.md, "Order sequence in the plan").
ORDER_SEQUENCE = {
    "mg_sulfate_iv_torsades": 0,
    "mg_sulfate_iv_loading": 1,
    "sodium_chloride_iv_rehydration": 2,
    "mg_sulfate_iv_severe": 3,
    "mg_sulfate_im_severe": 3,
    "mg_sulfate_im_mild": 3,
    "mg_oxide_oral": 3,
    "mg_organic_oral": 3,
    "mg_sulfate_bag_refractory": 3,
    "alfacalcidol_oral": 5,
    "potassium_replacement": 6,
}
ROLE_SEQUENCE = {"primary": 0, "alternative": 1, "conditional": 1}


@dataclass(frozen=True)
class _Amounts:
    """One dose of magnesium as the engine works with it: single, exact amounts."""

    salt: str
    salt_mass_mg: Fraction
    mmol: Fraction
    meq: Fraction
    elemental_mg: Fraction

    def dose(self) -> Dose:
        return Dose(self.salt, self.salt_mass_mg, self.mmol, self.meq, self.elemental_mg, "")


@dataclass(frozen=True)
class _UnitsOf:
    """How many units of one product make up one dose, and what they deliver."""

    key: str
    name: str
    units: Fraction
    unit: str
    mmol: Fraction
    text: str

    def use(self) -> ProductUse:
        return ProductUse(self.key, self.name, self.units, self.unit, self.mmol, self.text)


def band_of(mg_dl: Fraction, protocol: Protocol) -> str:
    """The band of a level in mg/dL, compared exactly with the protocol's thresholds."""
    t = protocol.thresholds
    if mg_dl < magnitude_in(t["magnesium_severe_below"], "mg/dL"):
        return "severe"
    if mg_dl < magnitude_in(t["magnesium_normal_from"], "mg/dL"):
        return "mild"
    if mg_dl <= magnitude_in(t["magnesium_high_above"], "mg/dL"):
        return "normal"
    return "high"


def renal_band(ml_min: Fraction, protocol: Protocol) -> str:
    if ml_min >= magnitude_in(protocol.threshold("clearance_full_dose_from"), "mL/min"):
        return "full_dose"
    if ml_min >= magnitude_in(protocol.threshold("clearance_emergency_only_below"), "mL/min"):
        return "reduced_dose"
    return "below_20"


def evaluate(case: Case, protocol: Protocol) -> Plan:
    """The plan for one validated case under one protocol; deterministic and immutable.

    Raises PlanWithheld if the plan would break a safety invariant.
    """
    plan = _Evaluation(case, protocol).run()
    check_plan(case, plan, protocol)
    return plan


@dataclass
class _Evaluation:
    """The state of one walk of the protocol graph."""

    case: Case
    protocol: Protocol
    steps: list[Step] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    warnings: dict[str, PlanWarning] = field(default_factory=dict)
    monitoring: set[str] = field(default_factory=set)
    orders: list[Order] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    band: str | None = None
    level: MagnesiumLevel | None = None
    contraindicated: bool = False
    torsades_order: bool = False
    renal: str = "unknown"
    # Set by the renal step: from then on, an order added under EMERGENCY_RENAL gets the cap.
    renal_decided: bool = False
    clearance: Clearance | None = None
    clearance_unknown_reason: str | None = None
    status: str = "ok"
    # Orders whose product cannot give the ordered amount within the rounding tolerance.
    rounded_orders: set[str] = field(default_factory=set)

    # -- walking the graph -------------------------------------------------------------

    def run(self) -> Plan:
        handlers: dict[str, Callable[[], tuple[str, list[StepValue], list[StepValue]]]] = {
            "scope": self.scope,
            "magnesium": self.magnesium,
            "contraindications": self.contraindications,
            "torsades": self.torsades,
            "volume": self.volume,
            "renal": self.renal_step,
            "potassium": self.potassium,
            "treatment": self.treatment,
            "gi_losses": self.gi_losses,
            "monitoring_step": self.monitoring_step,
        }
        graph = self.protocol.graph
        node_id = graph.start
        while True:
            node = graph.node(node_id)
            self.path.append(node_id)
            if node.kind == "end":
                break
            if node.kind == "action":
                node_id = graph.next_node(node_id, "next")
                continue
            handler = handlers["monitoring_step" if node_id == "monitoring" else node_id]
            outcome, inputs, thresholds = handler()
            target = graph.next_node(node_id, outcome)
            label = next(
                e.label for e in graph.edges if e.source == node_id and e.outcome == outcome
            )
            self.steps.append(
                Step(
                    id=node_id,
                    title=node.title,
                    inputs=tuple(inputs),
                    thresholds=tuple(thresholds),
                    outcome=outcome,
                    outcome_label=label,
                    rationale=self.protocol.rationales[node_id][outcome],
                    sources=node.sources,
                    next=target,
                )
            )
            node_id = target
        return self.plan()

    def plan(self) -> Plan:
        orders = sorted(self.orders, key=lambda o: (ORDER_SEQUENCE[o.id], ROLE_SEQUENCE[o.role]))
        monitoring = tuple(
            MonitoringItem(
                code,
                self.protocol.monitoring[code]["text"],
                tuple(self.protocol.monitoring[code]["sources"]),
            )
            for code in codes.MONITORING_CODES
            if code in self.monitoring
        )
        return Plan(
            status=self.status,
            severity=self.band,
            magnesium=self.level,
            creatinine_clearance=self.clearance,
            orders=tuple(orders),
            warnings=tuple(self.warnings.values()),
            monitoring=monitoring,
            steps=tuple(self.steps),
            path=tuple(self.path),
            missing=tuple(self.missing),
            protocol=self.protocol.summary(),
            clearance_unknown_reason=self.clearance_unknown_reason,
        )

    def warn(self, code: str, **values: str) -> None:
        self._warn(code, values, torsades_wording=self.case.torsades_present)

    def _warn(
        self, code: str, values: dict[str, str], torsades_wording: bool, each: bool = False
    ) -> None:
        """Add a warning once, in the torsades wording if asked for and the protocol has one.

        With each=True, a warning given again with other values adds its sentence to the
        text, so that a warning about several products names every one of them."""
        existing = self.warnings.get(code)
        if existing is not None and not each:
            return
        entry = self.protocol.warnings[code]
        template = entry.get("text_torsades") if torsades_wording else None
        text = _fill(str(template or entry["text"]), self._wording(values))
        if existing is not None:
            if text in existing.text:
                return
            text = f"{existing.text} {text}"
        self.warnings[code] = PlanWarning(code, entry["level"], text, tuple(entry["sources"]))

    def _wording(self, values: dict[str, str]) -> dict[str, str]:
        return {**self._limits_wording, **values}

    @functools.cached_property
    def _limits_wording(self) -> dict[str, str]:
        """The protocol's limits as warnings quote them (worked out once per evaluation)."""
        t = self.protocol.thresholds
        return {
            "renal_max_48h": mass(t["renal_max_48h"]),
            "iv_max_rate": plain_quantity(t["iv_max_rate"]),
            "iv_max_concentration": _percent(t["iv_max_concentration"]),
        }

    # -- the steps, in PROTOCOL.md's order -------------------------------------------

    def scope(self) -> tuple[str, list[StepValue], list[StepValue]]:
        p = self.case.patient
        adult = self.protocol.threshold("adult_from_age_years")
        inputs = [StepValue("age", f"{significant(p.age_years, 4)} years"), StepValue("sex", p.sex)]
        if p.pregnant is not None:
            inputs.append(StepValue("pregnant", "yes" if p.pregnant else "no"))
        thresholds = [StepValue("adult from", f"{significant(adult, 4)} years")]
        if self.case.labs.magnesium is not None:
            self.level, self.band = self._level(self.case.labs.magnesium)
        if p.age_years < adult:
            outcome = "pediatric"
        elif p.pregnant:
            outcome = "pregnancy"
        else:
            return "in_scope", inputs, thresholds
        self.status = "out_of_scope"
        self.warn("out_of_scope_pediatric" if outcome == "pediatric" else "out_of_scope_pregnancy")
        return outcome, inputs, thresholds

    def _level(self, entered: Quantity) -> tuple[MagnesiumLevel, str]:
        values = magnesium_in_all_units(entered, self.protocol)
        band = band_of(values["mg/dL"], self.protocol)

        def same_band(unit_text: str) -> Callable[[Fraction], bool]:
            def check(shown: Fraction) -> bool:
                return self._band_in(shown, unit_text) == band

            return check

        shown = tuple((u, preserving(values[u], same_band(u))) for u in MAGNESIUM_UNITS)
        number = entered.magnitude
        text = f"{significant(number, 6)} {display_unit(entered)}"
        return MagnesiumLevel(text, values["mg/dL"], values["mmol/L"], values["mEq/L"], shown), band

    def _band_in(self, number: Fraction, unit_text: str) -> str:
        return band_of(
            magnesium_mg_dl(reinterpret(number, unit_text), self.protocol), self.protocol
        )

    def _magnesium_thresholds(self) -> list[StepValue]:
        t = self.protocol.thresholds
        return [
            StepValue("severe below", self._in_all_units(t["magnesium_severe_below"])),
            StepValue("normal from", self._in_all_units(t["magnesium_normal_from"])),
            StepValue("high above", self._in_all_units(t["magnesium_high_above"])),
        ]

    def _in_all_units(self, q: Quantity) -> str:
        values = magnesium_in_all_units(q, self.protocol)
        return " = ".join(f"{significant(values[u], 4)} {u}" for u in MAGNESIUM_UNITS)

    def magnesium(self) -> tuple[str, list[StepValue], list[StepValue]]:
        thresholds = self._magnesium_thresholds()
        if self.level is None or self.band is None:
            self.status = "incomplete"
            self.missing.append(Missing("labs.magnesium", "magnesium level (with its unit)"))
            return "missing", [StepValue("magnesium", "not measured")], thresholds
        inputs = [
            StepValue("magnesium", f"{self.level.shown_text} (entered as {self.level.entered})")
        ]
        self._unit_confusion()
        if self.band in ("normal", "high"):
            # "beyond the torsades dose" only where a torsades dose is ordered
            c = self.case.clinical
            torsades_dose = self.case.torsades_present and not (
                c.heart_block or c.myasthenia_gravis
            )
            self._warn("not_hypomagnesemic", {}, torsades_wording=torsades_dose)
            if self.band == "high":
                self.warn("above_normal_range")
        return self.band, inputs, thresholds

    def _unit_confusion(self) -> None:
        entered = self.case.labs.magnesium
        if self.level is None or entered is None or self.band not in ("severe", "high"):
            return
        entered_unit = display_unit(entered)
        for other in MAGNESIUM_UNITS:
            if other == entered_unit:
                continue
            other_band = self._band_in(entered.magnitude, other)
            if other_band in ("mild", "normal"):
                self.warn(
                    "possible_unit_confusion",
                    entered=self.level.entered,
                    band=self.band,
                    unit=entered_unit,
                    other_band=other_band,
                    other_unit=other,
                    all_units=self.level.shown_text,
                )
                return

    def contraindications(self) -> tuple[str, list[StepValue], list[StepValue]]:
        c = self.case.clinical
        inputs = [
            StepValue("heart block", _yes(c.heart_block)),
            StepValue("myasthenia gravis", _yes(c.myasthenia_gravis)),
            StepValue("digoxin", _yes(c.digoxin)),
        ]
        self.contraindicated = c.heart_block or c.myasthenia_gravis
        if c.heart_block:
            self.warn("heart_block_contraindication")
            self.monitoring.add("ecg_monitoring")
        if c.myasthenia_gravis:
            self.warn("myasthenia_gravis_contraindication")
        if self.contraindicated:
            self.warn("refer_specialist")
            if self.case.torsades_present:
                self.monitoring.add("ecg_monitoring")
        if c.heart_block and c.myasthenia_gravis:
            return "heart_block_and_myasthenia_gravis", inputs, []
        if c.heart_block:
            return "heart_block", inputs, []
        if c.myasthenia_gravis:
            return "myasthenia_gravis", inputs, []
        return "none", inputs, []

    def torsades(self) -> tuple[str, list[StepValue], list[StepValue]]:
        kind = self.case.clinical.torsades
        inputs = [StepValue("torsades de pointes", kind.replace("_", " "))]
        if kind == "none":
            return "none", inputs, []
        if self.contraindicated:
            return "contraindicated", inputs, []
        self.torsades_order = True
        self.warn("torsades_do_not_delay")
        self.monitoring.add("ecg_monitoring")
        if kind == "with_pulse":
            self._sulfate_infusion(
                "mg_sulfate_iv_torsades",
                "primary",
                "torsades_with_pulse",
                emergency=True,
                frequency="once, now",
            )
        else:
            self._sulfate_push()
        return kind, inputs, []

    def volume(self) -> tuple[str, list[StepValue], list[StepValue]]:
        c = self.case.clinical
        inputs = [StepValue("volume depleted", _yes(c.volume_depleted))]
        if not c.volume_depleted:
            return "replete", inputs, []
        entry = self.protocol.orders["sodium_chloride_iv_rehydration"]
        self.orders.append(
            Order(
                id="sodium_chloride_iv_rehydration",
                role="primary",
                route="iv",
                title=entry["title"],
                text=entry["text"],
                drug="sodium chloride 0.9%",
                monitoring=("fluid_balance",),
                warnings=("volume_depletion_correct_first",),
                sources=tuple(entry["sources"]),
            )
        )
        self.warn("volume_depletion_correct_first")
        self.monitoring.add("fluid_balance")
        return "depleted", inputs, []

    def renal_step(self) -> tuple[str, list[StepValue], list[StepValue]]:
        t = self.protocol.thresholds
        full = t["clearance_full_dose_from"]
        low = t["clearance_emergency_only_below"]
        thresholds = [
            StepValue("full doses from", plain_quantity(full)),
            StepValue("emergency only below", plain_quantity(low)),
        ]
        labs, patient = self.case.labs, self.case.patient
        inputs = [
            StepValue("creatinine", _entered(labs.creatinine)),
            StepValue("weight", _entered(patient.weight)),
            StepValue("age", f"{significant(patient.age_years, 4)} years"),
            StepValue("sex", patient.sex),
            StepValue("measured clearance", _entered(labs.creatinine_clearance)),
            StepValue("dialysis", _yes(self.case.clinical.dialysis)),
        ]
        renal = renal_function(self.case, self.protocol)
        if renal.ml_min is not None and renal.method is not None:
            band = renal_band(renal.ml_min, self.protocol)
            shown = preserving(renal.ml_min, lambda v: renal_band(v, self.protocol) == band)
            self.clearance = Clearance(
                renal.ml_min,
                renal.method,
                f"{renal.arithmetic} = {shown} mL/min",
                f"{shown} mL/min",
            )
            inputs.append(StepValue("creatinine clearance", f"{self.clearance.arithmetic}"))
        else:
            self.clearance_unknown_reason = (
                f"no {' or '.join(renal.missing)} recorded, and no measured clearance"
            )
        if self.case.clinical.dialysis:
            self.renal = "dialysis"
            self.warn("renal_crcl_below_20")
            self.warn("refer_specialist")
            self.warn("cockcroft_gault_not_valid")
        elif self.clearance is None:
            self.renal = "unknown"
            self.warn("renal_function_unknown")
            if self.band in ("severe", "mild"):
                self.status = "incomplete"
                if labs.creatinine is None:
                    self.missing.append(
                        Missing(
                            "labs.creatinine", "creatinine (or a measured creatinine clearance)"
                        )
                    )
                if patient.weight is None:
                    self.missing.append(
                        Missing("patient.weight", "weight (or a measured creatinine clearance)")
                    )
        else:
            self.renal = renal_band(self.clearance.ml_min, self.protocol)
            if self.renal == "reduced_dose":
                self.warn("renal_crcl_below_30")
            elif self.renal == "below_20":
                self.warn("renal_crcl_below_20")
                self.warn("refer_specialist")
        if self.renal in EMERGENCY_RENAL:
            self._restrict_to_emergency(self.orders)
        self.renal_decided = True
        return self.renal, inputs, thresholds

    def _restrict_to_emergency(self, orders: list[Order]) -> None:
        """Mark every magnesium order given so far with the renal cap (the torsades order)."""
        for i, order in enumerate(orders):
            if order.is_magnesium:
                orders[i] = self._with_renal_cap(order)

    def _with_renal_cap(self, order: Order) -> Order:
        extra = ["max_20g_per_48h"]
        if self.renal in ("below_20", "dialysis"):
            extra.append("renal_crcl_below_20")
        self.warn("max_20g_per_48h")
        return replace(order, warnings=_merge(order.warnings, extra))

    def potassium(self) -> tuple[str, list[StepValue], list[StepValue]]:
        t = self.protocol.thresholds
        key = "potassium_target_torsades" if self.case.torsades_present else "potassium_target"
        target = t[key]
        thresholds = [
            StepValue(
                "target" + (" (torsades)" if self.case.torsades_present else ""),
                plain_quantity(target),
            )
        ]
        k = self.case.labs.potassium
        if k is None:
            self.warn("potassium_unknown")
            self.monitoring.add("recheck_potassium")
            return "unknown", [StepValue("potassium", "not measured")], thresholds
        inputs = [StepValue("potassium", _entered(k))]
        if potassium_mmol_l(k) >= magnitude_in(target, "mmol/L"):
            return "at_target", inputs, thresholds
        entry = self.protocol.orders["potassium_replacement"]
        role = "conditional" if self.renal in EMERGENCY_RENAL else "primary"
        text = _fill(
            entry["text"],
            {
                "target": plain_quantity(t["potassium_target"]),
                "target_torsades_range": entry.get(
                    "target_torsades_range", plain_quantity(t["potassium_target_torsades"])
                ),
            },
        )
        if role == "conditional":
            text += "; conditional: only once renal function allows, on a clinician's decision"
        self.orders.append(
            Order(
                id="potassium_replacement",
                role=role,
                route=None,
                title=entry["title"],
                text=text,
                drug="potassium",
                warnings=("hypokalemia_correct_concurrently",),
                monitoring=("recheck_potassium",),
                sources=tuple(entry["sources"]),
            )
        )
        self.warn("hypokalemia_correct_concurrently")
        self.monitoring.add("recheck_potassium")
        return "low", inputs, thresholds

    def treatment(self) -> tuple[str, list[StepValue], list[StepValue]]:
        c = self.case.clinical
        inputs = [
            StepValue("band", self.band or "no level"),
            StepValue("severe symptoms", ", ".join(c.severe_symptoms) or "none"),
            StepValue("mild symptoms", ", ".join(c.mild_symptoms) or "none"),
            StepValue("oral route available", _yes(c.oral_route_available)),
            StepValue("intolerance of magnesium oxide", _yes(c.oral_mg_intolerance)),
            StepValue("prior therapy", c.prior_therapy.replace("_", " ")),
            StepValue("renal function", self.renal.replace("_", " ")),
        ]
        thresholds = [StepValue("adequate oral trial", self.protocol.adequate_oral_trial)]
        if self.band is None:
            return "level_missing", inputs, thresholds
        if self.band not in ("severe", "mild"):
            return "not_hypomagnesemic", inputs, thresholds
        self.warn("review_causative_drugs")
        restricted = self.renal in EMERGENCY_RENAL
        oral_fits = self.band == "mild" and not c.severe_symptoms and c.oral_route_available
        if self.contraindicated:
            if oral_fits and not restricted and c.prior_therapy != "oral_and_alfacalcidol_failed":
                return self._oral_ladder(), inputs, thresholds
            return "withheld_contraindication", inputs, thresholds
        if restricted:
            if c.severe_symptoms:
                self._loading()
                self._sulfate_infusion(
                    "mg_sulfate_iv_severe", "primary", "severe_iv_reduced", emergency=True
                )
                return "emergency_only", inputs, thresholds
            return "withheld_renal", inputs, thresholds
        reduced = self.renal == "reduced_dose"
        if c.severe_symptoms:
            self._loading()
            self._sulfate_infusion(
                "mg_sulfate_iv_severe", "primary", "severe_iv_reduced" if reduced else "severe_iv"
            )
            return "severe_symptoms", inputs, thresholds
        if self.band == "severe":
            self._sulfate_infusion(
                "mg_sulfate_iv_severe", "primary", "severe_iv_reduced" if reduced else "severe_iv"
            )
            inputs.append(StepValue("IM alternative", self._im_severe(reduced)))
            return "severe_band", inputs, thresholds
        if c.mild_symptoms or not c.oral_route_available:
            self._im_mild("mild_im_reduced" if reduced else "mild_im")
            return "mild_parenteral", inputs, thresholds
        return self._oral_ladder(), inputs, thresholds

    def gi_losses(self) -> tuple[str, list[StepValue], list[StepValue]]:
        losses = self.case.clinical.gi_losses
        inputs = [StepValue("GI losses", losses.replace("_", " "))]
        if losses == "none":
            return "none", inputs, []
        self.warn("gi_losses_may_worsen")
        self.monitoring.add("fluid_balance")
        return "present", inputs, []

    def monitoring_step(self) -> tuple[str, list[StepValue], list[StepValue]]:
        for order in self.orders:
            self.monitoring.update(order.monitoring)
            for code in order.warnings:
                self.warn(code)
        inputs = [StepValue("orders", ", ".join(o.id for o in self.orders) or "none")]
        return "done", inputs, []

    # -- orders -----------------------------------------------------------------------

    def _add_magnesium_order(self, order: Order) -> None:
        warnings = list(order.warnings)
        monitoring = list(order.monitoring)
        if order.is_parenteral:
            warnings.append("calcium_antidote_available")
            monitoring += ["recheck_mg_parenteral", "toxicity_signs"]
            if self.case.clinical.digoxin:
                warnings.append("digoxin_interaction")
        else:
            monitoring.append("recheck_mg_oral")
        if order.id in self.rounded_orders:
            warnings.append("product_dose_rounding")
        order = replace(order, warnings=_merge((), warnings), monitoring=_merge((), monitoring))
        if self.renal_decided and self.renal in EMERGENCY_RENAL:
            order = self._with_renal_cap(order)
        self.orders.append(order)

    def _sulfate(self) -> Product:
        return self.protocol.products[self.protocol.orders["mg_sulfate_iv_severe"]["product"]]

    def _dose_of_salt(self, salt_mass: Quantity, product: Product) -> _Amounts:
        mmol = magnitude_in(salt_mass / product.salt.mass_per_magnesium, "mmol")
        return self._dose(product, mmol, salt_mass_mg=magnitude_in(salt_mass, "mg"))

    def _dose(
        self, product: Product, mmol: Fraction, salt_mass_mg: Fraction | None = None
    ) -> _Amounts:
        if salt_mass_mg is None:
            salt_mass_mg = product_in(mmol, "mmol", product.salt.mass_per_magnesium, "mg")
        meq = product_in(mmol, "mmol", self.protocol.magnesium_valence, "mEq")
        elemental = product_in(mmol, "mmol", self.protocol.magnesium_molar_mass, "mg")
        return _Amounts(product.salt.full_name, salt_mass_mg, mmol, meq, elemental)

    def _product_use(self, order_id: str, product: Product, mmol: Fraction) -> _UnitsOf:
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
        tolerance = self.protocol.threshold("product_rounding_tolerance_percent") / 100
        if abs(delivered - mmol) > tolerance * mmol:
            self.rounded_orders.add(order_id)
            self._warn(
                "product_dose_rounding",
                {
                    "product": product.name,
                    "units": count,
                    "delivers": "delivers" if units == 1 else "deliver",
                    "delivered": f"{significant(delivered)} mmol",
                    "ordered": f"{significant(mmol)} mmol",
                },
                torsades_wording=self.case.torsades_present,
                each=True,
            )
        text = (
            f"{count} of {product.name}"
            if product.is_injection
            else f"{count} ({significant(delivered)} mmol)"
        )
        return _UnitsOf(product.key, product.name, units, unit_name, delivered, text)

    def _dose_text(self, dose: _Amounts) -> str:
        return (
            f"{significant(dose.mmol)} mmol, {significant(dose.meq)} mEq, "
            f"{significant(dose.elemental_mg)} mg elemental magnesium"
        )

    def _sulfate_infusion(
        self,
        order_id: str,
        role: str,
        dose_key: str,
        emergency: bool = False,
        frequency: str = "once",
    ) -> None:
        d = self.protocol.dose(dose_key)
        dose = self._dose_of_salt(d["salt_mass"], self._sulfate())
        use = self._product_use(order_id, self._sulfate(), dose.mmol)
        minutes = magnitude_in(d["duration"], "min")
        rate_mg_min = magnitude_in(d["salt_mass"], "mg") / minutes
        rate_ml_h = magnitude_in(d["volume"], "mL") / minutes * 60
        if order_id == "mg_sulfate_iv_loading":
            frequency = "once, then the infusion below"
        text = (
            f"magnesium sulfate {mass(d['salt_mass'])} ({self._dose_text(dose)}; {use.text}) "
            f"in {volume(d['volume'])} {d['diluent']} IV over {duration(d['duration'])} "
            f"({significant(rate_ml_h)} mL/h, {significant(rate_mg_min)} mg/min), {frequency}"
        )
        if dose_key == "severe_iv_reduced":
            text += "; reduced dose for renal impairment"
        self._add_iv_sulfate(
            order_id,
            role,
            d,
            dose,
            use,
            text,
            frequency=frequency,
            emergency=emergency,
            warning="iv_rate_and_dilution",
        )

    def _sulfate_push(self) -> None:
        d = self.protocol.dose("torsades_pulseless")
        dose = self._dose_of_salt(d["salt_mass"], self._sulfate())
        use = self._product_use("mg_sulfate_iv_torsades", self._sulfate(), dose.mmol)
        fastest = magnitude_in(d["duration"], "min")
        rate_mg_min = magnitude_in(d["salt_mass"], "mg") / fastest
        text = (
            f"magnesium sulfate {mass(d['salt_mass'])} ({self._dose_text(dose)}; {use.text}) "
            f"diluted to {volume(d['volume'])} with {d['diluent']}, IV/IO push over "
            f"{significant(fastest)} to {duration(d['duration_upto'])} "
            f"(up to {significant(rate_mg_min)} mg/min: life-threatening exception), once, now"
        )
        self.warn("rate_exception_life_threatening")
        self._add_iv_sulfate(
            "mg_sulfate_iv_torsades",
            "primary",
            d,
            dose,
            use,
            text,
            frequency="once, now",
            emergency=True,
            warning="rate_exception_life_threatening",
        )

    def _add_iv_sulfate(
        self,
        order_id: str,
        role: str,
        d: Mapping[str, Any],
        dose: _Amounts,
        use: _UnitsOf,
        text: str,
        *,
        frequency: str,
        emergency: bool,
        warning: str,
    ) -> None:
        """One IV magnesium sulfate order from its dose entry (a push gives its slowest
        duration as duration_upto; its rates are those of the fastest)."""
        minutes = magnitude_in(d["duration"], "min")
        slowest = magnitude_in(d["duration_upto"], "min") if "duration_upto" in d else None
        entry = self.protocol.orders[order_id]
        self._add_magnesium_order(
            Order(
                id=order_id,
                role=role,
                route="iv",
                title=entry["title"],
                text=_with_note(text, entry),
                drug="magnesium sulfate",
                mg_mmol=dose.mmol,
                dose=_with_text(dose.dose()),
                product=use.use(),
                diluent=d["diluent"],
                volume_ml=magnitude_in(d["volume"], "mL"),
                duration_min=minutes,
                duration_max_min=slowest,
                rate_ml_h=magnitude_in(d["volume"], "mL") / minutes * 60,
                rate_mg_min=magnitude_in(d["salt_mass"], "mg") / minutes,
                concentration_g_dl=magnitude_in(d["salt_mass"] / d["volume"], "g/dL"),
                frequency=frequency,
                doses=1,
                emergency=emergency,
                warnings=(warning,),
                sources=tuple(entry["sources"]),
            )
        )

    def _loading(self) -> None:
        if self.torsades_order:
            return  # the torsades dose serves as the loading dose
        self._sulfate_infusion("mg_sulfate_iv_loading", "primary", "loading", emergency=True)

    def _im_severe(self, reduced: bool) -> str:
        """Order the IM alternative where it is allowed; either way, say why, for the trace."""
        full_dose_from = plain_quantity(self.protocol.threshold("clearance_full_dose_from"))
        if reduced:
            return f"not listed: creatinine clearance below {full_dose_from}"
        weight = self.case.patient.weight
        if weight is None:
            return "not listed: no weight recorded"
        d = self.protocol.dose("severe_im")
        per_weight = self.protocol.threshold("im_max_per_weight_4h")
        limit = per_weight * weight
        compared = f"{plain_quantity(per_weight)} x {plain_quantity(weight)} = {mass(limit)}"
        if d["salt_mass"] > limit:
            return f"not listed: {mass(d['salt_mass'])} exceeds {compared}"
        product = self._sulfate()
        dose = self._dose_of_salt(d["salt_mass"], product)
        use = self._product_use("mg_sulfate_im_severe", product, dose.mmol)
        entry = self.protocol.orders["mg_sulfate_im_severe"]
        sites: int = d["sites"]
        where = f"divided between {sites} sites" if sites > 1 else "into 1 site"
        note = f"; {entry['note']}" if "note" in entry else ""
        text = (
            f"magnesium sulfate {mass(d['salt_mass'])} ({self._dose_text(dose)}; {use.text}) IM, "
            f"{where}, once{note} "
            f"(within the maximum of {plain_quantity(per_weight)} in 4 hours: "
            f"{mass(limit)} for {plain_quantity(weight)})"
        )
        self._add_magnesium_order(
            Order(
                id="mg_sulfate_im_severe",
                role="alternative",
                alternative_to="mg_sulfate_iv_severe",
                route="im",
                title=entry["title"],
                text=text,
                drug="magnesium sulfate",
                mg_mmol=dose.mmol,
                dose=_with_text(dose.dose()),
                product=use.use(),
                frequency="once",
                doses=1,
                sources=tuple(entry["sources"]),
            )
        )
        return f"listed: {mass(d['salt_mass'])} is within {compared}"

    def _im_mild(self, dose_key: str) -> None:
        d = self.protocol.dose(dose_key)
        product = self._sulfate()
        dose = self._dose_of_salt(d["salt_mass"], product)
        use = self._product_use("mg_sulfate_im_mild", product, dose.mmol)
        count: int = d["doses"]
        entry = self.protocol.orders["mg_sulfate_im_mild"]
        interval = duration(d["interval"])
        total = dose.meq * count
        frequency = f"every {interval} for {count} doses"
        text = (
            f"magnesium sulfate {mass(d['salt_mass'])} ({self._dose_text(dose)}; {use.text}) IM "
            f"{frequency} ({significant(dose.mmol * count)} mmol, {significant(total)} mEq in all)"
        )
        if dose_key == "mild_im_reduced":
            text += "; reduced course for renal impairment"
        text = _with_note(text, entry)
        self._add_magnesium_order(
            Order(
                id="mg_sulfate_im_mild",
                role="primary",
                route="im",
                title=entry["title"],
                text=text,
                drug="magnesium sulfate",
                mg_mmol=dose.mmol,
                dose=_with_text(dose.dose()),
                product=use.use(),
                frequency=frequency,
                doses=count,
                sources=tuple(entry["sources"]),
            )
        )

    def _oral_ladder(self) -> str:
        c = self.case.clinical
        reduced = self.renal == "reduced_dose"
        start = magnitude_in(self.protocol.dose("oral_start")["magnesium"], "mmol")
        escalated = magnitude_in(self.protocol.dose("oral_escalated")["magnesium"], "mmol")
        organic_first = c.oral_mg_intolerance
        if c.prior_therapy == "none":
            if organic_first:
                self._oral("mg_organic_oral", "primary", start, escalate=not reduced)
            else:
                self._oral("mg_oxide_oral", "primary", start, escalate=not reduced)
                self._oral(
                    "mg_organic_oral",
                    "alternative",
                    start,
                    escalate=False,
                    alternative_to="mg_oxide_oral",
                )
            return "oral_first_line"
        if c.prior_therapy == "oral_failed":
            amount = start if reduced else escalated
            self._oral(
                "mg_organic_oral" if organic_first else "mg_oxide_oral",
                "primary",
                amount,
                escalate=False,
            )
            self._alfacalcidol()
            return "oral_failed"
        self._refractory_bag("refractory_bag_reduced" if reduced else "refractory_bag")
        return "refractory"

    def _oral(
        self,
        order_id: str,
        role: str,
        mmol: Fraction,
        escalate: bool,
        alternative_to: str | None = None,
    ) -> None:
        entry = self.protocol.orders[order_id]
        product = self.protocol.products[entry["product"]]
        dose = self._dose(product, mmol)
        use = self._product_use(order_id, product, mmol)
        salt = self.protocol.salts[product.salt.key]
        text = (
            f"{salt.name} {significant(mmol)} mmol magnesium ({significant(dose.meq)} mEq, "
            f"{significant(dose.elemental_mg)} mg elemental magnesium; "
            f"salt {mass(quantity(dose.salt_mass_mg, 'mg'))} {salt.name}): "
            f"{use.text} orally {entry.get('timing', 'daily')}"
        )
        if escalate and "escalation" in entry:
            escalated = self.protocol.dose("oral_escalated")["magnesium"]
            text += "; " + _fill(entry["escalation"], {"escalated": plain_quantity(escalated)})
        text = _with_note(text, entry)
        self._add_magnesium_order(
            Order(
                id=order_id,
                role=role,
                alternative_to=alternative_to,
                route="oral",
                title=entry["title"],
                text=text,
                drug=salt.name,
                mg_mmol=mmol,
                dose=_with_text(dose.dose()),
                product=use.use(),
                frequency=entry.get("timing", "daily"),
                sources=tuple(entry["sources"]),
            )
        )

    def _alfacalcidol(self) -> None:
        entry = self.protocol.orders["alfacalcidol_oral"]
        d = self.protocol.dose("alfacalcidol")
        text = _fill(
            entry["text"],
            {"dose": _micrograms(d["dose"]), "guideline_max": _micrograms(d["guideline_max"])},
        )
        self.orders.append(
            Order(
                id="alfacalcidol_oral",
                role="primary",
                route="oral",
                title=entry["title"],
                text=text,
                drug="alfacalcidol",
                frequency="daily",
                warnings=("monitor_calcium_alfacalcidol",),
                monitoring=("monitor_calcium",),
                sources=tuple(entry["sources"]),
            )
        )
        self.warn("monitor_calcium_alfacalcidol")
        self.monitoring.add("monitor_calcium")

    def _refractory_bag(self, dose_key: str) -> None:
        d = self.protocol.dose(dose_key)
        product = self._sulfate()
        low = magnitude_in(d["magnesium_low"], "mmol")
        high = magnitude_in(d["magnesium_high"], "mmol")
        low_dose, high_dose = self._dose(product, low), self._dose(product, high)
        low_use = self._product_use("mg_sulfate_bag_refractory", product, low)
        high_use = self._product_use("mg_sulfate_bag_refractory", product, high)
        minutes = magnitude_in(d["duration"], "min")
        rate_mg_min = high_dose.salt_mass_mg / minutes
        rate_ml_h = magnitude_in(d["volume"], "mL") / minutes * 60
        entry = self.protocol.orders["mg_sulfate_bag_refractory"]
        frequency = entry.get("frequency", "daily")
        salt_low = quantity(low_dose.salt_mass_mg, "mg")
        salt_high = quantity(high_dose.salt_mass_mg, "mg")
        unit_g = magnitude_in(salt_high, "g") >= 1

        def span(low_value: Fraction, high_value: Fraction) -> str:
            return f"{significant(low_value)} to {significant(high_value)}"

        salt_text = (
            f"{span(magnitude_in(salt_low, 'g'), magnitude_in(salt_high, 'g'))} g"
            if unit_g
            else f"{span(low_dose.salt_mass_mg, high_dose.salt_mass_mg)} mg"
        )
        millilitres = f"{decimals(low_use.units, 1)} to {decimals(high_use.units, 1)} mL"
        text = (
            f"magnesium sulfate {span(low, high)} mmol "
            f"({span(low_dose.meq, high_dose.meq)} mEq, "
            f"{span(low_dose.elemental_mg, high_dose.elemental_mg)} mg elemental magnesium; "
            f"salt {salt_text} magnesium sulfate; {millilitres} of {product.name}) "
            f"added to {volume(d['volume'])} {d['diluent']}, IV over {duration(d['duration'])} "
            f"({significant(rate_ml_h)} mL/h, at most {significant(rate_mg_min)} mg/min), "
            f"{frequency}"
        )
        text = _with_note(text, entry)
        if dose_key == "refractory_bag_reduced":
            text += "; reduced dose for renal impairment"
        dose = Dose(
            product.salt.full_name,
            (low_dose.salt_mass_mg, high_dose.salt_mass_mg),
            (low, high),
            (low_dose.meq, high_dose.meq),
            (low_dose.elemental_mg, high_dose.elemental_mg),
            "",
        )
        use = ProductUse(
            product.key,
            product.name,
            (low_use.units, high_use.units),
            product.unit_plural,
            (low_use.mmol, high_use.mmol),
            f"{decimals(low_use.units, 1)} to {decimals(high_use.units, 1)} mL of {product.name}",
        )
        self._add_magnesium_order(
            Order(
                id="mg_sulfate_bag_refractory",
                role="primary",
                route="iv",
                title=entry["title"],
                text=text,
                drug="magnesium sulfate",
                mg_mmol=(low, high),
                dose=_with_text(dose),
                product=use,
                diluent=d["diluent"],
                volume_ml=magnitude_in(d["volume"], "mL"),
                duration_min=minutes,
                rate_ml_h=rate_ml_h,
                rate_mg_min=rate_mg_min,
                concentration_g_dl=high_dose.salt_mass_mg / 1000 / magnitude_in(d["volume"], "dL"),
                frequency=frequency,
                warnings=("iv_rate_and_dilution", "subcut_off_label", "refer_specialist"),
                sources=tuple(entry["sources"]),
            )
        )
        self.warn("subcut_off_label")
        self.warn("refer_specialist")


def _with_text(dose: Dose) -> Dose:
    text = (
        f"{amount_text(dose.mmol, 'mmol')} magnesium = {amount_text(dose.meq, 'mEq')} = "
        f"{amount_text(dose.elemental_mg, 'mg')} elemental magnesium; "
        f"salt: {salt_mass_text(dose.salt_mass_mg)} {dose.salt}"
    )
    return Dose(dose.salt, dose.salt_mass_mg, dose.mmol, dose.meq, dose.elemental_mg, text)


def _merge(existing: tuple[str, ...], extra: list[str]) -> tuple[str, ...]:
    merged = list(existing)
    for code in extra:
        if code not in merged:
            merged.append(code)
    return tuple(merged)


def _with_note(text: str, entry: Mapping[str, Any]) -> str:
    """The order's text with the protocol's note for it, if any: a site's note is never lost."""
    return f"{text}; {entry['note']}" if "note" in entry else text


def _fill(template: str, values: dict[str, str]) -> str:
    """Fill {name} placeholders (the protocol loader refuses any the engine does not fill)."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _entered(q: Quantity | None) -> str:
    if q is None:
        return "not entered"
    return f"{significant(q.magnitude, 6)} {display_unit(q)}"


def _micrograms(q: Quantity) -> str:
    return f"{significant(magnitude_in(q, 'mcg'))} mcg"


def _percent(q: Quantity) -> str:
    """A mass concentration as a percentage (g per 100 mL): "20%"."""
    return f"{significant(magnitude_in(q, 'g/dL'))}%"
