"""The protocol editor's model: fields from the schema, edits refused with the loader's
messages, saves that round-trip, the comparison with the protocol in force, and the history
of installs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from files_support import run_admin, subprocess_env
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from worked_cases import CASES_DIR

from mgdesk import resources
from mgdesk.core.case import parse_case
from mgdesk.core.ceilings import THRESHOLD_CEILINGS
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, ProtocolInvalid
from mgdesk.core.protocol import Protocol, Thresholds
from mgdesk.core.protocol_loader import default_protocol, parse_protocol
from mgdesk.core.protocol_reader import DIMENSIONS, kinds
from mgdesk.core.units import magnitude_in
from mgdesk.document.change_report import cases_run_text, render_report_html, report_text
from mgdesk.records.protocol_compare import StepwiseComparison, compare_protocols
from mgdesk.records.protocol_edit import (
    DraftError,
    EditableField,
    ProtocolDraft,
    next_version,
    problem_place,
)
from mgdesk.records.site_protocol import (
    REVISION_1_1_PROBES,
    bundled_examples,
    check_protocol,
    install_protocol,
    load_worked_cases,
    protocol_cases,
)

DEFAULT = files(resources).joinpath("protocols", "default.json")


def _draft() -> ProtocolDraft:
    return ProtocolDraft(DEFAULT.read_bytes(), "default.json", Path(str(DEFAULT)))


def test_the_fields_come_from_the_schema_and_the_fixed_parts_are_not_among_them() -> None:
    draft = _draft()
    keys = {f.key for f in draft.fields}
    assert {f"thresholds.{name}" for name in kinds(Thresholds)} <= keys
    assert "doses.loading.salt_mass" in keys
    assert "products.magnesium_oxide_400mg_tablet.salt_per_unit" in keys
    assert "warnings.digoxin_interaction.text" in keys
    assert "approval.review_date" in keys
    assert not any(k.startswith(("graph", "steps", "chemistry", "format", "id")) for k in keys)
    assert not any(k.endswith(".level") for k in keys)
    assert draft.field("doses.loading.salt_mass").kind == "mass"


def test_the_wording_the_plan_carries_for_the_sheet_is_editable() -> None:
    draft = _draft()
    assert draft.field("monitoring.recheck_mg_oral.review_day").kind == "count"
    assert draft.value(draft.field("monitoring.recheck_mg_oral.review_day")) == 7
    for key in ("orders.potassium_replacement.text_torsades", "orders.alfacalcidol_oral.note"):
        assert draft.field(key).kind == "optional_text"
    draft.set_value(draft.field("monitoring.recheck_mg_oral.review_day"), 3)
    protocol = draft.validate().protocol
    assert protocol is not None and protocol.monitoring.recheck_mg_oral.review_day == 3


def test_an_unchanged_draft_writes_the_bytes_of_default_json() -> None:
    assert _draft().data() == DEFAULT.read_bytes()


def test_an_edit_above_a_fixed_ceiling_is_refused_with_its_message_and_saves_nothing(
    tmp_path: Path,
) -> None:
    draft = _draft()
    rate = draft.field("thresholds.iv_max_rate")
    draft.set_value(rate, "200 mg/min")
    validation = draft.validate()
    assert not validation.valid
    assert validation.problems_for(rate) == (
        "thresholds.iv_max_rate: 200 mg/min is above mgdesk's fixed ceiling of 150 mg/min "
        "(FDA magnesium sulfate label)",
    )
    with pytest.raises(ProtocolInvalid):
        draft.save_as(tmp_path / "site.json")
    assert not (tmp_path / "site.json").exists()


def test_a_dose_of_the_wrong_dimension_is_refused_on_its_field() -> None:
    draft = _draft()
    dose = draft.field("doses.loading.salt_mass")
    draft.set_value(dose, "2 mL")
    assert draft.validate().problems_for(dose) == (
        "doses.loading.salt_mass: '2 mL' has the wrong dimension (expected a mass)",
    )


def test_a_dose_above_the_concentration_ceiling_is_shown_on_each_of_its_fields() -> None:
    draft = _draft()
    draft.set_value(draft.field("doses.loading.salt_mass"), "40 g")
    problems = draft.validate().problems_for(draft.field("doses.loading.volume"))
    assert any("above mgdesk's fixed ceiling of 20 g/dL" in p for p in problems)


def test_saving_gives_a_new_version_and_never_writes_over_the_original(tmp_path: Path) -> None:
    original = tmp_path / "site-1.1.2.json"
    original.write_bytes(DEFAULT.read_bytes())
    draft = ProtocolDraft.from_file(original)
    draft.set_value(draft.field("thresholds.magnesium_severe_below"), "1.0 mg/dL")
    with pytest.raises(DraftError):
        draft.save_as(original)
    assert original.read_bytes() == DEFAULT.read_bytes()
    assert draft.suggested_file_name() == "mgdesk-default-adult-hypomagnesemia-1.1.2.json"
    saved = draft.save_as(tmp_path / "site-1.1.3.json")
    assert saved.version == "1.1.3" == next_version("1.1.2")
    assert parse_protocol(original.read_bytes()).version == "1.1.2"  # still readable


def test_a_saved_edit_loads_the_same_plans_as_the_same_edit_by_hand(tmp_path: Path) -> None:
    draft = _draft()
    draft.set_value(draft.field("doses.oral_start.magnesium"), "20 mmol")
    draft.set_value(draft.field("orders.mg_oxide_oral.note"), "Take with food.")
    draft.save_as(tmp_path / "edited.json")
    by_hand = json.loads(DEFAULT.read_text(encoding="utf-8"))
    by_hand["version"] = "1.1.3"
    by_hand["doses"]["oral_start"]["magnesium"] = "20 mmol"
    by_hand["orders"]["mg_oxide_oral"]["note"] = "Take with food."
    hand_bytes = (json.dumps(by_hand, ensure_ascii=False, indent=1) + "\n").encode()
    assert (tmp_path / "edited.json").read_bytes() == hand_bytes
    edited, hand = (
        parse_protocol((tmp_path / "edited.json").read_bytes()),
        parse_protocol(hand_bytes),
    )
    assert edited.sha256 == hand.sha256  # every plan names its protocol by this hash
    cases = [*bundled_examples(), *load_worked_cases([CASES_DIR])]
    for case in cases:
        plans = [_plan_json(case.document, p) for p in (edited, hand)]
        assert plans[0] == plans[1], case.name


def _plan_json(document: Mapping[str, Any], protocol: Protocol) -> str:
    """The plan as `mgdesk evaluate --format json` writes it, or why the case is refused."""
    try:
        case = parse_case(dict(document), protocol)
    except CaseInvalid as refused:
        return str(refused)
    return json.dumps(evaluate(case, protocol).as_dict(), ensure_ascii=False, indent=1)


def test_an_optional_wording_cleared_is_removed_and_the_keys_keep_their_order() -> None:
    draft = _draft()
    order = draft.document["orders"]["mg_oxide_oral"]
    before = list(order)
    draft.set_value(draft.field("orders.mg_oxide_oral.timing"), "")
    assert list(order) == [k for k in before if k != "timing"]
    assert draft.validate().valid


def test_the_comparison_lists_changed_outcomes_grouped_by_change() -> None:
    draft = _draft()
    draft.set_value(draft.field("thresholds.magnesium_severe_below"), "1.0 mg/dL")
    draft.ensure_new_version()
    new = draft.validate().protocol
    assert new is not None
    comparison = compare_protocols(default_protocol(), new, protocol_cases(generated=300))
    assert comparison.cases_run == 300 + len(bundled_examples()) + len(REVISION_1_1_PROBES)
    groups = dict(comparison.by_change())
    assert "severity severe -> mild" in groups
    severe_to_mild = groups["severity severe -> mild"]
    assert "revision 1.1 probe: severe, woman of 80, 120 kg, 160 cm, creatinine 2.5 mg/dL" in (
        severe_to_mild
    )
    assert all(c.startswith(("generated #", "revision 1.1 probe")) for c in severe_to_mild)
    assert comparison.new.version == "1.1.3"
    assert compare_protocols(default_protocol(), default_protocol(), ()).by_case == ()


def test_the_report_says_which_cases_were_run_and_whether_worked_cases_were_given() -> None:
    draft = _draft()
    draft.set_value(draft.field("doses.oral_start.magnesium"), "20 mmol")
    new = draft.validate().protocol
    assert new is not None
    worked = load_worked_cases([CASES_DIR])
    with_worked = compare_protocols(default_protocol(), new, protocol_cases(worked, 10))
    examples, probes = len(bundled_examples()), len(REVISION_1_1_PROBES)
    run = len(worked) + examples + probes + 10
    said = (
        f"{run} cases were run through both protocols: {len(worked)} worked cases given, "
        f"{examples} bundled examples, {probes} revision 1.1 probe cases and 10 generated cases."
    )
    assert cases_run_text(with_worked) == said
    assert said in render_report_html(with_worked) and said in report_text(with_worked)
    changed = {case for _, cases in with_worked.by_change() for case in cases}
    assert changed & {w.name for w in worked}  # a worked case's oral dose changes
    without = compare_protocols(default_protocol(), new, protocol_cases(generated=10))
    assert cases_run_text(without) == (
        f"{examples + probes + 10} cases were run through both protocols: {examples} bundled "
        f"examples, {probes} revision 1.1 probe cases and 10 generated cases; no worked cases "
        "were given."
    )


@pytest.mark.slow
def test_protocol_compare_prints_each_change_and_writes_the_report(tmp_path: Path) -> None:
    draft = _draft()
    draft.set_value(draft.field("doses.loading.duration"), "30 min")
    draft.save_as(tmp_path / "new.json")
    new_and_options = [str(tmp_path / "new.json"), "--generated", "100"]
    new_and_options += ["-o", str(tmp_path / "report.pdf")]
    # A child process: writing the PDF starts a QGuiApplication, which would stay for the
    # session's window tests.
    result = subprocess.run(
        [sys.executable, "-m", "mgdesk", "protocol", "compare", str(DEFAULT), *new_and_options],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(),
        check=False,
    )
    code, out, err = result.returncode, result.stdout, result.stderr
    assert code == 0, err
    assert "Field doses.loading.duration: 15 min -> 30 min" in out
    assert "order mg_sulfate_iv_loading: duration (min) '15' -> '30'" in out
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_protocol_compare_refuses_an_invalid_protocol(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    code, _, err = run_admin("protocol", "compare", str(DEFAULT), str(tmp_path / "bad.json"))
    assert code == 2
    assert "format: must be 'mgdesk-protocol/1'" in err


def test_each_install_is_kept_in_the_history_that_protocol_show_lists(tmp_path: Path) -> None:
    draft = _draft()
    first = draft.save_as(tmp_path / "a.json")
    install_protocol(tmp_path / "a.json", "user")
    draft.set_value(draft.field("title"), "Adult hypomagnesemia (site)")
    draft.original = json.loads(draft.data())
    second = draft.save_as(tmp_path / "b.json")
    install_protocol(tmp_path / "b.json", "user")
    code, out, _ = run_admin("protocol", "show")
    assert code == 0
    assert f"1.1.3-{first.sha256[:12]}.json" in out and first.sha256 in out
    assert f"1.1.4-{second.sha256[:12]}.json" in out and second.sha256 in out


# -- random edits: a protocol that loads and keeps every invariant, or a refusal ---------

_UNITS = sorted({*DIMENSIONS.values(), "mg", "kg", "mmol", "mL", "h", "mg/kg", "mL/h", "furlong"})
_VALUES = st.one_of(
    st.builds(
        lambda n, u: f"{n} {u}",
        st.decimals(min_value=-10, max_value=10_000, places=2, allow_nan=False),
        st.sampled_from(_UNITS),
    ),
    st.integers(min_value=-5, max_value=500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.none(),
    st.booleans(),
    st.sampled_from(["2027-01-01", "2026-02-30", "soon", "magnesium_oxide_400mg_tablet"]),
    st.lists(st.sampled_from(["fda_label", "nope", "aha_ecc_2020"]), max_size=3),
)


def _plausible(field: EditableField) -> st.SearchStrategy[object]:
    """A value of the field's own kind, near its current size: edits a pharmacist might make."""
    if field.is_quantity:
        return st.builds(
            lambda n: f"{n} {DIMENSIONS[field.kind]}",
            st.decimals(min_value=0, max_value=400, places=1, allow_nan=False),
        )
    if field.is_number:
        return st.integers(min_value=0, max_value=120)
    return st.text(alphabet="abc mg/ -", min_size=1, max_size=20)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edits_load_and_keep_every_invariant_or_are_refused_by_field(
    data: st.DataObject,
) -> None:
    draft = _draft()
    edited = data.draw(st.lists(st.sampled_from(draft.fields), min_size=1, max_size=4))
    for field in edited:
        value = data.draw(st.one_of(_plausible(field), _VALUES))
        draft.set_value(field, value)  # type: ignore[arg-type]
    validation = draft.validate()
    event("loads" if validation.valid else "refused")
    if validation.valid:
        assert validation.protocol is not None
        _keeps_every_invariant(validation.protocol)
    else:
        assert validation.problems
        for problem in validation.problems:
            place, _, message = problem.partition(": ")
            assert place and message, problem
        # Some problem names an edited field (or the dose, product or approval it belongs to),
        # or goes away when an edit alone is undone.
        places = [problem_place(p) for p in validation.problems]
        groups = tuple(f"{field.group}." for field in edited)
        assert (
            any(draft.problems_for(field, validation) for field in edited)
            or any(place.startswith(groups) for place in places)
            or any(draft.caused_by(field, validation) for field in edited)
        ), validation.problems


