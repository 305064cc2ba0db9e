"""Case files (.mgcase): save and open a case document, never damaging the file on disk.

A case file is the case document itself (see mgdesk.core.case): UTF-8 JSON with
"format": "mgdesk-case/1", its keys in a stable order, indented for people to read.

A case file may hold a draft: the form is saved as the user left it, whether or not it is
a valid case. A draft is the same case document; a field that is not yet valid simply
keeps the text as typed (for example "age_years": "4" or "weight": "80 k"), and a field
not filled in is left out. Opening a file therefore checks only that it is a case
document; whether it is a valid case is for parse_case to say when it is evaluated.

Writes go through mgdesk.records.safefile, so a crash or a full disk never damages the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from mgdesk.core.case import (
    CASE_FORMAT,
    CLINICAL_FIELDS,
    LAB_FIELDS,
    PATIENT_FIELDS,
    is_newer_case_format,
    reject_duplicate_keys,
)
from mgdesk.records import exact_json
from mgdesk.records.safefile import (
    describe_write_error,
    read_limited,
    write_atomically,
)

MAX_CASE_FILE_BYTES = 1_000_000
# A case document is at most three levels deep (case > clinical > symptoms); anything much
# deeper is not a case, and refusing it early keeps the form from walking odd structures.
MAX_CASE_DEPTH = 8
MAX_INTEGER_DIGITS = 30
SECTION_FIELDS = {"patient": PATIENT_FIELDS, "labs": LAB_FIELDS, "clinical": CLINICAL_FIELDS}


class CaseFileError(Exception):
    """A case file could not be saved or opened; the message is for the user to read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
        text = exact_json.dumps(ordered, ensure_ascii=False, indent=1, allow_nan=False)
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


def open_case(path: Path) -> dict[str, Any]:
    """Read a case file and return its document, which may be a draft; changes nothing.

    Raises CaseFileError saying why the file cannot be opened: missing, unreadable,
    damaged, too large, from a newer mgdesk, or not a case at all.
    """
    try:
        data = read_case_file(path)
    except NotACaseError as exc:
        raise CaseFileError(f"Could not open {path}: {exc}.") from None
    return case_document_from_bytes(data, str(path))


def read_case_file(path: Path, limit: int = MAX_CASE_FILE_BYTES) -> bytes:
    """The bytes of a case file (never more than limit + 1, so that a device or a pipe that
    never ends is no wait); raises NotACaseError saying why they cannot be read."""
    try:
        return read_limited(path, limit)
    except FileNotFoundError:
        raise NotACaseError("there is no such file") from None
    except IsADirectoryError:
        raise NotACaseError("it is a folder, not a case file") from None
    except PermissionError:
        raise NotACaseError("permission denied") from None
    except OSError as exc:
        raise NotACaseError(exc.strerror or str(exc)) from None


def case_document_from_bytes(data: bytes, source: str) -> dict[str, Any]:
    """The case document in data (the contents of the file named source)."""
    try:
        document = case_json(data)
        problem = _not_a_case(document)
        if problem:
            raise NotACaseError(problem)
    except NotACaseError as exc:
        raise CaseFileError(f"Could not open {source}: {exc}.") from None
    return dict(document)


class NotACaseError(ValueError):
    """Why some bytes are not a case document, in words for the user."""


def case_json(data: bytes) -> Any:
    """The JSON value in a case's bytes: the one reading of them, for a file opened in the
    window and for the command line alike. Whether it is a case is for the caller to judge
    (the window opens drafts; the command line validates a whole case)."""
    if len(data) > MAX_CASE_FILE_BYTES:
        raise NotACaseError(
            f"it is larger than {MAX_CASE_FILE_BYTES} bytes, too large for a case file"
        )
    if b"\x00" in data:
        raise NotACaseError("it is a binary file, not an mgdesk case file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotACaseError(
            "it is not UTF-8 text, so it is damaged or not an mgdesk case file"
        ) from None
    if not text.strip():
        raise NotACaseError("it is empty")
    try:
        document = json.loads(
            text,
            parse_float=Decimal,
            parse_int=_bounded_int,
            # NaN and Infinity are read as numbers so that the case's validation names the
            # field they were typed in (no field accepts them) and the rest is kept.
            object_pairs_hook=reject_duplicate_keys,
        )
    except RecursionError:
        raise NotACaseError("it is nested far too deeply to be a case file") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise NotACaseError(
                "it ends too early: it is incomplete (cut short when it was copied or saved)"
            ) from None
        raise NotACaseError(
            f"it is damaged or not a case file (not valid JSON at line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    except ValueError as exc:
        raise NotACaseError(f"it is damaged or not a case file ({exc})") from None
    if _deeper_than(document, MAX_CASE_DEPTH):
        raise NotACaseError("it is nested far too deeply to be a case file")
    return document


def _bounded_int(text: str) -> int:
    # Python refuses very long integers with a message of its own; no case field needs one.
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"a number has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


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
