"""How each order of the plan is printed so that it can be carried out as written.

The plan says what to give; this module lays that out as a pharmacist reads an order: the
dose to give (per dose, or per day when the frequency divides it), route, diluent and volume,
rate, frequency, and how long a course runs. Where the plan leaves a choice to the prescriber
(a drug and dose "per the local protocol", a range of doses), the sheet prints a labelled
blank with room to write, never a tickable order without a dose. Nothing here changes a dose
or decides a word: each order's wording, what it leaves to the prescriber, what is said beside
it and when an oral course is reviewed are the plan's.
"""

from __future__ import annotations

from datetime import date, timedelta

from mgdesk.core.formatting import amount_text, duration, significant, volume
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import Order, Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import magnitude_in, quantity

ROUTES = {
    "oral": "oral (by mouth)",
    "iv": "IV (intravenous)",
    "iv_io": "IV or IO (intravenous or intraosseous)",
    "im": "IM (intramuscular)",
    "subcut": "subcut (subcutaneous)",
}
# An empty value is printed as a space to write in.
TO_WRITE = ""
TO_COMPLETE = "PRESCRIBER TO COMPLETE"
COMPLETE_FIRST = "write in every blank below before it is given"


class SheetField(Frozen):
    """A label and its value, as printed."""

    label: str
    value: str


class SheetOrder(Frozen):
    """One order as printed on the sheet."""

    number: int
    id: str
    role: str
    role_label: str
    emergency: bool
    title: str
    text: str
    details: tuple[SheetField, ...]
    with_next: bool = False  # kept on the page of the next (an order refers to one below)
    to_complete: bool = False  # the prescriber writes in what the blanks ask for
    note: str = ""  # printed under the order, not part of it


def printed_orders(plan: Plan, protocol: Protocol, issued_on: date) -> tuple[SheetOrder, ...]:
    printed = []
    kept = _kept_with_next(plan.orders)
    for number, order in enumerate(plan.orders, 1):
        to_complete = bool(order.to_complete)
        printed.append(
            SheetOrder(
                number=number,
                id=order.id,
                role=order.role,
                role_label=_role_label(order, plan.orders, to_complete),
                emergency=order.emergency,
                title=order.title,
                text=f"{order.text}: {COMPLETE_FIRST}" if to_complete else order.text,
                details=_details(order, protocol, issued_on),
                with_next=kept[number - 1],
                to_complete=to_complete,
                note=order.beside or "",
            )
        )
    return tuple(printed)


def _kept_with_next(orders: tuple[Order, ...]) -> list[bool]:
    """Whether each order is printed on the page of the next: from an order that refers to
    another ("then the infusion below") through the one it refers to."""
    ids = [o.id for o in orders]
    reach = -1
    kept = []
    for index, order in enumerate(orders):
        if order.refers_to in ids:
            reach = max(reach, ids.index(order.refers_to))
        kept.append(index < reach)
    return kept


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


def _details(order: Order, protocol: Protocol, issued_on: date) -> tuple[SheetField, ...]:
    if order.to_complete:
        return tuple(SheetField(label, TO_WRITE) for label in order.to_complete)
    rows = _dose_rows(order, protocol)
    if order.route == "oral":
        # An oral course in one line: how, how often, and until when.
        until = ""
        if order.review_day is not None:
            review = issued_on + timedelta(days=order.review_day)
            until = f", until review on {review.isoformat()} (day {order.review_day} recheck)"
        rows.append(
            SheetField("Route, frequency", f"{ROUTES['oral']}, {order.frequency or 'daily'}{until}")
        )
    elif order.route is not None:
        rows.append(SheetField("Route", ROUTES.get(order.route, order.route)))
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
