"""Machine-wide files (the site protocol): only an administrator writes them, every user reads them.

A machine-wide install is refused unless the process is elevated (root on Linux and macOS,
an elevated Administrator on Windows): on macOS an admin user may write in /Library
without sudo, and on Windows any user may create folders in C:\\ProgramData and then owns
them, so the folder's own permissions are not enough. What is written is readable by
everyone whatever the umask (0644 in a 0755 folder); on Windows the folder gets the
installer's owner and access list: Administrators and SYSTEM full control, Users read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PureWindowsPath

from mgdesk.records.safefile import write_atomically

MACHINE_FOLDER_MODE = 0o755
MACHINE_FILE_MODE = 0o644
NOT_ELEVATED = (
    "installing for all users of this computer needs administrator rights: run it as "
    "root (sudo mgdesk protocol install FILE) on Linux and macOS, or from a command prompt "
    "opened with Run as administrator on Windows; --user installs it for you alone, "
    "for evaluation"
)
# Well-known SIDs, so the access list does not depend on the language of Windows.
_ADMINISTRATORS, _SYSTEM, _USERS = "*S-1-5-32-544", "*S-1-5-18", "*S-1-5-32-545"


def is_elevated() -> bool:
    """True if this process may write machine-wide files: root, or an elevated Administrator."""
    if sys.platform == "win32":
        # Imported here: ctypes and subprocess serve Windows only, and every command that
        # finds the active protocol imports this module.
        import ctypes

        return bool(ctypes.windll.shell32.IsUserAnAdmin())
    return os.geteuid() == 0


def windows_folder_acl_commands(folder: Path) -> list[list[str]]:
    """icacls commands giving folder and its files to Administrators, with the installer's
    access list (a user may have created the folder first, and would own it)."""
    # By its full path: Windows looks for a bare "icacls" in the current folder first, and
    # a user may have put one where an administrator runs this elevated.
    icacls = str(
        PureWindowsPath(os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32", "icacls.exe")
    )
    return [
        [icacls, str(folder), "/setowner", _ADMINISTRATORS, "/T", "/C", "/Q"],
        [
            icacls,
            str(folder),
            "/inheritance:r",
            "/grant:r",
            f"{_ADMINISTRATORS}:(OI)(CI)F",
            f"{_SYSTEM}:(OI)(CI)F",
            f"{_USERS}:(OI)(CI)RX",
            "/T",
            "/C",
            "/Q",
        ],
    ]


def write_machine_wide(path: Path, data: bytes) -> None:
    """Write path atomically, readable by every user: 0644 in a 0755 folder, whatever the umask.

    Raises OSError if the folder or the file cannot be written.
    """
    folder = path.parent
    previous_umask = os.umask(0o022)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if sys.platform == "win32":
            _restrict_windows_folder(folder)
        else:
            # An earlier install under a restrictive umask may have left it 0750.
            folder.chmod(MACHINE_FOLDER_MODE)
        write_atomically(path, data, mode=MACHINE_FILE_MODE)
        if sys.platform != "win32":
            # A file left 0640 by an earlier install is replaced by one no more open than
            # it was: an administrator's install makes it readable by every user again.
            path.chmod(MACHINE_FILE_MODE)
    finally:
        os.umask(previous_umask)


def _restrict_windows_folder(folder: Path) -> None:
    import subprocess  # see is_elevated

    for command in windows_folder_acl_commands(folder):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            problem = (result.stderr or result.stdout).strip()
            raise PermissionError(f"icacls could not restrict {folder}: {problem}")
