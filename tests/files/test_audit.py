"""The audit trail: hash-chained entries, tampering found, a locked or damaged log queued."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from files_support import example_case, example_plan, read_only, run_admin

from mgdesk.core.protocol_loader import default_protocol
from mgdesk.records.audit import (
    AuditLog,
    AuditLogError,
    PendingEntry,
    case_sha256,
    default_audit_path,
    plan_sha256,
)
from mgdesk.records.audit_chain import GENESIS_HASH, canonical_json

CASE = example_case()
PLAN = example_plan(CASE)
PROTOCOL_SHA = default_protocol().sha256


def _log(tmp_path: Path, **options: Any) -> AuditLog:
    return AuditLog(tmp_path / "audit.sqlite3", busy_timeout=0.2, **options)


def _prepare(log: AuditLog, sheet_id: str, patient_id: str | None = "MRN-1") -> PendingEntry:
    return log.prepare(
        sheet_id=sheet_id,
        case_document=CASE,
        plan=PLAN,
        protocol_sha256=PROTOCOL_SHA,
        acknowledged_warnings=["renal_crcl_below_30"],
        patient_id=patient_id,
    )


def _print(log: AuditLog, sheet_id: str) -> PendingEntry:
    pending = _prepare(log, sheet_id)
    assert pending.problem is None
    assert log.commit(pending, "Ward 3 printer") is None
    return pending


def _sql(log: AuditLog, *statements: str) -> None:
    with sqlite3.connect(log.path, isolation_level=None) as db:
        for statement in statements:
            db.execute(statement)
    db.close()


@pytest.fixture
def printed(tmp_path: Path) -> tuple[AuditLog, list[PendingEntry]]:
    """A log with five printed sheets: entries 1-10, sheets at odd numbers."""
    log = _log(tmp_path)
    return log, [_print(log, f"S-{n}") for n in range(1, 6)]


def test_the_default_log_is_in_the_users_data_folder(isolated_folders: tuple[Path, Path]) -> None:
    assert default_audit_path() == isolated_folders[0] / "audit.sqlite3"
    assert AuditLog().path == default_audit_path()


def test_a_printed_sheet_has_an_entry_and_an_outcome(tmp_path: Path) -> None:
    log = _log(tmp_path)
    pending = _print(log, "S-1")
    sheet, outcome = log.entries()
    assert sheet.hash == pending.hash and sheet.seq == 1 and sheet.kind == "sheet"
    assert sheet.time == pending.time and sheet.time.endswith("Z")
    assert (
        sheet.case_sha256 == case_sha256(CASE) == hashlib.sha256(canonical_json(CASE)).hexdigest()
    )
    assert (
        sheet.plan_sha256
        == plan_sha256(PLAN)
        == hashlib.sha256(canonical_json(PLAN.as_dict())).hexdigest()
    )
    assert sheet.protocol_sha256 == PROTOCOL_SHA
    assert json.loads(sheet.acknowledged_warnings or "") == ["renal_crcl_below_30"]
    assert sheet.patient_id is None  # the site has not turned it on
    assert (outcome.kind, outcome.result, outcome.output, outcome.refers_to) == (
        "outcome",
        "output",
        "Ward 3 printer",
        pending.hash,
    )
    assert log.verify().intact and log.find_sheet(pending.hash).verified
    with sqlite3.connect(log.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_each_hash_covers_the_previous_hash_and_the_entrys_fields(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _print(log, "S-1")
    previous = GENESIS_HASH
    for entry in log.entries():
        fields = {k: v for k, v in entry.as_dict().items() if k not in ("prev_hash", "hash")}
        assert entry.prev_hash == previous
        assert (
            entry.hash
            == hashlib.sha256(previous.encode() + b"\n" + canonical_json(fields)).hexdigest()
        )
        previous = entry.hash


def test_the_patient_id_is_kept_only_when_the_site_turns_it_on(tmp_path: Path) -> None:
    log = _log(tmp_path, record_patient_id=True)
    _print(log, "S-1")
    assert log.entries()[0].patient_id == "MRN-1"


def test_the_case_hash_does_not_depend_on_key_order() -> None:
    assert case_sha256(CASE) == case_sha256(dict(reversed(list(CASE.items()))))


def test_a_sheet_that_was_not_output_says_so(tmp_path: Path) -> None:
    log = _log(tmp_path)
    pending = _prepare(log, "S-1")
    assert log.abandon(pending, "printer out of paper") is None
    outcome = log.entries()[-1]
    assert (outcome.result, outcome.note, outcome.output) == (
        "not output",
        "printer out of paper",
        None,
    )
    status, out, _ = run_admin("audit", "list", "--db", str(log.path))
    assert status == 0 and "not output: printer out of paper" in out


def test_audit_list_shows_a_table_or_json(printed: tuple[AuditLog, list[PendingEntry]]) -> None:
    log, sheets = printed
    status, out, _ = run_admin("audit", "list", "--db", str(log.path))
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"Audit log {log.path}: 10 entries"
    assert lines[1].split()[:5] == ["#", "time", "(UTC)", "kind", "sheet"]
    assert (
        "S-5" in lines[-2]
        and sheets[-1].hash[:16] in lines[-2]
        and "output to Ward 3 printer" in lines[-1]
    )
    status, out, _ = run_admin("audit", "list", "--db", str(log.path), "--json")
    document = json.loads(out)
    assert [e["seq"] for e in document["entries"]] == list(range(1, 11)) and document[
        "queued"
    ] == []
    assert document["entries"][8]["hash"] == sheets[-1].hash
    out = run_admin("audit", "list", "--db", str(log.path), "--last", "2")[1]
    assert "S-5" in out and "S-4" not in out


def test_audit_verify_passes_an_untouched_log(printed: tuple[AuditLog, list[PendingEntry]]) -> None:
    log, sheets = printed
    status, out, _ = run_admin("audit", "verify", "--db", str(log.path))
    assert status == 0 and "10 entries; the chain is intact" in out
    grouped = " ".join(sheets[1].hash[i : i + 4] for i in range(0, 64, 4)).upper()
    status, out, _ = run_admin("audit", "verify", "--db", str(log.path), "--sheet", grouped)
    assert status == 0 and "is entry 3" in out and "S-2" in out


# --- Tampering: the first bad entry is named ---------------------------------------------

TAMPERING = {
    "changed output": (
        ["UPDATE entries SET output = 'Home printer' WHERE seq = 4"],
        "entry 4 has been altered",
    ),
    "changed sheet id": (
        ["UPDATE entries SET sheet_id = 'S-99' WHERE seq = 3"],
        "entry 3 has been altered",
    ),
    "changed warnings": (
        ["UPDATE entries SET acknowledged_warnings = '[]' WHERE seq = 7"],
        "entry 7 has been altered",
    ),
    "changed type": (["UPDATE entries SET time = 5 WHERE seq = 2"], "entry 2 has been altered"),
    "changed to binary": (
        ["UPDATE entries SET note = x'00ff' WHERE seq = 2"],
        "entry 2 has been altered",
    ),
    "deleted": (["DELETE FROM entries WHERE seq = 5"], "entry 5 is missing"),
    "deleted first": (["DELETE FROM entries WHERE seq = 1"], "entry 1 is missing"),
    "reordered": (
        [
            "UPDATE entries SET seq = -3 WHERE seq = 3",
            "UPDATE entries SET seq = 3 WHERE seq = 5",
            "UPDATE entries SET seq = 5 WHERE seq = -3",
        ],
        "entry 3 does not follow",
    ),
    "inserted": (
        [
            "UPDATE entries SET seq = seq + 100 WHERE seq >= 6",
            "UPDATE entries SET seq = seq - 99 WHERE seq >= 100",
            "INSERT INTO entries SELECT 6, kind, time, 'S-X', case_sha256, plan_sha256,"
            " protocol_sha256, acknowledged_warnings, patient_id, output, result, refers_to,"
            " note, NULL, prev_hash,"
            " CASE substr(hash, 1, 1) WHEN 'f' THEN 'e' ELSE 'f' END || substr(hash, 2)"
            " FROM entries WHERE seq = 5",
        ],
        "entry 6 does not follow",
    ),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
def test_audit_verify_names_the_first_altered_entry(
    printed: tuple[AuditLog, list[PendingEntry]], tampering: str
) -> None:
    log, _ = printed
    statements, expected = TAMPERING[tampering]
    _sql(log, *statements)
    status, out, err = run_admin("audit", "verify", "--db", str(log.path))
    assert status == 1 and out == ""
    assert expected in err and "tampered with" in err and "Traceback" not in err


def test_rewriting_an_entry_with_a_fresh_hash_breaks_the_next_link(
    printed: tuple[AuditLog, list[PendingEntry]],
) -> None:
    log, _ = printed
    entry = log.entries()[2]
    fields = {k: v for k, v in entry.as_dict().items() if k not in ("prev_hash", "hash")}
    fields["sheet_id"] = "S-forged"
    forged = hashlib.sha256(entry.prev_hash.encode() + b"\n" + canonical_json(fields)).hexdigest()
    _sql(log, f"UPDATE entries SET sheet_id = 'S-forged', hash = '{forged}' WHERE seq = 3")
    assert str(log.verify().first_bad) == (
        "entry 4 does not follow the entry before it: "
        "entries before it were changed, deleted or reordered"
    )


def test_a_deleted_newest_entry_is_found_from_the_printed_hash(
    printed: tuple[AuditLog, list[PendingEntry]],
) -> None:
    log, sheets = printed
    _sql(log, "DELETE FROM entries WHERE seq >= 9")
    assert run_admin("audit", "verify", "--db", str(log.path))[0] == 0  # the chain itself is whole
    status, _, err = run_admin("audit", "verify", "--db", str(log.path), "--sheet", sheets[-1].hash)
    assert status == 1 and "is not in the audit log" in err


def test_a_sheet_after_a_broken_link_does_not_verify(
    printed: tuple[AuditLog, list[PendingEntry]],
) -> None:
    log, sheets = printed
    _sql(log, "UPDATE entries SET output = 'elsewhere' WHERE seq = 2")
    assert run_admin("audit", "verify", "--db", str(log.path), "--sheet", sheets[0].hash)[0] == 0
    status, _, err = run_admin("audit", "verify", "--db", str(log.path), "--sheet", sheets[3].hash)
    assert status == 1 and "broken before it" in err and "entry 2" in err


@pytest.mark.parametrize("bad", ["", "abc", "g" * 64, "0" * 63])
def test_a_malformed_sheet_hash_is_invalid_input(
    printed: tuple[AuditLog, list[PendingEntry]], bad: str
) -> None:
    status, _, err = run_admin("audit", "verify", "--db", str(printed[0].path), "--sheet", bad)
    assert status == 2 and "not a sheet hash" in err


def test_a_missing_log_is_reported_without_a_traceback(tmp_path: Path) -> None:
    for command in (["audit", "verify"], ["audit", "list"]):
        status, _, err = run_admin(*command, "--db", str(tmp_path / "absent.sqlite3"))
        assert status == 1 and "no audit log" in err and "Traceback" not in err
    assert not (tmp_path / "absent.sqlite3").exists()


# --- A locked or damaged log: the problem is shown, the entry queued, recorded later -----


@pytest.fixture
def locked(printed: tuple[AuditLog, list[PendingEntry]]) -> Iterator[sqlite3.Connection]:
    holder = sqlite3.connect(printed[0].path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    yield holder
    holder.close()


def test_a_locked_log_queues_the_entry_and_records_it_when_free(
    printed: tuple[AuditLog, list[PendingEntry]], locked: sqlite3.Connection
) -> None:
    log, _ = printed
    started = time.monotonic()
    pending = _prepare(log, "S-locked")
    assert time.monotonic() - started < 2  # one busy wait, not one per attempt
    assert pending.queued and pending.problem is not None
    assert "locked" in pending.problem and str(log.queue_path) in pending.problem
    problem = log.commit(pending, "Ward 3 printer")
    assert problem is not None and "locked" in problem
    lines = log.queue_path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["content"]["kind"] for line in lines] == ["sheet", "outcome"]
    assert json.loads(lines[0])["queued_as"] == pending.hash

    status, out, _ = run_admin("audit", "verify", "--db", str(log.path))
    assert status == 0 and "2 entries wait" in out  # readers are not blocked in WAL mode
    status, _, err = run_admin("audit", "verify", "--db", str(log.path), "--sheet", pending.hash)
    assert status == 1 and "not in the log yet" in err

    locked.execute("ROLLBACK")
    flushed = log.flush_pending()
    assert (flushed.recorded, flushed.waiting, flushed.problem) == (2, 0, None)
    assert not log.queue_path.exists()
    sheet, outcome = log.entries()[-2:]
    assert (sheet.seq, sheet.sheet_id, sheet.queued_as) == (11, "S-locked", pending.hash)
    assert (
        sheet.note is not None
        and sheet.note.startswith("recorded late: ")
        and "locked" in sheet.note
    )
    assert outcome.refers_to == pending.hash and outcome.output == "Ward 3 printer"
    lookup = log.find_sheet(pending.hash)
    assert lookup.verified and lookup.entry == sheet
    assert run_admin("audit", "verify", "--db", str(log.path), "--sheet", pending.hash)[0] == 0


def test_queued_entries_go_first_once_the_log_is_free(
    printed: tuple[AuditLog, list[PendingEntry]], locked: sqlite3.Connection
) -> None:
    log, _ = printed
    queued = _prepare(log, "S-queued")
    locked.execute("ROLLBACK")
    later = _print(log, "S-later")  # flushes the queue before its own entry
    order = [(e.sheet_id, e.kind) for e in log.entries()[-3:]]
    assert order == [("S-queued", "sheet"), ("S-later", "sheet"), ("S-later", "outcome")]
    assert log.find_sheet(queued.hash).verified and log.find_sheet(later.hash).verified
    assert log.verify().intact


def test_flushing_twice_records_each_entry_once(
    printed: tuple[AuditLog, list[PendingEntry]], locked: sqlite3.Connection
) -> None:
    log, _ = printed
    _prepare(log, "S-queued")
    saved_queue = log.queue_path.read_bytes()
    locked.execute("ROLLBACK")
    assert log.flush_pending().recorded == 1
    log.queue_path.write_bytes(saved_queue)  # as if the program died before clearing it
    assert log.flush_pending().recorded == 0
    assert [e.sheet_id for e in log.entries()].count("S-queued") == 1


def test_a_damaged_queue_line_is_kept_aside_and_does_not_block_the_rest(
    printed: tuple[AuditLog, list[PendingEntry]], locked: sqlite3.Connection
) -> None:
    log, _ = printed
    _prepare(log, "S-queued")
    damaged = b'{"queued_as": "x", "content": {"kind": ["not", "text"]}}\n'
    log.queue_path.write_bytes(b"{half a li\n" + log.queue_path.read_bytes() + damaged)
    locked.execute("ROLLBACK")
    flushed = log.flush_pending()
    assert flushed.recorded == 1 and flushed.problem is not None and "2 lines" in flushed.problem
    assert log.queue_path.read_bytes() == b"{half a li\n" + damaged
    status, out, err = run_admin("audit", "verify", "--db", str(log.path))
    assert status == 0 and "chain is intact" in out and "2 lines" in err


def test_a_damaged_log_is_reported_and_its_entries_queued(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.path.write_bytes(os.urandom(4096))
    pending = _prepare(log, "S-1")
    assert pending.problem is not None and "damaged" in pending.problem
    for command in (["audit", "verify"], ["audit", "list"]):
        status, _, err = run_admin(*command, "--db", str(log.path))
        assert status == 1 and "damaged" in err and "Traceback" not in err
    log.path.rename(tmp_path / "audit-damaged.sqlite3")  # what the administrator does
    flushed = log.flush_pending()
    assert (flushed.recorded, flushed.waiting) == (1, 0)
    assert log.find_sheet(pending.hash).verified


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        ("PRAGMA user_version = 2", "newer mgdesk"),
        ("CREATE TABLE patients (name TEXT)", "not an mgdesk audit log"),
    ],
)
def test_a_log_this_mgdesk_cannot_use_is_reported(tmp_path: Path, setup: str, problem: str) -> None:
    log = _log(tmp_path)
    _sql(log, setup)
    pending = _prepare(log, "S-1")
    assert pending.problem is not None and problem in pending.problem
    status, _, err = run_admin("audit", "verify", "--db", str(log.path))
    assert status == 1 and problem in err


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        ("open", errno.EROFS, "read-only disk"),
        ("write", errno.ENOSPC, "is full"),
    ],
)
def test_when_neither_log_nor_queue_can_record_the_caller_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int, message: str
) -> None:
    log = _log(tmp_path)
    log.path.write_bytes(b"garbage" * 100)
    original = getattr(os, call)

    def failing(*args: Any, **kwargs: Any) -> Any:
        if call == "open" and not str(args[0]).endswith(".tmp"):
            return original(*args, **kwargs)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, call, failing)
    with pytest.raises(AuditLogError) as caught:
        _prepare(log, "S-1")
    monkeypatch.undo()
    text = str(caught.value)
    assert "damaged" in text and message in text and "Nothing has been recorded" in text
    assert not log.queue_path.exists()


def test_a_log_in_a_real_read_only_folder_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    log = AuditLog(folder / "audit.sqlite3", busy_timeout=0.2)
    _print(log, "S-1")
    with read_only(folder), pytest.raises(AuditLogError) as caught:
        _prepare(log, "S-2")
    assert "permission denied" in str(caught.value) and "Nothing has been recorded" in str(
        caught.value
    )
    assert [e.sheet_id for e in log.entries()] == ["S-1", "S-1"]


def test_the_case_hash_covers_an_exact_number_as_written(tmp_path: Path) -> None:
    document = {"patient": {"age_years": Decimal("17.99999999999999999999")}}
    assert canonical_json(document) == b'{"patient":{"age_years":17.99999999999999999999}}'
    log = _log(tmp_path)
    log.prepare(
        sheet_id="S-1",
        case_document=document,
        plan=PLAN,
        protocol_sha256=PROTOCOL_SHA,
        acknowledged_warnings=[],
    )
    assert log.entries()[0].case_sha256 == hashlib.sha256(canonical_json(document)).hexdigest()
