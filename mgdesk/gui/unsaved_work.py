"""No lost work: whether the case on screen differs from its file, and its autosave meanwhile.

The case counts as changed when the form's document differs from the one last opened,
saved or started (typing a value back as it was is no change). While it is changed,
it is autosaved a few seconds after the edits pause, and at least every half minute
while they go on; once it is saved, discarded or closed the autosave goes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from mgdesk.records.autosave import Autosave, AutosaveError

# The answers to "save the unsaved changes?".
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"

# The form's case document and the file it belongs to (None before it is first saved).
CurrentCase = Callable[[], tuple[dict[str, Any], Path | None]]


class UnsavedWork(QObject):
    modified = Signal(bool)  # whether the case now differs from its file
    problem = Signal(str)  # an autosave that could not be written or removed

    PAUSE_MS = 3000  # after the last edit
    LONGEST_MS = 30000  # after the first edit not yet autosaved, however fast the typing

    def __init__(self, autosave: Autosave, current: CurrentCase, parent: QObject) -> None:
        super().__init__(parent)
        self.autosave = autosave
        self._current = current
        self._saved: Mapping[str, Any] | None = current()[0]
        self._written = False
        self._pause = _single_shot(self, self.PAUSE_MS, self.write_now)
        self._longest = _single_shot(self, self.LONGEST_MS, self.write_now)

    def is_modified(self) -> bool:
        return self._current()[0] != self._saved

    def edited(self) -> None:
        """After each edit: autosave soon if the case is now changed, else drop the autosave."""
        modified = self.is_modified()
        if modified:
            self._pause.start()
            if not self._longest.isActive():
                self._longest.start()
        else:
            self._settled()
        self.modified.emit(modified)

    def saved_as(self, document: Mapping[str, Any]) -> None:
        """The case is now the one in its file (opened, saved, or a new empty one)."""
        self._saved = document
        self._settled()
        self.modified.emit(False)

    def mark_unsaved(self) -> None:
        """The case on screen is in no file as it stands (an autosave just restored)."""
        self._saved = None
        self.write_now()
        self.modified.emit(True)

    def write_now(self) -> None:
        self._pause.stop()
        self._longest.stop()
        if not self.is_modified():
            return
        document, source = self._current()
        patient = document.get("patient", {})
        try:
            self.autosave.write(
                document,
                patient_id=_text(patient.get("id")),
                patient_name=_text(patient.get("name")),
                source_path=source,
            )
        except AutosaveError as exc:
            self.problem.emit(exc.message)
            return
        self._written = True

    def close(self) -> None:
        """The window closes with its changes saved or discarded: nothing is left to restore."""
        self._pause.stop()
        self._longest.stop()
        try:
            self.autosave.close()
        except AutosaveError as exc:
            self.problem.emit(exc.message)

    def _settled(self) -> None:
        self._pause.stop()
        self._longest.stop()
        if not self._written:
            return
        try:
            self.autosave.discard()
        except AutosaveError as exc:
            self.problem.emit(exc.message)
            return
        self._written = False


def _single_shot(parent: QObject, interval_ms: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def ask_save_discard_cancel(parent: QWidget, name: str, answer: Callable[[str], None]) -> None:
    """Save, Discard or Cancel the unsaved changes to name; answer(SAVE | DISCARD | CANCEL).
    Window-modal without blocking: the answer comes through the callback."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Unsaved changes",
        f"The changes to {name} are not saved.",
        buttons.Save | buttons.Discard | buttons.Cancel,
        parent,
    )
    box.setInformativeText("Save them first, or discard them?")
    box.setDefaultButton(buttons.Save)
    choices = {buttons.Save: SAVE, buttons.Discard: DISCARD}
    box.finished.connect(
        lambda _: answer(choices.get(box.standardButton(box.clickedButton()), CANCEL))
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
