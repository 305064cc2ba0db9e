"""The main window: case form, plan and algorithm, read left to right.

The window decides nothing: each edit rebuilds the case document, the core validates
and evaluates it, and every part shows the same answer (a plan, or the reasons there
is none).

Start-up is progressive: the window is first painted as a light shell, and only then
are the interface modules imported and built (PySide6 creates each Qt class on first
use, and the three parts use dozens), and then the core and the protocol loaded. That
is why the interface's modules are imported inside build_interface() and not above, and
why Qt's large namespace is reached as QtCore.Qt only once the shell is painted.

The window holds two controllers: files (mgdesk.gui.case_files: the case's file, unsaved
changes and the autosave) and menus (mgdesk.gui.window_menus: the menu bar and the
dialogs it opens).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import QEvent, QLocale
from PySide6.QtWidgets import QLabel, QMainWindow

from mgdesk.gui.assessment_cache import AssessmentCache

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PySide6.QtGui import QCloseEvent, QResizeEvent
    from PySide6.QtWidgets import QScrollArea, QSplitter, QVBoxLayout

    from mgdesk.core.case import Case
    from mgdesk.core.errors import FieldError
    from mgdesk.core.plan import Plan
    from mgdesk.core.protocol import Protocol
    from mgdesk.gui.algorithm_view import AlgorithmView
    from mgdesk.gui.assessment import Assessment
    from mgdesk.gui.case_files import CaseFiles
    from mgdesk.gui.case_form import CaseFormController
    from mgdesk.gui.case_form_view import CaseFormView
    from mgdesk.gui.locale_numbers import LocaleNumbers
    from mgdesk.gui.notices import NoticeBar
    from mgdesk.gui.plan_view import PlanView
    from mgdesk.gui.settings import Settings
    from mgdesk.gui.window_layout import WindowColumns
    from mgdesk.gui.window_menus import WindowMenus


class MainWindow(QMainWindow):
    # After every evaluation; current_case_and_plan() then says whether there is a plan
    # (what the order-sheet action needs to know to enable itself).
    assessment_shown = QtCore.Signal()

    form_view: CaseFormView
    form: CaseFormController
    form_scroll: QScrollArea
    plan_view: PlanView
    algorithm: AlgorithmView
    splitter: QSplitter
    columns: WindowColumns
    emergency_banner: QLabel
    plan_column_layout: QVBoxLayout  # the emergency banner above the plan
    approval_banner: QLabel
    notices: NoticeBar
    protocol_label: QLabel
    files: CaseFiles
    menus: WindowMenus
    numbers: LocaleNumbers

    def __init__(
        self, settings: Settings, numbers: LocaleNumbers | None = None, build: bool = True
    ) -> None:
        """build=False paints only a light shell; build_interface() then adds the parts."""
        super().__init__()
        self.settings = settings
        self._requested_numbers = numbers
        self.protocol: Protocol | None = None
        self.protocol_installed_as: str | None = None
        self.evaluation_install = False  # the protocol is a per-user install, to evaluate it
        self.assessment: Assessment | None = None
        self._last_input: tuple[dict[str, Any], list[FieldError]] | None = None
        self._answers = AssessmentCache()
        self.interface_built = False
        self._changes_settled_for_close = False
        self.setWindowTitle("mgdesk")
        if not settings.window_geometry.isEmpty():
            self.restoreGeometry(settings.window_geometry)
        else:
            self.resize(1440, 900)
        if build:
            self.build_interface()
        else:
            self.setCentralWidget(QLabel("  Starting mgdesk…"))

    def build_interface(self) -> None:
        """The banners, the three parts, the menus, and the saved splitter layout."""
        from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

        from mgdesk.gui.algorithm_view import AlgorithmView
        from mgdesk.gui.case_files import CaseFiles
        from mgdesk.gui.case_form import CaseFormController
        from mgdesk.gui.case_form_view import CaseFormView
        from mgdesk.gui.fonts import scaled_font
        from mgdesk.gui.locale_numbers import LocaleNumbers
        from mgdesk.gui.notices import NoticeBar
        from mgdesk.gui.plan_view import PlanView
        from mgdesk.gui.window_layout import MINIMUM_SIZE, WindowColumns
        from mgdesk.gui.window_menus import WindowMenus
        from mgdesk.gui.wrapped_label import WrappedLabel

        self.numbers = self._requested_numbers or LocaleNumbers(
            self.settings.decimal_separator or QLocale().decimalPoint()
        )

        self.emergency_banner = _banner("Emergency: orders to give now")
        self.emergency_banner.setFont(scaled_font(self.emergency_banner.font(), 1.15))
        self.approval_banner = _banner("Protocol approval")
        self.notices = NoticeBar()
        self.form_view = CaseFormView()
        self.form = CaseFormController(self.form_view, self.numbers)
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidget(self.form_view)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_scroll.setAccessibleName("Case form")
        self._fit_form_width()
        self.plan_view = PlanView(self.numbers)
        # The emergency banner heads the plan column: appearing, it moves only the plan,
        # never the form being typed in (nor the algorithm, whose relayout costs most).
        plan_column = QWidget()
        self.plan_column_layout = QVBoxLayout(plan_column)
        self.plan_column_layout.setContentsMargins(0, 0, 0, 0)
        self.plan_column_layout.addWidget(self.emergency_banner)
        self.plan_column_layout.addWidget(self.plan_view, 1)
        self.algorithm = AlgorithmView(self.numbers)
        self.columns = WindowColumns(self.form_scroll, plan_column, self.algorithm, self.settings)
        self.splitter = self.columns.splitter
        # A column's new width wraps the banner anew.
        self.splitter.splitterMoved.connect(lambda: self.emergency_banner.setMinimumHeight(0))

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.approval_banner)
        layout.addWidget(self.notices)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # Wraps rather than widening the window or running under a status message.
        self.protocol_label = WrappedLabel("Loading the protocol…")
        self.statusBar().addPermanentWidget(self.protocol_label)

        self.files = CaseFiles(self)
        self.menus = WindowMenus(self, self.files)
        self.form.edited.connect(self._form_edited)
        self.assessment_shown.connect(self.menus.update_order_sheet_action)
        self.plan_view.field_requested.connect(self.focus_field)
        state = self.settings.splitter_state("algorithm")
        if not state.isEmpty():
            self.algorithm.splitter.restoreState(state)
        self.columns.fit(self.width())
        # Set, not the layout's: three columns' minimum would stop a resize to a narrow
        # width before the algorithm could move into its tab.
        self.setMinimumSize(*MINIMUM_SIZE)
        self._tint_banners()
        for notice in self.settings.notices:
            self.notices.show_notice(notice)
        self.interface_built = True
        self.update_title()
        self.menus.update_order_sheet_action()

    # -- start-up: the core after the first paint ---------------------------------------

    def finish_startup(self, case_path: Path | None = None) -> bool:
        """Build the interface, load the active protocol (and the unit registry), then the case."""
        from mgdesk.core.errors import ProtocolInvalid
        from mgdesk.records.site_protocol import active_protocol

        if not self.interface_built:
            self.build_interface()
        try:
            active = active_protocol()
        except ProtocolInvalid as refused:
            self.plan_view.status.setText("The protocol could not be loaded: no plan can be given")
            self.form.show_general([f"protocol: {p}" for p in refused.problems])
            return False
        self.install_protocol(
            active.protocol,
            active.installed_as,
            active.notices,
            evaluation_install=active.location == "user",
        )
        return self.files.open_case_file(case_path) if case_path is not None else True

    def install_protocol(
        self,
        protocol: Protocol,
        installed_as: str | None = None,
        notices: Sequence[str] = (),
        *,
        evaluation_install: bool = False,
    ) -> None:
        """Use protocol from now on; installed_as and notices say where it came from and why,
        evaluation_install that it is a per-user install (marked on screen and every sheet)."""
        import html

        from mgdesk.gui.assessment import UNIT_CHOICES, bands_of, pregnancy_ages

        self.protocol = protocol
        self.protocol_installed_as = installed_as
        self.evaluation_install = evaluation_install
        self.form.set_protocol_facts(
            UNIT_CHOICES, pregnancy_ages(protocol), protocol.adequate_oral_trial
        )
        self.plan_view.set_bands(bands_of(protocol))
        self.algorithm.set_protocol(protocol)
        self._fit_form_width()
        approved = protocol.approval.site_approved
        origin = f" ({installed_as})" if installed_as else ""
        self.protocol_label.setText(
            f"Protocol {protocol.id} {protocol.version}{origin} · "
            f"{'site-approved' if approved else 'NOT approved by this site'} · "
            f"SHA-256 {protocol.sha256[:12]}…"
        )
        self.protocol_label.setToolTip(f"SHA-256 {protocol.sha256}")
        self._fit_protocol_label(self.width())
        lines = (
            []
            if approved
            else [
                f"<b>Protocol not approved by this site.</b> {html.escape(protocol.id)} version "
                f"{html.escape(protocol.version)}: {html.escape(protocol.approval.note)}"
            ]
        )
        if evaluation_install:
            lines.append(
                "<b>Evaluation install.</b> This protocol is installed for you only, to "
                "evaluate it; every order sheet printed with it says so."
            )
        lines += [html.escape(notice) for notice in notices]
        self.approval_banner.setText("<br>".join(lines))
        self.approval_banner.setVisible(bool(lines))
        self._last_input = None
        self._answers.clear()
        self.evaluate()

    # -- the one path from an edit to what is shown -------------------------------------

    def _form_edited(self) -> None:
        self.files.unsaved.edited()
        self.evaluate()

    def evaluate(self) -> None:
        """Ask the core about the form's case and show its answer everywhere at once."""
        if self.protocol is None:
            return
        from mgdesk.gui.assessment import Assessment, assess

        document, problems = self.form.document()
        if self._last_input == (document, problems):
            return  # the same input gives the same plan (and the views already show it)
        self._last_input = (document, problems)
        try:
            protocol = self.protocol
            assessment = self._answers.get(
                document, problems, lambda: assess(document, protocol, problems)
            )
        except Exception as failure:
            # A defect in mgdesk: never leave the previous plan on screen, and report it.
            reason = f"mgdesk could not evaluate this case ({failure!r}); please report it"
            self.show_assessment(Assessment(document, None, None, (), (reason,)))
            raise
        self.show_assessment(assessment)

    def show_assessment(self, assessment: Assessment) -> None:
        self.assessment = assessment
        self.form.show_assessment(assessment)
        self.plan_view.show_assessment(assessment)
        self.algorithm.show_plan(assessment.plan)
        self._show_emergency(assessment)
        _keep_height(self.emergency_banner)
        self.update_title()
        self.assessment_shown.emit()

    def _show_emergency(self, assessment: Assessment) -> None:
        from mgdesk.document.locale_text import localised_markup
        from mgdesk.gui.plan_view import emergency_html

        message = emergency_html(assessment)
        self.emergency_banner.setText(
            localised_markup(message, self.numbers.decimal_point) if message else ""
        )
        if (message is not None) == self.emergency_banner.isHidden():
            if message is not None:
                self.columns.show_plan()  # never left behind the Algorithm tab
            self.emergency_banner.setVisible(message is not None)
            # Laid out now, not after the paint that follows the edit (which would then
            # paint the plan column twice).
            self.plan_column_layout.activate()

    def current_case_and_plan(self) -> tuple[Case, Plan] | None:
        """The case and plan on screen (for the order sheet), or None while there is no plan."""
        a = self.assessment
        if a is None or a.case is None or a.plan is None:
            return None
        return a.case, a.plan

    def focus_field(self, field: str) -> None:
        from mgdesk.gui.labels import field_of

        editors = (
            self.form_view.field_editors(field_of(field))
            if field_of(field) in self.form_view.rows
            else self.form_view.given.editors_of(field)
        )
        if editors:
            editors[0].setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def update_title(self) -> None:
        """The file's name with Qt's modified marker, the patient, and mgdesk."""
        from mgdesk.core.text import printable_text_problem

        patient = self.assessment.document.get("patient", {}) if self.assessment else {}
        # Text the core refuses (a direction override, say) is left out rather than shown.
        who = ", ".join(
            str(patient[k]).strip()
            for k in ("name", "id")
            if str(patient.get(k) or "").strip() and printable_text_problem(str(patient[k])) is None
        )
        case_path = self.files.case_path
        name = case_path.name if case_path else "Untitled case"
        self.setWindowTitle(" — ".join(p for p in (f"{name}[*]", who, "mgdesk") if p))

    # -- palette and layout -------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self.interface_built:
            self.columns.fit(event.size().width())
            # A new width wraps the banner anew; the protocol label takes at most half of it.
            self.emergency_banner.setMinimumHeight(0)
            self._fit_protocol_label(event.size().width())
        super().resizeEvent(event)

    def _fit_protocol_label(self, window_width: int) -> None:
        label = self.protocol_label
        one_line = label.fontMetrics().horizontalAdvance(label.text()) + 2 * label.margin() + 4
        label.setMinimumWidth(min(one_line, window_width // 2))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and self.interface_built:
            # The children receive the new palette after this window: recolour once they have.
            QtCore.QTimer.singleShot(0, self._restyle)
        super().changeEvent(event)

    def _restyle(self) -> None:
        self._tint_banners()
        self.plan_view.refresh()
        self.form.restyle()

    def _tint_banners(self) -> None:
        from PySide6.QtGui import QPalette

        from mgdesk.gui.colours import level_tint

        for banner, level in (
            (self.emergency_banner, "stop"),
            (self.approval_banner, "caution"),
            (self.notices, "caution"),
        ):
            palette = QPalette()
            palette.setColor(
                QPalette.ColorRole.Window, level_tint(self.palette(), level).background
            )
            banner.setPalette(palette)

    def _fit_form_width(self) -> None:
        """The form column is never narrower than its fields: it scrolls only vertically."""
        scroll_bar = self.form_scroll.verticalScrollBar().sizeHint().width()
        frame = 2 * self.form_scroll.frameWidth()
        self.form_scroll.setMinimumWidth(
            self.form_view.minimumSizeHint().width() + scroll_bar + frame
        )

    def save_layout(self) -> None:
        self.settings.window_geometry = self.saveGeometry()
        if self.interface_built:
            for name, state in self.columns.states().items():
                self.settings.set_splitter_state(name, state)
            self.settings.set_splitter_state("algorithm", self.algorithm.splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.interface_built:
            editor = self.menus.editor_with_unsaved_changes()
            if editor is not None:  # its question first; the window is closed again after
                event.ignore()
                editor.raise_()
                editor.close()
                return
            if self.files.unsaved.is_modified() and not self._changes_settled_for_close:
                event.ignore()  # closed again once the question is answered
                self.files.settle_unsaved_changes(self._close_with_changes_settled)
                return
            self.files.unsaved.close()
        self.save_layout()
        super().closeEvent(event)

    def _close_with_changes_settled(self) -> None:
        self._changes_settled_for_close = True
        # Not from inside the close event that asked (Qt ignores a nested close).
        QtCore.QTimer.singleShot(0, self, self.close)


def _keep_height(banner: QLabel) -> None:
    """A shown banner grows but does not shrink while it stays shown, so an edit that
    rewords it does not move (and repaint) the whole window; hidden, it lets go."""
    if not banner.isVisible():  # hidden, or the window not shown yet (no width to wrap at)
        banner.setMinimumHeight(0)
        banner.setProperty("kept_for", "")
        return
    wording = (banner.text(), banner.width())
    if banner.property("kept_for") == repr(wording):
        return  # the same words at the same width: the same height (laying out costs)
    banner.setProperty("kept_for", repr(wording))
    needed = banner.heightForWidth(banner.width()) if banner.width() > 0 else 0
    banner.setMinimumHeight(max(banner.minimumHeight(), needed))


def _banner(name: str) -> QLabel:
    from mgdesk.gui.wrapped_label import WrappedLabel

    banner = WrappedLabel()
    banner.setAccessibleName(name)
    banner.setTextFormat(QtCore.Qt.TextFormat.RichText)
    banner.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    banner.setAutoFillBackground(True)
    banner.setMargin(8)
    banner.setVisible(False)
    return banner
