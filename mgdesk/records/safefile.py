"""Reading and writing files safely: a crash, a power cut or a full disk never damages
them, and a pipe, a device or a huge file never hangs mgdesk or exhausts its memory.

Every file mgdesk writes (case files, the autosave, installed protocols, the audit queue,
order-sheet PDFs) goes through write_atomically, which writes only regular files; every
file a user names is read with read_limited; describe_write_error words a failure for the
user; FileLock serialises writers and tells whether a lock's holder is still running.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

# A temporary file left by a save that was killed is removed by a later save of the same
# file once it is this old; a younger one may belong to a save still in progress.
STALE_TEMPORARY_SECONDS = 600.0


def temporary_name_for(path: Path) -> str:
    """A new hidden name beside path for writing its next version (never a .mgcase name)."""
    return f".{path.name}.{os.urandom(4).hex()}.tmp"  # not secrets: its import costs start-up


def is_temporary_for(candidate: Path, path: Path) -> bool:
    """True if candidate is a temporary file that write_atomically made for path."""
    return candidate.name.startswith(f".{path.name}.") and candidate.name.endswith(".tmp")


class NotARegularFileError(OSError):
    """The target of a write exists and is not a regular file: a symbolic link, a folder, a
    named pipe, a device or a socket. mgdesk never writes over one; the message says so."""

    def __init__(self, path: Path, kind: str) -> None:
        code = errno.EISDIR if kind == "a folder" else errno.EEXIST
        super().__init__(
            code, f"{path} is {kind}, not a regular file: mgdesk does not write over it", str(path)
        )


def refuse_unsafe_target(path: Path) -> os.stat_result | None:
    """The status of path if it is a regular file, None if it does not exist; raises
    NotARegularFileError for anything else. Symbolic links are refused, not followed. Nothing is
    opened, so a named pipe cannot block and a device is never written to."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISREG(status.st_mode):
        return status
    raise NotARegularFileError(path, _kind_of(status.st_mode))


def target_problem(path: Path) -> str | None:
    """Why write_atomically would refuse path before writing a byte (its folder is missing,
    or it is not a regular file), or None; lets a command refuse before it starts."""
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist"
    try:
        refuse_unsafe_target(path)
    except NotARegularFileError as exc:
        return str(exc.strerror)
    except OSError:
        pass  # the write itself will say what is wrong
    return None


def _kind_of(mode: int) -> str:
    for test, kind in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a disk device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"


def write_atomically(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Replace path with data so that path always holds either the old or the new bytes.

    The bytes go to a temporary file in the same folder, which is flushed to disk and then
    renamed over path; on POSIX the folder is flushed too, so the rename survives a power
    cut. On failure the temporary file is removed and the OSError is raised: path is
    untouched. A path that exists and is not a regular file (a symbolic link included) is
    refused with NotARegularFileError before anything is written.

    The file gets mode less the umask, and never more than the file it replaces had; the
    temporary file is readable by its owner only until it is complete. Old temporaries that
    killed writes of path left behind are removed after the write.
    """
    replaced = refuse_unsafe_target(path)
    temporary = path.with_name(temporary_name_for(path))
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_NOFOLLOW", 0)
    )
    descriptor = os.open(temporary, flags, mode)
    try:
        try:
            allowed = os.fstat(descriptor).st_mode & 0o777  # mode less the umask
            _set_mode(descriptor, allowed & 0o600)  # a killed write leaves a private copy
            remaining = memoryview(data)
            while remaining:
                remaining = remaining[os.write(descriptor, remaining) :]
            os.fsync(descriptor)
            if replaced is not None:
                allowed &= replaced.st_mode
            _set_mode(descriptor, allowed & 0o777)
        finally:
            os.close(descriptor)
        temporary.replace(path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    _flush_folder(path.parent)
    remove_stale_temporaries(path)


def _set_mode(descriptor: int, mode: int) -> None:
    if sys.platform != "win32":  # Windows has no permission bits beyond read-only
        os.fchmod(descriptor, mode)


def read_limited(path: Path, limit: int) -> bytes:
    """The first limit + 1 bytes of path at most (more than limit bytes: too large).

    A named pipe is opened without waiting for a writer (with none, it reads as empty), and
    a device is read like a file, so /dev/zero gives limit + 1 bytes. Raises OSError, or
    IsADirectoryError for a folder.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as file:
        kind = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(kind):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(kind) and sys.platform != "win32":
            os.set_blocking(descriptor, True)  # a pipe's writer may still be writing
        return read_stream_limited(file, limit)


def read_within(path: Path, limit: int) -> bytes:
    """All of path; OSError (EFBIG) if it holds more than limit bytes, read no further."""
    data = read_limited(path, limit)
    if len(data) > limit:
        too_large = f"it is larger than {limit} bytes, more than mgdesk writes there"
        raise OSError(errno.EFBIG, too_large, str(path))
    return data


def read_stream_limited(stream: IO[bytes], limit: int) -> bytes:
    """The first limit + 1 bytes of stream at most (more than limit bytes: too large)."""
    chunks: list[bytes] = []
    wanted = limit + 1
    while wanted > 0:
        chunk = stream.read(min(wanted, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


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
    if isinstance(exc, NotARegularFileError):
        return f"{exc.strerror}; choose another name"
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
