"""The order sheet from the window: when it is offered, what the dialog gets, and the audit
entry of every sheet printed or exported (its hash in the footer, found again in the log)."""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from gui_support import example_case, pdf_text
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from mgdesk.document.sheet import EVALUATION_INSTALL, OrderSheet, build_sheet, plan_blockers
from mgdesk.gui.assessment import Assessment
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings
from mgdesk.gui.sheet_dialog import OrderSheetDialog
from mgdesk.printing.paper import locale_paper
from mgdesk.records import audit
from mgdesk.records.audit import AuditLog
from mgdesk.records.safefile import FileLock

MILD = "mild-oral-1.4-mg-dl.json"
TORSADES = "torsades-with-pulse.json"
AUDIT_ENTRY = re.compile(r"Audit entry ([0-9a-f]{64})")


@pytest.fixture
def fast_audit_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked log gives up after 0.1 s instead of 2 s (the window makes its own AuditLog)."""
    defaults = AuditLog.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "busy_timeout", 0.1)


def show(window: MainWindow, document: dict[str, object]) -> None:
    assert window.form.load(document) == []


def open_dialog(qtbot: QtBot, window: MainWindow) -> OrderSheetDialog:
    assert window.menus.order_sheet_action.isEnabled(), window.menus.order_sheet_action.toolTip()
    window.menus.order_sheet_action.trigger()  # the guard fails the test if this were exec()
    (dialog,) = [d for d in window.findChildren(OrderSheetDialog) if d.isVisible()]
    prescriber = dialog.findChild(QLineEdit, "prescriber")
    assert prescriber is not None
    if not prescriber.text():  # the printed name is required; tests of other things give one
        prescriber.setText("Dr Jane Roe")
    return dialog


def export(
    qtbot: QtBot, dialog: OrderSheetDialog, path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Export the sheet as a PDF through the dialog; returns the audit hash in its footer."""
    monkeypatch.setattr(dialog, "_ask_pdf_path", lambda suggested: path)
    with qtbot.waitSignal(dialog.sheet_produced):
        dialog.pdf_button.click()
    printed = set(AUDIT_ENTRY.findall(pdf_text(path)))
    assert len(printed) == 1, printed
    return printed.pop()


@pytest.mark.parametrize(
    ("changes", "enabled", "tooltip"),
    [
        pytest.param({}, True, "Preview, print or export", id="orders"),
        pytest.param({"labs": {"magnesium": "2.0 mg/dL"}}, False, "no order to sign", id="none"),
        pytest.param({"patient": {"age_years": 15}}, False, "outside this protocol", id="child"),
        pytest.param({"labs": {"magnesium": "1.4"}}, False, "No plan yet", id="no-plan"),
    ],
)
def test_the_sheet_is_offered_only_for_a_plan_with_orders(
    window: MainWindow, changes: dict[str, dict[str, object]], enabled: bool, tooltip: str
) -> None:
    action = window.menus.order_sheet_action
    assert not action.isEnabled() and "No plan yet" in action.toolTip()
    show(window, example_case(MILD, **changes))
    assert action.isEnabled() is enabled
    assert tooltip in action.toolTip()


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"labs": {"magnesium": "2.0 mg/dL"}}, id="none"),
        pytest.param({"patient": {"age_years": 15}}, id="child"),
    ],
)
def test_the_action_gives_the_reason_the_core_gives(
    window: MainWindow, changes: dict[str, dict[str, object]]
) -> None:
    """Whether a plan can have a sheet is decided once, by sheet.plan_blockers."""
    show(window, example_case(MILD, **changes))
    current = window.current_case_and_plan()
    assert current is not None and window.protocol is not None
    assert window.menus.order_sheet_action.toolTip() == " ".join(
        plan_blockers(current[1], window.protocol)
    )


