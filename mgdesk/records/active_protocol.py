"""The active site protocol: which installed protocol is used, else the bundled default.

An administrator installs the site's approved protocol for every user of a workstation
(machine-wide); anyone may install one for themselves only, to evaluate it (per-user; see
mgdesk.records.site_protocol). The active protocol is the first of these that is present
and valid:

1. the per-user (evaluation) install: user_data_dir()/protocol.json
2. the machine-wide install: machine_data_dir()/protocol.json
3. the bundled default

An installed file that cannot be read, is not valid, or whose bytes no longer have the
SHA-256 recorded when it was installed (records/installed_hash.py) is skipped with a notice
naming the reason, never silently. Every command that evaluates a case imports this module,
and not the installing and checking of site_protocol.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Literal

from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.frozen import Frozen
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import MAX_PROTOCOL_BYTES, default_protocol, parse_protocol
from mgdesk.records.installed_hash import installed_hash_problem
from mgdesk.records.paths import APP_NAME, user_data_dir
from mgdesk.records.safefile import read_limited

Location = Literal["user", "machine", "bundled"]
InstallLocation = Literal["user", "machine"]

SYSTEM_DIR_VARIABLE = "MGDESK_SYSTEM_DIR"
PROTOCOL_FILE_NAME = "protocol.json"
LOCATION_LABELS: dict[Location, str] = {
    "user": "per-user (evaluation) install",
    "machine": "machine-wide install",
    "bundled": "bundled default",
}
_INSTALL_ORDER: tuple[InstallLocation, ...] = ("user", "machine")
_NOTICE_PROBLEMS = 5


def load_protocol(path: Path | str) -> Protocol:
    """Read and validate a protocol file; raises ProtocolInvalid with every problem found."""
    file = Path(path)
    try:
        data = read_protocol_file(file)
    except OSError as exc:
        raise ProtocolInvalid([f"{file}: cannot be read ({exc.strerror or exc})"]) from None
    return parse_protocol(data, origin=str(file))


def machine_data_dir() -> Path:
    """The machine-wide folder an administrator installs the site protocol into."""
    override = os.environ.get(SYSTEM_DIR_VARIABLE)
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA") or r"C:\ProgramData") / APP_NAME
    if sys.platform == "darwin":
        return Path("/Library/Application Support") / APP_NAME
    return Path("/etc") / APP_NAME


def installed_protocol_path(location: InstallLocation) -> Path:
    folder = user_data_dir() if location == "user" else machine_data_dir()
    return folder / PROTOCOL_FILE_NAME


class ActiveProtocol(Frozen):
    """The protocol in use, where it came from, and what the user must be told about it."""

    protocol: Protocol
    location: Location
    path: Path | None
    notices: tuple[str, ...]

    @property
    def installed_as(self) -> str:
        """E.g. "per-user (evaluation) install"; shown on screen and on every sheet."""
        return LOCATION_LABELS[self.location]


def active_protocol(today: date | None = None) -> ActiveProtocol:
    """The protocol to use now (see the module docstring for the order)."""
    today = today or date.today()
    skipped: list[str] = []
    chosen: tuple[Protocol, Location, Path | None] | None = None
    for install in _INSTALL_ORDER:
        file = installed_protocol_path(install)
        try:
            data = read_protocol_file(file)
            protocol = parse_protocol(data, origin=str(file))
            changed = installed_hash_problem(file, data)
            if changed is None:
                chosen = (protocol, install, file)
                break
            reason = changed
        except FileNotFoundError:
            continue
        except OSError as exc:
            reason = f"it cannot be read ({exc.strerror or exc})"
        except ProtocolInvalid as exc:
            reason = f"it is not valid: {_problem_summary(exc.problems)}"
        label = LOCATION_LABELS[install]
        skipped.append(f"The {label} of the protocol at {file} is not used: {reason}.")
    protocol, location, path = chosen or (default_protocol(), "bundled", None)
    notices = [f"{text} mgdesk uses the {LOCATION_LABELS[location]} instead." for text in skipped]
    if protocol.is_past_review(today):
        notices.append(
            f"Caution: protocol {protocol.id} version {protocol.version} is past its review date "
            f"({protocol.approval.review_date}). Ask the pharmacy for the current version."
        )
    return ActiveProtocol(protocol, location, path, tuple(notices))


def read_protocol_file(path: Path) -> bytes:
    """The bytes of a protocol file, reading no more than parse_protocol would accept."""
    return read_limited(path, MAX_PROTOCOL_BYTES)


def _problem_summary(problems: Sequence[str]) -> str:
    shown = "; ".join(problems[:_NOTICE_PROBLEMS])
    more = len(problems) - _NOTICE_PROBLEMS
    return shown + (f"; and {more} more problems" if more > 0 else "")
