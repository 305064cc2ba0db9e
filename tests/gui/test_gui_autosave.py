"""No lost work: unsaved edits are autosaved, a killed session's case is offered at the next
start (never restored without asking), and a save or a clean close leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from gui_support import answering, example_case, make_window, type_text
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from mgdesk import resources
from mgdesk.core.protocol import Protocol
from mgdesk.gui.case_files import LATER, RESTORE
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.unsaved_work import DISCARD, SAVE, UnsavedWork
from mgdesk.records.autosave import Autosave, AutosaveRecord
from mgdesk.records.casefile import save_case

MILD = "mild-oral-1.4-mg-dl.json"
TYPED_NAME = "Typed, Before-The-Kill"
# The real app (app.run), which types into the form once started and then keeps running.
TYPE_AND_WAIT = f"""
import sys
from mgdesk.gui import app
from mgdesk.gui.main_window import MainWindow

finish_startup = MainWindow.finish_startup


def finish_then_type(self, case_path=None):
    opened = finish_startup(self, case_path)
    self.form_view.line_edits["patient.id"].setText("K-42")
    self.form_view.line_edits["patient.name"].setText({TYPED_NAME!r})
    self.form_view.line_edits["labs.magnesium"].setText("1,4")
    return opened


MainWindow.finish_startup = finish_then_type
sys.exit(app.run(sys.argv[1:]))
"""


def autosaves(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "autosave").glob("autosave-*.json"))


def autosaved_names(data_dir: Path) -> list[str]:
    return [json.loads(p.read_text("utf-8"))["patient"]["name"] for p in autosaves(data_dir)]


def leave_autosave(
    data_dir: Path, document: dict[str, Any], saved_at: str | None = None, **patient: str
) -> None:
    """What a session that died with unsaved edits leaves behind (its lock is dropped)."""
    session = Autosave(data_dir / "autosave")
    session.write(document, patient_id=patient.get("id"), patient_name=patient.get("name"))
    session._lock.release()
    if saved_at is not None:
        record = json.loads(session.path.read_text("utf-8"))
        record["saved_at_utc"] = saved_at
        session.path.write_text(json.dumps(record), encoding="utf-8")


@pytest.mark.slow
def test_a_killed_session_is_offered_at_the_next_start_and_restored(
    qtbot: QtBot, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = subprocess.Popen(
        [sys.executable, "-c", TYPE_AND_WAIT, str(tmp_path / "missing-is-fine.mgcase")],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while TYPED_NAME not in autosaved_names(data_dir):  # the app's own 3 s autosave timer
            assert running.poll() is None, running.communicate()[1]
            assert time.monotonic() < deadline, "no autosave within 30 s"
            time.sleep(0.1)
    finally:
        running.kill()  # SIGKILL: no clean-up of any kind
        running.communicate()

    window = make_window(qtbot, None)
    assert window.finish_startup()
    asked: list[Any] = []
    monkeypatch.setattr(window.files, "ask_restore", answering(RESTORE, asked))
    window.files.offer_autosaved_work()
    ((record,),) = asked
    assert isinstance(record, AutosaveRecord)
    assert (record.patient_id, record.patient_name) == ("K-42", TYPED_NAME)
    assert window.form_view.line_edits["patient.name"].text() == TYPED_NAME
    assert window.form_view.line_edits["labs.magnesium"].text() == "1,4"  # as typed
    assert window.isWindowModified()
    assert not record.file.exists()  # taken over by this window's own autosave
    assert autosaved_names(data_dir) == [TYPED_NAME]

    # Saved, nothing is left to restore; the next start asks nothing.
    monkeypatch.setattr(window.files, "ask_case_path_to_save", lambda suggested: tmp_path / "k42")
    assert window.files.save_case()
    assert autosaves(data_dir) == []
    again = make_window(qtbot, None)
    monkeypatch.setattr(again.files, "ask_restore", answering(RESTORE, asked := []))
    again.files.offer_autosaved_work()
    assert asked == []


@pytest.mark.slow
def test_edits_are_autosaved_after_a_pause_and_the_autosave_goes_on_save(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, data_dir: Path
) -> None:
    type_text(qtbot, window, "patient.name", "Doe, Jane")
    assert autosaves(data_dir) == []  # not at every keystroke
    qtbot.waitUntil(lambda: autosaved_names(data_dir) == ["Doe, Jane"], timeout=6000)
    assert window.files.save_case_file(tmp_path / "doe.mgcase")
    assert autosaves(data_dir) == []


@pytest.mark.slow
def test_steady_typing_is_autosaved_at_least_every_longest_interval(
    qtbot: QtBot, protocol: Protocol, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(UnsavedWork, "PAUSE_MS", 300)
    monkeypatch.setattr(UnsavedWork, "LONGEST_MS", 600)
    window = make_window(qtbot, protocol)
    edit = window.form_view.line_edits["patient.name"]
    started = time.monotonic()
    while not autosaves(data_dir):  # an edit every 100 ms: the pause never comes
        assert time.monotonic() - started < 2, "no autosave while the typing went on"
        edit.setText(f"Doe {time.monotonic()}")
        qtbot.wait(100)
    assert time.monotonic() - started >= 0.5


def test_undoing_every_edit_removes_the_autosave(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    type_text(qtbot, window, "patient.name", "Doe, Jane")
    window.files.unsaved.write_now()
    assert autosaves(data_dir)
    type_text(qtbot, window, "patient.name", "")
    assert not window.isWindowModified() and autosaves(data_dir) == []


def test_a_restored_case_keeps_its_file_and_is_saved_there(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "doe.mgcase"
    save_case(example_case(MILD), path)
    edited = example_case(MILD, patient={"allergies": "latex"})
    session = Autosave(data_dir / "autosave")
    session.write(edited, patient_id="DEMO-0001", patient_name="Example, Mild", source_path=path)
    session._lock.release()
    record = window.files.unsaved.autosave.pending()
    assert record is not None and window.files.restore_autosave(record)
    assert window.files.case_path == path and window.isWindowModified()
    assert window.windowTitle().startswith("doe.mgcase[*]")
    assert window.files.save_case()
    assert "latex" in path.read_text("utf-8") and autosaves(data_dir) == []


def test_discarding_offers_the_next_older_and_later_leaves_it(
    qtbot: QtBot, window: MainWindow, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leave_autosave(data_dir, example_case(MILD), "2026-01-01T08:00:00Z", name="Older, Case")
    leave_autosave(data_dir, example_case(MILD), "2026-01-01T09:00:00Z", name="Newer, Case")
    answers = iter([DISCARD, LATER])
    asked: list[str | None] = []

    def ask(record: AutosaveRecord, answer: Any) -> None:
        asked.append(record.patient_name)
        answer(next(answers))

    monkeypatch.setattr(window.files, "ask_restore", ask)
    window.files.offer_autosaved_work()
    assert asked == ["Newer, Case", "Older, Case"]
    assert autosaved_names(data_dir) == ["Older, Case"]  # decided later: still there
    assert window.form_view.line_edits["patient.name"].text() == ""  # nothing restored


def test_the_restore_question_says_whose_case_and_when(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    leave_autosave(data_dir, example_case(MILD), id="A-1001", name="Doe, Jane")
    record = window.files.unsaved.autosave.pending()
    assert record is not None
    answers: list[str] = []
    window.files.ask_restore(record, answers.append)  # window-modal, not blocking
    (box,) = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    details = box.informativeText()
    for expected in ("Doe, Jane", "A-1001", record.saved_at_local.replace("T", " ")):
        assert expected in details
    buttons = {b.text(): b for b in box.buttons()}
    assert sorted(buttons) == ["Decide later", "Discard", "Restore"]
    assert box.defaultButton() is buttons["Restore"]
    buttons["Decide later"].click()
    assert answers == [LATER]


def test_the_restore_question_never_shows_a_reordered_name_and_isolates_a_right_to_left_id(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    leave_autosave(data_dir, example_case(MILD), id="ملف-77", name="Smith, John \u202e")
    record = window.files.unsaved.autosave.pending()
    assert record is not None
    answers: list[str] = []
    window.files.ask_restore(record, answers.append)
    (box,) = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    details = box.informativeText()
    assert "\u202e" not in details and "not shown: it holds invisible" in details
    assert "\u2068ملف-77\u2069" in details
    {b.text(): b for b in box.buttons()}["Decide later"].click()
    assert answers == [LATER]


def test_the_unsaved_changes_question_answers_with_the_button_clicked(
    qtbot: QtBot, window: MainWindow
) -> None:
    type_text(qtbot, window, "patient.name", "Doe, Jane")
    answers: list[str] = []
    window.files.ask_unsaved_changes(answers.append)
    (box,) = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert "not saved" in box.text()
    box.button(QMessageBox.StandardButton.Save).click()
    assert answers == [SAVE]


@pytest.mark.slow
def test_the_smoke_start_never_asks(data_dir: Path) -> None:
    """--exit-after-startup with a case (the whole start-up) must not wait for an answer."""
    leave_autosave(data_dir, example_case(MILD), name="Doe, Jane")
    case = files(resources).joinpath("examples", MILD)
    result = subprocess.run(
        [sys.executable, "-m", "mgdesk", "--exit-after-startup", str(case)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert autosaved_names(data_dir) == ["Doe, Jane"]
