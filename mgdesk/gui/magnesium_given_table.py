"""Magnesium given (protocol 1.1, step 8f): the time of this assessment and the doses of
parenteral magnesium given before it, one row per dose.

A row is a date, a 24-hour time, its UTC offset, the route and the amount with its unit.
Nothing is defaulted: an empty time is an error, never midnight; the offset of a new row is
this computer's time zone at that date and time, shown in its cell's placeholder, while a
row read from a file keeps the offset it had. The core judges every entry; its messages
come back to the cells of their field path (clinical.magnesium_given[1].time). The total
and what the 48-hour limit leaves come from the plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mgdesk.gui.assessment_time import AssessmentTime

if TYPE_CHECKING:
    from mgdesk.core.errors import FieldError
    from mgdesk.core.plan import GivenSummary
    from mgdesk.gui.locale_numbers import LocaleNumbers

GIVEN_FIELD = "clinical.magnesium_given"
ASSESSED_FIELD = "assessed_at"
ROUTES = (("IV", "iv"), ("IM", "im"))
AMOUNT_UNITS = ("g", "mg", "mmol", "mEq")
ENTRY_KEYS = ("time", "route", "amount")
NO_TIME_OF_DAY = "has no time of day: enter it as hh:mm (24-hour); it is never taken as midnight"
NO_DATE = "has no date: enter it as YYYY-MM-DD"
REMOVE_SHORTCUT = "Ctrl+Shift+Backspace"
# What each cell accepts while typing (partial text too, so a draft can be saved and reopened).
_DATE = r"[0-9]{0,4}(-[0-9]{0,2}(-[0-9]{0,2})?)?"
_TIME = r"[0-9]{0,2}(:[0-9]{0,2}(:[0-9]{0,2}(\.[0-9]{0,6})?)?)?"
_OFFSET = r"(Z|[+-][0-9]{0,2}(:[0-9]{0,2})?)?"
# A time as the form writes it: date, "T", time and offset, each as its cell accepts it.
_WRITTEN_TIME = re.compile(f"({_DATE})T({_TIME})({_OFFSET})", re.ASCII)
_COMPLETE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_COMPLETE_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?", re.ASCII)


def local_offset(date: str, time: str) -> str | None:
    """This computer's UTC offset at a local date and time ("+01:00"), or None if they are
    not a real date and time."""
    if not (_COMPLETE_DATE.fullmatch(date) and _COMPLETE_TIME.fullmatch(time)):
        return None
    try:
        moment = datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        return None
    return moment.astimezone().isoformat()[-6:]


def split_time(text: str) -> tuple[str, str, str] | None:
    """(date, time, offset) of a time the form can show, else None."""
    match = _WRITTEN_TIME.fullmatch(text)
    return (match.group(1), match.group(4), match.group(8)) if match else None


class GivenRow(QWidget):
    """One dose given: date, time, offset, route, amount and unit; its errors below."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offset_from_zone = True  # a new row's offset is this computer's zone
        self.date = _cell("YYYY-MM-DD", _DATE, 11)
        self.time = _cell("hh:mm", _TIME, 8)
        self.offset = _cell("", _OFFSET, 11)
        self.route = QComboBox()
        self.route.setPlaceholderText("Route…")
        for text, code in ROUTES:
            self.route.addItem(text, code)
        self.route.setCurrentIndex(-1)
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("amount")
        self.unit = QComboBox()
        self.unit.setPlaceholderText("Unit…")
        self.unit.addItems(list(AMOUNT_UNITS))
        self.unit.setCurrentIndex(-1)
        self.remove = QPushButton("Remove")
        self.remove.setToolTip(f"Remove this dose ({REMOVE_SHORTCUT})")
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))
        shortcut = QShortcut(QKeySequence(REMOVE_SHORTCUT), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda: self.remove_requested.emit(self))
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setVisible(False)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setVisible(False)
        # Two lines, when and what, so the row is no wider than the form's other fields.
        self.number = QLabel()
        when, what = QHBoxLayout(), QHBoxLayout()
        for line, widgets in (
            (when, (self.number, self.date, self.time, self.offset)),
            (what, (self.route, self.amount, self.unit, self.remove)),
        ):
            line.setSpacing(4)
            for widget in widgets:
                line.addWidget(widget, 1 if widget in (self.date, self.amount) else 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(when)
        layout.addLayout(what)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        for edit in (self.date, self.time, self.offset, self.amount):
            edit.textChanged.connect(self._edited)
        for combo in (self.route, self.unit):
            combo.currentIndexChanged.connect(self._edited)
        self.offset.textEdited.connect(self._offset_typed)
        self._show_zone()

    def cells(self) -> dict[str, tuple[QWidget, ...]]:
        """The widgets of each key of an entry."""
        return {
            "time": (self.date, self.time, self.offset),
            "route": (self.route,),
            "amount": (self.amount, self.unit),
        }

    def name(self, number: int) -> None:
        """Accessible names for dose number (counted from 1)."""
        self.number.setText(f"Dose {number}:")
        for widget, what in (
            (self.date, "date (YYYY-MM-DD)"),
            (self.time, "time (24-hour hh:mm)"),
            (self.offset, "UTC offset"),
            (self.route, "route"),
            (self.amount, "amount"),
            (self.unit, "amount unit"),
            (self.remove, "remove"),
        ):
            widget.setAccessibleName(f"Dose {number} given: {what}")

    def has_content(self, key: str) -> bool:
        """Whether the user gave this key of the entry anything (a text or a choice)."""
        for widget in self.cells()[key]:
            if isinstance(widget, QLineEdit) and widget.text().strip():
                return True
            if isinstance(widget, QComboBox) and widget.currentIndex() >= 0:
                return True
        return False

    def offset_used(self) -> str:
        typed = self.offset.text().strip()
        if typed or not self.offset_from_zone:
            return typed
        return local_offset(self.date.text().strip(), self.time.text().strip()) or ""

    def _offset_typed(self) -> None:
        self.offset_from_zone = False
        self._show_zone()

    def _edited(self) -> None:
        self._show_zone()
        self.changed.emit()

    def _show_zone(self) -> None:
        if not self.offset_from_zone:
            self.offset.setPlaceholderText("±hh:mm")
            return
        zone = local_offset(self.date.text().strip(), self.time.text().strip())
        self.offset.setPlaceholderText(f"local {zone}" if zone else "local")


class MagnesiumGivenSection(QWidget):
    """The assessment time and the table of magnesium given, with the plan's totals."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[GivenRow] = []
        # The case lists magnesium given, even none ("magnesium_given": [] in a file).
        self.listed = False
        self.assessed_at = AssessmentTime(self)
        self.assessed_at.changed.connect(self.changed)
        heading = QLabel(
            "Parenteral magnesium (IV or IM) given before this assessment. Amount as magnesium "
            "sulfate (g, mg) or magnesium (mmol, mEq); time 24-hour."
        )
        heading.setWordWrap(True)
        self.table_error = _message_label()
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setSpacing(4)
        self.add_button = QPushButton("A&dd a dose given")
        self.add_button.setAccessibleName("Add a dose of magnesium given")
        self.add_button.clicked.connect(self.add_row)
        self.summary = _message_label()
        self.summary.setAccessibleName("Magnesium given: total and allowance")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.assessed_at)
        layout.addWidget(heading)
        layout.addWidget(self.table_error)
        layout.addLayout(self._rows_layout)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)

    # -- rows ------------------------------------------------------------------------------

    def add_row(self) -> GivenRow:
        """A new empty row at the end, its date cell focused."""
        row = self._new_row()
        row.date.setFocus(Qt.FocusReason.OtherFocusReason)
        self.changed.emit()
        return row

    def _new_row(self) -> GivenRow:
        row = GivenRow(self)
        row.changed.connect(self.changed)
        row.remove_requested.connect(self.remove_row)
        self._rows_layout.addWidget(row)
        row.show()  # at once, not after the event loop has run (the layout would queue it)
        self.rows.append(row)
        row.name(len(self.rows))
        return row

    def remove_row(self, row: GivenRow) -> None:
        """Remove a row; the focus goes to the row that takes its place, else Add."""
        index = self.rows.index(row)
        self.rows.pop(index)
        self._rows_layout.removeWidget(row)
        row.hide()
        row.deleteLater()
        for number, other in enumerate(self.rows, 1):
            other.name(number)
        after = self.rows[min(index, len(self.rows) - 1)].date if self.rows else self.add_button
        after.setFocus(Qt.FocusReason.OtherFocusReason)
        self.changed.emit()

    def clear(self) -> None:
        for row in self.rows:
            self._rows_layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        self.rows.clear()
        self.listed = False
        self.assessed_at.edit.clear()
        self.show_summary(None)

    def editors_of(self, path: str) -> tuple[QWidget, ...]:
        """The widgets of a field path of assessed_at or the magnesium given, first to focus."""
        if path == ASSESSED_FIELD:
            return (self.assessed_at.edit,)
        index_text, _, key = path.removeprefix(f"{GIVEN_FIELD}[").partition("]")
        indexed = path.startswith(f"{GIVEN_FIELD}[") and index_text.isdigit()
        if indexed and int(index_text) < len(self.rows):
            row = self.rows[int(index_text)]
            return row.cells().get(key.lstrip("."), (row.date,))
        if path == GIVEN_FIELD:
            return (self.rows[0].date,) if self.rows else (self.add_button,)
        return ()

    # -- form <-> document -----------------------------------------------------------------

    def document_part(
        self, numbers: LocaleNumbers
    ) -> tuple[str | None, list[dict[str, str]] | None, list[FieldError]]:
        """assessed_at, clinical.magnesium_given (None when there is no row), and the
        problems only the form sees: a date without a time of day, a decimal separator."""
        from mgdesk.core.errors import FieldError

        problems: list[FieldError] = []
        entries: list[dict[str, str]] = []
        for index, row in enumerate(self.rows):
            where = f"{GIVEN_FIELD}[{index}]"
            entry: dict[str, str] = {}
            date, time = row.date.text().strip(), row.time.text().strip()
            offset = row.offset_used()
            if date or time or offset:
                entry["time"] = f"{date}T{time}{offset}"
                if date and not time:
                    problems.append(FieldError(f"{where}.time", NO_TIME_OF_DAY))
                elif time and not date:
                    problems.append(FieldError(f"{where}.time", NO_DATE))
            if row.route.currentIndex() >= 0:
                entry["route"] = row.route.currentData()
            amount = row.amount.text().strip()
            if amount:
                number, problem = numbers.to_core(amount)
                if problem is not None:
                    problems.append(FieldError(f"{where}.amount", problem))
                unit = row.unit.currentText() if row.unit.currentIndex() >= 0 else None
                entry["amount"] = f"{number} {unit}" if unit else number
            entries.append(entry)
        assessed = self.assessed_at.edit.text().strip() or None
        return assessed, (entries if self.rows or self.listed else None), problems

    def load(self, assessed_at: object, entries: object, numbers: LocaleNumbers) -> None:
        """Show what a case document holds (unshowable() has said that it can be shown)."""
        self.clear()
        self.assessed_at.edit.setText(assessed_at if isinstance(assessed_at, str) else "")
        self.listed = isinstance(entries, list)
        for entry in entries if isinstance(entries, list) else []:
            row = self._new_row()
            row.offset_from_zone = False
            parts = split_time(entry["time"]) if "time" in entry else ("", "", "")
            assert parts is not None
            for edit, text in zip((row.date, row.time, row.offset), parts, strict=True):
                edit.setText(text)
            row.route.setCurrentIndex(row.route.findData(entry.get("route")))
            number, unit = _split_amount(entry.get("amount"))
            row.amount.setText(numbers.shown(number))
            row.unit.setCurrentIndex(row.unit.findText(unit) if unit else -1)

    # -- what the core made of it ----------------------------------------------------------

    def show_errors(
        self, errors: Sequence[FieldError], mark: Callable[[QWidget, bool], None]
    ) -> list[FieldError]:
        """Show each error of assessed_at or magnesium given at its cells (mark(widget, hard)
        tints a cell); returns the errors that belong elsewhere."""
        rest: list[FieldError] = []
        per_row: dict[int, dict[str, list[str]]] = {}
        table: list[str] = []
        assessed: list[str] = []
        for error in errors:
            if error.field == ASSESSED_FIELD:
                assessed.append(error.message)
            elif error.field == GIVEN_FIELD:
                table.append(error.message)
            elif error.field.startswith(f"{GIVEN_FIELD}["):
                index_text, _, key = error.field[len(GIVEN_FIELD) + 1 :].partition("]")
                index = int(index_text) if index_text.isdigit() else -1
                if 0 <= index < len(self.rows):
                    per_row.setdefault(index, {}).setdefault(key.lstrip("."), []).append(
                        error.message
                    )
                else:
                    table.append(f"{error.field}: {error.message}")
            else:
                rest.append(error)
        self.assessed_at.show_error(" ".join(assessed), mark)
        self.table_error.setText("\n".join(table))
        self.table_error.setVisible(bool(table))
        for index, row in enumerate(self.rows):
            found = per_row.get(index, {})
            lines = []
            for key, widgets in row.cells().items():
                messages = found.get(key, [])
                text = " ".join(messages)
                path = f"{GIVEN_FIELD}[{index}].{key}"
                # Tinted when wrong; an entry not yet filled in is only told what it needs.
                hard = bool(text) and row.has_content(key)
                for widget in widgets:
                    widget.setToolTip(f"{path}: {text}" if text else "")
                    widget.setAccessibleDescription(text)
                    mark(widget, hard)
                if text:
                    lines.append(f"{key.capitalize()}: {text}")
            lines += [
                f"{k or 'Entry'}: {' '.join(m)}" for k, m in found.items() if k not in row.cells()
            ]
            row.error.setText("\n".join(lines))
            row.error.setVisible(bool(lines))
        return rest

    def show_summary(self, summary: GivenSummary | None) -> None:
        """The plan's total and allowance, and which rows the 48 hours leave out."""
        self.summary.setText(summary.shown if summary else "")
        self.summary.setVisible(summary is not None)
        listed = summary.entries if summary else ()
        for index, row in enumerate(self.rows):
            entry = listed[index] if index < len(listed) else None
            note = ""
            if entry is not None and not entry.in_48h:
                note = "Not counted: not within the 48 hours before this assessment."
            row.note.setText(note)
            row.note.setVisible(bool(note))


def unshowable(document: Mapping[str, Any], clinical: Mapping[str, Any]) -> list[str]:
    """Why assessed_at or the magnesium given cannot be shown in the form (empty if they can)."""
    problems: list[str] = []
    assessed = document.get(ASSESSED_FIELD)
    if assessed is not None and not isinstance(assessed, str):
        problems.append(f"{ASSESSED_FIELD}: {str(assessed)[:40]!r} cannot be shown in the form")
    entries = clinical.get("magnesium_given")
    if entries is None:
        return problems
    if not isinstance(entries, list):
        return [*problems, f"{GIVEN_FIELD} must be a list to be shown in the form"]
    for index, entry in enumerate(entries):
        where = f"{GIVEN_FIELD}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be an object to be shown in the form")
            continue
        for key, value in entry.items():
            if key not in ENTRY_KEYS:
                problems.append(f"{where}.{str(key)[:40]} is not a field of an entry")
            elif not _showable(key, value):
                problems.append(f"{where}.{key}: {str(value)[:40]!r} cannot be shown in the form")
    return problems


def _showable(key: str, value: object) -> bool:
    if key == "time":
        return isinstance(value, str) and split_time(value) is not None
    if key == "route":
        return value in [code for _, code in ROUTES]
    return isinstance(value, str) and bool(value.strip()) and "\n" not in value


def _split_amount(value: object) -> tuple[str, str | None]:
    """("5", "g") from "5 g"; the text itself, without a unit, when it ends in none offered."""
    text = str(value or "").strip()
    spellings = {u.lower(): u for u in AMOUNT_UNITS}
    for spelling in sorted(spellings, key=len, reverse=True):
        if text.lower().endswith(spelling):
            number = text[: len(text) - len(spelling)].strip()
            if number and not number[-1].isalpha():
                return number, spellings[spelling]
    return text, None


def _cell(placeholder: str, pattern: str, width: int) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern)))
    edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("0" * width) + 12)
    return edit


def _message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setVisible(False)
    return label
