"""The plan as the core returned it: status, band gauge, warnings, orders, monitoring.

Stop warnings come first and in their own colour; orders keep the core's sequence
(primary before alternatives); nothing here re-decides or re-orders the plan itself.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QTextBrowser, QVBoxLayout, QWidget

from mgdesk.document.line_breaks import quantities_unbroken
from mgdesk.gui import labels
from mgdesk.gui.colours import band_colour, level_tint, readable_text_on
from mgdesk.gui.fonts import scaled_font
from mgdesk.gui.plan_estimates import estimates_html
from mgdesk.gui.wrapped_label import WrappedLabel

Shown = Callable[[str], str]  # a core text as the window shows it (its decimal separator)

if TYPE_CHECKING:
    from mgdesk.core.errors import FieldError
    from mgdesk.core.plan import Order, Plan, PlanWarning
    from mgdesk.gui.assessment import Assessment, Bands
    from mgdesk.gui.locale_numbers import LocaleNumbers

BAND_ORDER = ("severe", "mild", "normal", "high")
FIELD_LINK = "field:"


class BandGauge(QWidget):
    """A bar of the protocol's magnesium bands with the patient's level marked on it."""

    def __init__(self, shown: Shown, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown = shown
        self.bands: Bands | None = None
        self._thresholds = ("", "", "")  # computed once per protocol: every paint draws them
        self.value: Fraction | None = None
        self.value_text = ""
        self.band: str | None = None
        self.setAccessibleName("Magnesium band gauge")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(180)

    def sizeHint(self) -> QSize:
        return QSize(360, self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(180, self._height())

    def _height(self) -> int:
        return self.fontMetrics().height() * 2 + 40

    def set_bands(self, bands: Bands) -> None:
        self.bands = bands
        self._thresholds = (
            self.shown(_threshold_text(bands.severe_below)),
            self.shown(_threshold_text(bands.normal_from)),
            self.shown(_threshold_text(bands.high_above)),
        )
        self._describe()
        self.update()

    def threshold_labels(self) -> tuple[str, str, str]:
        """The labels under the bar's three thresholds, in mg/dL: each the exact threshold,
        shortened only where that does not change it (a reading at a label lands in the band
        the label starts)."""
        assert self.bands is not None
        return self._thresholds

    def set_value(self, mg_dl: Fraction | None, text: str, band: str | None) -> None:
        text = self.shown(text)
        if (mg_dl, text) == (self.value, self.value_text):
            return
        self.value, self.value_text = mg_dl, text
        self.band = band
        self._describe()
        self.update()

    def _describe(self) -> None:
        level = (
            f"{self.value_text}: {labels.label(labels.SEVERITY_LABELS, self.band)}"
            if self.band and self.value_text
            else "no magnesium level"
        )
        if self.bands is not None:
            severe, normal, high = self.threshold_labels()
            level += f"; severe below {severe}, normal from {normal}, high above {high} mg/dL"
        self.setAccessibleDescription(level)

    def _scale_max(self) -> float:
        assert self.bands is not None
        return float(self.bands.high_above) * 1.5

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.bands is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        metrics = self.fontMetrics()
        line = metrics.height()
        left, right = 4.0, float(self.width() - 4)
        bar_top, bar_height = float(line + 14), 16.0
        top_value = self._scale_max()

        def x_of(mg_dl: float) -> float:
            return left + (right - left) * min(max(mg_dl / top_value, 0.0), 1.0)

        edges = [
            0.0,
            float(self.bands.severe_below),
            float(self.bands.normal_from),
            float(self.bands.high_above),
            top_value,
        ]
        small = scaled_font(self.font(), 0.85)
        marker = x_of(float(self.value)) if self.value is not None else None
        for band, start, end in zip(BAND_ORDER, edges, edges[1:], strict=False):
            rect = QRectF(x_of(start), bar_top, x_of(end) - x_of(start), bar_height)
            fill = band_colour(palette, band)
            painter.fillRect(rect, fill)
            painter.setPen(readable_text_on(palette, fill))
            painter.setFont(small)
            place = _label_place(rect, painter.fontMetrics().horizontalAdvance(band), marker)
            if place is not None:
                painter.drawText(place, Qt.AlignmentFlag.AlignCenter, band)
        painter.setFont(self.font())
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        for threshold, text in zip(edges[1:4], self.threshold_labels(), strict=True):
            x = x_of(threshold)
            painter.drawLine(QPointF(x, bar_top), QPointF(x, bar_top + bar_height + 3))
            width = metrics.horizontalAdvance(text)
            painter.drawText(
                QPointF(x - width / 2, bar_top + bar_height + 3 + metrics.ascent()), text
            )
        unit_text = "mg/dL"
        painter.drawText(
            QPointF(
                right - metrics.horizontalAdvance(unit_text),
                bar_top + bar_height + 3 + metrics.ascent(),
            ),
            unit_text,
        )
        if self.value is not None:
            x = x_of(float(self.value))
            pen = QPen(palette.color(QPalette.ColorRole.WindowText), 2)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, bar_top - 2), QPointF(x, bar_top + bar_height + 2))
            painter.setBrush(palette.color(QPalette.ColorRole.WindowText))
            painter.drawPolygon(
                QPolygonF(
                    [
                        QPointF(x - 5, bar_top - 9),
                        QPointF(x + 5, bar_top - 9),
                        QPointF(x, bar_top - 2),
                    ]
                )
            )
            width = metrics.horizontalAdvance(self.value_text)
            text_x = max(min(x - width / 2, right - width), left)
            painter.drawText(QPointF(text_x, metrics.ascent()), self.value_text)
        painter.end()


class PlanView(QWidget):
    """Status and severity, the band gauge, then the plan's warnings, orders and monitoring."""

    field_requested = Signal(str)

    def __init__(self, numbers: LocaleNumbers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown = numbers.shown
        layout = QVBoxLayout(self)
        self.status = WrappedLabel("Loading the protocol…")
        self.status.setAccessibleName("Plan status")
        self.status.setFont(scaled_font(self.status.font(), 1.3, bold=True))
        self.severity = WrappedLabel()
        self.severity.setAccessibleName("Severity")
        # One line even while empty, so the plan below does not move when a plan appears.
        self.severity.setMinimumHeight(self.severity.fontMetrics().lineSpacing())
        self.gauge = BandGauge(numbers.shown, self)
        self.details = QTextBrowser(self)
        self.details.setAccessibleName("Plan: warnings, orders and monitoring")
        self.details.setOpenLinks(False)
        # Always there: a scroll bar that comes and goes would lay the plan out twice.
        self.details.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.details.anchorClicked.connect(self._link)
        for widget in (self.status, self.severity, self.gauge):
            layout.addWidget(widget)
        layout.addWidget(self.details, 1)
        self._assessment: Assessment | None = None
        self._html_shown = ""
        self.plan: Plan | None = None

    def set_bands(self, bands: Bands) -> None:
        self.gauge.set_bands(bands)

    def show_assessment(self, assessment: Assessment | None) -> None:
        """Show the plan, or why there is none; never a plan left over from an earlier input."""
        self._assessment = assessment
        self.plan = assessment.plan if assessment else None
        self._render()

    def refresh(self) -> None:
        """Render again, for a new palette."""
        self._render()

    def _render(self) -> None:
        assessment, plan, palette = self._assessment, self.plan, self.palette()
        if plan is None:
            self.severity.setText("")
            self.gauge.set_value(None, "", None)
            if assessment is None:
                self.status.setText("Loading the protocol…")
                self._show_html("")
            elif assessment.withheld:
                self.status.setText("No plan: withheld")
                self._show_html(_withheld_html(assessment.withheld, palette, self.shown))
            else:
                self.status.setText("No plan yet")
                self._show_html(_errors_html(assessment.errors, self.shown))
            return
        self.status.setText(labels.plan_headline(plan))
        self.severity.setText(
            labels.SEVERITY_LABELS.get(plan.severity or "", "No magnesium level given")
        )
        level = plan.magnesium
        mg_dl = (
            next((number for unit, number in level.shown if unit == "mg/dL"), "") if level else ""
        )
        text = f"{mg_dl} mg/dL" if level else ""
        self.gauge.set_value(level.mg_dl if level else None, text, plan.severity)
        self._show_html(plan_html(plan, palette, self.shown))

    def _show_html(self, text: str) -> None:
        # Laying out rich text is the costly part of an edit; skip it when nothing changed.
        if text != self._html_shown:
            self._html_shown = text
            self.details.setHtml(text)

    def _link(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith(FIELD_LINK):
            self.field_requested.emit(text.removeprefix(FIELD_LINK))


def plan_html(plan: Plan, palette: QPalette, shown: Shown = str) -> str:
    """The plan's body as rich text: stop warnings, orders, other warnings, monitoring;
    every text of the core's through shown (the locale's decimal separator)."""

    def e(text: str) -> str:
        return _e(shown(text))

    parts: list[str] = []
    if plan.missing:
        items = "".join(
            f'<li><a href="{FIELD_LINK}{html.escape(m.field)}">{e(m.message)}</a></li>'
            for m in plan.missing
        )
        parts.append(
            _box(
                palette,
                "caution",
                f"<b>Needed before routine treatment can be decided:</b><ul>{items}</ul>",
            )
        )
    parts += [_warning(palette, w, shown) for w in plan.stop_warnings]
    parts.append("<h3>Orders</h3>")
    parts.append(_orders(plan.orders, shown) if plan.orders else "<p>No orders.</p>")
    # The estimates the orders rest on follow them: the decision comes first on a small screen.
    parts.append(estimates_html(plan, shown))
    others = [w for w in plan.warnings_by_level() if w.level != "stop"]
    if others:
        parts.append("<h3>Cautions and notes</h3>")
        parts += [_warning(palette, w, shown) for w in others]
    parts.append("<h3>Monitoring</h3>")
    if plan.monitoring:
        parts.append("<ul>" + "".join(f"<li>{e(m.text)}</li>" for m in plan.monitoring) + "</ul>")
    else:
        parts.append("<p>None.</p>")
    approval = (
        "approved by this site"
        if plan.protocol.get("site_approved")
        else "not approved by this site"
    )
    parts.append(
        f"<p><small>Protocol {_e(str(plan.protocol.get('id')))} version "
        f"{_e(str(plan.protocol.get('version')))}, {approval}. Decision support only: "
        "the prescriber reviews every order and stays responsible for it.</small></p>"
    )
    return "".join(parts)


def _orders(orders: Sequence[Order], shown: Shown) -> str:
    rows = []
    for number, order in enumerate(orders, 1):
        tags = []
        if order.emergency:
            tags.append("EMERGENCY")
        if order.role != "primary":
            tags.append(labels.label(labels.ROLE_LABELS, order.role).upper())
        tag_text = f" <b>[{' · '.join(tags)}]</b>" if tags else ""
        indent = ' style="margin-left:18px"' if order.role != "primary" else ""
        rows.append(
            f"<p{indent}><b>{number}. {_e(shown(order.title))}</b>{tag_text}<br>"
            f"{_e(shown(order.text))}"
            + "".join(f"<br><i>{_e(shown(line))}</i>" for line in order.asides())
            + "</p>"
        )
    return "".join(rows)


def _warning(palette: QPalette, warning: PlanWarning, shown: Shown) -> str:
    tint = level_tint(palette, warning.level)
    word = labels.label(labels.LEVEL_LABELS, warning.level)
    return _box(
        palette,
        warning.level,
        f'<span style="color:{tint.accent.name()}"><b>{_e(word)}:</b></span> '
        f"{_e(shown(warning.text))}",
    )


def _box(palette: QPalette, level: str, inner: str) -> str:
    tint = level_tint(palette, level)
    text = palette.color(QPalette.ColorRole.Text).name()
    return (
        f'<table width="100%" cellspacing="0" cellpadding="6" style="margin-bottom:4px" '
        f'bgcolor="{tint.background.name()}"><tr><td style="color:{text}">{inner}</td></tr></table>'
    )


def _errors_html(errors: Iterable[FieldError], shown: Shown) -> str:
    items = "".join(
        f'<li><a href="{FIELD_LINK}{html.escape(e.field)}">{_e(labels.field_name(e.field))}</a>: '
        f"{_e(shown(e.message))}</li>"
        for e in errors
    )
    return (
        "<p>A plan is shown once every entry is complete and valid. Still needed or to correct:</p>"
        f"<ul>{items}</ul>"
    )


def _withheld_html(violations: Iterable[str], palette: QPalette, shown: Shown) -> str:
    items = "".join(f"<li>{_e(shown(v))}</li>" for v in violations)
    return _box(
        palette,
        "stop",
        f"<b>No plan is shown for this case, because:</b><ul>{items}</ul>"
        "Report this case to the maintainers of mgdesk.",
    )


def _e(text: str) -> str:
    """text escaped for the plan's rich text, no line break inside a quantity ("mg/" "min")."""
    return quantities_unbroken(html.escape(text, quote=True))


def _label_place(band: QRectF, text_width: float, marker: float | None) -> QRectF | None:
    """Where a band's name fits in its band clear of the level's marker, or None."""
    needed = text_width + 6
    if needed > band.width():
        return None
    centred = QRectF(band.center().x() - needed / 2, band.y(), needed, band.height())
    if marker is None or not centred.left() - 2 <= marker <= centred.right() + 2:
        return centred
    for left in (marker - 3 - needed, marker + 3):  # beside the marker, then the other side
        if band.left() <= left and left + needed <= band.right():
            return QRectF(left, band.y(), needed, band.height())
    return None


def _threshold_text(threshold: Fraction) -> str:
    from mgdesk.core.formatting import preserving

    return preserving(threshold, lambda shown: shown == threshold)


def emergency_html(assessment: Assessment) -> str | None:
    """The emergency banner: for torsades or a severe symptom, the orders to give now, or why
    there are none; for a case that is not valid, also that the rest of the plan waits."""
    plan, case, emergency = assessment.plan, assessment.case, assessment.emergency
    if plan is not None and case is not None:
        clinical = case.clinical
        subject = _emergency_subject(clinical.torsades, clinical.severe_symptoms)
        # Without torsades, the plan itself says why a severe symptom gets no loading dose.
        reasons = plan.stop_warnings if clinical.torsades != "none" else ()
        return _give_now(subject, plan.immediate_orders, reasons) if subject else None
    if emergency is not None:
        subject = _emergency_subject(emergency.torsades, emergency.severe_symptoms)
        body = subject and _give_now(
            subject, emergency.orders, emergency.warnings, with_warnings=True
        )
        return f"{body}<br><i>{_e(REST_WAITS)}</i>" if body else None
    from mgdesk.core.emergency import asked_emergency

    subject = _emergency_subject(*asked_emergency(assessment.document))
    if subject is None:
        return None
    if assessment.withheld:
        return f"<b>{_e(subject)}:</b> no plan can be shown for this case (the plan says why)."
    entries = dict.fromkeys(
        labels.FIELD_LABELS.get(labels.field_of(e.field), e.field)
        for e in assessment.emergency_blockers
    )
    what = f": {', '.join(entries)}" if entries else ""
    return (
        f"<b>{_e(subject)}:</b> no dose is shown until the marked entries it depends on are "
        f"corrected{_e(what)}."
    )


REST_WAITS = (
    "The rest of the plan, including any infusion to follow, waits for the marked entries "
    "to be corrected."
)


def _give_now(
    subject: str,
    orders: Sequence[Order],
    reasons: Sequence[PlanWarning],
    with_warnings: bool = False,
) -> str | None:
    """The orders to give now (with the warnings they carry, if asked), or the reasons there
    are none; None if there are neither."""
    if orders:
        lines = [f"<b>{_e(subject)}. Give now:</b> " + "<br>".join(_e(o.text) for o in orders)]
        if with_warnings:
            named = {code for o in orders for code in o.warnings}
            lines += [
                f"<small>{_e(labels.label(labels.LEVEL_LABELS, w.level))}: {_e(w.text)}</small>"
                for w in reasons
                if w.code in named
            ]
        return "<br>".join(lines)
    if not reasons:
        return None
    return f"<b>{_e(subject)}. No magnesium order from this protocol:</b> " + _e(
        " ".join(w.text for w in reasons)
    )


def _emergency_subject(torsades: str, severe_symptoms: Sequence[str]) -> str | None:
    if torsades != "none":
        return "Torsades de pointes"
    if severe_symptoms:
        named = ", ".join(labels.label(labels.SYMPTOM_LABELS, s).lower() for s in severe_symptoms)
        return f"Severe symptoms ({named})"
    return None