def _keeps_every_invariant(protocol: Protocol) -> None:
    for key, ceiling in THRESHOLD_CEILINGS.items():
        limit = magnitude_in(getattr(protocol.thresholds, key), ceiling.unit)
        assert limit <= ceiling.value, key
    for example in bundled_examples():  # the engine checks every invariant on each plan
        try:
            case = parse_case(dict(example.document), protocol)
        except CaseInvalid:
            continue  # a narrower plausibility window: `check` lists it as a change
        evaluate(case, protocol)


_NEW_PRODUCT_KEYS = ["magnesium_oxide_250mg_tablet", "site_sachet_2", "Bad Key", "", "x" * 90]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_formulary_edits_load_and_keep_every_invariant_or_are_refused(
    data: st.DataObject,
) -> None:
    """Products put on the formulary (and their fields changed) or taken off, at random."""
    draft = _draft()
    removed: set[str] = set()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        products = list(draft.document["products"])
        if not data.draw(st.booleans()):
            gone = data.draw(st.sampled_from(products))
            draft.remove_product(gone)
            removed.add(gone)
            continue
        key = data.draw(st.sampled_from([*_NEW_PRODUCT_KEYS, *products]))
        try:
            draft.add_product(key, like=data.draw(st.sampled_from(products)))
        except DraftError as refused:  # a key taken or not a plain name: said why
            assert key in str(refused) or not key
            continue
        own = [f for f in draft.fields if f.path[:2] == ("products", key)]
        for field in data.draw(st.lists(st.sampled_from(own), max_size=2)):
            draft.set_value(field, data.draw(st.one_of(_plausible(field), _VALUES)))  # type: ignore[arg-type]
    validation = draft.validate()
    event("loads" if validation.valid else "refused")
    if validation.valid:
        assert validation.protocol is not None
        _keeps_every_invariant(validation.protocol)
        return
    for problem in validation.problems:
        place, _, message = problem.partition(": ")
        assert place and message, problem
    places = [problem_place(p) for p in validation.problems]
    # A product's own field, or an order left without the product it named.
    assert any(place.startswith(("products.", "orders.")) for place in places), places
    if not any(place.startswith("products.") for place in places):
        orders = draft.document["orders"]
        named = {orders[p.split(".")[1]].get("product") for p in places if p.startswith("orders.")}
        assert named & removed, places


