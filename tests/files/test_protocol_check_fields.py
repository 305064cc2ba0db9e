"""`mgdesk protocol check` lists, case by case, every order field that would print
differently under the new protocol than under the protocol in force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from files_support import approved_protocol, default_protocol_document, protocol_bytes, run_admin
from worked_cases import CASES_DIR


def _file(folder: Path, document: dict[str, Any], name: str = "site.json") -> Path:
    path = folder / name
    path.write_bytes(protocol_bytes(document))
    return path


def slower_loading(document: dict[str, Any]) -> dict[str, Any]:
    document["doses"]["loading"].update(volume="50 mL", duration="20 min")
    return document


def test_a_changed_volume_and_duration_are_listed_field_by_field(tmp_path: Path) -> None:
    status, out, err = run_admin(
        "protocol", "check", str(_file(tmp_path, slower_loading(default_protocol_document())))
    )
    assert status == 0, err
    assert "No outcome differs" not in out
    assert "differ from the bundled default (9 cases run):" in out
    for change in (
        "volume (mL) '100' -> '50'",
        "concentration (%) '2' -> '4'",
        "duration (min) '15' -> '20'",
        "rate (mL/h) '400' -> '150'",
        "rate (mg/min) '133.333' -> '100'",
    ):
        assert f"  - severe-tetany.json: order mg_sulfate_iv_loading: {change}\n" in out
    assert "severe-tetany.json: order mg_sulfate_iv_loading: text 'magnesium sulfate 2 g" in out


def test_dose_frequency_number_of_doses_and_product_are_listed(tmp_path: Path) -> None:
    document = default_protocol_document()
    document["doses"]["severe_iv"].update(salt_mass="4 g", duration="4 h")
    document["doses"]["mild_im"]["doses"] = 3
    document["orders"]["mg_organic_oral"]["product"] = "magnesium_aspartate_10mmol_sachet"
    status, out, _ = run_admin(
        "protocol", "check", str(_file(tmp_path, document)), "--cases", str(CASES_DIR)
    )
    assert status == 0
    for change in (
        "severe-tetany.json: order mg_sulfate_iv_severe: salt mass (mg) '5000' -> '4000'",
        "severe-tetany.json: order mg_sulfate_iv_severe: duration (min) '180' -> '240'",
        "severe-tetany.json: order mg_sulfate_iv_severe: product '10 mL of magnesium sulfate 50%"
        " injection (500 mg/mL)' -> '8 mL of magnesium sulfate 50% injection (500 mg/mL)'",
        "v10.json: order mg_sulfate_im_mild: frequency 'every 6 hours for 4 doses' -> "
        "'every 6 hours for 3 doses'",
        "v10.json: order mg_sulfate_im_mild: number of doses '4' -> '3'",
        "mild-oral-1.4-mg-dl.json: order mg_organic_oral: product '3 magnesium glycerophosphate "
        "4 mmol tablets (12 mmol)' -> '1 magnesium aspartate 10 mmol sachet (10 mmol)'",
    ):
        assert f"  - {change}\n" in out, out


def test_the_comparison_is_with_the_protocol_in_force(tmp_path: Path) -> None:
    site = _file(tmp_path, slower_loading(approved_protocol()))
    assert run_admin("protocol", "install", str(site))[0] == 0
    status, out, _ = run_admin("protocol", "check", str(site))
    assert status == 0
    assert (
        "No outcome differs from the protocol in force (mgdesk-default-adult-hypomagnesemia "
        "version 2.0.0, machine-wide install) (9 cases run)." in out
    )
    back = _file(tmp_path, default_protocol_document(), "default-copy.json")
    status, out, _ = run_admin("protocol", "check", str(back))
    assert status == 0
    assert "differ from the protocol in force (mgdesk-default-adult-hypomagnesemia" in out
    assert "  - severe-tetany.json: order mg_sulfate_iv_loading: volume (mL) '50' -> '100'\n" in out


def test_the_review_day_and_what_is_said_beside_an_order_are_listed(tmp_path: Path) -> None:
    document = default_protocol_document()
    document["monitoring"]["recheck_mg_oral"]["review_day"] = 5
    document["orders"]["alfacalcidol_oral"]["note"] = "increase only on a specialist's advice"
    status, out, _ = run_admin(
        "protocol", "check", str(_file(tmp_path, document)), "--cases", str(CASES_DIR)
    )
    assert status == 0
    assert "mild-oral-1.4-mg-dl.json: order mg_oxide_oral: review day '7' -> '5'\n" in out
    assert (
        'oral-failed-stoma.json: order alfacalcidol_oral: said beside it "increase only on a '
        "specialist's advice (the guideline range reaches 9 mcg daily); check serum calcium "
        'weekly while the dose changes" -> "increase only on a specialist\'s advice"\n'
    ) in out
