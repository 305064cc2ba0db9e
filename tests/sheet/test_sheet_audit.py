"""Each sheet leaves an audit entry whose hash is printed on the sheet, and the sheet names
the protocol that produced it, including a per-user evaluation install."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sheet_support import examples_dir, pdf_pages, run_sheet_command

from mgdesk.commands import sheet as sheet_cli
from mgdesk.printing import render
from mgdesk.records import audit
from mgdesk.records.audit import AuditLog
from mgdesk.records.audit_chain import GENESIS_HASH, entry_hash
from mgdesk.records.safefile import FileLock

pytestmark = pytest.mark.slow  # each test runs `mgdesk sheet` in a subprocess

MILD = "mild-oral-1.4-mg-dl.json"
AUDIT_ENTRY = re.compile(r"Audit entry ([0-9a-f]{64})")


def mgdesk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mgdesk", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_printed_audit_hash_is_found_in_the_log(tmp_path: Path) -> None:
    result = run_sheet_command([str(examples_dir() / MILD), "-o", "sheet.pdf"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = {m for page in pdf_pages(tmp_path / "sheet.pdf") for m in AUDIT_ENTRY.findall(page)}
    assert len(printed) == 1, "every page prints the same audit entry hash"
    (entry_hash,) = printed
    assert entry_hash in result.stdout

    found = mgdesk("audit", "verify", "--sheet", entry_hash, cwd=tmp_path)
    assert found.returncode == 0, found.stdout + found.stderr
    listed = json.loads(mgdesk("audit", "list", "--json", cwd=tmp_path).stdout)["entries"]
    assert [e["kind"] for e in listed] == ["sheet", "outcome"]
    assert listed[0]["hash"] == entry_hash
    assert listed[1]["output"] == str((tmp_path / "sheet.pdf").resolve())


def test_a_refused_sheet_leaves_no_audit_entry(tmp_path: Path) -> None:
    result = run_sheet_command(
        [str(examples_dir() / "oral-failed-stoma.json"), "-o", "sheet.pdf"], cwd=tmp_path
    )
    assert result.returncode == 2
    listed = mgdesk("audit", "list", "--json", cwd=tmp_path)
    assert "there is no audit log" in listed.stderr or json.loads(listed.stdout)["entries"] == []


def test_a_per_user_protocol_is_used_and_marked_on_the_sheet(tmp_path: Path) -> None:
    site = json.loads(
        (
            Path(__file__).resolve().parents[2]
            / "mgdesk"
            / "resources"
            / "protocols"
            / "default.json"
        ).read_text("utf-8")
    )
    site["id"] = "st-elsewhere-hypomagnesemia"
    (tmp_path / "site.json").write_text(json.dumps(site), encoding="utf-8")
    installed = mgdesk("protocol", "install", "--user", "site.json", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    plan = json.loads(
        mgdesk("evaluate", "--format", "json", str(examples_dir() / MILD), cwd=tmp_path).stdout
    )
    assert plan["protocol"]["id"] == "st-elsewhere-hypomagnesemia"

    result = run_sheet_command([str(examples_dir() / MILD), "-o", "sheet.pdf"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pages = pdf_pages(tmp_path / "sheet.pdf")
    assert all("st-elsewhere-hypomagnesemia" in page for page in pages)
    assert all("protocol installed per user, for evaluation only" in page for page in pages)


# --- A sheet printed while the log was locked: its provisional hash anchors the chain -----


def _printed_hash(pdf: Path) -> str:
    (printed,) = {m for page in pdf_pages(pdf) for m in AUDIT_ENTRY.findall(page)}
    return printed


def _rewrite_chain(log: AuditLog, seq: int, sheet_id: str) -> None:
    """What a forger does: change one entry, then recompute every hash from it on, so the
    chain is whole again."""
    entries = log.entries()
    with closing(sqlite3.connect(log.path, isolation_level=None)) as db:
        previous = entries[seq - 2].hash if seq > 1 else GENESIS_HASH
        for entry in entries[seq - 1 :]:
            fields = {k: v for k, v in entry.as_dict().items() if k not in ("prev_hash", "hash")}
            if entry.seq == seq:
                fields["sheet_id"] = sheet_id
            digest = entry_hash(previous, fields)
            db.execute(
                "UPDATE entries SET sheet_id = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (fields["sheet_id"], previous, digest, entry.seq),
            )
            previous = digest


def test_a_sheet_printed_while_the_log_was_locked_anchors_the_chain_like_any_other(
    tmp_path: Path,
) -> None:
    case = str(examples_dir() / MILD)
    assert run_sheet_command([case, "-o", "first.pdf"], cwd=tmp_path).returncode == 0
    log = AuditLog()
    with closing(sqlite3.connect(log.path, isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")  # another program holds the log
        locked = run_sheet_command([case, "-o", "locked.pdf"], cwd=tmp_path)
        assert locked.returncode == 0, locked.stderr
        assert "in use by another program" in locked.stderr
        provisional = _printed_hash(tmp_path / "locked.pdf")
        waiting = mgdesk("audit", "verify", "--sheet", provisional, cwd=tmp_path)
        assert waiting.returncode == 1 and "not in the log yet" in waiting.stderr
        holder.execute("ROLLBACK")
    later = run_sheet_command([case, "-o", "later.pdf"], cwd=tmp_path)  # records the queue
    assert later.returncode == 0 and "audit log" not in later.stderr, later.stderr
    later_hash = _printed_hash(tmp_path / "later.pdf")
    assert not log.queued()

    for printed in (provisional, later_hash):
        found = mgdesk("audit", "verify", "--sheet", printed, cwd=tmp_path)
        assert found.returncode == 0, found.stderr
        assert "the chain is intact up to it" in found.stdout

    _rewrite_chain(log, seq=1, sheet_id="FORGD-SHEET")
    assert mgdesk("audit", "verify", cwd=tmp_path).returncode == 0  # a whole chain again
    for printed in (later_hash, provisional):
        rewritten = mgdesk("audit", "verify", "--sheet", printed, cwd=tmp_path)
        assert rewritten.returncode == 1, (printed == provisional, rewritten.stdout)
        assert "Traceback" not in rewritten.stderr


def test_a_busy_queue_while_the_sheet_is_written_loses_no_entry_and_is_told(
    qapp: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log is locked, and another program takes the queue's lock while the PDF is being
    written: the outcome still goes somewhere, the user is told, and nothing is lost."""
    monkeypatch.setattr(audit, "QUEUE_LOCK_SECONDS", 0.1)
    defaults = AuditLog.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "busy_timeout", 0.1)
    case = str(examples_dir() / MILD)
    assert (
        sheet_cli.run(
            ["sheet", case, "-o", str(tmp_path / "first.pdf"), "--prescriber", "Dr Jane Roe"]
        )
        == 0
    )
    log = AuditLog()
    queue_holder = FileLock(log.path.with_name(log.path.name + ".queue.lock"))
    write_pdf = render.write_pdf

    def write_then_take_the_queue(*args: Any) -> int:
        pages = write_pdf(*args)
        assert queue_holder.acquire()
        return pages

    monkeypatch.setattr(render, "write_pdf", write_then_take_the_queue)
    out, err = io.StringIO(), io.StringIO()
    with closing(sqlite3.connect(log.path, isolation_level=None)) as holder, queue_holder:
        holder.execute("BEGIN EXCLUSIVE")
        status = sheet_cli.run(
            ["sheet", case, "-o", str(tmp_path / "sheet.pdf"), "--prescriber", "Dr Jane Roe"],
            stdout=out,
            stderr=err,
        )
        assert status == 0, err.getvalue()
        told = err.getvalue().splitlines()
        assert len(told) == 2 and all(line.startswith("mgdesk: audit log: ") for line in told)
        assert "locked" in told[0] and "the audit queue is in use" in told[1]
        holder.execute("ROLLBACK")
    provisional = _printed_hash(tmp_path / "sheet.pdf")
    assert f"audit entry {provisional}" in out.getvalue()
    # The sheet's entry is in the queue, its outcome in a file of its own beside it.
    waiting = mgdesk("audit", "verify", "--sheet", provisional, cwd=tmp_path)
    assert waiting.returncode == 1
    assert f"waits in the audit queue ({log.path}.queue*.jsonl)" in waiting.stderr
    assert f"2 entries wait in the audit queue ({log.path}.queue*.jsonl)" in waiting.stdout

    flushed = log.flush_pending()
    assert (flushed.recorded, flushed.waiting, flushed.problem) == (2, 0, None)
    sheet, outcome = log.entries()[-2:]
    assert (sheet.kind, sheet.queued_as) == ("sheet", provisional)
    assert (outcome.kind, outcome.refers_to) == ("outcome", provisional)
    assert outcome.output == str((tmp_path / "sheet.pdf").resolve())
    assert log.find_sheet(provisional).verified
    assert [p.name for p in log.path.parent.iterdir() if ".queue." in p.name] == [
        "audit.sqlite3.queue.lock"
    ]
