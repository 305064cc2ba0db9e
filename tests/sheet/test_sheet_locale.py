"""One decimal separator everywhere: the presentation function, and the printed sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sheet_support import example, normalised, pdf_pages, sheet_for

from mgdesk import __version__
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.document.locale_text import localised_decimals, localised_markup
from mgdesk.document.sheet_html import sheet_text
from mgdesk.document.wording import check_wording
from mgdesk.printing.render import write_pdf

DECIMAL_POINT = re.compile(r"\d\.\d")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1.4 mg/dL = 0.576 mmol/L = 1.15 mEq/L", "1,4 mg/dL = 0,576 mmol/L = 1,15 mEq/L"),
        ("magnesium sulfate 2 g (8.11 mmol) in sodium chloride 0.9%", None),
        ("(140 - 50 years) x 80 kg / (72 x 1.2 mg/dL) x 0.85", None),
        ("potassium 4.5 to 5 mmol/L.", "potassium 4,5 to 5 mmol/L."),
        ("range 1.2-1.8 mg/dL, at 0.5 g/h", "range 1,2-1,8 mg/dL, at 0,5 g/h"),
        ("(0.9)", "(0,9)"),
    ],
)
def test_decimal_numbers_take_the_separator(text: str, shown: str | None) -> None:
    result = localised_decimals(text, ",")
    assert not DECIMAL_POINT.search(result)
    if shown is not None:
        assert result == shown
    assert localised_decimals(text, ".") == text
    if "," not in text:  # nothing but the decimal points moved
        assert result.replace(",", ".") == text


@pytest.mark.parametrize(
    "kept",
    [
        "version 1.0",  # a two-part version
        "Protocol mgdesk-default 1.0.0",  # a version
        "mgdesk 0.12.3",
        "04.12.2026",  # a dotted date
        "2026-12-04 19:31",
        "SHA-256 ef8743d5475a 1a2b.3c4d",  # a hash
        "DEMO-1.5",  # an id with a hyphen
        "id A1.5 and v1.2 and 1.2e3 and 1.5x",  # touching letters
        "doi:10.1053/j.ajkd.2014.07.028",  # a DOI
        "medicines.org.uk/emc/product/3539 and https://x.org/1.2",
    ],
)
def test_versions_dates_ids_and_hashes_are_left_alone(kept: str) -> None:
    assert localised_decimals(kept, ",") == kept


def test_text_a_person_typed_is_printed_as_typed() -> None:
    typed = "\u2068Ward 1.5, bed 2.25\u2069"
    assert localised_decimals(f"{typed}: 2.5 g", ",") == f"{typed}: 2,5 g"
    quoted = "'1.4 mg' is not a unit: pick one (from 0.1 to 10.5)"
    assert localised_decimals(quoted, ",") == "'1.4 mg' is not a unit: pick one (from 0,1 to 10,5)"


def test_markup_changes_only_its_text() -> None:
    markup = '<p style="line-height:1.2" width="1.5">1.4 mg</p><style>p { x: 1.5em }</style>'
    assert localised_markup(markup, ",") == (
        '<p style="line-height:1.2" width="1.5">1,4 mg</p><style>p { x: 1.5em }</style>'
    )


def test_leading_zeros_stay_and_no_trailing_zero_appears() -> None:
    for text in ("0.25 mg", "0.5 g", "1.25 g"):
        shown = localised_decimals(text, ",")
        assert shown.startswith("0,") == text.startswith("0.")
        assert not re.search(r",\d*0(?!\d)", shown)


@pytest.mark.parametrize("name", ["mild-oral-1.4-mg-dl.json", "torsades-with-pulse.json"])
def test_a_comma_sheet_prints_no_decimal_point(tmp_path: Path, name: str) -> None:
    protocol = default_protocol()
    sheet = sheet_for(example(name), protocol=protocol)
    assert check_wording(sheet_text(sheet)) == []  # the rules are checked in "." form
    path = tmp_path / "sheet.pdf"
    write_pdf(sheet, path, "a4", decimal_separator=",")
    text = normalised(" ".join(pdf_pages(path)))
    # The versions are not numbers: the footer prints them as they are.
    for version in (protocol.version, __version__):
        text = text.replace(version, "VERSION")
    assert not DECIMAL_POINT.findall(text), DECIMAL_POINT.findall(text)
    assert re.search(r"\d,\d+ mmol", text)
    point = tmp_path / "point.pdf"
    write_pdf(sheet, point, "a4")
    assert re.search(r"\d\.\d+ mmol", normalised(" ".join(pdf_pages(point))))
