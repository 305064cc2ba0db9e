"""Keyboard use: every Alt mnemonic is unique within its window, its dialogs and each menu."""

from __future__ import annotations

from collections import Counter

import pytest
from gui_support import shared_case
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QMenu, QTabBar, QWidget
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.gui import protocol_editor
from mgdesk.gui.about import AboutDialog
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.preferences import PreferencesDialog
from mgdesk.gui.sheet_dialog import OrderSheetDialog


def mnemonic(text: str) -> str | None:
    """The letter after a single "&" ("&&" is a literal ampersand), lower case."""
    at = 0
    while (at := text.find("&", at)) >= 0 and at + 1 < len(text):
        if text[at + 1] != "&":
            return text[at + 1].lower()
        at += 2
    return None


def texts_with_mnemonics(top: QWidget) -> list[str]:
    """The texts whose Alt+letter acts in top: buddied labels, buttons, group boxes, tabs,
    the menu bar's titles (a menu's own items are another scope). Hidden widgets count too:
    a tab or a column that is shown later brings its letters with it."""
    texts: list[str] = []
    for widget in top.findChildren(QWidget):
        if widget.window() is not top or isinstance(widget, QMenu):
            continue
        buddied = isinstance(widget, QLabel) and widget.buddy() is not None
        if buddied or isinstance(widget, QAbstractButton):
            texts.append(widget.text())  # type: ignore[attr-defined]
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QTabBar):
            texts += [widget.tabText(i) for i in range(widget.count())]
    if isinstance(top, MainWindow):
        texts += [a.text() for a in top.menuBar().actions()]
    return texts


def duplicates(texts: list[str]) -> dict[str, list[str]]:
    letters = Counter(m for m in map(mnemonic, texts) if m)
    return {
        letter: [t for t in texts if mnemonic(t) == letter]
        for letter, count in letters.items()
        if count > 1
    }


def test_the_main_window_mnemonics_are_unique(qtbot: QtBot, window: MainWindow) -> None:
    for width in (1024, 1600):  # the algorithm as a tab, then as a column
        window.resize(width, 700)
        qtbot.waitUntil(lambda w=width: window.width() == w)
        texts = texts_with_mnemonics(window)
        assert len([t for t in texts if mnemonic(t)]) >= 20  # the form's labels are all found
        assert duplicates(texts) == {}


def test_every_menu_has_unique_mnemonics(window: MainWindow) -> None:
    menus = window.findChildren(QMenu)
    assert len(menus) >= 5
    for menu in menus:
        menu.aboutToShow.emit()  # the recent files are listed when the menu opens
        texts = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert duplicates(texts) == {}, menu.title()


def test_the_order_sheet_dialog_mnemonics_are_unique(qtbot: QtBot, window: MainWindow) -> None:
    assert window.form.load(shared_case("v06.json")["case"]) == []  # a stop-level warning
    window.menus.open_order_sheet()
    dialog = window.findChild(OrderSheetDialog)
    assert dialog is not None
    texts = texts_with_mnemonics(dialog)
    assert len([t for t in texts if mnemonic(t)]) >= 5
    assert duplicates(texts) == {}


@pytest.mark.parametrize("which", ["preferences", "about"])
def test_the_small_dialogs_mnemonics_are_unique(
    window: MainWindow, protocol: Protocol, which: str
) -> None:
    dialog = (
        PreferencesDialog(window.settings, window)
        if which == "preferences"
        else AboutDialog(protocol, None, window)
    )
    assert duplicates(texts_with_mnemonics(dialog)) == {}


def test_the_collisions_clinicians_hit_are_gone(window: MainWindow) -> None:
    letters = {t.replace("&", ""): mnemonic(t) for t in texts_with_mnemonics(window) if mnemonic(t)}
    assert letters["Age"] != letters["Potassium"]
    assert letters["Magnesium"] != letters["Symptoms"]
    assert letters["Name"] != letters["Next ▶"]
    assert letters["Prior therapy"] != letters["Help"]


def test_a_mnemonic_moves_the_focus_to_its_field(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    window.form_view.line_edits["patient.id"].setFocus()
    label = next(
        lbl
        for lbl in window.form_view.findChildren(QLabel)
        if lbl.buddy() is window.form_view.line_edits["labs.potassium"]
    )
    letter = mnemonic(label.text())
    assert letter is not None
    qtbot.keyClick(
        window.focusWidget(),
        getattr(Qt.Key, f"Key_{letter.upper()}"),
        Qt.KeyboardModifier.AltModifier,
    )
    qtbot.waitUntil(window.form_view.line_edits["labs.potassium"].hasFocus)


def test_the_protocol_editor_mnemonics_are_unique(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol_editor, "GENERATED_CASES", 20)
    editor = window.menus.open_protocol_editor()
    assert editor is not None
    qtbot.addWidget(editor)
    texts = texts_with_mnemonics(editor)
    assert len([t for t in texts if mnemonic(t)]) >= 5  # its buttons and tabs are found
    assert duplicates(texts) == {}
