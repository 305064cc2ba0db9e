"""The case form's widgets and their layout: one row per field of the case, no behaviour.

The controller (mgdesk.gui.case_form) reads and fills these widgets; the functions at the
end colour a row's error and an invalid editor, for the controller and for a new palette.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mgdesk.core import codes
from mgdesk.core.case import TEXT_LIMITS
from mgdesk.document.line_breaks import quantities_unbroken
from mgdesk.gui import labels
from mgdesk.gui.colours import invalid_colour, level_tint
from mgdesk.gui.magnesium_given_table import MagnesiumGivenSection
from mgdesk.gui.wrapped_label import WrappedLabel

CLEARANCE_UNIT = "mL/min"
CLEARANCE_HINT = "Optional: leave empty to use Cockcroft-Gault."
EGFR_UNIT = "mL/min/1.73 m2"  # never a clearance: the core refuses either unit for the other
FLAG_FIELDS = (
    "clinical.heart_block",
    "clinical.myasthenia_gravis",
    "clinical.digoxin",
    "clinical.volume_depleted",
    "clinical.dialysis",
    "clinical.oral_route_available",
    "clinical.oral_mg_intolerance",
)
FLAG_DEFAULTS = {"clinical.oral_route_available": True}
FLAG_NOTES = {
    "clinical.heart_block": "Second- or third-degree AV block without a working pacemaker."
}
FLAG_TEXT = {
    "clinical.heart_block": "Heart block",
    "clinical.myasthenia_gravis": "Myasthenia gravis",
    "clinical.digoxin": "Takes digoxin",
    "clinical.volume_depleted": "Volume depleted",
    "clinical.dialysis": "On dialysis",
    "clinical.oral_route_available": "Oral route available",
    "clinical.oral_mg_intolerance": "Intolerance of magnesium oxide",
}
CHOICE_FIELDS = {
    "clinical.torsades": (codes.TORSADES, labels.TORSADES_LABELS),
    "clinical.gi_losses": (codes.GI_LOSSES, labels.GI_LOSS_LABELS),
    "clinical.prior_therapy": (codes.PRIOR_THERAPY, labels.PRIOR_THERAPY_LABELS),
}


class FieldRow(QWidget):
    """A field's editors in a row, its error, and a note (a hint or the value as understood)."""

    def __init__(self, editors: Sequence[QWidget], trailing: QWidget | None = None) -> None:
        super().__init__()
        self.editors = tuple(editors)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        line = QHBoxLayout()
        line.setSpacing(6)
        for editor in editors:
            line.addWidget(editor, 1 if isinstance(editor, QLineEdit) else 0)
        if trailing is not None:
            line.addWidget(trailing)
        layout.addLayout(line)
        self.error = _wrapping_label()
        self.note = _wrapping_label()
        self.note_text = ""  # as given to show_note(), before its quantities were joined
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        self._error_shown = ("", False)

    def show_note(self, text: str) -> None:
        """A note below the field, never wrapped inside a quantity ("0.9 mg/" then "dL")."""
        if text == self.note_text:
            return
        self.note_text = text
        self.note.setText(quantities_unbroken(text))
        self.note.setVisible(bool(text) or self.note.minimumHeight() > 0)

    def reserve_note_lines(self, lines: int) -> None:
        """Keep room for a note that comes and goes with the plan, so the form below stays put."""
        self.note.setMinimumHeight(lines * self.note.fontMetrics().lineSpacing())
        self.note.setVisible(True)

    def show_error(self, message: str, hard: bool) -> None:
        """A hard error is a wrong value (marked); a soft one a missing required value."""
        if self._error_shown == (message, hard):
            return
        self._error_shown = (message, hard)
        self.error.setText(message)
        self.error.setVisible(bool(message))
        colour_label(self.error, hard)

    def restyle(self) -> None:
        colour_label(self.error, self._error_shown[1])


