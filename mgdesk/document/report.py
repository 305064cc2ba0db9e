"""The plan as a plain-text report for a person reading a terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from mgdesk.core.emergency import EmergencyPlan
from mgdesk.core.plan import Plan, PlanWarning
from mgdesk.document.sheet import EVALUATION_FILE

EVALUATION_FILE_HEADER = (
    f"{EVALUATION_FILE.upper()} (a file given with --protocol: any approval it claims is not"
    " in force)"
)
ROLE_LABEL = {"primary": "", "alternative": " [ALTERNATIVE]", "conditional": " [CONDITIONAL]"}


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent=indent + "  ")


def text_report(plan: Plan, patient_label: str = "", *, evaluation_file: bool = False) -> str:
    """evaluation_file: the protocol is a file given for this report only (--protocol), so
    the report is marked for evaluation only, whatever approval the file claims."""
    lines: list[str] = []
    title = "mgdesk plan" + (f" for {patient_label}" if patient_label else "")
    lines += [title, "=" * len(title)]
    if evaluation_file:
        lines.append(EVALUATION_FILE_HEADER)
    lines.append(f"Status: {plan.status}    Severity: {plan.severity or 'no level given'}")
    if plan.magnesium:
        lines.append(
            f"Magnesium: {plan.magnesium.shown_text} (entered as {plan.magnesium.entered})"
        )
    if plan.creatinine_clearance:
        c = plan.creatinine_clearance
        if c.method == "egfr":
            lines.append(f"Renal function (eGFR): {c.arithmetic}")
        else:
            method = "Cockcroft-Gault" if c.method == "cockcroft_gault" else "entered"
            lines.append(f"Creatinine clearance ({method}): {c.arithmetic}")
    if plan.body_size:
        weight = plan.creatinine_clearance.weight if plan.creatinine_clearance else None
        used = f"; Cockcroft-Gault used the {weight.reason}" if weight else ""
        lines.append(_wrap(f"Body size: {plan.body_size.shown}{used}", ""))
    if plan.magnesium_given:
        lines.append(_wrap(f"Magnesium given: {plan.magnesium_given.shown}", ""))
    if plan.missing:
        lines.append("")
        lines.append("Missing before routine treatment can be decided:")
        lines += [f"  - {m.message} ({m.field})" for m in plan.missing]
    lines.append("")
    lines.append("Orders:")
    if not plan.orders:
        lines.append("  none")
    for i, order in enumerate(plan.orders, 1):
        lines.append(_wrap(f"{i}. {order.title}{ROLE_LABEL[order.role]}: {order.text}", "  "))
        lines += [_wrap(aside, "     ") for aside in order.asides()]
    lines += _warning_lines(plan.warnings_by_level())
    lines.append("")
    lines.append("Monitoring:")
    if not plan.monitoring:
        lines.append("  none")
    lines += [_wrap(f"- {m.text} [{m.code}]", "  ") for m in plan.monitoring]
    lines.append("")
    lines.append("How the plan was reached:")
    for n, step in enumerate(plan.steps, 1):
        label = step.outcome_label or step.outcome.replace("_", " ")
        lines.append(f"  {n}. {step.title}: {label} ({step.outcome})")
        for value in step.inputs:
            lines.append(_wrap(f"input {value.name}: {value.value}", "       "))
        for value in step.thresholds:
            lines.append(_wrap(f"threshold {value.name}: {value.value}", "       "))
        lines.append(_wrap(f"why: {step.rationale}", "       "))
        if step.sources:
            lines.append(_wrap(f"sources: {', '.join(step.sources)}", "       "))
    p = plan.protocol
    approval = "site-approved" if p["site_approved"] else "NOT approved by this site"
    lines.append("")
    if evaluation_file:
        approval += f", {EVALUATION_FILE}"
    lines.append(f"Protocol: {p['id']} version {p['version']}, SHA-256 {p['sha256']}, {approval}")
    lines.append(
        "Decision support only: the prescriber reviews the basis of every order"
        " and stays responsible for it."
    )
    return "\n".join(lines) + "\n"


def emergency_report(emergency: EmergencyPlan) -> str:
    """The emergency orders of a case that is not valid as a whole, for a terminal."""
    if emergency.torsades != "none":
        reason = f"torsades de pointes ({emergency.torsades.replace('_', ' ')})"
    else:
        reason = f"severe symptoms ({', '.join(emergency.severe_symptoms)})"
    title = "EMERGENCY ORDERS: give now" if emergency.orders else "EMERGENCY: no order to give"
    lines = [title, "=" * len(title)]
    lines.append(
        textwrap.fill(
            f"For {reason}, from the fields these orders depend on. The rest of the plan, "
            "including any infusion to follow, waits until the case's errors (on standard "
            "error) are corrected.",
            width=92,
        )
    )
    lines.append("")
    lines.append("Orders:")
    if not emergency.orders:
        lines.append("  none: this protocol gives no magnesium order (see the warnings)")
    for i, order in enumerate(emergency.orders, 1):
        lines.append(_wrap(f"{i}. {order.title}: {order.text}", "  "))
    lines += _warning_lines(emergency.warnings)
    return "\n".join(lines) + "\n"


def _warning_lines(warnings: Sequence[PlanWarning]) -> list[str]:
    """The report's warnings section: each warning's level, text and code."""
    lines = ["", "Warnings:"]
    if not warnings:
        lines.append("  none")
    lines += [_wrap(f"{w.level.upper()}: {w.text} [{w.code}]", "  ") for w in warnings]
    return lines