@pytest.mark.slow
def test_protocol_edit_of_a_file_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mgdesk", "protocol", "edit", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(QT_QPA_PLATFORM="offscreen"),
        check=False,
    )
    assert result.returncode == 2
    assert "missing.json: cannot be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_product_added_to_the_formulary_can_be_ordered_and_one_in_use_cannot_go() -> None:
    draft = _draft()
    draft.add_product("magnesium_oxide_250mg_tablet", like="magnesium_oxide_400mg_tablet")
    name = draft.field("products.magnesium_oxide_250mg_tablet.name")
    draft.set_value(name, "magnesium oxide 250 mg tablet")
    draft.set_value(draft.field("products.magnesium_oxide_250mg_tablet.salt_per_unit"), "250 mg")
    draft.set_value(draft.field("orders.mg_oxide_oral.product"), "magnesium_oxide_250mg_tablet")
    validation = draft.validate()
    assert validation.protocol is not None, validation.problems
    assert validation.protocol.orders.mg_oxide_oral.product.name == "magnesium oxide 250 mg tablet"
    with pytest.raises(DraftError, match="already has"):
        draft.add_product("magnesium_oxide_250mg_tablet", like="magnesium_oxide_400mg_tablet")
    with pytest.raises(DraftError, match="not a product key"):
        draft.add_product("Bad Key", like="magnesium_oxide_400mg_tablet")
    draft.remove_product("magnesium_oxide_250mg_tablet")
    assert draft.validate().problems_for(draft.field("orders.mg_oxide_oral.product")) == (
        "orders.mg_oxide_oral.product: names an unknown product 'magnesium_oxide_250mg_tablet'",
    )


