"""Preferences the order sheet uses: the facility's name, the paper size, and whether the
audit log records the patient id (a site policy; off unless the site asks for it)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from mgdesk.core.text import FACILITY_LIMIT
from mgdesk.gui.labels import at_most_characters
from mgdesk.gui.settings import DECIMAL_SEPARATORS, PAPER_SIZES, Settings
from mgdesk.printing.render import PAPER_LABELS as SHEET_PAPER_LABELS

PAPER_LABELS = {"": "Automatic (from the region)", **SHEET_PAPER_LABELS}
SEPARATOR_LABELS = {
    "": "Automatic (from the region)",
    ".": "Point: 1.5 mg/dL",
    ",": "Comma: 1,5 mg/dL",
}


class PreferencesDialog(QDialog):
    """Edits the preferences; they are saved when the dialog is accepted."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Preferences")
        self.facility = QLineEdit(settings.facility_name)
        self.facility.setAccessibleName("Facility name")
        self.facility.setMaxLength(FACILITY_LIMIT)
        self.facility.setToolTip(at_most_characters(FACILITY_LIMIT))
        self.paper = QComboBox()
        self.paper.setAccessibleName("Paper size")
        for size in PAPER_SIZES:
            self.paper.addItem(PAPER_LABELS[size], size)
        self.paper.setCurrentIndex(self.paper.findData(settings.paper_size))
        self.decimal_separator = QComboBox()
        self.decimal_separator.setAccessibleName("Decimal separator")
        self.decimal_separator.setToolTip(
            "How numbers are typed and shown in the window and printed on the order sheet; "
            "used from the next start of mgdesk"
        )
        for separator in DECIMAL_SEPARATORS:
            self.decimal_separator.addItem(SEPARATOR_LABELS[separator], separator)
        self.decimal_separator.setCurrentIndex(
            self.decimal_separator.findData(settings.decimal_separator)
        )
        self.record_patient_id = QCheckBox(
            "Record the patient ID with each order sheet (only if your site's policy asks for it)"
        )
        self.record_patient_id.setChecked(settings.record_patient_id)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("&Facility name", self.facility)
        form.addRow("&Paper size", self.paper)
        form.addRow("&Decimal separator", self.decimal_separator)
        form.addRow("", QLabel("The decimal separator is used from the next start of mgdesk."))
        form.addRow("&Audit log", self.record_patient_id)
        form.addRow(buttons)

    def accept(self) -> None:
        self.settings.facility_name = self.facility.text()
        self.settings.paper_size = str(self.paper.currentData())
        self.settings.record_patient_id = self.record_patient_id.isChecked()
        self.settings.decimal_separator = str(self.decimal_separator.currentData())
        self.settings.sync()
        super().accept()
