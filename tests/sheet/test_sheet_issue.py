"""Issuing a sheet without Qt: what is recorded and written, and what the caller is told."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sheet_support import FACILITY, evaluated, example

from mgdesk.core.protocol_loader import default_protocol
from mgdesk.document.issue import (
    Issued,
    NotWritten,
    SheetRecorder,
    Writer,
    Written,
    issue_sheet,
)
from mgdesk.document.sheet import OrderSheet
from mgdesk.records.audit import AuditLog

MILD = "mild-oral-1.4-mg-dl.json"


def _printer(given: list[OrderSheet]) -> Writer:
    """A writer that keeps the sheets it is given and says they went to a printer."""

    def write(sheet: OrderSheet) -> Written:
        given.append(sheet)
        return Written(2, "printer Ward 3")

    return write


def _never(sheet: OrderSheet) -> Written:
    raise AssertionError("the sheet was written")


def _issue(log: AuditLog | None, write: Writer, name: str = MILD) -> Issued:
    case, plan = evaluated(example(name))
    return issue_sheet(
        case,
        plan,
        default_protocol(),
        facility=FACILITY,
        prescriber="Dr Jane Roe",
        acknowledged=(),
        write=write,
        recorder=SheetRecorder(log, case.document, plan) if log else None,
    )


def test_a_written_sheet_prints_the_hash_of_its_entry_and_records_where_it_went(
    tmp_path: Path,
) -> None:
    log = AuditLog(tmp_path / "audit.sqlite3")
    given: list[OrderSheet] = []
    issued = _issue(log, _printer(given))
    assert issued.outcome == "written" and issued.audit_problems == ()
    assert [s.audit_hash for s in given] == [issued.audit_hash] and not issued.provisional
    sheet, outcome = log.entries()
    assert sheet.hash == issued.audit_hash
    assert (outcome.refers_to, outcome.output) == (issued.audit_hash, "printer Ward 3")


def test_a_cancelled_sheet_is_recorded_as_not_output(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite3")

    def cancel(sheet: OrderSheet) -> Written:
        raise NotWritten("the print dialog was cancelled", "cancelled")

    issued = _issue(log, cancel)
    assert issued.outcome == "not written" and issued.failure is not None
    assert issued.failure.kind == "cancelled"
    outcome = log.entries()[-1]
    assert (outcome.result, outcome.note) == ("not output", "the print dialog was cancelled")


def test_nothing_is_written_or_recorded_for_a_refused_sheet(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite3")
    issued = _issue(log, _never, "oral-failed-stoma.json")
    assert issued.outcome == "refused" and issued.reasons
    assert not log.path.exists()


def test_nothing_is_written_when_the_entry_can_be_recorded_nowhere(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite3")
    log.path.mkdir()  # neither the log
    log.queue_path.mkdir()  # nor its queue can be written
    issued = _issue(log, _never)
    assert issued.outcome == "not recorded"
    assert "Nothing has been recorded" in issued.reasons[0]


def test_a_locked_log_gives_a_provisional_hash_and_says_so(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite3", busy_timeout=0.1)
    assert _issue(log, _printer([])).outcome == "written"
    with closing(sqlite3.connect(log.path, isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        issued = _issue(log, _printer([]))
    assert issued.outcome == "written" and issued.provisional
    assert len(issued.audit_problems) == 2  # the sheet's entry and its outcome, both queued
    assert log.queued()[0]["queued_as"] == issued.audit_hash


def test_without_a_recorder_the_sheet_has_no_audit_hash() -> None:
    given: list[OrderSheet] = []
    issued = _issue(None, _printer(given))
    assert issued.outcome == "written" and issued.audit_hash is None
    assert given[0].audit_hash is None
