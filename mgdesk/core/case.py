"""The case: what a clinician enters, read from the mgdesk case format and validated.

Every problem names its field (a dotted path) and says what to do. Unknown fields are
errors, so a misspelled field is never silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from mgdesk.core import codes
from mgdesk.core.chemistry import (
    CLEARANCE_UNITS,
    CREATININE_UNITS,
    EGFR_UNITS,
    HEIGHT_UNITS,
    MAGNESIUM_UNITS,
    POTASSIUM_UNITS,
    WEIGHT_UNITS,
    creatinine_mg_dl,
    magnesium_in_all_units,
    potassium_mmol_l,
)
from mgdesk.core.errors import CaseInvalid, FieldError
from mgdesk.core.frozen import Frozen
from mgdesk.core.given import MagnesiumGiven, read_given
from mgdesk.core.protocol import Protocol, QuantityRange
from mgdesk.core.text import printable_text_problem
from mgdesk.core.units import Quantity, magnitude_in, other_digits_problem, parse_quantity

CASE_FORMAT = "mgdesk-case/1"
TEXT_LIMITS = {"id": 64, "name": 200, "allergies": 500}
# An age has no use for more; the exact value of 1e-999999999 would fill the memory.
MAX_DECIMAL_PLACES = 100

PATIENT_FIELDS = ("id", "name", "age_years", "sex", "weight", "pregnant", "allergies", "height")
LAB_FIELDS = ("magnesium", "potassium", "creatinine", "creatinine_clearance", "egfr")
CLINICAL_FIELDS = (
    "symptoms",
    "torsades",
    "heart_block",
    "volume_depleted",
    "dialysis",
    "gi_losses",
    "oral_route_available",
    "oral_mg_intolerance",
    "myasthenia_gravis",
    "digoxin",
    "prior_therapy",
    "magnesium_given",
)
TOP_FIELDS = ("format", "patient", "labs", "clinical", "assessed_at")


class Patient(Frozen):
    """The patient's details, validated."""

    id: str | None
    name: str | None
    age_years: Fraction
    sex: str
    weight: Quantity | None
    pregnant: bool | None
    allergies: str | None
    height: Quantity | None = None


class Labs(Frozen):
    """The laboratory values, each with the unit it was entered in."""

    magnesium: Quantity | None
    potassium: Quantity | None
    creatinine: Quantity | None
    creatinine_clearance: Quantity | None
    egfr: Quantity | None = None


class Clinical(Frozen):
    """The clinical findings, with the defaults of a case that leaves them out."""

    symptoms: tuple[str, ...] = ()
    torsades: str = "none"
    heart_block: bool = False
    volume_depleted: bool = False
    dialysis: bool = False
    gi_losses: str = "none"
    oral_route_available: bool = True
    oral_mg_intolerance: bool = False
    myasthenia_gravis: bool = False
    digoxin: bool = False
    prior_therapy: str = "none"

    @property
    def severe_symptoms(self) -> tuple[str, ...]:
        return tuple(s for s in self.symptoms if s in codes.SYMPTOMS_SEVERE)

    @property
    def mild_symptoms(self) -> tuple[str, ...]:
        return tuple(s for s in self.symptoms if s in codes.SYMPTOMS_MILD)


