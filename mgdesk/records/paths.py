"""Where mgdesk keeps what it writes. MGDESK_DATA_DIR, when set, holds all of it."""

from __future__ import annotations

import os
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
