"""The change report for the committee: what a new protocol changes, as HTML for paper.

Both protocols are named by id, version and SHA-256; then the fields the site changed, and
the outcomes that change, grouped by the change with the cases each happens in.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from html import escape

from mgdesk.core.frozen import Frozen
from mgdesk.records.protocol_compare import Comparison, ProtocolIdentity
from mgdesk.records.site_protocol import EXAMPLE, GENERATED, GIVEN, PROBE

REPORT_TITLE = "Protocol change report"
_CASES_SHOWN = 12
# Each source of cases as counted: (one, more than one).
_SOURCE_NAMES = {
    GIVEN: ("worked case given", "worked cases given"),
    EXAMPLE: ("bundled example", "bundled examples"),
    PROBE: ("revision 1.1 probe case", "revision 1.1 probe cases"),
    GENERATED: ("generated case", "generated cases"),
}


class FieldEdit(Frozen):
    """A field of the protocol the site changed, as the report prints it."""

    field: str
    before: str
    after: str


def render_report_html(
    comparison: Comparison, edits: Sequence[FieldEdit] = (), generated_on: str = ""
) -> str:
    parts = [f"<h1>{REPORT_TITLE}</h1>"]
    if generated_on:
        parts.append(f"<p>Prepared {escape(generated_on)} for the approving committee.</p>")
    parts.append(
        "<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
        "<tr><th></th><th align='left'>Protocol in force</th>"
        "<th align='left'>Proposed protocol</th></tr>"
        + _row("Id", comparison.old.id, comparison.new.id)
        + _row("Version", comparison.old.version, comparison.new.version)
        + _row("Title", comparison.old.title, comparison.new.title)
        + _row("SHA-256", _hash(comparison.old), _hash(comparison.new))
        + "</table>"
    )
    parts.append("<h2>Fields changed</h2>")
    if edits:
        parts.append(
            "<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
            "<tr><th align='left'>Field</th><th align='left'>Was</th>"
            "<th align='left'>Becomes</th></tr>"
            + "".join(_row(e.field, e.before, e.after) for e in edits)
            + "</table>"
        )
    else:
        parts.append("<p>No field a site edits differs.</p>")
    parts.append("<h2>What changes for patients</h2>")
    parts.append(
        f"<p>{escape(cases_run_text(comparison))} {comparison.changed_cases} of them have a "
        "different outcome.</p>"
    )
    groups = comparison.by_change()
    if not groups:
        parts.append("<p><b>No outcome, order, dose, rate or warning changes.</b></p>")
    for change, cases in groups:
        shown = ", ".join(escape(c) for c in cases[:_CASES_SHOWN])
        more = len(cases) - _CASES_SHOWN
        if more > 0:
            shown += f" and {more} more"
        parts.append(
            f"<p><b>{escape(change)}</b><br>{len(cases)} case{'s' if len(cases) != 1 else ''}: "
            f"{shown}</p>"
        )
    parts.append(
        "<h2>Approval</h2><table border='1' cellspacing='0' cellpadding='12' width='100%'>"
        "<tr><td width='50%'>Approved by (name, signature)</td><td>Date</td></tr></table>"
    )
    return "".join(parts)


def report_text(comparison: Comparison) -> str:
    """The changes as plain text: each change, then the cases it happens in."""
    lines = [
        f"In force: {comparison.old.text}",
        f"Proposed: {comparison.new.text}",
        cases_run_text(comparison),
        f"{comparison.changed_cases} of them change.",
    ]
    for change, cases in comparison.by_change():
        lines.append(f"- {change} ({len(cases)} case{'s' if len(cases) != 1 else ''})")
        lines += textwrap.wrap(
            ", ".join(cases), width=96, initial_indent="    ", subsequent_indent="    "
        )
    return "\n".join(lines) + "\n"


def cases_run_text(comparison: Comparison) -> str:
    """Which cases both protocols were run over, counted by where they come from: "2009 cases
    were run through both protocols: 6 bundled examples, ...; no worked cases were given." """
    counted = [
        f"{count} {_SOURCE_NAMES[source][count != 1]}"
        for source, count in comparison.sources
        if count
    ]
    listed = (
        ", ".join(counted[:-1]) + " and " + counted[-1] if len(counted) > 1 else "".join(counted)
    )
    text = f"{comparison.cases_run} cases were run through both protocols"
    text += f": {listed}" if listed else ""
    if not comparison.count_of(GIVEN):
        text += "; no worked cases were given"
    return text + "."


def _row(name: str, old: str, new: str) -> str:
    return f"<tr><td>{escape(name)}</td><td>{escape(old)}</td><td>{escape(new)}</td></tr>"


def _hash(identity: ProtocolIdentity) -> str:
    # Broken in two, so a 64-digit hash fits a table cell on paper.
    return f"{identity.sha256[:32]} {identity.sha256[32:]}"
