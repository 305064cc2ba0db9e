"""The order sheet as a pharmacist reads it: read back from the PDF of every worked case and
example, on A4 and Letter.

The orders, the acknowledged stop-level warnings and the signature block are one unit on
page 1; no order is split across pages; every order can be carried out as written (or is a
labelled blank to complete); words, not codes or comparison symbols.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from sheet_support import (
    case_document,
    evaluated,
    example,
    example_files,
    pdf_pages,
    shared_case_files,
    sheet_for,
    with_changes,
)

from mgdesk.core.errors import CaseInvalid
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.document.sheet import END_OF_ORDERS, OrderSheet, SheetRefused, in_words
from mgdesk.document.sheet_html import sheet_text
from mgdesk.printing.render import ensure_gui_application, write_pdf

PAPERS = ("a4", "letter")
# Every sheet of a worked case or example: page 1 holds the orders and the signature block,
# the attachment (reasoning, sources, protocol) follows.
EXPECTED_PAGES = {
    "mild-oral-1.4-mg-dl": {"a4": 3, "letter": 3},
    "oral-failed-stoma": {"a4": 3, "letter": 4},
    "severe-tetany": {"a4": 3, "letter": 3},
    "torsades-with-pulse": {"a4": 3, "letter": 3},
    "v01": {"a4": 3, "letter": 3},
    "v02": {"a4": 3, "letter": 3},
    "v06": {"a4": 3, "letter": 3},
    "v08": {"a4": 3, "letter": 3},
    "v10": {"a4": 3, "letter": 3},
    "v16": {"a4": 3, "letter": 3},
    "v19": {"a4": 3, "letter": 3},
    "y01": {"a4": 3, "letter": 3},
    "y18": {"a4": 3, "letter": 3},
    "y22": {"a4": 4, "letter": 4},
}
INTERNAL_CODE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
SIGNATURE = "Prescriber signature"
HEADINGS = ("Sources", "Protocol", "(reasoning: nothing here is an order)")


def printable(path: Path) -> dict[str, Any] | None:
    """The case of a worked case or example as a sheet can be printed from it (allergies
    recorded), or None when no sheet can be printed whatever is entered."""
    document = case_document(path)
    document = with_changes(
        document, patient={"allergies": document["patient"].get("allergies") or "none known"}
    )
    try:
        _, plan = evaluated(document)
        if not plan.orders or plan.status == "out_of_scope":
            return None
        sheet_for(document)
    except (CaseInvalid, SheetRefused):  # e.g. no weight recorded for a non-emergency sheet
        return None
    return document


SHEETS = [
    pytest.param(path, paper, id=f"{path.stem}-{paper}")
    for path in [*example_files(), *shared_case_files()]
    if printable(path) is not None
    for paper in PAPERS
]


def test_every_printable_case_has_its_page_count() -> None:
    assert {values[0].stem for values in (p.values for p in SHEETS)} == set(EXPECTED_PAGES)


def rendered(sheet: OrderSheet, folder: Path, paper: str) -> list[str]:
    ensure_gui_application()
    path = folder / f"sheet-{paper}.pdf"
    count = write_pdf(sheet, path, paper)
    pages = pdf_pages(path)
    assert count == len(pages)
    return pages


def page_of(pages: list[str], text: str) -> int:
    found = [number for number, page in enumerate(pages, 1) if text in page]
    assert len(found) == 1, (text, found)
    return found[0]


def check_sheet(sheet: OrderSheet, pages: list[str]) -> None:
    """What every printed sheet must hold, page by page."""
    end = page_of(pages, END_OF_ORDERS)
    assert SIGNATURE in pages[end - 1]
    if sheet.acknowledged:
        assert "Stop-level warnings acknowledged by the prescriber" in pages[end - 1]
    count = len(sheet.orders)
    for order in sheet.orders:
        page = page_of(pages, f"(order {order.number} of {count})")
        # The whole order is on the page of its heading: its text and every field.
        missing = [w for w in order.text.split() if w not in pages[page - 1]]
        assert not missing, (order.id, missing)
        for field in order.details:
            assert field.label in pages[page - 1], (order.id, field.label)
        if order.with_next:
            assert f"(order {order.number + 1} of {count})" in pages[page - 1]
        # A page of orders ends with the signature block or the prescriber's initials.
        assert SIGNATURE in pages[page - 1] or "Prescriber initials" in pages[page - 1]
    footer = f"Protocol {sheet.protocol_id} version {sheet.protocol_version} ·"
    for number, text in enumerate(pages, 1):
        assert "intentionally blank" not in text, number
        # No section heading is left alone at the foot of a page, its table on the next.
        body = text[: text.rindex(footer)].rstrip()
        assert not body.endswith(HEADINGS), (number, body[-60:])
        assert not INTERNAL_CODE.findall(text), (number, INTERNAL_CODE.findall(text))
        assert "<" not in text and ">=" not in text, number


def check_orders_can_be_carried_out(sheet: OrderSheet, document: dict[str, Any]) -> None:
    _, plan = evaluated(document)
    for order, planned in zip(sheet.orders, plan.orders, strict=True):
        labels = {f.label for f in order.details}
        if planned.is_magnesium:
            assert "mmol" in order.text, order.id
            assert labels & {"Route", "Route, frequency"}, order.id
            assert labels & {"Frequency", "Route, frequency"}, order.id
        else:
            # Not magnesium: a labelled blank for the prescriber, or a full order.
            assert order.to_complete or planned.dose is not None or planned.route, order.id


@pytest.mark.parametrize(("path", "paper"), SHEETS)
def test_the_orders_and_the_signature_share_page_one(
    qapp: QApplication, tmp_path: Path, path: Path, paper: str
) -> None:
    document = printable(path)
    assert document is not None
    sheet = sheet_for(document)
    pages = rendered(sheet, tmp_path, paper)
    assert len(pages) == EXPECTED_PAGES[path.stem][paper]
    assert page_of(pages, END_OF_ORDERS) == 1
    check_sheet(sheet, pages)
    check_orders_can_be_carried_out(sheet, document)


VARIANTS = {
    "severe-renal": ("severe-tetany.json", {"labs": {"creatinine": "2.5 mg/dL"}}),
    "severe-renal-unknown": ("severe-tetany.json", {"labs": {"creatinine": None}}),
    "pulseless-torsades": ("torsades-with-pulse.json", {"clinical": {"torsades": "pulseless"}}),
    "refractory-bag": (
        "oral-failed-stoma.json",
        {"clinical": {"prior_therapy": "oral_and_alfacalcidol_failed"}},
    ),
}


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_of_the_examples_keep_orders_and_signature_on_page_one(
    qapp: QApplication, tmp_path: Path, variant: str, paper: str
) -> None:
    """A severe case with reduced or unknown renal function (an order that refers to the
    next, two stop-level warnings), a pulseless torsades push, a refractory bag."""
    name, changes = VARIANTS[variant]
    document = with_changes(example(name), **changes)
    sheet = sheet_for(document)
    pages = rendered(sheet, tmp_path, paper)
    assert page_of(pages, END_OF_ORDERS) == 1
    check_sheet(sheet, pages)
    check_orders_can_be_carried_out(sheet, document)


def test_the_mild_sheet_on_letter(qapp: QApplication, tmp_path: Path) -> None:
    """The article's case: the sheet that was split before (orders on page 1, signature on
    page 2, and a page marked intentionally blank)."""
    document = example("mild-oral-1.4-mg-dl.json")
    sheet = sheet_for(document)
    pages = rendered(sheet, tmp_path, "letter")
    assert len(pages) == 3 and page_of(pages, END_OF_ORDERS) == 1
    check_sheet(sheet, pages)


@pytest.mark.slow
def test_orders_that_do_not_fit_carry_initials_on_each_page(
    qapp: QApplication, tmp_path: Path
) -> None:
    """Many long orders: each page of orders ends with a line for the prescriber's initials
    that says where they continue; the last one shares its page with the signature."""
    protocol_path = Path(__file__).parents[2] / "mgdesk/resources/protocols/default.json"
    long_note = "liquid or dissolvable forms are better tolerated; take them with food; " * 25
    text = (
        protocol_path.read_text("utf-8")
        .replace(
            '"note": "liquid or dissolvable forms are better tolerated"',
            f'"note": "{long_note}end"',
        )
        .replace(
            '"escalation": "increase to {escalated} daily',
            f'"escalation": "{long_note}increase to {{escalated}} daily',
        )
    )
    protocol = parse_protocol(text.encode("utf-8"))
    document = with_changes(
        example("mild-oral-1.4-mg-dl.json"),
        clinical={"volume_depleted": True},
        labs={"potassium": "3.2 mmol/L"},
    )
    sheet = sheet_for(document, protocol=protocol)
    assert len(sheet.orders) == 4
    for paper in PAPERS:
        pages = rendered(sheet, tmp_path, paper)
        check_sheet(sheet, pages)
        first = page_of(pages, "(order 1 of 4)")
        end = page_of(pages, END_OF_ORDERS)
        assert end > first
        for page in range(first, end):
            assert f"Orders continue on page {page + 1}" in pages[page - 1]
            assert f"Orders, continued from page {page}" in pages[page]


def test_an_order_that_refers_to_the_next_is_printed_with_it() -> None:
    sheet = sheet_for(example("severe-tetany.json"))
    loading, infusion = sheet.orders
    assert "then the infusion below" in loading.text and loading.with_next
    assert not infusion.with_next


def text_of(document: dict[str, Any], **changes: Any) -> str:
    return " ".join(sheet_text(sheet_for(with_changes(document, **changes))).split())


def test_potassium_is_a_prompt_with_its_target_and_spaces_to_write() -> None:
    torsades = sheet_for(example("torsades-with-pulse.json"))
    potassium = next(o for o in torsades.orders if o.id == "potassium_replacement")
    assert potassium.to_complete and potassium.role_label.startswith("PRESCRIBER TO COMPLETE")
    assert "4.5 to 5 mmol/L (torsades de pointes)" in potassium.text
    assert [f.label for f in potassium.details] == ["Drug, dose", "Route, rate"]
    assert all(f.value == "" for f in potassium.details)
    mild_low_potassium = sheet_for(
        with_changes(example("mild-oral-1.4-mg-dl.json"), labs={"potassium": "3.2 mmol/L"})
    )
    text = next(o.text for o in mild_low_potassium.orders if o.id == "potassium_replacement")
    assert "4 mmol/L or above" in text and "torsades" not in text
    # Where renal function holds potassium back, the prompt stays conditional.
    renal = sheet_for(
        with_changes(
            example("severe-tetany.json"), labs={"creatinine": None, "potassium": "3.2 mmol/L"}
        )
    )
    conditional = next(o for o in renal.orders if o.id == "potassium_replacement")
    assert conditional.role_label == "CONDITIONAL, PRESCRIBER TO COMPLETE"
    assert "only once renal function allows" in conditional.text


def test_saline_has_spaces_for_volume_and_rate() -> None:
    sheet = sheet_for(
        with_changes(example("severe-tetany.json"), clinical={"volume_depleted": True})
    )
    saline = next(o for o in sheet.orders if o.id == "sodium_chloride_iv_rehydration")
    assert saline.to_complete
    assert [(f.label, f.value) for f in saline.details] == [
        ("Volume (mL)", ""),
        ("Rate (mL/h)", ""),
    ]


def test_the_refractory_bag_has_a_dose_to_write_and_no_subcut_option_inside() -> None:
    document = with_changes(
        example("oral-failed-stoma.json"),
        clinical={"prior_therapy": "oral_and_alfacalcidol_failed"},
    )
    sheet = sheet_for(document)
    bag = next(o for o in sheet.orders if o.id == "mg_sulfate_bag_refractory")
    fields = {f.label: f.value for f in bag.details}
    assert fields["Dose range"] == "4 to 12 mmol magnesium"
    assert "prescriber writes one dose within the range" in fields["Dose to give"]
    assert "subcut" not in bag.text
    assert any("Subcutaneous magnesium sulfate is off-label" in w.text for w in sheet.warnings)


def test_oral_orders_run_until_a_review_date() -> None:
    sheet = sheet_for(example("mild-oral-1.4-mg-dl.json"))
    for order in sheet.orders:
        fields = {f.label: f.value for f in order.details}
        assert fields["Route, frequency"].endswith("until review on 2026-12-03 (day 7 recheck)")
    glycerophosphate = sheet.orders[1]
    assert "per dose" not in " ".join(f.label for f in glycerophosphate.details)


def test_the_alfacalcidol_order_states_its_dose_and_the_range_apart() -> None:
    sheet = sheet_for(example("oral-failed-stoma.json"))
    alfacalcidol = next(o for o in sheet.orders if o.id == "alfacalcidol_oral")
    assert alfacalcidol.text == "alfacalcidol 0.25 mcg orally daily"
    assert ("Dose", "0.25 mcg") in [(f.label, f.value) for f in alfacalcidol.details]
    assert "9 mcg" in alfacalcidol.note and "9 mcg" not in alfacalcidol.text
    assert "NOTE to order 3 Not part of the order: increase only on a specialist" in " ".join(
        sheet_text(sheet).split()
    )


def test_unknown_renal_function_is_worded_as_unknown() -> None:
    document = with_changes(example("severe-tetany.json"), labs={"creatinine": None})
    text = text_of(document)
    assert "reduced dose because renal function is unknown" in text
    assert "renal impairment" not in " ".join(o.text for o in sheet_for(document).orders)


def test_the_route_field_agrees_with_a_push_given_iv_or_io() -> None:
    sheet = sheet_for(
        with_changes(example("torsades-with-pulse.json"), clinical={"torsades": "pulseless"})
    )
    push = sheet.orders[0]
    assert "IV/IO push" in push.text
    assert ("Route", "IV or IO (intravenous or intraosseous)") in [
        (f.label, f.value) for f in push.details
    ]


def test_the_reasoning_is_written_in_words() -> None:
    assert in_words(">= 30 mL/min (full dose)") == "at least 30 mL/min (full dose)"
    assert in_words("20 to < 30 mL/min") == "from 20 to under 30 mL/min"
    assert in_words("< 20 mL/min") == "below 20 mL/min"
    assert in_words("orders: mg_oxide_oral, mg_organic_oral", {"mg_oxide_oral": "order 1"}) == (
        "orders: order 1, mg organic oral"
    )
    renal = with_changes(example("mild-oral-1.4-mg-dl.json"), labs={"creatinine": "3.5 mg/dL"})
    text = text_of(renal)
    assert "from 20 to under 30 mL/min" in text
    assert "<" not in text and ">=" not in text


def test_no_warning_code_is_printed() -> None:
    for name in ("torsades-with-pulse.json", "severe-tetany.json", "oral-failed-stoma.json"):
        sheet = sheet_for(example(name))
        text = sheet_text(sheet)
        for warning in sheet.warnings:
            assert warning.code not in text
        assert not INTERNAL_CODE.findall(text)


def test_a_number_and_its_unit_never_break_apart(qapp: QApplication, tmp_path: Path) -> None:
    sheet = sheet_for(example("torsades-with-pulse.json"))
    ensure_gui_application()
    path = tmp_path / "sheet.pdf"
    write_pdf(sheet, path, "a4")
    from pypdf import PdfReader

    for page in PdfReader(path).pages:
        lines = [line.strip() for line in (page.extract_text() or "").splitlines()]
        for line, following in itertools.pairwise(lines):
            assert not line.endswith("/"), (line, following)
            if re.search(r"\d$", line):
                assert not re.match(r"(mmol|mEq|mg|mL|g|kg|h|min|minutes|hours)\b", following), (
                    line,
                    following,
                )


def test_the_prescriber_is_printed_with_registration_and_contact() -> None:
    sheet = sheet_for(example("mild-oral-1.4-mg-dl.json"))
    assert sheet.prescriber_registration is None
    from mgdesk.document.sheet import build_sheet

    case, plan = evaluated(example("mild-oral-1.4-mg-dl.json"))
    protocol = sheet_protocol(registration=True, contact=True)
    arguments: dict[str, Any] = {
        "facility": "St Elsewhere",
        "acknowledged": [],
        "generated_at": sheet.generated_at,
        "sheet_id": "X",
    }
    with pytest.raises(SheetRefused) as refused:
        build_sheet(case, plan, protocol, prescriber="Dr Jane Roe", **arguments)
    assert any("registration number is not entered" in r for r in refused.value.reasons)
    assert any("contact (bleep or phone) is not entered" in r for r in refused.value.reasons)
    with pytest.raises(SheetRefused, match="printed name is not entered"):
        build_sheet(case, plan, protocol, prescriber="  ", **arguments)
    signed = build_sheet(
        case,
        plan,
        protocol,
        prescriber="Dr Jane Roe",
        prescriber_registration="GMC 7654321",
        prescriber_contact="bleep 4321",
        **arguments,
    )
    text = " ".join(sheet_text(signed).split())
    assert "Registration number GMC 7654321" in text
    assert "Contact (bleep or phone) bleep 4321" in text


def sheet_protocol(*, registration: bool, contact: bool) -> Any:
    path = Path(__file__).parents[2] / "mgdesk/resources/protocols/default.json"
    text = path.read_text("utf-8").rstrip().removesuffix("}")
    text += (
        f', "sheet": {{"prescriber_registration_required": {str(registration).lower()}, '
        f'"prescriber_contact_required": {str(contact).lower()}}}}}'
    )
    return parse_protocol(text.encode("utf-8"))


def test_a_protocol_sheet_section_is_checked() -> None:
    path = Path(__file__).parents[2] / "mgdesk/resources/protocols/default.json"
    text = path.read_text("utf-8").rstrip().removesuffix("}")
    from mgdesk.core.errors import ProtocolInvalid

    for section, problem in (
        ('"yes"', "sheet: must be an object"),
        ('{"prescriber_contact_required": "yes"}', "sheet.prescriber_contact_required: must be"),
        ('{"bleep": true}', "sheet.bleep: is not a field the engine knows"),
    ):
        with pytest.raises(ProtocolInvalid) as raised:
            parse_protocol((text + f', "sheet": {section}}}').encode("utf-8"))
        assert any(problem in p for p in raised.value.problems), raised.value.problems