def test_a_problem_named_elsewhere_is_traced_to_the_edit_that_caused_it() -> None:
    draft = _draft()
    weight = draft.field("plausibility.weight[0]")
    draft.set_value(weight, "1 kg")
    validation = draft.validate()
    assert validation.problems_for(weight) == ()  # the loader names the IM doses
    caused = draft.caused_by(weight, validation)
    assert caused and all(p.startswith("doses.") and "plausible weight" in p for p in caused)
    assert draft.value(weight) == "1 kg"  # undone only to look


def test_a_product_taken_off_the_formulary_is_listed_among_the_changes() -> None:
    draft = _draft()
    draft.remove_product("magnesium_aspartate_10mmol_sachet")
    gone = {c.field.key: c.after for c in draft.changes()}
    assert gone["products.magnesium_aspartate_10mmol_sachet.name"] is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"[" * 100_000, "site.json: nested far too deeply to be a protocol file"),
        (b'{"id": ', "site.json: not valid JSON: the file ends too early"),
        (b"\xff\xfe{}", "site.json: not UTF-8 text"),
    ],
)
def test_the_editor_names_why_a_file_cannot_be_opened(data: bytes, problem: str) -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        ProtocolDraft(data, "site.json")
    assert caught.value.problems[0].startswith(problem), caught.value.problems


