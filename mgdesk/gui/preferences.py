"""Preferences the order sheet uses: the facility's name and the paper size."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QWidget

from mgdesk.gui.settings import PAPER_SIZES, Settings
from mgdesk.printing.render import PAPER_LABELS as SHEET_PAPER_LABELS

PAPER_LABELS = {"": "Automatic (the printer, else the region)", **SHEET_PAPER_LABELS}


class PreferencesDialog(QDialog):
    """Edits the preferences; they are saved when the dialog is accepted."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Preferences")
        self.facility = QLineEdit(settings.facility_name)
        self.facility.setAccessibleName("Facility name")
        self.paper = QComboBox()
        self.paper.setAccessibleName("Paper size")
        for size in PAPER_SIZES:
            self.paper.addItem(PAPER_LABELS[size], size)
        self.paper.setCurrentIndex(self.paper.findData(settings.paper_size))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("&Facility name", self.facility)
        form.addRow("&Paper size", self.paper)
        form.addRow(buttons)

    def accept(self) -> None:
        self.settings.facility_name = self.facility.text()
        self.settings.paper_size = str(self.paper.currentData())
        self.settings.sync()
        super().accept()
