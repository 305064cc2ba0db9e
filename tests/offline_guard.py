"""Run mgdesk with networking disabled, and record any attempt to use the network.

    python tests/offline_guard.py ARGS...      # runs mgdesk.__main__.main(ARGS) guarded

install() replaces the socket functions that reach another machine (name lookups,
connecting or sending on an internet socket) with ones that raise NetworkAttemptError. The
attempt is also written to standard error and, if MGDESK_OFFLINE_LOG names a file,
appended to it, so an attempt is seen even if the code under test swallows the error.
Local (AF_UNIX) sockets stay allowed: Qt and D-Bus use them on the same machine.

Tests use run_offline(); the GUI and PDF tests can use the same command line.

Python's socket functions are not the only way out: Qt's print support asks CUPS through
libcups, below Python. SilentPrintServer stands in for a print server that accepts and
never answers: set CUPS_SERVER to its address and see whether anything connected.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
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


class SilentPrintServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers, recording who
    connected; for `with`, which stops it. It serves at most LIFETIME_S seconds."""

    LIFETIME_S = 600.0

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        host, port = self._listener.getsockname()
        self.address = f"{host}:{port}"  # as CUPS_SERVER takes it
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent print server")
        self.connections: list[tuple[str, int]] = []  # the peers that connected

    def _serve(self) -> None:
        deadline = time.monotonic() + self.LIFETIME_S
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                connection, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._accepted.append(connection)  # kept open, never answered
            self.connections.append(peer)

    def __enter__(self) -> SilentPrintServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(10)
        for connection in [*self._accepted, self._listener]:
            connection.close()


def main() -> int:
    install()
    from mgdesk.__main__ import main as mgdesk_main

    return mgdesk_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
