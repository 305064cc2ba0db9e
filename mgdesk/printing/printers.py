"""Real printers: the printers Qt knows, and printing a sheet on one.

Kept apart from render.py so that writing a PDF never loads Qt's print support. Nothing
here decides the paper (mgdesk.printing.paper does, without asking a printer), and the
print system is asked whether it answers (spooler.py) before Qt's print support is used.
"""

from __future__ import annotations

from PySide6.QtGui import QPageLayout
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from mgdesk.document.sheet import SHEET_TITLE, OrderSheet
from mgdesk.printing.render import (
    PrintError,
    ensure_gui_application,
    page_layout,
    paint_sheet,
)
from mgdesk.printing.spooler import check_print_system


def available_printers() -> list[str]:
    ensure_gui_application()
    return [str(name) for name in QPrinterInfo.availablePrinterNames()]


def print_sheet(sheet: OrderSheet, printer_name: str, paper: str) -> int:
    """Send the sheet to the named printer through Qt's print system; returns the page count.
    Raises PrintError, within a few seconds, if the print system does not answer."""
    ensure_gui_application()
    layout = page_layout(paper)
    check_print_system(printer_name)
    info = QPrinterInfo.printerInfo(printer_name)
    if info.isNull():
        known = ", ".join(available_printers()) or "none is installed"
        raise PrintError(f"there is no printer named {printer_name!r} (printers: {known})")
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    return print_to(sheet, printer, layout)


def print_to(
    sheet: OrderSheet,
    printer: QPrinter,
    layout: QPageLayout | None = None,
    decimal_separator: str = ".",
) -> int:
    """Paint the sheet on a configured QPrinter (from print_sheet or a print dialog)."""
    if layout is not None and not printer.setPageLayout(layout):
        raise PrintError(f"the printer {printer.printerName()!r} does not accept this paper")
    printer.setDocName(f"{SHEET_TITLE} {sheet.sheet_id}")
    printer.setCreator(f"mgdesk {sheet.app_version}")
    pages = paint_sheet(sheet, printer, decimal_separator)
    if printer.printerState() == QPrinter.PrinterState.Error:
        raise PrintError(f"the printer {printer.printerName()!r} reported an error")
    return pages
