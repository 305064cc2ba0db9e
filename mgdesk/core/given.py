"""Magnesium already given (PROTOCOL.md step 8f): the case's entries read and validated, and
what they add up to before the time of the assessment.

Times are instants: each carries Z or an offset, and they are compared as such. Amounts are
kept as entered (g or mg of magnesium sulfate heptahydrate, mmol or mEq of magnesium) and
converted exactly with the protocol's constants: no intermediate rounding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from mgdesk.core.chemistry import GIVEN_UNITS
from mgdesk.core.errors import FieldError
from mgdesk.core.formatting import mass, plain_quantity, significant
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import GivenEntry, GivenSummary, Order
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import Quantity, magnitude_in, parse_quantity, product_in, quantity

if TYPE_CHECKING:
    from mgdesk.core.case import Case

GIVEN_FIELD = "clinical.magnesium_given"
ASSESSED_FIELD = "assessed_at"
ROUTES = ("iv", "im")
ENTRY_FIELDS = ("time", "route", "amount")
# The windows are part of the limits' definitions (20 g in 48 hours; 250 mg/kg IM in 4 hours).
TOTAL_WINDOW = timedelta(hours=48)
IM_WINDOW = timedelta(hours=4)
MAX_ENTRIES = 200
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)


class MagnesiumGiven(Frozen):
    """One entry of parenteral magnesium given before the assessment."""

    time: datetime
    route: str
    amount: Quantity  # as entered: g, mg, mmol or mEq


def instant(value: object, field: str) -> datetime:
    """An ISO 8601 date and time with Z or an offset; raises FieldError naming field."""
    example = "2026-12-04T08:00:00+00:00"
    if not isinstance(value, str):
        raise FieldError(field, f"must be a date and time with its UTC offset, such as {example}")
    text = value.strip()
    if not _INSTANT.fullmatch(text):
        shown = repr(text[:40])
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text, re.ASCII):
            raise FieldError(
                field, f"{shown} has no UTC offset: add Z or +hh:mm/-hh:mm, such as {example}"
            )
        raise FieldError(field, f"{shown} is not a date and time such as {example}")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(field, f"{text!r} is not a real date and time") from None


def sulfate_mass_g(amount: Quantity, protocol: Protocol) -> Fraction:
    """An amount given, as grams of magnesium sulfate heptahydrate (exact)."""
    per_magnesium = protocol.salts["magnesium_sulfate_heptahydrate"].mass_per_magnesium
    if amount.dimensionality == quantity(1, "g").dimensionality:
        return magnitude_in(amount, "g")
    mmol = (
        magnitude_in(amount, "mmol")
        if amount.dimensionality == quantity(1, "mmol").dimensionality
        else magnitude_in(amount, "mEq") / magnitude_in(protocol.magnesium_valence, "eq/mol")
    )
    return product_in(mmol, "mmol", per_magnesium, "g")


def sulfate_mmol(grams: Fraction, protocol: Protocol) -> Fraction:
    per_magnesium = protocol.salts["magnesium_sulfate_heptahydrate"].mass_per_magnesium
    return grams / magnitude_in(per_magnesium, "g/mmol")


def read_given(
    document: Mapping[str, Any], clinical: Mapping[str, Any], protocol: Protocol
) -> tuple[tuple[MagnesiumGiven, ...], datetime | None, list[FieldError]]:
    """The entries of clinical.magnesium_given and the case's assessed_at, with every error."""
    errors: list[FieldError] = []
    assessed_at: datetime | None = None
    if document.get(ASSESSED_FIELD) is not None:
        try:
            assessed_at = instant(document[ASSESSED_FIELD], ASSESSED_FIELD)
        except FieldError as error:
            errors.append(error)
    raw = clinical.get("magnesium_given")
    if raw is None:
        return (), assessed_at, errors
    if not isinstance(raw, list):
        errors.append(FieldError(GIVEN_FIELD, "must be a list of {time, route, amount} entries"))
        return (), assessed_at, errors
    if len(raw) > MAX_ENTRIES:
        errors.append(FieldError(GIVEN_FIELD, f"has more than {MAX_ENTRIES} entries"))
        return (), assessed_at, errors
    if raw and document.get(ASSESSED_FIELD) is None:
        errors.append(
            FieldError(
                ASSESSED_FIELD,
                "is required when clinical.magnesium_given lists magnesium given: "
                "enter the time of this assessment with its UTC offset",
            )
        )
    entries = [_entry(item, f"{GIVEN_FIELD}[{i}]", protocol, errors) for i, item in enumerate(raw)]
    found = tuple(e for e in entries if e is not None)
    if assessed_at is not None:
        for i, entry in enumerate(entries):
            if entry is not None and entry.time > assessed_at:
                errors.append(
                    FieldError(
                        f"{GIVEN_FIELD}[{i}].time",
                        "is after assessed_at: only magnesium given before this assessment "
                        "is entered here",
                    )
                )
    return found, assessed_at, errors


