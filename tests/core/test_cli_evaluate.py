"""`mgdesk evaluate`: text, JSON and JSON Lines; errors as data; no traceback for any input."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from core_support import base_case, run_cli, woman
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgdesk import __version__, resources
from mgdesk.commands import evaluate as cli

MGDESK = Path(sys.executable).with_name("mgdesk")
CASE = json.dumps(
    base_case() | {"patient": {**base_case()["patient"], "name": "Ann Example", "id": "H123"}}
)
FORMATS = ["text", "json", "jsonl"]


def test_the_report_names_the_patient_as_validated_and_as_the_sheet_prints_it() -> None:
    patient = {**base_case()["patient"], "name": "  Ann Example ", "id": " H123 "}
    result = run_cli(["evaluate", "-"], json.dumps(base_case() | {"patient": patient}))
    assert result.stdout.startswith("mgdesk plan for Ann Example, H123\n")


def test_text_report() -> None:
    result = run_cli(["evaluate", "-"], CASE)
    assert result.code == 0 and result.stderr == ""
    out = result.stdout
    assert out.startswith("mgdesk plan for Ann Example, H123\n")
    for part in (
        "Status: ok",
        "Severity: mild",
        "1.4 mg/dL = 0.576 mmol/L = 1.15 mEq/L",
        "Creatinine clearance (Cockcroft-Gault)",
        "1. Magnesium oxide orally:",
        "[ALTERNATIVE]",
        "INFO:",
        "[review_causative_drugs]",
        "[recheck_mg_oral]",
        "How the plan was reached:",
        "NOT approved by this site",
        "SHA-256",
    ):
        assert part in out, part


def test_text_report_lists_what_is_missing_and_stop_warnings_first() -> None:
    result = run_cli(
        ["evaluate", "-"], json.dumps(base_case(labs__creatinine=None, labs__magnesium="0.9 mg/dL"))
    )
    assert result.code == 0
    assert "Missing before routine treatment can be decided:" in result.stdout
    assert "(labs.creatinine)" in result.stdout
    warnings = result.stdout.split("Warnings:")[1].split("Monitoring:")[0]
    assert warnings.index("STOP:") < warnings.index("CAUTION:") < warnings.index("INFO:")


def test_json_plan() -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], CASE)
    assert result.code == 0 and result.stderr == ""
    plan = result.json()
    assert plan["format"] == "mgdesk-plan/1"
    assert plan["status"] == "ok" and plan["severity"] == "mild"
    assert [o["id"] for o in plan["orders"]] == ["mg_oxide_oral", "mg_organic_oral"]
    assert plan["orders"][0]["mg_mmol"] == 12.0
    assert plan["magnesium"]["mg_dL"] == pytest.approx(1.4)
    assert plan["steps"][0]["id"] == "scope"
    assert plan["protocol"]["site_approved"] is False


def test_a_case_file_path(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(CASE, encoding="utf-8")
    assert run_cli(["evaluate", "--format", "json", str(path)]).json()["severity"] == "mild"
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + CASE.encode())
    assert run_cli(["evaluate", "--format", "json", str(bom)]).code == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("source", "words"),
    [("missing.json", "no such file"), (".", "folder")],
)
def test_an_unreadable_case_file(tmp_path: Path, fmt: str, source: str, words: str) -> None:
    result = run_cli(["evaluate", "--format", fmt, str(tmp_path / source)])
    assert result.code == 2
    assert words in result.stderr
    if fmt != "text":
        assert result.json()["errors"][0]["field"] == "case"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"patient": ', "it ends too early"),
        (b'{"patient": x}', "not valid JSON at line 1, column 13"),
        (b'{"labs": {"age_years": 1' + b"1" * 5000 + b"}}", "more than 30 digits"),
        (b"[1, 2]", "JSON object"),
        (b'"a case"', "JSON object"),
        (b"null", "JSON object"),
        (b" " * 1_000_001, "larger than"),
    ],
)
def test_input_that_is_not_a_case(data: bytes, words: str) -> None:
    result = run_cli(["evaluate", "--format", "json", "-"], data)
    assert result.code == 2
    errors = result.json()["errors"]
    assert errors[0]["field"] == "case" and words in errors[0]["message"]
    assert "mgdesk: the case is not valid:" in result.stderr and words in result.stderr


def test_invalid_json_input_gives_errors_as_data_and_text() -> None:
    result = run_cli(
        ["evaluate", "--format", "json", "-"],
        json.dumps(base_case(labs__magnesium="1.4", patient__sex="x")),
    )
    assert result.code == 2
    document = result.json()
    assert set(document) == {"errors"}
    assert {e["field"] for e in document["errors"]} == {"labs.magnesium", "patient.sex"}
    assert all(set(e) == {"field", "message"} and e["message"] for e in document["errors"])
    assert "  - labs.magnesium: has no unit" in result.stderr
    text = run_cli(["evaluate", "-"], json.dumps(base_case(labs__magnesium="1.4")))
    assert text.code == 2 and text.stdout == "" and "labs.magnesium" in text.stderr


def test_json_lines_batch() -> None:
    lines = [
        json.dumps(base_case()),
        "",
        "   ",
        json.dumps(base_case(labs__magnesium="1.4")),
        "{not json",
        json.dumps(base_case(labs__magnesium="0.9 mg/dL")),
        json.dumps(woman(30)),
        "",
    ]
    result = run_cli(["evaluate", "--format", "jsonl", "-"], "\n".join(lines))
    assert result.code == 2
    out = result.lines()
    assert len(out) == 5  # blank lines are skipped, bad lines do not stop the batch
    assert out[0]["severity"] == "mild"
    assert out[1] == {
        "line": 4,
        "errors": [{"field": "labs.magnesium", "message": out[1]["errors"][0]["message"]}],
    }
    assert out[2]["line"] == 5 and out[2]["errors"][0]["field"] == "case"
    assert out[3]["severity"] == "severe"
    assert out[4]["status"] == "ok"
    assert "line 4: labs.magnesium" in result.stderr and "line 5: case" in result.stderr


def test_json_lines_all_valid_exit_0_and_crlf() -> None:
    data = (
        "\r\n".join([json.dumps(base_case()), json.dumps(base_case(labs__magnesium="2.0 mg/dL"))])
        + "\r\n"
    )
    result = run_cli(["evaluate", "--format", "jsonl", "-"], data)
    assert result.code == 0 and result.stderr == ""
    assert [p["severity"] for p in result.lines()] == ["mild", "normal"]
    empty = run_cli(["evaluate", "--format", "jsonl", "-"], "\n\n")
    assert empty.code == 0 and empty.stdout == ""


@pytest.mark.slow
def test_a_ten_thousand_line_batch_in_one_process() -> None:
    cycle = [
        (base_case(), "mild"),
        (base_case(labs__magnesium="0.45 mmol/L"), "severe"),
        (base_case(labs__magnesium="1.9 mEq/L"), "normal"),
        (base_case(labs__magnesium="1.2 mmol/L"), "high"),
    ]
    lines = [json.dumps(cycle[i % 4][0], separators=(",", ":")) for i in range(10_000)]
    result = run_cli(["evaluate", "--format", "jsonl", "-"], "\n".join(lines) + "\n")
    assert result.code == 0 and result.stderr == ""
    out = result.stdout.splitlines()
    assert len(out) == 10_000
    for i in (0, 1, 2, 3, 4_997, 9_998, 9_999):
        assert json.loads(out[i])["severity"] == cycle[i % 4][1]
    assert [json.loads(line)["severity"] for line in out[:8]] == [s for _, s in cycle] * 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.run(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"mgdesk {__version__}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [[str(MGDESK)], [sys.executable, "-m", "mgdesk"]], ids=["script", "module"]
)
def test_version_from_the_installed_command(command: list[str]) -> None:
    done = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"mgdesk {__version__}"


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["evaluate"], ["evaluate", "--format", "xml", "-"]):
        with pytest.raises(SystemExit) as caught:
            cli.run(argv)
        assert caught.value.code == 2
    assert "usage:" in capsys.readouterr().err


# -- no input ever produces a traceback ----------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _case_like(draw: st.DrawFn) -> Any:
    """A case document with a random part replaced by a random JSON value."""
    document: Any = base_case()
    section = draw(st.sampled_from(["patient", "labs", "clinical", None]))
    value = draw(JSON_VALUES)
    if section is None:
        document[draw(st.sampled_from(["patient", "labs", "clinical", "format", "extra"]))] = value
    else:
        key = draw(st.sampled_from([*document[section], "symptoms", "torsades", "pregnant", "x"]))
        document[section][key] = value
    return document


@st.composite
def hostile_inputs(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "truncated", "json", "case", "case", "strings"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "truncated":
        text = json.dumps(_case_like(draw))
        return text[: draw(st.integers(0, len(text)))].encode()
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    if kind == "strings":
        document = base_case()
        field = draw(
            st.sampled_from(["patient__name", "patient__id", "labs__magnesium", "patient__weight"])
        )
        section, key = field.split("__")
        document[section][key] = draw(st.text(min_size=1, max_size=10)) * draw(
            st.integers(1, 20_000)
        )
        return json.dumps(document, ensure_ascii=draw(st.booleans())).encode(
            "utf-8", "surrogatepass"
        )
    return json.dumps(_case_like(draw), ensure_ascii=draw(st.booleans())).encode(
        "utf-8", "surrogatepass"
    )


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_inputs(), st.sampled_from(FORMATS))
def test_no_input_produces_a_traceback(data: bytes, fmt: str) -> None:
    result = run_cli(["evaluate", "--format", fmt, "-"], data)
    assert result.code in (0, 2)
    assert "Traceback" not in result.stderr
    if fmt == "json":
        json.loads(result.stdout)
    if fmt == "jsonl":
        for line in result.stdout.splitlines():
            json.loads(line)


DEEP = [
    b"[" * 100_000,
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    b'{"patient": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ('{"patient": {"name": "' + "x" * 900_000 + '"}}').encode(),
    b'{"patient": {"age_years": 1'
    + b"0" * 5000
    + b', "sex": "male"}, "labs": {"magnesium": "1.4 mg/dL"}}',
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "data", DEEP, ids=["open", "arrays", "objects", "nested field", "huge string", "huge number"]
)
def test_deep_and_huge_documents(data: bytes, fmt: str) -> None:
    result = run_cli(["evaluate", "--format", fmt, "-"], data)
    assert result.code == 2
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "fmt", "code"),
    [
        (b"[" * 100_000, "json", 2),
        (b"\x00\xff" * 1000, "text", 2),
        (json.dumps(base_case(patient__name="Ann\ud800")).encode(), "text", 2),
        (json.dumps({**base_case(), "clinical": {"\ud800": True}}).encode(), "json", 2),
        (json.dumps(base_case(patient__name="Zoë Łukasz 李")).encode(), "text", 0),
        (json.dumps(base_case(patient__name="Zoë")).encode() + b"\n" + b"{" * 50_000, "jsonl", 2),
    ],
    ids=["deep", "binary", "surrogate name", "surrogate field", "non-ascii name", "jsonl"],
)
def test_the_installed_command_never_shows_a_traceback(data: bytes, fmt: str, code: int) -> None:
    done = subprocess.run(
        [str(MGDESK), "evaluate", "--format", fmt, "-"],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    done.stdout.decode("utf-8")  # the output is valid UTF-8


def _withholding_protocol(tmp_path: Path) -> Path:
    """A site protocol whose severe IV infusion runs faster than its own lowered limit: its
    plans are withheld."""
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    document["thresholds"]["iv_max_rate"] = "20 mg/min"
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_jsonl_reports_a_withheld_plan_as_withheld_with_exit_3(tmp_path: Path) -> None:
    lines = [json.dumps(base_case()), json.dumps(base_case(labs__magnesium="0.9 mg/dL"))]
    protocol = str(_withholding_protocol(tmp_path))
    result = run_cli(
        ["evaluate", "--format", "jsonl", "--protocol", protocol, "-"], "\n".join(lines)
    )
    assert result.code == 3
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["format"] == "mgdesk-plan/1"
    assert second["line"] == 2 and "errors" not in second
    assert any(v.startswith("4:") for v in second["withheld"])
    assert "line 2: plan withheld: 4:" in result.stderr


def test_jsonl_exit_2_for_an_invalid_line_wins_over_a_withheld_plan(tmp_path: Path) -> None:
    lines = [json.dumps(base_case(labs__magnesium="0.9 mg/dL")), "{"]
    protocol = str(_withholding_protocol(tmp_path))
    result = run_cli(
        ["evaluate", "--format", "jsonl", "--protocol", protocol, "-"], "\n".join(lines)
    )
    assert result.code == 2
    withheld, invalid = (json.loads(line) for line in result.stdout.splitlines())
    assert "withheld" in withheld and "errors" in invalid


def test_mgdesk_help_lists_every_option_of_sheet_and_audit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mgdesk.__main__ import main

    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    for option in (
        "--facility NAME",
        "audit list [--db PATH] [--last N] [--json]",
        "audit verify [--db PATH] [--sheet HASH]",
        "check FILE [--cases PATH ...]",
    ):
        assert option in shown


def test_the_text_report_names_an_outcome_whose_label_a_site_left_empty(tmp_path: Path) -> None:
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    for edge in document["graph"]["edges"]:
        if edge["from"] == "monitoring":
            edge["label"] = ""
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run_cli(["evaluate", "--protocol", str(path), "-"], CASE)
    assert result.code == 0
    assert "11. Monitoring: done (done)" in result.stdout
