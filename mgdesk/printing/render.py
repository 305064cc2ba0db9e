"""Paint an order sheet on a paged device (PDF file, printer or print preview).

One painter for all three: the body is the core's HTML in a QTextDocument paginated to the
device's own page (ENGINEERING.md 2.2: never QTextDocument.print_, which adds its own
margins and page numbers), and the header and footer are drawn on every page here, so
"page X of Y" is right.
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

# Not the Qt namespace: importing it costs a command-line run 10-30 ms.
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSizeF
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlock,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from mgdesk import resources
from mgdesk.document.locale_text import localised_markup
from mgdesk.document.sheet import CHECKBOX, END_OF_ORDERS, SHEET_TITLE, OrderSheet
from mgdesk.document.sheet_html import (
    ATTACHMENT,
    continued_html,
    page_label,
    render_footer_html,
    render_header_html,
    render_html,
)
from mgdesk.records.safefile import write_atomically

PAPER_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
PAPER_LABELS = {"a4": "A4", "letter": "Letter"}
MARGIN_MM = 8
GAP_MM = 2
PDF_RESOLUTION = 300
# The sheet is laid out at this resolution on every device and painted scaled to the
# device's: a printer at 600 dpi then breaks its pages where the PDF and the preview do
# (laid out at each device's own resolution, a line could fit at one and not the other).
LAYOUT_RESOLUTION = PDF_RESOLUTION
FONT_FAMILY = "DejaVu Sans"
FONT_POINT_SIZE = 10
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")

_application: list[QGuiApplication] = []  # keeps a QGuiApplication made here alive
_font_ids: list[int] = []


class PrintError(Exception):
    """The sheet could not be written or printed; the message says why."""


def ensure_gui_application() -> QGuiApplication:
    """The running QGuiApplication, or a new one (offscreen when there is no display), so the
    command line can paint without a window system."""
    app = QGuiApplication.instance()
    if app is None:
        no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if sys.platform.startswith("linux") and no_display:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication([sys.argv[0] if sys.argv and sys.argv[0] else "mgdesk"])
        _application.append(app)
    if not isinstance(app, QGuiApplication):
        raise PrintError(
            "a QCoreApplication is running: painting the order sheet needs a QGuiApplication"
        )
    load_bundled_fonts()
    return app


def load_bundled_fonts() -> str:
    """Register the bundled DejaVu fonts once (after the QGuiApplication exists) and return the
    family name, so the sheet looks the same on every machine."""
    if not _font_ids:
        # Fill the database with the system's fonts first: of two fonts registered under one
        # name the later wins, and a system DejaVu Sans registered after these (the database
        # fills on first use) would be drawn instead, parsed again from its own file.
        QFontDatabase.families()
        folder = files(resources).joinpath("fonts")
        for name in FONT_FILES:
            font_id = QFontDatabase.addApplicationFontFromData(
                QByteArray(folder.joinpath(name).read_bytes())
            )
            if font_id < 0:
                raise PrintError(f"the bundled font {name} could not be loaded")
            _font_ids.append(font_id)
    return FONT_FAMILY


def page_layout(paper: str) -> QPageLayout:
    if paper not in PAPER_SIZES:
        raise ValueError(f"unknown paper {paper!r}: use one of {', '.join(PAPER_SIZES)}")
    return QPageLayout(
        QPageSize(PAPER_SIZES[paper]),
        QPageLayout.Orientation.Portrait,
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def _layout_device() -> QImage:
    """A stand-in at LAYOUT_RESOLUTION, to lay the text out on. Laying out on the device
    itself would also tie its Python wrapper to the documents: PySide then invalidates the
    print preview's printer when they are deleted."""
    image = QImage(1, 1, QImage.Format.Format_Mono)
    dots_per_metre = round(LAYOUT_RESOLUTION / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return image


def _scale(device: QPagedPaintDevice) -> tuple[float, float]:
    """Device pixels per layout pixel, across and down."""
    return device.logicalDpiX() / LAYOUT_RESOLUTION, device.logicalDpiY() / LAYOUT_RESOLUTION


class _Page(NamedTuple):
    """A device's printable page in layout pixels, the gap below the header and above the
    footer, and the stand-in device to lay documents out on."""

    width: float
    height: float
    gap: float
    layout_device: QImage


def _page(device: QPagedPaintDevice) -> _Page:
    across, down = _scale(device)
    gap = LAYOUT_RESOLUTION * GAP_MM / 25.4
    return _Page(device.width() / across, device.height() / down, gap, _layout_device())


def _sheet_font() -> QFont:
    """The bundled font without ligatures: a hash, a code or an id read or copied from the
    sheet must be the same characters as typed ("ff" is not one glyph)."""
    font = QFont(load_bundled_fonts(), FONT_POINT_SIZE)
    for feature in ("liga", "clig"):
        font.setFeature(QFont.Tag(feature), 0)
    return font


def _document(
    markup: str, layout_device: QImage, width: float, page_height: float = -1
) -> QTextDocument:
    """The markup laid out width wide, on pages page_height high (-1: one unbroken page).
    The size is set before the markup, so the text is laid out once, not once more per size."""
    document = QTextDocument()
    document.documentLayout().setPaintDevice(layout_device)
    document.setUseDesignMetrics(True)  # the same line breaks at every resolution
    document.setDefaultFont(_sheet_font())
    document.setDocumentMargin(0)
    document.setPageSize(QSizeF(width, page_height))
    document.setHtml(markup)
    return document


def _keep_tables_whole(document: QTextDocument, page_height: float) -> None:
    """Qt has no "page-break-inside: avoid": move each table that would straddle a page break
    but fits on one page (an order block, the signature box) to the next page, together with
    the section heading just before it; and move a heading left alone at the foot of a page
    (in the attachment too, whose tables run on across pages). Tables are visited in order,
    so each move is laid out before the next one is measured."""
    layout = document.documentLayout()

    def page_of(y: float) -> int:
        return int(y // page_height)

    order_page, previous_bottom, in_attachment = -1, 0.0, False
    for frame in document.rootFrame().childFrames():
        box = layout.frameBoundingRect(frame)
        before = document.findBlock(frame.firstPosition() - 1)
        if document.findBlock(frame.firstPosition()).text().strip() == END_OF_ORDERS:
            order_page = page_of(box.bottom())
        heading = _is_heading(before)
        if heading and before.text().startswith(ATTACHMENT):
            # The attachment starts on a new page, so it never shares the page of the orders;
            # but when what follows the orders ran on to another page, it follows on there.
            # Its tables run on across page breaks, row by row; its headings stay with them.
            in_attachment = True
            if page_of(previous_bottom - 1) != order_page:
                block_format = before.blockFormat()
                block_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_Auto)
                QTextCursor(before).setBlockFormat(block_format)
                box = layout.frameBoundingRect(frame)  # laid out again
        previous_bottom = box.bottom()
        straddles = (
            not in_attachment
            and box.height() < page_height
            and page_of(box.top()) != page_of(box.bottom())
        )
        orphaned = heading and page_of(layout.blockBoundingRect(before).top()) != page_of(box.top())
        if not (straddles or orphaned):
            continue
        if heading:
            block_format = before.blockFormat()
            block_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            QTextCursor(before).setBlockFormat(block_format)
        else:
            frame_format = frame.frameFormat()
            frame_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            frame.setFrameFormat(frame_format)


def _is_heading(block: QTextBlock) -> bool:
    return block.blockFormat().headingLevel() > 0


def paint_sheet(sheet: OrderSheet, device: QPagedPaintDevice, decimal_separator: str = ".") -> int:
    """Paint every page of the sheet on the device (its page layout already set); returns the
    number of pages. Raises SheetRefused (from render_html) if the wording breaks a rule.
    decimal_separator: the reader's (the wording rules are checked in the core's "." form)."""
    body_markup = localised_markup(render_html(sheet), decimal_separator)
    width, height, gap, layout_device = _page(device)
    header = _document(render_header_html(sheet), layout_device, width)
    footer = _document(render_footer_html(sheet), layout_device, width)
    body_height = height - header.size().height() - footer.size().height() - 2 * gap
    if body_height < height / 3:
        raise PrintError("the header and footer leave no room for the orders on this paper")
    body = _document(body_markup, layout_device, width, body_height)
    breaks = _order_page_breaks(sheet, body, body_height, layout_device)
    if breaks:
        first_page, numbers = breaks
        body = _document(render_html(sheet, numbers, first_page), layout_device, width, body_height)
    _keep_tables_whole(body, body_height)
    return _paint_pages(device, body, header, footer)


def _order_page_breaks(
    sheet: OrderSheet, body: QTextDocument, page_height: float, layout_device: QImage
) -> tuple[int, tuple[int, ...]] | None:
    """None when the orders and the signature block share one page as laid out; else the page
    the orders start on and the numbers of the orders that must start a new page, so that no
    order is split, an order that refers to the next stays with it, every page of orders ends
    with the prescriber's initials, and the last order shares its page with the signature."""
    layout = body.documentLayout()
    orders: list[QRectF] = []
    signature: QRectF | None = None
    heading = 0.0
    for frame in body.rootFrame().childFrames():
        first_text = body.findBlock(frame.firstPosition()).text()
        if first_text.startswith(CHECKBOX):
            if not orders:  # the height of the "Orders" heading, repeated on each page
                before = body.findBlock(frame.firstPosition() - 1)
                heading = (
                    layout.frameBoundingRect(frame).top() - layout.blockBoundingRect(before).top()
                )
            orders.append(layout.frameBoundingRect(frame))
        elif first_text.strip() == END_OF_ORDERS:
            signature = layout.frameBoundingRect(frame)
    if not orders or signature is None:
        return None
    page = int(orders[0].top() // page_height)
    if int(signature.bottom() // page_height) == page:
        return None
    continued = _document(continued_html(sheet), layout_device, body.pageSize().width())
    continued_height = continued.size().height()
    tops = [box.top() for box in orders] + [signature.top()]
    # Orders that must share a page: each one that refers to the next, with the next.
    units: list[list[int]] = []
    for index in range(len(sheet.orders)):
        if units and sheet.orders[index - 1].with_next:
            units[-1].append(index)
        else:
            units.append([index])
    limit = (page + 1) * page_height
    y, on_page, numbers = tops[0], 0, []
    for position, unit in enumerate(units):
        rest = tops[-1] - tops[unit[0]] + signature.height()
        if y + rest <= limit:
            break
        height = tops[unit[-1] + 1] - tops[unit[0]]
        last = position == len(units) - 1
        if last or y + height + continued_height > limit:
            # A new page: after a line for the initials when orders are on this one; else
            # the orders start on the next page, their heading with them.
            numbers.append(sheet.orders[unit[0]].number)
            y, on_page = limit + heading, 0
            limit += page_height
        y += height
        on_page += 1
    return page + 1, tuple(numbers)


def _paint_pages(
    device: QPagedPaintDevice, body: QTextDocument, header: QTextDocument, footer: QTextDocument
) -> int:
    across, down = _scale(device)
    width, height, gap, layout_device = _page(device)
    header_height, footer_height = header.size().height(), footer.size().height()
    body_height = body.pageSize().height()
    pages = body.pageCount()

    page_font = QFont(FONT_FAMILY, FONT_POINT_SIZE, QFont.Weight.Bold)
    page_metrics = QFontMetricsF(page_font, layout_device)
    painter = QPainter()
    if not painter.begin(device):
        raise PrintError("the output could not be opened for painting")
    painter.scale(across, down)  # from here on, in layout pixels
    try:
        for index in range(pages):
            if index and not device.newPage():
                raise PrintError(f"page {index + 1} could not be started")
            header.drawContents(painter)
            # Drawn here, not in the header's HTML, so one header layout serves every page.
            label = page_label(index + 1, pages)
            painter.setFont(page_font)
            painter.drawText(
                QPointF(width - page_metrics.horizontalAdvance(label), page_metrics.ascent()), label
            )
            painter.save()
            painter.translate(0, header_height + gap - index * body_height)
            body.drawContents(painter, QRectF(0, index * body_height, width, body_height))
            painter.restore()
            painter.save()
            painter.translate(0, height - footer_height)
            footer.drawContents(painter)
            painter.restore()
    finally:
        painter.end()
    return pages


def write_pdf(sheet: OrderSheet, path: Path, paper: str, decimal_separator: str = ".") -> int:
    """Write the sheet as a PDF; returns the page count. The PDF is made in memory and then
    written atomically, so no half-written sheet ever exists at path."""
    ensure_gui_application()
    layout = page_layout(paper)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(layout)
    writer.setResolution(PDF_RESOLUTION)
    writer.setTitle(f"{SHEET_TITLE} {sheet.sheet_id}")
    writer.setCreator(f"mgdesk {sheet.app_version}")
    pages = paint_sheet(sheet, writer, decimal_separator)
    del writer  # the PDF is complete once its writer is gone
    write_atomically(Path(path), bytes(buffer.data().data()), mode=0o666)
    return pages
