"""The modal-dialog guard: every blocking dialog fails fast instead of hanging the suite."""

from __future__ import annotations

import pytest
from gui_support import ModalDialogError, action
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from mgdesk.gui.main_window import MainWindow


def test_instance_exec_fails_fast(qtbot: QtBot) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    with pytest.raises(ModalDialogError):
        dialog.exec()
    printing = QPrintDialog()
    qtbot.addWidget(printing)
    with pytest.raises(ModalDialogError):
        printing.exec()


@pytest.mark.parametrize(
    "call",
    [
        lambda: QMessageBox.question(None, "t", "q"),
        lambda: QMessageBox.critical(None, "t", "c"),
        lambda: QMessageBox.aboutQt(None),
        lambda: QFileDialog.getOpenFileName(None, "t"),
        lambda: QFileDialog.getSaveFileName(None, "t"),
        lambda: QFileDialog.getExistingDirectory(None, "t"),
        lambda: QInputDialog.getText(None, "t", "l"),
    ],
)
def test_static_dialogs_fail_fast(call: object) -> None:
    assert callable(call)
    with pytest.raises(ModalDialogError):
        call()


def test_a_menu_action_that_would_block_is_reported(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.captureExceptions() as caught:
        action(window, "Open case…").trigger()
    assert any(isinstance(exc, ModalDialogError) for _, exc, _ in caught)
