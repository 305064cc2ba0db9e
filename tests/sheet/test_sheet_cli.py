"""`mgdesk sheet`: refusals (exit 2, no file) in-process; sheets in a fresh process each."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sheet_support import (
    A4_POINTS,
    LETTER_POINTS,
    SHEET_ID,
    example,
    examples_dir,
    media_box,
    pdf_pages,
    refused_documents,
    run_sheet_command,
    shared_cases_dir,
    write_case,
)

from mgdesk.commands import sheet as sheet_cli
from mgdesk.records.audit import AuditLog

MILD = "mild-oral-1.4-mg-dl.json"
TORSADES = "torsades-with-pulse.json"
TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}[+-]\d{2}:\d{2}"
AUDIT_ENTRY = r"Audit entry [0-9a-f]{64}"


def run_in_process(args: list[str], prescriber: str | None = "Dr Jane Roe") -> tuple[int, str, str]:
    """`mgdesk sheet ARGS`, with the prescriber's name unless the test leaves it out."""
    if prescriber is not None and "--prescriber" not in args:
        args = [*args, "--prescriber", prescriber]
    out, err = io.StringIO(), io.StringIO()
    code = sheet_cli.run(["sheet", *args], stdin=io.BytesIO(b""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("document", "extra", "expected"),
    [
        pytest.param(
            {"patient": {"age_years": 50, "sex": "male"}, "labs": {"magnesium": "1.4"}},
            [],
            "labs.magnesium: has no unit",
            id="invalid-case",
        ),
        *(pytest.param(doc, [], reason, id=name) for doc, reason, name in refused_documents()),
        pytest.param(
            example(TORSADES), [], "--acknowledge torsades_do_not_delay", id="not-acknowledged"
        ),
        pytest.param(
            example(TORSADES),
            ["--acknowledge", "torsades_do_not_delay,made_up"],
            "'made_up' is not a stop-level warning",
            id="unknown-code",
        ),
    ],
)
def test_refusals_exit_2_and_write_nothing(
    tmp_path: Path, document: dict[str, Any], extra: list[str], expected: str
) -> None:
    case = write_case(tmp_path, document)
    output = tmp_path / "out.pdf"
    code, out, err = run_in_process([str(case), "-o", str(output), *extra])
    assert code == 2
    assert expected in err, err
    assert out == ""
    assert not output.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["case.json"]


def test_an_unacknowledged_warning_is_listed_with_its_text(tmp_path: Path) -> None:
    code, _, err = run_in_process([str(examples_dir() / TORSADES), "-o", str(tmp_path / "x.pdf")])
    assert code == 2
    assert (
        "Stop-level warning not acknowledged: Torsades de pointes: give magnesium sulfate now"
    ) in err
    assert "--acknowledge torsades_do_not_delay" in err


def test_a_shared_case_without_a_unit_is_refused(tmp_path: Path) -> None:
    path = shared_cases_dir() / "v05.json"
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))["case"]
    code, _, err = run_in_process(
        [str(write_case(tmp_path, document)), "-o", str(tmp_path / "x.pdf")]
    )
    assert code == 2 and "labs.magnesium" in err
    assert not (tmp_path / "x.pdf").exists()


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    code, _, err = run_in_process(
        [str(examples_dir() / MILD), "-o", str(tmp_path / "nowhere" / "x.pdf")]
    )
    assert code == 2 and "does not exist" in err


def _special_output(tmp_path: Path, kind: str) -> Path:
    target = tmp_path / f"{kind}.pdf"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "link":
        (tmp_path / "real.pdf").write_bytes(b"kept")
        target.symlink_to(tmp_path / "real.pdf")
    elif kind == "dangling-link":
        target.symlink_to(tmp_path / "nowhere.pdf")
    else:
        if os.geteuid() != 0:
            pytest.skip("only root can make a device node")
        os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # the same device as /dev/full
    return target


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")
@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("fifo", "is a named pipe (FIFO), not a regular file"),
        ("link", "is a symbolic link, not a regular file"),
        ("dangling-link", "is a symbolic link, not a regular file"),
        ("device", "is a device, not a regular file"),
    ],
)
def test_an_output_that_is_not_a_regular_file_is_refused_and_left_as_it_is(
    tmp_path: Path, kind: str, words: str
) -> None:
    target = _special_output(tmp_path, kind)
    before = os.lstat(target)
    code, out, err = run_in_process([str(examples_dir() / MILD), "-o", str(target)])
    assert code == 2, err
    assert f"{target} {words}" in err and out == ""
    after = os.lstat(target)
    assert (stat.S_IFMT(after.st_mode), after.st_ino) == (
        stat.S_IFMT(before.st_mode),
        before.st_ino,
    )
    assert not (tmp_path / "nowhere.pdf").exists()
    assert kind != "link" or (tmp_path / "real.pdf").read_bytes() == b"kept"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not AuditLog().path.exists()  # refused before any audit entry was written


