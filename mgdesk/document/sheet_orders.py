"""How each order of the plan is printed so that it can be carried out as written.

The plan says what to give; this module lays that out as a pharmacist reads an order: the
dose to give (per dose, or per day when the frequency divides it), route, diluent and volume,
rate, frequency, and how long a course runs. Where the plan leaves a choice to the prescriber
(a drug and dose "per the local protocol", a range of doses), the sheet prints a labelled
blank with room to write, never a tickable order without a dose. Nothing here changes a dose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mgdesk.core.case import Case
from mgdesk.core.formatting import (
    amount_text,
    duration,
    plain_quantity,
    significant,
    volume,
)
from mgdesk.core.plan import Order, Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import magnitude_in, quantity

ROUTES = {
    "oral": "oral (by mouth)",
    "iv": "IV (intravenous)",
    "im": "IM (intramuscular)",
    "subcut": "subcut (subcutaneous)",
}
IV_OR_IO = "IV or IO (intravenous or intraosseous)"
# An empty value is printed as a space to write in.
TO_WRITE = ""
TO_COMPLETE = "PRESCRIBER TO COMPLETE"
COMPLETE_FIRST = "write in every blank below before it is given"
# The oral recheck of the protocol's monitoring is at 2 to 3 days and at day 7: an oral course
# runs until that review, where it is continued, changed or stopped.
ORAL_REVIEW_DAYS = 7
# The plan's words for a reduced dose, and what the sheet says when renal function is not
# known (the plan reduces the emergency dose then too, but nothing is known to be impaired).
REDUCED_FOR_IMPAIRMENT = "reduced dose for renal impairment"
REDUCED_FOR_UNKNOWN = "reduced dose because renal function is unknown"


@dataclass(frozen=True)
class SheetField:
    """A label and its value, as printed."""

    label: str
    value: str


@dataclass(frozen=True)
class SheetOrder:
    """One order as printed on the sheet."""

    number: int
    id: str
    role: str
    role_label: str
    emergency: bool
    title: str
    text: str
    details: tuple[SheetField, ...]
    with_next: bool = False  # it refers to the next order ("then the infusion below")
    to_complete: bool = False  # the prescriber writes in what the blanks ask for
    note: str = ""  # printed under the order, not part of it


def printed_orders(
    plan: Plan, case: Case, protocol: Protocol, issued_on: date
) -> tuple[SheetOrder, ...]:
    # As the plan's renal step decided it: on dialysis there is no clearance, yet renal
    # function is known to be impaired.
    renal_unknown = any(s.id == "renal" and s.outcome == "unknown" for s in plan.steps)
    review = issued_on + timedelta(days=ORAL_REVIEW_DAYS)
    printed = []
    for number, order in enumerate(plan.orders, 1):
        text, note = _text_and_note(order, protocol)
        if renal_unknown:
            text = text.replace(REDUCED_FOR_IMPAIRMENT, REDUCED_FOR_UNKNOWN)
        to_complete = order.id in ("potassium_replacement", "sodium_chloride_iv_rehydration")
        if order.id == "potassium_replacement":
            text = _potassium_text(order, case, protocol)
        if to_complete:
            text = f"{text}: {COMPLETE_FIRST}"
        printed.append(
            SheetOrder(
                number=number,
                id=order.id,
                role=order.role,
                role_label=_role_label(order, plan.orders, to_complete),
                emergency=order.emergency,
                title=order.title,
                text=text,
                details=_details(order, protocol, review),
                with_next="below" in (order.frequency or ""),
                to_complete=to_complete,
                note=note,
            )
        )
    return tuple(printed)


def _text_and_note(order: Order, protocol: Protocol) -> tuple[str, str]:
    """The order line, and what the plan's text says beside it that is not part of it: the
    specialist's range of alfacalcidol, the subcut option of the IV bag (a caution says so)."""
    if order.id == "alfacalcidol_oral":
        given, _, beside = order.text.partition("; ")
        return given, beside
    if order.id == "mg_sulfate_bag_refractory":
        note = protocol.orders.mg_sulfate_bag_refractory.note
        if note and f"; {note}" in order.text:
            return order.text.replace(f"; {note}", ""), ""
    return order.text, ""


def _potassium_text(order: Order, case: Case, protocol: Protocol) -> str:
    entry = protocol.orders.potassium_replacement
    t = protocol.thresholds
    if case.clinical.torsades != "none":
        target = (
            f"{entry.target_torsades_range or plain_quantity(t.potassium_target_torsades)}"
            " (torsades de pointes)"
        )
    else:
        target = f"{plain_quantity(t.potassium_target)} or above"
    text = f"Potassium replacement to a target potassium of {target}, per the local protocol"
    if order.role == "conditional":
        text += "; only once renal function allows, on a clinician's decision"
    return text


