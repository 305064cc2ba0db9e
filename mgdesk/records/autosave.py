"""No lost work: an autosave of the open case that exists only while it has unsaved edits.

Each running mgdesk window is a session. While its case has unsaved edits, the session
keeps autosave-<session>.json in the user's own data folder (written atomically every few
seconds) and holds an operating-system lock on autosave-<session>.lock. After a save, or
when the user closes the case, the autosave file is removed; a clean exit leaves nothing.
If the process dies (crash, kill, power cut), the file stays, and the lock is dropped by
the operating system: the next start finds it with pending(), and the window asks the
user whether to restore it, showing whose case it is (patient id and name) and when it
was saved. Autosaves of sessions still running (another window) are never offered.
Nothing is restored without asking: pending() only reports; restore() and discard() act.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from mgdesk import __version__
from mgdesk.core.frozen import Frozen
from mgdesk.records import exact_json
from mgdesk.records.casefile import MAX_CASE_FILE_BYTES
from mgdesk.records.paths import make_private_folder, user_data_dir
from mgdesk.records.safefile import FileLock, describe_write_error, read_within, write_atomically

AUTOSAVE_FORMAT = "mgdesk-autosave/1"
_PREFIX = "autosave-"
# A case and what is said about it; anything larger is not an autosave mgdesk wrote.
MAX_AUTOSAVE_BYTES = 2 * MAX_CASE_FILE_BYTES


def default_autosave_folder() -> Path:
    """The per-user folder for autosaves: each user of a shared workstation has their own."""
    return user_data_dir() / "autosave"


class AutosaveError(Exception):
    """The autosave could not be written or removed; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AutosaveRecord(Frozen):
    """An autosave left by a session that ended without saving or closing its case."""

    document: dict[str, Any]
    patient_id: str | None
    patient_name: str | None
    saved_at_utc: datetime
    saved_at_local: str  # ISO 8601 with the workstation's UTC offset when it was saved
    source_path: Path | None
    mgdesk_version: str
    file: Path

    def describe(self) -> str:
        """One line for the question "restore this?"."""
        named = [p for p in (self.patient_name, self.patient_id) if p]
        who = ", ".join(named) or "no patient entered"
        local = self.saved_at_local.replace("T", " ")
        source = f", from {self.source_path}" if self.source_path else ""
        return f"Unsaved case ({who}{source}), autosaved {local}"


