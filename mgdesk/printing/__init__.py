"""The order sheet on paper (Qt lives here, never in mgdesk.core).

render: ensure_gui_application, paint_sheet, write_pdf, page_layout (PDF needs only QtGui).
printers: available_printers, print_sheet, print_to (Qt's print support).
paper: locale_paper, the default paper (from the locale, never from a printer).
spooler: check_print_system, whether the print system answers, with a bounded wait.

Importing the package loads no Qt: the names below come from render on first use. PySide
reads the source of every module imported after it (to see whether it uses PySide), so
`mgdesk sheet` imports pint and the core first, and Qt only when it paints.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("mgdesk.printing.render"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
