"""What the commands that evaluate a case read: the case, from a file or standard input,
and the protocol in use."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from mgdesk.core.frozen import Frozen
from mgdesk.core.protocol import Protocol
from mgdesk.document.sheet import EVALUATION_FILE
from mgdesk.records.active_protocol import active_protocol, load_protocol
from mgdesk.records.casefile import MAX_CASE_FILE_BYTES, NotACaseError, case_json, read_case_file
from mgdesk.records.safefile import read_stream_limited

# The most read from a file or standard input: --format jsonl takes many cases at once.
MAX_INPUT_BYTES = 200 * MAX_CASE_FILE_BYTES


class InputError(Exception):
    """The input as a whole could not be read: not a file, not text, not JSON."""


class ProtocolInUse(Frozen):
    """The protocol a command uses, and how every output must mark it."""

    protocol: Protocol
    evaluation_install: bool  # the active protocol is a per-user (evaluation) install
    evaluation_file: bool  # a --protocol file: for evaluation only, not installed


def resolve_protocol(explicit: Path | None, stderr: IO[str]) -> ProtocolInUse:
    """The protocol to use (a --protocol file, else the active installed one). What the user
    must know about it goes to stderr: a --protocol file is for evaluation only, whatever
    approval it claims."""
    if explicit is not None:
        protocol = load_protocol(explicit)
        stderr.write(
            f"mgdesk: {explicit} ({protocol.id} version {protocol.version}) is a "
            f"{EVALUATION_FILE}; its approval is not in force here\n"
        )
        return ProtocolInUse(protocol, evaluation_install=False, evaluation_file=True)
    active = active_protocol()
    for notice in active.notices:
        stderr.write(f"mgdesk: {notice}\n")
    return ProtocolInUse(
        active.protocol, evaluation_install=active.location == "user", evaluation_file=False
    )


def read_input(source: str, stdin: IO[bytes]) -> bytes:
    """The bytes of the file named source, or of stdin for "-"; never more than
    MAX_INPUT_BYTES are read, so a pipe or a device that never ends is refused too."""
    if source == "-":
        data = read_stream_limited(stdin, MAX_INPUT_BYTES)
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"standard input is larger than {MAX_INPUT_BYTES} bytes: too large")
        return data
    try:
        data = read_case_file(Path(source), MAX_INPUT_BYTES)
    except NotACaseError as exc:
        raise InputError(f"cannot read {source}: {exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source} is too large to be a case file")
    return data


def decode_case(data: bytes) -> Any:
    """The JSON value of a case's bytes, read as a case file opened in the window is."""
    try:
        return case_json(data)
    except NotACaseError as exc:
        raise InputError(str(exc)) from None
