"""Offline by construction: the command line never tries to reach the network.

Each command runs in a child process under tests/offline_guard.py, which makes every
attempt to connect or resolve a name fail and records it. (The window and PDF parts of
this test are added with the GUI.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from files_support import (
    PYTHON,
    REPO_ROOT,
    default_protocol_document,
    example_case,
    example_plan,
    protocol_bytes,
    subprocess_env,
)

from mgdesk.core.protocol_loader import default_protocol
from mgdesk.records.audit import AuditLog
from mgdesk.records.casefile import save_case

GUARD_DIR = REPO_ROOT / "tests"
sys.path.insert(0, str(GUARD_DIR))
import offline_guard  # noqa: E402

pytestmark = pytest.mark.slow  # each test runs the command line in a subprocess


def _offline(args: list[str], log: Path) -> subprocess.CompletedProcess[str]:
    result = offline_guard.run_offline(args, env=subprocess_env(), log=log)
    assert not log.exists() or log.read_text() == "", log.read_text()
    assert "network attempt" not in result.stderr and "Traceback" not in result.stderr
    return result


def test_the_command_line_works_with_networking_disabled(tmp_path: Path) -> None:
    attempts = tmp_path / "network-attempts.log"
    case = tmp_path / "case.mgcase"
    save_case(example_case(), case)
    protocol = tmp_path / "site.json"
    protocol.write_bytes(protocol_bytes(default_protocol_document()))
    audit = AuditLog(tmp_path / "audit.sqlite3")
    pending = audit.prepare(
        sheet_id="S-1",
        case_document=example_case(),
        plan=example_plan(example_case()),
        protocol_sha256=default_protocol().sha256,
        acknowledged_warnings=[],
    )
    audit.commit(pending, "printer")

    runs = {
        "evaluate": ["evaluate", "--format", "json", str(case)],
        "protocol check": ["protocol", "check", str(protocol)],
        "protocol show": ["protocol", "show"],
        "audit verify": ["audit", "verify", "--db", str(audit.path)],
        "audit verify --sheet": [
            "audit",
            "verify",
            "--db",
            str(audit.path),
            "--sheet",
            pending.hash,
        ],
        "audit list": ["audit", "list", "--db", str(audit.path)],
    }
    for name, args in runs.items():
        result = _offline(args, attempts)
        assert result.returncode == 0, f"{name}: {result.stderr}"
    assert '"status": "ok"' in _offline(runs["evaluate"], attempts).stdout


@pytest.mark.parametrize(
    "attempt",
    [
        "socket.create_connection(('192.0.2.1', 80), timeout=0.1)",
        "socket.getaddrinfo('example.org', 443)",
        "socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(('192.0.2.1', 80))",
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('192.0.2.1', 53))",
    ],
)
def test_the_guard_stops_and_records_every_attempt_even_if_it_is_swallowed(
    tmp_path: Path, attempt: str
) -> None:
    log = tmp_path / "network-attempts.log"
    code = (
        f"import sys; sys.path.insert(0, {str(GUARD_DIR)!r}); import offline_guard, socket\n"
        "offline_guard.install()\n"
        f"try:\n    {attempt}\nexcept Exception:\n    pass\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", code],
        env={**subprocess_env(), offline_guard.LOG_VARIABLE: str(log)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "network attempt" in log.read_text() and "network attempt" in result.stderr


def test_the_guard_allows_local_sockets(tmp_path: Path) -> None:
    if not hasattr(__import__("socket"), "AF_UNIX"):
        pytest.skip("no AF_UNIX sockets here")
    code = (
        f"import sys; sys.path.insert(0, {str(GUARD_DIR)!r}); import offline_guard, socket\n"
        "offline_guard.install()\n"
        "a, b = socket.socketpair(); a.sendall(b'ok'); assert b.recv(2) == b'ok'\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", code],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
