"""Each sheet leaves an audit entry whose hash is printed on the sheet, and the sheet names
the protocol that produced it, including a per-user evaluation install."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sheet_support import examples_dir, pdf_pages, run_sheet_command

pytestmark = pytest.mark.slow  # each test runs `mgdesk sheet` in a subprocess

MILD = "mild-oral-1.4-mg-dl.json"
AUDIT_ENTRY = re.compile(r"Audit entry ([0-9a-f]{64})")


def mgdesk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mgdesk", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_printed_audit_hash_is_found_in_the_log(tmp_path: Path) -> None:
    result = run_sheet_command([str(examples_dir() / MILD), "-o", "sheet.pdf"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = {m for page in pdf_pages(tmp_path / "sheet.pdf") for m in AUDIT_ENTRY.findall(page)}
    assert len(printed) == 1, "every page prints the same audit entry hash"
    (entry_hash,) = printed
    assert entry_hash in result.stdout

    found = mgdesk("audit", "verify", "--sheet", entry_hash, cwd=tmp_path)
    assert found.returncode == 0, found.stdout + found.stderr
    listed = json.loads(mgdesk("audit", "list", "--json", cwd=tmp_path).stdout)["entries"]
    assert [e["kind"] for e in listed] == ["sheet", "outcome"]
    assert listed[0]["hash"] == entry_hash
    assert listed[1]["output"] == str((tmp_path / "sheet.pdf").resolve())


def test_a_refused_sheet_leaves_no_audit_entry(tmp_path: Path) -> None:
    result = run_sheet_command(
        [str(examples_dir() / "oral-failed-stoma.json"), "-o", "sheet.pdf"], cwd=tmp_path
    )
    assert result.returncode == 2
    listed = mgdesk("audit", "list", "--json", cwd=tmp_path)
    assert "there is no audit log" in listed.stderr or json.loads(listed.stdout)["entries"] == []


def test_a_per_user_protocol_is_used_and_marked_on_the_sheet(tmp_path: Path) -> None:
    site = json.loads(
        (
            Path(__file__).resolve().parents[2]
            / "mgdesk"
            / "resources"
            / "protocols"
            / "default.json"
        ).read_text("utf-8")
    )
    site["id"] = "st-elsewhere-hypomagnesemia"
    (tmp_path / "site.json").write_text(json.dumps(site), encoding="utf-8")
    installed = mgdesk("protocol", "install", "--user", "site.json", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    plan = json.loads(
        mgdesk("evaluate", "--format", "json", str(examples_dir() / MILD), cwd=tmp_path).stdout
    )
    assert plan["protocol"]["id"] == "st-elsewhere-hypomagnesemia"

    result = run_sheet_command([str(examples_dir() / MILD), "-o", "sheet.pdf"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pages = pdf_pages(tmp_path / "sheet.pdf")
    assert all("st-elsewhere-hypomagnesemia" in page for page in pages)
    assert all("protocol installed per user, for evaluation only" in page for page in pages)
