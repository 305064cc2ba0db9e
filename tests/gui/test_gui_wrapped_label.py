"""A word-wrapped label's remembered sizes are always the ones QLabel would measure."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from mgdesk.gui.fonts import scaled_font
from mgdesk.gui.wrapped_label import WrappedLabel

SHORT = "Plan complete"
LONG = "Incomplete: information is missing; stop-level warnings below, and more words to wrap"
WIDTHS = (60, 120, 240, 480)


def heights(label: QLabel) -> list[object]:
    sizes = [label.heightForWidth(width) for width in WIDTHS]
    return [*sizes, label.sizeHint(), label.minimumSizeHint()]


def test_heights_follow_the_text_and_the_font_as_a_qlabel_does(qtbot: QtBot) -> None:
    wrapped, plain = WrappedLabel(SHORT), QLabel(SHORT)
    plain.setWordWrap(True)
    for label in (wrapped, plain):
        qtbot.addWidget(label)
    assert heights(wrapped) == heights(plain)
    short = heights(wrapped)
    for label in (wrapped, plain):
        label.setText(LONG)
    assert heights(wrapped) == heights(plain) != short
    for label in (wrapped, plain):
        label.setText(SHORT)  # a text seen before
    assert heights(wrapped) == heights(plain) == short
    for label in (wrapped, plain):
        label.setText(LONG)
        label.setFont(scaled_font(label.font(), 1.6))
    assert heights(wrapped) == heights(plain)
    for label in (wrapped, plain):
        label.setFont(QLabel().font())  # a font seen before (a note's hint font, say)
    assert heights(wrapped) == heights(plain)
    for label in (wrapped, plain):
        label.setFont(scaled_font(label.font(), 1.6))  # and back
    assert heights(wrapped) == heights(plain)
    for label in (wrapped, plain):
        label.setMargin(10)
    assert heights(wrapped) == heights(plain)