class Autosave:
    """The autosave of one session; create one per window, call close() when it closes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.session = secrets.token_hex(8)
        self._lock = FileLock(self._lock_path(self.session))
        self._locked = False

    @property
    def path(self) -> Path:
        """This session's autosave file (it exists only while there are unsaved edits)."""
        return self._autosave_path(self.session)

    def write(
        self,
        document: Mapping[str, Any],
        *,
        patient_id: str | None,
        patient_name: str | None,
        source_path: Path | None = None,
    ) -> None:
        """Record the case as it is now (call a few seconds after each edit)."""
        saved = datetime.now(UTC)
        record = {
            "format": AUTOSAVE_FORMAT,
            "saved_at_utc": saved.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "saved_at_local": saved.astimezone().isoformat(timespec="seconds"),
            "patient": {"id": patient_id, "name": patient_name},
            "source_path": str(source_path) if source_path else None,
            "mgdesk_version": __version__,
            "case": dict(document),
        }
        try:
            text = exact_json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AutosaveError(
                f"Autosave failed: the case holds a value that cannot be saved ({exc})."
            ) from None
        data = text.encode("utf-8")
        try:
            make_private_folder(self.folder)
            if not self._locked:
                # The lock comes before the first autosave file, so no running session's
                # file is ever mistaken for one left by a crash.
                self._locked = self._lock.acquire()
            write_atomically(self.path, data, mode=0o600)
        except OSError as exc:
            raise AutosaveError(
                f"Autosave failed: {describe_write_error(exc, self.path)}. "
                "Your edits are still on screen: save the case to keep them."
            ) from None

    def discard(self, record: AutosaveRecord | None = None) -> None:
        """Remove this session's autosave (after a save or a close), or the left-over record."""
        target = record.file if record else self.path
        try:
            target.unlink(missing_ok=True)
            if record is not None:
                self._lock_path(_session_of(record.file)).unlink(missing_ok=True)
        except OSError as exc:
            reason = describe_write_error(exc, target)
            raise AutosaveError(f"Could not remove the autosave {target}: {reason}.") from None

    def pending(self) -> AutosaveRecord | None:
        """The newest autosave left by a session that did not end cleanly, or None.

        Autosaves of running sessions are skipped; one that cannot be read is left alone.
        After restore() or discard() of the record, call again for an older one.
        """
        records: list[AutosaveRecord] = []
        for session in self._ended_sessions():
            self._remove_temporaries(session)
            file = self._autosave_path(session)
            record = _read_record(file)
            if record is not None:
                records.append(record)
            elif not file.exists():
                self._lock_path(session).unlink(missing_ok=True)
        return max(records, key=lambda r: r.saved_at_utc, default=None)

    def restore(self, record: AutosaveRecord) -> dict[str, Any]:
        """Take over record as this session's unsaved case and return its document.

        The case is written as this session's autosave before the old file is removed,
        so a crash in between leaves at least one copy.
        """
        self.write(
            record.document,
            patient_id=record.patient_id,
            patient_name=record.patient_name,
            source_path=record.source_path,
        )
        self.discard(record)
        return record.document

    def close(self, *, keep_unsaved: bool = False) -> None:
        """End the session: remove its autosave unless keep_unsaved (e.g. the system is
        shutting down with unsaved edits, to be offered next time), and drop the lock."""
        if not keep_unsaved:
            self.discard()
        self._lock.release()
        self._locked = False
        if not keep_unsaved:
            self._lock.path.unlink(missing_ok=True)

    def __enter__(self) -> Autosave:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(keep_unsaved=kind is not None)

    def _autosave_path(self, session: str) -> Path:
        return self.folder / f"{_PREFIX}{session}.json"

    def _lock_path(self, session: str) -> Path:
        return self.folder / f"{_PREFIX}{session}.lock"

    def _ended_sessions(self) -> list[str]:
        try:
            names = [p.name for p in self.folder.iterdir()]
        except OSError:
            return []
        sessions = {
            name[len(_PREFIX) :].rsplit(".", 1)[0]
            for name in names
            if name.startswith(_PREFIX) and name.endswith((".json", ".lock"))
        }
        sessions.discard(self.session)
        return sorted(s for s in sessions if self._has_ended(s))

    def _has_ended(self, session: str) -> bool:
        probe = FileLock(self._lock_path(session))
        try:
            if not probe.acquire(create=False):
                return not self._lock_path(session).exists()
        except OSError:
            return False  # cannot tell: treat as running rather than offer a live case
        probe.release()
        return True

    def _remove_temporaries(self, session: str) -> None:
        # A session that was killed while writing can leave its temporary file behind.
        for candidate in self.folder.glob(f".{self._autosave_path(session).name}.*.tmp"):
            with contextlib.suppress(OSError):
                candidate.unlink()


def _session_of(file: Path) -> str:
    return file.name[len(_PREFIX) :].rsplit(".", 1)[0]


def _read_record(file: Path) -> AutosaveRecord | None:
    try:
        raw = json.loads(read_within(file, MAX_AUTOSAVE_BYTES).decode("utf-8"), parse_float=Decimal)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(raw, dict) or raw.get("format") != AUTOSAVE_FORMAT:
        return None
    patient = raw.get("patient")
    document = raw.get("case")
    if not isinstance(patient, dict) or not isinstance(document, dict):
        return None
    try:
        saved_at = datetime.fromisoformat(str(raw.get("saved_at_utc")).replace("Z", "+00:00"))
    except ValueError:
        return None
    if saved_at.tzinfo is None:
        return None
    source = raw.get("source_path")
    return AutosaveRecord(
        document=document,
        patient_id=_text_or_none(patient.get("id")),
        patient_name=_text_or_none(patient.get("name")),
        saved_at_utc=saved_at,
        saved_at_local=str(raw.get("saved_at_local", "")),
        source_path=Path(source) if isinstance(source, str) and source else None,
        mgdesk_version=str(raw.get("mgdesk_version", "")),
        file=file,
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
