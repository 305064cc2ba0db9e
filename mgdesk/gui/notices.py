"""A bar above the window's parts for what the user must be told but need not answer.

Files that could not be opened or saved, an autosave that failed, an audit log that
could not take an entry, damaged settings: each is a line here until dismissed, so
nothing interrupts the work with a message box and nothing goes unseen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class NoticeBar(QFrame):
    """Lines of notices, newest last, each shown once, all dismissed together."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Notices")
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setAccessibleName("Dismiss the notices")
        self.dismiss_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self.notices: list[str] = []
        self.setVisible(False)  # the window tints it (MainWindow._tint_banners)

    def show_notice(self, text: str) -> None:
        if text in self.notices:
            return
        self.notices.append(text)
        self.label.setText("\n".join(self.notices))
        self.setVisible(True)

    def dismiss(self) -> None:
        self.notices.clear()
        self.label.clear()
        self.setVisible(False)
