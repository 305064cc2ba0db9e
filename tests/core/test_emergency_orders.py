"""The emergency dose is never hidden by an unrelated field (safety issue, item 7).

With torsades or a severe symptom, the orders to give now are decided from the fields they
depend on alone, by the same engine, builders and invariant checks as every plan.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from core_support import base_case, errors_of, plan_of, woman

from mgdesk.core import orders as build
from mgdesk.core.emergency import EmergencyPlan, emergency_orders
from mgdesk.core.protocol_loader import default_protocol

PROTOCOL = default_protocol()
LONG_NAME = "N" * 201


def torsades(**changes: Any) -> dict[str, Any]:
    return base_case(**{"clinical__torsades": "pulseless", **changes})


def tetany(**changes: Any) -> dict[str, Any]:
    return base_case(
        **{"labs__magnesium": "0.9 mg/dL", "clinical__symptoms": ["tetany"], **changes}
    )


def emergency(document: dict[str, Any], unreadable: tuple[str, ...] = ()) -> EmergencyPlan:
    found = emergency_orders(document, PROTOCOL, unreadable)
    assert found is not None, "no emergency orders"
    return found


def order_ids(found: EmergencyPlan) -> list[str]:
    return [o.id for o in found.orders]


def test_pulseless_torsades_with_a_201_character_name_still_gets_its_push() -> None:
    document = torsades(patient__name=LONG_NAME)
    assert [e.field for e in errors_of(document)] == ["patient.name"]
    found = emergency(document)
    corrected = plan_of(torsades()).order("mg_sulfate_iv_torsades")
    assert corrected is not None
    assert order_ids(found) == ["mg_sulfate_iv_torsades"]
    push = found.orders[0]
    assert push == corrected
    assert "IV/IO push" in push.text and push.emergency
    assert {"torsades_do_not_delay", "rate_exception_life_threatening"} <= {
        w.code for w in found.warnings
    }


def test_severe_tetany_with_an_implausible_potassium_still_gets_its_loading_dose() -> None:
    document = tetany(labs__potassium="1.2 mmol/L")
    assert [e.field for e in errors_of(document)] == ["labs.potassium"]
    found = emergency(document)
    corrected = plan_of(tetany()).order("mg_sulfate_iv_loading")
    assert corrected is not None
    assert order_ids(found) == ["mg_sulfate_iv_loading"]
    assert found.orders[0] == corrected
    assert found.severe_symptoms == ("tetany",)


def test_only_the_orders_to_give_now_not_the_rest_of_the_plan() -> None:
    document = tetany(patient__name=LONG_NAME, clinical__volume_depleted=True)
    assert "mg_sulfate_iv_severe" in [o.id for o in plan_of(tetany()).orders]
    assert order_ids(emergency(document)) == ["mg_sulfate_iv_loading"]


@pytest.mark.parametrize(
    "change",
    [
        {"patient__name": LONG_NAME},
        {"patient__id": "I" * 65},
        {"patient__allergies": "A" * 501},
        {"patient__weight": "3000 kg"},
        {"patient__shoe_size": "42"},  # not a field of the case format
        {"patient__height": "9 m"},
        {"labs__egfr": "60 mL/min"},
        {"labs__potassium": "1.2 mmol/L"},
        {"labs__creatinine": "creatinine"},
        {"labs__creatinine_clearance": "9000 mL/min"},
        {"clinical__volume_depleted": "yes"},
        {"clinical__gi_losses": "lots"},
        {"clinical__oral_route_available": 1},
        {"clinical__prior_therapy": "everything"},
    ],
    ids=lambda change: next(iter(change)),
)
@pytest.mark.parametrize("kind", ["torsades", "tetany"])
def test_an_unrelated_invalid_field_does_not_block_the_emergency_orders(
    kind: str, change: dict[str, Any]
) -> None:
    document = torsades(**change) if kind == "torsades" else tetany(**change)
    assert errors_of(document)
    expected = "mg_sulfate_iv_torsades" if kind == "torsades" else "mg_sulfate_iv_loading"
    assert order_ids(emergency(document)) == [expected]


@pytest.mark.parametrize(
    "level", [None, "1.4", "99 mg/dL", "0 mg/dL"], ids=["missing", "no unit", "implausible", "0"]
)
def test_the_magnesium_level_blocks_the_loading_dose_but_never_the_torsades_dose(
    level: str | None,
) -> None:
    name = {"patient__name": LONG_NAME}
    assert emergency_orders(tetany(labs__magnesium=level, **name), PROTOCOL) is None
    found = emergency(torsades(labs__magnesium=level, clinical__symptoms=["seizure"], **name))
    assert order_ids(found) == ["mg_sulfate_iv_torsades"]


@pytest.mark.parametrize(
    "change",
    [
        {"patient__age_years": None},
        {"patient__age_years": 200},
        {"patient__sex": None},
        {"patient__sex": "x"},
        {"patient__pregnant": "no"},
        {"clinical__heart_block": "no"},
        {"clinical__myasthenia_gravis": 0},
        {"clinical__digoxin": "yes"},
        {"clinical__dialysis": "yes"},
    ],
    ids=lambda change: f"{next(iter(change))}={next(iter(change.values()))}",
)
@pytest.mark.parametrize("kind", ["torsades", "tetany"])
def test_an_invalid_field_the_orders_depend_on_blocks_them(
    kind: str, change: dict[str, Any]
) -> None:
    document = torsades(**change) if kind == "torsades" else tetany(**change)
    assert emergency_orders(document, PROTOCOL) is None


def test_an_invalid_symptom_blocks_the_loading_dose_only() -> None:
    assert emergency_orders(tetany(clinical__symptoms=["tetany", "tetanus"]), PROTOCOL) is None
    found = emergency(torsades(clinical__symptoms=["tetany", "tetanus"]))
    assert order_ids(found) == ["mg_sulfate_iv_torsades"]


def test_an_invalid_torsades_answer_blocks_them() -> None:
    assert emergency_orders(tetany(clinical__torsades="yes"), PROTOCOL) is None


@pytest.mark.parametrize("kind", ["torsades", "tetany"])
def test_an_unanswered_pregnancy_question_blocks_them(kind: str) -> None:
    document = woman(30, patient__name=LONG_NAME, patient__pregnant=None)
    document["clinical"] = torsades()["clinical"] if kind == "torsades" else tetany()["clinical"]
    document["labs"]["magnesium"] = "0.9 mg/dL"
    assert "patient.pregnant" in [e.field for e in errors_of(document)]
    assert emergency_orders(document, PROTOCOL) is None
    document["patient"]["pregnant"] = False
    assert emergency(document).orders


def test_a_pregnant_patient_is_out_of_scope_and_gets_no_order_and_the_reason() -> None:
    document = woman(
        30, patient__name=LONG_NAME, patient__pregnant=True, clinical__torsades="with_pulse"
    )
    found = emergency(document)
    assert found.orders == ()
    assert [w.code for w in found.warnings] == ["out_of_scope_pregnancy"]


@pytest.mark.parametrize(
    ("flag", "warning"),
    [
        ("heart_block", "heart_block_contraindication"),
        ("myasthenia_gravis", "myasthenia_gravis_contraindication"),
    ],
)
@pytest.mark.parametrize("kind", ["torsades", "tetany"])
def test_a_contraindication_still_stops_them_and_says_why(
    kind: str, flag: str, warning: str
) -> None:
    changes = {"patient__name": LONG_NAME, f"clinical__{flag}": True}
    found = emergency(torsades(**changes) if kind == "torsades" else tetany(**changes))
    assert found.orders == ()
    assert warning in [w.code for w in found.warnings]
    assert all(w.level == "stop" for w in found.warnings)


def test_no_emergency_no_emergency_orders() -> None:
    for document in (
        base_case(patient__name=LONG_NAME),
        base_case(patient__name=LONG_NAME, clinical__symptoms=["cramps", "tremor"]),
    ):
        assert emergency_orders(document, PROTOCOL) is None
    not_low = base_case(patient__name=LONG_NAME, clinical__symptoms=["seizure"])
    not_low["labs"]["magnesium"] = "2.0 mg/dL"
    assert emergency(not_low).orders == ()


def test_the_orders_carry_their_warnings_and_the_digoxin_interaction() -> None:
    found = emergency(torsades(patient__name=LONG_NAME, clinical__digoxin=True))
    push = found.orders[0]
    assert {"digoxin_interaction", "calcium_antidote_available"} <= set(push.warnings)
    assert set(push.warnings) <= {w.code for w in found.warnings}


@pytest.mark.parametrize("kind", ["torsades", "tetany"])
def test_with_valid_renal_fields_the_orders_are_those_of_the_corrected_plan(kind: str) -> None:
    valid = torsades() if kind == "torsades" else tetany()
    expected = plan_of(valid).immediate_orders
    assert len(expected) == 1 and "max_20g_per_48h" not in expected[0].warnings
    invalid = dict(valid, patient={**valid["patient"], "name": LONG_NAME})
    assert emergency(invalid).orders == expected


@pytest.mark.parametrize(
    "change",
    [
        {"labs__creatinine": "0.9 mmol"},
        {"patient__weight": "3000 kg"},
        # a measured clearance mistyped: Cockcroft-Gault is not used in its place
        {"labs__creatinine_clearance": "15 mL/hour"},
    ],
    ids=lambda change: f"{next(iter(change))}={next(iter(change.values()))}",
)
def test_with_an_invalid_renal_field_renal_function_is_unknown_and_the_cap_applies(
    change: dict[str, Any],
) -> None:
    document = torsades(**change)
    assert [e.field for e in errors_of(document)] == [next(iter(change)).replace("__", ".")]
    push = emergency(document).orders[0]
    assert "max_20g_per_48h" in push.warnings


def test_dialysis_gives_the_emergency_orders_the_severe_renal_warning() -> None:
    on_dialysis = emergency(tetany(labs__potassium="1.2 mmol/L", clinical__dialysis=True))
    assert {"renal_crcl_below_20", "max_20g_per_48h"} <= set(on_dialysis.orders[0].warnings)


def test_a_field_the_window_could_not_read_blocks_them_only_if_they_depend_on_it() -> None:
    assert emergency_orders(torsades(), PROTOCOL, ["patient.age_years"]) is None
    assert order_ids(emergency(torsades(), ("labs.magnesium", "labs.potassium"))) == [
        "mg_sulfate_iv_torsades"
    ]
    unread_weight = emergency(torsades(), ("patient.weight",))
    assert "max_20g_per_48h" in unread_weight.orders[0].warnings
    assert emergency_orders(tetany(), PROTOCOL, ["labs.magnesium"]) is None


def test_documents_that_are_not_cases_have_no_emergency_orders() -> None:
    for document in (None, [], "torsades", {"format": "mgdesk-case/2", **torsades()}):
        assert emergency_orders(document, PROTOCOL) is None
    no_sections = {"patient": [], "labs": "x", "clinical": {"torsades": "pulseless"}}
    assert emergency_orders(no_sections, PROTOCOL) is None


def test_the_same_invariant_checks_withhold_a_broken_emergency_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = build.torsades_push

    def too_strong(protocol: Any) -> build.Built:
        built = real(protocol)
        return dataclasses.replace(
            built,
            order=dataclasses.replace(
                built.order, concentration_g_dl=built.order.concentration_g_dl * 10
            ),
        )

    monkeypatch.setattr(build, "torsades_push", too_strong)
    assert emergency_orders(torsades(patient__name=LONG_NAME), PROTOCOL) is None