def test_a_withheld_plan_has_no_sheet(window: MainWindow) -> None:
    show(window, example_case(MILD))
    window.show_assessment(
        Assessment({"format": "mgdesk-case/1"}, None, None, (), ("invariant 3 broken",))
    )
    assert not window.menus.order_sheet_action.isEnabled()
    assert "withheld by a safety check" in window.menus.order_sheet_action.toolTip()


def test_without_a_protocol_the_sheet_says_why(qtbot: QtBot) -> None:
    from gui_support import make_window

    window = make_window(qtbot, None)
    assert not window.menus.order_sheet_action.isEnabled()
    assert "protocol is not loaded" in window.menus.order_sheet_action.toolTip()


@pytest.mark.slow
def test_the_dialog_gets_the_case_plan_and_remembered_settings(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.settings.facility_name = "St Elsewhere"
    window.settings.last_prescriber = "Dr Ann Smith"
    window.settings.paper_size = "letter"
    show(window, example_case(MILD))
    current = window.current_case_and_plan()
    assert current is not None and window.protocol is not None
    case, plan = current
    dialog = open_dialog(qtbot, window)
    summary = dialog.summary.text()  # what the user checks before signing
    assert "Example, Mild, ID DEMO-0001" in summary
    assert "St Elsewhere" in summary
    assert f"{window.protocol.id} version {window.protocol.version}" in summary
    assert plan.orders and all(html.escape(o.title) in summary for o in plan.orders)
    produced: list[OrderSheet] = []
    dialog.sheet_produced.connect(lambda sheet, where: produced.append(sheet))
    export(qtbot, dialog, tmp_path / "sheet.pdf", monkeypatch)
    (sheet,) = produced
    expected = build_sheet(
        case,
        plan,
        window.protocol,
        facility="St Elsewhere",
        prescriber="Dr Ann Smith",
        acknowledged=[],
        generated_at=sheet.generated_at,
        sheet_id=sheet.sheet_id,
    )
    assert sheet == replace(expected, audit_hash=sheet.audit_hash)
    assert dialog.prescriber_name() == "Dr Ann Smith"
    assert dialog.paper() == "letter"
    assert dialog.isModal() and dialog.parent() is window
    dialog.close()

    window.settings.paper_size = ""  # automatic: the locale's, never a printer's
    dialog = open_dialog(qtbot, window)
    assert dialog.paper() == locale_paper()


def test_stop_warnings_must_be_acknowledged_in_the_dialog(qtbot: QtBot, window: MainWindow) -> None:
    show(window, example_case(TORSADES))
    dialog = open_dialog(qtbot, window)
    assert not dialog.pdf_button.isEnabled()
    reasons = dialog.findChild(QLabel, "reasons")
    assert reasons is not None and "Stop-level warning not acknowledged" in reasons.text()
    check = dialog.findChild(QCheckBox, "acknowledge_torsades_do_not_delay")
    assert check is not None
    check.setChecked(True)
    assert dialog.pdf_button.isEnabled() and dialog.print_button.isEnabled()


@pytest.mark.slow
@pytest.mark.parametrize("record_patient_id", [False, True])
def test_an_exported_sheet_prints_the_hash_of_its_audit_entry(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    record_patient_id: bool,
) -> None:
    window.settings.record_patient_id = record_patient_id
    show(window, example_case(MILD))
    dialog = open_dialog(qtbot, window)
    prescriber = dialog.findChild(QLineEdit, "prescriber")
    paper = dialog.findChild(QComboBox, "paper")
    assert prescriber is not None and paper is not None
    prescriber.setText("Dr B. Jones")
    registration = dialog.findChild(QLineEdit, "prescriber_registration")
    contact = dialog.findChild(QLineEdit, "prescriber_contact")
    assert registration is not None and contact is not None
    registration.setText("GMC 7654321")
    contact.setText("bleep 4321")
    paper.setCurrentIndex(paper.findData("letter"))
    path = tmp_path / "sheet.pdf"
    printed = export(qtbot, dialog, path, monkeypatch)

    log = AuditLog(data_dir / "audit.sqlite3")
    found = log.find_sheet(printed)
    assert found.verified and found.entry is not None
    assert found.entry.patient_id == ("DEMO-0001" if record_patient_id else None)
    sheet, outcome = log.entries()
    assert (sheet.kind, outcome.kind) == ("sheet", "outcome")
    assert outcome.refers_to == printed and outcome.output == str(path.resolve())
    assert "Sheet " + sheet.sheet_id in pdf_text(path)
    assert EVALUATION_INSTALL not in pdf_text(path)
    assert not dialog.audit_notice.isVisible() and not window.notices.isVisible()
    # The prescriber and the paper are remembered for the next sheet.
    remembered = open_settings()
    assert (
        remembered.last_prescriber,
        remembered.last_prescriber_registration,
        remembered.last_prescriber_contact,
        remembered.paper_size,
    ) == ("Dr B. Jones", "GMC 7654321", "bleep 4321", "letter")
    assert "GMC 7654321" in pdf_text(path) and "bleep 4321" in pdf_text(path)


def test_a_cancelled_or_failed_export_is_recorded_as_not_output(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    show(window, example_case(MILD))
    dialog = open_dialog(qtbot, window)
    monkeypatch.setattr(dialog, "_ask_pdf_path", lambda suggested: None)
    with qtbot.assertNotEmitted(dialog.sheet_produced):
        dialog.pdf_button.click()
    errors: list[str] = []
    monkeypatch.setattr(dialog, "_show_error", errors.append)
    monkeypatch.setattr(dialog, "_ask_pdf_path", lambda suggested: tmp_path / "no" / "x.pdf")
    with qtbot.assertNotEmitted(dialog.sheet_produced):
        dialog.pdf_button.click()
    assert errors and errors[0] == (
        f"The PDF could not be written: the folder {tmp_path / 'no'} does not exist"
    )
    entries = AuditLog(data_dir / "audit.sqlite3").entries()
    assert [(e.kind, e.result) for e in entries] == [
        ("sheet", None),
        ("outcome", "not output"),
        ("sheet", None),
        ("outcome", "not output"),
    ]
    assert entries[1].note == "the file dialog was cancelled"
    assert entries[3].note == f"the folder {tmp_path / 'no'} does not exist"


@pytest.fixture
def audit_lock(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """An exclusive lock on the audit log, held by another connection (another program)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    holder = sqlite3.connect(data_dir / "audit.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    yield holder
    holder.close()


@pytest.mark.slow
@pytest.mark.usefixtures("fast_audit_log")
def test_a_locked_audit_log_is_shown_and_the_entry_kept_for_later(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    data_dir: Path,
    audit_lock: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    show(window, example_case(MILD))
    dialog = open_dialog(qtbot, window)
    printed = export(qtbot, dialog, tmp_path / "sheet.pdf", monkeypatch)
    for shown in (dialog.audit_notice, window.notices.label):
        assert "in use by another program" in shown.text()
        assert "queue" in shown.text()
    assert dialog.audit_notice.isVisible() and window.notices.isVisible()
    log = AuditLog(data_dir / "audit.sqlite3")
    queued = log.queued()  # the sheet's entry, then its outcome
    assert [item["content"]["kind"] for item in queued] == ["sheet", "outcome"]
    assert queued[0]["queued_as"] == printed
    audit_lock.rollback()  # the other program lets go: the queue is recorded, in order
    assert log.flush_pending().waiting == 0
    assert log.find_sheet(printed).verified


@pytest.mark.usefixtures("fast_audit_log")
def test_a_busy_queue_while_the_sheet_is_exported_is_shown_and_nothing_lost(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    data_dir: Path,
    audit_lock: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another program takes the audit queue's lock while the user picks the PDF's name:
    the outcome is kept all the same, and the dialog and the window say why."""
    monkeypatch.setattr(audit, "QUEUE_LOCK_SECONDS", 0.1)
    queue_holder = FileLock(data_dir / "audit.sqlite3.queue.lock")
    path = tmp_path / "sheet.pdf"

    def take_the_queue_then_choose(suggested: str) -> Path:
        assert queue_holder.acquire()
        return path

    show(window, example_case(MILD))
    dialog = open_dialog(qtbot, window)
    monkeypatch.setattr(dialog, "_ask_pdf_path", take_the_queue_then_choose)
    with queue_holder, qtbot.waitSignal(dialog.sheet_produced):
        dialog.pdf_button.click()
    for shown in (dialog.audit_notice, window.notices.label):
        assert "the audit queue is in use" in shown.text()
    (printed,) = set(AUDIT_ENTRY.findall(pdf_text(path)))
    audit_lock.rollback()
    log = AuditLog(data_dir / "audit.sqlite3")
    assert log.flush_pending().waiting == 0
    outcome = log.entries()[-1]
    assert (outcome.refers_to, outcome.output) == (printed, str(path.resolve()))
    assert log.find_sheet(printed).verified


@pytest.mark.slow
def test_a_damaged_audit_log_is_shown_and_the_sheet_still_produced(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "audit.sqlite3").write_bytes(b"this is not a database" * 100)
    show(window, example_case(MILD))
    dialog = open_dialog(qtbot, window)
    export(qtbot, dialog, tmp_path / "sheet.pdf", monkeypatch)
    assert "damaged" in dialog.audit_notice.text() or "cannot be used" in dialog.audit_notice.text()
    assert window.notices.isVisible()


def test_no_sheet_when_the_entry_can_be_recorded_nowhere(
    qtbot: QtBot,
    window: MainWindow,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (data_dir / "audit.sqlite3").mkdir(parents=True)  # neither the log
    (data_dir / "audit.sqlite3.queue.jsonl").mkdir()  # nor its queue can be written
    show(window, example_case(MILD))
    dialog = open_dialog(qtbot, window)
    asked: list[str] = []
    monkeypatch.setattr(dialog, "_ask_pdf_path", asked.append)
    with qtbot.assertNotEmitted(dialog.sheet_produced):
        dialog.pdf_button.click()
    assert asked == []
    assert "no order sheet was produced" in dialog.audit_notice.text()
    assert "Nothing has been recorded" in window.notices.label.text()


@pytest.mark.slow
def test_a_sheet_made_with_an_evaluation_install_says_so(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.protocol is not None
    window.install_protocol(
        window.protocol, "per-user (evaluation) install", evaluation_install=True
    )
    show(window, example_case(MILD))
    path = tmp_path / "sheet.pdf"
    export(qtbot, open_dialog(qtbot, window), path, monkeypatch)
    assert EVALUATION_INSTALL in pdf_text(path)


@pytest.mark.slow
def test_print_from_the_preview_goes_through_the_audited_print(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    show(window, example_case(MILD))
    dialog = open_dialog(qtbot, window)
    previews: list[QPrintPreviewDialog] = []

    def show_preview(preview: QPrintPreviewDialog) -> None:
        with qtbot.waitSignal(preview.paintRequested):
            preview.show()
        previews.append(preview)

    output = tmp_path / "printed.pdf"

    def print_to_file(printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(output))
        return True

    monkeypatch.setattr(dialog, "_run_preview", show_preview)
    monkeypatch.setattr(dialog, "_ask_print_settings", print_to_file)
    dialog.preview_button.click()
    (print_action,) = [a for a in previews[0].findChildren(QAction) if a.text() == "Print"]
    with qtbot.waitSignal(dialog.sheet_produced) as produced:
        print_action.trigger()
    assert not previews[0].isVisible()
    assert produced.args[1] == f"PDF: {output}"
    printed = AUDIT_ENTRY.findall(pdf_text(output))
    assert printed and AuditLog(data_dir / "audit.sqlite3").find_sheet(printed[0]).verified
