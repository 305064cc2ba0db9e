"""Helpers for the GUI tests: build a window, drive it as a user would, read shared cases."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPageSetupDialog, QPrintDialog
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
)
from pytestqt.qtbot import QtBot
from worked_cases import CASES_DIR

from mgdesk import resources
from mgdesk.core.protocol import Protocol
from mgdesk.gui.locale_numbers import LocaleNumbers
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings

SHARED_CASES = CASES_DIR


class ModalDialogError(AssertionError):
    """A test reached a blocking dialog; headless it would wait for a click for ever."""


MODAL_INSTANCE_METHODS = ((QDialog, "exec"), (QPrintDialog, "exec"), (QPageSetupDialog, "exec"))
MODAL_STATIC_METHODS = (
    (QMessageBox, ("question", "information", "warning", "critical", "about", "aboutQt")),
    (
        QFileDialog,
        (
            "getOpenFileName",
            "getOpenFileNames",
            "getSaveFileName",
            "getExistingDirectory",
            "getOpenFileUrl",
            "getSaveFileUrl",
        ),
    ),
    (QInputDialog, ("getText", "getItem", "getInt", "getDouble", "getMultiLineText")),
)


def refuse(name: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise ModalDialogError(
            f"{name} would block the test: use open()/show() or patch the dialog"
        )

    return refused


def make_window(qtbot: QtBot, protocol: Protocol | None, decimal_point: str = ".") -> MainWindow:
    window = MainWindow(open_settings(), LocaleNumbers(decimal_point))
    qtbot.addWidget(window)
    window.resize(1500, 950)
    if protocol is not None:
        window.install_protocol(protocol)
    window.show()
    qtbot.waitExposed(window)
    return window


def shared_case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHARED_CASES / name).read_text(encoding="utf-8"))
    return data


def shared_case_names() -> list[str]:
    return sorted(p.name for p in SHARED_CASES.glob("*.json"))


def type_text(qtbot: QtBot, window: MainWindow, field: str, text: str) -> None:
    """Replace a field's text by typing, as a user would."""
    edit = window.form_view.line_edits[field]
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)
    assert edit.text() == text


def pick(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Choose an item of a closed combo box from the keyboard, as a user would."""
    combo.setFocus()
    qtbot.keyClicks(combo, text.split(" ")[0])  # a space would open the popup
    if combo.currentText() != text:  # keyboard search stops at the first match; finish with arrows
        target = combo.findText(text)
        assert target >= 0, f"{text!r} is not offered in {combo.objectName()}"
        key = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
        while combo.currentIndex() != target:
            qtbot.keyClick(combo, key)
    assert combo.currentText() == text


def set_checked(qtbot: QtBot, box: QCheckBox, checked: bool) -> None:
    if box.isChecked() != checked:
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() == checked


def enter_case(
    qtbot: QtBot, window: MainWindow, values: dict[str, str], units: dict[str, str]
) -> None:
    """Type values into line edits and choose units, field by field."""
    for field, text in values.items():
        type_text(qtbot, window, field, text)
    for field, unit in units.items():
        pick(qtbot, window.form_view.unit_pickers[field], unit)


def line_edit(window: MainWindow, field: str) -> QLineEdit:
    return window.form_view.line_edits[field]


def action(window: MainWindow, text: str) -> QAction:
    """The window's menu action whose text (without the & mnemonic) is text."""
    return next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == text)


def example_case(name: str, **changes: Mapping[str, Any]) -> dict[str, Any]:
    """A bundled example case, with fields of its sections replaced."""
    text = files(resources).joinpath("examples", name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    changed = copy.deepcopy(document)
    for section, fields in changes.items():
        changed.setdefault(section, {}).update(fields)
    return changed


def pdf_text(path: Path) -> str:
    """The text of every page, words separated by single spaces (pypdf gives tabs)."""
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def answering(choice: str, asked: list[Any] | None = None) -> Callable[..., None]:
    """A replacement for one of the window.files ask_* questions: records it, answers choice."""

    def ask(*args: Any) -> None:
        if asked is not None:
            asked.append(args[:-1])
        args[-1](choice)

    return ask
