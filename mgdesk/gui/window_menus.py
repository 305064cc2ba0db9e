"""The main window's menus and shortcuts, and the dialogs they open.

The main window holds one WindowMenus (window.menus). File actions go to the window's
CaseFiles; the order sheet is enabled only while the plan on screen has orders to
sign, and its tooltip says why not. The dialogs' modules are imported when first
opened, not with the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QMenu

    from mgdesk.gui.case_files import CaseFiles
    from mgdesk.gui.main_window import MainWindow
    from mgdesk.gui.protocol_editor import ProtocolEditor
    from mgdesk.gui.sheet_dialog import OrderSheetDialog


class WindowMenus:
    """The menu bar of a main window: File, Edit, View and Help."""

    def __init__(self, window: MainWindow, files: CaseFiles) -> None:
        self.window = window
        self.files = files
        self.editors: list[ProtocolEditor] = []  # the editors open over this window
        bar, chart = window.menuBar(), window.algorithm.chart
        file = bar.addMenu("&File")
        file.setToolTipsVisible(True)  # a disabled order sheet says why
        self._add_action(
            file,
            "&New case",
            lambda: files.settle_unsaved_changes(files.new_case),
            QKeySequence.StandardKey.New,
        )
        self._add_action(
            file,
            "&Open case…",
            lambda: files.settle_unsaved_changes(files.choose_case_to_open),
            QKeySequence.StandardKey.Open,
        )
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self.refresh_recent_menu)
        self._add_action(file, "&Save case", files.save_case, QKeySequence.StandardKey.Save)
        self._add_action(
            file,
            "Save case &as…",
            files.save_case_as,
            QKeySequence.StandardKey.SaveAs,
            "Ctrl+Shift+S",
        )
        file.addSeparator()
        self.order_sheet_action = self._add_action(
            file, "Or&der sheet…", self.open_order_sheet, "Ctrl+P"
        )
        self.order_sheet_action.setObjectName("order_sheet_action")
        file.addSeparator()
        self._add_action(file, "Protocol &editor…", self.open_protocol_editor)
        file.addSeparator()
        self._add_action(file, "&Quit", window.close, QKeySequence.StandardKey.Quit, "Ctrl+Q")
        edit = bar.addMenu("&Edit")
        self._add_action(edit, "&Preferences…", self.open_preferences, "Ctrl+,")
        view = bar.addMenu("&View")
        self._add_action(
            view, "Case &form", window.form_view.line_edits["patient.id"].setFocus, "Ctrl+1"
        )
        self._add_action(view, "&Plan", self.focus_plan, "Ctrl+2")
        self._add_action(view, "&Algorithm steps", self.focus_algorithm, "Ctrl+3")
        view.addSeparator()
        self._add_action(view, "Previous step", window.algorithm.previous_step, "Alt+Left")
        self._add_action(view, "Next step", window.algorithm.next_step, "Alt+Right")
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
        self._add_action(help_menu, "About &Qt", lambda: QMessageBox.aboutQt(window))

    def focus_plan(self) -> None:
        self.window.columns.show_plan()
        self.window.plan_view.details.setFocus()

    def focus_algorithm(self) -> None:
        """The steps list, on its tab first when the window is narrow."""
        self.window.columns.show_algorithm()
        self.window.algorithm.steps.setFocus()

    def _add_action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], object] | None,
        *shortcuts: QKeySequence | QKeySequence.StandardKey | str,
    ) -> QAction:
        action = QAction(text, self.window)
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

    def refresh_recent_menu(self) -> None:
        """The recent files that still exist; the others are dropped, with a notice."""
        self.recent_menu.clear()
        recent = self.window.settings.recent_files
        present = [p for p in recent if p.is_file()]
        self.files.forget_missing([p for p in recent if p not in present])
        for number, path in enumerate(present, start=1):
            action = QAction(f"&{number} {path.name}  ({path.parent})", self.recent_menu)
            action.triggered.connect(lambda _=False, p=path: self.files.open_recent_file(p))
            self.recent_menu.addAction(action)
        if not present:
            self.recent_menu.addAction("No recent cases").setEnabled(False)

    # -- the order sheet ------------------------------------------------------------------

    def update_order_sheet_action(self) -> None:
        """Enabled while the plan on screen has orders to sign; otherwise the tooltip says why."""
        window = self.window
        current = window.current_case_and_plan()
        plan = current[1] if current else None
        if window.protocol is None:
            reason = "The protocol is not loaded, so there is no plan to print."
        elif window.assessment is not None and window.assessment.withheld:
            reason = "The plan was withheld by a safety check, so there is no order sheet."
        elif plan is None:
            reason = "No plan yet: complete or correct the marked entries of the case."
        else:
            from mgdesk.document.sheet import plan_blockers

            reason = " ".join(plan_blockers(plan, window.protocol))
        self.order_sheet_action.setEnabled(not reason)
        self.order_sheet_action.setToolTip(
            reason or "Preview, print or export the order sheet of this plan"
        )

    def open_order_sheet(self) -> None:
        """The order sheet dialog for the plan on screen (window-modal, not blocking)."""
        window, settings = self.window, self.window.settings
        current = window.current_case_and_plan()
        if current is None or window.protocol is None or window.assessment is None:
            return
        from mgdesk.gui.sheet_dialog import OrderSheetDialog, SheetRecorder
        from mgdesk.records.audit import AuditLog

        case, plan = current
        log = AuditLog(record_patient_id=settings.record_patient_id)
        dialog = OrderSheetDialog(
            window,
            case,
            plan,
            window.protocol,
            facility=settings.facility_name,
            prescriber=settings.last_prescriber or None,
            paper=settings.sheet_paper(),
            recorder=SheetRecorder(log, window.assessment.document, plan),
            evaluation_install=window.evaluation_install,
            prescriber_registration=settings.last_prescriber_registration or None,
            prescriber_contact=settings.last_prescriber_contact or None,
            decimal_separator=window.numbers.decimal_point,
        )
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sheet_produced.connect(lambda _sheet, _where: self._remember_sheet_choices(dialog))
        dialog.audit_problem.connect(window.notices.show_notice)
        dialog.open()

    def _remember_sheet_choices(self, dialog: OrderSheetDialog) -> None:
        """The prescriber's identity and the paper, offered again for the next sheet."""
        settings = self.window.settings
        settings.last_prescriber = dialog.prescriber_name()
        settings.last_prescriber_registration = dialog.prescriber_registration()
        settings.last_prescriber_contact = dialog.prescriber_contact()
        settings.paper_size = dialog.paper()
        settings.sync()

    # -- the protocol editor ---------------------------------------------------------------

    def open_protocol_editor(self) -> ProtocolEditor | None:
        """The editor over the protocol in force; an install is used by this window at once."""
        from mgdesk.gui.protocol_editor import open_editor

        window = self.window
        if window.protocol is None:
            return None
        editor = open_editor(None, window.protocol, window)
        editor.installed.connect(lambda _installed: self.reload_protocol())
        self.editors.append(editor)
        editor.destroyed.connect(lambda: self.editors.remove(editor))
        editor.show()
        return editor

    def editor_with_unsaved_changes(self) -> ProtocolEditor | None:
        return next((e for e in self.editors if e.has_unsaved_changes), None)

    def reload_protocol(self) -> None:
        """Use the active protocol again (after an install), as at start-up."""
        from mgdesk.records.site_protocol import active_protocol

        active = active_protocol()
        self.window.install_protocol(
            active.protocol,
            active.installed_as,
            active.notices,
            evaluation_install=active.location == "user",
        )
        self.update_order_sheet_action()

    # -- preferences and about ------------------------------------------------------------

    def open_about(self) -> None:
        from mgdesk.gui.about import AboutDialog

        window = self.window
        dialog = AboutDialog(window.protocol, window.protocol_installed_as, window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_preferences(self) -> None:
        from mgdesk.gui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.window.settings, self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
