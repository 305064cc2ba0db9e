"""The editors of single protocol fields: a quantity's number box and unit picker, and the
JSON value a line of text stands for."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from mgdesk.core.protocol_reader import units_of
from mgdesk.records.protocol_edit import SOURCES, EditableField, JsonValue


class QuantityEditor(QWidget):
    """A number box and a unit picker limited to one dimension's units."""

    def __init__(self, text: str, dimension: str) -> None:
        super().__init__()
        number, _, unit = text.partition(" ")
        self.number = QLineEdit(number)
        self.unit = QComboBox()
        self.unit.setEditable(True)
        self.unit.addItems(units_of(dimension))
        self.unit.setCurrentText(unit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.number, 3)
        row.addWidget(self.unit, 2)

    def text(self) -> str:
        return f"{self.number.text().strip()} {self.unit.currentText().strip()}".strip()


def line_value(field: EditableField, text: str) -> JsonValue:
    """A line's text as the JSON value the field holds: numbers as numbers, sources as a list."""
    if field.kind == SOURCES:
        return [part.strip() for part in text.split(",") if part.strip()]
    if field.is_number:
        try:
            number = float(text)
        except ValueError:
            return text  # the loader says "must be a number"
        return int(number) if number.is_integer() and "." not in text else number
    return text
