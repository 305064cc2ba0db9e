"""Run mgdesk with networking disabled, and record any attempt to use the network.

    python tests/offline_guard.py ARGS...      # runs mgdesk.__main__.main(ARGS) guarded

install() replaces the socket functions that reach another machine (name lookups,
connecting or sending on an internet socket) with ones that raise NetworkAttemptError. The
attempt is also written to standard error and, if MGDESK_OFFLINE_LOG names a file,
appended to it, so an attempt is seen even if the code under test swallows the error.
Local (AF_UNIX) sockets stay allowed: Qt and D-Bus use them on the same machine.

Tests use run_offline(); the GUI and PDF tests can use the same command line.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

LOG_VARIABLE = "MGDESK_OFFLINE_LOG"
_INTERNET = (socket.AF_INET, socket.AF_INET6)
_installed = False


class NetworkAttemptError(RuntimeError):
    """Raised on any attempt to reach the network (not an OSError, so it is not retried)."""


def _refuse(what: str, detail: object) -> NoReturn:
    message = f"offline guard: network attempt: {what}({detail!r})"
    sys.stderr.write(message + "\n")
    log = os.environ.get(LOG_VARIABLE)
    if log:
        with Path(log).open("a", encoding="utf-8") as file:
            file.write(message + "\n")
    raise NetworkAttemptError(message)


def install() -> None:
    """Disable networking in this process (idempotent)."""
    global _installed
    if _installed:
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in _INTERNET:
            _refuse("socket.connect", address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in _INTERNET:
            _refuse("socket.connect_ex", address)
        return original_connect_ex(self, address)

    def sendto(self: socket.socket, *args: Any) -> int:
        if self.family in _INTERNET:
            _refuse("socket.sendto", args[-1])
        return original_sendto(self, *args)

    def lookup(name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> NoReturn:
            _refuse(f"socket.{name}", args[:2])

        return refuse

    for name, replacement in (("connect", connect), ("connect_ex", connect_ex), ("sendto", sendto)):
        setattr(socket.socket, name, replacement)
    for name in (
        "create_connection",
        "getaddrinfo",
        "gethostbyname",
        "gethostbyname_ex",
        "gethostbyaddr",
        "getnameinfo",
    ):
        setattr(socket, name, lookup(name))
    _installed = True


def command(args: Sequence[str]) -> list[str]:
    """The command line that runs mgdesk with args under the guard."""
    return [sys.executable, str(Path(__file__).resolve()), *args]


def run_offline(
    args: Sequence[str], *, env: dict[str, str], log: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run mgdesk with args under the guard; attempts are appended to log."""
    return subprocess.run(
        command(args),
        env={**env, LOG_VARIABLE: str(log)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def main() -> int:
    install()
    from mgdesk.__main__ import main as mgdesk_main

    return mgdesk_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
