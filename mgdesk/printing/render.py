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
    QPainterPath,
    QPdfWriter,
    QPen,
    QTextBlock,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from mgdesk import resources
from mgdesk.document.locale_text import localised_markup
from mgdesk.document.sheet import SHEET_TITLE, OrderSheet
from mgdesk.document.sheet_html import (
    page_label,
    render_footer_html,
    render_header_html,
    render_html,
)
from mgdesk.records.safefile import write_atomically

PAPER_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
PAPER_LABELS = {"a4": "A4", "letter": "Letter"}
MARGIN_MM = 15
GAP_MM = 3
PDF_RESOLUTION = 300
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


def _layout_device(device: QPagedPaintDevice) -> QImage:
    """A stand-in with the device's resolution, to lay the text out on. Laying out on the
    device itself ties its Python wrapper to the documents: PySide then invalidates the
    print preview's printer when they are deleted."""
    image = QImage(1, 1, QImage.Format.Format_Mono)
    image.setDotsPerMeterX(round(device.logicalDpiX() / 0.0254))
    image.setDotsPerMeterY(round(device.logicalDpiY() / 0.0254))
    return image


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
    the section heading just before it; and move a heading left alone at the foot of a page.
    Tables are visited in order, so each move is laid out before the next one is measured."""
    layout = document.documentLayout()

    def page_of(y: float) -> int:
        return int(y // page_height)

    for frame in document.rootFrame().childFrames():
        box = layout.frameBoundingRect(frame)
        before = document.findBlock(frame.firstPosition() - 1)
        heading = _is_heading(before)
        straddles = box.height() < page_height and page_of(box.top()) != page_of(box.bottom())
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


def _content_bottoms(document: QTextDocument, page_height: float) -> dict[int, float]:
    """For each page, where its content ends (document coordinates)."""
    layout = document.documentLayout()
    bottoms: dict[int, float] = {}
    items = document.rootFrame().begin()
    while not items.atEnd():
        block = items.currentBlock()  # valid for a paragraph, invalid for a table
        if block.isValid():
            box = layout.blockBoundingRect(block) if block.text().strip() else None
        else:
            box = layout.frameBoundingRect(items.currentFrame())
        items += 1
        if box is None:
            continue
        first, last = int(box.top() // page_height), int((box.bottom() - 1) // page_height)
        for page in range(first, last):
            bottoms[page] = (page + 1) * page_height
        bottoms[last] = max(bottoms.get(last, 0.0), box.bottom())
    return bottoms


def _mark_blank(painter: QPainter, top: float, width: float, height: float, next_page: int) -> None:
    """Fill the unused end of a page, so nothing can be written there and taken as an order:
    a diagonal line, broken for a line of text in the middle."""
    painter.save()
    # Upright: the bundled fonts have no italic, and one from the system would look different
    # on each machine (and cost the PDF a third embedded font).
    font = QFont(FONT_FAMILY, FONT_POINT_SIZE)
    painter.setFont(font)
    metrics = QFontMetricsF(font, painter.device())
    line = metrics.height()
    middle = top + height / 2
    # The line leaves a gap for the text rather than a white box painted over it: fillRect,
    # setPen and QPen(colour) are overloaded on Qt's enums, and resolving them makes PySide
    # build every enum of the Qt namespace (about 12 ms of a command-line run).
    diagonal = QPainterPath(QPointF(0, top))
    diagonal.lineTo(QPointF(width * (middle - line - top) / height, middle - line))
    diagonal.moveTo(QPointF(width * (middle + line - top) / height, middle + line))
    diagonal.lineTo(QPointF(width, top + height))
    hairline = QPen()  # black; width 0 is the thinnest line the device draws
    hairline.setWidth(0)
    painter.strokePath(diagonal, hairline)
    text = f"This space is intentionally blank: continued on page {next_page}"
    left = (width - metrics.horizontalAdvance(text)) / 2
    painter.drawText(QPointF(left, middle + metrics.ascent() / 2), text)
    painter.restore()


def _is_heading(block: QTextBlock) -> bool:
    return block.blockFormat().headingLevel() > 0


def paint_sheet(sheet: OrderSheet, device: QPagedPaintDevice, decimal_separator: str = ".") -> int:
    """Paint every page of the sheet on the device (its page layout already set); returns the
    number of pages. Raises SheetRefused (from render_html) if the wording breaks a rule.
    decimal_separator: the reader's (the wording rules are checked in the core's "." form)."""
    body_markup = localised_markup(render_html(sheet), decimal_separator)
    width, height = float(device.width()), float(device.height())
    layout_device = _layout_device(device)
    header = _document(render_header_html(sheet), layout_device, width)
    footer = _document(render_footer_html(sheet), layout_device, width)
    gap = device.logicalDpiY() * GAP_MM / 25.4
    body_height = height - header.size().height() - footer.size().height() - 2 * gap
    if body_height < height / 3:
        raise PrintError("the header and footer leave no room for the orders on this paper")
    body = _document(body_markup, layout_device, width, body_height)
    return _paint_pages(device, body, header, footer, gap)


def _paint_pages(
    device: QPagedPaintDevice,
    body: QTextDocument,
    header: QTextDocument,
    footer: QTextDocument,
    gap: float,
) -> int:
    width, height = float(device.width()), float(device.height())
    header_height, footer_height = header.size().height(), footer.size().height()
    body_height = body.pageSize().height()
    _keep_tables_whole(body, body_height)
    pages = body.pageCount()
    bottoms = _content_bottoms(body, body_height)
    blank_from = max(gap * 4, body_height / 12)  # a smaller gap is too small to write in

    page_font = QFont(FONT_FAMILY, FONT_POINT_SIZE, QFont.Weight.Bold)
    page_metrics = QFontMetricsF(page_font, device)
    painter = QPainter()
    if not painter.begin(device):
        raise PrintError("the output could not be opened for painting")
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
            unused = (index + 1) * body_height - bottoms.get(index, index * body_height)
            if index + 1 < pages and unused > blank_from:
                top = header_height + gap + body_height - unused + gap
                _mark_blank(painter, top, width, unused - gap, index + 2)
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
