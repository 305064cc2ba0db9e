"""The main window: case form, plan and algorithm, read left to right.

The window decides nothing: each edit rebuilds the case document, the core validates
and evaluates it, and every part shows the same answer (a plan, or the reasons there
is none).

Start-up is progressive: the window is first painted as a light shell, and only then
are the interface modules imported and built (PySide6 creates each Qt class on first
use, and the three parts use dozens), and then the core and the protocol loaded. That
is why the interface's modules are imported inside build_interface() and not above, and
why Qt's large namespace is reached as QtCore.Qt only once the shell is painted.

The case on screen belongs to a file (or to none yet). Edits mark the window modified
and are autosaved; New, Open and closing ask first what to do with unsaved changes.
Each question and file dialog goes through one small method (ask_*), so tests replace
it; the questions are window-modal without blocking (open(), an answer callback).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import QEvent, QLocale
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMenu, QScrollArea, QSplitter

    from mgdesk.core.case import Case
    from mgdesk.core.errors import FieldError
    from mgdesk.core.plan import Plan
    from mgdesk.core.protocol import Protocol
    from mgdesk.gui.algorithm_view import AlgorithmView
    from mgdesk.gui.assessment import Assessment
    from mgdesk.gui.case_form import CaseFormController, CaseFormView
    from mgdesk.gui.locale_numbers import LocaleNumbers
    from mgdesk.gui.notices import NoticeBar
    from mgdesk.gui.plan_view import PlanView
    from mgdesk.gui.settings import Settings
    from mgdesk.gui.unsaved_work import UnsavedWork
    from mgdesk.records.autosave import AutosaveRecord

CASE_FILES = "mgdesk cases (*.mgcase *.json);;All files (*)"
CASE_SUFFIX = ".mgcase"
# The answers to "save the unsaved changes?" and "restore the autosaved case?".
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
RESTORE, LATER = "restore", "later"


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
    emergency_banner: QLabel
    approval_banner: QLabel
    notices: NoticeBar
    protocol_label: QLabel
    order_sheet_action: QAction
    recent_menu: QMenu
    unsaved: UnsavedWork
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
        self.case_path: Path | None = None
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
        from PySide6.QtWidgets import QScrollArea, QSplitter, QVBoxLayout, QWidget

        from mgdesk.gui.algorithm_view import AlgorithmView
        from mgdesk.gui.case_form import CaseFormController, CaseFormView
        from mgdesk.gui.fonts import scaled_font
        from mgdesk.gui.locale_numbers import LocaleNumbers
        from mgdesk.gui.notices import NoticeBar
        from mgdesk.gui.plan_view import PlanView
        from mgdesk.gui.unsaved_work import UnsavedWork
        from mgdesk.records.autosave import Autosave, default_autosave_folder

        self.numbers = self._requested_numbers or LocaleNumbers(QLocale().decimalPoint())

        self.emergency_banner = _banner("Emergency: torsades de pointes")
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
        self.plan_view = PlanView()
        self.algorithm = AlgorithmView()
        self.splitter = QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for widget in (self.form_scroll, self.plan_view, self.algorithm):
            self.splitter.addWidget(widget)
        self.splitter.setSizes([400, 480, 560])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.emergency_banner)
        layout.addWidget(self.approval_banner)
        layout.addWidget(self.notices)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.protocol_label = QLabel("Loading the protocol…")
        self.statusBar().addPermanentWidget(self.protocol_label)

        self.unsaved = UnsavedWork(
            Autosave(default_autosave_folder()),
            lambda: (self.form.document()[0], self.case_path),
            self,
        )
        self.unsaved.modified.connect(self.setWindowModified)
        self.unsaved.problem.connect(self.notices.show_notice)
        self._build_menus()
        self.form.edited.connect(self._form_edited)
        self.assessment_shown.connect(self._update_order_sheet_action)
        self.plan_view.field_requested.connect(self.focus_field)
        for name, splitter in (("main", self.splitter), ("algorithm", self.algorithm.splitter)):
            state = self.settings.splitter_state(name)
            if not state.isEmpty():
                splitter.restoreState(state)
        self._tint_banners()
        for notice in self.settings.notices:
            self.notices.show_notice(notice)
        self.interface_built = True
        self._update_title()
        self._update_order_sheet_action()

    # -- menus and shortcuts ------------------------------------------------------------

    def _add_action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], object] | None,
        *shortcuts: QKeySequence | QKeySequence.StandardKey | str,
    ) -> QAction:
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        keys: list[QKeySequence] = []
        for shortcut in shortcuts:  # a standard key may have no binding on this platform
            bindings = (
                QKeySequence.keyBindings(shortcut)
                if isinstance(shortcut, QKeySequence.StandardKey)
                else [QKeySequence(shortcut)]
            )
            keys += [k for k in bindings if not k.isEmpty() and k not in keys]
        action.setShortcuts(keys)
        if slot is not None:
            action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        from PySide6.QtGui import QKeySequence
        from PySide6.QtWidgets import QMessageBox

        bar, chart = self.menuBar(), self.algorithm.chart
        file = bar.addMenu("&File")
        file.setToolTipsVisible(True)  # a disabled order sheet says why
        self._add_action(
            file,
            "&New case",
            lambda: self.settle_unsaved_changes(self.new_case),
            QKeySequence.StandardKey.New,
        )
        self._add_action(
            file,
            "&Open case…",
            lambda: self.settle_unsaved_changes(self.choose_case_to_open),
            QKeySequence.StandardKey.Open,
        )
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self.refresh_recent_menu)
        self._add_action(file, "&Save case", self.save_case, QKeySequence.StandardKey.Save)
        self._add_action(
            file,
            "Save case &as…",
            self.save_case_as,
            QKeySequence.StandardKey.SaveAs,
            "Ctrl+Shift+S",
        )
        file.addSeparator()
        self.order_sheet_action = self._add_action(
            file, "Order &sheet…", self.open_order_sheet, "Ctrl+P"
        )
        self.order_sheet_action.setObjectName("order_sheet_action")
        file.addSeparator()
        self._add_action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Ctrl+Q")
        edit = bar.addMenu("&Edit")
        self._add_action(edit, "&Preferences…", self.open_preferences, "Ctrl+,")
        view = bar.addMenu("&View")
        self._add_action(
            view, "Case &form", self.form_view.line_edits["patient.id"].setFocus, "Ctrl+1"
        )
        self._add_action(view, "&Plan", self.plan_view.details.setFocus, "Ctrl+2")
        self._add_action(view, "&Algorithm steps", self.algorithm.steps.setFocus, "Ctrl+3")
        view.addSeparator()
        self._add_action(view, "Previous step", self.algorithm.previous_step, "Alt+Left")
        self._add_action(view, "Next step", self.algorithm.next_step, "Alt+Right")
        view.addSeparator()
        self._add_action(
            view, "Zoom &in", lambda: chart.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn, "Ctrl+="
        )
        self._add_action(
            view, "Zoom &out", lambda: chart.zoom_by(1 / 1.25), QKeySequence.StandardKey.ZoomOut
        )
        self._add_action(view, "Actual si&ze", chart.reset_zoom, "Ctrl+0")
        self._add_action(view, "Fit the &chart", chart.fit)
        help_menu = bar.addMenu("&Help")
        self._add_action(help_menu, "&About mgdesk", self.open_about, "F1")
        self._add_action(help_menu, "About &Qt", lambda: QMessageBox.aboutQt(self))

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
        return self.open_case_file(case_path) if case_path is not None else True

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
        self.evaluate()

    # -- the one path from an edit to what is shown -------------------------------------

    def _form_edited(self) -> None:
        self.unsaved.edited()
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
            assessment = assess(document, self.protocol, problems)
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
        self._update_title()
        self.assessment_shown.emit()

    def _show_emergency(self, assessment: Assessment) -> None:
        import html

        from mgdesk.gui.plan_view import emergency_text

        torsades = assessment.document.get("clinical", {}).get("torsades", "none") not in (
            "none",
            None,
        )
        if assessment.plan is not None and assessment.case is not None:
            message = emergency_text(assessment.plan, assessment.case.torsades_present)
        elif torsades:
            message = (
                "Torsades de pointes is selected, but no plan is shown until the marked "
                "entries are corrected.",
                "The magnesium level may be left empty.",
            )
        else:
            message = None
        heading, detail = message or ("", "")
        self.emergency_banner.setText(
            f"<b>{html.escape(heading)}</b> {html.escape(detail)}" if message else ""
        )
        self.emergency_banner.setVisible(message is not None)

    def current_case_and_plan(self) -> tuple[Case, Plan] | None:
        """The case and plan on screen (for the order sheet), or None while there is no plan."""
        a = self.assessment
        if a is None or a.case is None or a.plan is None:
            return None
        return a.case, a.plan

    def _update_order_sheet_action(self) -> None:
        """Enabled while the plan on screen has orders to sign; otherwise the tooltip says why."""
        current = self.current_case_and_plan()
        plan = current[1] if current else None
        if self.protocol is None:
            reason = "The protocol is not loaded, so there is no plan to print."
        elif self.assessment is not None and self.assessment.withheld:
            reason = "The plan was withheld by a safety check, so there is no order sheet."
        elif plan is None:
            reason = "No plan yet: complete or correct the marked entries of the case."
        else:
            from mgdesk.document.sheet import plan_blockers

            reason = " ".join(plan_blockers(plan, self.protocol))
        self.order_sheet_action.setEnabled(not reason)
        self.order_sheet_action.setToolTip(
            reason or "Preview, print or export the order sheet of this plan"
        )

    def open_order_sheet(self) -> None:
        """The order sheet dialog for the plan on screen (window-modal, not blocking)."""
        current = self.current_case_and_plan()
        if current is None or self.protocol is None or self.assessment is None:
            return
        from mgdesk.gui.sheet_dialog import OrderSheetDialog, SheetRecorder
        from mgdesk.records.audit import AuditLog

        case, plan = current
        log = AuditLog(record_patient_id=self.settings.record_patient_id)
        dialog = OrderSheetDialog(
            self,
            case,
            plan,
            self.protocol,
            facility=self.settings.facility_name,
            prescriber=self.settings.last_prescriber or None,
            paper=self.settings.sheet_paper(),
            recorder=SheetRecorder(log, self.assessment.document, plan),
            evaluation_install=self.evaluation_install,
        )
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sheet_produced.connect(
            lambda _sheet, _where: self._remember_sheet_choices(
                dialog.prescriber_name(), dialog.paper()
            )
        )
        dialog.audit_problem.connect(self.notices.show_notice)
        dialog.open()

    def _remember_sheet_choices(self, prescriber: str, paper: str) -> None:
        self.settings.last_prescriber = prescriber
        self.settings.paper_size = paper
        self.settings.sync()

    def focus_field(self, field: str) -> None:
        from mgdesk.gui.labels import field_of

        editors = (
            self.form_view.field_editors(field_of(field))
            if field_of(field) in self.form_view.rows
            else ()
        )
        if editors:
            editors[0].setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def _update_title(self) -> None:
        """The file's name with Qt's modified marker, the patient, and mgdesk."""
        patient = self.assessment.document.get("patient", {}) if self.assessment else {}
        who = ", ".join(
            str(patient[k]).strip() for k in ("name", "id") if str(patient.get(k) or "").strip()
        )
        name = self.case_path.name if self.case_path else "Untitled case"
        self.setWindowTitle(" — ".join(p for p in (f"{name}[*]", who, "mgdesk") if p))

    # -- case files ---------------------------------------------------------------------

    def new_case(self) -> None:
        """An empty case in no file (unsaved changes are dropped: ask first, see the menu)."""
        self.case_path = None
        self.form.clear()
        self.unsaved.saved_as(self.form.document()[0])
        self._update_title()
        self.statusBar().showMessage("New case")

    def choose_case_to_open(self) -> None:
        path = self.ask_case_path_to_open()
        if path is not None:
            self.open_case_file(path)

    def open_case_file(self, path: Path) -> bool:
        """Show the case (or draft) in a file; if it cannot, the form stays and the notice
        says why."""
        from mgdesk.records.casefile import CaseFileError, open_case

        try:
            problems = self.form.load(open_case(path))
            message = f"Could not open {path}: " + "; ".join(problems) + "."
        except CaseFileError as refused:
            problems, message = [refused.message], refused.message
        if problems:
            self.notices.show_notice(f"{message} The case on screen is unchanged.")
            self.statusBar().showMessage(message)
            return False
        self.case_path = path
        self.unsaved.saved_as(self.form.document()[0])
        self._file_used(path)
        self.statusBar().showMessage(f"Opened {path}")
        return True

    def open_recent_file(self, path: Path) -> None:
        if not path.is_file():
            self._forget_missing([path])
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
        from mgdesk.records.casefile import CaseFileError, save_case

        document, _ = self.form.document()
        try:
            save_case(document, path)
        except CaseFileError as refused:
            self.notices.show_notice(f"{refused.message} The case is still on screen, unsaved.")
            self.statusBar().showMessage(refused.message)
            return False
        self.case_path = path
        self.unsaved.saved_as(document)
        self._file_used(path)
        self.statusBar().showMessage(f"Saved {path}")
        return True

    def _file_used(self, path: Path) -> None:
        self.settings.add_recent_file(path.resolve())
        self.settings.sync()
        self._update_title()

    def refresh_recent_menu(self) -> None:
        """The recent files that still exist; the others are dropped, with a notice."""
        from PySide6.QtGui import QAction

        self.recent_menu.clear()
        recent = self.settings.recent_files
        present = [p for p in recent if p.is_file()]
        self._forget_missing([p for p in recent if p not in present])
        for number, path in enumerate(present, start=1):
            action = QAction(f"&{number} {path.name}  ({path.parent})", self.recent_menu)
            action.triggered.connect(lambda _=False, p=path: self.open_recent_file(p))
            self.recent_menu.addAction(action)
        if not present:
            self.recent_menu.addAction("No recent cases").setEnabled(False)

    def _forget_missing(self, paths: list[Path]) -> None:
        if not paths:
            return
        self.settings.remove_recent_files(paths)
        self.settings.sync()
        names = ", ".join(str(p) for p in paths)
        self.notices.show_notice(f"Removed from the recent cases, as no longer found: {names}.")

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
        from mgdesk.records.autosave import AutosaveError

        def answered(choice: str) -> None:
            if choice == RESTORE:
                self.settle_unsaved_changes(lambda: self.restore_autosave(record))
            elif choice == DISCARD:
                try:
                    self.unsaved.autosave.discard(record)
                except AutosaveError as exc:
                    self.notices.show_notice(exc.message)
                    return
                self.offer_autosaved_work()

        self.ask_restore(record, answered)

    def restore_autosave(self, record: AutosaveRecord) -> bool:
        """Show an autosaved case as unsaved work of this window (its file, if it had one)."""
        from mgdesk.records.autosave import AutosaveError

        problems = self.form.load(record.document)
        if problems:
            self.notices.show_notice(
                f"The autosave {record.file} cannot be shown ({'; '.join(problems)}); "
                "it is left where it is."
            )
            return False
        try:  # the record becomes this session's autosave only once it is on screen
            self.unsaved.autosave.restore(record)
        except AutosaveError as exc:
            self.notices.show_notice(exc.message)
        self.case_path = record.source_path
        self.unsaved.mark_unsaved()
        self._update_title()
        self.statusBar().showMessage(f"Restored: {record.describe()}")
        return True

    # -- questions and dialogs (window-modal, never a blocking exec; tests replace ask_*) --

    def ask_case_path_to_open(self) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        start = str(self.case_path.parent) if self.case_path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open case", start, CASE_FILES)
        return Path(path) if path else None

    def ask_case_path_to_save(self, suggested: Path) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Save case as", str(suggested), CASE_FILES)
        return Path(path) if path else None

    def ask_unsaved_changes(self, answer: Callable[[str], None]) -> None:
        """Save, Discard or Cancel the unsaved changes; answer(SAVE | DISCARD | CANCEL)."""
        from PySide6.QtWidgets import QMessageBox

        buttons = QMessageBox.StandardButton
        name = self.case_path.name if self.case_path else "this new case"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Unsaved changes",
            f"The changes to {name} are not saved.",
            buttons.Save | buttons.Discard | buttons.Cancel,
            self,
        )
        box.setInformativeText("Save them first, or discard them?")
        box.setDefaultButton(buttons.Save)
        choices = {buttons.Save: SAVE, buttons.Discard: DISCARD}
        box.finished.connect(
            lambda _: answer(choices.get(box.standardButton(box.clickedButton()), CANCEL))
        )
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def ask_restore(self, record: AutosaveRecord, answer: Callable[[str], None]) -> None:
        """Restore, Discard or Decide later about an autosaved case; answer(RESTORE | DISCARD
        | LATER). Shows whose case it is and when it was saved."""
        import html

        from PySide6.QtWidgets import QAbstractButton, QMessageBox

        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Restore unsaved work?")
        box.setText("mgdesk stopped before this case was saved. Restore it?")
        details = [
            ("Patient", record.patient_name or "no name entered"),
            ("Patient ID", record.patient_id or "no ID entered"),
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

    def open_about(self) -> None:
        from mgdesk.gui.about import AboutDialog

        dialog = AboutDialog(self.protocol, self.protocol_installed_as, self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_preferences(self) -> None:
        from mgdesk.gui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- palette and layout -------------------------------------------------------------

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
            self.settings.set_splitter_state("main", self.splitter.saveState())
            self.settings.set_splitter_state("algorithm", self.algorithm.splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.interface_built:
            if self.unsaved.is_modified() and not self._changes_settled_for_close:
                event.ignore()  # closed again once the question is answered
                self.settle_unsaved_changes(self._close_with_changes_settled)
                return
            self.unsaved.close()
        self.save_layout()
        super().closeEvent(event)

    def _close_with_changes_settled(self) -> None:
        self._changes_settled_for_close = True
        # Not from inside the close event that asked (Qt ignores a nested close).
        QtCore.QTimer.singleShot(0, self, self.close)


def _banner(name: str) -> QLabel:
    banner = QLabel()
    banner.setAccessibleName(name)
    banner.setWordWrap(True)
    banner.setTextFormat(QtCore.Qt.TextFormat.RichText)
    banner.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    banner.setAutoFillBackground(True)
    banner.setMargin(8)
    banner.setVisible(False)
    return banner
