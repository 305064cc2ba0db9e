"""Step 8f of PROTOCOL.md as a step of the walk: what the magnesium already given calls for,
once the treatment step has written its orders.

The treatment step cuts or withholds the half-dose severe infusion for the 48-hour allowance
and leaves out the IM severe alternative that the 4-hour IM limit does not allow (the orders
are its own); this step counts what was given against both limits, gives the warnings that
count calls for and says in the trace which limit, if any, it reached.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from mgdesk.core.formatting import mass, plain_quantity
from mgdesk.core.frozen import Frozen
from mgdesk.core.given import (
    Allowance,
    GivenTotals,
    emergency_now_g,
    given_warnings,
    grams,
)
from mgdesk.core.plan import Order, StepValue
from mgdesk.core.protocol import Protocol
from mgdesk.core.units import Quantity, magnitude_in

if TYPE_CHECKING:
    from mgdesk.core.case import Case


class GivenStep(Frozen):
    """The step's outcome, what it read and compared, and the warnings it gives."""

    outcome: str
    inputs: tuple[StepValue, ...]
    thresholds: tuple[StepValue, ...]
    warnings: tuple[tuple[str, dict[str, str]], ...]


def given_step(
    protocol: Protocol,
    case: Case,
    totals: GivenTotals,
    orders: tuple[Order, ...],
    limited: bool,
    allowed: Allowance | None,
    im_left_out: bool,
) -> GivenStep:
    """The step, after the treatment step wrote orders; limited: step 6 gave clearance < 20,
    dialysis or unknown, so the 48-hour limit counts across doses; allowed: the half-dose
    severe infusion under that limit, when the treatment step wrote one;
    im_left_out: the treatment step left out the IM severe alternative, which the weight alone
    allowed, for the IM given in the last 4 hours."""
    cut = allowed is not None and allowed.cut
    warnings = tuple(given_warnings(protocol, totals, orders, limited, cut))
    weight = case.patient.weight
    if any(code == "cumulative_limit_reached" for code, _ in warnings):
        outcome = "limit_reached"
    elif im_left_out:
        outcome = "im_limit_reached"
    elif totals.counted:
        outcome = "counted"
    else:
        outcome = "none"
    inputs = _given(case, totals)
    if limited:
        inputs += _allowance(protocol, totals, orders, allowed)
    elif totals.counted:  # why what was given reduces nothing
        below = plain_quantity(protocol.thresholds.clearance_emergency_only_below)
        inputs += (StepValue("48-hour limit counted", f"no: clearance {below} or more"),)
    return GivenStep(outcome, inputs, _thresholds(protocol, weight, totals, limited), warnings)


def _given(case: Case, totals: GivenTotals) -> tuple[StepValue, ...]:
    """What was given, counted back from when, and what of it IM in the last 4 hours."""
    older = len(case.magnesium_given) - len(totals.counted)
    if totals.counted:
        given = totals.shown
    elif older:
        given = f"none ({older} {'entry' if older == 1 else 'entries'} before the 48 hours)"
    else:
        given = "none"
    inputs = [StepValue("magnesium given in the last 48 hours", given)]
    if case.magnesium_given and case.assessed_at is not None:
        inputs.append(StepValue("counted back from", case.assessed_at.isoformat()))
    if totals.im_4h_g > 0:
        inputs.append(StepValue("given IM in the last 4 hours", grams(totals.im_4h_g)))
    return tuple(inputs)


def _allowance(
    protocol: Protocol, totals: GivenTotals, orders: tuple[Order, ...], allowed: Allowance | None
) -> tuple[StepValue, ...]:
    """Where the 48-hour limit counts: the emergency doses now, and the infusion within what
    the limit leaves (or, with no infusion, what it leaves)."""
    inputs = []
    emergency = emergency_now_g(orders)
    if emergency > 0:
        inputs.append(StepValue("torsades and loading doses now", grams(emergency)))
    if allowed is not None:
        inputs.append(StepValue("infusion within the 48-hour limit", allowed.trace()))
    else:
        limit = magnitude_in(protocol.thresholds.renal_max_48h, "g")
        left = max(limit - totals.total_g - emergency, Fraction(0))
        inputs.append(StepValue("left of the 48-hour limit", grams(left)))
    return tuple(inputs)


def _thresholds(
    protocol: Protocol, weight: Quantity | None, totals: GivenTotals, limited: bool
) -> tuple[StepValue, ...]:
    """The limits this step compared: the 48-hour limit where it counts, the IM limit where
    IM was given in the last 4 hours."""
    t = protocol.thresholds
    compared = []
    if limited:
        below = plain_quantity(t.clearance_emergency_only_below)
        name = f"at most in 48 hours (clearance below {below}, dialysis or unknown)"
        compared.append(StepValue(name, mass(t.renal_max_48h)))
    if totals.im_4h_g > 0:
        im_limit = plain_quantity(t.im_max_per_weight_4h)
        if weight is not None:
            im_limit += f" x {plain_quantity(weight)} = {mass(t.im_max_per_weight_4h * weight)}"
        compared.append(StepValue("IM at most in 4 hours", im_limit))
    return tuple(compared)
