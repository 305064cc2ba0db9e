"""The engine: walks the protocol's step graph for one case and returns an immutable Plan.

This is the one copy of the algorithm. The GUI, the flowchart, the order sheet and the
command line render the Plan it returns; none of them decides anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction

from mgdesk.core import orders as build
from mgdesk.core.bands import in_all_units, magnesium_reading, renal_band, unit_confusion
from mgdesk.core.case import Case
from mgdesk.core.chemistry import potassium_mmol_l
from mgdesk.core.formatting import entered_text, plain_quantity, significant, yes_no
from mgdesk.core.given import (
    Allowance,
    GivenTotals,
    allowance,
    emergency_now_g,
    given_summary,
    given_totals,
)
from mgdesk.core.given_step import given_step
from mgdesk.core.invariants import check_plan
from mgdesk.core.other_orders import alfacalcidol, potassium_replacement, rehydration
from mgdesk.core.plan import (
    Clearance,
    MagnesiumLevel,
    Missing,
    MonitoringItem,
    Order,
    Plan,
    PlanWarning,
    Step,
    StepValue,
)
from mgdesk.core.protocol import OralOrder, Protocol
from mgdesk.core.renal import body_size, estimate_shown, renal_function, renal_inputs
from mgdesk.core.revision_invariants import check_revision_invariants
from mgdesk.core.units import magnitude_in, quantity

EMERGENCY_RENAL = ("below_20", "dialysis", "unknown")


def evaluate(case: Case, protocol: Protocol) -> Plan:
    """The plan for one validated case under one protocol; deterministic and immutable.

    Raises PlanWithheld if the plan would break a safety invariant.
    """
    plan = _Evaluation(case, protocol).run()
    check_plan(case, plan, protocol)
    check_revision_invariants(
        case, plan, protocol, lambda other: _Evaluation(other, protocol).run()
    )
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
    # The order ids each node of the path produced (an action node: its decision's).
    produced: dict[str, tuple[str, ...]] = field(default_factory=dict)
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
    # Magnesium already given (step 8f): the half-dose severe infusion under the 48-hour
    # allowance, when the treatment step wrote one; whether the IM given left out the IM
    # severe alternative that the weight alone allowed.
    allowance: Allowance | None = None
    im_left_out_by_given: bool = False

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
            "magnesium_given": self.magnesium_given,
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
            before = {o.id for o in self.orders}
            outcome, inputs, thresholds = handler()
            target = graph.next_node(node_id, outcome)
            produced = tuple(o.id for o in self.orders if o.id not in before)
            if produced:
                self.produced[node_id] = produced
                if graph.node(target).kind == "action":
                    self.produced[target] = produced
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
        monitoring = tuple(
            MonitoringItem(entry.code, entry.text, entry.sources)
            for entry in self.protocol.monitoring.entries()
            if entry.code in self.monitoring
        )
        # A walk that ended at the scope step still reports the level, for information.
        reading = self._reading
        return Plan(
            status=self.status,
            severity=reading[1] if reading else None,
            magnesium=reading[0] if reading else None,
            creatinine_clearance=self.clearance,
            orders=build.in_plan_order(self.orders),
            warnings=tuple(self.warnings.values()),
            monitoring=monitoring,
            steps=tuple(self.steps),
            path=tuple(self.path),
            missing=tuple(self.missing),
            protocol=self.protocol.summary(),
            clearance_unknown_reason=self.clearance_unknown_reason,
            body_size=body_size(self.case, self.protocol),
            magnesium_given=given_summary(
                self.case, self.protocol, self._given, self.orders, self._limit_applies
            ),
            orders_by_node=build.orders_by_node(self.produced, self.orders),
        )

    @functools.cached_property
    def _given(self) -> GivenTotals:
        c = self.case
        return given_totals(c.magnesium_given, c.assessed_at, self.protocol)

    @property
    def _limit_applies(self) -> bool:
        """Whether the 48-hour limit counts across doses (step 6 decided emergency only)."""
        return self.renal_decided and self.renal in EMERGENCY_RENAL

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
        entry = self.protocol.warnings.by_code(code)
        template = entry.text_torsades if torsades_wording else None
        text = build.fill(template or entry.text, self._wording(values))
        if existing is not None:
            if text in existing.text:
                return
            text = f"{existing.text} {text}"
        self.warnings[code] = PlanWarning(code, entry.level, text, entry.sources)

    def _wording(self, values: dict[str, str]) -> dict[str, str]:
        return {**self._limits_wording, **values}

    @functools.cached_property
    def _limits_wording(self) -> dict[str, str]:
        return build.limits_wording(self.protocol)

    # -- the steps, in PROTOCOL.md's order -------------------------------------------

    def scope(self) -> tuple[str, list[StepValue], list[StepValue]]:
        p = self.case.patient
        adult = self.protocol.thresholds.adult_from_age_years
        inputs = [StepValue("age", f"{significant(p.age_years, 4)} years"), StepValue("sex", p.sex)]
        if p.pregnant is not None:
            inputs.append(StepValue("pregnant", "yes" if p.pregnant else "no"))
        thresholds = [StepValue("adult from", f"{significant(adult, 4)} years")]
        if p.age_years < adult:
            outcome = "pediatric"
        elif p.pregnant:
            outcome = "pregnancy"
        else:
            return "in_scope", inputs, thresholds
        self.status = "out_of_scope"
        self.warn("out_of_scope_pediatric" if outcome == "pediatric" else "out_of_scope_pregnancy")
        return outcome, inputs, thresholds

    @functools.cached_property
    def _reading(self) -> tuple[MagnesiumLevel, str] | None:
        entered = self.case.labs.magnesium
        return None if entered is None else magnesium_reading(entered, self.protocol)

    def _magnesium_thresholds(self) -> list[StepValue]:
        t = self.protocol.thresholds
        return [
            StepValue("severe below", in_all_units(t.magnesium_severe_below, self.protocol)),
            StepValue("normal from", in_all_units(t.magnesium_normal_from, self.protocol)),
            StepValue("high above", in_all_units(t.magnesium_high_above, self.protocol)),
        ]

    def magnesium(self) -> tuple[str, list[StepValue], list[StepValue]]:
        thresholds = self._magnesium_thresholds()
        if self._reading is not None:
            self.level, self.band = self._reading
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
        values = unit_confusion(entered, self.level, self.band, self.protocol)
        if values is not None:
            self.warn("possible_unit_confusion", **values)

    def contraindications(self) -> tuple[str, list[StepValue], list[StepValue]]:
        c = self.case.clinical
        inputs = [
            StepValue("heart block", yes_no(c.heart_block)),
            StepValue("myasthenia gravis", yes_no(c.myasthenia_gravis)),
            StepValue("digoxin", yes_no(c.digoxin)),
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
            self._add_built(build.torsades_infusion(self.protocol))
        else:
            built = build.torsades_push(self.protocol)
            self._warn_roundings(built)
            self.warn("rate_exception_life_threatening")
            self._add_magnesium_order(built.order, rounded=bool(built.roundings))
        return kind, inputs, []

    def volume(self) -> tuple[str, list[StepValue], list[StepValue]]:
        c = self.case.clinical
        inputs = [StepValue("volume depleted", yes_no(c.volume_depleted))]
        if not c.volume_depleted:
            return "replete", inputs, []
        self.orders.append(rehydration(self.protocol))
        self.warn("volume_depletion_correct_first")
        self.monitoring.add("fluid_balance")
        return "depleted", inputs, []

    def renal_step(self) -> tuple[str, list[StepValue], list[StepValue]]:
        t = self.protocol.thresholds
        full = t.clearance_full_dose_from
        low = t.clearance_emergency_only_below
        thresholds = [
            StepValue("full doses from", plain_quantity(full)),
            StepValue("emergency only below", plain_quantity(low)),
        ]
        labs, patient = self.case.labs, self.case.patient
        inputs = renal_inputs(self.case)
        renal = renal_function(self.case, self.protocol)
        self.clearance = estimate_shown(renal, self.protocol)
        if self.clearance is not None:
            name = "eGFR" if renal.method == "egfr" else "creatinine clearance"
            inputs.append(StepValue(name, self.clearance.arithmetic))
            if renal.method == "egfr":
                self.warn("egfr_used_for_renal_function")
            if renal.weight_warning is not None:
                self.warn(renal.weight_warning)
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
        return replace(order, warnings=build.merged(order.warnings, extra))

    def potassium(self) -> tuple[str, list[StepValue], list[StepValue]]:
        t = self.protocol.thresholds
        target = t.potassium_target_torsades if self.case.torsades_present else t.potassium_target
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
        inputs = [StepValue("potassium", entered_text(k))]
        if potassium_mmol_l(k) >= magnitude_in(target, "mmol/L"):
            return "at_target", inputs, thresholds
        conditional = self.renal in EMERGENCY_RENAL
        torsades = self.case.torsades_present
        order = potassium_replacement(self.protocol, conditional=conditional, torsades=torsades)
        self.orders.append(order)
        self.warn("hypokalemia_correct_concurrently")
        self.monitoring.add("recheck_potassium")
        return "low", inputs, thresholds

    def treatment(self) -> tuple[str, list[StepValue], list[StepValue]]:
        c = self.case.clinical
        inputs = [
            StepValue("band", self.band or "no level"),
            StepValue("severe symptoms", ", ".join(c.severe_symptoms) or "none"),
            StepValue("mild symptoms", ", ".join(c.mild_symptoms) or "none"),
            StepValue("oral route available", yes_no(c.oral_route_available)),
            StepValue("intolerance of magnesium oxide", yes_no(c.oral_mg_intolerance)),
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
                self._loading_within_allowance()
                return "emergency_only", inputs, thresholds
            return "withheld_renal", inputs, thresholds
        reduced = self.renal == "reduced_dose"
        if c.severe_symptoms:
            if not self.torsades_order:  # else the torsades dose serves as the loading dose
                self._add_built(build.loading_infusion(self.protocol, infusion_follows=True))
            self._add_built(build.severe_infusion(self.protocol, reduced=reduced, emergency=False))
            return "severe_symptoms", inputs, thresholds
        if self.band == "severe":
            self._add_built(build.severe_infusion(self.protocol, reduced=reduced, emergency=False))
            inputs.append(StepValue("IM alternative", self._im_severe(reduced)))
            return "severe_band", inputs, thresholds
        if c.mild_symptoms or not c.oral_route_available:
            self._add_built(build.im_mild(self.protocol, reduced=reduced))
            if self.protocol.settings.mild_iv_alternative:
                self._add_built(build.mild_infusion(self.protocol, reduced=reduced))
            return "mild_parenteral", inputs, thresholds
        return self._oral_ladder(), inputs, thresholds

    def magnesium_given(self) -> tuple[str, list[StepValue], list[StepValue]]:
        """Step 8f: the magnesium already given, counted against the limits."""
        allowed, left_out = self.allowance, self.im_left_out_by_given
        orders, limited = tuple(self.orders), self._limit_applies
        step = given_step(self.protocol, self.case, self._given, orders, limited, allowed, left_out)
        for code, values in step.warnings:
            self.warn(code, **values)
        return step.outcome, list(step.inputs), list(step.thresholds)

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

    def _add_built(self, built: build.Built) -> None:
        """A magnesium order from orders.py: warn about its product roundings, then add it."""
        self._warn_roundings(built)
        self._add_magnesium_order(built.order, rounded=bool(built.roundings))

    def _warn_roundings(self, built: build.Built) -> None:
        for rounding in built.roundings:
            self._warn(
                "product_dose_rounding",
                rounding,
                torsades_wording=self.case.torsades_present,
                each=True,
            )

    def _add_magnesium_order(self, order: Order, rounded: bool) -> None:
        order = build.with_safety_codes(order, digoxin=self.case.clinical.digoxin, rounded=rounded)
        if self.renal_decided and self.renal in EMERGENCY_RENAL:
            order = self._with_renal_cap(order)
        self.orders.append(order)

    def _loading_within_allowance(self) -> None:
        """Step 8f: the loading dose (counted toward the 48-hour allowance; "once" when that
        withholds the infusion), then the half-dose severe infusion."""
        loading = None if self.torsades_order else build.loading_infusion(self.protocol, True)
        now = [*self.orders, loading.order] if loading is not None else self.orders
        self.allowance = allowed = allowance(
            self.protocol, self._given.total_g, emergency_now_g(now)
        )
        if loading is not None:
            if allowed.dose_g is None:
                loading = build.loading_infusion(self.protocol, infusion_follows=False)
            self._add_built(loading)
        if allowed.dose_g is not None:
            cut_to = quantity(allowed.dose_g, "g") if allowed.cut else None
            built = build.severe_infusion(
                self.protocol, reduced=True, emergency=True, cut_to=cut_to, renal=self.renal
            )
            self._add_built(built)

    def _im_severe(self, reduced: bool) -> str:
        """Order the IM alternative where it is allowed; either way, say why, for the trace."""
        if reduced:
            full_dose_from = plain_quantity(self.protocol.thresholds.clearance_full_dose_from)
            return f"not listed: creatinine clearance below {full_dose_from}"
        weight, im_4h_g = self.case.patient.weight, self._given.im_4h_g
        trace, built, self.im_left_out_by_given = build.im_severe(self.protocol, weight, im_4h_g)
        if built is not None:
            self._add_built(built)
        return trace

    def _oral_ladder(self) -> str:
        c = self.case.clinical
        reduced = self.renal == "reduced_dose"
        doses, entries = self.protocol.doses, self.protocol.orders
        start = magnitude_in(doses.oral_start.magnesium, "mmol")
        escalated = magnitude_in(doses.oral_escalated.magnesium, "mmol")
        # 1.1: a lower start at clearance 20 to < 30; after a failed trial, still the start.
        first = magnitude_in(doses.oral_start_reduced.magnesium, "mmol") if reduced else start
        organic_first = c.oral_mg_intolerance
        oxide = ("mg_oxide_oral", entries.mg_oxide_oral)
        organic = ("mg_organic_oral", entries.mg_organic_oral)
        if c.prior_therapy == "none":
            if organic_first:
                self._oral(*organic, "primary", first, escalate=not reduced)
            else:
                self._oral(*oxide, "primary", first, escalate=not reduced)
                self._oral(
                    *organic, "alternative", first, escalate=False, alternative_to="mg_oxide_oral"
                )
            return "oral_first_line"
        if c.prior_therapy == "oral_failed":
            amount = start if reduced else escalated
            self._oral(*(organic if organic_first else oxide), "primary", amount, escalate=False)
            self._alfacalcidol()
            return "oral_failed"
        self._add_built(build.refractory_bag(self.protocol, reduced=reduced))
        self.warn("subcut_off_label")
        self.warn("refer_specialist")
        return "refractory"

    def _oral(
        self,
        order_id: str,
        entry: OralOrder,
        role: str,
        mmol: Fraction,
        escalate: bool,
        alternative_to: str | None = None,
    ) -> None:
        self._add_built(
            build.oral(
                self.protocol,
                order_id,
                entry,
                role,
                mmol,
                escalate=escalate,
                alternative_to=alternative_to,
            )
        )

    def _alfacalcidol(self) -> None:
        self.orders.append(alfacalcidol(self.protocol))
        self.warn("monitor_calcium_alfacalcidol")
        self.monitoring.add("monitor_calcium")
