"""The case's file: new, open, save, the recent cases, unsaved changes and the autosave.

The main window holds one CaseFiles (window.files). The case on screen belongs to a
file (or to none yet). Edits mark the window modified and are autosaved; New, Open and
closing ask first what to do with unsaved changes. Each question and file dialog goes
through one small method (ask_*), so tests replace it; the questions are window-modal
without blocking (open(), an answer callback).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QMessageBox

from mgdesk.core.text import isolated, printable_text_problem
from mgdesk.gui.unsaved_work import (
    DISCARD,
    SAVE,
    UnsavedWork,
    ask_save_discard_cancel,
)
from mgdesk.records.autosave import Autosave, AutosaveError, default_autosave_folder
from mgdesk.records.casefile import CaseFileError, open_case, save_case

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgdesk.gui.main_window import MainWindow
    from mgdesk.records.autosave import AutosaveRecord

CASE_FILES = "mgdesk cases (*.mgcase *.json);;All files (*)"
CASE_SUFFIX = ".mgcase"
# The answers to "restore the autosaved case?" (and, from unsaved_work, "save the changes?").
RESTORE, LATER = "restore", "later"


class CaseFiles:
    """Which file the window's case belongs to, and whether its changes are saved."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.case_path: Path | None = None
        self.unsaved = UnsavedWork(
            Autosave(default_autosave_folder()),
            lambda: (window.form.document()[0], self.case_path),
            window,
        )
        self.unsaved.modified.connect(window.setWindowModified)
        self.unsaved.problem.connect(window.notices.show_notice)

    def new_case(self) -> None:
        """An empty case in no file (unsaved changes are dropped: ask first, see the menu)."""
        self.case_path = None
        self.window.form.clear()
        self.unsaved.saved_as(self.window.form.document()[0])
        self.window.update_title()
        self.window.statusBar().showMessage("New case")

    def choose_case_to_open(self) -> None:
        path = self.ask_case_path_to_open()
        if path is not None:
            self.open_case_file(path)

    def open_case_file(self, path: Path) -> bool:
        """Show the case (or draft) in a file; if it cannot, the form stays and the notice
        says why."""
        try:
            problems = self.window.form.load(open_case(path))
            message = f"Could not open {path}: " + "; ".join(problems) + "."
        except CaseFileError as refused:
            problems, message = [refused.message], refused.message
        if problems:
            self.window.notices.show_notice(f"{message} The case on screen is unchanged.")
            self.window.statusBar().showMessage(message)
            return False
        self.case_path = path
        self.unsaved.saved_as(self.window.form.document()[0])
        self._file_used(path)
        self.window.statusBar().showMessage(f"Opened {path}")
        return True

    def open_recent_file(self, path: Path) -> None:
        if not path.is_file():
            self.forget_missing([path])
            return
        self.settle_unsaved_changes(lambda: self.open_case_file(path))

    def save_case(self) -> bool:
        """Save to the case's file, or ask where if it has none yet."""
        if self.case_path is None:
            return self.save_case_as()
        return self.save_case_file(self.case_path)

    def save_case_as(self) -> bool:
        path = self.ask_case_path_to_save(self.case_path or Path("case" + CASE_SUFFIX))
        if path is None:
            return False
        return self.save_case_file(path if path.suffix else path.with_suffix(CASE_SUFFIX))

    def save_case_file(self, path: Path) -> bool:
        """Save the form's case as it stands, valid or not (a draft): nothing typed is lost."""
        document, _ = self.window.form.document()
        try:
            save_case(document, path)
        except CaseFileError as refused:
            self.window.notices.show_notice(
                f"{refused.message} The case is still on screen, unsaved."
            )
            self.window.statusBar().showMessage(refused.message)
            return False
        self.case_path = path
        self.unsaved.saved_as(document)
        self._file_used(path)
        self.window.statusBar().showMessage(f"Saved {path}")
        return True

    def _file_used(self, path: Path) -> None:
        self.window.settings.add_recent_file(path.resolve())
        self.window.settings.sync()
        self.window.update_title()

    def forget_missing(self, paths: list[Path]) -> None:
        if not paths:
            return
        self.window.settings.remove_recent_files(paths)
        self.window.settings.sync()
        names = ", ".join(str(p) for p in paths)
        self.window.notices.show_notice(
            f"Removed from the recent cases, as no longer found: {names}."
        )

    # -- unsaved changes and the autosave ------------------------------------------------

    def settle_unsaved_changes(self, then: Callable[[], object]) -> None:
        """Run then() once unsaved changes are saved or discarded; not if the user cancels."""
        if not self.unsaved.is_modified():
            then()
            return

        def answered(choice: str) -> None:
            if choice == DISCARD or (choice == SAVE and self.save_case()):
                then()

        self.ask_unsaved_changes(answered)

    def offer_autosaved_work(self) -> None:
        """At start: offer the newest case a crashed session left unsaved; never restore it
        without asking. Discarding it offers the next older one."""
        record = self.unsaved.autosave.pending()
        if record is None:
            return

        def answered(choice: str) -> None:
            if choice == RESTORE:
                self.settle_unsaved_changes(lambda: self.restore_autosave(record))
            elif choice == DISCARD:
                try:
                    self.unsaved.autosave.discard(record)
                except AutosaveError as exc:
                    self.window.notices.show_notice(exc.message)
                    return
                self.offer_autosaved_work()

        self.ask_restore(record, answered)

    def restore_autosave(self, record: AutosaveRecord) -> bool:
        """Show an autosaved case as unsaved work of this window (its file, if it had one)."""
        problems = self.window.form.load(record.document)
        if problems:
            self.window.notices.show_notice(
                f"The autosave {record.file} cannot be shown ({'; '.join(problems)}); "
                "it is left where it is."
            )
            return False
        try:  # the record becomes this session's autosave only once it is on screen
            self.unsaved.autosave.restore(record)
        except AutosaveError as exc:
            self.window.notices.show_notice(exc.message)
        self.case_path = record.source_path
        self.unsaved.mark_unsaved()
        self.window.update_title()
        self.window.statusBar().showMessage(f"Restored: {record.describe()}")
        return True

    # -- questions and dialogs (window-modal, never a blocking exec; tests replace ask_*) --

    def ask_case_path_to_open(self) -> Path | None:
        start = str(self.case_path.parent) if self.case_path else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open case", start, CASE_FILES)
        return Path(path) if path else None

    def ask_case_path_to_save(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save case as", str(suggested), CASE_FILES
        )
        return Path(path) if path else None

    def ask_unsaved_changes(self, answer: Callable[[str], None]) -> None:
        """Save, Discard or Cancel the unsaved changes; answer(SAVE | DISCARD | CANCEL)."""
        name = self.case_path.name if self.case_path else "this new case"
        ask_save_discard_cancel(self.window, name, answer)

    def ask_restore(self, record: AutosaveRecord, answer: Callable[[str], None]) -> None:
        """Restore, Discard or Decide later about an autosaved case; answer(RESTORE | DISCARD
        | LATER). Shows whose case it is and when it was saved."""
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Restore unsaved work?")
        box.setText("mgdesk stopped before this case was saved. Restore it?")
        details = [
            ("Patient", _shown_text(record.patient_name, "no name entered")),
            ("Patient ID", _shown_text(record.patient_id, "no ID entered")),
            ("Autosaved", record.saved_at_local.replace("T", " ")),
        ]
        if record.source_path is not None:
            details.append(("Case file", str(record.source_path)))
        box.setInformativeText(
            "<table>"
            + "".join(
                f"<tr><td>{label}:&nbsp;</td><td><b>{html.escape(value)}</b></td></tr>"
                for label, value in details
            )
            + "</table>"
        )
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        later = box.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.setEscapeButton(later)
        choices: dict[QAbstractButton, str] = {restore: RESTORE, discard: DISCARD}
        box.finished.connect(lambda _: answer(choices.get(box.clickedButton(), LATER)))
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def _shown_text(typed: str | None, missing: str) -> str:
    """Typed text as the question shows it: isolated if right-to-left, and never with the
    invisible characters that would reorder it (the form shows what is wrong with it)."""
    if not typed:
        return missing
    if printable_text_problem(typed) is not None:
        return "not shown: it holds invisible or control characters"
    return isolated(typed)
