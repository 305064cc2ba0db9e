"""Cases drawn over the whole input space, seeded and deterministic.

The golden plans (scripts/record_golden.py) are recorded over these, and the protocol
comparison (records/protocol_compare.py) runs them through two protocols to show what a
change would do to cases nobody wrote down. Valid or not: a case the engine rejects is an
outcome too.
"""

from __future__ import annotations

import random
from typing import Any

SEED = 20261204


def _choice(rng: random.Random, options: list[Any]) -> Any:
    return options[rng.randrange(len(options))]


def _magnesium(rng: random.Random) -> str:
    unit = _choice(rng, ["mg/dL", "mmol/L", "mEq/L"])
    mg_dl = _choice(
        rng,
        ["0.5", "0.9", "1.0", "1.19", "1.2", "1.21", "1.4", "1.7", "1.8", "2.2", "2.6", "2.7"],
    )
    if unit == "mg/dL":
        return f"{mg_dl} mg/dL"
    mmol = {"mmol/L": 1, "mEq/L": 2}[unit]
    value = round(float(mg_dl) / 2.431 * mmol, _choice(rng, [2, 3]))
    return f"{value} {unit}"


def generated_case(rng: random.Random) -> dict[str, Any]:
    """One case drawn over the whole input space, valid or not (errors are plans too)."""
    age = _choice(rng, [17, 17.5, 18, 25, 40, 55, 55.9, 56, 70, 85, 100])
    sex = _choice(rng, ["female", "male"])
    patient: dict[str, Any] = {"age_years": age, "sex": sex}
    if rng.random() < 0.85:
        patient["weight"] = _choice(rng, ["45 kg", "60 kg", "80 kg", "120 kg", "176 lb", "300 kg"])
    if sex == "female" and 18 <= age < 56 and rng.random() < 0.9:
        patient["pregnant"] = rng.random() < 0.1
    if rng.random() < 0.5:
        patient["allergies"] = "none known"
    labs: dict[str, Any] = {}
    if rng.random() < 0.95:
        labs["magnesium"] = _magnesium(rng)
    if rng.random() < 0.85:
        labs["potassium"] = _choice(
            rng, ["2.8 mmol/L", "3.3 mmol/L", "3.5 mmol/L", "4.2 mmol/L", "5.1 mEq/L"]
        )
    if rng.random() < 0.85:
        labs["creatinine"] = _choice(
            rng, ["0.7 mg/dL", "1.0 mg/dL", "2.5 mg/dL", "4.0 mg/dL", "150 µmol/L", "300 umol/L"]
        )
    if rng.random() < 0.1:
        labs["creatinine_clearance"] = _choice(rng, ["15 mL/min", "25 mL/min", "60 mL/min"])
    clinical: dict[str, Any] = {}
    symptoms = [
        s
        for s in ("tetany", "seizure", "arrhythmia", "cramps", "tremor", "weakness")
        if rng.random() < 0.12
    ]
    if symptoms:
        clinical["symptoms"] = symptoms
    if rng.random() < 0.2:
        clinical["torsades"] = _choice(rng, ["with_pulse", "pulseless"])
    for flag, chance in (
        ("heart_block", 0.08),
        ("myasthenia_gravis", 0.05),
        ("digoxin", 0.1),
        ("volume_depleted", 0.12),
        ("dialysis", 0.05),
        ("oral_mg_intolerance", 0.15),
    ):
        if rng.random() < chance:
            clinical[flag] = True
    if rng.random() < 0.2:
        clinical["oral_route_available"] = False
    if rng.random() < 0.2:
        clinical["gi_losses"] = _choice(
            rng, ["short_bowel", "high_output_stoma", "chronic_diarrhea", "malabsorption"]
        )
    if rng.random() < 0.25:
        clinical["prior_therapy"] = _choice(rng, ["oral_failed", "oral_and_alfacalcidol_failed"])
    return {"format": "mgdesk-case/1", "patient": patient, "labs": labs, "clinical": clinical}


def generated_cases(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """The first count cases of the sequence seed gives (the same every run)."""
    rng = random.Random(seed)
    return [generated_case(rng) for _ in range(count)]
