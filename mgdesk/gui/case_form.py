"""The case form's controller: turns the form's widgets into a case document and back.

The controller builds the same case document the command line reads and hands it on;
the core validates it and every problem comes back to the widget of its field. The
form never decides whether a value is acceptable except for one thing the core cannot
see: which decimal separator the system locale uses. The widgets themselves are in
mgdesk.gui.case_form_view.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox

from mgdesk.core import codes
from mgdesk.core.case import (
    CASE_FORMAT,
    CLINICAL_FIELDS,
    LAB_FIELDS,
    PATIENT_FIELDS,
    TEXT_LIMITS,
    TOP_FIELDS,
)
from mgdesk.gui import labels
from mgdesk.gui.case_form_view import (
    CHOICE_FIELDS,
    CLEARANCE_HINT,
    CLEARANCE_UNIT,
    EGFR_UNIT,
    FLAG_DEFAULTS,
    FLAG_FIELDS,
    CaseFormView,
    FieldRow,
    colour_label,
    mark_invalid,
)
from mgdesk.gui.locale_numbers import LocaleNumbers
from mgdesk.gui.magnesium_given_table import unshowable as given_unshowable

if TYPE_CHECKING:
    from mgdesk.core.errors import FieldError
    from mgdesk.gui.assessment import Assessment, PregnancyAges

KEPT_PREGNANCY_NOTE = (
    "A man is not asked about pregnancy: this answer comes from the case file and stays "
    "in the case until the sex or the answer is changed."
)
PREGNANCY_REQUIRED = "An answer is required: choose one (there is no default)."
TEXT_FIELDS = ("patient.id", "patient.name", "patient.allergies")
QUANTITY_FIELDS = (
    "patient.weight",
    "patient.height",
    "labs.magnesium",
    "labs.potassium",
    "labs.creatinine",
    "labs.creatinine_clearance",
    "labs.egfr",
)
FIXED_UNITS = {"labs.creatinine_clearance": CLEARANCE_UNIT, "labs.egfr": EGFR_UNIT}
# How the plan names the renal estimate it used.
METHOD_NAMES = {
    "entered": "Creatinine clearance (entered)",
    "cockcroft_gault": "Creatinine clearance (Cockcroft-Gault)",
    "egfr": "Renal function from the eGFR",
}
# Fields whose null the core refuses but the form cannot show (a check box is on or off).
NULL_REFUSED = ("clinical.symptoms", *FLAG_FIELDS)
SECTIONS = {"patient": PATIENT_FIELDS, "labs": LAB_FIELDS, "clinical": CLINICAL_FIELDS}
# Messages from the core that continue the field's name ("is required: ...").
_CONTINUES_NAME = re.compile(r"^(is|must|has|cannot|contains|names)\b")
MAX_SHOWN_NUMBER = 200  # characters
# A number, then something that is not part of it (a unit, perhaps): "1.4 mg/dL", "1,4mg".
_NUMBER_THEN_WORDS = re.compile(r"([+-]?\s*[0-9][0-9.,]*)\s*([^\s0-9.,+-].*)", re.DOTALL)
_SIGNED_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")


class CaseFormController(QObject):
    """Turns the form into a case document and back, and shows what the core made of it."""

    edited = Signal()

    def __init__(self, view: CaseFormView, numbers: LocaleNumbers) -> None:
        super().__init__(view)
        self.view = view
        self.numbers = numbers
        self._loading = False
        self._marked: dict[str, bool] = {}
        self._pregnancy_rule = ""
        self._pregnancy_ages: tuple[Decimal, Decimal] | None = None
        # A pregnancy answer loaded for a man: kept in the case (and shown) until the sex changes.
        self._pregnancy_kept = False
        # A fixed unit as a loaded file spelled it (an accepted alias), to save it back so.
        self._fixed_spelling: dict[str, str] = {}
        for label in view.fixed_units.values():  # "mL/min/1,73 m2" in a comma locale
            label.setText(numbers.shown(label.text()))
        for edit in view.line_edits.values():
            edit.textChanged.connect(self._changed)
        for combo in (*view.unit_pickers.values(), *view.choices.values(), view.pregnant):
            combo.currentIndexChanged.connect(self._changed)
        view.sex.currentIndexChanged.connect(self._sex_changed)
        for box in (*view.flags.values(), *view.symptoms.values()):
            box.toggled.connect(self._changed)
        view.given.changed.connect(self._changed)

    # -- set up once the core is loaded --------------------------------------------------

    def set_protocol_facts(
        self,
        unit_choices: Mapping[str, Sequence[str]],
        ages: PregnancyAges,
        adequate_oral_trial: str,
    ) -> None:
        """Fill in what comes from the core: unit spellings, pregnancy ages, the oral-trial rule."""
        for field, units in unit_choices.items():
            picker = self.view.unit_pickers[field]
            chosen = picker.currentText()  # a unit already chosen stays chosen
            picker.blockSignals(True)
            picker.clear()
            picker.addItems(list(units))
            picker.setCurrentIndex(picker.findText(chosen) if chosen else -1)
            picker.blockSignals(False)
        self._pregnancy_rule = (
            f"An answer is required for a woman aged {self.numbers.shown(ages.from_age)} "
            f"to under {self.numbers.shown(ages.below_age)} years."
        )
        self._pregnancy_ages = (Decimal(ages.from_age), Decimal(ages.below_age))
        self._show_pregnancy_question()
        self.view.rows["clinical.prior_therapy"].show_note(self.numbers.shown(adequate_oral_trial))

    # -- form -> document ----------------------------------------------------------------

    def document(self) -> tuple[dict[str, Any], list[FieldError]]:
        """The case document the form holds, and the problems only the form can see."""
        from mgdesk.core.errors import FieldError

        problems: list[FieldError] = []

        def number_text(field: str, text: str) -> str:
            converted, problem = self.numbers.to_core(text.strip())
            if problem is not None:
                problems.append(FieldError(field, problem))
            return converted

        sections: dict[str, dict[str, Any]] = {"patient": {}, "labs": {}, "clinical": {}}
        edits = self.view.line_edits
        for field in TEXT_FIELDS:
            if edits[field].text().strip():
                _put(sections, field, edits[field].text())
        age = edits["patient.age_years"].text().strip()
        if age:
            _put(sections, "patient.age_years", _age_value(number_text("patient.age_years", age)))
        if self.view.sex.currentIndex() >= 0:
            _put(sections, "patient.sex", self.view.sex.currentData())
        if self.view.pregnant.isEnabled() and self.view.pregnant.currentIndex() >= 0:
            _put(sections, "patient.pregnant", self.view.pregnant.currentData())
        for field in QUANTITY_FIELDS:
            text = edits[field].text().strip()
            if not text:
                continue
            typed, unit, problem = self._typed_unit(field, text)
            if problem is not None:
                problems.append(FieldError(field, problem))
            number = number_text(field, typed)
            _put(sections, field, f"{number} {unit}" if unit else number)
        _put(
            sections,
            "clinical.symptoms",
            [s for s, box in self.view.symptoms.items() if box.isChecked()],
        )
        for field, combo in self.view.choices.items():
            _put(sections, field, combo.currentData())
        for field, box in self.view.flags.items():
            _put(sections, field, box.isChecked())
        assessed_at, given, given_problems = self.view.given.document_part(self.numbers)
        problems += given_problems
        if given is not None:
            _put(sections, "clinical.magnesium_given", given)
        timed = {"assessed_at": assessed_at} if assessed_at is not None else {}
        return {"format": CASE_FORMAT, **timed, **sections}, problems

    def _typed_unit(self, field: str, text: str) -> tuple[str, str | None, str | None]:
        """The number typed, its unit, and a problem: a unit typed in the value box is taken
        when it is one the picker offers and the picker agrees (or is empty)."""
        picked = self._unit_of(field)
        match = _NUMBER_THEN_WORDS.fullmatch(text)
        if match is None:
            return text, picked, None  # no unit typed: the core judges the text
        number, words = match.groups()
        offered = self._units_offered(field)
        typed_unit = _split_unit(f"0 {words}", offered)[1]
        units_list = ", ".join(offered)
        if typed_unit is None:
            return (
                text,
                None,
                (
                    f"{words!r} is not a unit mgdesk takes here: type the number only and pick "
                    f"the unit from the list ({units_list})"
                ),
            )
        if picked is not None and picked != typed_unit:
            return (
                text,
                None,
                (
                    f"The value box says {typed_unit} but the unit picked is {picked}: type the "
                    "number only and pick its unit from the list"
                ),
            )
        return number, typed_unit, None

    def _units_offered(self, field: str) -> list[str]:
        if field in FIXED_UNITS:
            return [FIXED_UNITS[field]]
        picker = self.view.unit_pickers[field]
        return [picker.itemText(i) for i in range(picker.count())]

    def _unit_of(self, field: str) -> str | None:
        if field in FIXED_UNITS:
            return self._fixed_spelling.get(field, FIXED_UNITS[field])
        picker = self.view.unit_pickers[field]
        return picker.currentText() if picker.currentIndex() >= 0 else None

    # -- document -> form ----------------------------------------------------------------

    def load(self, document: object) -> list[str]:
        """Show a case document in the form; returns why it cannot (the form is then unchanged)."""
        problems = _unshowable(document)
        if problems:
            return problems
        assert isinstance(document, dict)
        patient = document.get("patient") or {}
        clinical = document.get("clinical") or {}
        self._loading = True
        try:
            self.clear()
            edits = self.view.line_edits
            for field in TEXT_FIELDS:
                edits[field].setText(_value(document, field) or "")
            age = patient.get("age_years")
            edits["patient.age_years"].setText(
                ""
                if age is None
                else self.numbers.shown(age if isinstance(age, str) else _plain_number(age))
            )
            _select_data(self.view.sex, patient.get("sex"))
            _select_data(self.view.pregnant, patient.get("pregnant"))
            # Nothing in the file is dropped: an answer the form would not ask stays asked.
            self._pregnancy_kept = self.view.pregnant.currentIndex() >= 0
            self._show_pregnancy_question()
            for field in QUANTITY_FIELDS:
                self._show_quantity(field, _value(document, field))
            for symptom in clinical.get("symptoms", []):
                self.view.symptoms[symptom].setChecked(True)
            for field, combo in self.view.choices.items():
                _select_data(combo, _value(document, field) or "none")
            for field, box in self.view.flags.items():
                value = _value(document, field)
                box.setChecked(FLAG_DEFAULTS.get(field, False) if value is None else bool(value))
            self.view.given.load(
                document.get("assessed_at"), clinical.get("magnesium_given"), self.numbers
            )
        finally:
            self._loading = False
        self.edited.emit()
        return []

    def _show_quantity(self, field: str, value: object) -> None:
        edit = self.view.line_edits[field]
        if value is None:
            edit.setText("")
            return
        text = value if isinstance(value, str) else _plain_number(value)
        number, unit = _split_unit(text, self._units_offered(field))
        if unit is not None and field in FIXED_UNITS:
            # Saved back as it was spelled ("mL/min/1.73m2"): the same unit, unchanged file.
            self._fixed_spelling[field] = text.strip()[len(number) :].strip()
        if unit is not None and field in self.view.unit_pickers:
            self.view.unit_pickers[field].setCurrentText(unit)
        edit.setText(self.numbers.shown(number if unit is not None else text))

    def clear(self) -> None:
        """An empty case: no values, no units, defaults only where the case format has them."""
        was_loading, self._loading = self._loading, True
        try:
            for edit in self.view.line_edits.values():
                edit.clear()
            for combo in (*self.view.unit_pickers.values(), self.view.sex, self.view.pregnant):
                combo.setCurrentIndex(-1)
            for combo in self.view.choices.values():
                combo.setCurrentIndex(0)
            for field, box in self.view.flags.items():
                box.setChecked(FLAG_DEFAULTS.get(field, False))
            for box in self.view.symptoms.values():
                box.setChecked(False)
            self.view.given.clear()
            self._fixed_spelling.clear()
            self._sex_changed()
        finally:
            self._loading = was_loading
        if not self._loading:
            self.edited.emit()

    # -- what the core made of it --------------------------------------------------------

    def show_assessment(self, assessment: Assessment | None) -> None:
        """Mark every field the core found a problem with; echo the values as understood."""
        errors: dict[str, list[str]] = {}
        general: list[str] = []
        core_errors = assessment.errors if assessment else ()
        for error in self.view.given.show_errors(core_errors, mark_invalid):
            field = labels.field_of(error.field)
            if field in self.view.rows:
                message = self.numbers.shown(_sentence(field, error.message))
                if message not in errors.setdefault(field, []):  # one message per problem
                    errors[field].append(message)
            else:
                general.append(f"{error.field}: {self.numbers.shown(error.message)}")
        for field, row in self.view.rows.items():
            messages = errors.get(field, [])
            self._show_error(
                field, row, " ".join(messages), hard=bool(messages) and self._has_content(field)
            )
        self.show_general(general)
        self._show_pregnancy_question()
        plan = assessment.plan if assessment else None
        understood = clearance = ""
        if plan is not None and plan.magnesium is not None:
            shown = " = ".join(f"{self.numbers.shown(n)} {u}" for u, n in plan.magnesium.shown)
            understood = f"Understood as {shown}"
        if plan is not None and plan.creatinine_clearance is not None:
            c = plan.creatinine_clearance
            clearance = self.numbers.shown(
                f"{METHOD_NAMES.get(c.method, c.method)}: {c.arithmetic}"
            )
        self.view.given.show_summary(plan.magnesium_given if plan is not None else None)
        self.view.rows["labs.magnesium"].show_note(understood)
        self.view.rows["labs.creatinine_clearance"].show_note(clearance or CLEARANCE_HINT)

    def show_general(self, messages: Sequence[str]) -> None:
        """Problems that belong to no field of the form, above it."""
        label, text = self.view.general_error, "\n".join(messages)
        if text != label.text():
            label.setText(text)
            label.setVisible(bool(text))
            colour_label(label, hard=True)

    def _show_error(self, field: str, row: FieldRow, message: str, hard: bool) -> None:
        if row.error.text() != message:
            for editor in self.view.field_editors(field):
                editor.setAccessibleDescription(message)
        row.show_error(message, hard)
        if self._marked.get(field, False) != hard:
            self._marked[field] = hard
            for editor in self.view.field_editors(field):
                mark_invalid(editor, hard)

    def restyle(self) -> None:
        """Colours again, for a new palette (light to dark or back)."""
        colour_label(self.view.general_error, hard=True)
        for field, row in self.view.rows.items():
            row.restyle()
            if self._marked.get(field, False):
                for editor in self.view.field_editors(field):
                    mark_invalid(editor, True)

    def is_marked_invalid(self, field: str) -> bool:
        return self._marked.get(field, False)

    def _has_content(self, field: str) -> bool:
        """Whether the user gave this field a value (empty and required is missing, not wrong)."""
        if field in self.view.line_edits:
            return bool(self.view.line_edits[field].text().strip())
        if field in ("patient.sex", "patient.pregnant"):
            combo = self.view.sex if field == "patient.sex" else self.view.pregnant
            return combo.currentIndex() >= 0
        return True

    # -- reacting to edits ---------------------------------------------------------------

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def _sex_changed(self) -> None:
        self._pregnancy_kept = False
        self._show_pregnancy_question()
        self._changed()

    def _show_pregnancy_question(self) -> None:
        # A man is not asked about pregnancy (an answer chosen before returns if the sex is
        # changed back), except that an answer loaded from a file stays in the case, where the
        # core judges it, until the user changes the sex: the picker is enabled exactly when
        # its answer is part of the document.
        male = self.view.sex.currentData() == "male"
        asked = not male or self._pregnancy_kept
        self.view.pregnant.setEnabled(asked)
        # Said in words: a disabled picker must not read like an unanswered one.
        self.view.pregnant.setPlaceholderText("Not answered" if asked else "Not asked for a man")
        if male and asked:
            note = KEPT_PREGNANCY_NOTE
        elif asked and self._age_may_be_asked():
            note = self._pregnancy_rule
        else:
            note = ""
        self.view.rows["patient.pregnant"].show_note(note)

    def _age_may_be_asked(self) -> bool:
        """Whether the age typed (or not yet typed) is one the pregnancy question is for."""
        if self._pregnancy_ages is None:
            return True
        text, problem = self.numbers.to_core(self.view.line_edits["patient.age_years"].text())
        if problem is not None or not _SIGNED_DECIMAL.fullmatch(text.strip()):
            return True
        low, high = self._pregnancy_ages
        return low <= Decimal(text.strip()) < high


def _sentence(field: str, message: str) -> str:
    if field == "patient.pregnant" and message.startswith("is required"):
        # The note under the picker states the rule (the ages); this says what to do.
        return PREGNANCY_REQUIRED
    name = labels.FIELD_LABELS.get(field, field)
    return f"{name} {message}" if _CONTINUES_NAME.match(message) else message


def _put(sections: dict[str, dict[str, Any]], field: str, value: Any) -> None:
    section, key = field.split(".", 1)
    sections[section][key] = value


def _value(document: Mapping[str, Any], field: str) -> Any:
    section, key = field.split(".", 1)
    return (document.get(section) or {}).get(key)


def _age_value(text: str) -> object:
    """The number typed, exactly (as a case file's numbers are read), else the text itself
    (the core explains what is wrong)."""
    if not _SIGNED_DECIMAL.fullmatch(text):
        return text
    return int(text) if "." not in text else Decimal(text)


def _plain_number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return f"{value:f}"  # as written in the file, never in exponent form ("1E+2")
    return str(value)


def _split_unit(text: str, units: Sequence[str]) -> tuple[str, str | None]:
    """("1.4", "mg/dL") from "1.4 mg/dL" when the unit is one the picker offers."""
    from mgdesk.gui.assessment import UNIT_ALIASES

    stripped = text.strip()
    lowered = stripped.lower()
    spellings = {u.lower(): u for u in units}
    spellings.update({alias: unit for alias, unit in UNIT_ALIASES.items() if unit in units})
    for spelling in sorted(spellings, key=len, reverse=True):
        if lowered.endswith(spelling):
            number = stripped[: len(stripped) - len(spelling)].strip()
            if number:
                return number, spellings[spelling]
    return stripped, None


def _select_data(combo: QComboBox, data: object) -> None:
    combo.setCurrentIndex(-1 if data is None else combo.findData(data))


def _unshowable(document: object) -> list[str]:
    """Why a document cannot be shown in the form without losing part of it (empty if it can)."""
    if not isinstance(document, dict):
        return [
            "the file does not hold a case (a JSON object with patient, labs and clinical sections)"
        ]
    problems: list[str] = []
    fmt = document.get("format", CASE_FORMAT)
    if fmt != CASE_FORMAT:
        problems.append(f"format {fmt!r} is not {CASE_FORMAT!r}")
    for key in document:
        if key not in TOP_FIELDS:
            problems.append(f"{key} is not a section of the case format")
    for section, fields in SECTIONS.items():
        content = document.get(section)
        if content is None:
            continue
        if not isinstance(content, dict):
            problems.append(f"{section} must be an object")
            continue
        for key, value in content.items():
            field = f"{section}.{key}"
            if key not in fields:
                problems.append(f"{field} is not a field of the case format")
            elif value is None and field in NULL_REFUSED:
                problems.append(f"{field}: null cannot be shown in the form")
            elif field in TEXT_FIELDS and isinstance(value, str) and len(value) > _limit(field):
                problems.append(
                    f"{field} is longer than {_limit(field)} characters, more than the form takes"
                )
            elif field == "clinical.magnesium_given":
                continue  # judged with assessed_at below
            elif value is not None and not _showable(field, value):
                problems.append(f"{field}: {str(value)[:40]!r} cannot be shown in the form")
    clinical = document.get("clinical")
    problems += given_unshowable(document, clinical if isinstance(clinical, dict) else {})
    return problems


def _limit(text_field: str) -> int:
    """The longest text the field's line edit takes (longer text would be cut short)."""
    return TEXT_LIMITS[text_field.partition(".")[2]]


def _showable(field: str, value: object) -> bool:
    if field in TEXT_FIELDS:
        return isinstance(value, str)
    if field in (*QUANTITY_FIELDS, "patient.age_years"):
        # An empty line edit means no value, which blank text is not (the core refuses it).
        if isinstance(value, str):
            return bool(value.strip())
        if isinstance(value, Decimal):
            # A number the form writes out in full: "1e999999999" in full would not fit.
            return value.is_finite() and len(f"{value:f}") <= MAX_SHOWN_NUMBER
        return isinstance(value, int | float) and not isinstance(value, bool)
    if field == "patient.sex":
        return value in codes.SEXES
    if field == "patient.pregnant" or field in FLAG_FIELDS:
        return isinstance(value, bool)
    if field == "clinical.symptoms":
        known = codes.SYMPTOMS_SEVERE + codes.SYMPTOMS_MILD
        return (
            isinstance(value, list)
            and all(isinstance(s, str) and s in known for s in value)
            and len(set(value)) == len(value)
        )
    if field in CHOICE_FIELDS:
        return isinstance(value, str) and value in CHOICE_FIELDS[field][0]
    return False
