"""What the plan states for its views, so that no view works it out for itself."""

from __future__ import annotations

from typing import Any

import pytest
from core_support import base_case, plan_of


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # seizure, no creatinine and no weight: loading dose and half-dose infusion only
        pytest.param(
            {
                "labs__magnesium": "0.9 mg/dL",
                "labs__creatinine": None,
                "patient__weight": None,
                "clinical__symptoms": ["seizure"],
            },
            True,
            id="renal-unknown-seizure",
        ),
        pytest.param(
            {"labs__magnesium": "2.0 mg/dL", "clinical__torsades": "with_pulse"},
            True,
            id="torsades-alone",
        ),
        pytest.param(
            {"labs__magnesium": "0.9 mg/dL", "clinical__symptoms": ["seizure"]},
            False,
            id="loading-then-routine-infusion",
        ),
        pytest.param({"labs__magnesium": "1.4 mg/dL"}, False, id="oral"),
        pytest.param({"labs__magnesium": "2.0 mg/dL"}, False, id="no-order"),
        pytest.param(
            {"labs__magnesium": "2.0 mg/dL", "clinical__volume_depleted": True},
            False,
            id="saline-only",
        ),
    ],
)
def test_the_plan_states_whether_it_is_emergency_only(
    changes: dict[str, Any], expected: bool
) -> None:
    plan = plan_of(base_case(**changes))
    assert plan.emergency_only is expected
    assert plan.as_dict()["emergency_only"] is expected


@pytest.mark.parametrize(
    ("changes", "alternative", "replaced"),
    [
        pytest.param(
            {"labs__magnesium": "1.4 mg/dL"}, "mg_organic_oral", "mg_oxide_oral", id="oral"
        ),
        pytest.param(
            {"labs__magnesium": "0.9 mg/dL", "clinical__torsades": "with_pulse"},
            "mg_sulfate_im_severe",
            "mg_sulfate_iv_severe",
            id="im-severe-after-torsades",
        ),
    ],
)
def test_an_alternative_names_the_order_it_replaces(
    changes: dict[str, Any], alternative: str, replaced: str
) -> None:
    plan = plan_of(base_case(**changes))
    order = plan.order(alternative)
    assert order is not None and order.role == "alternative"
    assert order.alternative_to == replaced and plan.order(replaced) is not None
    assert order.as_dict()["alternative_to"] == replaced
    assert all(o.alternative_to is None for o in plan.orders if o.role != "alternative")
