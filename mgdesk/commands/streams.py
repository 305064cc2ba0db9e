"""What every command shares: its exit statuses, and standard streams that never fail.

Output is UTF-8 whatever the console's encoding (JSON is UTF-8, and a protocol title or a
path may hold "≥"); a character the stream still cannot take is escaped rather than ending
the command. A program built without a console (a windowed executable) has no standard
streams at all: its output is then discarded and its input empty, instead of a crash.
"""

from __future__ import annotations

import io
import sys
from typing import IO

EXIT_OK = 0
EXIT_FAILED = 1  # the output could not be produced, or a verification failed
EXIT_INVALID = 2  # invalid input, or no sheet may be produced for it
EXIT_WITHHELD = 3  # the plan broke a safety invariant and was withheld


class _Discarded(io.StringIO):
    """A text stream that keeps nothing."""

    def write(self, text: str) -> int:
        return len(text)


def utf8_output(stream: IO[str] | None) -> IO[str]:
    """stream as UTF-8, escaping what it cannot write; a stream that does not exist discards."""
    if stream is None:
        return _Discarded()
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    return stream


def standard_output() -> IO[str]:
    return utf8_output(sys.stdout)


def standard_error() -> IO[str]:
    return utf8_output(sys.stderr)


def standard_input() -> IO[bytes]:
    """The bytes of standard input; none when the process has no standard input."""
    return sys.stdin.buffer if sys.stdin is not None else io.BytesIO(b"")
