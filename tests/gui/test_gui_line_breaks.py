"""The form's notes wrap between quantities, never inside one ("0.9 mg/" then "dL")."""

from __future__ import annotations

import re

import pytest
from gui_support import type_text
from PySide6.QtGui import QTextLayout, QTextOption
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from test_gui_form import enter_mild_man

from mgdesk.document.line_breaks import as_typed
from mgdesk.gui.main_window import MainWindow

QUANTITY = re.compile(r"\d[\d.]* (?:mg/dL|mmol/L|mEq/L|mL/min|kg|years)")
NARROW_WIDTHS = range(30, 320, 2)  # pixels: from one word a line to the whole note on one


def wrapped_lines(text: str, label: QLabel, width: int) -> list[str]:
    """text as a word-wrapped QLabel with label's font breaks it into lines at width."""
    layout = QTextLayout(text, label.font())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        lines.append(text[line.textStart() : line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def broken_quantities(text: str, label: QLabel) -> set[str]:
    """The quantities of text that some width in NARROW_WIDTHS splits across two lines."""
    quantities = QUANTITY.findall(as_typed(text))
    broken = set()
    for width in NARROW_WIDTHS:
        lines = [" ".join(as_typed(line).split()) for line in wrapped_lines(text, label, width)]
        broken |= {q for q in quantities if not any(q in line for line in lines)}
    return broken


@pytest.mark.parametrize("field", ["labs.magnesium", "labs.creatinine_clearance"])
def test_a_note_never_wraps_inside_a_quantity(qtbot: QtBot, window: MainWindow, field: str) -> None:
    enter_mild_man(qtbot, window)
    type_text(qtbot, window, "labs.magnesium", "0.9")
    note = window.form_view.rows[field].note
    shown = note.text()
    assert QUANTITY.search(as_typed(shown)), as_typed(shown)  # "Understood as 0.9 mg/dL = ..."
    # The same words with ordinary spaces and slashes do break inside a quantity at these widths.
    assert broken_quantities(as_typed(shown), note)
    assert broken_quantities(shown, note) == set()
