"""The order sheet as the HTML subset that QTextDocument supports, and as plain text.

render_html() checks the wording rules first, so a sheet built by hand is checked too.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from mgdesk.document.line_breaks import WORD_JOINER, quantities_unbroken
from mgdesk.document.sheet import (
    CHECKBOX,
    END_OF_ORDERS,
    LEVEL_LABELS,
    NOT_SITE_APPROVED,
    NOT_VALID,
    OrderSheet,
    SheetField,
    SheetOrder,
    SheetStep,
)
from mgdesk.document.sheet_orders import TO_WRITE

ATTACHMENT = "Attachment to the orders"
CONTINUED = "Orders continue"


def _e(text: str) -> str:
    """Escaped for HTML, with no line break inside a quantity (mgdesk.document.line_breaks)."""
    escaped = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )
    return quantities_unbroken(escaped)


STYLE = """
body { font-family: 'DejaVu Sans'; font-size: 10pt; color: #000000; }
p { margin-top: 0px; margin-bottom: 3px; }
h4 { margin-top: 3px; margin-bottom: 1px; }
p.banner { font-size: 11pt; font-weight: bold; }
span.banner { font-size: 11pt; font-weight: bold; }
p.small { font-size: 10pt; }
td.end { font-size: 11pt; font-weight: bold; border-width: 2px; }
td { font-size: 10pt; vertical-align: top; }
td.label { font-weight: bold; }
td.orderhead { font-size: 10pt; font-weight: bold; background-color: #e8e8e8; }
td.orderrole { font-size: 10pt; font-weight: bold; background-color: #e8e8e8; }
span.write { font-size: 11pt; }
span.sign { font-size: 18pt; }
span.box { font-size: 11pt; font-weight: normal; }
"""


def page_label(page: int, page_count: int) -> str:
    """What the painter writes at the top right of every page."""
    return f"page {page} of {page_count}"


def render_header_html(sheet: OrderSheet) -> str:
    """The header printed on every page; the top right cell is left for page_label()."""
    return (
        f"<html><head><style>{STYLE}</style></head><body>"
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f'<td width="75%"><b>{_e(sheet.facility)}</b></td><td width="25%"></td></tr></table>'
        f'<p class="banner">{_e(sheet.title)}</p>'
        f"<p>{_e(sheet.population)}</p>"
        f"<p><b>Patient: {_e(sheet.patient_name)} · ID: {_e(sheet.patient_id)}</b></p>"
        "<hr/></body></html>"
    )


def render_footer_html(sheet: OrderSheet) -> str:
    lines = [_e(line) for line in sheet.footer_lines()]
    lines = [
        f"<b>{line}</b>" if NOT_SITE_APPROVED in line or "CAUTION" in line else line
        for line in lines
    ]
    return (
        f"<html><head><style>{STYLE}</style></head><body><hr/>"
        + "".join(f'<p class="small">{line}</p>' for line in lines)
        + "</body></html>"
    )


def render_html(sheet: OrderSheet, breaks: Collection[int] = (), first_page: int = 1) -> str:
    """The body of the sheet (everything between header and footer), escaped field by field.

    breaks: the numbers of the orders that start a new page; the page before each ends with a
    line for the prescriber's initials and says where the orders continue (the painter
    chooses them, counting pages from first_page). Raises SheetRefused if its wording breaks
    a rule (a sheet built by hand is checked too).
    """
    # Imported here: the wording rules read this module's text of the sheet.
    from mgdesk.document.wording import refuse_bad_wording

    refuse_bad_wording(sheet)
    return _body_html(sheet, breaks, first_page)


def _rows(fields: Iterable[SheetField], label_width: str = "27%") -> str:
    return "".join(
        f'<tr><td class="label" width="{label_width}">{_e(f.label)}</td><td>{_e(f.value)}</td></tr>'
        for f in fields
    )


SHORT_VALUE = 46  # characters: two short fields of these kinds share a row of a grid
PAIRED_LABELS = frozenset(
    {
        "Age and sex",
        "Weight",
        "Allergies",
        "Potassium",
        "Creatinine",
        "Route",
        "Frequency",
        "Duration",
        "Rate",
        "Number of doses",
        "Course",
        "Dose",
    }
)
# Room to write by hand: a tall line in a blank field, a taller one for a signature.
WRITING_SPACE = '<span class="write">&nbsp;</span>'
SIGNING_SPACE = '<span class="sign">&nbsp;</span>'


def _value(value: str) -> str:
    return _e(value) if value != TO_WRITE else WRITING_SPACE


def _pairs(field: SheetField) -> bool:
    return field.value == TO_WRITE or (
        field.label in PAIRED_LABELS and len(field.value) <= SHORT_VALUE
    )


def _grid(fields: Iterable[SheetField]) -> str:
    """Label/value rows in four columns: consecutive short fields (and blanks to write in)
    share a row, so an order block stays compact; a long value spans the row."""
    pending = list(fields)
    rows = []
    while pending:
        first = pending.pop(0)
        label = f'<td class="label" width="17%">{_e(first.label)}</td>'
        if pending and _pairs(first) and _pairs(pending[0]):
            second = pending.pop(0)
            rows.append(
                f'<tr>{label}<td width="33%">{_value(first.value)}</td>'
                f'<td class="label" width="19%">{_e(second.label)}</td>'
                f'<td width="31%">{_value(second.value)}</td></tr>'
            )
        else:
            rows.append(f'<tr>{label}<td colspan="3">{_value(first.value)}</td></tr>')
    return "".join(rows)


def _table(body: str, border: int = 1, padding: int = 1) -> str:
    return (
        f'<table width="100%" border="{border}" cellspacing="0" cellpadding="{padding}" '
        'style="border-collapse:collapse; border-color:#000000; border-style:solid;">'
        f"{body}</table>"
    )


def _body_html(sheet: OrderSheet, breaks: Collection[int] = (), first_page: int = 1) -> str:
    parts = [f"<html><head><style>{STYLE}</style></head><body>"]
    if sheet.status == "incomplete":
        missing = "; ".join(sheet.missing) or "see the reasoning attachment"
        parts.append(
            _table(
                '<tr><td><span class="banner">INCOMPLETE PLAN</span> '
                f"Routine treatment cannot be decided until these are recorded: {_e(missing)}. "
                "Only the orders on this sheet may be given now.</td></tr>",
                border=3,
                padding=2,
            )
        )
    if sheet.emergency_only:
        parts.append(
            '<p class="banner">EMERGENCY SHEET: every magnesium order on it is an emergency'
            " order.</p>"
        )

    safety = [
        SheetField("Allergies", sheet.allergies),
        SheetField("Weight", sheet.weight),
        SheetField("Age and sex", sheet.patient_details),
        *sheet.labs,
    ]
    parts.append(_table(_grid(safety)))

    if sheet.stop_warnings:
        parts.append(
            _table(
                "".join(
                    f"<tr><td><b>STOP, read before acting:</b> {_e(w.text)}</td></tr>"
                    for w in sheet.stop_warnings
                ),
                border=3,
                padding=2,
            )
        )

    count = len(sheet.orders)
    # A break before the first order starts the orders, with their heading, on a new page.
    page = first_page + 1 if 1 in breaks else first_page
    parts.append(_heading(f"Orders: {count} (tick each order when acted on)", 1 in breaks))
    for order in sheet.orders:
        if order.number in breaks and order.number > 1:
            parts.append(_continued_html(sheet, page + 1))
            page += 1
            parts.append(_heading(f"Orders, continued from page {page - 1}", new_page=True))
        parts.append(_order_html(order, count))

    parts.append(_signature_html(sheet))

    parts.append(_heading("Monitoring and hold criteria"))
    monitoring = sheet.monitoring or ("None beyond usual care.",)
    parts.append(_table("".join(f"<tr><td>{_e(m)}</td></tr>" for m in monitoring)))
    notes = [
        (f"NOTE to order {o.number}", f"Not part of the order: {o.note}")
        for o in sheet.orders
        if o.note
    ]
    cautions = [(LEVEL_LABELS[w.level], w.text) for w in sheet.other_warnings]
    if notes or cautions:
        parts.append(_heading("Cautions and information"))
        parts.append(
            _table(
                "".join(
                    f'<tr><td class="label" width="18%">{_e(label)}</td><td>{_e(text)}</td></tr>'
                    for label, text in notes + cautions
                )
            )
        )
    parts.append(_attachment_html(sheet))
    parts.append("</body></html>")
    return "".join(parts)


def _attachment_html(sheet: OrderSheet) -> str:
    """The reasoning, sources and protocol: an attachment to the orders, in smaller type."""
    steps = "".join(_step_html(step) for step in sheet.steps)
    if sheet.magnesium_given:
        steps += (
            '<tr><td class="att"><b>Magnesium given</b> before this assessment</td>'
            f'<td class="att">{_e(sheet.magnesium_given)}</td></tr>'
        )
    if sheet.order_sources:
        listed = "<br/>".join(f"{_e(f.label)}: {_e(f.value)}" for f in sheet.order_sources)
        steps += (
            f'<tr><td class="att"><b>Orders</b> and their sources</td>'
            f'<td class="att">{listed}</td></tr>'
        )
    references = "".join(
        f'<tr><td class="att" width="6%">{_e(f.label)}</td><td class="att">{_e(f.value)}</td></tr>'
        for f in sheet.references
    )
    protocol = "".join(
        f'<tr><td class="att" width="15%"><b>{_e(f.label)}</b></td>'
        f'<td class="att">{_e(f.value)}</td></tr>'
        for f in (
            SheetField("Protocol", f"{sheet.protocol_id} version {sheet.protocol_version}"),
            SheetField("SHA-256", _grouped(sheet.protocol_sha256)),
            SheetField("Approval", sheet.protocol_approval),
        )
    )
    return (
        _heading(
            f"{ATTACHMENT}: How the plan was reached (reasoning: nothing here is an order)",
            new_page=True,
        )
        + _table(steps)
        + _heading("Sources")
        + _table(references)
        + _heading("Protocol")
        + _table(protocol)
    )


def continued_html(sheet: OrderSheet) -> str:
    """The foot of a page of orders as a document of its own, for the painter to measure."""
    return (
        f"<html><head><style>{STYLE}</style></head><body>{_continued_html(sheet, 2)}</body></html>"
    )


def _continued_html(sheet: OrderSheet, next_page: int) -> str:
    """The foot of a page of orders that continue on the next: the prescriber initials it."""
    return _table(
        f'<tr><td class="end" width="40%">{_e(CONTINUED)} on page {next_page}</td>'
        + _cell("Prescriber initials", TO_WRITE, "30%", WRITING_SPACE)
        + _cell("Printed name", sheet.prescriber or TO_WRITE, "30%")
        + "</tr>",
        border=2,
        padding=3,
    )


def _cell(label: str, value: str, width: str = "", space: str = WRITING_SPACE) -> str:
    """A labelled cell of the signature block: its value, or space to write in."""
    width = f' width="{width}"' if width else ""
    written = _e(value) if value != TO_WRITE else space
    return f'<td class="sig"{width}><b>{label}</b><br/>{written}</td>'


def _signature_html(sheet: OrderSheet) -> str:
    """END OF ORDERS, the acknowledged warnings and the signatures: one table, kept whole and
    on the page of the last order."""
    if sheet.acknowledged:
        # By title: each is printed in full in its STOP box above the orders.
        acknowledged = (
            "<b>Stop-level warnings acknowledged by the prescriber before printing:</b> "
            + "; ".join(_e(w.title) for w in sheet.acknowledged)
            + "."
        )
    else:
        acknowledged = "<b>Stop-level warnings acknowledged:</b> none (this plan has none)."
    return _table(
        f'<tr><td class="end" colspan="4" align="center">{_e(END_OF_ORDERS)}</td></tr>'
        f'<tr><td class="sig" colspan="4">{acknowledged}<br/><b>{_e(NOT_VALID.upper())}</b> '
        "The prescriber stays responsible for every order.</td></tr>"
        "<tr>"
        + _cell("Prescriber signature", TO_WRITE, "28%", SIGNING_SPACE)
        + _cell("Printed name", sheet.prescriber or TO_WRITE, "26%")
        + _cell("Date (YYYY-MM-DD)", TO_WRITE, "23%")
        + _cell("Time (24-hour, HH:MM)", TO_WRITE, "23%")
        + "</tr><tr>"
        + _cell("Registration number", sheet.prescriber_registration or TO_WRITE)
        + _cell("Contact (bleep or phone)", sheet.prescriber_contact or TO_WRITE)
        + _cell("Pharmacist verification", TO_WRITE)
        + _cell("Date and time", TO_WRITE)
        + "</tr>",
        border=2,
        padding=2,
    )


def _order_html(order: SheetOrder, count: int) -> str:
    """One order as one table, so it is never split across pages."""
    head = (
        f'<tr><td class="orderhead" colspan="2"><span class="box">{CHECKBOX}</span> '
        f"{order.number}. {_e(order.title)}</td>"
        f'<td class="orderrole" colspan="2" align="right">[{_e(order.role_label)}] '
        f"(order {order.number} of {count})</td></tr>"
    )
    line = (
        f'<tr><td class="label" width="17%">Order</td><td class="order" colspan="3">'
        f"{_e(order.text)}</td></tr>"
    )
    return _table(head + line + _grid(order.details))


def _heading(text: str, new_page: bool = False) -> str:
    """A section heading. An <h3> (Qt gives it 12 pt bold; CSS font sizes on headings are
    ignored), so the painter can find it by its heading level and keep it with its table."""
    style = ' style="page-break-before: always;"' if new_page else ""
    return f"<h4{style}>{_e(text)}</h4>"


def _step_html(step: SheetStep) -> str:
    lines = []
    if step.inputs:
        lines.append(
            "<b>Inputs:</b> " + "; ".join(f"{_e(f.label)}: {_e(f.value)}" for f in step.inputs)
        )
    if step.thresholds:
        lines.append(
            "<b>Thresholds:</b> "
            + "; ".join(f"{_e(f.label)}: {_e(f.value)}" for f in step.thresholds)
        )
    lines.append(f"<b>Why:</b> {_e(step.rationale)}")
    if step.sources:
        lines.append(f"<b>Sources:</b> {_e(step.sources)}")
    return (
        f'<tr><td class="att" width="24%"><b>{step.number}. {_e(step.title)}</b>'
        f"<br/>Outcome: {_e(step.outcome)}</td>"
        f'<td class="att">{"<br/>".join(lines)}</td></tr>'
    )


# -- plain text ---------------------------------------------------------------------------


# sheet_text reads the markup this module writes (not arbitrary HTML) with a few patterns:
# the html.parser module would add its import time to every command-line run.
_STYLE_ELEMENT = re.compile(r"<style>.*?</style>", re.DOTALL)
_LINE_TAG = re.compile(r"</?(?:p|h4|tr|table|hr|br)\b[^>]*>")
_CELL_TAG = re.compile(r"<td\b[^>]*>")
_ANY_TAG = re.compile(r"<[^>]*>")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&nbsp;": " ", "&amp;": "&"}
_ENTITY = re.compile("|".join(re.escape(entity) for entity in _ENTITIES))


def html_text(markup: str) -> str:
    """The text a reader sees in this module's markup, one line per paragraph or table row."""
    text = _STYLE_ELEMENT.sub("", markup)
    text = _ANY_TAG.sub("", _CELL_TAG.sub(" ", _LINE_TAG.sub("\n", text)))
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text).replace(WORD_JOINER, "")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def sheet_text(sheet: OrderSheet) -> str:
    """The plain text of what is printed: header (without page numbers), body and footer."""
    return (
        "\n".join(
            (
                html_text(render_header_html(sheet)),
                html_text(_body_html(sheet)),
                html_text(render_footer_html(sheet)),
            )
        )
        + "\n"
    )


def _grouped(digest: str) -> str:
    """A long hash in groups of eight, so it wraps between groups and reads back aloud."""
    return " ".join(digest[i : i + 8] for i in range(0, len(digest), 8))
