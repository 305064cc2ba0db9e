"""Font sizes relative to the user's own font, whether it is set in points or pixels."""

from __future__ import annotations

from PySide6.QtGui import QFont


def scaled_font(font: QFont, factor: float, bold: bool | None = None) -> QFont:
    result = QFont(font)
    if font.pointSizeF() > 0:
        result.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        result.setPixelSize(max(1, round(font.pixelSize() * factor)))
    if bold is not None:
        result.setBold(bold)
    return result
