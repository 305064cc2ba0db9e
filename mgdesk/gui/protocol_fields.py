"""The editors of single protocol fields, each for what the field is: a quantity's number
box and unit picker, a count, a flag, a product or salt picked from the document's, a date
from a calendar, a text; and the page of the parts a site cannot change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from mgdesk.core.ceilings import PUSH_MAX_RATE, THRESHOLD_CEILINGS
from mgdesk.core.protocol_reader import units_of
from mgdesk.records.protocol_edit import (
    DATE,
    FLAG,
    PRODUCT,
    SALT,
    SOURCES,
    EditableField,
    JsonValue,
    shown_value,
)

if TYPE_CHECKING:
    from mgdesk.core.protocol import Protocol

_ISO_DATE = "yyyy-MM-dd"
Reader = Callable[[], JsonValue]


def field_editor(
    field: EditableField, value: JsonValue, document: Mapping[str, Any], edited: Callable[[], None]
) -> tuple[QWidget, Reader]:
    """The widget that edits field (now value), calling edited on each change, and what reads
    the field's JSON value from it."""
    key = field.key
    if field.is_quantity:
        quantity = QuantityEditor(str(value or ""), field.kind)
        quantity.setObjectName(f"quantity:{key}")
        quantity.number.textEdited.connect(lambda _t: edited())
        quantity.unit.currentTextChanged.connect(lambda _t: edited())
        return quantity, quantity.text
    if field.kind == "count":
        spin = QSpinBox()
        spin.setObjectName(f"count:{key}")
        spin.setRange(1, 99)
        spin.setValue(value if isinstance(value, int) and not isinstance(value, bool) else 1)
        spin.valueChanged.connect(lambda _v: edited())
        return spin, spin.value
    if field.kind == FLAG:
        box = QCheckBox()
        box.setChecked(bool(value))
        box.toggled.connect(lambda _v: edited())
        return box, box.isChecked
    if field.kind in (PRODUCT, SALT):
        combo = QComboBox()
        section = document.get("products" if field.kind == PRODUCT else "salts")
        combo.addItems(list(section) if isinstance(section, dict) else [])
        combo.setCurrentText(str(value or ""))
        combo.currentTextChanged.connect(lambda _t: edited())
        return combo, combo.currentText
    if field.kind == DATE and (value is None or _date(value).isValid()):
        picker = DateEditor(value if isinstance(value, str) else None, field.optional)
        picker.setObjectName(f"date:{key}")
        picker.date.dateChanged.connect(lambda _d: edited())
        picker.given.toggled.connect(lambda _v: edited())
        return picker, picker.iso
    # A text, or a date the file gives that is not one (typed again here, or refused).
    line = QLineEdit("" if value is None else shown_value(value))
    line.setPlaceholderText("YYYY-MM-DD" if field.kind == DATE else "(none)")
    line.setCursorPosition(0)  # a long wording shows its start
    line.textEdited.connect(lambda _t: edited())
    return line, lambda: line_value(field, line.text())


def type_into(widget: QWidget, text: str) -> None:
    """Type text into a field's widget as a user would: a quantity as "number unit", a date as
    "YYYY-MM-DD" (or "" for none), a flag as "yes" or "no"."""
    if isinstance(widget, QuantityEditor):
        number, _, unit = text.partition(" ")
        widget.number.setText(number)
        widget.unit.setCurrentText(unit)
    elif isinstance(widget, DateEditor):
        widget.given.setChecked(bool(text))
        if text:
            widget.date.setDate(_date(text))
    elif isinstance(widget, QLineEdit):
        widget.setText(text)
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(text))
    elif isinstance(widget, QComboBox):
        widget.setCurrentText(text)
    elif isinstance(widget, QCheckBox):  # a flag, as the change lists show it
        widget.setChecked(text == "yes")


class DateEditor(QWidget):
    """A date picked from a calendar; an optional date has a box to tick for "there is one"
    (unticked: none, and the date is greyed)."""

    def __init__(self, iso: str | None, optional: bool) -> None:
        super().__init__()
        self.optional = optional
        self.given = QCheckBox()
        self.given.setToolTip("Ticked: the date below; not ticked: none")
        self.given.setChecked(iso is not None)
        self.given.setVisible(optional)
        self.date = QDateEdit(_date(iso) if iso is not None else QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat(_ISO_DATE)
        self.date.setEnabled(iso is not None or not optional)
        self.given.toggled.connect(self.date.setEnabled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.given)
        row.addWidget(self.date, 1)

    def iso(self) -> str | None:
        if self.optional and not self.given.isChecked():
            return None
        return str(self.date.date().toString(_ISO_DATE))


def _date(iso: object) -> QDate:
    return QDate.fromString(str(iso), _ISO_DATE)


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


def fixed_parts_page(document: Mapping[str, Any], protocol: Protocol | None) -> QScrollArea:
    """The parts a site cannot change, shown read-only: the ceilings, the rule structure (as
    the protocol is read: a step an older file lacks comes from the bundled protocol), the
    codes and each warning's level."""
    lines = ["<h3>mgdesk's fixed safety ceilings</h3><ul>"]
    lines += [f"<li>thresholds.{k}: {escape(c.text)}</li>" for k, c in THRESHOLD_CEILINGS.items()]
    lines.append(f"<li>doses.torsades_pulseless: {escape(PUSH_MAX_RATE.text)}</li></ul>")
    graph = document.get("graph", {})
    nodes = graph.get("nodes", []) if isinstance(graph, dict) else []
    steps = (
        [(n.id, n.title) for n in protocol.graph.nodes]
        if protocol is not None
        else [(n.get("id"), n.get("title")) for n in nodes if isinstance(n, dict)]
    )
    lines.append("<h3>Rule structure (steps of the graph)</h3><ul>")
    lines += [f"<li>{escape(str(node_id))}: {escape(str(title))}</li>" for node_id, title in steps]
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
