"""Issuing an order sheet: build it, record its audit entry, write it, record the outcome.

The one sequence behind `mgdesk sheet` and the window's order sheet dialog, without Qt:

1. build the sheet, and ask the caller whether its destination can take it (refused:
   nothing is recorded or written);
2. prepare its audit entry, whose hash the sheet prints in its footer (if the entry can be
   recorded nowhere, nothing is written);
3. write it with the caller's writer (a PDF file or a printer, from mgdesk.printing), which
   raises NotWritten when it did not output the sheet;
4. commit the outcome (where the sheet went) or abandon it (why it was not output).

issue_sheet() returns an Issued saying what happened, including everything the audit log
could not take: the caller must show each of Issued.audit_problems to the user.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from mgdesk.core.case import Case
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.text import as_typed
from mgdesk.document.sheet import OrderSheet, SheetRefused, build_sheet, new_sheet_id
from mgdesk.records.audit import AuditLog, AuditLogError, PendingEntry

# What the sheet's footer holds while it is checked, before its entry exists. The wording
# rules read it as "[entered]", like the hash that replaces it, so they check the footer as
# printed, and only once.
AUDIT_HASH_TO_COME = "to come"

NotWrittenKind = Literal["cancelled", "refused", "failed", "reported"]
Outcome = Literal["refused", "not recorded", "written", "not written"]


class NotWritten(Exception):  # noqa: N818 - an outcome the writer reports, not a fault
    """Raised by a writer that did not output the sheet. reason is recorded in the audit
    log and shown to the user; kind says whether the user cancelled, the sheet was refused
    (by the renderer or the printer), the system failed to write it, or the writer has
    already told the user why ("reported": not to be shown twice)."""

    def __init__(self, reason: str, kind: NotWrittenKind = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: NotWrittenKind = kind


class Written(Frozen):
    """What a writer produced: the number of pages, and where they went as the audit log
    records it (a PDF's full path, or "printer NAME")."""

    pages: int
    output: str


Writer = Callable[[OrderSheet], Written]


class SheetRecorder:
    """The audit entries of the sheets made from one case document and its plan."""

    def __init__(self, log: AuditLog, case_document: Mapping[str, Any], plan: Plan) -> None:
        self.log = log
        self._document, self._plan = case_document, plan

    def prepare(self, sheet: OrderSheet) -> PendingEntry:
        """The sheet's entry, written before it is rendered; raises AuditLogError if it
        could be recorded nowhere."""
        return self.log.prepare(
            sheet_id=sheet.sheet_id,
            case_document=self._document,
            plan=self._plan,
            protocol_sha256=sheet.protocol_sha256,
            acknowledged_warnings=[w.code for w in sheet.acknowledged],
            patient_id=as_typed(sheet.patient_id) or None,
        )

    def commit(self, pending: PendingEntry, output: str) -> str | None:
        """Record where the sheet went; returns the problem to show, if any."""
        try:
            return self.log.commit(pending, output)
        except AuditLogError as exc:
            return str(exc)

    def abandon(self, pending: PendingEntry, reason: str) -> str | None:
        """Record why the sheet was not output; returns the problem to show, if any."""
        try:
            return self.log.abandon(pending, reason)
        except AuditLogError as exc:
            return str(exc)


class Issued(Frozen):
    """What happened to one sheet.

    outcome: "refused" (build_sheet refused it, or its destination cannot take it; reasons
    say why), "not recorded" (its audit entry could be recorded nowhere, so it was not
    written; reasons holds the log's problem), "written", or "not written" (the writer's
    NotWritten in failure).
    """

    outcome: Outcome
    sheet: OrderSheet | None = None  # as written: its footer holds audit_hash
    reasons: tuple[str, ...] = ()
    written: Written | None = None
    failure: NotWritten | None = None
    audit_hash: str | None = None
    provisional: bool = False  # the log could not take the entry now: the hash is its queued one
    audit_problems: tuple[str, ...] = ()  # for the user, in the order they arose


def issue_sheet(
    case: Case,
    plan: Plan,
    protocol: Protocol,
    *,
    facility: str,
    prescriber: str | None,
    acknowledged: Collection[str],
    write: Writer,
    prescriber_registration: str | None = None,
    prescriber_contact: str | None = None,
    recorder: SheetRecorder | None,
    evaluation_install: bool = False,
    evaluation_file: bool = False,
    destination_problems: Callable[[], Sequence[str]] = tuple,
) -> Issued:
    """Build, record, write and record the outcome of one sheet (see the module docstring).

    destination_problems: why the destination cannot take a sheet (a folder that does not
    exist), asked once the sheet is built and before its entry is recorded. Without a
    recorder the sheet has no audit entry and prints no audit hash.
    """
    try:
        sheet = build_sheet(
            case,
            plan,
            protocol,
            facility=facility,
            prescriber=prescriber,
            prescriber_registration=prescriber_registration,
            prescriber_contact=prescriber_contact,
            acknowledged=acknowledged,
            generated_at=datetime.now().astimezone(),
            sheet_id=new_sheet_id(),
            audit_hash=AUDIT_HASH_TO_COME if recorder is not None else None,
            evaluation_install=evaluation_install,
            evaluation_file=evaluation_file,
        )
    except SheetRefused as exc:
        return Issued("refused", reasons=exc.reasons)
    problems = tuple(destination_problems())
    if problems:
        return Issued("refused", reasons=problems)
    if recorder is None:
        return _write(sheet, write)
    # The entry is written before the sheet exists, so no printed sheet lacks one, and its
    # hash is printed in the footer, so paper anchors the chain.
    try:
        pending = recorder.prepare(sheet)
    except AuditLogError as exc:
        return Issued("not recorded", sheet, reasons=(str(exc),))
    issued = _write(replace(sheet, audit_hash=pending.hash), write)
    if issued.written is not None:
        outcome_problem = recorder.commit(pending, issued.written.output)
    else:
        assert issued.failure is not None
        outcome_problem = recorder.abandon(pending, issued.failure.reason)
    return replace(
        issued,
        audit_hash=pending.hash,
        provisional=pending.queued,
        audit_problems=tuple(p for p in (pending.problem, outcome_problem) if p),
    )


def _write(sheet: OrderSheet, write: Writer) -> Issued:
    try:
        written = write(sheet)
    except NotWritten as exc:
        return Issued("not written", sheet, reasons=(exc.reason,), failure=exc)
    return Issued("written", sheet, written=written)
