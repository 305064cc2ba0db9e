"""The worked cases in the shared clinical folder, through the Python API and the command line.

The cases are the repository's own copy in tests/data/cases (its README says where they
come from).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from core_support import (
    cases_dir,
    check_expect,
    errors_of,
    field_matches,
    load_shared_case,
    plan_of,
    run_cli,
    shared_case_files,
)

CASE_FILES = shared_case_files()
KNOWN_EXPECT_KEYS = {
    "exit",
    "error_field",
    "status",
    "severity",
    "primary",
    "present",
    "absent",
    "warnings",
    "monitoring",
    "no_warnings",
    "mg_mmol",
    "first_order",
    "magnesium_mg_dL",
    "crcl",
}
MGDESK = Path(sys.executable).with_name("mgdesk")


def test_the_shared_cases_are_found() -> None:
    assert cases_dir().is_dir(), f"no worked cases at {cases_dir()}"
    assert len(CASE_FILES) >= 10


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_expect_keys_are_all_understood(path: Path) -> None:
    expect = load_shared_case(path)["expect"]
    assert set(expect) <= KNOWN_EXPECT_KEYS, (
        f"unknown expect keys {set(expect) - KNOWN_EXPECT_KEYS}"
    )
    if "error_field" in expect:
        assert expect.get("exit") == 2


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_shared_case_through_the_api(path: Path) -> None:
    shared = load_shared_case(path)
    expect: dict[str, Any] = shared["expect"]
    label = f"{shared['id']} {shared['title']}"
    if expect.get("exit", 0) == 2:
        errors = errors_of(shared["case"])
        fields = [e.field for e in errors]
        assert any(field_matches(f, expect["error_field"]) for f in fields), (label, fields)
        assert all(e.message for e in errors)
        return
    plan = plan_of(shared["case"])
    check_expect(plan.as_dict(), expect, label)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_shared_case_through_the_command_line(path: Path) -> None:
    shared = load_shared_case(path)
    expect: dict[str, Any] = shared["expect"]
    label = f"{shared['id']} {shared['title']}"
    result = run_cli(["evaluate", "--format", "json", "-"], json.dumps(shared["case"]))
    assert "Traceback" not in result.stderr
    if expect.get("exit", 0) == 2:
        assert result.code == 2, label
        errors = result.json()["errors"]
        assert any(field_matches(e["field"], expect["error_field"]) for e in errors), label
        assert all(e["message"] for e in errors)
        assert expect["error_field"] in result.stderr
        return
    assert result.code == 0, (label, result.stderr)
    assert result.stderr == ""
    check_expect(result.json(), expect, label)


def _installed(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, input=stdin, capture_output=True, timeout=120, check=False)


@pytest.mark.slow
def test_installed_command_evaluates_a_shared_case_file(tmp_path: Path) -> None:
    assert MGDESK.exists(), f"the mgdesk command is not installed beside {sys.executable}"
    valid = next(p for p in CASE_FILES if load_shared_case(p)["expect"].get("exit", 0) == 0)
    shared = load_shared_case(valid)
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(shared["case"]), encoding="utf-8")
    done = _installed([str(MGDESK), "evaluate", "--format", "json", str(case_file)])
    assert done.returncode == 0, done.stderr.decode()
    check_expect(json.loads(done.stdout), shared["expect"], shared["id"])


@pytest.mark.slow
def test_installed_command_refuses_an_invalid_shared_case() -> None:
    invalid = next(p for p in CASE_FILES if load_shared_case(p)["expect"].get("exit") == 2)
    shared = load_shared_case(invalid)
    stdin = json.dumps(shared["case"]).encode()
    done = _installed([str(MGDESK), "evaluate", "--format", "json", "-"], stdin)
    assert done.returncode == 2
    errors = json.loads(done.stdout)["errors"]
    assert any(field_matches(e["field"], shared["expect"]["error_field"]) for e in errors)
    assert b"Traceback" not in done.stderr
