"""Real printers: the default paper, the printers Qt knows, and printing a sheet on one.

Kept apart from render.py so that writing a PDF never loads Qt's print support.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale
from PySide6.QtGui import QGuiApplication, QPageLayout
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from mgdesk.document.sheet import SHEET_TITLE, OrderSheet
from mgdesk.printing.render import (
    PAPER_SIZES,
    PrintError,
    ensure_gui_application,
    page_layout,
    paint_sheet,
)


def default_paper() -> str:
    """ "a4" or "letter": the default printer's paper when there is one, else the locale's
    (Letter where the US measurement system is used). The GUI remembers the user's choice."""
    if QGuiApplication.instance() is not None:
        printer = QPrinterInfo.defaultPrinter()
        if not printer.isNull():
            size = printer.defaultPageSize().id()
            for paper, size_id in PAPER_SIZES.items():
                if size == size_id:
                    return paper
    return (
        "letter"
        if QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
        else "a4"
    )


def available_printers() -> list[str]:
    ensure_gui_application()
    return [str(name) for name in QPrinterInfo.availablePrinterNames()]


def print_sheet(sheet: OrderSheet, printer_name: str, paper: str) -> int:
    """Send the sheet to the named printer through Qt's print system; returns the page count."""
    ensure_gui_application()
    layout = page_layout(paper)
    info = QPrinterInfo.printerInfo(printer_name)
    if info.isNull():
        known = ", ".join(available_printers()) or "none is installed"
        raise PrintError(f"there is no printer named {printer_name!r} (printers: {known})")
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    return print_to(sheet, printer, layout)


def print_to(sheet: OrderSheet, printer: QPrinter, layout: QPageLayout | None = None) -> int:
    """Paint the sheet on a configured QPrinter (from print_sheet or a print dialog)."""
    if layout is not None and not printer.setPageLayout(layout):
        raise PrintError(f"the printer {printer.printerName()!r} does not accept this paper")
    printer.setDocName(f"{SHEET_TITLE} {sheet.sheet_id}")
    printer.setCreator(f"mgdesk {sheet.app_version}")
    pages = paint_sheet(sheet, printer)
    if printer.printerState() == QPrinter.PrinterState.Error:
        raise PrintError(f"the printer {printer.printerName()!r} reported an error")
    return pages
