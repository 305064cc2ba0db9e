"""Paint the protocol change report (document/change_report.py) to a PDF file.

The report is laid out and paginated as the order sheet is (printing/render.py), with its
own header naming both protocols, and "page X of Y" on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QPagedPaintDevice, QPdfWriter

from mgdesk import __version__
from mgdesk.document.change_report import REPORT_TITLE, FieldEdit, render_report_html
from mgdesk.printing.render import (
    PDF_RESOLUTION,
    _document,
    _page,
    _paint_pages,
    ensure_gui_application,
    page_layout,
)
from mgdesk.records.protocol_compare import Comparison
from mgdesk.records.safefile import write_atomically


def paint_report(
    device: QPagedPaintDevice,
    comparison: Comparison,
    edits: Sequence[FieldEdit],
    generated_on: str,
) -> int:
    """Paint every page of the report on device; returns the page count."""
    width, height, gap, layout_device = _page(device)
    header = _document(
        f"<p><b>{REPORT_TITLE}</b>: {escape(comparison.old.id)} {escape(comparison.old.version)}"
        f" &rarr; {escape(comparison.new.version)}</p>",
        layout_device,
        width,
    )
    footer = _document(
        f"<p>In force SHA-256 {comparison.old.sha256}<br>"
        f"Proposed SHA-256 {comparison.new.sha256}</p>",
        layout_device,
        width,
    )
    body_height = height - header.size().height() - footer.size().height() - 2 * gap
    body = _document(
        render_report_html(comparison, edits, generated_on), layout_device, width, body_height
    )
    return _paint_pages(device, body, header, footer)


def write_report_pdf(
    comparison: Comparison,
    path: Path,
    edits: Sequence[FieldEdit] = (),
    generated_on: str = "",
    paper: str = "a4",
) -> int:
    """Write the report as a PDF, atomically; returns the page count. Raises OSError."""
    ensure_gui_application()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(page_layout(paper))
    writer.setResolution(PDF_RESOLUTION)
    writer.setTitle(f"{REPORT_TITLE}: {comparison.new.id} {comparison.new.version}")
    writer.setCreator(f"mgdesk {__version__}")
    pages = paint_report(writer, comparison, edits, generated_on)
    del writer  # the PDF is complete once its writer is gone
    write_atomically(Path(path), bytes(buffer.data().data()), mode=0o666)
    return pages
