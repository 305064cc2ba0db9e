"""Writing files so that a crash, a power cut or a full disk never damages them.

Every file mgdesk writes (case files, the autosave, installed protocols, the audit queue,
order-sheet PDFs) goes through write_atomically; describe_write_error words a failure for
the user; FileLock serialises writers and tells whether a lock's holder is still running.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sys
import time
from pathlib import Path
from types import TracebackType

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

# A temporary file left by a save that was killed is removed by a later save of the same
# file once it is this old; a younger one may belong to a save still in progress.
STALE_TEMPORARY_SECONDS = 600.0


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
