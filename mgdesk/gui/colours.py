"""Colours for warning levels and magnesium bands that read well on light and dark palettes.

Text always uses the palette's own text colours; these are only the tinted backgrounds
and accents, chosen per palette so that the palette's text keeps its contrast on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette


@dataclass(frozen=True)
class Tint:
    background: QColor
    accent: QColor


# (light palette, dark palette) for each level; accents are for bold words and borders.
_LEVELS = {
    "stop": (("#fde2df", "#b3261e"), ("#5a1d1a", "#ff8a80")),
    "caution": (("#fff1c9", "#7a4f00"), ("#4a3a0a", "#ffd36e")),
    "info": (("#e4ecf7", "#1f4f8a"), ("#1d2d42", "#9cc3ff")),
}
_BANDS = {
    "severe": ("#e0655a", "#b23b33"),
    "mild": ("#f2b84b", "#a87416"),
    "normal": ("#6cbf7a", "#3b8a4a"),
    "high": ("#8aa6e6", "#4b68ad"),
}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def level_tint(palette: QPalette, level: str) -> Tint:
    light, dark = _LEVELS.get(level, _LEVELS["info"])
    background, accent = dark if is_dark(palette) else light
    return Tint(QColor(background), QColor(accent))


def band_colour(palette: QPalette, band: str) -> QColor:
    light, dark = _BANDS[band]
    return QColor(dark if is_dark(palette) else light)


def invalid_colour(palette: QPalette) -> QColor:
    return level_tint(palette, "stop").accent


def relative_luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast_ratio(first: QColor, second: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21; 4.5 is enough for body text)."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_text_on(palette: QPalette, background: QColor) -> QColor:
    """Of the palette's text and base colours, the one that reads better on background."""
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    return text if contrast_ratio(text, background) >= contrast_ratio(base, background) else base
