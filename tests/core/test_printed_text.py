"""What is printed is what was typed: invisible characters that reorder or hide text are
refused in every field that reaches the screen or paper; right-to-left names are welcome."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from core_support import base_case, errors_of, plan_of

from mgdesk import resources
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.core.text import as_typed, isolated, printable_text_problem

FSI, PDI = "\u2068", "\u2069"
# Every bidirectional control, some other format characters (Cf) and control characters (Cc).
REFUSED = [
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    *"\u200b\u200c\u200d\u2060\ufeff\u00ad",
    *"\x00\x07\t\n\r\x1b\x7f\x85\x9b",
    "\u2028",
    "\u2029",
]
RIGHT_TO_LEFT_NAMES = ["محمد عبد الله", "שרה כהן", "Cohen, שרה"]


@pytest.mark.parametrize("character", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_every_invisible_or_control_character_is_refused_and_named(character: str) -> None:
    problem = printable_text_problem(f"Smith{character}, John")
    assert problem is not None
    assert f"U+{ord(character):04X}" in problem


@pytest.mark.parametrize("field", ["id", "name", "allergies"])
@pytest.mark.parametrize("character", ["\u202e", "\u200b", "\u2066", "\x1b"])
def test_each_patient_text_field_refuses_them(field: str, character: str) -> None:
    errors = errors_of(base_case(**{f"patient__{field}": f"MRN-1234{character}"}))
    assert [e.field for e in errors] == [f"patient.{field}"]
    assert f"U+{ord(character):04X}" in errors[0].message


@pytest.mark.parametrize("name", RIGHT_TO_LEFT_NAMES)
def test_right_to_left_names_are_valid_and_kept_as_typed(name: str) -> None:
    plan_of(base_case(patient__name=name, patient__id="ملف-77"))
    assert printable_text_problem(name) is None


def test_a_length_limit_is_part_of_the_rule() -> None:
    assert printable_text_problem("x" * 200, 200) is None
    assert printable_text_problem("x" * 201, 200) == "is longer than 200 characters"


@pytest.mark.parametrize("text", ["Smith, John", "MRN-1234", "none known", "Zoë Ñúñez", ""])
def test_text_without_right_to_left_letters_prints_unchanged(text: str) -> None:
    assert isolated(text) == text


@pytest.mark.parametrize("name", RIGHT_TO_LEFT_NAMES)
def test_right_to_left_text_is_isolated_and_reads_back_as_typed(name: str) -> None:
    printed = isolated(name)
    assert printed == f"{FSI}{name}{PDI}"
    assert as_typed(printed) == name


# -- a site protocol's texts: they are printed in the orders, warnings and footer too --------


def _protocol_with(path: tuple[str | int, ...], value: str) -> bytes:
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("path", "where"),
    [
        # "IV over 15 minutes (400 mL/h, 133 mg/min)" printed as "(nim/gm 331 ... setunim 51"
        (("doses", "loading", "diluent"), "doses.loading.diluent"),
        (("orders", "mg_sulfate_iv_loading", "title"), "orders.mg_sulfate_iv_loading.title"),
        (("approval", "site"), "approval.site"),
        (("sources", "fda_mgso4_50", "citation"), "sources.fda_mgso4_50.citation"),
        (("graph", "nodes", 0, "title"), "graph.nodes[0].title"),
    ],
)
@pytest.mark.parametrize("character", ["\u202e", "\u200b", "\x07"])
def test_a_protocol_text_that_would_not_print_as_written_is_refused_naming_it(
    path: tuple[str | int, ...], where: str, character: str
) -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(_protocol_with(path, f"sodium chloride 0.9%{character}"))
    assert any(
        p.startswith(f"{where}: contains") and f"U+{ord(character):04X}" in p
        for p in caught.value.problems
    ), caught.value.problems


def test_a_protocol_may_be_written_in_a_right_to_left_language() -> None:
    parse_protocol(_protocol_with(("orders", "mg_sulfate_iv_loading", "title"), "מגנזיום סולפט"))
