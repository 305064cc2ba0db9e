"""The stable codes and step outcomes the engine knows; a protocol may not add others."""

from __future__ import annotations

ORDER_CODES = (
    "mg_sulfate_iv_torsades",
    "mg_sulfate_iv_loading",
    "sodium_chloride_iv_rehydration",
    "mg_sulfate_iv_severe",
    "mg_sulfate_im_severe",
    "mg_sulfate_im_mild",
    "mg_oxide_oral",
    "mg_organic_oral",
    "alfacalcidol_oral",
    "mg_sulfate_bag_refractory",
    "potassium_replacement",
)

MAGNESIUM_ORDER_CODES = frozenset(code for code in ORDER_CODES if code.startswith("mg_"))

# The fields a protocol may give each order besides its title and sources: the engine
# prints every one of them, so a field it would not print (a note that would vanish) is
# refused. Magnesium orders need their product; the others need their text.
_ORAL = frozenset({"product", "timing", "escalation", "note"})
ORDER_FIELDS: dict[str, frozenset[str]] = {
    "mg_sulfate_iv_torsades": frozenset({"product", "note"}),
    "mg_sulfate_iv_loading": frozenset({"product", "note"}),
    "sodium_chloride_iv_rehydration": frozenset({"text"}),
    "mg_sulfate_iv_severe": frozenset({"product", "note"}),
    "mg_sulfate_im_severe": frozenset({"product", "note"}),
    "mg_sulfate_im_mild": frozenset({"product", "note"}),
    "mg_oxide_oral": _ORAL,
    "mg_organic_oral": _ORAL,
    "alfacalcidol_oral": frozenset({"text"}),
    "mg_sulfate_bag_refractory": frozenset({"product", "frequency", "note"}),
    "potassium_replacement": frozenset({"text", "target_torsades_range"}),
}

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
}
ORDER_PLACEHOLDERS: dict[tuple[str, str], frozenset[str]] = {
    ("mg_oxide_oral", "escalation"): frozenset({"escalated"}),
    ("mg_organic_oral", "escalation"): frozenset({"escalated"}),
    ("alfacalcidol_oral", "text"): frozenset({"dose", "guideline_max"}),
    ("potassium_replacement", "text"): frozenset({"target", "target_torsades_range"}),
}

WARNING_LEVELS = ("stop", "caution", "info")

WARNING_CODES = {
    "out_of_scope_pediatric": "stop",
    "out_of_scope_pregnancy": "stop",
    "heart_block_contraindication": "stop",
    "myasthenia_gravis_contraindication": "stop",
    "digoxin_interaction": "caution",
    "torsades_do_not_delay": "stop",
    "rate_exception_life_threatening": "caution",
    "volume_depletion_correct_first": "stop",
    "renal_function_unknown": "stop",
    "renal_crcl_below_20": "stop",
    "max_20g_per_48h": "stop",
    "renal_crcl_below_30": "caution",
    "cockcroft_gault_not_valid": "info",
    "hypokalemia_correct_concurrently": "caution",
    "potassium_unknown": "info",
    "gi_losses_may_worsen": "caution",
    "possible_unit_confusion": "caution",
    "not_hypomagnesemic": "info",
    "above_normal_range": "caution",
    "calcium_antidote_available": "caution",
    "iv_rate_and_dilution": "info",
    "monitor_calcium_alfacalcidol": "caution",
    "subcut_off_label": "caution",
    "refer_specialist": "info",
    "review_causative_drugs": "info",
    "product_dose_rounding": "info",
}

MONITORING_CODES = (
    "recheck_mg_oral",
    "recheck_mg_parenteral",
    "toxicity_signs",
    "recheck_potassium",
    "monitor_calcium",
    "ecg_monitoring",
    "fluid_balance",
)

ROLES = ("primary", "alternative", "conditional")
STATUSES = ("ok", "incomplete", "out_of_scope")
BANDS = ("severe", "mild", "normal", "high")
ROUTES = ("oral", "iv", "im", "subcut")

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
    "gi_losses": ("none", "present"),
    "monitoring": ("done",),
}

SYMPTOMS_SEVERE = ("tetany", "seizure", "arrhythmia")
SYMPTOMS_MILD = ("cramps", "tremor", "paresthesia", "weakness", "chvostek_trousseau")
TORSADES = ("none", "with_pulse", "pulseless")
GI_LOSSES = ("none", "short_bowel", "high_output_stoma", "chronic_diarrhea", "malabsorption")
PRIOR_THERAPY = ("none", "oral_failed", "oral_and_alfacalcidol_failed")
SEXES = ("female", "male")
