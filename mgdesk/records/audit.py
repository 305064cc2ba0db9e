"""The audit trail: a hash-chained entry for every order sheet printed or exported.

The log is a SQLite database (WAL mode) holding entries in sequence. Each entry's hash is
sha256(previous entry's hash + "\\n" + the canonical JSON of its fields, its sequence
number included), starting from 64 zeros, so changing, deleting or reordering any past
entry breaks the chain at that point, and verify() names the first bad entry (the hashes
and the check are in audit_chain). The log holds no patient data beyond the sheet id and
hashes, unless the site turns on record_patient_id.

Printing a sheet is two steps, so that no sheet can exist without its entry:

1. prepare() appends the sheet entry before the sheet is rendered, and returns its hash
   for the sheet's footer.
2. After the output, commit(pending, output) appends an outcome entry naming the printer
   or file; if the output failed or was cancelled, abandon(pending, reason) says so.

A sheet entry without an outcome means the program stopped during the output.

If the log cannot take an entry (locked by another program, damaged, not writable),
nothing stops silently: the entry goes to a side file beside the log (<log>.queue.jsonl,
JSON lines, rewritten atomically under a lock; while another program holds that lock, a
file of its own, <log>.queue.<time>-<random>.jsonl, which needs no lock), and prepare(),
commit() and abandon() return the problem, which the caller must show. The sheet then
carries a provisional hash, sha256("queued\\n" + canonical JSON of its fields), which
stays findable by find_sheet() once flush_pending() has recorded the entry into the chain
(every prepare() and commit() tries that first). A queued sheet entry's refers_to is the
hash of the newest entry in the log when it was printed (None if the log could not be
read), so its provisional hash anchors the chain up to there, as a chain hash would. Only
if the side file cannot be written either do they raise AuditLogError: then the entry is
recorded nowhere and the caller must not print without telling the user.

The hash printed on paper anchors the log: find_sheet(hash) checks that the entry is in
the chain and that the chain is intact up to it, so removing the newest entries, or
rewriting the log and recomputing its hashes, is found from any sheet printed later.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import stat
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import Plan
from mgdesk.records.audit_chain import (
    COLUMNS,
    CONTENT_FIELDS,
    GENESIS_HASH,
    AuditEntry,
    ChainReport,
    SheetLookup,
    canonical_json,
    entry_from_row,
    entry_hash,
    first_bad,
    queued_hash,
)
from mgdesk.records.paths import make_private_file, make_private_folder, user_data_dir
from mgdesk.records.safefile import FileLock, describe_write_error, read_within, write_atomically

AUDIT_FILE_NAME = "audit.sqlite3"
SCHEMA_VERSION = 1
QUEUE_LOCK_SECONDS = 5.0
# About 100 000 queued entries; a larger queue is not one mgdesk wrote.
MAX_QUEUE_BYTES = 64_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    time TEXT NOT NULL,
    sheet_id TEXT NOT NULL,
    case_sha256 TEXT,
    plan_sha256 TEXT,
    protocol_sha256 TEXT,
    acknowledged_warnings TEXT,
    patient_id TEXT,
    output TEXT,
    result TEXT,
    refers_to TEXT,
    note TEXT,
    queued_as TEXT UNIQUE,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
)
"""


def default_audit_path() -> Path:
    return user_data_dir() / AUDIT_FILE_NAME


