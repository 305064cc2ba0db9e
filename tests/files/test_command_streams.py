"""Every command writes UTF-8 whatever the console's encoding, and runs without standard
streams at all (a windowed executable has none)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from files_support import default_protocol_document, example_case, example_plan

from mgdesk.records.audit import AuditLog
from mgdesk.records.paths import DATA_DIR_VARIABLE
from mgdesk.records.site_protocol import install_protocol

pytestmark = pytest.mark.slow  # each test runs mgdesk commands in subprocesses

MILD = "mild-oral-1.4-mg-dl.json"
SIGN = "≥"  # not in cp1252: a Windows console in a Western locale cannot show it


def mgdesk(
    *args: str, cwd: Path, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mgdesk", *args],
        cwd=cwd,
        env=environment or os.environ,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder and a data folder, both with SIGN in their names; an installed
    per-user protocol whose title holds SIGN; a case whose patient's name holds it; an
    audit log with one sheet."""
    work = tmp_path / f"work {SIGN}"
    work.mkdir()
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / f"data {SIGN}"))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    protocol = default_protocol_document()
    protocol["title"] = f"Magnesium {SIGN} test protocol"
    site = work / f"site {SIGN}.json"
    site.write_text(json.dumps(protocol, ensure_ascii=False), encoding="utf-8")
    install_protocol(site, "user")
    case = example_case(MILD)
    case["patient"]["name"] = f"Test {SIGN} Patient"
    (work / "case.json").write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    log = AuditLog()
    pending = log.prepare(
        sheet_id="S-1",
        case_document=case,
        plan=example_plan(case),
        protocol_sha256="0" * 64,
        acknowledged_warnings=[],
    )
    log.commit(pending, "printer Ward 3")
    return work


@pytest.mark.parametrize(
    ("args", "shows_sign"),
    [
        pytest.param(["protocol", "check", f"site {SIGN}.json"], True, id="protocol-check"),
        pytest.param(
            ["protocol", "install", "--user", f"site {SIGN}.json"], True, id="protocol-install"
        ),
        pytest.param(["protocol", "show"], True, id="protocol-show"),  # the title
        pytest.param(
            [
                *("protocol", "compare", f"site {SIGN}.json", f"site {SIGN}.json"),
                *("--generated", "0", "-o", f"changes {SIGN}.pdf"),
            ],
            True,  # the report's path
            id="protocol-compare",
        ),
        pytest.param(["evaluate", "case.json"], True, id="evaluate"),  # the patient's name
        pytest.param(["evaluate", "--format", "json", "case.json"], False, id="evaluate-json"),
        pytest.param(
            ["sheet", "case.json", "-o", f"sheet {SIGN}.pdf", "--prescriber", "Dr Roe"],
            True,
            id="sheet",
        ),
        pytest.param(["audit", "list"], True, id="audit-list"),  # the log's path
        pytest.param(["audit", "verify"], True, id="audit-verify"),
        pytest.param(["self-test"], False, id="self-test"),
    ],
)
def test_every_command_writes_utf8_to_a_console_that_cannot_show_a_character(
    folder: Path, args: list[str], shows_sign: bool
) -> None:
    result = mgdesk(*args, cwd=folder, environment=dict(os.environ, PYTHONIOENCODING="cp1252"))
    err = result.stderr.decode("utf-8")
    assert result.returncode == 0, err
    assert "Traceback" not in err and "UnicodeEncodeError" not in err
    assert (SIGN in result.stdout.decode("utf-8")) is shows_sign


WITHOUT_STREAMS = """
import sys
sys.stdin = sys.stdout = sys.stderr = None
from mgdesk.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["protocol", "show"], 0),
        (["evaluate", "case.json"], 0),
        (["evaluate", "-"], 2),  # no standard input: an empty case
        (["sheet", "case.json", "-o", "sheet.pdf", "--prescriber", "Dr Roe"], 0),
        (["audit", "verify", "--sheet", "not-a-hash"], 2),
        (["self-test"], 0),
        (["protocol", "edit", "no such protocol.json"], 2),  # refused before any window
    ],
)
def test_a_program_without_standard_streams_runs_every_command(
    folder: Path, args: list[str], status: int
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_STREAMS, *args],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == status, result.stderr.decode("utf-8", "replace")
    assert result.stderr == b""


def test_the_protocol_editor_refuses_a_file_in_utf8_on_a_console_that_cannot_show_it(
    folder: Path,
) -> None:
    missing = f"no such protocol {SIGN}.json"
    environment = dict(os.environ, PYTHONIOENCODING="cp1252")
    result = mgdesk("protocol", "edit", missing, cwd=folder, environment=environment)
    assert result.returncode == 2
    assert result.stderr.decode("utf-8").startswith(f"mgdesk: {missing}: cannot be read")
