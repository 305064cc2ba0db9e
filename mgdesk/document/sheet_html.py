"""The order sheet as the HTML subset that QTextDocument supports, and as plain text.

render_html() checks the wording rules first, so a sheet built by hand is checked too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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

WORD_JOINER = "\u2060"
_UNIT_SLASH = re.compile(r"(?<=[A-Za-zµ])/(?=[A-Za-zµ])")


def _e(text: str) -> str:
    """Escaped for HTML, with a word joiner after the slash of a unit, so that "mEq/L" is
    never split across two lines (Qt may break a line after any slash)."""
    escaped = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )
    return _UNIT_SLASH.sub("/" + WORD_JOINER, escaped)


STYLE = """
body { font-family: 'DejaVu Sans'; font-size: 10pt; color: #000000; }
p { margin-top: 0px; margin-bottom: 3px; }
h3 { margin-top: 7px; margin-bottom: 3px; }
p.banner { font-size: 11pt; font-weight: bold; }
p.small { font-size: 10pt; }
td.end { font-size: 11pt; font-weight: bold; border-width: 2px; }
td { font-size: 10pt; vertical-align: top; }
td.label { font-weight: bold; }
td.orderhead { font-size: 11pt; font-weight: bold; background-color: #e8e8e8; }
span.box { font-size: 16pt; font-weight: normal; }
span.role { font-size: 10pt; font-weight: bold; }
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


def render_html(sheet: OrderSheet) -> str:
    """The body of the sheet (everything between header and footer), escaped field by field.

    Raises SheetRefused if its wording breaks a rule (a sheet built by hand is checked too).
    """
    # Imported here: the wording rules read this module's text of the sheet.
    from mgdesk.document.wording import refuse_bad_wording

    refuse_bad_wording(sheet)
    return _body_html(sheet)


def _rows(fields: Iterable[SheetField], label_width: str = "27%") -> str:
    return "".join(
        f'<tr><td class="label" width="{label_width}">{_e(f.label)}</td><td>{_e(f.value)}</td></tr>'
        for f in fields
    )


SHORT_VALUE = 32  # characters: two short fields of these kinds share a row of a grid
PAIRED_LABELS = frozenset(
    {
        "Age and sex",
        "Weight",
        "Potassium",
        "Creatinine",
        "Route",
        "Frequency",
        "Duration",
        "Rate",
        "Number of doses",
    }
)


def _grid(fields: Iterable[SheetField]) -> str:
    """Label/value rows in four columns: consecutive short fields share a row, so an order
    block stays compact; a long value spans the row."""
    pending = list(fields)
    rows = []
    while pending:
        first = pending.pop(0)
        label = f'<td class="label" width="26%">{_e(first.label)}</td>'
        if pending and all(
            f.label in PAIRED_LABELS and len(f.value) <= SHORT_VALUE for f in (first, pending[0])
        ):
            second = pending.pop(0)
            rows.append(
                f'<tr>{label}<td width="24%">{_e(first.value)}</td>'
                f'<td class="label" width="20%">{_e(second.label)}</td>'
                f'<td width="30%">{_e(second.value)}</td></tr>'
            )
        else:
            rows.append(f'<tr>{label}<td colspan="3">{_e(first.value)}</td></tr>')
    return "".join(rows)


def _table(body: str, border: int = 1, padding: int = 2) -> str:
    return (
        f'<table width="100%" border="{border}" cellspacing="0" cellpadding="{padding}" '
        'style="border-collapse:collapse; border-color:#000000; border-style:solid;">'
        f"{body}</table>"
    )


def _body_html(sheet: OrderSheet) -> str:
    parts = [f"<html><head><style>{STYLE}</style></head><body>"]
    if sheet.status == "incomplete":
        missing = "; ".join(sheet.missing) or "see the reasoning page"
        parts.append(
            _table(
                '<tr><td><p class="banner">INCOMPLETE PLAN</p>'
                f"<p>Routine treatment cannot be decided until these are recorded: {_e(missing)}. "
                "Only the orders on this sheet may be given now.</p></td></tr>",
                border=3,
                padding=6,
            )
        )
        parts.append("<p></p>")
    if sheet.emergency_only:
        parts.append(
            '<p class="banner">EMERGENCY SHEET: every magnesium order on it is an emergency'
            " order.</p>"
        )

    parts.append(_heading("Patient and safety data"))
    safety = [
        SheetField("Patient", f"{sheet.patient_name} · ID {sheet.patient_id}"),
        SheetField("Allergies", sheet.allergies),
        SheetField("Age and sex", sheet.patient_details),
        SheetField("Weight", sheet.weight),
        *sheet.labs,
    ]
    parts.append(_table(_grid(safety)))

    if sheet.stop_warnings:
        parts.append(_heading("Stop-level warnings: read before acting"))
        for w in sheet.stop_warnings:
            parts.append(
                _table(
                    f"<tr><td><b>STOP ({_e(w.code)}):</b> {_e(w.text)}</td></tr>",
                    border=3,
                    padding=5,
                )
            )
            parts.append("<p></p>")

    parts.append(_heading(f"Orders: {len(sheet.orders)} (tick each order when acted on)"))
    parts.extend(_order_html(order, len(sheet.orders)) for order in sheet.orders)

    parts.append(_signature_html(sheet))

    parts.append(_heading("Monitoring and hold criteria"))
    monitoring = sheet.monitoring or ("None beyond usual care.",)
    parts.append(_table("".join(f"<tr><td>{_e(m)}</td></tr>" for m in monitoring)))
    if sheet.other_warnings:
        parts.append(_heading("Cautions and information"))
        parts.append(
            _table(
                "".join(
                    f'<tr><td class="label" width="18%">{LEVEL_LABELS[w.level]}</td>'
                    f"<td>{_e(w.text)} ({_e(w.code)})</td></tr>"
                    for w in sheet.other_warnings
                )
            )
        )

    parts.append(
        _heading(
            "How the plan was reached (reasoning: nothing on this page is an order)", new_page=True
        )
    )
    steps = "".join(_step_html(step) for step in sheet.steps)
    if sheet.order_sources:
        listed = "<br/>".join(f"{_e(f.label)}: {_e(f.value)}" for f in sheet.order_sources)
        steps += f"<tr><td><b>Orders</b><br/>and their sources</td><td>{listed}</td></tr>"
    parts.append(_table(steps))
    parts.append(_heading("Sources"))
    parts.append(_table(_rows(sheet.references, "7%")))
    parts.append(_heading("Protocol"))
    parts.append(
        _table(
            _rows(
                [
                    SheetField("Protocol", f"{sheet.protocol_id} version {sheet.protocol_version}"),
                    SheetField("SHA-256", _grouped(sheet.protocol_sha256)),
                    SheetField("Approval", sheet.protocol_approval),
                ],
                "30%",
            )
        )
    )
    parts.append("</body></html>")
    return "".join(parts)


def _signature_html(sheet: OrderSheet) -> str:
    printed_name = _e(sheet.prescriber) if sheet.prescriber else ""
    if sheet.acknowledged:
        acknowledged = (
            "<b>Stop-level warnings acknowledged by the prescriber before printing:</b>"
            + "".join(f"<br/>• {_e(w.code)}: {_e(w.text)}" for w in sheet.acknowledged)
        )
    else:
        acknowledged = "<b>Stop-level warnings acknowledged:</b> none (this plan has none)."
    return (
        _table(
            f'<tr><td colspan="2">{acknowledged}</td></tr>'
            '<tr><td width="55%"><b>Prescriber signature</b><br/><br/></td>'
            f"<td><b>Printed name</b><br/>{printed_name}</td></tr>"
            "<tr><td><b>Date</b> (YYYY-MM-DD)<br/><br/></td>"
            "<td><b>Time</b> (24-hour, HH:MM)<br/><br/></td></tr>"
            f'<tr><td colspan="2"><b>{_e(NOT_VALID.upper())}</b> '
            "The prescriber reviews the basis of every order "
            "(reasoning page) and stays responsible for it.</td></tr>",
            border=2,
            padding=3,
        )
        + "<p></p>"
        + _table(
            '<tr><td width="55%"><b>Pharmacist verification</b><br/><br/></td>'
            "<td><b>Date and time</b><br/><br/></td></tr>"
        )
    )


def _order_html(order: SheetOrder, count: int) -> str:
    """One order as one table, so it is never split across pages; the last one carries the
    END OF ORDERS rule, so no blank space after the last order can take a handwritten one."""
    head = (
        f'<tr><td class="orderhead" colspan="4"><span class="box">{CHECKBOX}</span> '
        f"{order.number}. {_e(order.title)} &nbsp; "
        f'<span class="role">[{_e(order.role_label)}]</span>'
        f'<span class="role"> &nbsp; (order {order.number} of {count})</span></td></tr>'
    )
    end = (
        f'<tr><td class="end" colspan="4" align="center">{_e(END_OF_ORDERS)}</td></tr>'
        if order.number == count
        else ""
    )
    return _table(head + _grid([SheetField("Order", order.text), *order.details]) + end) + "<p></p>"


def _heading(text: str, new_page: bool = False) -> str:
    """A section heading. An <h3> (Qt gives it 12 pt bold; CSS font sizes on headings are
    ignored), so the painter can find it by its heading level and keep it with its table."""
    style = ' style="page-break-before: always;"' if new_page else ""
    return f"<h3{style}>{_e(text)}</h3>"


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
        f'<tr><td width="27%"><b>{step.number}. {_e(step.title)}</b>'
        f"<br/>Outcome: {_e(step.outcome)}</td>"
        f"<td>{'<br/>'.join(lines)}</td></tr>"
    )


# -- plain text ---------------------------------------------------------------------------


# sheet_text reads the markup this module writes (not arbitrary HTML) with a few patterns:
# the html.parser module would add its import time to every command-line run.
_STYLE_ELEMENT = re.compile(r"<style>.*?</style>", re.DOTALL)
_LINE_TAG = re.compile(r"</?(?:p|h3|tr|table|hr|br)\b[^>]*>")
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