def _entry(
    item: object, where: str, protocol: Protocol, errors: list[FieldError]
) -> MagnesiumGiven | None:
    if not isinstance(item, dict):
        errors.append(FieldError(where, "must be an object with time, route and amount"))
        return None
    before = len(errors)
    for key in item:
        if key not in ENTRY_FIELDS:
            shown = key if len(key) <= 40 else key[:40] + "…"
            errors.append(
                FieldError(
                    f"{where}.{shown}",
                    f"is not a field of an entry (known: {', '.join(ENTRY_FIELDS)})",
                )
            )
    for key in ENTRY_FIELDS:
        if item.get(key) is None:
            errors.append(FieldError(f"{where}.{key}", "is required"))
    time: datetime | None = None
    if item.get("time") is not None:
        try:
            time = instant(item["time"], f"{where}.time")
        except FieldError as error:
            errors.append(error)
    route = item.get("route")
    if route is not None and route not in ROUTES:
        errors.append(FieldError(f"{where}.route", f"{str(route)[:40]!r} is not one of: iv, im"))
    amount = _amount(item.get("amount"), f"{where}.amount", protocol, errors)
    if len(errors) > before or time is None or amount is None:
        return None
    return MagnesiumGiven(time, str(route), amount)


def _amount(
    value: object, field: str, protocol: Protocol, errors: list[FieldError]
) -> Quantity | None:
    if value is None:
        return None
    try:
        amount = parse_quantity(value, field, GIVEN_UNITS)
    except FieldError as error:
        errors.append(error)
        return None
    grams = sulfate_mass_g(amount, protocol)
    limit = protocol.plausibility.magnesium_given.high
    if grams <= 0:
        errors.append(FieldError(field, "must be above zero"))
        return None
    if grams > magnitude_in(limit, "g"):
        limit_mmol = sulfate_mmol(magnitude_in(limit, "g"), protocol)
        errors.append(
            FieldError(
                field,
                f"{str(value).strip()} is above {mass(limit)} of magnesium sulfate "
                f"({significant(limit_mmol, 5)} mmol) in one entry: check the number and the unit",
            )
        )
        return None
    return amount


class GivenTotals(Frozen):
    """What was given before the assessment, as the limits count it."""

    counted: tuple[MagnesiumGiven, ...]  # the entries within 48 hours, in the case's order
    total_g: Fraction  # magnesium sulfate within 48 hours
    im_4h_g: Fraction  # magnesium sulfate given IM within 4 hours

    @property
    def shown(self) -> str:
        return grams(self.total_g)


def given_totals(
    entries: tuple[MagnesiumGiven, ...], assessed_at: datetime | None, protocol: Protocol
) -> GivenTotals:
    """The entries counted toward the 48-hour total (0 <= assessed_at - time <= 48 hours) and
    toward the IM limit (IM, <= 4 hours); both windows include their ends."""
    if assessed_at is None:
        return GivenTotals((), Fraction(0), Fraction(0))
    counted = tuple(e for e in entries if timedelta(0) <= assessed_at - e.time <= TOTAL_WINDOW)
    total = sum((sulfate_mass_g(e.amount, protocol) for e in counted), start=Fraction(0))
    im = sum(
        (
            sulfate_mass_g(e.amount, protocol)
            for e in counted
            if e.route == "im" and assessed_at - e.time <= IM_WINDOW
        ),
        start=Fraction(0),
    )
    return GivenTotals(counted, total, im)


# -- what the plan says about it ---------------------------------------------------------

EMERGENCY_ORDER_IDS = ("mg_sulfate_iv_torsades", "mg_sulfate_iv_loading")


def grams(value: Fraction) -> str:
    """Grams of magnesium sulfate, exact to 6 significant figures ("17.2529 g")."""
    return f"{significant(value, 6)} g"


