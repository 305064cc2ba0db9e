"""The plan's estimates as the window states them above the orders: the renal estimate used
(its method, and for Cockcroft-Gault the weight used and why), the body size, and the
magnesium given with what the 48-hour limit leaves. Every figure and reason is the plan's
own text: nothing is computed or decided here."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mgdesk.core.plan import Plan


def renal_line(plan: Plan) -> str | None:
    """ "Renal function: 22.5 mL/min, Cockcroft-Gault with adjusted body weight 73.4 kg: BMI
    41, ideal 52.4 kg", or None when the plan has no estimate."""
    clearance = plan.creatinine_clearance
    return None if clearance is None else f"Renal function: {clearance.described()}"


def estimates_html(plan: Plan, shown: Callable[[str], str] = str) -> str:
    """The lines above the orders (empty when the plan has none of them), their numbers as
    shown() writes them."""
    lines = [renal_line(plan)]
    if plan.body_size is not None:
        lines.append(f"Body size: {plan.body_size.shown}")
    if plan.magnesium_given is not None:
        lines.append(f"Magnesium given: {plan.magnesium_given.shown}")
    escaped = [html.escape(shown(line)) for line in lines if line]
    return f"<p>{'<br>'.join(escaped)}</p>" if escaped else ""
