"""Where mgdesk keeps what it writes. MGDESK_DATA_DIR, when set, holds all of it.

The data folder holds autosaves of patients' cases and the audit log, so it is readable by
its user only (0700), and so is every file mgdesk writes in it (0600).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

APP_NAME = "mgdesk"
DATA_DIR_VARIABLE = "MGDESK_DATA_DIR"


def data_override() -> Path | None:
    """The folder named by MGDESK_DATA_DIR, if set (tests always set it)."""
    value = os.environ.get(DATA_DIR_VARIABLE)
    return Path(value) if value else None


def user_data_dir() -> Path:
    """The per-user folder for settings, autosave, caches and the audit log."""
    override = data_override()
    if override is not None:
        return override
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / APP_NAME


def make_private_folder(folder: Path) -> None:
    """Create folder, and any missing folder above it, readable by this user only (0700,
    as the XDG base directory specification asks). An existing folder is left as it is."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        candidate.mkdir(mode=0o700, exist_ok=True)


def make_private_file(file: Path, *, tighten: bool = True) -> None:
    """Create file empty, readable by this user only (0600), or, with tighten, make it so if
    it exists: for a writer that keeps a file's mode but creates it with the umask's
    (QSettings, SQLite). Raises OSError (NotARegularFileError from safefile for a link, a
    pipe or a device)."""
    from mgdesk.records.safefile import refuse_unsafe_target  # see tidy_data_dir

    make_private_folder(file.parent)
    existing = refuse_unsafe_target(file)
    if existing is None:
        with contextlib.suppress(FileExistsError):  # another program may have made it meanwhile
            os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    elif tighten and sys.platform != "win32" and existing.st_mode & 0o077:
        file.chmod(0o600)


def private_data_dir() -> Path:
    """user_data_dir(), created if missing and made readable by this user only (an earlier
    mgdesk left it readable by all). Raises OSError if it cannot be created."""
    folder = user_data_dir()
    make_private_folder(folder)
    if sys.platform != "win32" and folder.stat().st_mode & 0o077:
        with contextlib.suppress(PermissionError):  # not this user's folder: leave it
            folder.chmod(0o700)
    return folder


# write_atomically's temporary files: ".<name>.<8 hex digits>.tmp".
_TEMPORARY_NAME = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{8}\.tmp")


def tidy_data_dir() -> None:
    """At start: make the data folder private, and remove the temporary files that writes
    killed mid-way left in it and in its autosave folder (once they are older than a write
    still in progress could be). Never fails: what cannot be tidied is left as it is."""
    # Imported here: the window's first paint needs no more of mgdesk.records than this module.
    from mgdesk.records.safefile import remove_stale_temporaries

    try:
        folder = private_data_dir()
        folders = [folder, *(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())]
    except OSError:
        return
    for each in folders:
        with contextlib.suppress(OSError):
            for candidate in each.iterdir():
                match = _TEMPORARY_NAME.fullmatch(candidate.name)
                if match:
                    remove_stale_temporaries(each / match["name"])