def _role_label(order: Order, orders: tuple[Order, ...], to_complete: bool) -> str:
    if to_complete:
        return f"CONDITIONAL, {TO_COMPLETE}" if order.role == "conditional" else TO_COMPLETE
    if order.role == "alternative":
        primary = next(
            (n for n, o in enumerate(orders, 1) if o.id == order.alternative_to and o is not order),
            None,
        )
        if primary is None:
            return "ALTERNATIVE: give instead of the primary order, never both"
        return f"ALTERNATIVE to order {primary}: give one or the other, never both"
    if order.role == "conditional":
        return "CONDITIONAL: give only when the condition in the order is met"
    return "PRIMARY, EMERGENCY: give now" if order.emergency else "PRIMARY"


def _details(order: Order, protocol: Protocol, review: date) -> tuple[SheetField, ...]:
    if order.id == "potassium_replacement":
        return (
            SheetField("Drug, dose", TO_WRITE),
            SheetField("Route, rate", TO_WRITE),
        )
    if order.id == "sodium_chloride_iv_rehydration":
        return (
            SheetField("Volume (mL)", TO_WRITE),
            SheetField("Rate (mL/h)", TO_WRITE),
        )
    rows = _dose_rows(order, protocol)
    if order.route == "oral":
        # An oral course in one line: how, how often, and until when.
        rows.append(
            SheetField(
                "Route, frequency",
                f"{ROUTES['oral']}, {order.frequency or 'daily'}, until review on "
                f"{review.isoformat()} (day {ORAL_REVIEW_DAYS} recheck)",
            )
        )
    elif order.route is not None:
        route = ROUTES.get(order.route, order.route)
        rows.append(SheetField("Route", IV_OR_IO if "IV/IO" in order.text else route))
    if order.volume_ml is not None:
        diluted = f"{volume(quantity(order.volume_ml, 'mL'))} {order.diluent or ''}".strip()
        if order.concentration_g_dl is not None:
            diluted += f" (final concentration {significant(order.concentration_g_dl)}%)"
        rows.append(SheetField("Diluent, volume", diluted))
    if order.duration_min is not None:
        rows.append(SheetField("Duration", _duration(order)))
    if order.rate_ml_h is not None and order.rate_mg_min is not None:
        rows.append(SheetField("Rate", _rate(order)))
    if order.frequency and order.route != "oral":
        rows.append(SheetField("Frequency", order.frequency))
    if order.doses is not None:
        rows.append(SheetField("Number of doses", str(order.doses)))
    if isinstance(order.mg_mmol, tuple):
        rows.append(SheetField("Course", "one bag; each further bag is a new order"))
    return tuple(rows)


def _dose_rows(order: Order, protocol: Protocol) -> list[SheetField]:
    if order.id == "alfacalcidol_oral":
        micrograms = magnitude_in(protocol.doses.alfacalcidol.dose, "mcg")
        return [SheetField("Dose", f"{significant(micrograms)} mcg")]
    if order.dose is None:
        return []
    # The order's own line states the dose (per dose, or per day when the frequency divides
    # it); a range is the one dose the sheet cannot state, so the prescriber writes it in.
    if isinstance(order.mg_mmol, tuple):
        return [
            SheetField("Dose range", f"{amount_text(order.dose.mmol, 'mmol')} magnesium"),
            SheetField(
                "Dose to give",
                "prescriber writes one dose within the range, on the specialist's advice: "
                "________ mmol = ________ mL",
            ),
        ]
    return []


def _duration(order: Order) -> str:
    assert order.duration_min is not None
    longest = duration(quantity(order.duration_max_min or order.duration_min, "min"))
    if order.duration_max_min is None:
        return longest
    return f"{significant(order.duration_min)} to {longest}"


def _rate(order: Order) -> str:
    assert order.rate_ml_h is not None and order.rate_mg_min is not None
    if order.duration_max_min is not None and order.volume_ml is not None and order.duration_min:
        slowest = order.duration_min / order.duration_max_min
        return (
            f"{significant(order.rate_ml_h * slowest)} to {significant(order.rate_ml_h)} mL/h; "
            f"{significant(order.rate_mg_min * slowest)} to {significant(order.rate_mg_min)}"
            " mg/min "
            f"(life-threatening exception to the usual maximum)"
        )
    most = "at most " if isinstance(order.mg_mmol, tuple) else ""
    return f"{significant(order.rate_ml_h)} mL/h; {most}{significant(order.rate_mg_min)} mg/min"
