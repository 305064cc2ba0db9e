"""Case files from the window: New, Open, Save, Save As, recent files, the modified marker,
the unsaved-changes question, and files that cannot be opened or saved changing nothing."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from gui_support import action, answering, example_case, make_window, pick, type_text
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.document.line_breaks import as_typed
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings
from mgdesk.gui.unsaved_work import CANCEL, DISCARD, SAVE
from mgdesk.records import casefile
from mgdesk.records.casefile import save_case

MILD = "mild-oral-1.4-mg-dl.json"


def save_as(window: MainWindow, monkeypatch: pytest.MonkeyPatch, path: Path | None) -> bool:
    monkeypatch.setattr(window.files, "ask_case_path_to_save", lambda suggested: path)
    return window.files.save_case_as()


def autosaves(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "autosave").glob("autosave-*.json"))


def test_save_quit_and_open_again(
    qtbot: QtBot, protocol: Protocol, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot, protocol)
    assert window.windowTitle() == "Untitled case[*] — mgdesk"
    assert window.form.load(example_case(MILD)) == []
    type_text(qtbot, window, "patient.allergies", "penicillin")
    assert window.isWindowModified()
    assert save_as(window, monkeypatch, tmp_path / "doe")  # the suffix is added
    path = tmp_path / "doe.mgcase"
    assert window.files.case_path == path and not window.isWindowModified()
    assert window.windowTitle() == "doe.mgcase[*] — Example, Mild, DEMO-0001 — mgdesk"
    saved, _ = window.form.document()
    asked: list[Any] = []
    monkeypatch.setattr(window.files, "ask_unsaved_changes", answering(CANCEL, asked))
    assert window.close() and asked == []  # saved: nothing to ask

    again = make_window(qtbot, protocol)
    assert open_settings().recent_files == [path]
    again.menus.refresh_recent_menu()
    (recent,) = again.menus.recent_menu.actions()
    assert "doe.mgcase" in recent.text()
    recent.trigger()
    assert again.form.document()[0] == saved
    assert again.files.case_path == path and not again.isWindowModified()
    assert again.plan_view.plan is not None


def test_save_writes_to_the_case_file_and_asks_only_the_first_time(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.form.load(example_case(MILD))
    asked: list[Path] = []

    def ask(suggested: Path) -> Path:
        asked.append(suggested)
        return tmp_path / "mild.mgcase"

    monkeypatch.setattr(window.files, "ask_case_path_to_save", ask)
    action(window, "Save case").trigger()
    type_text(qtbot, window, "patient.name", "Changed, Name")
    assert window.isWindowModified()
    action(window, "Save case").trigger()
    assert asked == [Path("case.mgcase")]
    assert json.loads((tmp_path / "mild.mgcase").read_text("utf-8"))["patient"]["name"] == (
        "Changed, Name"
    )
    assert not window.isWindowModified()


def test_typing_a_value_back_as_it_was_is_no_change(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "case.mgcase"
    save_case(example_case(MILD), path)
    assert window.files.open_case_file(path)
    type_text(qtbot, window, "patient.name", "Someone, Else")
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    type_text(qtbot, window, "patient.name", "Example, Mild")
    assert not window.isWindowModified()


@pytest.mark.parametrize(
    ("answer", "closes", "saved"),
    [(CANCEL, False, False), (DISCARD, True, False), (SAVE, True, True)],
)
def test_closing_with_unsaved_changes_asks_first(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    closes: bool,
    saved: bool,
) -> None:
    path = tmp_path / "case.mgcase"
    save_case(example_case(MILD), path)
    assert window.files.open_case_file(path)
    type_text(qtbot, window, "patient.allergies", "latex")
    window.files.unsaved.write_now()
    assert autosaves(data_dir)
    asked: list[Any] = []
    monkeypatch.setattr(window.files, "ask_unsaved_changes", answering(answer, asked))
    window.close()
    assert len(asked) == 1
    if closes:
        qtbot.waitUntil(lambda: not window.isVisible())
    else:
        qtbot.wait(50)  # nothing is scheduled: it stays open
        assert window.isVisible()
    assert line_text(window, "patient.allergies") == "latex"  # cancelling keeps every edit
    assert ("latex" in path.read_text("utf-8")) is saved
    assert (autosaves(data_dir) == []) is closes  # a clean close leaves nothing to restore


def test_save_answered_but_cancelled_in_the_file_dialog_keeps_the_window(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    type_text(qtbot, window, "patient.name", "Doe, Jane")
    monkeypatch.setattr(window.files, "ask_unsaved_changes", answering(SAVE))
    assert not save_as(window, monkeypatch, None)
    window.close()
    assert window.isVisible() and window.isWindowModified()


@pytest.mark.parametrize(("answer", "cleared"), [(CANCEL, False), (DISCARD, True)])
def test_new_case_asks_about_unsaved_changes(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, answer: str, cleared: bool
) -> None:
    type_text(qtbot, window, "patient.name", "Doe, Jane")
    asked: list[Any] = []
    monkeypatch.setattr(window.files, "ask_unsaved_changes", answering(answer, asked))
    action(window, "New case").trigger()
    assert len(asked) == 1
    assert (line_text(window, "patient.name") == "") is cleared
    assert window.isWindowModified() is not cleared


def test_open_asks_about_unsaved_changes_before_choosing_a_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mild.mgcase"
    save_case(example_case(MILD), path)
    type_text(qtbot, window, "patient.name", "Doe, Jane")
    order: list[str] = []
    monkeypatch.setattr(
        window.files, "ask_unsaved_changes", lambda answer: (order.append("asked"), answer(DISCARD))
    )
    monkeypatch.setattr(
        window.files, "ask_case_path_to_open", lambda: order.append("chose") or path
    )
    action(window, "Open case…").trigger()
    assert order == ["asked", "chose"]
    assert window.files.case_path == path and line_text(window, "patient.name") == "Example, Mild"


def test_new_and_open_do_not_ask_without_changes(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window.files, "ask_unsaved_changes", answering(CANCEL, asked := []))
    monkeypatch.setattr(window.files, "ask_case_path_to_open", lambda: None)
    action(window, "New case").trigger()
    action(window, "Open case…").trigger()
    assert asked == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b'{"format": "mgdesk-case/1", "patient": {', "cut short", id="corrupt"),
        pytest.param(b"\x00\x01garbage", "binary", id="binary"),
        pytest.param(
            b'{"format": "mgdesk-case/2", "patient": {}}', "newer version", id="future-version"
        ),
        pytest.param(b'{"format": "mgdesk-protocol/1"}', "not", id="not-a-case"),
        pytest.param(b"[1, 2]", "not", id="a-list"),
    ],
)
def test_a_file_that_cannot_be_opened_changes_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, content: bytes, reason: str
) -> None:
    mine = tmp_path / "mine.mgcase"
    save_case(example_case(MILD), mine)
    assert window.files.open_case_file(mine)
    type_text(qtbot, window, "patient.allergies", "latex")  # unsaved, and kept
    before, title = window.form.document()[0], window.windowTitle()
    bad = tmp_path / "bad.mgcase"
    bad.write_bytes(content)
    assert not window.files.open_case_file(bad)
    assert window.form.document()[0] == before
    assert (window.files.case_path, window.windowTitle()) == (mine, title)
    assert window.isWindowModified()
    assert window.notices.isVisible()
    assert "bad.mgcase" in window.notices.label.text() and reason in window.notices.label.text()
    assert "unchanged" in window.notices.label.text()
    assert bad not in open_settings().recent_files


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("missing-folder", "does not exist"),
        ("a-folder", "is a folder"),
        ("a-named-pipe", "is a named pipe (FIFO), not a regular file"),
        ("a-symbolic-link", "is a symbolic link, not a regular file"),
        ("full-disk", "is full"),
        ("read-only", "read-only disk"),
    ],
)
def test_a_case_that_cannot_be_saved_stays_on_screen_unsaved(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    reason: str,
) -> None:
    target = tmp_path / "case.mgcase"
    if where == "missing-folder":
        target = tmp_path / "no-such-folder" / "case.mgcase"
    elif where == "a-folder":
        target.mkdir()
    elif where == "a-named-pipe":
        os.mkfifo(target)
    elif where == "a-symbolic-link":
        target.symlink_to(tmp_path / "elsewhere.mgcase")
    else:
        code = errno.ENOSPC if where == "full-disk" else errno.EROFS

        def fail(path: Path, data: bytes, **options: Any) -> None:
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(casefile, "write_atomically", fail)
    type_text(qtbot, window, "patient.name", "Doe, Jane")
    assert not window.files.save_case_file(target)
    assert window.files.case_path is None and window.isWindowModified()
    assert line_text(window, "patient.name") == "Doe, Jane"
    notice = window.notices.label.text()
    assert "Could not save the case" in notice and reason in notice
    assert "still on screen" in notice


def test_recent_files_no_longer_found_are_removed_with_a_notice(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    present, gone = tmp_path / "present.mgcase", tmp_path / "gone.mgcase"
    save_case(example_case(MILD), present)
    window.settings.recent_files = [gone, present]
    window.menus.refresh_recent_menu()
    assert [a.text() for a in window.menus.recent_menu.actions()] == [
        f"&1 present.mgcase  ({tmp_path})"
    ]
    assert open_settings().recent_files == [present]
    assert "gone.mgcase" in window.notices.label.text()
    window.notices.dismiss()
    assert not window.notices.isVisible()

    present.unlink()  # gone between the menu being shown and the click
    window.menus.recent_menu.actions()[0].trigger()
    assert open_settings().recent_files == []
    assert "present.mgcase" in window.notices.label.text()
    window.menus.refresh_recent_menu()
    (empty,) = window.menus.recent_menu.actions()
    assert empty.text() == "No recent cases" and not empty.isEnabled()


def line_text(window: MainWindow, field: str) -> str:
    return window.form_view.line_edits[field].text()


def test_a_pregnancy_answer_for_a_man_in_a_file_is_kept_and_judged_by_the_core(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "man.mgcase"
    save_case(example_case(MILD, patient={"sex": "male", "pregnant": True}), path)
    assert window.files.open_case_file(path)
    row = window.form_view.rows["patient.pregnant"]
    assert "is true for a male patient" in row.error.text()  # as `mgdesk evaluate` says
    assert window.form.is_marked_invalid("patient.pregnant")
    assert window.plan_view.plan is None
    assert not action(window, "Order sheet…").isEnabled()
    picker = window.form_view.pregnant
    assert picker.isEnabled() and picker.currentText() == "Yes, pregnant"
    assert "from the case file" in as_typed(row.note.text())
    assert window.form.document()[0]["patient"]["pregnant"] is True
    assert not window.isWindowModified()
    assert window.files.save_case()  # saved back with the answer
    assert json.loads(path.read_text("utf-8"))["patient"]["pregnant"] is True

    pick(qtbot, window.form_view.sex, "Female")  # the user's change: the answer is now asked
    plan = window.plan_view.plan
    assert plan is not None and plan.status == "out_of_scope"
    pick(qtbot, window.form_view.sex, "Male")  # a man chosen by the user is not asked
    assert not picker.isEnabled()
    assert "pregnant" not in window.form.document()[0]["patient"]
    assert window.plan_view.plan is not None and window.plan_view.plan.status != "out_of_scope"


def test_a_no_pregnancy_answer_for_a_man_in_a_file_is_kept(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "man.mgcase"
    save_case(example_case(MILD, patient={"sex": "male", "pregnant": False}), path)
    assert window.files.open_case_file(path)
    assert window.form.document()[0]["patient"]["pregnant"] is False
    assert window.plan_view.plan is not None


def test_a_pregnancy_answer_past_the_asked_ages_in_a_file_is_kept_and_evaluated(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "woman.mgcase"
    patient = {"sex": "female", "age_years": 70, "pregnant": True}
    save_case(example_case(MILD, patient=patient), path)
    assert window.files.open_case_file(path)
    assert window.form_view.pregnant.isEnabled()
    assert window.form.document()[0]["patient"]["pregnant"] is True
    plan = window.plan_view.plan
    assert plan is not None and plan.status == "out_of_scope"  # out of scope at any age
    assert not action(window, "Order sheet…").isEnabled()


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("clinical", "symptoms", None),
        ("clinical", "oral_route_available", None),
        ("clinical", "digoxin", None),
        ("patient", "weight", ""),
        ("labs", "creatinine_clearance", "  "),
        ("patient", "age_years", ""),
    ],
)
def test_a_value_the_form_cannot_show_is_not_dropped_but_refused(
    window: MainWindow, tmp_path: Path, section: str, field: str, value: object
) -> None:
    """The core refuses these values; an empty editor would silently mean "no value"."""
    assert window.form.load(example_case(MILD)) == []
    before = window.form.document()
    path = tmp_path / "case.mgcase"
    save_case(example_case(MILD, **{section: {field: value}}), path)
    assert not window.files.open_case_file(path)
    assert f"{section}.{field}" in window.notices.label.text()
    assert window.form.document() == before
    assert window.files.case_path is None


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("patient.height", {"patient": {"height": "160 cm"}}),
        ("labs.egfr", {"labs": {"egfr": "25 mL/min/1.73 m2"}}),
        (
            "clinical.magnesium_given",
            {
                "clinical": {
                    "magnesium_given": [
                        {"time": "2026-12-04T08:00Z", "route": "iv", "amount": "2 g"}
                    ]
                }
            },
        ),
    ],
)
def test_a_revision_1_1_field_opens_and_is_saved_back_unchanged(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    changes: dict[str, dict[str, Any]],
) -> None:
    """Protocol 1.1's inputs have their place in the form: a file holding them opens, and
    saving it writes them back as they were (the form fills in only the clinical defaults)."""
    document = example_case(MILD, **changes)
    if field == "clinical.magnesium_given":
        document["assessed_at"] = "2026-12-04T12:00Z"
    path = tmp_path / "case.mgcase"
    save_case(document, path)
    assert window.files.open_case_file(path)
    assert window.plan_view.plan is not None
    assert save_as(window, monkeypatch, tmp_path / "again.mgcase")
    saved = json.loads((tmp_path / "again.mgcase").read_text("utf-8"))
    section, key = field.split(".")
    assert saved[section][key] == document[section][key]
    assert saved.get("assessed_at") == document.get("assessed_at")


def test_a_file_with_nan_for_a_number_opens_with_that_field_named_and_the_rest_kept(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "nan.mgcase"
    text = json.dumps(example_case(MILD, patient={"age_years": 0}))
    path.write_text(text.replace('"age_years": 0', '"age_years": NaN'), encoding="utf-8")
    assert window.files.open_case_file(path)
    assert window.form.is_marked_invalid("patient.age_years")
    assert window.form_view.rows["patient.age_years"].error.text()
    assert line_text(window, "labs.magnesium") == "1.4"
    assert window.plan_view.plan is None
    assert not action(window, "Order sheet…").isEnabled()
