"""A word-wrapped label that remembers its size hints and its height at each width.

Any edit that relays out a part of the window asks every word-wrapped label in it for its
size hints and its height at its width, and QLabel answers by laying its text out again
each time (at several trial widths for a new text): most of what a relayout costs. These
sizes depend only on the text, the font, the style and the margins, so they are kept for
the texts shown lately (a value typed back shows a text seen before), in each font shown
lately (a form's note turns from an italic hint to an upright error and back), until the
style or the margins change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget

_REMEASURE = {
    QEvent.Type.StyleChange,
    QEvent.Type.ContentsRectChange,
    QEvent.Type.LayoutDirectionChange,
    QEvent.Type.DevicePixelRatioChange,  # moved to a screen of another resolution
}
TEXTS_KEPT = 32


@dataclass
class _Sizes:
    hint: QSize | None = None
    minimum: QSize | None = None
    heights: dict[int, int] = field(default_factory=dict)  # by width


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._sizes: dict[tuple[str, str], _Sizes] = {}  # by font (its key) and text
        self._font_key = self.font().key()
        self.setWordWrap(True)

    def _measured(self) -> _Sizes:
        key = (self._font_key, self.text())
        sizes = self._sizes.get(key)
        if sizes is None:
            if len(self._sizes) >= TEXTS_KEPT:
                self._sizes.clear()
            sizes = self._sizes[key] = _Sizes()
        return sizes

    def heightForWidth(self, width: int) -> int:
        heights = self._measured().heights
        height = heights.get(width)
        if height is None:
            height = heights[width] = super().heightForWidth(width)
        return height

    def sizeHint(self) -> QSize:
        sizes = self._measured()
        if sizes.hint is None:
            sizes.hint = super().sizeHint()
        return QSize(sizes.hint)

    def minimumSizeHint(self) -> QSize:
        sizes = self._measured()
        if sizes.minimum is None:
            sizes.minimum = super().minimumSizeHint()
        return QSize(sizes.minimum)

    def _remeasure(self) -> None:
        self._sizes.clear()

    def setMargin(self, margin: int) -> None:
        self._remeasure()
        super().setMargin(margin)

    def setIndent(self, indent: int) -> None:
        self._remeasure()
        super().setIndent(indent)

    def setTextFormat(self, text_format: Qt.TextFormat) -> None:
        self._remeasure()
        super().setTextFormat(text_format)

    def setWordWrap(self, on: bool) -> None:
        self._remeasure()
        super().setWordWrap(on)

    def setAlignment(self, alignment: Qt.AlignmentFlag) -> None:
        self._remeasure()
        super().setAlignment(alignment)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._font_key = self.font().key()
        elif event.type() in _REMEASURE:
            self._remeasure()
        super().changeEvent(event)
