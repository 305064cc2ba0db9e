"""Fuzzed case files and protocol files: a clear refusal, never a traceback."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from files_support import default_protocol_document, example_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.records.casefile import CaseFileError, case_document_from_bytes, open_case

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBER_TEXTS = ["0", "0.0", "-0", "-1", "1", ".5", "1e3", "1,5", "nan", "0.000001", "9" * 5000]
UNITS = (
    "g",
    "mg",
    "kg",
    "g/mol",
    "eq/mol",
    "mg/dL",
    "mmol/L",
    "umol/L",
    "mmol",
    "mL",
    "min",
    "furlong",
    "g/0",
    "mg**99",
    "",
)
numbers = st.sampled_from(NUMBER_TEXTS) | st.decimals(
    min_value=0, max_value=10**6, allow_nan=False, places=3
).map(str)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.builds(lambda n, u: f"{n} {u}".strip(), numbers, st.sampled_from(UNITS)),
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


json_values = st.recursive(scalars, _containers, max_leaves=6)
# JSON number texts that Python's json module reads specially (or not at all).
RAW_NUMBERS = ["1" * 5000, "1e999", "-1e999", "1e-999", "-0", "0", "7.0"]
RAW = "@@raw-number@@"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] or [path]
    return [path]


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


DEFAULT = default_protocol_document()
LEAVES = _leaves(DEFAULT)
QUANTITY_LEAVES = [
    p
    for p in LEAVES
    if isinstance(_at(DEFAULT, p), str) and re.fullmatch(r"[0-9.]+ \S+", _at(DEFAULT, p))
]
NUMBER_LEAVES = [p for p in LEAVES if type(_at(DEFAULT, p)) in (int, float)]


# An edit is a path and a function of the old value giving the new one. Most keep the
# document's shape and change one number, unit or value, so that they reach the checks
# deep inside the protocol instead of failing at the first missing section.
def _parts(old: Any) -> list[str]:
    """Number and unit of a quantity text (an earlier edit may have changed it)."""
    parts = str(old).split(" ", 1)
    return parts if len(parts) == 2 else [parts[0], "g"]


edits = st.one_of(
    st.tuples(
        st.sampled_from(QUANTITY_LEAVES), numbers.map(lambda n: lambda old: f"{n} {_parts(old)[1]}")
    ),
    st.tuples(
        st.sampled_from(QUANTITY_LEAVES),
        st.sampled_from(UNITS).map(lambda u: lambda old: f"{_parts(old)[0]} {u}".strip()),
    ),
    st.tuples(st.sampled_from(NUMBER_LEAVES), st.just(lambda old: RAW)),
    st.tuples(st.sampled_from(LEAVES), json_values.map(lambda v: lambda old: v)),
)


def _edited(changes: list[tuple[tuple[Any, ...], Any]], raw_number: str) -> bytes:
    document = copy.deepcopy(DEFAULT)
    for path, change in changes:
        parent = _at(document, path[:-1])
        parent[path[-1]] = change(parent[path[-1]])
    return json.dumps(document).replace(json.dumps(RAW), raw_number).encode("utf-8")


def _parse_or_refuse(data: bytes) -> None:
    try:
        protocol = parse_protocol(data, origin="fuzz")
    except ProtocolInvalid as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
    else:
        assert isinstance(protocol, Protocol)


@pytest.mark.slow
@FUZZ
@given(st.lists(edits, min_size=1, max_size=3), st.sampled_from(RAW_NUMBERS))
def test_edited_protocols_are_parsed_or_refused(
    changes: list[tuple[tuple[Any, ...], Any]], raw_number: str
) -> None:
    _parse_or_refuse(_edited(changes, raw_number))


def _with(path: tuple[str, ...], value: Any) -> bytes:
    return _edited([(path, lambda old: value)], "0")


@pytest.mark.parametrize(
    "data",
    [
        # Crashes the fuzzing found in parse_protocol (fixed there):
        _edited(
            [(("salts", "magnesium_oxide", "magnesium_per_formula"), lambda old: RAW)], "1" * 5000
        ),
        _with(("thresholds", "iv_max_rate"), "9" * 5000 + " mg/min"),  # the same inside a quantity
        _with(("chemistry", "creatinine_substance_concentration"), "0 umol/L"),  # division by zero
        _with(("salts", "magnesium_oxide", "molar_mass"), "0 g/mol"),  # division by zero
    ],
    ids=["long-integer", "long-quantity", "zero-chemistry", "zero-molar-mass"],
)
def test_protocols_that_crashed_parsing_are_refused(data: bytes) -> None:
    with pytest.raises(ProtocolInvalid):
        parse_protocol(data, origin="regression")


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_as_protocols(data: bytes) -> None:
    _parse_or_refuse(data)


def _mutate(document: Any, data: st.DataObject, depth: int = 0) -> Any:
    """Replace, delete or add one value somewhere inside document."""
    container = isinstance(document, dict | list) and len(document) > 0
    if not container or depth > 6 or data.draw(st.integers(0, 4)) == 0:
        return data.draw(json_values)
    result = copy.copy(document)
    if isinstance(result, dict):
        key = data.draw(st.sampled_from(sorted(result)))
        action = data.draw(st.sampled_from(["descend", "descend", "descend", "delete", "add"]))
        if action == "delete":
            del result[key]
        elif action == "add":
            result[data.draw(st.text(max_size=8))] = data.draw(json_values)
        else:
            result[key] = _mutate(result[key], data, depth + 1)
    else:
        index = data.draw(st.integers(0, len(result) - 1))
        result[index] = _mutate(result[index], data, depth + 1)
    return result


CASE = example_case()


@FUZZ
@given(st.data())
def test_mutated_case_files_open_or_are_refused(data: st.DataObject) -> None:
    mutated = _mutate(CASE, data)
    encoded = json.dumps(mutated).encode("utf-8")
    cut = data.draw(st.integers(0, len(encoded)))
    for candidate in (encoded, encoded[:cut]):
        try:
            document = case_document_from_bytes(candidate, "fuzz.mgcase")
        except CaseFileError as exc:
            assert exc.message.startswith("Could not open fuzz.mgcase: ")
        else:
            assert isinstance(document, dict)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_are_refused_as_case_files(data: bytes) -> None:
    with contextlib.suppress(CaseFileError):
        case_document_from_bytes(data, "fuzz.mgcase")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=500) | json_values.map(lambda v: json.dumps(v).encode("utf-8")))
def test_open_case_on_fuzzed_files_raises_only_case_file_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.mgcase"
    path.write_bytes(data)
    with contextlib.suppress(CaseFileError):
        open_case(path)
    assert path.read_bytes() == data
