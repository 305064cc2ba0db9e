"""The editors of single protocol fields: a quantity's number box and unit picker, and the
JSON value a line of text stands for; and the page of the parts a site cannot change."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QScrollArea, QWidget

from mgdesk.core.ceilings import PUSH_MAX_RATE, THRESHOLD_CEILINGS
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


def fixed_parts_page(document: Mapping[str, Any]) -> QScrollArea:
    """The parts a site cannot change, shown read-only: the ceilings, the rule structure, the
    codes and each warning's level."""
    lines = ["<h3>mgdesk's fixed safety ceilings</h3><ul>"]
    lines += [f"<li>thresholds.{k}: {escape(c.text)}</li>" for k, c in THRESHOLD_CEILINGS.items()]
    lines.append(f"<li>doses.torsades_pulseless: {escape(PUSH_MAX_RATE.text)}</li></ul>")
    graph = document.get("graph", {})
    nodes = graph.get("nodes", []) if isinstance(graph, dict) else []
    lines.append("<h3>Rule structure (steps of the graph)</h3><ul>")
    lines += [
        f"<li>{escape(str(n.get('id')))}: {escape(str(n.get('title')))}</li>"
        for n in nodes
        if isinstance(n, dict)
    ]
    lines.append("</ul><h3>Codes</h3>")
    for section in ("orders", "warnings", "monitoring"):
        entries = document.get(section, {})
        codes = [
            f"{code} ({entry['level']})" if isinstance(entry, dict) and "level" in entry else code
            for code, entry in (entries.items() if isinstance(entries, dict) else ())
        ]
        lines.append(f"<p><b>{section}</b>: {escape(', '.join(codes))}</p>")
    label = QLabel("".join(lines))
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setObjectName("fixed_parts")
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(label)
    return scroll