@pytest.mark.slow
def test_the_sheet_is_written_and_two_sheets_differ_only_in_id_and_time(tmp_path: Path) -> None:
    """Apart from the sheet id and time, only the audit entry's hash differs: it is the
    hash of the log entry recording this sheet (its id and time included)."""
    case = examples_dir() / TORSADES
    texts, ids = [], []
    for name in ("first.pdf", "second.pdf"):
        result = run_sheet_command(
            [
                str(case),
                "-o",
                name,
                "--paper",
                "a4",
                "--acknowledge",
                "torsades_do_not_delay",
                "--facility",
                "St Elsewhere",
                "--prescriber",
                "Dr Jane Roe",
            ],
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        match = SHEET_ID.search(result.stdout.replace("order sheet ", "Sheet "))
        assert match, result.stdout
        pages = pdf_pages(tmp_path / name)
        assert f"({len(pages)} pages, a4)" in result.stdout
        ids.append(match.group(1))
        text = " ".join(pages).replace(match.group(1), "ID")
        texts.append(re.sub(AUDIT_ENTRY, "Audit entry HASH", re.sub(TIME, "TIME", text)))
    assert ids[0] != ids[1]
    assert texts[0] == texts[1]
    assert "Printed name Dr Jane Roe" in texts[0] and "St Elsewhere" in texts[0]
    assert media_box(tmp_path / "first.pdf") == A4_POINTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.pdf", "second.pdf"]


@pytest.mark.slow
def test_letter_paper_from_the_command_line(tmp_path: Path) -> None:
    result = run_sheet_command(
        [str(examples_dir() / MILD), "-o", "x.pdf", "--paper", "letter"], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert media_box(tmp_path / "x.pdf") == LETTER_POINTS


@pytest.mark.slow
def test_an_unknown_printer_is_refused(tmp_path: Path) -> None:
    result = run_sheet_command(
        [str(examples_dir() / MILD), "--printer", "no-such-printer"], cwd=tmp_path
    )
    assert result.returncode == 2
    assert "there is no printer named 'no-such-printer'" in result.stderr


@pytest.mark.slow
def test_the_command_runs_without_a_display(tmp_path: Path) -> None:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mgdesk.commands.sheet",
            str(examples_dir() / MILD),
            "-o",
            "x.pdf",
            "--paper",
            "a4",
            "--prescriber",
            "Dr Jane Roe",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.pdf").exists()


@pytest.mark.slow
def test_mgdesk_sheet_is_wired_into_the_entry_point(tmp_path: Path) -> None:
    from mgdesk.__main__ import COMMANDS

    if "sheet" not in COMMANDS:
        pytest.skip('mgdesk/__main__.py COMMANDS has no "sheet" entry yet (the integrator adds it)')
    result = subprocess.run(
        [
            *(sys.executable, "-m", "mgdesk", "sheet", str(examples_dir() / MILD)),
            *("-o", "x.pdf", "--prescriber", "Dr Jane Roe"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.pdf").exists()


def test_the_prescribers_name_is_required_and_identity_is_printed(tmp_path: Path) -> None:
    case = str(examples_dir() / "mild-oral-1.4-mg-dl.json")
    code, _, err = run_in_process([case, "-o", str(tmp_path / "x.pdf")], prescriber=None)
    assert code == 2
    assert "printed name is not entered" in err and "--prescriber NAME" in err
    assert not (tmp_path / "x.pdf").exists()
    code, _, err = run_in_process(
        [
            case,
            "-o",
            str(tmp_path / "y.pdf"),
            "--prescriber-registration",
            "GMC 7654321",
            "--prescriber-contact",
            "bleep 4321",
        ]
    )
    assert code == 0, err
    first = pdf_pages(tmp_path / "y.pdf")[0]
    assert "GMC 7654321" in first and "bleep 4321" in first and "Dr Jane Roe" in first
