"""Case files (.mgcase): save and open a case document, never damaging the file on disk.

A case file is the case document itself (see mgdesk.core.case): UTF-8 JSON with
"format": "mgdesk-case/1", its keys in a stable order, indented for people to read.

A case file may hold a draft: the form is saved as the user left it, whether or not it is
a valid case. A draft is the same case document; a field that is not yet valid simply
keeps the text as typed (for example "age_years": "4" or "weight": "80 k"), and a field
not filled in is left out. Opening a file therefore checks only that it is a case
document; whether it is a valid case is for parse_case to say when it is evaluated.

This module also holds the safe-writing primitives every mgdesk file uses (case files,
the autosave, installed protocols, the audit queue): write_atomically, the error wording
of describe_write_error, and FileLock.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from mgdesk.core.case import (
    CASE_FORMAT,
    CLINICAL_FIELDS,
    LAB_FIELDS,
    PATIENT_FIELDS,
    is_newer_case_format,
    reject_json_constant,
)

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

CASE_EXTENSION = ".mgcase"
MAX_CASE_FILE_BYTES = 1_000_000
# A case document is at most three levels deep (case > clinical > symptoms); anything much
# deeper is not a case, and refusing it early keeps the form from walking odd structures.
MAX_CASE_DEPTH = 8
SECTION_FIELDS = {"patient": PATIENT_FIELDS, "labs": LAB_FIELDS, "clinical": CLINICAL_FIELDS}
# A temporary file left by a save that was killed is removed by a later save of the same
# file once it is this old; a younger one may belong to a save still in progress.
STALE_TEMPORARY_SECONDS = 600.0


class CaseFileError(Exception):
    """A case file could not be saved or opened; the message is for the user to read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Safe writing -----------------------------------------------------------------------


def temporary_name_for(path: Path) -> str:
    """A new hidden name beside path for writing its next version (never a .mgcase name)."""
    return f".{path.name}.{secrets.token_hex(4)}.tmp"


def is_temporary_for(candidate: Path, path: Path) -> bool:
    """True if candidate is a temporary file that write_atomically made for path."""
    return candidate.name.startswith(f".{path.name}.") and candidate.name.endswith(".tmp")


