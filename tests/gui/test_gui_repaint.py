"""What an edit leaves on screen is what a full repaint draws: the window repaints only what
changed after an edit, and must never leave a stale pixel behind."""

from __future__ import annotations

from gui_support import pick, set_checked, type_text
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_gui_form import enter_mild_man

from mgdesk.gui.main_window import MainWindow


def on_screen(window: MainWindow) -> QImage:
    """The window as last painted (the offscreen platform's backing store)."""
    QApplication.processEvents()
    QApplication.processEvents()
    return window.screen().grabWindow(window.winId()).toImage()


def repainted(window: MainWindow, format_of: QImage) -> QImage:
    return window.grab().toImage().convertToFormat(format_of.format())


def test_edits_that_move_the_form_leave_no_stale_pixels(qtbot: QtBot, window: MainWindow) -> None:
    enter_mild_man(qtbot, window)
    edits = [
        lambda: type_text(qtbot, window, "labs.potassium", "abc"),  # an error: the form grows
        lambda: type_text(qtbot, window, "patient.weight", "-"),  # another
        lambda: type_text(qtbot, window, "labs.potassium", "4.2"),  # gone: the form shrinks
        lambda: type_text(qtbot, window, "patient.weight", "80"),
        lambda: pick(qtbot, window.form_view.unit_pickers["labs.magnesium"], "mmol/L"),
        lambda: type_text(qtbot, window, "labs.magnesium", "0.3"),  # a longer note
        lambda: set_checked(qtbot, window.form_view.symptoms["seizure"], True),  # the banner
        lambda: type_text(qtbot, window, "labs.creatinine", ""),  # no plan: notes go
        lambda: set_checked(qtbot, window.form_view.symptoms["seizure"], False),
    ]
    for edit in edits:
        edit()
        shown = on_screen(window)
        assert shown == repainted(window, shown)
