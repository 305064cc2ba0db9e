"""Words a clinician reads for the core's codes and field paths (presentation only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mgdesk.core.plan import Plan


def at_most_characters(limit: int) -> str:
    """A text field's length limit, as the field shows it (its tooltip)."""
    return f"At most {limit} characters"


SYMPTOM_LABELS = {
    "tetany": "Tetany",
    "seizure": "Seizure",
    "arrhythmia": "Arrhythmia (not torsades)",
    "cramps": "Cramps",
    "tremor": "Tremor",
    "paresthesia": "Paresthesia",
    "weakness": "Weakness",
    "chvostek_trousseau": "Chvostek or Trousseau sign",
}
TORSADES_LABELS = {
    "none": "None",
    "with_pulse": "Present, with a pulse",
    "pulseless": "Present, pulseless",
}
GI_LOSS_LABELS = {
    "none": "None",
    "short_bowel": "Short bowel",
    "high_output_stoma": "High-output stoma",
    "chronic_diarrhea": "Chronic diarrhoea",
    "malabsorption": "Malabsorption",
}
PRIOR_THERAPY_LABELS = {
    "none": "None",
    "oral_failed": "Oral failed (adequate trial)",
    "oral_and_alfacalcidol_failed": "Oral and alfacalcidol failed",
}
SEX_LABELS = {"female": "Female", "male": "Male"}

STATUS_LABELS = {
    "ok": "Plan complete",
    "incomplete": "Incomplete: information is missing",
    "out_of_scope": "Out of scope for this protocol: no orders",
}
SEVERITY_LABELS = {
    "severe": "Severe hypomagnesemia",
    "mild": "Mild hypomagnesemia",
    "normal": "Magnesium in the normal range",
    "high": "Magnesium above the normal range",
}
ROLE_LABELS = {"primary": "", "alternative": "Alternative", "conditional": "Conditional"}
LEVEL_LABELS = {"stop": "STOP", "caution": "Caution", "info": "Note"}

FIELD_LABELS = {
    "patient.id": "Patient ID",
    "patient.name": "Name",
    "patient.age_years": "Age",
    "patient.sex": "Sex",
    "patient.weight": "Weight",
    "patient.height": "Height",
    "patient.pregnant": "Pregnant",
    "patient.allergies": "Allergies",
    "labs.magnesium": "Magnesium",
    "labs.potassium": "Potassium",
    "labs.creatinine": "Creatinine",
    "labs.creatinine_clearance": "Measured creatinine clearance",
    "labs.egfr": "eGFR",
    "clinical.symptoms": "Symptoms",
    "clinical.torsades": "Torsades de pointes",
    "clinical.heart_block": "Heart block",
    "clinical.myasthenia_gravis": "Myasthenia gravis",
    "clinical.digoxin": "Digoxin",
    "clinical.volume_depleted": "Volume depleted",
    "clinical.dialysis": "Dialysis",
    "clinical.gi_losses": "GI losses",
    "clinical.oral_route_available": "Oral route available",
    "clinical.oral_mg_intolerance": "Intolerance of magnesium oxide",
    "clinical.prior_therapy": "Prior therapy",
    "clinical.magnesium_given": "Magnesium given",
    "assessed_at": "Time of this assessment",
}


def plan_headline(plan: Plan) -> str:
    """The plan's real status in a few words: a plan with stop-level warnings is not complete."""
    if plan.status == "ok" and plan.stop_warnings:
        return "Plan with stop-level warnings"
    if plan.status == "incomplete" and plan.stop_warnings:
        return "Incomplete: information is missing; stop-level warnings below"
    return label(STATUS_LABELS, plan.status)


def label(mapping: dict[str, str], code: str) -> str:
    """The label for a code, or the code in words when a newer core adds one."""
    return mapping.get(code, code.replace("_", " "))


def field_of(path: str) -> str:
    """The form field an error path belongs to: "clinical.symptoms[1]" -> "clinical.symptoms"."""
    return path.split("[", 1)[0]


def field_name(path: str) -> str:
    """A field path in words: "clinical.magnesium_given[1].time" -> "Magnesium given, dose 2,
    time"; a path the window has no words for stays as it is."""
    field, _, rest = path.partition("[")
    name = FIELD_LABELS.get(field)
    if name is None:
        return path
    index, _, key = rest.partition("]")
    if field != "clinical.magnesium_given" or not index.isdigit():
        return name
    return ", ".join(p for p in (name, f"dose {int(index) + 1}", key.lstrip(".")) if p)
