"""`mgdesk self-test` from source, its acceptance data, and the protocol hash it checks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mgdesk.commands import selftest

ROOT = Path(__file__).resolve().parents[2]
PROTOCOLS = ROOT / "mgdesk" / "resources" / "protocols"
EXAMPLES = ROOT / "mgdesk" / "resources" / "examples"


def test_the_recorded_sha256_is_that_of_the_bundled_protocol() -> None:
    digest = hashlib.sha256((PROTOCOLS / "default.json").read_bytes()).hexdigest()
    assert (PROTOCOLS / "default.sha256").read_text() == f"{digest}  default.json\n", (
        "default.json changed: after review, run `sha256sum default.json > default.sha256` "
        "in mgdesk/resources/protocols"
    )


def test_every_example_has_an_expected_result() -> None:
    expected = json.loads((EXAMPLES / "expected.json").read_text())
    examples = {p.name for p in EXAMPLES.glob("*.json")} - {"expected.json"}
    assert set(expected["examples"]) == examples
    assert expected["sheet_example"] in examples


def test_the_self_test_passes_from_source_and_prints_each_check(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MGDESK_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "mgdesk", "self-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    checks = [line for line in lines if line.startswith(("OK ", "FAIL "))]
    assert all(line.startswith("OK   ") for line in checks), result.stdout
    names = [line[5:].split(":", 1)[0] for line in checks]
    assert names[:4] == ["protocol", "protocol SHA-256", "protocol graph", "examples"]
    assert "example severe-tetany.json" in names
    assert names[-1] == "order sheet PDF"
    assert lines[-1] == f"self-test passed: {len(checks)} checks"


def test_a_build_without_the_order_sheet_fails_the_self_test(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "mgdesk.printing", None)  # importing it raises ImportError
    assert selftest.run(["self-test"]) == selftest.EXIT_FAILED
    out = capsys.readouterr().out
    assert "FAIL order sheet PDF: this build has no order sheet" in out
    assert out.splitlines()[-1].startswith("self-test FAILED: 1 of ")


def test_a_wrong_result_names_what_differs() -> None:
    check = selftest._example_check(
        "severe-tetany.json",
        {
            "status": "ok",
            "severity": "mild",
            "primary_orders": ["mg_sulfate_iv_severe"],
            "required_warnings": ["calcium_antidote_available", "renal_crcl_below_30"],
        },
    )
    with pytest.raises(selftest.CheckError) as failure:
        check()
    message = str(failure.value)
    assert "severity 'severe', expected 'mild'" in message
    assert "primary orders ['mg_sulfate_iv_loading', 'mg_sulfate_iv_severe']" in message
    assert "warnings missing: renal_crcl_below_30" in message
