"""The protocol editor window: edit, compare, save, install, and see it on the sheet."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import pytest
from protocol_documents import without_given_step
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot
from worked_cases import CASES_DIR

from mgdesk import resources
from mgdesk.__main__ import main
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.document.sheet import build_sheet
from mgdesk.document.sheet_html import sheet_text
from mgdesk.gui import protocol_editor
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.protocol_editor import ProtocolEditor, open_editor
from mgdesk.gui.protocol_fields import DateEditor, QuantityEditor
from mgdesk.gui.unsaved_work import CANCEL, DISCARD
from mgdesk.records.protocol_edit import next_version
from mgdesk.records.site_protocol import GIVEN

EXAMPLES = files(resources).joinpath("examples")
DEFAULT = files(resources).joinpath("protocols", "default.json")


@pytest.fixture(autouse=True)
def few_generated_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol_editor, "GENERATED_CASES", 150)


def _editor(qtbot: QtBot, window: MainWindow, closed_by_the_test: bool = False) -> ProtocolEditor:
    editor = window.menus.open_protocol_editor()
    assert editor is not None
    if not closed_by_the_test:  # else deleted on close: the window's teardown is enough
        qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.comparison is not None, timeout=60_000)
    return editor


def _compared(qtbot: QtBot, editor: ProtocolEditor) -> None:
    qtbot.waitUntil(lambda: not editor.comparison_pending, timeout=60_000)


def test_the_menu_opens_the_editor_with_no_change_against_the_protocol_in_force(
    qtbot: QtBot, window: MainWindow
) -> None:
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    item = next(a for a in file_menu.actions() if a.text() == "Protocol &editor…")
    item.trigger()
    assert len(window.menus.editors) == 1
    editor = window.menus.editors[0]
    qtbot.addWidget(editor)
    assert editor.isVisible() and editor.in_force is window.protocol
    qtbot.waitUntil(lambda: editor.comparison is not None, timeout=60_000)
    assert editor.comparison is not None and editor.comparison.by_case == ()
    assert "no outcome, order, dose, rate or warning changes" in editor.comparison_status.text()
    assert not editor.install_user_button.isEnabled()  # nothing saved yet


def test_edit_compare_save_install_and_the_sheet_shows_the_new_protocol(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = _editor(qtbot, window)
    editor.set_field("thresholds.magnesium_severe_below", "1.0 mg/dL")
    editor.set_field("doses.oral_start.magnesium", "20 mmol")
    editor.set_field(
        "products.magnesium_oxide_160mg_capsule.name", "magnesium oxide 160 mg capsule (site stock)"
    )
    assert editor.validation.valid, editor.validation.problems
    _compared(qtbot, editor)
    assert editor.comparison is not None
    changes = dict(editor.comparison.by_change())
    assert "severity severe -> mild" in changes
    assert any("magnesium oxide 160 mg capsule (site stock)" in change for change in changes)
    assert editor.comparison_tree.topLevelItemCount() == len(changes)
    assert editor.changes_list.count() == 3

    assert editor.save_as(tmp_path / "site-1.1.3.json")
    assert parse_protocol((tmp_path / "site-1.1.3.json").read_bytes()).version == "1.1.3"
    assert editor.write_report(tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert editor.install("user")

    assert window.protocol is not None and window.protocol.version == "1.1.3"
    assert window.evaluation_install
    assert "1.1.3" in window.protocol_label.text()
    assert window.files.open_case_file(Path(str(EXAMPLES.joinpath("mild-oral-1.4-mg-dl.json"))))
    current = window.current_case_and_plan()
    assert current is not None
    case, plan = current
    sheet = build_sheet(
        case,
        plan,
        window.protocol,
        facility="Test",
        prescriber="Dr Roe",
        acknowledged=[w.code for w in plan.stop_warnings],
        generated_at=datetime(2026, 12, 4, 12, 0),
        sheet_id="EDITOR-TEST",
        evaluation_install=window.evaluation_install,
    )
    # As read: the sheet keeps numbers with their units (no-break spaces, word joiners).
    printed = sheet_text(sheet).replace("\u00a0", " ").replace("\u2060", "")
    assert "magnesium oxide 160 mg capsule (site stock)" in printed
    assert f"version 1.1.3 · SHA-256 {window.protocol.sha256[:12]}" in " ".join(
        sheet.footer_lines()
    )


@pytest.mark.parametrize(
    ("key", "typed", "message"),
    [
        (
            "thresholds.iv_max_rate",
            "200 mg/min",
            "thresholds.iv_max_rate: 200 mg/min is above mgdesk's fixed ceiling of 150 mg/min "
            "(FDA magnesium sulfate label)",
        ),
        (
            "doses.loading.salt_mass",
            "2 mL",
            "doses.loading.salt_mass: '2 mL' has the wrong dimension (expected a mass)",
        ),
    ],
)
def test_a_refused_edit_shows_its_message_on_the_field_and_saves_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, key: str, typed: str, message: str
) -> None:
    editor = _editor(qtbot, window)
    editor.set_field(key, typed)
    label = editor.findChild(QLabel, f"problem:{key}")
    assert label is not None and not label.isHidden() and label.text() == message
    assert message in [
        editor.problem_list.item(i).text() for i in range(editor.problem_list.count())
    ]
    assert not editor.save_button.isEnabled()
    assert not editor.save_as(tmp_path / "refused.json")
    assert not (tmp_path / "refused.json").exists()
    assert window.protocol is not None and window.protocol.version == "1.1.2"


def test_a_product_added_in_the_window_gets_its_own_editors(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = _editor(qtbot, window)
    assert editor.add_product("magnesium_oxide_250mg_tablet", "magnesium_oxide_400mg_tablet")
    editor.set_field("products.magnesium_oxide_250mg_tablet.salt_per_unit", "250 mg")
    editor.set_field("products.magnesium_oxide_250mg_tablet.name", "magnesium oxide 250 mg tablet")
    editor.set_field("orders.mg_oxide_oral.product", "magnesium_oxide_250mg_tablet")
    assert editor.validation.protocol is not None, editor.validation.problems
    _compared(qtbot, editor)
    assert editor.comparison is not None
    assert any("magnesium oxide 250 mg tablet" in c for c, _ in editor.comparison.by_change())
    assert not editor.add_product("magnesium_oxide_250mg_tablet", "magnesium_oxide_400mg_tablet")


def test_a_problem_the_loader_names_elsewhere_shows_on_the_field_that_caused_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = _editor(qtbot, window)
    editor.set_field("plausibility.weight[0]", "1 kg")
    label = editor.findChild(QLabel, "problem:plausibility.weight[0]")
    assert label is not None and not label.isHidden()
    assert "doses.severe_im: 5 g in 4 hours at the lowest plausible weight (1 kg)" in label.text()
    editor.set_field("plausibility.weight[0]", "20 kg")
    assert label.isHidden()


def test_each_unit_picker_offers_units_of_its_dimension_only(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = _editor(qtbot, window)
    pickers = {
        key: editor.findChild(QuantityEditor, f"quantity:{key}")
        for key in ("doses.loading.salt_mass", "doses.loading.duration", "thresholds.iv_max_rate")
    }
    offered = {
        key: [p.unit.itemText(i) for i in range(p.unit.count())] for key, p in pickers.items()
    }
    assert offered["doses.loading.salt_mass"] == ["kg", "lb", "g", "mg", "mcg"]
    assert offered["doses.loading.duration"] == ["min", "h"]
    assert offered["thresholds.iv_max_rate"] == ["mg/min"]
    assert editor.findChild(QSpinBox, "count:doses.severe_im.sites") is not None


def test_the_comparison_runs_in_steps_between_edits_and_starts_no_thread(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker thread beside Qt's crashed these tests (CI, then here): the editor has none.
    threads = set(threading.enumerate())
    editor = _editor(qtbot, window)
    steps: list[float] = []
    step = editor.comparer.step
    monkeypatch.setattr(editor.comparer, "step", lambda s: steps.append(s) or step(s))
    editor.set_field("doses.oral_start.magnesium", "20 mmol")
    _compared(qtbot, editor)
    assert len(steps) > 1 and set(steps) == {protocol_editor.STEP_SECONDS}
    assert editor.comparison is not None and editor.comparison.by_case
    assert set(threading.enumerate()) == threads


def test_closing_an_editor_with_unsaved_changes_asks_first(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = _editor(qtbot, window, closed_by_the_test=True)
    asked: list[str] = []
    answers = iter([CANCEL, DISCARD])

    def answering(answer: Callable[[str], None]) -> None:
        asked.append("asked")
        answer(next(answers))

    monkeypatch.setattr(editor, "ask_unsaved_changes", answering)
    editor.set_field("doses.oral_start.magnesium", "20 mmol")
    assert editor.has_unsaved_changes
    editor.close()
    assert asked == ["asked"] and editor.isVisible()  # cancelled: the edit is still there
    window.close()  # the window asks for the editor's changes before it closes
    assert asked == ["asked", "asked"] and window.isVisible()
    qtbot.waitUntil(lambda: not window.menus.editors)  # discarded: the editor is gone
    window.close()
    assert not window.isVisible()


def test_an_editor_saved_or_unchanged_closes_without_asking(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = _editor(qtbot, window, closed_by_the_test=True)
    monkeypatch.setattr(editor, "ask_unsaved_changes", lambda answer: pytest.fail("asked"))
    assert not editor.has_unsaved_changes
    editor.set_field("doses.oral_start.magnesium", "20 mmol")
    assert editor.save_as(tmp_path / "site.json")
    assert not editor.has_unsaved_changes
    editor.close()
    qtbot.waitUntil(lambda: not window.menus.editors)


def test_worked_cases_given_are_compared_too(qtbot: QtBot, window: MainWindow) -> None:
    editor = _editor(qtbot, window)
    assert "no worked cases were given" in editor.comparison_status.text()
    assert editor.use_worked_cases([CASES_DIR])
    editor.set_field("doses.oral_start.magnesium", "20 mmol")
    _compared(qtbot, editor)
    worked = {path.name for path in CASES_DIR.glob("*.json")}
    assert editor.comparison is not None and editor.comparison.count_of(GIVEN) == len(worked)
    assert f"{len(worked)} worked cases given" in editor.comparison_status.text()
    changed = {case for _, cases in editor.comparison.by_change() for case in cases}
    assert changed & worked


def test_worked_cases_that_cannot_be_read_are_refused_with_the_reason(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = _editor(qtbot, window)
    assert not editor.use_worked_cases([tmp_path / "missing.json"])
    assert "missing.json" in editor.statusBar().currentMessage()
    assert editor.comparison is not None  # the comparison shown stays


def test_the_fixed_parts_are_shown_and_cannot_be_edited(qtbot: QtBot, window: MainWindow) -> None:
    editor = _editor(qtbot, window)
    tab = [editor.tabs.tabText(i) for i in range(editor.tabs.count())].index("Fixed (not editable)")
    page = editor.tabs.widget(tab)
    fixed = page.findChild(QLabel, "fixed_parts")
    assert fixed is not None
    shown_text = QTextDocument()
    shown_text.setHtml(fixed.text())  # as read on screen
    for shown in (
        "thresholds.iv_max_rate: mgdesk's fixed ceiling of 150 mg/min",
        "doses.torsades_pulseless: mgdesk's fixed ceiling of 2000 mg/min",
        "tx_loading_and_infusion: IV loading dose, then infusion",  # a step of the rules
        "mg_sulfate_iv_loading",  # an order's code
        "digoxin_interaction (caution)",  # a warning's code and level
    ):
        assert shown in shown_text.toPlainText()
    for editable in (
        QLineEdit,
        QSpinBox,
        QComboBox,
    ):
        assert page.findChildren(editable) == []


def test_protocol_edit_answers_help_and_refuses_worked_cases_it_cannot_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["protocol", "edit", "--help"]) == 0
    assert "--cases PATH" in capsys.readouterr().out
    assert main(["protocol", "edit", "--cases", str(tmp_path / "missing.json")]) == 2
    assert "Could not open" in capsys.readouterr().err


def test_an_install_for_all_users_is_used_at_once_and_one_refused_changes_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.protocol is not None
    bundled = window.protocol.version
    editor = _editor(qtbot, window)
    editor.set_field("doses.oral_start.magnesium", "20 mmol")
    assert editor.save_as(tmp_path / "site.json")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("MGDESK_SYSTEM_DIR", str(blocked))  # as without administrator rights
    assert not editor.install("machine")
    assert "The protocol was not installed: cannot install into" in (
        editor.statusBar().currentMessage()
    )
    assert window.protocol is not None and window.protocol.version == bundled
    monkeypatch.setenv("MGDESK_SYSTEM_DIR", str(tmp_path / "system"))
    assert editor.install("machine")
    assert window.protocol is not None and window.protocol.version == next_version(bundled)
    assert not window.evaluation_install  # machine-wide: no evaluation mark
    assert (tmp_path / "system" / "protocol.json").read_bytes() == (
        tmp_path / "site.json"
    ).read_bytes()


def test_approval_entered_in_the_editor_is_saved_and_dates_are_picked_as_dates(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = _editor(qtbot, window)
    editor.set_field("approval.site_approved", "yes")  # ticked
    label = editor.findChild(QLabel, "problem:approval.site_approved")
    assert label is not None and not label.isHidden()
    required = "approval.review_date: is required for a site-approved protocol"
    assert required in label.text()
    review_problem = editor.findChild(QLabel, "problem:approval.review_date")
    assert review_problem is not None and review_problem.text() == required
    review = editor.findChild(DateEditor, "date:approval.review_date")
    assert review is not None and review.date.calendarPopup()
    assert not review.given.isChecked() and not review.date.isEnabled()  # none yet
    editor.set_field("approval.site", "Example General Hospital")
    editor.set_field("approval.approved_by", "Medication Safety Committee")
    editor.set_field("approval.effective_date", "2027-01-04")
    review.given.setChecked(True)  # as ticked, then a day picked
    review.date.setDate(review.date.date().fromString("2028-01-04", "yyyy-MM-dd"))
    assert editor.validation.valid, editor.validation.problems
    editor.set_field("approval.review_date", "")  # none again: refused on site_approved
    assert not editor.validation.valid and not editor.save_button.isEnabled()
    editor.set_field("approval.review_date", "2028-01-04")
    assert editor.save_as(tmp_path / "site.json")
    approval = parse_protocol((tmp_path / "site.json").read_bytes()).approval
    assert approval.site_approved and approval.approved_by == "Medication Safety Committee"
    assert approval.site == "Example General Hospital"
    assert (str(approval.effective_date), str(approval.review_date)) == ("2027-01-04", "2028-01-04")
    assert editor.install("user")
    assert "site-approved" in window.protocol_label.text()


def test_a_new_version_of_the_installed_protocol_is_offered_a_place_outside_the_install(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = _editor(qtbot, window)
    editor.set_field("doses.oral_start.magnesium", "20 mmol")
    assert editor.save_as(tmp_path / "site.json") and editor.install("user")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    again = _editor(qtbot, window)  # over the installed protocol now
    assert again.draft.path is not None and again.draft.path.name == "protocol.json"
    offered: list[str] = []

    def save_file_name(*args: object) -> tuple[str, str]:
        offered.append(str(args[2]))
        return "", ""  # cancelled

    monkeypatch.setattr(protocol_editor.QFileDialog, "getSaveFileName", save_file_name)
    again.set_field("doses.oral_start.magnesium", "24 mmol")
    assert not again.choose_save_path()
    installed = next_version(parse_protocol(DEFAULT.read_bytes()).version)
    name = f"mgdesk-default-adult-hypomagnesemia-{next_version(installed)}.json"
    assert offered == [str(tmp_path / "home" / name)]


def fixed_parts(editor: ProtocolEditor) -> str:
    label = editor.findChild(protocol_editor.QLabel, "fixed_parts")
    assert label is not None
    return label.text()


def test_the_rule_structure_shows_magnesium_already_given_read_only(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    bundled = _editor(qtbot, window)
    assert "<li>magnesium_given: Magnesium already given</li>" in fixed_parts(bundled)
    document = without_given_step(json.loads(DEFAULT.read_bytes()))
    older = tmp_path / "site-1.1.1.json"
    older.write_text(json.dumps(document), encoding="utf-8")
    assert window.protocol is not None
    editor = open_editor(older, window.protocol, window)
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.comparison is not None, timeout=60_000)
    shown = fixed_parts(editor)
    assert "<li>magnesium_given: Magnesium already given</li>" in shown, "as the file is read"
    # The pharmacist is told what the file lacks and is read from the bundled protocol.
    assert bundled.read_as.isHidden()
    assert not editor.read_as.isHidden()
    assert "graph.nodes: the step 'magnesium_given'" in editor.read_as.text()
    assert shown.index("<li>treatment:") < shown.index("<li>magnesium_given:")
    assert editor.comparison is not None and editor.comparison.by_case == ()