def write_atomically(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Replace path with data so that path always holds either the old or the new bytes.

    The bytes go to a temporary file in the same folder, which is flushed to disk and then
    renamed over path; on POSIX the folder is flushed too, so the rename survives a power
    cut. On failure the temporary file is removed and the OSError is raised: path is
    untouched. mode (less the umask) applies to a newly created file.
    """
    temporary = path.with_name(temporary_name_for(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, mode)
    try:
        try:
            remaining = memoryview(data)
            while remaining:
                remaining = remaining[os.write(descriptor, remaining) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        temporary.replace(path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    _flush_folder(path.parent)


def _flush_folder(folder: Path) -> None:
    if sys.platform == "win32":
        return  # Windows has no directory handles to flush; NTFS journals the rename.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        # The rename is done: a file system that cannot flush a folder costs only durability.
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def remove_stale_temporaries(path: Path, older_than: float = STALE_TEMPORARY_SECONDS) -> None:
    """Remove temporary files that killed writes of path left behind, once they are old."""
    cutoff = time.time() - older_than
    try:
        candidates = [p for p in path.parent.iterdir() if is_temporary_for(p, path)]
    except OSError:
        return
    for candidate in candidates:
        try:
            if candidate.stat().st_mtime < cutoff:
                candidate.unlink()
        except OSError:
            continue


def describe_write_error(exc: OSError, path: Path) -> str:
    """Why writing path failed, in words a user can act on."""
    folder = path.parent
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"the disk holding {folder} is full: free some space or choose another place"
    if code == errno.EROFS:
        return f"the folder {folder} is on a read-only disk: choose another place"
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied: you may not write in {folder} "
            "(or the file is open in another program)"
        )
    if code == errno.ENOENT:
        return f"the folder {folder} does not exist"
    if code == errno.ENOTDIR:
        return f"{folder} is not a folder"
    if code == errno.EISDIR:
        return f"{path} is a folder, not a file"
    return exc.strerror or str(exc)


class FileLock:
    """An exclusive lock on a lock file, held until release() or until the process ends.

    The operating system drops the lock when its process dies, however it dies, so a lock
    that can be taken means its former holder is gone.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None

    def acquire(self, *, create: bool = True) -> bool:
        """Take the lock without waiting; False if another holder has it (or, without
        create, if the lock file does not exist). Raises OSError if the file cannot be made."""
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        try:
            descriptor = os.open(self.path, flags, 0o600)
        except FileNotFoundError:
            if create:
                raise
            return False
        if not _try_lock(descriptor):
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True

    def wait(self, timeout: float) -> bool:
        """Take the lock, waiting up to timeout seconds for its holder to let go."""
        deadline = time.monotonic() + timeout
        while not self.acquire():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the descriptor drops the lock
            self._descriptor = None

    def __enter__(self) -> FileLock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _try_lock(descriptor: int) -> bool:
    try:
        if sys.platform == "win32":
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


# --- Case files -------------------------------------------------------------------------


def case_file_bytes(document: Mapping[str, Any]) -> bytes:
    """The bytes of a case file for document: format first, known fields in form order."""
    fmt = document.get("format", CASE_FORMAT)
    if fmt != CASE_FORMAT:
        raise CaseFileError(f"this case is in the format {fmt!r}; mgdesk saves {CASE_FORMAT!r}")
    ordered: dict[str, Any] = {"format": CASE_FORMAT}
    for key in _stable_order(document, ("format", *SECTION_FIELDS)):
        value = document[key]
        if key in SECTION_FIELDS and isinstance(value, Mapping):
            value = {k: value[k] for k in _stable_order(value, SECTION_FIELDS[key])}
        ordered[key] = value
    try:
        text = json.dumps(ordered, ensure_ascii=False, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CaseFileError(f"this case holds a value that cannot be saved ({exc})") from None
    data = (text + "\n").encode("utf-8")
    if len(data) > MAX_CASE_FILE_BYTES:
        raise CaseFileError(f"this case is larger than {MAX_CASE_FILE_BYTES} bytes: not saved")
    return data


def _stable_order(mapping: Mapping[str, Any], known: tuple[str, ...]) -> list[str]:
    present = [k for k in known if k in mapping and k != "format"]
    return present + sorted(k for k in mapping if k not in known)


def save_case(document: Mapping[str, Any], path: Path) -> None:
    """Save document (a case or a draft) to path; raises CaseFileError, path unchanged."""
    data = case_file_bytes(document)
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise CaseFileError(
            f"Could not save the case to {path}: {describe_write_error(exc, path)}. "
            "The file that was there before, if any, is unchanged."
        ) from None
    remove_stale_temporaries(path)


def open_case(path: Path) -> dict[str, Any]:
    """Read a case file and return its document, which may be a draft; changes nothing.

    Raises CaseFileError saying why the file cannot be opened: missing, unreadable,
    damaged, too large, from a newer mgdesk, or not a case at all.
    """
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CASE_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CaseFileError(f"Could not open {path}: there is no such file.") from None
    except IsADirectoryError:
        raise CaseFileError(f"Could not open {path}: it is a folder, not a case file.") from None
    except PermissionError:
        raise CaseFileError(f"Could not open {path}: permission denied.") from None
    except OSError as exc:
        raise CaseFileError(f"Could not open {path}: {exc.strerror or exc}.") from None
    return case_document_from_bytes(data, str(path))


def case_document_from_bytes(data: bytes, source: str) -> dict[str, Any]:
    """The case document in data (the contents of the file named source)."""

    def refuse(reason: str) -> CaseFileError:
        return CaseFileError(f"Could not open {source}: {reason}.")

    if len(data) > MAX_CASE_FILE_BYTES:
        raise refuse(f"it is larger than {MAX_CASE_FILE_BYTES} bytes, too large for a case file")
    if b"\x00" in data:
        raise refuse("it is a binary file, not an mgdesk case file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("it is not UTF-8 text, so it is damaged or not an mgdesk case file") from None
    if not text.strip():
        raise refuse("the file is empty")
    try:
        document = json.loads(
            text, parse_constant=reject_json_constant, object_pairs_hook=_unique_keys
        )
    except RecursionError:
        raise refuse("it is nested far too deeply to be a case file") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise refuse(
                "the file ends too early: it is incomplete (cut short when it was copied or saved)"
            ) from None
        raise refuse(
            f"it is damaged or not a case file (not valid JSON at line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    except ValueError as exc:
        raise refuse(f"it is damaged or not a case file ({exc})") from None
    if _deeper_than(document, MAX_CASE_DEPTH):
        raise refuse("it is nested far too deeply to be a case file")
    problem = _not_a_case(document)
    if problem:
        raise refuse(problem)
    return dict(document)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            shown = key if len(key) <= 40 else key[:40] + "…"
            raise ValueError(f"the field {shown!r} appears twice")
        result[key] = value
    return result


def _deeper_than(value: object, limit: int) -> bool:
    """Whether value nests more than limit levels, looking no deeper than that."""
    if isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return limit < 0
    return limit < 1 or any(_deeper_than(child, limit - 1) for child in children)


def _not_a_case(document: object) -> str | None:
    """Why document is not a case document (draft or not), or None if it is one."""
    if isinstance(document, list):
        return "it holds a JSON list, not an mgdesk case"
    if not isinstance(document, dict):
        return "it holds a single JSON value, not an mgdesk case"
    fmt = document.get("format")
    if fmt is None and not any(section in document for section in SECTION_FIELDS):
        return "it is not an mgdesk case file (it has no format, patient or labs)"
    if fmt is not None and fmt != CASE_FORMAT:
        return _other_format(fmt)
    for section in SECTION_FIELDS:
        if section in document and not isinstance(document[section], dict):
            return f"its {section} section is not a JSON object: damaged, or not a case file"
    return None


def _other_format(fmt: object) -> str:
    if not isinstance(fmt, str):
        return "its format is not text, so it is not an mgdesk case file"
    shown = fmt if len(fmt) <= 40 else fmt[:40] + "…"
    kind = fmt.partition("/")[0]
    if is_newer_case_format(fmt):
        return f"it was made by a newer version of mgdesk ({shown}); update mgdesk to open it"
    if kind == "mgdesk-protocol":
        return (
            "it is an mgdesk protocol file, not a case "
            "(a protocol is installed with: mgdesk protocol install)"
        )
    if kind == "mgdesk-plan":
        return "it is an mgdesk plan (the result of an evaluation), not a case"
    if kind == "mgdesk-autosave":
        return (
            "it is an mgdesk autosave file, not a case (mgdesk offers to restore it when it starts)"
        )
    return f"it is not an mgdesk case file (its format is {shown!r})"
