"""The history of installed protocols: a copy of each install, kept beside protocol.json.

Each install also writes history/<version>-<first 12 hex of the SHA-256>.json next to the
installed protocol.json, so an earlier version stays readable after a newer one replaces it
and `mgdesk protocol show` can list what was in force before.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.frozen import Frozen
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import MAX_PROTOCOL_BYTES, parse_protocol
from mgdesk.records.safefile import read_limited, write_atomically

HISTORY_FOLDER = "history"
_HASH_DIGITS = 12


def history_folder(installed_path: Path) -> Path:
    return installed_path.parent / HISTORY_FOLDER


def archive_installed_protocol(
    installed_path: Path, data: bytes, protocol: Protocol, mode: int
) -> Path:
    """Keep a copy of the protocol just installed at installed_path; raises OSError."""
    digest = hashlib.sha256(data).hexdigest()
    version = re.sub(r"[^A-Za-z0-9._-]+", "_", protocol.version) or "unversioned"
    folder = history_folder(installed_path)
    folder.mkdir(mode=0o755 if mode & 0o044 else 0o700, exist_ok=True)
    copy = folder / f"{version}-{digest[:_HASH_DIGITS]}.json"
    write_atomically(copy, data, mode=mode)
    return copy


class ArchivedProtocol(Frozen):
    """One earlier install: its file, and its id, version and hash (or why it is unreadable)."""

    path: Path
    sha256: str
    protocol: Protocol | None
    problem: str | None
    modified: float


def installed_history(installed_path: Path) -> list[ArchivedProtocol]:
    """The archived installs beside installed_path, oldest first."""
    folder = history_folder(installed_path)
    try:
        members = [p for p in folder.glob("*.json") if p.is_file()]
    except OSError:
        return []
    archived = []
    for member in members:
        try:
            data = read_limited(member, MAX_PROTOCOL_BYTES)
            modified = member.stat().st_mtime
        except OSError as exc:
            archived.append(ArchivedProtocol(member, "", None, exc.strerror or str(exc), 0.0))
            continue
        digest = hashlib.sha256(data).hexdigest()
        try:
            protocol: Protocol | None = parse_protocol(data, origin=str(member))
            problem = None
        except ProtocolInvalid as exc:
            protocol, problem = None, f"not a valid protocol ({exc.problems[0]})"
        archived.append(ArchivedProtocol(member, digest, protocol, problem, modified))
    return sorted(archived, key=lambda a: (a.modified, a.path.name))
