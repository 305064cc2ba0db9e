"""The stable codes and step outcomes the engine knows; a protocol may not add others.

The codes of orders, warnings and monitoring are the fields of mgdesk.core.protocol's
Orders, Warnings and Monitoring.
"""

from __future__ import annotations

# The {placeholders} the engine fills in each text of the protocol; a text naming any
# other would print it literally, so the protocol is refused. Every warning may quote
# the protocol's limits.
WARNING_PLACEHOLDERS_EVERYWHERE = frozenset(
    {"renal_max_48h", "iv_max_rate", "iv_max_concentration"}
)
WARNING_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "possible_unit_confusion": frozenset(
        {"entered", "band", "unit", "other_band", "other_unit", "all_units"}
    ),
    "product_dose_rounding": frozenset({"product", "units", "delivers", "delivered", "ordered"}),
    "parenteral_magnesium_given": frozenset({"given", "given_mmol"}),
    "cumulative_limit_reached": frozenset({"given"}),
}
ORDER_PLACEHOLDERS: dict[tuple[str, str], frozenset[str]] = {
    ("mg_oxide_oral", "escalation"): frozenset({"escalated"}),
    ("mg_organic_oral", "escalation"): frozenset({"escalated"}),
    ("alfacalcidol_oral", "text"): frozenset({"dose", "guideline_max"}),
    ("alfacalcidol_oral", "note"): frozenset({"dose", "guideline_max"}),
    ("potassium_replacement", "text"): frozenset({"target", "target_torsades_range"}),
    ("potassium_replacement", "text_torsades"): frozenset({"target", "target_torsades_range"}),
}

WARNING_LEVELS = ("stop", "caution", "info")  # each warning's level: protocol.WARNING_CODES

ROLES = ("primary", "alternative", "conditional")
STATUSES = ("ok", "incomplete", "out_of_scope")
BANDS = ("severe", "mild", "normal", "high")
# "iv_io": IV or, where no vein can be found (the pulseless push), intraosseous.
ROUTES = ("oral", "iv", "iv_io", "im", "subcut")
# How the order text abbreviates each route.
ROUTE_ABBREVIATIONS = {
    "oral": "orally",
    "iv": "IV",
    "iv_io": "IV/IO",
    "im": "IM",
    "subcut": "subcut",
}

# Each decision step of the engine, with every outcome it can return, in walking order.
STEP_OUTCOMES: dict[str, tuple[str, ...]] = {
    "scope": ("in_scope", "pediatric", "pregnancy"),
    "magnesium": ("severe", "mild", "normal", "high", "missing"),
    "contraindications": (
        "none",
        "heart_block",
        "myasthenia_gravis",
        "heart_block_and_myasthenia_gravis",
    ),
    "torsades": ("none", "with_pulse", "pulseless", "contraindicated"),
    "volume": ("replete", "depleted"),
    "renal": ("full_dose", "reduced_dose", "below_20", "dialysis", "unknown"),
    "potassium": ("at_target", "low", "unknown"),
    "treatment": (
        "level_missing",
        "not_hypomagnesemic",
        "withheld_contraindication",
        "withheld_renal",
        "emergency_only",
        "severe_symptoms",
        "severe_band",
        "mild_parenteral",
        "oral_first_line",
        "oral_failed",
        "refractory",
    ),
    # Step 8f: the magnesium already given, counted after the treatment orders are written.
    "magnesium_given": ("none", "counted", "limit_reached", "im_limit_reached"),
    "gi_losses": ("none", "present"),
    "monitoring": ("done",),
}

SYMPTOMS_SEVERE = ("tetany", "seizure", "arrhythmia")
SYMPTOMS_MILD = ("cramps", "tremor", "paresthesia", "weakness", "chvostek_trousseau")
TORSADES = ("none", "with_pulse", "pulseless")
GI_LOSSES = ("none", "short_bowel", "high_output_stoma", "chronic_diarrhea", "malabsorption")
PRIOR_THERAPY = ("none", "oral_failed", "oral_and_alfacalcidol_failed")
SEXES = ("female", "male")