def salt_g(order: Order) -> Fraction:
    """The magnesium sulfate of one order's dose (the top of a range), in g."""
    salt_mass = order.dose.salt_mass_mg if order.dose is not None else Fraction(0)
    return (salt_mass[1] if isinstance(salt_mass, tuple) else salt_mass) / 1000


def emergency_now_g(orders: Iterable[Order]) -> Fraction:
    """The torsades and loading doses among orders, as magnesium sulfate in g."""
    return sum((salt_g(o) for o in orders if o.id in EMERGENCY_ORDER_IDS), start=Fraction(0))


class Allowance(Frozen):
    """The half-dose severe infusion under the 48-hour limit: given in full, cut to a
    multiple of the step, or withheld when less than one step remains."""

    left_g: Fraction  # the limit, less what was given and the emergency doses now
    dose_g: Fraction | None  # the infusion's salt mass; None when withheld
    cut: bool  # reduced or withheld for the allowance

    def trace(self) -> str:
        left = grams(max(self.left_g, Fraction(0)))
        if self.dose_g is None:
            return f"withheld: {left} left of the 48-hour limit"
        if self.cut:
            return f"cut to {grams(self.dose_g)} ({left} left of the 48-hour limit)"
        return f"{grams(self.dose_g)} ({left} left of the 48-hour limit)"


def allowance(protocol: Protocol, given_g: Fraction, emergency_g: Fraction) -> Allowance:
    planned = magnitude_in(protocol.doses.severe_iv_reduced.salt_mass, "g")
    left = magnitude_in(protocol.thresholds.renal_max_48h, "g") - given_g - emergency_g
    if left >= planned:
        return Allowance(left, planned, cut=False)
    step = magnitude_in(protocol.thresholds.cumulative_infusion_step, "g")
    dose = max(left, Fraction(0)) // step * step
    return Allowance(left, dose if dose >= step else None, cut=True)


def given_summary(
    case: Case, protocol: Protocol, totals: GivenTotals, orders: Iterable[Order], limited: bool
) -> GivenSummary | None:
    """What the plan says about the magnesium given: present when the case lists any."""
    entries, assessed_at = case.magnesium_given, case.assessed_at
    if not entries or assessed_at is None:
        return None
    listed = tuple(
        GivenEntry(
            time=e.time.isoformat(),
            route=e.route,
            entered=plain_quantity(e.amount, 6),
            salt_g=sulfate_mass_g(e.amount, protocol),
            mmol=sulfate_mmol(sulfate_mass_g(e.amount, protocol), protocol),
            in_48h=e in totals.counted,
            im_in_4h=e in totals.counted and e.route == "im" and assessed_at - e.time <= IM_WINDOW,
        )
        for e in entries
    )
    emergency = emergency_now_g(orders)
    limit = magnitude_in(protocol.thresholds.renal_max_48h, "g")
    left = max(limit - totals.total_g - emergency, Fraction(0)) if limited else None
    shown = (
        f"{grams(totals.total_g)} magnesium sulfate "
        f"({significant(sulfate_mmol(totals.total_g, protocol))} mmol) "
        "given IV/IM in the last 48 hours"
    )
    if left is not None:
        shown += f"; {grams(left)} left of the {grams(limit)} allowed in 48 hours"
    return GivenSummary(
        assessed_at=assessed_at.isoformat(),
        entries=listed,
        total_g=totals.total_g,
        total_mmol=sulfate_mmol(totals.total_g, protocol),
        im_4h_g=totals.im_4h_g,
        limit_applies=limited,
        emergency_now_g=emergency,
        allowance_g=left,
        shown=shown,
    )


def given_warnings(
    protocol: Protocol,
    totals: GivenTotals,
    orders: Iterable[Order],
    limited: bool,
    cut: bool,
) -> list[tuple[str, dict[str, str]]]:
    """parenteral_magnesium_given when anything was given in the last 48 hours;
    cumulative_limit_reached, where the 48-hour limit applies, when the infusion was cut or
    withheld for the allowance or what was given and the emergency doses now exceed it."""
    found: list[tuple[str, dict[str, str]]] = []
    given = grams(totals.total_g)
    if totals.total_g > 0:
        mmol = significant(sulfate_mmol(totals.total_g, protocol))
        found.append(("parenteral_magnesium_given", {"given": given, "given_mmol": f"{mmol} mmol"}))
    limit = magnitude_in(protocol.thresholds.renal_max_48h, "g")
    if limited and (cut or totals.total_g + emergency_now_g(orders) > limit):
        found.append(("cumulative_limit_reached", {"given": given}))
    return found
