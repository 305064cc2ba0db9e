"""The order sheet dialog with pytest-qt, offscreen; every modal call is replaced."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
)
from pytestqt.qtbot import QtBot
from sheet_support import (
    LETTER_POINTS,
    ModalCallError,
    evaluated,
    example,
    media_box,
    pdf_pages,
    with_changes,
)

from mgdesk.core.protocol_loader import default_protocol
from mgdesk.gui.sheet_dialog import OrderSheetDialog

MILD = "mild-oral-1.4-mg-dl.json"
TORSADES = "torsades-with-pulse.json"


def dialog_for(qtbot: QtBot, document: dict[str, Any], paper: str = "a4") -> OrderSheetDialog:
    case, plan = evaluated(document)
    dialog = OrderSheetDialog(
        None,
        case,
        plan,
        default_protocol(),
        facility="St Elsewhere",
        prescriber="Dr Jane Roe",
        paper=paper,
    )
    qtbot.addWidget(dialog)
    return dialog


def reasons_text(dialog: OrderSheetDialog) -> str:
    reasons = dialog.findChild(QLabel, "reasons")
    assert reasons is not None
    return reasons.text()


def choose_paper(dialog: OrderSheetDialog, paper: str) -> None:
    picker = dialog.findChild(QComboBox, "paper")
    assert picker is not None
    picker.setCurrentIndex(picker.findData(paper))


def producing_buttons(dialog: OrderSheetDialog) -> list[bool]:
    return [b.isEnabled() for b in (dialog.preview_button, dialog.print_button, dialog.pdf_button)]


def test_the_buttons_wait_for_each_stop_warning_to_be_acknowledged(qtbot: QtBot) -> None:
    dialog = dialog_for(qtbot, example(TORSADES))
    assert producing_buttons(dialog) == [False, False, False]
    assert "Stop-level warning not acknowledged: Torsades de pointes" in reasons_text(dialog)
    assert "torsades_do_not_delay" not in reasons_text(dialog)
    check = dialog.findChild(QCheckBox, "acknowledge_torsades_do_not_delay")
    assert check is not None
    check.setChecked(True)
    assert producing_buttons(dialog) == [True, True, True]
    assert dialog.refusal_reasons() == ()
    check.setChecked(False)
    assert producing_buttons(dialog) == [False, False, False]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            with_changes(example(MILD), patient={"allergies": None}),
            "Allergies are not recorded",
            id="allergies",
        ),
        pytest.param(
            with_changes(
                example(MILD), patient={"weight": None}, labs={"creatinine_clearance": "90 mL/min"}
            ),
            "Weight is not recorded",
            id="weight",
        ),
        pytest.param(
            with_changes(example(MILD), labs={"magnesium": "2 mg/dL"}),
            "no order to sign",
            id="nothing",
        ),
    ],
)
def test_the_reasons_are_shown_while_no_sheet_can_be_produced(
    qtbot: QtBot, document: dict[str, Any], expected: str
) -> None:
    dialog = dialog_for(qtbot, document)
    assert producing_buttons(dialog) == [False, False, False]
    assert expected in reasons_text(dialog)


def test_export_pdf(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = dialog_for(qtbot, example(MILD))
    choose_paper(dialog, "letter")
    asked: list[str] = []

    def ask(suggested: str) -> Path:
        asked.append(suggested)
        return tmp_path / "exported"

    monkeypatch.setattr(dialog, "_ask_pdf_path", ask)
    with qtbot.waitSignal(dialog.sheet_produced) as produced:
        dialog.pdf_button.click()
    path = tmp_path / "exported.pdf"
    assert asked and asked[0].startswith("order-sheet-") and asked[0].endswith(".pdf")
    sheet, where = produced.args
    assert where == f"PDF: {path}"
    pages = pdf_pages(path)
    assert f"Sheet {sheet.sheet_id}" in pages[0] and "Printed name Dr Jane Roe" in " ".join(pages)
    assert media_box(path) == LETTER_POINTS
    assert dialog.paper() == "letter" and dialog.prescriber_name() == "Dr Jane Roe"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX named pipes")
def test_exporting_over_a_named_pipe_is_refused_in_a_message(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = dialog_for(qtbot, example(MILD))
    pipe = tmp_path / "exported.pdf"
    os.mkfifo(pipe)
    monkeypatch.setattr(dialog, "_ask_pdf_path", lambda suggested: pipe)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    with qtbot.assertNotEmitted(dialog.sheet_produced):
        dialog.pdf_button.click()
    assert len(shown) == 1
    assert f"{pipe} is a named pipe (FIFO), not a regular file" in shown[0]
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_cancelling_the_file_dialog_writes_nothing(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = dialog_for(qtbot, example(MILD))
    monkeypatch.setattr(dialog, "_ask_pdf_path", lambda suggested: None)
    with qtbot.assertNotEmitted(dialog.sheet_produced):
        dialog.pdf_button.click()
    assert list(tmp_path.iterdir()) == []


def test_print_goes_through_the_print_dialog(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = dialog_for(qtbot, example(MILD))
    output = tmp_path / "printed.pdf"

    def accept(printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(output))
        return True

    monkeypatch.setattr(dialog, "_ask_print_settings", accept)
    with qtbot.waitSignal(dialog.sheet_produced):
        dialog.print_button.click()
    assert "page 1 of" in pdf_pages(output)[0]
    monkeypatch.setattr(dialog, "_ask_print_settings", lambda printer: False)
    with qtbot.assertNotEmitted(dialog.sheet_produced):
        dialog.print_button.click()


def test_the_preview_paints_the_sheet(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = dialog_for(qtbot, example(TORSADES))
    check = dialog.findChild(QCheckBox, "acknowledge_torsades_do_not_delay")
    assert check is not None
    check.setChecked(True)
    shown: list[QPrintPreviewDialog] = []

    def show(preview: QPrintPreviewDialog) -> None:
        qtbot.addWidget(preview)
        with qtbot.waitSignal(preview.paintRequested):
            preview.show()
        shown.append(preview)

    monkeypatch.setattr(dialog, "_run_preview", show)
    dialog.preview_button.click()
    assert shown and shown[0].parent() is dialog  # the dialog owns (and keeps) its preview
    widget = shown[0].findChild(QPrintPreviewWidget)
    assert widget is not None
    qtbot.waitUntil(lambda: widget.pageCount() >= 3)
    shown[0].close()


def test_the_guard_stops_every_modal_call(qtbot: QtBot) -> None:
    for call in (
        lambda: QDialog().exec(),
        lambda: QPrintDialog(QPrinter()).exec(),
        lambda: QFileDialog.getSaveFileName(None, "x"),
        lambda: QMessageBox.critical(None, "x", "y"),
    ):
        with pytest.raises(ModalCallError):
            call()


def test_the_prescribers_printed_name_is_required_and_the_identity_fields_are_there(
    qtbot: QtBot,
) -> None:
    dialog = dialog_for(qtbot, example(TORSADES))
    check = dialog.findChild(QCheckBox, "acknowledge_torsades_do_not_delay")
    assert check is not None
    assert "torsades_do_not_delay" not in check.text()  # the warning's words, never its code
    check.setChecked(True)
    assert producing_buttons(dialog) == [True, True, True]
    name = dialog.findChild(QLineEdit, "prescriber")
    registration = dialog.findChild(QLineEdit, "prescriber_registration")
    contact = dialog.findChild(QLineEdit, "prescriber_contact")
    assert name is not None and registration is not None and contact is not None
    name.setText("   ")
    assert producing_buttons(dialog) == [False, False, False]
    assert "printed name is not entered" in reasons_text(dialog)
    name.setText("Dr Jane Roe")
    registration.setText("GMC 7654321")
    contact.setText("bleep 4321")
    assert producing_buttons(dialog) == [True, True, True]
    assert (dialog.prescriber_registration(), dialog.prescriber_contact()) == (
        "GMC 7654321",
        "bleep 4321",
    )
