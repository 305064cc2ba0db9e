"""GUI test set-up: offscreen Qt, a throwaway data folder, and no modal dialog can block.

Both environment variables are set at import, before pytest-qt creates the
QApplication; MGDESK_DATA_DIR is then pointed at each test's own tmp_path (and
MGDESK_SYSTEM_DIR too, so no machine-wide protocol is ever read).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# MGDESK_DATA_DIR only by default: another test folder may have set it for the session.
os.environ["QT_QPA_PLATFORM"] = "offscreen"  # never a real display, whatever the shell says
os.environ.setdefault("MGDESK_DATA_DIR", tempfile.mkdtemp(prefix="mgdesk-gui-tests-"))

import pytest
from gui_support import MODAL_INSTANCE_METHODS, MODAL_STATIC_METHODS, make_window, refuse
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.gui.main_window import MainWindow


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every blocking dialog call fails at once instead of hanging the suite."""
    for cls, method in MODAL_INSTANCE_METHODS:
        monkeypatch.setattr(cls, method, refuse(f"{cls.__name__}.{method}"))
    for cls, names in MODAL_STATIC_METHODS:
        for name in names:
            monkeypatch.setattr(cls, name, staticmethod(refuse(f"{cls.__name__}.{name}")))


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "mgdesk-data"
    monkeypatch.setenv("MGDESK_DATA_DIR", str(folder))
    monkeypatch.setenv(
        "MGDESK_SYSTEM_DIR", str(tmp_path / "mgdesk-system")
    )  # no machine-wide protocol
    return folder


@pytest.fixture(scope="session")
def protocol() -> Protocol:
    return default_protocol()


@pytest.fixture
def window(qtbot: QtBot, protocol: Protocol) -> MainWindow:
    return make_window(qtbot, protocol)