class Case(Frozen):
    """A validated case, with the document it was read from."""

    patient: Patient
    labs: Labs
    clinical: Clinical
    document: Mapping[str, Any]
    assessed_at: datetime | None = None  # the time of this assessment, with its offset
    # clinical.magnesium_given, read (revision 1.1)
    magnesium_given: tuple[MagnesiumGiven, ...] = ()

    @property
    def torsades_present(self) -> bool:
        return self.clinical.torsades != "none"


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """For json.loads: a field given twice is refused, never silently the last one."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            shown = key if len(key) <= 40 else key[:40] + "…"
            raise ValueError(f"the field {shown!a} appears twice")
        result[key] = value
    return result


def is_newer_case_format(fmt: object) -> bool:
    """Whether fmt names a later version of the case format than this mgdesk reads
    ("mgdesk-case/2"), rather than an older, a malformed or another format."""
    if not isinstance(fmt, str):
        return False
    kind, _, version = fmt.partition("/")
    current = int(CASE_FORMAT.partition("/")[2])
    return kind == "mgdesk-case" and version.isdigit() and int(version) > current


def parse_case(document: object, protocol: Protocol) -> Case:
    """Validate a decoded case document; raises CaseInvalid listing every field error."""
    errors: list[FieldError] = []
    if not isinstance(document, dict):
        raise CaseInvalid(
            [FieldError("case", "must be a JSON object with patient, labs and clinical sections")]
        )
    fmt = document.get("format", CASE_FORMAT)
    if fmt != CASE_FORMAT:
        if is_newer_case_format(fmt):
            message = (
                f"{fmt!r} is a newer case format than this mgdesk reads ({CASE_FORMAT}): "
                "update mgdesk"
            )
        else:
            message = f"must be {CASE_FORMAT!r}"
        raise CaseInvalid([FieldError("format", message)])
    _unknown(document, TOP_FIELDS, "", errors)
    patient_doc = _section(document, "patient", errors, required=True)
    labs_doc = _section(document, "labs", errors, required=True)
    clinical_doc = _section(document, "clinical", errors, required=False)
    _unknown(patient_doc, PATIENT_FIELDS, "patient.", errors)
    _unknown(labs_doc, LAB_FIELDS, "labs.", errors)
    _unknown(clinical_doc, CLINICAL_FIELDS, "clinical.", errors)

    clinical = _clinical(clinical_doc, errors)
    patient = _patient(patient_doc, protocol, errors)
    labs = _labs(labs_doc, protocol, clinical, errors)
    height, egfr = _height_and_egfr(patient_doc, labs_doc, protocol, errors)
    given, assessed_at, given_errors = read_given(document, clinical_doc, protocol)
    errors.extend(given_errors)
    for section in ("patient", "labs"):
        if not isinstance(document.get(section), dict):
            errors = [e for e in errors if not e.field.startswith(f"{section}.")]
    if errors or patient is None:
        raise CaseInvalid(errors)
    return Case(
        replace(patient, height=height),
        replace(labs, egfr=egfr),
        clinical,
        document,
        assessed_at,
        given,
    )


def _section(
    doc: Mapping[str, Any], key: str, errors: list[FieldError], required: bool
) -> Mapping[str, Any]:
    value = doc.get(key)
    if value is None and not required and key not in doc:
        return {}
    if not isinstance(value, dict):
        errors.append(FieldError(key, "is missing" if value is None else "must be an object"))
        return {}
    return value


def _unknown(
    doc: Mapping[str, Any], known: tuple[str, ...], prefix: str, errors: list[FieldError]
) -> None:
    for key in doc:
        if key not in known:
            shown = _shown_key(key)
            errors.append(
                FieldError(
                    f"{prefix}{shown}",
                    f"is not a field of the case format (known: {', '.join(known)})",
                )
            )


def _shown_key(key: str) -> str:
    """A field name as typed, shortened, with unprintable characters escaped."""
    shown = key if len(key) <= 40 else key[:40] + "…"
    return shown if shown.isprintable() else ascii(shown)[1:-1]


def _text(doc: Mapping[str, Any], key: str, prefix: str, errors: list[FieldError]) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    field = f"{prefix}{key}"
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be text"))
        return None
    problem = printable_text_problem(value, TEXT_LIMITS[key])
    if problem is not None:
        errors.append(FieldError(field, problem))
        return None
    return value.strip() or None


def _flag(doc: Mapping[str, Any], key: str, default: bool, errors: list[FieldError]) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        errors.append(FieldError(f"clinical.{key}", "must be true or false"))
        return default
    return value


def _choice(
    doc: Mapping[str, Any],
    key: str,
    options: tuple[str, ...],
    prefix: str,
    errors: list[FieldError],
    default: str | None,
) -> str | None:
    value = doc.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or value not in options:
        shown = _shown_value(value)
        errors.append(FieldError(f"{prefix}{key}", f"{shown} is not one of: {', '.join(options)}"))
        return None
    return value


def _clinical(doc: Mapping[str, Any], errors: list[FieldError]) -> Clinical:
    symptoms: list[str] = []
    raw = doc.get("symptoms", [])
    known = codes.SYMPTOMS_SEVERE + codes.SYMPTOMS_MILD
    if not isinstance(raw, list):
        errors.append(FieldError("clinical.symptoms", "must be a list of symptom words"))
    else:
        for i, word in enumerate(raw):
            if not isinstance(word, str) or word not in known:
                errors.append(
                    FieldError(
                        f"clinical.symptoms[{i}]",
                        f"{_shown_value(word)} is not one of: {', '.join(known)}",
                    )
                )
            elif word in symptoms:
                errors.append(FieldError(f"clinical.symptoms[{i}]", f"{word!r} is listed twice"))
            else:
                symptoms.append(word)
    flags = {
        key: _flag(doc, key, default, errors)
        for key, default in (
            ("heart_block", False),
            ("volume_depleted", False),
            ("dialysis", False),
            ("oral_route_available", True),
            ("oral_mg_intolerance", False),
            ("myasthenia_gravis", False),
            ("digoxin", False),
        )
    }
    return Clinical(
        symptoms=tuple(symptoms),
        torsades=_choice(doc, "torsades", codes.TORSADES, "clinical.", errors, "none") or "none",
        gi_losses=_choice(doc, "gi_losses", codes.GI_LOSSES, "clinical.", errors, "none") or "none",
        prior_therapy=_choice(
            doc, "prior_therapy", codes.PRIOR_THERAPY, "clinical.", errors, "none"
        )
        or "none",
        **flags,
    )


def _number(value: object) -> Fraction | None:
    """The exact value of a JSON number: read as a decimal (case files are decoded with
    parse_float=Decimal), or from the shortest text of a float given through the API."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float):
        return Fraction(str(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite() or _decimal_places(value) > MAX_DECIMAL_PLACES:
            return None
        if value.adjusted() > MAX_DECIMAL_PLACES:
            # Beyond every plausible range; its exact value (1e999999999) would fill the memory.
            return Fraction(-(10**MAX_DECIMAL_PLACES) if value < 0 else 10**MAX_DECIMAL_PLACES)
    return Fraction(value)


def _decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def _not_a_number_of_years(value: object) -> str:
    if isinstance(value, str):
        return other_digits_problem(value) or "must be a number of years"
    if isinstance(value, Decimal) and value.is_finite():
        return f"has more than {MAX_DECIMAL_PLACES} decimal places: round it"
    return "must be a number of years"


def _shown_value(value: object) -> str:
    """A value as it was written in the case (a JSON number as its decimal), shortened."""
    return (str(value) if isinstance(value, Decimal) else repr(value))[:40]


def _patient(
    doc: Mapping[str, Any], protocol: Protocol, errors: list[FieldError]
) -> Patient | None:
    ident = _text(doc, "id", "patient.", errors)
    name = _text(doc, "name", "patient.", errors)
    allergies = _text(doc, "allergies", "patient.", errors)
    age: Fraction | None = None
    if "age_years" not in doc or doc["age_years"] is None:
        errors.append(FieldError("patient.age_years", "is required: enter the age in years"))
    else:
        age = _number(doc["age_years"])
        low, high = protocol.plausibility.age_years.low, protocol.plausibility.age_years.high
        if age is None and isinstance(doc["age_years"], float):
            errors.append(
                FieldError(
                    "patient.age_years", "must be a finite number of years, not NaN or Infinity"
                )
            )
        elif age is None:
            errors.append(FieldError("patient.age_years", _not_a_number_of_years(doc["age_years"])))
        elif not low <= age <= high:
            errors.append(
                FieldError("patient.age_years", f"must be between {low} and {high} years")
            )
            age = None
    sex = _choice(doc, "sex", codes.SEXES, "patient.", errors, None)
    if "sex" not in doc or doc["sex"] is None:
        errors.append(FieldError("patient.sex", "is required: female or male"))
    weight = _measured(
        doc,
        "weight",
        "patient.",
        WEIGHT_UNITS,
        protocol,
        errors,
        lambda q: magnitude_in(q, "kg"),
        "kg",
        protocol.plausibility.weight,
    )
    pregnant = doc.get("pregnant")
    if pregnant is not None and not isinstance(pregnant, bool):
        errors.append(FieldError("patient.pregnant", "must be true or false"))
        pregnant = None
    elif pregnant is True and sex == "male":
        errors.append(
            FieldError(
                "patient.pregnant",
                "is true for a male patient: check the sex and pregnancy answers",
            )
        )
    elif pregnant is None and sex == "female" and age is not None:
        low_age = protocol.thresholds.adult_from_age_years
        high_age = protocol.thresholds.pregnancy_question_below_age_years
        if low_age <= age < high_age:
            errors.append(
                FieldError(
                    "patient.pregnant",
                    f"is required for a woman aged {low_age} to under {high_age}: "
                    "answer true or false (there is no default)",
                )
            )
    if age is None or sex is None:
        return None
    return Patient(ident, name, age, sex, weight, pregnant, allergies)


def _measured(
    doc: Mapping[str, Any],
    key: str,
    prefix: str,
    accepted: tuple[str, ...],
    protocol: Protocol,
    errors: list[FieldError],
    canonical: Callable[[Quantity], Fraction],
    canonical_unit: str,
    plausible: QuantityRange,
) -> Quantity | None:
    value = doc.get(key)
    if value is None:
        return None
    field = f"{prefix}{key}"
    try:
        q = parse_quantity(value, field, accepted)
    except FieldError as error:
        errors.append(error)
        return None
    low, high = plausible.low, plausible.high
    amount = canonical(q)
    if (
        not canonical_in(low, canonical_unit, protocol, key)
        <= amount
        <= canonical_in(high, canonical_unit, protocol, key)
    ):
        errors.append(
            FieldError(
                field,
                f"{value.strip()} is outside the plausible range {_range(low, high)}: "
                "check the number and the unit",
            )
        )
        return None
    return q


def canonical_in(limit: Quantity, canonical_unit: str, protocol: Protocol, key: str) -> Fraction:
    if key == "magnesium":
        return magnesium_in_all_units(limit, protocol)[canonical_unit]
    if key == "creatinine":
        return creatinine_mg_dl(limit, protocol)
    if key == "potassium":
        return potassium_mmol_l(limit)
    return magnitude_in(limit, canonical_unit)


def _range(low: Quantity, high: Quantity) -> str:
    from mgdesk.core.formatting import plain_quantity

    return f"{plain_quantity(low)} to {plain_quantity(high)}"


def _labs(
    doc: Mapping[str, Any], protocol: Protocol, clinical: Clinical, errors: list[FieldError]
) -> Labs:
    magnesium = _measured(
        doc,
        "magnesium",
        "labs.",
        MAGNESIUM_UNITS,
        protocol,
        errors,
        lambda q: magnesium_in_all_units(q, protocol)["mg/dL"],
        "mg/dL",
        protocol.plausibility.magnesium,
    )
    if magnesium is not None and magnesium.magnitude == 0:
        errors.append(FieldError("labs.magnesium", "must be above zero"))
    if doc.get("magnesium") is None and clinical.torsades == "none":
        errors.append(
            FieldError(
                "labs.magnesium",
                "is required (it may be left out only when torsades de pointes is present): "
                "enter the level with its unit",
            )
        )
    potassium = _measured(
        doc,
        "potassium",
        "labs.",
        POTASSIUM_UNITS,
        protocol,
        errors,
        potassium_mmol_l,
        "mmol/L",
        protocol.plausibility.potassium,
    )
    creatinine = _measured(
        doc,
        "creatinine",
        "labs.",
        CREATININE_UNITS,
        protocol,
        errors,
        lambda q: creatinine_mg_dl(q, protocol),
        "mg/dL",
        protocol.plausibility.creatinine,
    )
    clearance = _measured(
        doc,
        "creatinine_clearance",
        "labs.",
        CLEARANCE_UNITS,
        protocol,
        errors,
        lambda q: magnitude_in(q, "mL/min"),
        "mL/min",
        protocol.plausibility.creatinine_clearance,
    )
    return Labs(magnesium, potassium, creatinine, clearance)


# -- revision 1.1: height and eGFR --------------------------------------------------------


def _height_and_egfr(
    patient_doc: Mapping[str, Any],
    labs_doc: Mapping[str, Any],
    protocol: Protocol,
    errors: list[FieldError],
) -> tuple[Quantity | None, Quantity | None]:
    plausible = protocol.plausibility
    height = _measured(
        patient_doc,
        "height",
        "patient.",
        HEIGHT_UNITS,
        protocol,
        errors,
        lambda q: magnitude_in(q, "cm"),
        "cm",
        plausible.height,
    )
    egfr: Quantity | None = None
    if _entered_as(labs_doc.get("egfr"), "labs.egfr", CLEARANCE_UNITS):
        errors.append(
            FieldError(
                "labs.egfr",
                f"{str(labs_doc['egfr']).strip()} is a creatinine clearance, not an eGFR: "
                f"enter it as labs.creatinine_clearance (an eGFR is in {EGFR_UNITS[0]})",
            )
        )
    else:
        egfr = _measured(
            labs_doc,
            "egfr",
            "labs.",
            EGFR_UNITS,
            protocol,
            errors,
            lambda q: magnitude_in(q, EGFR_UNITS[0]),
            EGFR_UNITS[0],
            plausible.egfr,
        )
    clearance = labs_doc.get("creatinine_clearance")
    if _entered_as(clearance, "labs.creatinine_clearance", EGFR_UNITS):
        errors[:] = [e for e in errors if e.field != "labs.creatinine_clearance"]
        errors.append(
            FieldError(
                "labs.creatinine_clearance",
                f"{str(clearance).strip()} is an eGFR, not a measured clearance: "
                f"enter it as labs.egfr (a creatinine clearance is in {CLEARANCE_UNITS[0]})",
            )
        )
    return height, egfr


def _entered_as(value: object, field: str, units: tuple[str, ...]) -> bool:
    """Whether value reads as a quantity in one of units (an eGFR and a clearance are never
    converted into each other: one typed in the other's field is refused, naming the right
    field)."""
    if value is None:
        return False
    try:
        parse_quantity(value, field, units)
    except FieldError:
        return False
    return True
