"""The sheet on paper: read the PDF back and check what is on each page.

In-process, on pytest-qt's QApplication (the qapp fixture), which ensure_gui_application reuses.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QLocale
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import QApplication
from sheet_support import (
    A4_POINTS,
    FACILITY,
    LETTER_POINTS,
    LIGATURES,
    example,
    media_box,
    pdf_pages,
    sheet_for,
    with_changes,
)

from mgdesk import __version__, resources
from mgdesk.document.sheet import CHECKBOX, END_OF_ORDERS, OrderSheet
from mgdesk.printing import render
from mgdesk.printing.paper import locale_paper, paper_for_locale
from mgdesk.printing.printers import print_sheet, print_to
from mgdesk.printing.render import FONT_FAMILY, PrintError, ensure_gui_application, write_pdf
from mgdesk.records.site_protocol import load_protocol

MILD = "mild-oral-1.4-mg-dl.json"
TORSADES = "torsades-with-pulse.json"
LONG_NOTE = (
    "take with food or at night to limit diarrhoea; do not take within two hours of oral "
    "iron, bisphosphonates, quinolones or tetracyclines; stop and tell the ward pharmacist if "
    "diarrhoea starts, and recheck the level before restarting at the lower dose; "
)


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    assert ensure_gui_application() is qapp
    return qapp


def written(
    sheet: OrderSheet, folder: Path, paper: str = "a4", name: str = "sheet.pdf"
) -> tuple[Path, int]:
    path = folder / name
    pages = write_pdf(sheet, path, paper)
    return path, pages


def assert_header_and_footer_on_every_page(pages: list[str], sheet: OrderSheet) -> None:
    for number, text in enumerate(pages, 1):
        for expected in (
            FACILITY,
            f"page {number} of {len(pages)}",
            sheet.title,
            sheet.population,
            f"Patient: {sheet.patient_name} · ID: {sheet.patient_id}",
            f"Protocol {sheet.protocol_id} version {sheet.protocol_version}",
            f"SHA-256 {sheet.protocol_sha256[:12]}",
            f"Sheet {sheet.sheet_id} · generated {sheet.generated_text} · mgdesk {__version__}",
            "NOT site-approved protocol",
        ):
            assert expected in text, f"page {number}: {expected!r} missing"


def test_the_mild_sheet_reads_back_page_by_page(app: QApplication, tmp_path: Path) -> None:
    sheet = sheet_for(example(MILD))
    path, count = written(sheet, tmp_path)
    pages = pdf_pages(path)
    assert count == len(pages) >= 2
    assert media_box(path) == A4_POINTS
    assert_header_and_footer_on_every_page(pages, sheet)
    first = pages[0]
    for expected in (
        "Allergies none known",
        "Weight 80 kg",
        "1.4 mg/dL = 0.576 mmol/L = 1.15 mEq/L",
        "Cockcroft-Gault",
        f"{CHECKBOX} 1. Magnesium oxide orally",
        "ALTERNATIVE to order 1",
        "12 mmol magnesium (24 mEq, 292 mg elemental magnesium; salt 484 mg magnesium oxide)",
        END_OF_ORDERS,
        "Prescriber signature",
        "NOT VALID WITHOUT THE PRESCRIBER'S SIGNATURE",
    ):
        assert expected in first, expected
    assert first.index("2. Organic magnesium salt orally") < first.index(END_OF_ORDERS)
    reasoning = next(i for i, text in enumerate(pages) if "How the plan was reached" in text)
    assert reasoning >= 1 and "How the plan was reached" not in " ".join(pages[:reasoning])
    assert "Cockcroft DW, Gault MH" in " ".join(pages[reasoning:])
    # Qt's own print_() would stamp a page number at the end of each page (ENGINEERING.md 2.2.1).
    assert not any(re.search(r"\s\d+$", text) for text in pages)


def test_letter_paper(app: QApplication, tmp_path: Path) -> None:
    path, count = written(sheet_for(example(TORSADES)), tmp_path, "letter")
    assert media_box(path) == LETTER_POINTS
    assert all(media_box(path, page) == LETTER_POINTS for page in range(count))
    assert PdfReader(path).metadata.title == "Magnesium replacement order sheet TEST0-SHEET"


def long_wording_protocol(tmp_path: Path) -> Any:
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_text("utf-8"))
    document["orders"]["mg_organic_oral"]["note"] = LONG_NOTE * 6
    document["orders"]["mg_oxide_oral"]["escalation"] = LONG_NOTE * 4
    path = tmp_path / "long.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_protocol(path)


@pytest.mark.slow
def test_a_multi_page_sheet_numbers_its_pages_and_cuts_nothing_off(
    app: QApplication, tmp_path: Path
) -> None:
    protocol = long_wording_protocol(tmp_path)
    document = with_changes(
        example(MILD), clinical={"volume_depleted": True}, labs={"potassium": "3.2 mmol/L"}
    )
    sheet = sheet_for(document, protocol=protocol)
    assert len(sheet.orders) == 4
    path, count = written(sheet, tmp_path)
    pages = pdf_pages(path)
    assert count == len(pages) >= 4
    assert_header_and_footer_on_every_page(pages, sheet)
    body = " ".join(pages)
    for order in sheet.orders:
        words = order.text.split()
        assert all(word in body for word in words), order.id
        assert f"(order {order.number} of 4)" in body
    end_page = next(i for i, text in enumerate(pages) if END_OF_ORDERS in text)
    assert "4. Potassium replacement" in pages[end_page]
    assert pages[end_page].index("4. Potassium replacement") < pages[end_page].index(END_OF_ORDERS)
    assert "intentionally blank" not in body
    assert f"Orders continue on page {end_page + 1}" in pages[end_page - 1]


@pytest.mark.slow
def test_the_bundled_font_is_embedded_at_ten_points_or_more(
    app: QApplication, tmp_path: Path
) -> None:
    pdfplumber = pytest.importorskip("pdfplumber", reason="pdfplumber reads font names and sizes")
    path, _ = written(sheet_for(example(TORSADES)), tmp_path)
    with pdfplumber.open(path) as pdf:
        characters = [c for page in pdf.pages for c in page.chars if c["text"].strip()]
    assert characters
    assert {c["fontname"].split("+")[-1] for c in characters} <= {
        "DejaVuSans",
        "DejaVuSans-Bold",
        "DejaVuSans-Oblique",
    }
    assert min(round(c["size"], 1) for c in characters) >= 10


@pytest.mark.slow
def test_the_checkbox_glyph_is_in_the_bundled_font(app: QApplication, tmp_path: Path) -> None:
    assert render.load_bundled_fonts() == FONT_FAMILY
    # inFontUcs4: PySide converts a str to QChar only within Latin-1, so inFont(CHECKBOX) is
    # False whatever the font holds.
    assert QFontMetricsF(QFont(FONT_FAMILY, 10)).inFontUcs4(ord(CHECKBOX))
    path, _ = written(sheet_for(example(MILD)), tmp_path)
    assert CHECKBOX in pdf_pages(path)[0]


def test_writing_is_atomic(
    app: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"the previous sheet")

    def broken(sheet: OrderSheet, device: object, *options: object) -> int:
        raise PrintError("painting failed")

    monkeypatch.setattr(render, "paint_sheet", broken)
    with pytest.raises(PrintError):
        write_pdf(sheet_for(example(MILD)), target, "a4")
    assert target.read_bytes() == b"the previous sheet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.pdf"]
    monkeypatch.undo()
    write_pdf(sheet_for(example(MILD)), target, "a4")
    assert target.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.pdf"]


def test_an_unknown_paper_is_refused(app: QApplication, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown paper"):
        write_pdf(sheet_for(example(MILD)), tmp_path / "x.pdf", "a3")
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_printer_is_refused(app: QApplication) -> None:
    with pytest.raises(PrintError, match="no printer named 'no-such-printer'"):
        print_sheet(sheet_for(example(MILD)), "no-such-printer", "a4")


@pytest.mark.slow
def test_printing_paints_the_same_pages(app: QApplication, tmp_path: Path) -> None:
    sheet = sheet_for(example(MILD))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    pages = print_to(sheet, printer, render.page_layout("letter"))
    pdf, count = written(sheet, tmp_path, "letter")
    assert pages == count
    assert pdf_pages(tmp_path / "printed.pdf") == pdf_pages(pdf)


def test_the_default_paper_follows_the_locale_and_never_asks_a_printer(
    app: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    def asked() -> QPrinterInfo:
        raise AssertionError("the default printer was asked for the paper")

    monkeypatch.setattr(QPrinterInfo, "defaultPrinter", staticmethod(asked))
    previous = QLocale()
    try:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        assert locale_paper() == "letter"
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
        assert locale_paper() == "a4"
        QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
        assert locale_paper() == "a4"
    finally:
        QLocale.setDefault(previous)


@pytest.mark.parametrize(
    ("name", "paper"),
    [
        ("en_US", "letter"),
        ("es_US", "letter"),
        ("en_CA", "letter"),
        ("fr_CA", "letter"),
        ("es_MX", "letter"),
        ("en_PH", "letter"),
        ("es_CL", "letter"),
        ("en_GB", "a4"),
        ("en_AU", "a4"),
        ("fr_FR", "a4"),
        ("ja_JP", "a4"),
        ("C", "a4"),
    ],
)
def test_letter_in_the_letter_territories_and_a4_elsewhere(name: str, paper: str) -> None:
    assert paper_for_locale(QLocale(name)) == paper


@pytest.mark.slow
def test_long_texts_wrap_inside_the_page(app: QApplication, tmp_path: Path) -> None:
    pdfplumber = pytest.importorskip("pdfplumber", reason="pdfplumber reads word positions")
    protocol = long_wording_protocol(tmp_path)
    path, _ = written(sheet_for(example(MILD), protocol=protocol), tmp_path)
    margin = render.MARGIN_MM / 25.4 * 72
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            words = page.extract_words()
            assert min(w["x0"] for w in words) >= margin - 1
            assert max(w["x1"] for w in words) <= page.width - margin + 1
            assert max(w["bottom"] for w in words) <= page.height - margin + 1


@pytest.mark.slow
def test_a_printed_hash_reads_back_as_the_same_characters(
    app: QApplication, tmp_path: Path
) -> None:
    """A hash copied from the PDF into `mgdesk audit verify --sheet` must match: no "ff"
    or "fi" ligature may stand for two characters."""
    from pypdf import PdfReader

    audit_hash = "ff" * 16 + "fi" * 16
    path, _ = written(sheet_for(example(MILD), audit_hash=audit_hash), tmp_path)
    raw = " ".join(page.extract_text() for page in PdfReader(path).pages)
    assert not set(raw) & set(LIGATURES)
    assert f"Audit entry {audit_hash}" in " ".join(raw.split())
