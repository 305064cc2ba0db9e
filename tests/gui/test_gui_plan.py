"""The plan on screen matches the core's plan for every shared worked case."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from gui_support import make_window, shared_case, shared_case_names, type_text
from pytestqt.qtbot import QtBot

from mgdesk import resources
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import FieldError
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.document.line_breaks import as_typed
from mgdesk.gui import labels
from mgdesk.gui.assessment import Assessment
from mgdesk.gui.main_window import MainWindow
from mgdesk.records.site_protocol import load_protocol

VALID_CASES = [n for n in shared_case_names() if shared_case(n)["expect"].get("exit", 0) == 0]
# The worked cases of protocol 1.1 (height, eGFR, magnesium given and its assessment time).
PROTOCOL_11_CASES = ["y01.json", "y10.json", "y18.json", "y22.json"]
INVALID_CASES = [n for n in shared_case_names() if shared_case(n)["expect"].get("exit", 0) != 0]


def words(text: str) -> str:
    """text as read: the joiners that keep a quantity on one line left out."""
    return " ".join(as_typed(text).split())


def shown_text(window: MainWindow) -> str:
    return words(window.plan_view.details.toPlainText())


def assert_shows(window: MainWindow, plan: Plan) -> None:
    view = window.plan_view
    assert view.plan == plan
    assert view.status.text() == labels.plan_headline(plan)
    assert view.severity.text() == labels.SEVERITY_LABELS.get(
        plan.severity or "", "No magnesium level given"
    )
    assert view.gauge.value == (plan.magnesium.mg_dl if plan.magnesium else None)
    text = shown_text(window)
    orders_at = text.index("Orders")
    positions = [text.index(words(f"{order.title}")) for order in plan.orders]
    assert positions == sorted(positions), "orders keep the core's sequence"
    for order in plan.orders:
        assert words(order.text) in text
        for aside in order.asides():  # as the sheet says it: blanks, review, a note beside
            assert words(aside) in text[text.index(words(order.text)) :]
        if order.role != "primary":
            assert f"{order.role.upper()}" in text[text.index(words(order.title)) :]
    for warning in plan.warnings:
        at = text.index(words(warning.text))
        assert (at < orders_at) == (warning.level == "stop"), warning.code
    for item in plan.monitoring:
        assert words(item.text) in text
    for missing in plan.missing:
        assert words(missing.message) in text
    assert window.algorithm.path == plan.path


@pytest.mark.parametrize("name", VALID_CASES)
def test_every_shared_case_is_shown_as_the_core_plans_it(
    window: MainWindow, protocol: Protocol, name: str
) -> None:
    case = shared_case(name)["case"]
    assert window.form.load(case) == []
    expected = evaluate(parse_case(case, protocol), protocol)
    assert_shows(window, expected)
    assert expected.status == shared_case(name)["expect"].get("status", expected.status)


def test_the_protocol_11_worked_cases_are_among_those_shown() -> None:
    assert set(PROTOCOL_11_CASES) <= set(VALID_CASES)


@pytest.mark.parametrize("name", INVALID_CASES)
def test_an_invalid_shared_case_marks_its_field_and_shows_no_plan(
    window: MainWindow, name: str
) -> None:
    data = shared_case(name)
    assert window.form.load(data["case"]) == []
    named = data["expect"]["error_field"]  # "magnesium" or "labs.magnesium"
    field = next(f for f in window.form_view.rows if f == named or f.endswith(f".{named}"))
    row = window.form_view.rows[field]
    assert row.error.isVisible() and row.error.text()
    assert window.form.is_marked_invalid(field)
    assert window.plan_view.plan is None
    assert window.current_case_and_plan() is None


def test_the_torsades_banner_comes_first_and_says_what_to_give(window: MainWindow) -> None:
    assert window.form.load(shared_case("v06.json")["case"]) == []
    plan = window.plan_view.plan
    assert plan is not None
    order = plan.order("mg_sulfate_iv_torsades")
    assert order is not None and plan.orders[0] is order
    banner = window.emergency_banner
    assert banner.isVisible()
    assert words(order.text) in words(banner.text())
    assert banner.y() < window.approval_banner.y() < window.splitter.y()
    assert banner.accessibleName().startswith("Emergency")


def test_torsades_with_an_unrelated_invalid_entry_keeps_its_order_in_the_banner(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    # Safety issue item 7: the torsades order no longer waits for an unrelated field.
    case = shared_case("v06.json")["case"]
    assert window.form.load(case) == []
    type_text(qtbot, window, "labs.potassium", "33")
    assert window.plan_view.plan is None
    assert window.emergency_banner.isVisible()
    order = evaluate(parse_case(case, protocol), protocol).order("mg_sulfate_iv_torsades")
    assert order is not None
    assert words(order.text) in words(window.emergency_banner.text())
    assert "waits for the marked entries" in window.emergency_banner.text()


def test_no_banner_without_torsades(window: MainWindow) -> None:
    assert window.form.load(shared_case("v01.json")["case"]) == []
    assert not window.emergency_banner.isVisible()


def test_a_contraindication_with_torsades_says_why_there_is_no_order(
    window: MainWindow, protocol: Protocol
) -> None:
    case = shared_case("v06.json")["case"]
    case["clinical"]["heart_block"] = True
    assert window.form.load(case) == []
    plan = window.plan_view.plan
    assert plan is not None and plan.order("mg_sulfate_iv_torsades") is None
    assert "No magnesium order" in window.emergency_banner.text()
    assert words(plan.stop_warnings[0].text) in words(window.emergency_banner.text())


def test_the_approval_banner_shows_while_the_protocol_is_not_site_approved(
    window: MainWindow, protocol: Protocol
) -> None:
    assert not protocol.approval.site_approved
    assert window.approval_banner.isVisible()
    assert "not approved by this site" in window.approval_banner.text()
    assert protocol.id in window.protocol_label.text()


def test_a_withheld_plan_is_explained_and_not_shown(window: MainWindow) -> None:
    assessment = Assessment({"format": "mgdesk-case/1"}, None, None, (), ("invariant 3 broken",))
    window.show_assessment(assessment)
    assert window.plan_view.plan is None
    assert "withheld" in window.plan_view.status.text()
    assert "invariant 3 broken" in shown_text(window)


def test_errors_link_to_their_fields(qtbot: QtBot, window: MainWindow) -> None:
    assert window.form.load(shared_case("v05.json")["case"]) == []
    html = window.plan_view.details.toHtml()
    assert 'href="field:labs.magnesium"' in html
    window.plan_view.field_requested.emit("labs.magnesium")
    assert window.focusWidget() is window.form_view.line_edits["labs.magnesium"]


def test_missing_information_is_listed_when_incomplete(window: MainWindow) -> None:
    assert window.form.load(shared_case("v29.json")["case"]) == []
    plan = window.plan_view.plan
    assert plan is not None and plan.status == "incomplete" and plan.missing
    text = shown_text(window)
    assert text.index("Needed before routine treatment") < text.index("Orders")
    for missing in plan.missing:
        assert words(missing.message) in text


def test_the_band_gauge_uses_the_protocols_thresholds(
    window: MainWindow, protocol: Protocol
) -> None:
    from mgdesk.core.units import magnitude_in

    bands = window.plan_view.gauge.bands
    assert bands is not None
    assert bands.severe_below == magnitude_in(protocol.thresholds.magnesium_severe_below, "mg/dL")
    assert bands.normal_from == magnitude_in(protocol.thresholds.magnesium_normal_from, "mg/dL")
    assert bands.high_above == magnitude_in(protocol.thresholds.magnesium_high_above, "mg/dL")
    assert window.form.load(shared_case("v08.json")["case"]) == []
    assert "severe" in window.plan_view.gauge.accessibleDescription().lower()


def test_core_errors_without_a_field_in_the_form_are_shown_above_it(window: MainWindow) -> None:
    assessment = Assessment(
        {"format": "x"}, None, None, (FieldError("format", "must be 'mgdesk-case/1'"),)
    )
    window.show_assessment(assessment)
    general = window.form_view.general_error
    assert general.isVisible() and "format" in general.text()


def test_a_defect_in_evaluation_never_leaves_the_old_plan(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mgdesk.gui import assessment

    assert window.form.load(shared_case("v01.json")["case"]) == []
    assert window.plan_view.plan is not None

    def broken(*args: object) -> None:
        raise RuntimeError("simulated defect")

    monkeypatch.setattr(assessment, "assess", broken)
    with qtbot.captureExceptions() as caught:
        type_text(qtbot, window, "labs.magnesium", "1.3")
    assert any(isinstance(exc, RuntimeError) for _, exc, _ in caught)
    assert window.plan_view.plan is None
    assert window.current_case_and_plan() is None
    assert "simulated defect" in shown_text(window)


def test_the_band_gauge_labels_a_site_threshold_exactly(qtbot: QtBot, tmp_path: Path) -> None:
    """A site's 1.215 mg/dL must not read "1.22" (a reading of 1.216 is severe there)."""
    document = json.loads(
        files(resources).joinpath("protocols", "default.json").read_text(encoding="utf-8")
    )
    document["thresholds"]["magnesium_severe_below"] = "1.215 mg/dL"
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    window = make_window(qtbot, load_protocol(path))
    gauge = window.plan_view.gauge
    assert gauge.threshold_labels() == ("1.215", "1.8", "2.6")
    assert "severe below 1.215, normal from 1.8, high above 2.6 mg/dL" in (
        gauge.accessibleDescription()
    )
    assert window.form.load(shared_case("v08.json")["case"]) == []
    assert "severe below 1.215," in gauge.accessibleDescription()
    window.close()
