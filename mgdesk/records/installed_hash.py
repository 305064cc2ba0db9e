"""The SHA-256 recorded beside an installed protocol, so a hand-edited file is never used.

`mgdesk protocol install` writes protocol.json.sha256 next to protocol.json, in the format
of `sha256sum` ("<hex>  protocol.json"), after the checked bytes are in place. At start the
installed file is used only if its bytes still have that hash. A file with no recorded hash
(installed by mgdesk before the hash was recorded, or copied in by hand) is refused too:
the pharmacist installs it again, which checks it and records its hash.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from mgdesk.records.safefile import read_within, write_atomically

HASH_SUFFIX = ".sha256"
_RECORD = re.compile(r"([0-9a-f]{64})  (\S.*)\n?")
_MAX_RECORD_BYTES = 4096


def hash_record_path(protocol_path: Path) -> Path:
    return protocol_path.with_name(protocol_path.name + HASH_SUFFIX)


def hash_record(protocol_path: Path, data: bytes) -> bytes:
    """The record of the bytes installed at protocol_path, in sha256sum's format."""
    return f"{hashlib.sha256(data).hexdigest()}  {protocol_path.name}\n".encode()


def record_installed_hash(protocol_path: Path, data: bytes, mode: int) -> None:
    """Record the hash of the bytes just installed at protocol_path, readable by whoever
    may read the protocol (mode); raises OSError."""
    write_atomically(hash_record_path(protocol_path), hash_record(protocol_path, data), mode=mode)


def installed_hash_problem(protocol_path: Path, data: bytes) -> str | None:
    """Why the installed bytes may not be used (a sentence without a final stop), or None."""
    reinstall = "the pharmacist must install it again with `mgdesk protocol install`"
    record_path = hash_record_path(protocol_path)
    try:
        # Never blocks: a pipe put in its place reads as empty, so as damaged.
        record = read_within(record_path, _MAX_RECORD_BYTES)
    except FileNotFoundError:
        return (
            f"no SHA-256 was recorded when it was installed ({record_path} is missing: it was "
            f"installed by an earlier mgdesk, or copied in by hand); {reinstall}"
        )
    except OSError as exc:
        return f"its recorded SHA-256 ({record_path}) cannot be read ({exc.strerror or exc})"
    try:
        match = _RECORD.fullmatch(record.decode("ascii"))
    except UnicodeDecodeError:
        match = None
    if match is None or match.group(2) != protocol_path.name:
        return f"its recorded SHA-256 ({record_path}) is damaged; {reinstall}"
    actual = hashlib.sha256(data).hexdigest()
    if actual != match.group(1):
        return (
            f"it was changed after it was installed (its SHA-256 is {actual}, but "
            f"{match.group(1)} was installed): a hand-edited or damaged protocol is never "
            f"used; {reinstall}"
        )
    return None