class CaseFormView(QWidget):
    """The widgets of the case form and their layout; no behaviour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, FieldRow] = {}
        self.line_edits: dict[str, QLineEdit] = {}
        self.unit_pickers: dict[str, QComboBox] = {}
        self.flags: dict[str, QCheckBox] = {}
        self.choices: dict[str, QComboBox] = {}
        self.symptoms: dict[str, QCheckBox] = {}
        self.fixed_units: dict[str, QLabel] = {}

        # The form paints only its background: when a note or an error changes its height
        # (often below the visible part), only what moved is repainted, not the whole form.
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        layout = QVBoxLayout(self)
        self.general_error = _wrapping_label()
        self.general_error.setAccessibleName("Problems with the case as a whole")
        layout.addWidget(self.general_error)

        patient = self._group(layout, "Patient")
        self._text_row(patient, "patient.id", "Patient &ID")
        self._text_row(patient, "patient.name", "&Name")
        self._text_row(patient, "patient.age_years", "&Age", suffix="years")
        self.sex = self._combo_row(
            patient,
            "patient.sex",
            "&Sex",
            "Choose…",
            [(labels.SEX_LABELS[s], s) for s in codes.SEXES],
        )
        self._quantity_row(patient, "patient.weight", "&Weight")
        self._quantity_row(patient, "patient.height", "Height")
        self.pregnant = self._combo_row(
            patient,
            "patient.pregnant",
            "&Pregnant",
            "Not answered",
            [("No, not pregnant", False), ("Yes, pregnant", True)],
        )
        self._text_row(patient, "patient.allergies", "A&llergies")

        lab = self._group(layout, "Laboratory results")
        self._quantity_row(lab, "labs.magnesium", "&Magnesium")
        self._quantity_row(lab, "labs.potassium", "Potassi&um")
        self._quantity_row(lab, "labs.creatinine", "&Creatinine")
        self._quantity_row(
            lab, "labs.creatinine_clearance", "Measured clea&rance", fixed_unit=CLEARANCE_UNIT
        )
        self.rows["labs.creatinine_clearance"].show_note(CLEARANCE_HINT)
        self._quantity_row(lab, "labs.egfr", "eGFR", fixed_unit=EGFR_UNIT)
        # The values as understood appear with each plan and go while there is none.
        self.rows["labs.magnesium"].reserve_note_lines(2)
        self.rows["labs.creatinine_clearance"].reserve_note_lines(3)

        clinical = self._group(layout, "Clinical findings")
        self._symptom_row(clinical)
        self._choice_row(clinical, "clinical.torsades", "&Torsades de pointes")
        for field in FLAG_FIELDS:
            self._flag_row(clinical, field)
        self._choice_row(clinical, "clinical.gi_losses", "&GI losses")
        self._choice_row(clinical, "clinical.prior_therapy", "Pri&or therapy")
        given = QGroupBox("Magnesium given (last 48 hours)", self)
        self.given = MagnesiumGivenSection(given)
        QVBoxLayout(given).addWidget(self.given)
        layout.addWidget(given)
        layout.addStretch(1)

    def _group(self, layout: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addWidget(box)
        return form

    def _add_row(self, form: QFormLayout, field: str, text: str, row: FieldRow) -> None:
        label = QLabel(text)
        label.setBuddy(row.editors[0])
        form.addRow(label, row)
        self.rows[field] = row

    def _text_row(
        self, form: QFormLayout, field: str, text: str, suffix: str | None = None
    ) -> None:
        edit = QLineEdit()
        edit.setObjectName(field)
        edit.setAccessibleName(labels.FIELD_LABELS[field])
        self.line_edits[field] = edit
        row = FieldRow([edit], QLabel(suffix) if suffix else None)
        limit = TEXT_LIMITS.get(field.partition(".")[2])
        if limit is not None:
            _show_limit(edit, row, limit)
        self._add_row(form, field, text, row)

    def _quantity_row(
        self, form: QFormLayout, field: str, text: str, fixed_unit: str | None = None
    ) -> None:
        name = labels.FIELD_LABELS[field]
        edit = QLineEdit()
        edit.setObjectName(field)
        edit.setAccessibleName(f"{name} value")
        self.line_edits[field] = edit
        if fixed_unit is not None:
            self.fixed_units[field] = unit_label = QLabel(fixed_unit)
            self._add_row(form, field, text, FieldRow([edit], unit_label))
            return
        unit = QComboBox()
        unit.setObjectName(f"{field}.unit")
        unit.setAccessibleName(f"{name} unit")
        unit.setPlaceholderText("Unit…")
        unit.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.unit_pickers[field] = unit
        self._add_row(form, field, text, FieldRow([edit, unit]))

    def _combo_row(
        self,
        form: QFormLayout,
        field: str,
        text: str,
        placeholder: str,
        items: Sequence[tuple[str, object]],
    ) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(field)
        combo.setAccessibleName(labels.FIELD_LABELS[field])
        combo.setPlaceholderText(placeholder)
        for item_text, data in items:
            combo.addItem(item_text, data)
        combo.setCurrentIndex(-1)
        self._add_row(form, field, text, FieldRow([combo]))
        return combo

    def _choice_row(self, form: QFormLayout, field: str, text: str) -> None:
        options, names = CHOICE_FIELDS[field]
        combo = QComboBox()
        combo.setObjectName(field)
        combo.setAccessibleName(labels.FIELD_LABELS[field])
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.setMinimumContentsLength(12)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for option in options:
            combo.addItem(labels.label(names, option), option)
        self.choices[field] = combo
        self._add_row(form, field, text, FieldRow([combo]))

    def _flag_row(self, form: QFormLayout, field: str) -> None:
        box = QCheckBox(FLAG_TEXT[field])
        box.setObjectName(field)
        box.setAccessibleName(labels.FIELD_LABELS[field])
        box.setChecked(FLAG_DEFAULTS.get(field, False))
        self.flags[field] = box
        row = FieldRow([box])
        row.show_note(FLAG_NOTES.get(field, ""))
        form.addRow(row)
        self.rows[field] = row

    def _symptom_row(self, form: QFormLayout) -> None:
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        for heading, group in (("Severe", codes.SYMPTOMS_SEVERE), ("Mild", codes.SYMPTOMS_MILD)):
            column.addWidget(QLabel(f"<i>{heading}</i>"))
            for symptom in group:
                name = labels.label(labels.SYMPTOM_LABELS, symptom)
                box = QCheckBox(name)
                box.setObjectName(f"clinical.symptoms.{symptom}")
                box.setAccessibleName(f"Symptom: {name} ({heading.lower()})")
                column.addWidget(box)
                self.symptoms[symptom] = box
        row_widget = FieldRow([holder])
        label = QLabel("S&ymptoms")
        label.setBuddy(next(iter(self.symptoms.values())))
        form.addRow(label, row_widget)
        self.rows["clinical.symptoms"] = row_widget

    def field_editors(self, field: str) -> tuple[QWidget, ...]:
        if field == "clinical.symptoms":
            return tuple(self.symptoms.values())
        return self.rows[field].editors + (
            (self.unit_pickers[field],) if field in self.unit_pickers else ()
        )


def _wrapping_label() -> QLabel:
    label = WrappedLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setVisible(False)
    return label


def colour_label(label: QLabel, hard: bool) -> None:
    # A default QPalette sets no role, so the label follows the window's palette again.
    palette = QPalette()
    if hard:
        palette.setColor(QPalette.ColorRole.WindowText, invalid_colour(label.palette()))
    label.setPalette(palette)
    font = label.font()
    font.setItalic(not hard)
    label.setFont(font)


def mark_invalid(editor: QWidget, hard: bool) -> None:
    """Tint an invalid editor's background; the palette's own text stays readable on it."""
    palette = QPalette()
    if hard:
        tint = level_tint(editor.palette(), "stop").background
        palette.setColor(QPalette.ColorRole.Base, tint)
        palette.setColor(QPalette.ColorRole.Button, tint)
    editor.setPalette(palette)


def _show_limit(edit: QLineEdit, row: FieldRow, limit: int) -> None:
    """The field takes at most limit characters, as the core does; it says so, and says when
    typing or a paste went past it (Qt drops the rest silently)."""
    edit.setMaxLength(limit)
    edit.setToolTip(labels.at_most_characters(limit))
    edit.inputRejected.connect(
        lambda: row.show_note(f"{labels.at_most_characters(limit)}: the rest was not taken")
    )

    def forget_the_cut(text: str) -> None:
        if len(text) < limit:
            row.show_note("")

    edit.textEdited.connect(forget_the_cut)
