"""The orders that are not magnesium: saline rehydration, alfacalcidol, potassium.

Saline and potassium are prompts: the protocol leaves their volume, or drug and dose, to
the prescriber, and each says what the prescriber writes in (Order.to_complete).
"""

from __future__ import annotations

from mgdesk.core.formatting import plain_quantity, significant
from mgdesk.core.orders import fill
from mgdesk.core.plan import Order
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import Quantity, magnitude_in


def alfacalcidol(protocol: Protocol) -> Order:
    entry = protocol.orders.alfacalcidol_oral
    d = protocol.doses.alfacalcidol
    values = {"dose": _micrograms(d.dose), "guideline_max": _micrograms(d.guideline_max)}
    return Order(
        id="alfacalcidol_oral",
        role="primary",
        route="oral",
        title=entry.title,
        text=fill(entry.text, values),
        beside=fill(entry.note, values) if entry.note is not None else None,
        drug="alfacalcidol",
        frequency="daily",
        review_day=protocol.monitoring.recheck_mg_oral.review_day,
        warnings=("monitor_calcium_alfacalcidol",),
        monitoring=("monitor_calcium",),
        sources=entry.sources,
    )


def rehydration(protocol: Protocol) -> Order:
    entry = protocol.orders.sodium_chloride_iv_rehydration
    return Order(
        id="sodium_chloride_iv_rehydration",
        role="primary",
        route="iv",
        title=entry.title,
        text=entry.text,
        to_complete=("Volume (mL)", "Rate (mL/h)"),
        drug="sodium chloride 0.9%",
        monitoring=("fluid_balance",),
        warnings=("volume_depletion_correct_first",),
        sources=entry.sources,
    )


def potassium_replacement(protocol: Protocol, *, conditional: bool, torsades: bool) -> Order:
    """A prompt to order potassium to its target (with torsades, the torsades target in the
    protocol's torsades wording, if it has one)."""
    entry = protocol.orders.potassium_replacement
    t = protocol.thresholds
    text = fill(
        (entry.text_torsades if torsades else None) or entry.text,
        {
            "target": plain_quantity(t.potassium_target),
            "target_torsades_range": entry.target_torsades_range
            or plain_quantity(t.potassium_target_torsades),
        },
    )
    if conditional:
        text += "; only once renal function allows, on a clinician's decision"
    return Order(
        id="potassium_replacement",
        role="conditional" if conditional else "primary",
        route=None,
        title=entry.title,
        text=text,
        to_complete=("Drug, dose", "Route, rate"),
        drug="potassium",
        warnings=("hypokalemia_correct_concurrently",),
        monitoring=("recheck_potassium",),
        sources=entry.sources,
    )


def _micrograms(q: Quantity) -> str:
    return f"{significant(magnitude_in(q, 'mcg'))} mcg"