def test_a_comparison_in_steps_gives_what_a_whole_one_gives_and_a_newer_draft_starts_over() -> None:
    draft = _draft()
    draft.set_value(draft.field("thresholds.magnesium_severe_below"), "1.0 mg/dL")
    first = draft.validate().protocol
    draft.set_value(draft.field("thresholds.magnesium_severe_below"), "1.1 mg/dL")
    second = draft.validate().protocol
    assert first is not None and second is not None
    cases = protocol_cases(generated=100)
    stepwise = StepwiseComparison(default_protocol(), cases)
    stepwise.start(first)
    assert stepwise.step(0) is None and stepwise.pending  # one case at a time
    stepwise.start(second)  # a newer draft: the first is dropped
    steps, comparison = 0, None
    while comparison is None:
        comparison, steps = stepwise.step(0), steps + 1
    assert steps == len(cases) and not stepwise.pending
    assert comparison == compare_protocols(default_protocol(), second, cases)
    assert comparison.new.sha256 == second.sha256 and comparison.by_case


def test_a_narrower_plausibility_window_is_listed_as_a_change_not_a_problem() -> None:
    # Found by the random edits: 2.7 mg/dL still spans the bands, but rejects the bundled
    # example at 1.4 mmol/L (3.4 mg/dL). The pharmacist reviews that; it is not an error.
    draft = _draft()
    draft.set_value(draft.field("plausibility.magnesium[1]"), "2.7 mg/dL")
    assert draft.validate().valid
    changes = check_protocol(draft.data(), "site.json").changes
    assert "high-unit-confusion.json: status ok -> rejected" in changes
    assert (
        "high-unit-confusion.json: now: labs.magnesium: 1.4 mmol/L is outside the plausible "
        "range 0.2 mg/dL to 2.7 mg/dL: check the number and the unit"
    ) in changes
