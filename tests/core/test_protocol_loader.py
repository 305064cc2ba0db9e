"""The protocol as data: the default loads, a site copy is honoured, a broken one is refused."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import typing
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from core_support import base_case, ids, plan_of, run_cli, warning_codes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgdesk import resources
from mgdesk.core import codes
from mgdesk.core.errors import PlanWithheld, ProtocolInvalid
from mgdesk.core.protocol import MONITORING_CODES, ORDER_CODES, WARNING_CODES
from mgdesk.core.protocol_loader import default_protocol, parse_protocol
from mgdesk.records.site_protocol import load_protocol

DEFAULT_BYTES = files(resources).joinpath("protocols", "default.json").read_bytes()
DEFAULT: dict[str, Any] = json.loads(DEFAULT_BYTES)


def edited(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = copy.deepcopy(DEFAULT)
    change(document)
    return document


def write(tmp_path: Path, document: dict[str, Any] | bytes) -> Path:
    path = tmp_path / "site-protocol.json"
    data = document if isinstance(document, bytes) else json.dumps(document, indent=1).encode()
    path.write_bytes(data)
    return path


def refused(document: dict[str, Any] | bytes) -> tuple[str, ...]:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(data, origin="site.json")
    assert caught.value.problems
    return caught.value.problems


def edge(document: dict[str, Any], source: str, outcome: str) -> dict[str, Any]:
    return next(
        e for e in document["graph"]["edges"] if e["from"] == source and e["outcome"] == outcome
    )


def test_the_default_protocol_loads() -> None:
    protocol = default_protocol()
    assert protocol.id == "mgdesk-default-adult-hypomagnesemia"
    assert protocol.sha256 == hashlib.sha256(DEFAULT_BYTES).hexdigest()
    assert protocol.approval.site_approved is False
    warnings = [protocol.warnings.by_code(code) for code in WARNING_CODES]
    assert [(w.code, w.level) for w in warnings] == list(WARNING_CODES.items())
    assert [f.name for f in dataclasses.fields(protocol.orders)] == list(ORDER_CODES)
    assert [m.code for m in protocol.monitoring.entries()] == list(MONITORING_CODES)


def test_every_field_of_the_schema_names_a_kind_the_loader_reads() -> None:
    """The protocol's classes are its schema: a kind the reader does not know would leave a
    field unchecked."""
    from mgdesk.core import protocol as model
    from mgdesk.core.protocol_reader import DIMENSIONS, NUMBER_KINDS

    known = {*DIMENSIONS, *NUMBER_KINDS, "text"}
    shapes = [
        model.Chemistry,
        model.Thresholds,
        model.Plausibility,
        *typing.get_type_hints(model.Doses).values(),
    ]
    for shape in shapes:
        for field in dataclasses.fields(shape):
            assert field.metadata[model.KIND] in known, (shape.__name__, field.name)


def test_a_warning_code_the_engine_does_not_know_is_no_attribute_lookup() -> None:
    with pytest.raises(KeyError):
        default_protocol().warnings.by_code("by_code")


def test_the_sha256_of_the_file_bytes_is_in_every_plan(tmp_path: Path) -> None:
    data = DEFAULT_BYTES.replace(b'"version": "1.1.2"', b'"version": "1.0.0-site"') + b"\n\n"
    path = write(tmp_path, data)
    protocol = load_protocol(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert protocol.sha256 == digest != default_protocol().sha256
    plan = plan_of(base_case(), protocol).as_dict()
    assert plan["protocol"]["sha256"] == digest
    assert plan["protocol"]["version"] == "1.0.0-site"
    assert plan["protocol"]["site_approved"] is False


def test_a_site_may_change_thresholds(tmp_path: Path) -> None:
    document = edited(lambda d: d["thresholds"].update(magnesium_severe_below="1.3 mg/dL"))
    site = load_protocol(write(tmp_path, document))
    case = base_case(labs__magnesium="1.25 mg/dL")
    assert plan_of(case).severity == "mild"
    assert plan_of(case, site).severity == "severe"
    assert plan_of(base_case(labs__magnesium="1.3 mg/dL"), site).severity == "mild"


def test_a_site_may_change_the_renal_thresholds(tmp_path: Path) -> None:
    site = load_protocol(
        write(
            tmp_path, edited(lambda d: d["thresholds"].update(clearance_full_dose_from="60 mL/min"))
        )
    )
    plan = plan_of(base_case(labs__creatinine_clearance="50 mL/min"), site)
    assert "renal_crcl_below_30" in warning_codes(plan)


def test_a_site_may_change_doses_and_products(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["doses"]["severe_iv"].update(salt_mass="4 g", duration="4 h")
        d["doses"]["oral_start"]["magnesium"] = "10 mmol"
        d["orders"]["mg_organic_oral"]["product"] = "magnesium_aspartate_10mmol_sachet"

    site = load_protocol(write(tmp_path, edited(change)))
    severe = plan_of(base_case(labs__magnesium="0.9 mg/dL"), site).order("mg_sulfate_iv_severe")
    assert severe is not None
    assert "magnesium sulfate 4 g" in severe.text and "4 hours" in severe.text
    assert severe.mg_mmol is not None and abs(float(severe.mg_mmol) - 16.23) < 0.01
    oral = plan_of(base_case(), site)
    organic = oral.order("mg_organic_oral")
    assert organic is not None and organic.mg_mmol == 10
    assert "1 magnesium aspartate 10 mmol sachet (10 mmol)" in organic.text


def test_a_site_may_change_wording_and_approval(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["warnings"]["review_causative_drugs"]["text"] = "Site wording: review the drug chart."
        d["orders"]["mg_oxide_oral"]["timing"] = "once daily at bedtime"
        d["approval"].update(
            site_approved=True,
            site="General Hospital",
            approved_by="Pharmacy",
            effective_date="2026-01-01",
            review_date="2027-01-01",
        )

    site = load_protocol(write(tmp_path, edited(change)))
    plan = plan_of(base_case(), site)
    text = next(w.text for w in plan.warnings if w.code == "review_causative_drugs")
    assert text == "Site wording: review the drug chart."
    oxide = plan.order("mg_oxide_oral")
    assert oxide is not None and "once daily at bedtime" in oxide.text
    assert plan.protocol["site_approved"] is True
    assert plan.protocol["approved_by"] == "Pharmacy"


REFUSALS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    (
        "unknown step",
        lambda d: d["graph"]["nodes"].append({"id": "fluids", "kind": "decision", "title": "F"}),
        "not a step the engine knows",
    ),
    (
        "unknown step rationale",
        lambda d: d["steps"].update(fluids={"rationale": {}}),
        "steps.fluids",
    ),
    (
        "unknown step outcome",
        lambda d: d["steps"]["renal"]["rationale"].update(moderate="x"),
        "steps.renal.rationale.moderate",
    ),
    (
        "missing step",
        lambda d: d["graph"]["nodes"].__setitem__(
            5, {"id": "renal", "kind": "action", "title": "R"}
        ),
        "'renal' is missing",
    ),
    (
        "unknown warning code",
        lambda d: d["warnings"].update(new_code={"level": "info", "text": "x", "sources": []}),
        "warnings.new_code",
    ),
    (
        "unknown order code",
        lambda d: d["orders"].update(mg_chloride_iv={"title": "x", "product": "x", "sources": []}),
        "orders.mg_chloride_iv",
    ),
    (
        "unknown monitoring code",
        lambda d: d["monitoring"].update(weigh_daily={"text": "x", "sources": []}),
        "monitoring.weigh_daily",
    ),
    (
        "missing warning code",
        lambda d: d["warnings"].pop("max_20g_per_48h"),
        "warnings.max_20g_per_48h: is missing",
    ),
    (
        "missing order code",
        lambda d: d["orders"].pop("mg_sulfate_iv_torsades"),
        "orders.mg_sulfate_iv_torsades: is missing",
    ),
    (
        "missing monitoring code",
        lambda d: d["monitoring"].pop("toxicity_signs"),
        "monitoring.toxicity_signs: is missing",
    ),
    (
        "missing threshold",
        lambda d: d["thresholds"].pop("iv_max_rate"),
        "thresholds.iv_max_rate: is missing",
    ),
    (
        "wrong dimension of a dose",
        lambda d: d["doses"]["severe_iv"].update(salt_mass="5 mL"),
        "wrong dimension",
    ),
    (
        "wrong dimension of a threshold",
        lambda d: d["thresholds"].update(magnesium_severe_below="0.5 mmol/L"),
        "wrong dimension",
    ),
    (
        "wrong dimension of a duration",
        lambda d: d["doses"]["loading"].update(duration="15 mg"),
        "wrong dimension",
    ),
    (
        "wrong dimension of a molar mass",
        lambda d: d["chemistry"].update(magnesium_molar_mass="24.305 g"),
        "wrong dimension",
    ),
    (
        "quantity without unit",
        lambda d: d["thresholds"].update(iv_max_rate="150"),
        "not a number followed by a unit",
    ),
    (
        "unknown unit",
        lambda d: d["thresholds"].update(iv_max_rate="150 mg/fortnight"),
        "unknown unit",
    ),
    (
        "hostile unit",
        lambda d: d["thresholds"].update(iv_max_rate="150 mg**(9**9**9)"),
        "unknown unit",
    ),
    (
        "thresholds out of order",
        lambda d: d["thresholds"].update(magnesium_severe_below="1.9 mg/dL"),
        "must be below magnesium_normal_from",
    ),
    (
        "normal above high",
        lambda d: d["thresholds"].update(magnesium_normal_from="2.7 mg/dL"),
        "must be below magnesium_high_above",
    ),
    (
        "renal thresholds out of order",
        lambda d: d["thresholds"].update(clearance_emergency_only_below="40 mL/min"),
        "clearance_full_dose_from",
    ),
    (
        "potassium targets out of order",
        lambda d: d["thresholds"].update(potassium_target="5 mmol/L"),
        "potassium_target_torsades",
    ),
    (
        "ages out of order",
        lambda d: d["thresholds"].update(adult_from_age_years=60),
        "pregnancy_question_below_age_years",
    ),
    (
        "plausibility not spanning thresholds",
        lambda d: d["plausibility"].update(magnesium=["1.5 mg/dL", "8 mg/dL"]),
        "span",
    ),
    ("negative dose", lambda d: d["doses"]["oral_start"].update(magnesium="0 mmol"), "positive"),
    (
        "bag range upside down",
        lambda d: d["doses"]["refractory_bag"].update(magnesium_low="20 mmol"),
        "magnesium_high",
    ),
    (
        "unknown product",
        lambda d: d["orders"]["mg_oxide_oral"].update(product="magnesium_oxide_500mg"),
        "unknown product",
    ),
    (
        "product not text",
        lambda d: d["orders"]["mg_oxide_oral"].update(product=["magnesium_oxide_160mg_capsule"]),
        "unknown product",
    ),
    (
        "unknown salt",
        lambda d: d["products"]["magnesium_oxide_160mg_capsule"].update(salt="magnesium_carbonate"),
        "unknown salt",
    ),
    (
        "wrong salt for the order",
        lambda d: d["orders"]["mg_oxide_oral"].update(
            product="magnesium_glycerophosphate_4mmol_tablet"
        ),
        "magnesium oxide product",
    ),
    (
        "oral product for an injection",
        lambda d: d["orders"]["mg_sulfate_iv_severe"].update(
            product="magnesium_oxide_160mg_capsule"
        ),
        "injection",
    ),
    (
        "changed warning level",
        lambda d: d["warnings"]["max_20g_per_48h"].update(level="info"),
        "may not change a warning's level",
    ),
    (
        "unknown source",
        lambda d: d["warnings"]["refer_specialist"].update(sources=["nowhere"]),
        "unknown source",
    ),
    (
        "graph edge missing for an outcome",
        lambda d: d["graph"]["edges"].remove(edge(d, "renal", "unknown")),
        "no edge for outcome 'unknown'",
    ),
    (
        "graph edge for an unknown outcome",
        lambda d: d["graph"]["edges"].append(
            {"from": "renal", "to": "potassium", "outcome": "moderate", "label": ""}
        ),
        "does not know",
    ),
    (
        "graph edge to an unknown node",
        lambda d: edge(d, "renal", "unknown").update(to="nowhere"),
        "unknown node",
    ),
    ("a loop in the graph", lambda d: edge(d, "gi_losses", "none").update(to="renal"), "loops"),
    (
        "a loop back to the start",
        lambda d: edge(d, "monitoring", "done").update(to="scope"),
        "loops",
    ),
    (
        "a skipped step",
        lambda d: [
            edge(d, "renal", o).update(to="treatment") for o in codes.STEP_OUTCOMES["renal"]
        ],
        "skip or reorder",
    ),
    (
        "a graph starting after the scope step",
        lambda d: d["graph"].update(start="magnesium"),
        "graph.start",
    ),
    (
        "scope routing a child into the plan",
        lambda d: edge(d, "scope", "pediatric").update(to="magnesium"),
        "scope",
    ),
    ("newer format", lambda d: d.update(format="mgdesk-protocol/2"), "mgdesk-protocol/1"),
    ("unknown top-level field", lambda d: d.update(extras={}), "extras: is not a field"),
    (
        "approval without approver",
        lambda d: d["approval"].update(site_approved=True),
        "approved_by: is required",
    ),
]


@pytest.mark.parametrize(("name", "change", "problem"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_broken_protocol_is_refused_with_a_clear_problem(
    name: str, change: Callable[[dict[str, Any]], object], problem: str
) -> None:
    problems = refused(edited(change))
    assert any(problem in p for p in problems), (name, problems)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{", "the file ends too early"),
        (DEFAULT_BYTES[: len(DEFAULT_BYTES) // 2], "the file ends too early"),
        (b'{"id": x}', "not valid JSON at line 1, column 8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8"),
        (b"", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"{}", "format"),
        (b"[" * 100_000, "nested far too deeply to be a protocol file"),
        (b'{"id": 1' + b"1" * 5000 + b"}", "holds a number too long to read"),
        (b" " * 2_000_001, "larger than"),
        (
            DEFAULT_BYTES.replace(b'"title": "Adult hypomagnesemia"', b'"title": "Adult \\ud800"'),
            "not valid Unicode",
        ),
    ],
    ids=[
        "brace",
        "truncated",
        "bad value",
        "binary",
        "empty",
        "array",
        "null",
        "empty object",
        "deep",
        "long number",
        "huge",
        "surrogate",
    ],
)
def test_unreadable_protocols_are_refused(data: bytes, problem: str) -> None:
    problems = refused(data)
    assert any(problem in p for p in problems), problems
    # Python's own wording is not for a pharmacist.
    assert not any(word in p for p in problems for word in ("recursion", "Expecting", "digits"))


def test_a_missing_protocol_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        load_protocol(tmp_path / "absent.json")
    assert "cannot be read" in caught.value.problems[0]


def test_a_protocol_that_breaks_an_invariant_withholds_the_plan(tmp_path: Path) -> None:
    site = load_protocol(
        write(tmp_path, edited(lambda d: d["thresholds"].update(iv_max_rate="20 mg/min")))
    )
    with pytest.raises(PlanWithheld) as caught:
        plan_of(base_case(labs__magnesium="0.9 mg/dL"), site)
    assert any(v.startswith("4:") for v in caught.value.violations)
    plan_of(base_case(), site)  # other plans are unaffected
    result = run_cli(
        ["evaluate", "--format", "json", "--protocol", str(tmp_path / "site-protocol.json"), "-"],
        json.dumps(base_case(labs__magnesium="0.9 mg/dL")),
    )
    assert result.code == 3
    assert result.stdout == ""
    assert "withheld" in result.stderr and "4:" in result.stderr


def test_the_command_line_uses_a_site_protocol(tmp_path: Path) -> None:
    path = write(
        tmp_path, edited(lambda d: d["thresholds"].update(magnesium_severe_below="1.3 mg/dL"))
    )
    case = json.dumps(base_case(labs__magnesium="1.25 mg/dL"))
    result = run_cli(["evaluate", "--format", "json", "--protocol", str(path), "-"], case)
    assert result.code == 0, result.stderr
    plan = result.json()
    assert plan["severity"] == "severe"
    assert plan["protocol"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    default = run_cli(["evaluate", "--format", "json", "-"], case).json()
    assert default["severity"] == "mild"
    text = run_cli(["evaluate", "--protocol", str(path), "-"], case)
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_the_command_line_refuses_an_invalid_protocol(tmp_path: Path, fmt: str) -> None:
    path = write(
        tmp_path, edited(lambda d: d["warnings"]["renal_crcl_below_20"].update(level="caution"))
    )
    result = run_cli(
        ["evaluate", "--format", fmt, "--protocol", str(path), "-"], json.dumps(base_case())
    )
    assert result.code == 2
    assert "protocol was refused" in result.stderr
    assert "renal_crcl_below_20" in result.stderr
    missing = run_cli(
        ["evaluate", "--protocol", str(tmp_path / "none.json"), "-"], json.dumps(base_case())
    )
    assert missing.code == 2 and "cannot be read" in missing.stderr


def test_a_refused_protocol_leaves_the_default_active(tmp_path: Path) -> None:
    before = default_protocol().sha256
    with pytest.raises(ProtocolInvalid):
        load_protocol(write(tmp_path, edited(lambda d: d["orders"].pop("mg_oxide_oral"))))
    assert default_protocol().sha256 == before
    assert ids(plan_of(base_case()))[0] == "mg_oxide_oral"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] or [path]
    return [path]


LEAVES = _leaves(DEFAULT)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["1 mg", "2 eq/mol", "5 g/dL", "0 mL/min", "x y", "1e9 g"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(LEAVES), JSON_VALUES), min_size=1, max_size=3))
def test_any_edit_is_either_accepted_or_refused_cleanly(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    document = copy.deepcopy(DEFAULT)
    for path, value in edits:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    try:
        protocol = parse_protocol(json.dumps(document).encode())
    except ProtocolInvalid as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return
    with contextlib.suppress(PlanWithheld):  # or withholds a plan that breaks an invariant
        plan_of(base_case(), protocol)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("magnesium_molar_mass", "24.305 kg/mmol"),  # every mg figure a million times too big
        ("magnesium_valence", "1 eq/mol"),
        ("creatinine_substance_concentration", "8.84 umol/L"),
    ],
)
def test_a_physical_constant_cannot_be_changed_by_a_site(key: str, value: str) -> None:
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    document["chemistry"][key] = value
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(json.dumps(document).encode())
    assert any(p.startswith(f"chemistry.{key}: must be ") for p in caught.value.problems)


def test_a_physical_constant_may_be_written_in_another_unit() -> None:
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    document["chemistry"]["magnesium_molar_mass"] = "0.024305 kg/mol"
    assert parse_protocol(json.dumps(document).encode()).magnesium_molar_mass is not None


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        (
            ("doses", "oral_start", "magnesium"),
            "0.012 mol",
            "doses.oral_start.magnesium: '0.012 mol': mgdesk does not print 'mol'; use mmol",
        ),
        (
            ("doses", "loading", "duration"),
            "900 s",
            "doses.loading.duration: '900 s': mgdesk does not print 's'; use one of min, h",
        ),
        (
            ("thresholds", "magnesium_severe_below"),
            "12 mg/L",
            "thresholds.magnesium_severe_below: '12 mg/L': mgdesk does not print 'mg/L'; "
            "use one of mg/dL, g/dL",
        ),
    ],
)
def test_a_quantity_in_a_unit_mgdesk_cannot_print_is_refused_naming_the_units_it_can(
    field: tuple[str, ...], value: str, problem: str
) -> None:
    document = json.loads(DEFAULT_BYTES)
    parent = document
    for key in field[:-1]:
        parent = parent[key]
    parent[field[-1]] = value
    assert problem in refused(json.dumps(document).encode())
