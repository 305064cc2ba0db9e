"""Printed identity is what was typed: the sheet, the command line and the dialog refuse
text with invisible direction, format or control characters, and print right-to-left
names isolated from the text around them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from sheet_support import (
    FACILITY,
    GENERATED_AT,
    evaluated,
    example,
    pdf_pages,
    sheet_for,
    with_changes,
    write_case,
)

from mgdesk.commands import sheet as sheet_cli
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.core.text import FACILITY_LIMIT, PRESCRIBER_LIMIT
from mgdesk.document.sheet import SheetRefused, build_sheet
from mgdesk.document.sheet_html import render_header_html, sheet_text
from mgdesk.gui.preferences import PreferencesDialog
from mgdesk.gui.settings import open_settings
from mgdesk.gui.sheet_dialog import OrderSheetDialog, SheetRecorder
from mgdesk.records.audit import AuditLog

MILD = "mild-oral-1.4-mg-dl.json"
FSI, PDI = "\u2068", "\u2069"
HEBREW_NAME = "כהן, שרה"
ARABIC_ID = "ملف-٧٧"
RIGHT_TO_LEFT = with_changes(
    example(MILD), patient={"name": HEBREW_NAME, "id": ARABIC_ID, "allergies": "بنسلين"}
)
# (prescriber or facility as given, the code point the refusal names)
UNPRINTABLE = [
    pytest.param("Dr \u202eliveD", "U+202E", id="override"),
    pytest.param("Dr Jane\u200b Roe", "U+200B", id="zero-width-space"),
    pytest.param("Dr \u2067Jane Roe", "U+2067", id="isolate"),
    pytest.param("Dr Jane Roe\x07", "U+0007", id="control"),
]


def sheet_with(facility: str = FACILITY, prescriber: str | None = "Dr Jane Roe") -> Any:
    case, plan = evaluated(example(MILD))
    return build_sheet(
        case,
        plan,
        default_protocol(),
        facility=facility,
        prescriber=prescriber,
        acknowledged=(),
        generated_at=GENERATED_AT,
        sheet_id="TEST0-SHEET",
    )


# -- the sheet model ------------------------------------------------------------------------


def test_right_to_left_patient_details_are_isolated_where_the_sheet_prints_them() -> None:
    sheet = sheet_for(RIGHT_TO_LEFT, prescriber="ד״ר לוי")
    text = sheet_text(sheet)
    assert f"Patient: {FSI}{HEBREW_NAME}{PDI} · ID: {FSI}{ARABIC_ID}{PDI}" in text
    assert f"Allergies {FSI}بنسلين{PDI}" in text
    assert f"Printed name\n{FSI}ד״ר לוי{PDI}" in text
    assert f"{FSI}{HEBREW_NAME}{PDI}" in render_header_html(sheet)


def test_a_right_to_left_facility_is_isolated_and_latin_text_is_unchanged() -> None:
    sheet = sheet_with(facility="مستشفى المدينة")
    assert sheet.facility == f"{FSI}مستشفى المدينة{PDI}"
    assert sheet.patient_name == "Example, Mild" and sheet.prescriber == "Dr Jane Roe"


@pytest.mark.parametrize(("text", "code"), UNPRINTABLE)
def test_the_sheet_refuses_a_prescriber_or_facility_that_would_not_print_as_typed(
    text: str, code: str
) -> None:
    with pytest.raises(SheetRefused) as prescriber:
        sheet_with(prescriber=text)
    assert any(
        r.startswith("The prescriber's name contains") and code in r
        for r in prescriber.value.reasons
    )
    with pytest.raises(SheetRefused) as facility:
        sheet_with(facility=f"St {text}")
    assert any(
        r.startswith("The facility name contains") and code in r for r in facility.value.reasons
    )


def test_the_sheet_refuses_a_prescriber_or_facility_over_its_limit() -> None:
    sheet_with(prescriber="x" * PRESCRIBER_LIMIT, facility="y" * FACILITY_LIMIT)
    with pytest.raises(SheetRefused) as raised:
        sheet_with(prescriber="x" * (PRESCRIBER_LIMIT + 1), facility="y" * (FACILITY_LIMIT + 1))
    assert raised.value.reasons == (
        f"The facility name is longer than {FACILITY_LIMIT} characters.",
        f"The prescriber's name is longer than {PRESCRIBER_LIMIT} characters.",
    )


# -- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--prescriber", "--facility"])
@pytest.mark.parametrize(("text", "code"), UNPRINTABLE)
def test_the_command_line_refuses_the_option_and_writes_nothing(
    tmp_path: Path, option: str, text: str, code: str
) -> None:
    case = write_case(tmp_path, example(MILD))
    output = tmp_path / "out.pdf"
    out, err = io.StringIO(), io.StringIO()
    exit_code = sheet_cli.run(
        ["sheet", str(case), "-o", str(output), option, text],
        stdin=io.BytesIO(b""),
        stdout=out,
        stderr=err,
    )
    assert exit_code == 2
    assert f"  - {option} contains" in err.getvalue() and code in err.getvalue()
    assert out.getvalue() == "" and not output.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.json"]


def test_the_command_line_refuses_a_prescriber_over_its_limit(tmp_path: Path) -> None:
    case = write_case(tmp_path, example(MILD))
    err = io.StringIO()
    exit_code = sheet_cli.run(
        ["sheet", str(case), "-o", str(tmp_path / "x.pdf"), "--prescriber", "x" * 201],
        stdin=io.BytesIO(b""),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert exit_code == 2
    assert f"--prescriber is longer than {PRESCRIBER_LIMIT} characters" in err.getvalue()


# -- the dialog -----------------------------------------------------------------------------


def dialog_for(
    qtbot: QtBot, document: dict[str, Any], facility: str = FACILITY
) -> OrderSheetDialog:
    case, plan = evaluated(document)
    dialog = OrderSheetDialog(
        None,
        case,
        plan,
        default_protocol(),
        facility=facility,
        prescriber="Dr Jane Roe",  # required: a sheet names its prescriber
        paper="a4",
    )
    qtbot.addWidget(dialog)
    return dialog


def label_text(dialog: OrderSheetDialog, name: str) -> str:
    label = dialog.findChild(QLabel, name)
    assert label is not None
    return label.text()


def buttons_enabled(dialog: OrderSheetDialog) -> list[bool]:
    return [b.isEnabled() for b in (dialog.preview_button, dialog.print_button, dialog.pdf_button)]


@pytest.mark.parametrize(("text", "code"), UNPRINTABLE)
def test_the_dialog_shows_why_a_prescriber_name_cannot_be_printed(
    qtbot: QtBot, text: str, code: str
) -> None:
    dialog = dialog_for(qtbot, example(MILD))
    field = dialog.findChild(QLineEdit, "prescriber")
    assert field is not None and field.maxLength() == PRESCRIBER_LIMIT
    assert buttons_enabled(dialog) == [True, True, True]
    field.setText(text)
    assert "The prescriber's name contains" in label_text(dialog, "reasons")
    assert code in label_text(dialog, "reasons")
    assert buttons_enabled(dialog) == [False, False, False]


def test_the_dialog_and_the_preferences_show_each_names_length_limit(qtbot: QtBot) -> None:
    dialog = dialog_for(qtbot, example(MILD))
    for name in ("prescriber", "prescriber_registration", "prescriber_contact"):
        field = dialog.findChild(QLineEdit, name)
        assert field is not None and field.toolTip() == f"At most {PRESCRIBER_LIMIT} characters"
    preferences = PreferencesDialog(open_settings())
    qtbot.addWidget(preferences)
    assert preferences.facility.toolTip() == f"At most {FACILITY_LIMIT} characters"


def test_the_dialog_refuses_a_facility_from_the_preferences_that_would_not_print(
    qtbot: QtBot,
) -> None:
    dialog = dialog_for(qtbot, example(MILD), facility="St \u202eEvil")
    assert "The facility name contains" in label_text(dialog, "reasons")
    assert buttons_enabled(dialog) == [False, False, False]
    assert "\u202e" not in label_text(dialog, "summary")
    assert "cannot be printed" in label_text(dialog, "summary")


def test_the_dialog_shows_right_to_left_details_isolated(qtbot: QtBot) -> None:
    dialog = dialog_for(qtbot, RIGHT_TO_LEFT, facility="مستشفى")
    summary = label_text(dialog, "summary")
    assert f"{FSI}{HEBREW_NAME}{PDI}, ID {FSI}{ARABIC_ID}{PDI}" in summary
    assert f"{FSI}مستشفى{PDI}" in summary


def test_a_right_to_left_sheet_is_exported_with_its_id_as_typed_in_the_audit_log(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case, plan = evaluated(RIGHT_TO_LEFT)
    log = AuditLog(tmp_path / "audit.sqlite3", record_patient_id=True)
    dialog = OrderSheetDialog(
        None,
        case,
        plan,
        default_protocol(),
        facility=FACILITY,
        prescriber="Dr Jane Roe",
        paper="a4",
        recorder=SheetRecorder(log, case.document, plan),
    )
    qtbot.addWidget(dialog)
    monkeypatch.setattr(dialog, "_ask_pdf_path", lambda suggested: tmp_path / "sheet.pdf")
    with qtbot.waitSignal(dialog.sheet_produced) as produced:
        dialog.pdf_button.click()
    sheet = produced.args[0]
    pages = " ".join(pdf_pages(tmp_path / "sheet.pdf"))
    assert f"Sheet {sheet.sheet_id}" in pages and f"Audit entry {sheet.audit_hash}" in pages
    recorded = [e for e in log.entries() if e.kind == "sheet"]
    assert [(e.hash, e.patient_id) for e in recorded] == [(sheet.audit_hash, ARABIC_ID)]
