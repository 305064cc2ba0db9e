"""The hash chain of the audit log: the canonical JSON its hashes are taken over, an
entry's hash, the entries as stored, and checking a chain (see mgdesk.records.audit).

Each entry's hash is sha256(previous entry's hash + "\\n" + the canonical JSON of its
fields, its sequence number included), starting from GENESIS_HASH; an entry the log could
not take at once has, besides, the provisional hash printed on its sheet,
sha256("queued\\n" + canonical JSON of its content).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from mgdesk.core.frozen import Frozen
from mgdesk.records import exact_json

GENESIS_HASH = "0" * 64
# The fields an entry's hash covers, besides its sequence number and queued_as.
CONTENT_FIELDS = (
    "kind",
    "time",
    "sheet_id",
    "case_sha256",
    "plan_sha256",
    "protocol_sha256",
    "acknowledged_warnings",
    "patient_id",
    "output",
    "result",
    "refers_to",
    "note",
)
COLUMNS = ("seq", *CONTENT_FIELDS, "queued_as", "prev_hash", "hash")
_HASH = re.compile(r"[0-9a-f]{64}")


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that its hashes are taken over."""
    return exact_json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_hash(previous: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous.encode("utf-8") + b"\n" + canonical_json(fields)).hexdigest()


def queued_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(b"queued\n" + canonical_json(content)).hexdigest()


def normalize_hash(text: str) -> str | None:
    """A printed hash as the log stores it (spaces and hyphens between groups allowed)."""
    compact = re.sub(r"[\s-]", "", text).lower()
    return compact if _HASH.fullmatch(compact) else None


class AuditEntry(Frozen):
    """One entry as stored (values shown as text; verify() checks them as stored)."""

    seq: int
    kind: str
    time: str
    sheet_id: str
    case_sha256: str | None
    plan_sha256: str | None
    protocol_sha256: str | None
    acknowledged_warnings: str | None  # JSON list of warning codes, as hashed
    patient_id: str | None
    output: str | None
    result: str | None
    refers_to: str | None
    note: str | None
    queued_as: str | None
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


class BadEntry(Frozen):
    """The first entry that breaks the chain, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq} {self.reason}"


class ChainReport(Frozen):
    """What verifying the log found: entries, the first bad one, what is queued."""

    entries: int
    first_bad: BadEntry | None
    waiting: int  # entries in the queue, not yet recorded
    queue_problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_bad is None


class SheetLookup(Frozen):
    """Where a hash printed on a sheet stands: recorded in the chain, queued, or absent."""

    state: Literal["recorded", "queued", "absent"]
    entry: AuditEntry | None
    chain: ChainReport
    content_matches: bool = True  # for an entry recorded late: its fields give the printed hash
    anchored: bool = True  # for an entry recorded late: the entry it was printed after is there

    @property
    def verified(self) -> bool:
        """Recorded, with the chain intact up to and including it."""
        if self.state != "recorded" or self.entry is None:
            return False
        if not (self.content_matches and self.anchored):
            return False
        bad = self.chain.first_bad
        return bad is None or bad.seq > self.entry.seq


def first_bad(rows: Sequence[tuple[Any, ...]]) -> BadEntry | None:
    previous, expected_seq = GENESIS_HASH, 1
    for row in rows:
        values = dict(zip(COLUMNS, row, strict=True))
        seq = values["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                return BadEntry(
                    expected_seq,
                    f"is missing (the log goes from entry "
                    f"{expected_seq - 1} to entry {seq}): it was deleted",
                )
            return BadEntry(seq, "is out of sequence")
        if values["prev_hash"] != previous:
            return BadEntry(
                seq,
                "does not follow the entry before it: entries before it were "
                "changed, deleted or reordered",
            )
        fields = {k: values[k] for k in ("seq", *CONTENT_FIELDS, "queued_as")}
        try:
            expected = entry_hash(previous, fields)
        except (TypeError, ValueError):
            return BadEntry(seq, "has been altered: a field holds data no entry can hold")
        if values["hash"] != expected:
            return BadEntry(seq, "has been altered: its content does not match its hash")
        previous, expected_seq = values["hash"], seq + 1
    return None


def entry_from_row(row: tuple[Any, ...]) -> AuditEntry:
    values = dict(zip(COLUMNS, row, strict=True))

    def text(name: str) -> str | None:
        value = values[name]
        return None if value is None else str(value)

    def required(name: str) -> str:
        return text(name) or ""

    return AuditEntry(
        seq=int(values["seq"]),
        kind=required("kind"),
        time=required("time"),
        sheet_id=required("sheet_id"),
        case_sha256=text("case_sha256"),
        plan_sha256=text("plan_sha256"),
        protocol_sha256=text("protocol_sha256"),
        acknowledged_warnings=text("acknowledged_warnings"),
        patient_id=text("patient_id"),
        output=text("output"),
        result=text("result"),
        refers_to=text("refers_to"),
        note=text("note"),
        queued_as=text("queued_as"),
        prev_hash=required("prev_hash"),
        hash=required("hash"),
    )
