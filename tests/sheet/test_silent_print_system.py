"""A print server that does not answer: printing says so within seconds, nothing freezes.

The print server is a local TCP server that accepts and never answers
(tests/offline_guard.py), given to libcups as CUPS_SERVER. Qt's print support would wait a
minute on it at each query, holding the whole process; mgdesk asks it first, with a
bounded wait (mgdesk.printing.spooler), and reports "the printer did not answer".
"""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from sheet_support import REPO_ROOT, evaluated, example, examples_dir

from mgdesk.core.protocol_loader import default_protocol
from mgdesk.gui.sheet_dialog import OrderSheetDialog, SheetRecorder
from mgdesk.printing.render import PrintError
from mgdesk.printing.spooler import check_print_system, print_server
from mgdesk.records.audit import AuditLog

sys.path.insert(0, str(REPO_ROOT / "tests"))
from offline_guard import SilentPrintServer

MILD = "mild-oral-1.4-mg-dl.json"
QUEUE = "mgdesk-test"  # the cups-pdf queue of test_cups.py; never reached here
# Far below the minute Qt waits on a silent server; the promise is "a few seconds".
HANG_BOUND_S = 40


@pytest.mark.slow  # waits out the print system's 5 s
def test_the_sheet_command_reports_a_printer_that_does_not_answer(tmp_path: Path) -> None:
    case = examples_dir() / MILD
    with SilentPrintServer() as silent:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "mgdesk",
                "sheet",
                str(case),
                "--printer",
                QUEUE,
                "--prescriber",
                "Dr Jane Roe",
            ],
            cwd=tmp_path,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "CUPS_SERVER": silent.address},
            capture_output=True,
            text=True,
            timeout=HANG_BOUND_S,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert f"the printer '{QUEUE}' did not answer" in result.stderr
    assert f"print system ({silent.address}) sent no reply" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    sheet, outcome = AuditLog(Path(os.environ["MGDESK_DATA_DIR"]) / "audit.sqlite3").entries()
    assert (sheet.kind, outcome.kind, outcome.refers_to) == ("sheet", "outcome", sheet.hash)
    assert outcome.note is not None and "did not answer" in outcome.note


@pytest.mark.slow  # waits out the print system's 5 s
@pytest.mark.parametrize("button", ["print", "preview"])
def test_the_dialog_reports_a_printer_that_does_not_answer(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, button: str
) -> None:
    case, plan = evaluated(example(MILD))
    log = AuditLog(tmp_path / "audit.sqlite3")
    dialog = OrderSheetDialog(
        None,
        case,
        plan,
        default_protocol(),
        facility="St Elsewhere",
        prescriber="Dr Jane Roe",
        paper="a4",
        recorder=SheetRecorder(log, case.document, plan),
    )
    qtbot.addWidget(dialog)
    errors: list[str] = []
    reached_qt: list[str] = []
    monkeypatch.setattr(dialog, "_show_error", errors.append)
    monkeypatch.setattr(dialog, "_ask_print_settings", lambda p: reached_qt.append("print") or 0)
    monkeypatch.setattr(dialog, "_run_preview", lambda p: reached_qt.append("preview"))
    repaints = QTimer()  # the window painting: it must go on while the print system is asked
    ticks: list[int] = []
    repaints.timeout.connect(lambda: ticks.append(1))
    repaints.start(100)
    with SilentPrintServer() as silent:
        monkeypatch.setenv("CUPS_SERVER", silent.address)
        with qtbot.assertNotEmitted(dialog.sheet_produced):
            (dialog.print_button if button == "print" else dialog.preview_button).click()
    repaints.stop()
    assert ticks, "the window's event loop stood still while the print system was asked"
    assert reached_qt == []
    (error,) = errors
    assert error.startswith("The printer did not answer") and silent.address in error
    if button == "print":  # the print was recorded as not output, and why
        sheet, outcome = log.entries()
        assert outcome.refers_to == sheet.hash and "did not answer" in (outcome.note or "")
    else:
        assert not log.path.exists()  # a preview is not output


def answering_server(reply: bytes) -> tuple[socket.socket, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def answer() -> None:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(1024)
            connection.sendall(reply)

    thread = threading.Thread(target=answer)
    thread.start()
    return listener, thread


def test_a_print_system_that_answers_or_refuses_is_left_to_qt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener, thread = answering_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    with listener:
        host, port = listener.getsockname()
        monkeypatch.setenv("CUPS_SERVER", f"{host}:{port}")
        check_print_system(wait_s=10)
        thread.join(10)
    # Nothing listens there any more: refused at once, so Qt finds no printer at once.
    check_print_system(wait_s=10)


def test_a_silent_print_system_is_reported_naming_the_printer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with SilentPrintServer() as silent:
        monkeypatch.setenv("CUPS_SERVER", silent.address)
        with pytest.raises(PrintError, match="the printer 'ward-3' did not answer"):
            check_print_system("ward-3", wait_s=0.5)
    assert len(silent.connections) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="no CUPS on Windows")
@pytest.mark.parametrize(
    ("setting", "server"),
    [
        ("print.example.org", ("print.example.org", 631)),
        ("127.0.0.1:8631", ("127.0.0.1", 8631)),
        ("[::1]:8631", ("::1", 8631)),
        ("::1", ("::1", 631)),
        ("/tmp/cups.sock", "/tmp/cups.sock"),
        ("print.example.org:631/version=1.1", ("print.example.org", 631)),
    ],
)
def test_the_print_server_is_found_as_libcups_finds_it(
    tmp_path: Path, setting: str, server: object
) -> None:
    assert print_server({"CUPS_SERVER": setting}, home=tmp_path) == server
    conf = tmp_path / ".cups" / "client.conf"
    conf.parent.mkdir()
    conf.write_text(f"# mine\nServerName {setting}\n", encoding="utf-8")
    assert print_server({}, home=tmp_path) == server
    assert print_server({"CUPS_SERVER": "elsewhere"}, home=tmp_path) == ("elsewhere", 631)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs local sockets")
def test_a_local_scheduler_that_is_not_running_is_left_to_qt_and_nothing_leaks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A stopped cupsd leaves its socket file behind: connecting is refused at once.
    stale = tmp_path / "cups.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(stale))
    monkeypatch.setenv("CUPS_SERVER", str(stale))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_print_system(wait_s=10)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
