"""Ask the print system whether it answers, with a bounded wait, before Qt's print support.

Qt's print support (QPrinter, QPrinterInfo, the print dialogs) asks CUPS synchronously,
holding Python's global lock: a print server that accepts a connection and never answers
freezes the process for a minute at each query. So before anything prints, the CUPS server
the way libcups finds it (CUPS_SERVER, then client.conf, then the local socket) is sent one
HTTP request from a thread; when no reply comes within PRINT_SYSTEM_WAIT_S the caller gets
"the printer did not answer" instead of a frozen window. A server that refuses or does not
exist is left to Qt, which then fails at once ("no printer named ...").

Windows has no CUPS (its spooler is local): there is nothing to ask.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TypeAlias

from PySide6.QtCore import QCoreApplication, QEventLoop, QThread, QTimer

from mgdesk.printing.render import PrintError

PRINT_SYSTEM_WAIT_S = 5.0
IPP_PORT = 631
LOCAL_SOCKETS = ("/run/cups/cups.sock", "/var/run/cups/cups.sock", "/private/var/run/cupsd")
CLIENT_CONF = "client.conf"
_REQUEST = b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
_POLL_MS = 20

PrintServer: TypeAlias = str | tuple[str, int]  # a local socket's path, or a host and port


def print_server(
    environ: Mapping[str, str] | None = None, home: Path | None = None
) -> PrintServer | None:
    """The CUPS server libcups would use, or None where there is no CUPS (Windows)."""
    if sys.platform == "win32":
        return None
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    name = environ.get("CUPS_SERVER", "").strip()
    server_root = Path(environ.get("CUPS_SERVERROOT", "/etc/cups"))
    for conf in (home / ".cups" / CLIENT_CONF, server_root / CLIENT_CONF):
        name = name or _server_name(conf)
    if not name:
        name = next((path for path in LOCAL_SOCKETS if Path(path).exists()), "localhost")
    if name.startswith("/"):
        return name
    name = name.split("/", 1)[0]  # "host:port/version=1.1"
    port = _port(environ.get("IPP_PORT", ""), IPP_PORT)
    if name.startswith("["):  # "[v6 address]:port"
        address, _, rest = name[1:].partition("]")
        return address, _port(rest.removeprefix(":"), port)
    host, colon, given = name.rpartition(":")
    if colon and ":" not in host:
        return host, _port(given, port)
    return name, port


def describe(server: PrintServer) -> str:
    return server if isinstance(server, str) else f"{server[0]}:{server[1]}"


def check_print_system(printer: str = "", wait_s: float = PRINT_SYSTEM_WAIT_S) -> None:
    """Return once the print system answers (or is plainly absent); raise PrintError, naming
    the printer if given, if it sends nothing within wait_s. On the GUI thread the window
    keeps painting meanwhile but takes no input, so nothing else starts printing first."""
    server = print_server()
    if server is None:
        return
    answered = threading.Event()
    deadline = time.monotonic() + wait_s
    thread = threading.Thread(
        target=_ask, args=(server, deadline, answered), name="mgdesk print system", daemon=True
    )
    thread.start()
    _wait(thread, wait_s)
    if not answered.is_set():
        raise PrintError(
            f"the printer{f' {printer!r}' if printer else ''} did not answer: the print system"
            f" ({describe(server)}) sent no reply within {wait_s:g} seconds, so nothing was printed"
        )


def _ask(server: PrintServer, deadline: float, answered: threading.Event) -> None:
    """Set answered unless the server stays silent: a reply, or a plain refusal, counts."""
    try:
        with _connect(server, deadline) as connection:
            connection.settimeout(max(0.0, deadline - time.monotonic()))
            connection.sendall(_REQUEST)
            connection.recv(1)
    except TimeoutError:
        return
    except OSError:
        if time.monotonic() >= deadline:
            return  # a name lookup that took all the time is no answer either
    answered.set()


def _connect(server: PrintServer, deadline: float) -> socket.socket:
    timeout = max(0.0, deadline - time.monotonic())
    if not isinstance(server, str):
        return socket.create_connection(server, timeout=timeout)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(timeout)
        connection.connect(server)
    except OSError:
        connection.close()  # a scheduler that is not running: closed here, not left to leak
        raise
    return connection


def _wait(thread: threading.Thread, wait_s: float) -> None:
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() != app.thread():
        thread.join(wait_s)
        return
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(_POLL_MS)
    deadline = time.monotonic() + wait_s

    def quit_when_done() -> None:
        if not thread.is_alive() or time.monotonic() >= deadline:
            loop.quit()

    timer.timeout.connect(quit_when_done)
    timer.start()
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    timer.stop()


def _server_name(conf: Path) -> str:
    try:
        lines = conf.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in lines:
        key, _, value = line.strip().partition(" ")
        if key.lower() == "servername" and value.strip():
            return value.strip()
    return ""


def _port(text: str, default: int) -> int:
    return int(text) if text.strip().isdigit() else default
