"""The order sheet on paper (Qt lives here, never in mgdesk.core).

render: ensure_gui_application, paint_sheet, write_pdf, page_layout (PDF needs only QtGui).
printers: default_paper, available_printers, print_sheet, print_to (Qt's print support).
sheet_cli: the `mgdesk sheet` command.
"""

from mgdesk.printing.render import (
    PAPER_LABELS,
    PAPER_SIZES,
    PrintError,
    ensure_gui_application,
    load_bundled_fonts,
    page_layout,
    paint_sheet,
    write_pdf,
)

__all__ = [
    "PAPER_LABELS",
    "PAPER_SIZES",
    "PrintError",
    "ensure_gui_application",
    "load_bundled_fonts",
    "page_layout",
    "paint_sheet",
    "write_pdf",
]