def case_sha256(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def plan_sha256(plan: Plan) -> str:
    return hashlib.sha256(canonical_json(plan.as_dict())).hexdigest()


class AuditLogError(Exception):
    """The audit log cannot be read, or an entry could be recorded neither in the log nor
    in its queue; the message says which, for the user."""


class PendingEntry(Frozen):
    """A sheet's entry, appended before the sheet is rendered; print hash in its footer."""

    hash: str
    sheet_id: str
    time: str
    problem: str | None  # set when the entry went to the queue: show it to the user

    @property
    def queued(self) -> bool:
        return self.problem is not None


class FlushResult(Frozen):
    """Queued entries recorded into the log, those still waiting, and why."""

    recorded: int
    waiting: int
    problem: str | None
    queue_busy: bool = False  # another program holds the queue's lock


class AuditLog:
    """The audit log at path (default: the user's data folder; a site may share one)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        record_patient_id: bool = False,
        busy_timeout: float = 2.0,
    ) -> None:
        self.path = path or default_audit_path()
        self.record_patient_id = record_patient_id
        self.busy_timeout = busy_timeout

    @property
    def queue_path(self) -> Path:
        return self.path.with_name(self.path.name + ".queue.jsonl")

    # --- Recording -----------------------------------------------------------------------

    def prepare(
        self,
        *,
        sheet_id: str,
        case_document: Mapping[str, Any],
        plan: Plan,
        protocol_sha256: str,
        acknowledged_warnings: Sequence[str],
        patient_id: str | None = None,
    ) -> PendingEntry:
        """Append the sheet's entry before the sheet is rendered (see the module docstring).

        patient_id is stored only if the site turned record_patient_id on. Raises
        AuditLogError if the entry can be recorded neither in the log nor in the queue.
        """
        content = _content(
            kind="sheet",
            sheet_id=sheet_id,
            case_sha256=case_sha256(case_document),
            plan_sha256=plan_sha256(plan),
            protocol_sha256=protocol_sha256,
            acknowledged_warnings=canonical_json(list(acknowledged_warnings)).decode("utf-8"),
            patient_id=patient_id if self.record_patient_id else None,
        )
        digest, problem = self._record(content)
        return PendingEntry(digest, sheet_id, content["time"], problem)

    def commit(self, pending: PendingEntry, output: str) -> str | None:
        """Record that the sheet went to output (a printer name or a file path).

        Returns the problem to show if the outcome could only be queued.
        """
        content = _content(
            kind="outcome",
            sheet_id=pending.sheet_id,
            output=output,
            result="output",
            refers_to=pending.hash,
        )
        return self._record(content)[1]

    def abandon(self, pending: PendingEntry, reason: str) -> str | None:
        """Record that the sheet was not output (cancelled, or the printer failed)."""
        content = _content(
            kind="outcome",
            sheet_id=pending.sheet_id,
            result="not output",
            refers_to=pending.hash,
            note=reason,
        )
        return self._record(content)[1]

    def flush_pending(self) -> FlushResult:
        """Record queued entries into the log, in order; returns what remains and why."""
        if not any(path.exists() for path in self._queue_files()):
            return FlushResult(0, 0, None)
        lock = FileLock(self._queue_lock_path)
        try:
            if not lock.wait(QUEUE_LOCK_SECONDS):
                waiting = len(self.queued())
                return FlushResult(0, waiting, "the audit queue is in use", queue_busy=True)
            with lock:
                return self._flush_locked()
        except OSError as exc:
            return FlushResult(0, 0, f"the audit queue cannot be used ({exc.strerror or exc})")
        except AuditLogError as exc:
            return FlushResult(0, 0, str(exc))

    def _flush_locked(self) -> FlushResult:
        files = self._queue_files()
        items, unreadable = self._read_queue(files)
        recorded = 0
        try:
            with self._writing() as db:
                for item in items:
                    known = db.execute(
                        "SELECT 1 FROM entries WHERE queued_as = ?", (item["queued_as"],)
                    ).fetchone()
                    if known is None:
                        _append(db, item["content"], item["queued_as"])
                        recorded += 1
        except (sqlite3.Error, OSError, AuditLogError) as exc:
            return FlushResult(0, len(items), self._describe(exc))
        try:
            if unreadable:
                write_atomically(self.queue_path, b"".join(unreadable), mode=0o600)
            else:
                self.queue_path.unlink(missing_ok=True)
            for spilled in files[1:]:
                spilled.unlink(missing_ok=True)
        except OSError as exc:
            # Entries already recorded are skipped when the queue is flushed again.
            return FlushResult(recorded, 0, describe_write_error(exc, self.queue_path))
        problem = _unreadable_problem(unreadable, self.queue_path)
        return FlushResult(recorded, 0, problem)

    def _record(self, content: dict[str, Any]) -> tuple[str, str | None]:
        flushed = self.flush_pending()
        if flushed.waiting == 0:
            try:
                with self._writing() as db:
                    return _append(db, content, None), None
            except (sqlite3.Error, OSError, AuditLogError) as exc:
                reason = self._describe(exc)
        else:
            reason = flushed.problem or "earlier entries are still waiting in the queue"
        content["note"] = "; ".join(filter(None, (content["note"], f"recorded late: {reason}")))
        if content["kind"] == "sheet":
            content["refers_to"] = self._newest_hash()
        digest = queued_hash(content)
        try:
            kept_in = self._enqueue(
                {"queued_as": digest, "content": content}, wait=not flushed.queue_busy
            )
        except OSError as exc:
            raise AuditLogError(
                f"The audit log cannot record this: {reason}; and the queue {self.queue_path} "
                f"cannot be written either ({describe_write_error(exc, self.queue_path)}). "
                "Nothing has been recorded."
            ) from None
        return digest, (
            f"The audit log cannot record this now: {reason}. The entry is kept in "
            f"{kept_in} and will be added to the log when it is available; "
            "tell whoever looks after this workstation."
        )

    def _newest_hash(self) -> str | None:
        """The hash of the newest entry in the log (readers are not blocked while another
        program writes), GENESIS_HASH if it has none, None if it cannot be read."""
        try:
            rows = self._rows(last_only=True)
        except AuditLogError:
            return None if self.path.exists() else GENESIS_HASH
        return str(rows[0][COLUMNS.index("hash")]) if rows else GENESIS_HASH

    @property
    def _queue_lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".queue.lock")

    def _enqueue(self, item: Mapping[str, Any], *, wait: bool) -> Path:
        """Append item to the queue; returns the file that holds it."""
        make_private_folder(self.path.parent)
        line = canonical_json(item) + b"\n"
        with FileLock(self._queue_lock_path) as lock:
            # Once an entry has been spilled, later ones follow it, so the order holds.
            if lock.wait(QUEUE_LOCK_SECONDS if wait else 0) and len(self._queue_files()) == 1:
                try:
                    existing = read_within(self.queue_path, MAX_QUEUE_BYTES)
                except FileNotFoundError:
                    existing = b""
                write_atomically(self.queue_path, existing + line, mode=0o600)
                return self.queue_path
        # Another program holds the queue's lock (or it is stuck): the entry goes to a file
        # of its own, which needs no lock; the next flush records it after the queue.
        spilled = self.path.with_name(
            f"{self._spill_prefix}{time.time_ns():020d}-{secrets.token_hex(4)}.jsonl"
        )
        write_atomically(spilled, line, mode=0o600)
        return spilled

    @property
    def _spill_prefix(self) -> str:
        return self.path.name + ".queue."

    def _queue_files(self) -> list[Path]:
        """The queue, then the entries spilled beside it, oldest first."""
        try:
            names = sorted(
                entry.name
                for entry in self.path.parent.iterdir()
                if entry.name.startswith(self._spill_prefix)
                and entry.name.endswith(".jsonl")
                and entry.name != self.queue_path.name
            )
        except FileNotFoundError:
            names = []
        return [self.queue_path, *(self.path.with_name(name) for name in names)]

    def _read_queue(
        self, files: Sequence[Path] | None = None
    ) -> tuple[list[dict[str, Any]], list[bytes]]:
        """The queued items in order, and the lines that are not items."""
        lines: list[bytes] = []
        for path in self._queue_files() if files is None else files:
            try:
                lines += read_within(path, MAX_QUEUE_BYTES).splitlines(keepends=True)
            except FileNotFoundError:
                continue
            except OSError as exc:
                reason = exc.strerror or exc
                raise AuditLogError(f"the audit queue {path} cannot be read ({reason})") from None
        items: list[dict[str, Any]] = []
        unreadable: list[bytes] = []
        for line in lines:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except (ValueError, RecursionError):
                item = None
            if _is_queue_item(item):
                items.append(item)
            else:
                unreadable.append(line)
        return items, unreadable

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        # A log mgdesk creates is private; SQLite gives its journal files the log's mode.
        make_private_file(self.path, tighten=False)
        with closing(
            sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        ) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # an entry must survive a power cut
            db.execute("BEGIN IMMEDIATE")
            try:
                _check_schema(db, self.path, create=True)
                yield db
                db.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, AuditLogError):
            return str(exc)
        if isinstance(exc, OSError):
            return describe_write_error(exc, self.path)
        message = str(exc)
        if "locked" in message or "busy" in message:
            return f"the audit log {self.path} is in use by another program (it is locked)"
        if "not a database" in message or "malformed" in message or "corrupt" in message:
            return f"the audit log {self.path} is damaged ({message})"
        return f"the audit log {self.path} cannot be used ({message})"

    # --- Reading and verifying -----------------------------------------------------------

    def entries(self) -> list[AuditEntry]:
        """Every entry in sequence; raises AuditLogError if the log cannot be read."""
        return [entry_from_row(row) for row in self._rows()]

    def queued(self) -> list[dict[str, Any]]:
        """Entries waiting in the queue (not yet in the log)."""
        return self._read_queue()[0]

    def verify(self) -> ChainReport:
        """Check the whole chain; raises AuditLogError if the log cannot be read."""
        return self._chain(self._rows())

    def find_sheet(self, printed_hash: str) -> SheetLookup:
        """Where the entry of a sheet with this printed hash stands (see SheetLookup)."""
        rows = self._rows()
        chain = self._chain(rows)
        earlier = {GENESIS_HASH}
        for row in rows:
            values = dict(zip(COLUMNS, row, strict=True))
            if values["kind"] == "sheet" and printed_hash == values["hash"]:
                return SheetLookup("recorded", entry_from_row(row), chain)
            if values["kind"] == "sheet" and printed_hash == values["queued_as"]:
                matches = queued_hash({k: values[k] for k in CONTENT_FIELDS}) == printed_hash
                anchor = values["refers_to"]
                anchored = anchor is None or anchor in earlier
                return SheetLookup("recorded", entry_from_row(row), chain, matches, anchored)
            earlier.add(values["hash"])
        if any(item["queued_as"] == printed_hash for item in self.queued()):
            return SheetLookup("queued", None, chain)
        return SheetLookup("absent", None, chain)

    def _chain(self, rows: Sequence[tuple[Any, ...]]) -> ChainReport:
        items, unreadable = self._read_queue()
        problem = _unreadable_problem(unreadable, self.queue_path)
        return ChainReport(len(rows), first_bad(rows), len(items), problem)

    def _rows(self, *, last_only: bool = False) -> list[tuple[Any, ...]]:
        try:
            is_file = stat.S_ISREG(self.path.stat().st_mode)
        except OSError:
            raise AuditLogError(f"there is no audit log at {self.path}") from None
        if not is_file:  # a pipe or a device is never opened: it could block
            raise AuditLogError(f"{self.path} is not a regular file, so not an audit log")
        query = f"SELECT {', '.join(COLUMNS)} FROM entries ORDER BY seq"
        if last_only:
            query += " DESC LIMIT 1"
        try:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            with closing(sqlite3.connect(uri, uri=True, timeout=self.busy_timeout)) as db:
                _check_schema(db, self.path, create=False)
                return list(db.execute(query))
        except sqlite3.Error as exc:
            raise AuditLogError(self._describe(exc)) from None


def _is_queue_item(item: object) -> bool:
    """Whether item is a queued entry the log can take (a damaged one must not block the rest)."""
    if not isinstance(item, dict) or not isinstance(item.get("queued_as"), str):
        return False
    content = item.get("content")
    return (
        isinstance(content, dict)
        and set(content) == set(CONTENT_FIELDS)
        and all(v is None or isinstance(v, str) for v in content.values())
        and all(isinstance(content[k], str) for k in ("kind", "time", "sheet_id"))
    )


def _unreadable_problem(lines: Sequence[bytes], queue: Path) -> str | None:
    return f"{len(lines)} lines of {queue} cannot be read" if lines else None


def _content(**given: Any) -> dict[str, Any]:
    content: dict[str, Any] = dict.fromkeys(CONTENT_FIELDS)
    content.update(given, time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return content


def _check_schema(db: sqlite3.Connection, path: Path, *, create: bool) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise AuditLogError(f"the audit log {path} was made by a newer mgdesk: update mgdesk")
    if version == SCHEMA_VERSION:
        return
    if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise AuditLogError(f"{path} is a database, but not an mgdesk audit log")
    if not create:
        raise AuditLogError(f"the audit log {path} is empty")
    db.execute(_SCHEMA)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _append(db: sqlite3.Connection, content: Mapping[str, Any], queued_as: str | None) -> str:
    last = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    seq, previous = (last[0] + 1, str(last[1])) if last else (1, GENESIS_HASH)
    fields = {"seq": seq, **{k: content[k] for k in CONTENT_FIELDS}, "queued_as": queued_as}
    digest = entry_hash(previous, fields)
    placeholders = ", ".join("?" for _ in COLUMNS)
    db.execute(
        f"INSERT INTO entries ({', '.join(COLUMNS)}) VALUES ({placeholders})",
        (*fields.values(), previous, digest),
    )
    return digest
