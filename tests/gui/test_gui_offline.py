"""Offline by construction: the window and the order sheet work with networking disabled.

Each run is a child process under tests/offline_guard.py, which makes every attempt to
resolve a name or to connect or send on an internet socket fail and records it. Qt's print
support reaches CUPS below Python, so the PDF is also made with CUPS_SERVER pointing at a
local server that accepts and never answers: no PDF may connect to it (or wait a minute).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from gui_support import pdf_text

from mgdesk import resources
from mgdesk.records.audit import AuditLog

GUARD_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(GUARD_DIR))
import offline_guard  # noqa: E402

pytestmark = pytest.mark.slow  # each test starts mgdesk in a subprocess

CASE = str(files(resources).joinpath("examples", "mild-oral-1.4-mg-dl.json"))
# The window opens the case, then the order sheet is exported as a PDF through its dialog.
EXPORT_THROUGH_THE_WINDOW = f"""
import sys
from pathlib import Path

sys.path.insert(0, {str(GUARD_DIR)!r})
import offline_guard

offline_guard.install()
from PySide6.QtWidgets import QApplication

from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings
from mgdesk.gui.sheet_dialog import OrderSheetDialog

app = QApplication(sys.argv[:1])
settings = open_settings()
settings.last_prescriber = "Dr Jane Roe"  # the printed name is required
window = MainWindow(settings)
window.show()
assert window.finish_startup(Path(sys.argv[1])), window.statusBar().currentMessage()
window.menus.open_order_sheet()
dialog = window.findChild(OrderSheetDialog)
dialog._ask_pdf_path = lambda suggested: Path(sys.argv[2])
dialog._show_error = lambda message: sys.exit(message)
dialog.export_pdf()
assert not window.notices.isVisible(), window.notices.label.text()
assert "PySide6.QtNetwork" not in sys.modules, "nothing may even load Qt's network module"
print("exported")
"""


def run_guarded(
    command: list[str], attempts: Path, print_server: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run command guarded; print_server is given to libcups as CUPS_SERVER."""
    result = subprocess.run(
        command,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            offline_guard.LOG_VARIABLE: str(attempts),
            **({"CUPS_SERVER": print_server} if print_server else {}),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert not attempts.exists() or attempts.read_text() == "", attempts.read_text()
    assert "network attempt" not in result.stderr and "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--exit-after-startup"], id="first-paint"),
        pytest.param(["--exit-after-startup", CASE], id="with-a-case"),
    ],
)
def test_the_window_starts_with_networking_disabled(tmp_path: Path, args: list[str]) -> None:
    run_guarded(offline_guard.command(args), tmp_path / "attempts.log")


def test_an_order_sheet_is_exported_from_the_window_with_networking_disabled(
    tmp_path: Path, data_dir: Path
) -> None:
    pdf = tmp_path / "sheet.pdf"
    result = run_guarded(
        [sys.executable, "-c", EXPORT_THROUGH_THE_WINDOW, CASE, str(pdf)],
        tmp_path / "attempts.log",
    )
    assert result.stdout.strip() == "exported"
    assert "Audit entry" in pdf_text(pdf)
    assert [e.kind for e in AuditLog(data_dir / "audit.sqlite3").entries()] == ["sheet", "outcome"]


def test_the_sheet_command_writes_a_pdf_with_networking_disabled(tmp_path: Path) -> None:
    pdf = tmp_path / "sheet.pdf"
    run_guarded(
        offline_guard.command(["sheet", CASE, "-o", str(pdf), "--prescriber", "Dr Jane Roe"]),
        tmp_path / "attempts.log",
    )
    assert "Audit entry" in pdf_text(pdf)


def test_a_pdf_from_the_window_never_asks_the_print_system(tmp_path: Path, data_dir: Path) -> None:
    pdf = tmp_path / "sheet.pdf"
    with offline_guard.SilentPrintServer() as print_server:
        result = run_guarded(
            [sys.executable, "-c", EXPORT_THROUGH_THE_WINDOW, CASE, str(pdf)],
            tmp_path / "attempts.log",
            print_server.address,
        )
    assert result.stdout.strip() == "exported"
    assert "Audit entry" in pdf_text(pdf)
    assert print_server.connections == []


def test_the_sheet_command_never_asks_the_print_system_for_a_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "sheet.pdf"
    with offline_guard.SilentPrintServer() as print_server:
        result = run_guarded(
            offline_guard.command(["sheet", CASE, "-o", str(pdf), "--prescriber", "Dr Jane Roe"]),
            tmp_path / "attempts.log",
            print_server.address,
        )
    assert "Audit entry" in pdf_text(pdf)
    assert print_server.connections == []
    assert "written to" in result.stdout
