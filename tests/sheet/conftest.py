"""The order sheet tests: offscreen Qt, a private data folder, and no modal call that could hang."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtPrintSupport import QPageSetupDialog, QPrintDialog
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox
from sheet_support import ModalCallError

MODAL_CALLS: tuple[tuple[type, str], ...] = (
    (QDialog, "exec"),
    (QPrintDialog, "exec"),
    (QPageSetupDialog, "exec"),
    (QMessageBox, "question"),
    (QMessageBox, "information"),
    (QMessageBox, "warning"),
    (QMessageBox, "critical"),
    (QMessageBox, "about"),
    (QFileDialog, "getOpenFileName"),
    (QFileDialog, "getSaveFileName"),
    (QFileDialog, "getExistingDirectory"),
)


def _refuse(owner: type, name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ModalCallError(f"{owner.__name__}.{name} was called: replace it in the test")

    return refuse


@pytest.fixture(autouse=True)
def no_modal_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    for owner, name in MODAL_CALLS:
        monkeypatch.setattr(owner, name, _refuse(owner, name))


@pytest.fixture(autouse=True, scope="session")
def widgets_application(qapp: QApplication) -> QApplication:
    """pytest-qt's QApplication before any test: a sheet rendered first would otherwise make
    a QGuiApplication, and every test after it that needs widgets would fail."""
    return qapp
