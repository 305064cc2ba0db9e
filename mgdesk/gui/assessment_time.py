"""The time of this assessment (assessed_at): ISO 8601 with its UTC offset, typed or set to
now by a button. The 48-hour and 4-hour windows of the magnesium given end here; the core
requires it as soon as a dose given is listed, and says so at this field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

EXAMPLE = "2026-12-04T08:30+01:00"


def now_with_offset() -> str:
    """The current local time to the minute, with this computer's UTC offset."""
    return datetime.now().astimezone().isoformat(timespec="minutes")


NOW_SHORTCUT = "Ctrl+Shift+N"


class AssessmentTime(QWidget):
    """A line edit for assessed_at, a Now button, and the core's message about it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel("Time of this assessment")
        self.edit = QLineEdit()
        self.edit.setObjectName("assessed_at")
        self.edit.setAccessibleName("Time of this assessment, with its UTC offset")
        self.edit.setPlaceholderText(f"date and time with offset, e.g. {EXAMPLE}")
        label.setBuddy(self.edit)
        # No Alt letter is left in the window (a test keeps them unique): a shortcut instead.
        self.now_button = QPushButton("Now")
        self.now_button.setShortcut(QKeySequence(NOW_SHORTCUT))
        self.now_button.setAccessibleName("Set the time of this assessment to now")
        self.now_button.setToolTip(
            f"The current local time with this computer's UTC offset ({NOW_SHORTCUT})"
        )
        self.now_button.clicked.connect(self.set_now)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setVisible(False)
        self._error_shown: tuple[str, int] | None = None
        line = QHBoxLayout()
        line.addWidget(self.edit, 1)
        line.addWidget(self.now_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(label)
        layout.addLayout(line)
        layout.addWidget(self.error)
        self.edit.textChanged.connect(self.changed)

    def set_now(self) -> None:
        self.edit.setText(now_with_offset())
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_error(self, message: str, mark: Callable[[QWidget, bool], None]) -> None:
        # This runs on every edit: a tooltip set again is an event, a palette a repaint. A new
        # palette (light to dark) marks the cell again.
        shown = (message, self.palette().cacheKey())
        if shown == self._error_shown:
            return
        self._error_shown = shown
        self.error.setText(f"Time of this assessment {message}" if message else "")
        self.error.setVisible(bool(message))
        self.edit.setToolTip(f"assessed_at: {message}" if message else "")
        self.edit.setAccessibleDescription(message)
        mark(self.edit, bool(message))
