"""The protocol editor window: a site pharmacist changes, compares, approves and installs a
protocol without touching its JSON.

A thin view of records/protocol_edit.ProtocolDraft: each editable field gets a widget for what
it is (a number box and a unit picker of that dimension, a count, a text, a date); every edit
is validated at once by the loader, and its problems are shown on the fields they name. The
comparison with the protocol in force (records/protocol_compare.py) starts a moment after the
last edit and runs in steps of a few hundredths of a second, so typing is answered between
them and never waits for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mgdesk import resources
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.protocol import Protocol
from mgdesk.document.change_report import FieldEdit, cases_run_text
from mgdesk.gui.protocol_fields import (
    field_editor,
    fixed_parts_page,
    type_into,
)
from mgdesk.gui.unsaved_work import DISCARD, SAVE, ask_save_discard_cancel
from mgdesk.records.casefile import CaseFileError
from mgdesk.records.protocol_compare import (
    GENERATED_CASES,
    Comparison,
    StepwiseComparison,
)
from mgdesk.records.protocol_edit import (
    DraftError,
    EditableField,
    JsonValue,
    ProtocolDraft,
    Validation,
    shown_value,
)
from mgdesk.records.site_protocol import (
    InstallError,
    InstallLocation,
    WorkedCase,
    active_protocol,
    install_protocol,
    load_worked_cases,
    protocol_cases,
)

DEBOUNCE_MS = 400
# The longest the comparison holds the window at a time: typing is answered between steps.
STEP_SECONDS = 0.03
EXIT_FILE_REFUSED = 2  # `mgdesk protocol edit FILE` of a file that is not a protocol document
_SAVE_FIRST = "Save the new version first: the saved file is what is installed"
_ERROR_STYLE = "border: 2px solid #b00020;"


class ProtocolEditor(QMainWindow):
    """Edits one protocol draft against the protocol in force."""

    installed = Signal(object)  # the InstalledProtocol, once installed
    compared = Signal(object)  # the Comparison shown

    def __init__(
        self,
        draft: ProtocolDraft,
        in_force: Protocol,
        parent: QWidget | None = None,
        generated_cases: int | None = None,
        worked: Sequence[WorkedCase] = (),
    ) -> None:
        super().__init__(parent)
        self.draft = draft
        self.in_force = in_force
        self.saved_path: Path | None = None
        # Where a new version is offered to be saved: beside the file edited, not in an
        # install folder (open_editor says which), else the home folder.
        self.save_folder = draft.path.parent if draft.path is not None else Path.home()
        self._saved_data = draft.data()  # unsaved changes: the draft differs from this
        self._closing_settled = False
        self.validation: Validation = draft.validate()
        self.comparison: Comparison | None = None
        self._editors: dict[str, tuple[QWidget, QLabel]] = {}
        self._readers: dict[str, Callable[[], JsonValue]] = {}
        self._caused: dict[str, tuple[str, ...]] = {}  # problems each field's last edit brought
        self._generated = GENERATED_CASES if generated_cases is None else generated_cases
        self.comparer = self._comparer(worked)
        self.setWindowTitle(f"Protocol editor — {draft.document.get('id', '')}")
        self._build()
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start_comparison)
        self._steps = QTimer(self, interval=0)  # a step whenever no input is waiting
        self._steps.timeout.connect(self._comparison_step)
        self._show_validation()
        self._debounce.start()

    # -- building the form ----------------------------------------------------------------

    def _build(self) -> None:
        self.tabs = self._field_tabs()
        self.problem_list = QListWidget()
        self.problem_list.setWordWrap(True)
        self.changes_list = QListWidget()
        self.comparison_status = QLabel("Comparing with the protocol in force…")
        self.comparison_status.setWordWrap(True)
        # An older file lacks parts of the current revision: what the loader takes from the
        # bundled protocol instead is said here, as `protocol check` says it.
        self.read_as = QLabel()
        self.read_as.setWordWrap(True)
        self.read_as.setTextFormat(Qt.TextFormat.PlainText)
        self.comparison_tree = QTreeWidget()
        self.comparison_tree.setHeaderLabels(["Change (cases)"])
        side = QWidget()
        panel = QVBoxLayout(side)
        panel.addWidget(QLabel("<b>Problems</b> (nothing can be saved while any remain)"))
        panel.addWidget(self.problem_list, 1)
        panel.addWidget(self.read_as)
        panel.addWidget(QLabel("<b>Fields changed</b>"))
        panel.addWidget(self.changes_list, 1)
        self.worked_cases_button = QPushButton("&Worked cases…")
        self.worked_cases_button.setToolTip(
            "Also compare over your site's worked cases or case files (a folder of *.json)"
        )
        self.worked_cases_button.clicked.connect(self.choose_worked_cases)
        heading = QHBoxLayout()
        heading.addWidget(QLabel("<b>What changes for patients</b>"), 1)
        heading.addWidget(self.worked_cases_button)
        panel.addLayout(heading)
        panel.addWidget(self.comparison_status)
        panel.addWidget(self.comparison_tree, 3)

        self.save_button = QPushButton("&Save as new version…")
        self.save_button.clicked.connect(self.choose_save_path)
        self.report_button = QPushButton("Change &report (PDF)…")
        self.report_button.clicked.connect(self.choose_report_path)
        self.install_user_button = QPushButton("Install for &me (evaluation)")
        self.install_user_button.clicked.connect(lambda: self.install("user"))
        self.install_machine_button = QPushButton("Install for &all users (administrator)")
        self.install_machine_button.clicked.connect(lambda: self.install("machine"))
        buttons = QHBoxLayout()
        for button in (
            self.save_button,
            self.report_button,
            self.install_user_button,
            self.install_machine_button,
        ):
            buttons.addWidget(button)
        splitter = self.splitter = QSplitter()
        splitter.addWidget(self.tabs)
        splitter.addWidget(side)
        splitter.setSizes([700, 500])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.setCentralWidget(central)
        self.resize(1280, 860)

    def _field_tabs(self) -> QTabWidget:
        """A tab of editors for each section of the protocol, and one of its fixed parts."""
        tabs = QTabWidget()
        self._editors.clear()
        self._readers.clear()
        sections: dict[str, QFormLayout] = {}
        groups: dict[str, QFormLayout] = {}
        for field in self.draft.fields:
            if field.section not in sections:
                page = QWidget()
                sections[field.section] = QFormLayout(page)
                if field.section == "Products":
                    sections[field.section].addRow(self._formulary_buttons())
                scroll = QScrollArea()
                scroll.setWidgetResizable(True)
                scroll.setWidget(page)
                tabs.addTab(scroll, field.section)
            form = sections[field.section]
            if field.group != field.path[0] and field.group not in groups:
                box = QGroupBox(field.group.split(".", 1)[1])
                groups[field.group] = QFormLayout(box)
                form.addRow(box)
            target = groups.get(field.group, form)
            widget = self._editor_for(field)
            message = QLabel()
            message.setObjectName(f"problem:{field.key}")
            message.setStyleSheet("color: #b00020;")
            message.setWordWrap(True)
            message.hide()
            column = QWidget()
            stack = QVBoxLayout(column)
            stack.setContentsMargins(0, 0, 0, 0)
            stack.addWidget(widget)
            stack.addWidget(message)
            target.addRow(field.label, column)
            self._editors[field.key] = (widget, message)
        tabs.addTab(
            fixed_parts_page(self.draft.document, self.validation.protocol), "Fixed (not editable)"
        )
        return tabs

    def _formulary_buttons(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        add = QPushButton("A&dd a product like…")
        add.clicked.connect(self.choose_product_to_add)
        remove = QPushButton("Remo&ve a product…")
        remove.clicked.connect(self.choose_product_to_remove)
        layout.addWidget(add)
        layout.addWidget(remove)
        layout.addStretch(1)
        return row

    def _editor_for(self, field: EditableField) -> QWidget:
        key = field.key
        value, document = self.draft.value(field), self.draft.document
        widget, self._readers[key] = field_editor(field, value, document, lambda: self._edited(key))
        return widget

    # -- editing and validating -----------------------------------------------------------

    def set_field(self, key: str, text: str) -> None:
        """Type text into a field's editor as a user would (see protocol_fields.type_into)."""
        type_into(self._editors[key][0], text)
        self._edited(key)

    def _edited(self, key: str) -> None:
        field = self.draft.field(key)
        self.draft.set_value(field, self._readers[key]())
        before = set(self.validation.problems)
        self.validation = self.draft.validate()
        # What this field's edits brought, wherever the loader names it, is shown on it too
        # (as long as it lasts: an edit that changes nothing more does not forget it).
        kept = [p for p in self._caused.get(key, ()) if p in self.validation.problems]
        self._caused[key] = (*kept, *(p for p in self.validation.problems if p not in before))
        self.saved_path = None
        self._show_validation()
        self._debounce.start()

    def _show_validation(self) -> None:
        for key, (widget, message) in self._editors.items():
            own = self.draft.problems_for(self.draft.field(key), self.validation)
            still = [p for p in self._caused.get(key, ()) if p in self.validation.problems]
            problems = own + tuple(p for p in still if p not in own)
            widget.setStyleSheet(_ERROR_STYLE if problems else "")
            widget.setToolTip("\n".join(problems))
            message.setText("\n".join(problems))
            message.setVisible(bool(problems))
        self.problem_list.clear()
        self.problem_list.addItems(list(self.validation.problems))
        protocol = self.validation.protocol
        notes = (*protocol.read_as_1_0, *protocol.read_as_bundled) if protocol else ()
        self.read_as.setText(
            "Not in this file, so read from the bundled protocol (saving keeps the file as "
            "it is):\n" + "\n".join(f"- {note}" for note in notes)
            if notes
            else ""
        )
        self.read_as.setVisible(bool(notes))
        self.changes_list.clear()
        self.changes_list.addItems(
            [f"{e.field}: {e.before} → {e.after}" for e in self.field_edits()]
        )
        valid = self.validation.valid
        self.save_button.setEnabled(valid)
        self.report_button.setEnabled(valid)
        self._update_install_buttons()

    def _update_install_buttons(self) -> None:
        ready = self.saved_path is not None
        for button in (self.install_user_button, self.install_machine_button):
            button.setEnabled(ready)
            button.setToolTip(
                "" if ready else "Save the new version first: a saved file is installed"
            )

    def field_edits(self) -> list[FieldEdit]:
        return [
            FieldEdit(c.field.key, shown_value(c.before), shown_value(c.after))
            for c in self.draft.changes()
        ]

    # -- the formulary ---------------------------------------------------------------------

    def choose_product_to_add(self) -> None:
        products = list(self.draft.document.get("products", {}))
        like, chosen = QInputDialog.getItem(self, "Add a product", "Copy the product:", products)
        if not chosen:
            return
        key, named = QInputDialog.getText(self, "Add a product", "Key of the new product:")
        if named:
            self.add_product(key.strip(), like)

    def choose_product_to_remove(self) -> None:
        products = list(self.draft.document.get("products", {}))
        key, chosen = QInputDialog.getItem(self, "Remove a product", "Product:", products)
        if chosen:
            self.remove_product(key)

    def add_product(self, key: str, like: str) -> bool:
        try:
            self.draft.add_product(key, like)
        except DraftError as exc:
            self._refuse("The product was not added", str(exc))
            return False
        self._fields_changed()
        return True

    def remove_product(self, key: str) -> None:
        self.draft.remove_product(key)
        self._fields_changed()

    def _fields_changed(self) -> None:
        """Rebuild the editors for the draft's new list of fields, then validate."""
        index = self.tabs.currentIndex()
        old = self.tabs
        self.tabs = self._field_tabs()
        self.splitter.replaceWidget(0, self.tabs)
        old.deleteLater()
        self.tabs.setCurrentIndex(index)
        self.validation = self.draft.validate()
        self.saved_path = None
        self._show_validation()
        self._debounce.start()

    # -- the comparison, a step at a time between the edits ---------------------------------

    def _comparer(self, worked: Sequence[WorkedCase]) -> StepwiseComparison:
        return StepwiseComparison(self.in_force, protocol_cases(worked, self._generated))

    def choose_worked_cases(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "A folder of worked cases or case files")
        if chosen:
            self.use_worked_cases([Path(chosen)])

    def use_worked_cases(self, paths: Sequence[Path]) -> bool:
        """Compare over these worked cases too (files, or folders of *.json), from now on."""
        try:
            worked = load_worked_cases(paths)
        except CaseFileError as exc:
            self._refuse("The worked cases were not added", exc.message)
            return False
        self.comparer.cancel()
        self._steps.stop()
        self.comparer = self._comparer(worked)
        self.comparison = None
        self.comparison_status.setText("Comparing with the protocol in force…")
        self._debounce.start()
        return True

    @property
    def comparison_pending(self) -> bool:
        return self._debounce.isActive() or self.comparer.pending

    def _start_comparison(self) -> None:
        candidate = self.validation.protocol
        if candidate is None:
            self.comparer.cancel()
            self.comparison_status.setText("No comparison while the protocol has problems.")
            return
        self.comparison_status.setText("Comparing with the protocol in force…")
        self.comparer.start(candidate)
        self._steps.start()

    def _comparison_step(self) -> None:
        comparison = self.comparer.step(STEP_SECONDS)
        if self.comparer.pending:
            return
        self._steps.stop()
        if comparison is None:  # cancelled: the draft has problems
            return
        self.comparison = comparison
        self.comparison_tree.clear()
        groups = comparison.by_change()
        self.comparison_status.setText(
            f"Compared with {comparison.old.id} version {comparison.old.version}. "
            f"{cases_run_text(comparison)} {comparison.changed_cases} of them change"
            + ("." if groups else " — no outcome, order, dose, rate or warning changes.")
        )
        for change, cases in groups:
            item = QTreeWidgetItem([f"{change} ({len(cases)})"])
            item.setToolTip(0, change)  # a long change is cut short on its row
            item.addChildren([QTreeWidgetItem([case]) for case in cases])
            self.comparison_tree.addTopLevelItem(item)
        self.compared.emit(comparison)

    # -- saving, the report and installing -----------------------------------------------

    def choose_save_path(self) -> bool:
        """Ask where to save the new version and save it there; whether it was saved."""
        folder = self.save_folder
        previous = self.draft.document.get("version")
        self.draft.ensure_new_version()
        self._refresh_field("version")
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            "Save the new protocol version",
            str(folder / self.draft.suggested_file_name()),
            "Protocol (*.json)",
        )
        if not chosen:  # cancelled: the draft is as it was
            self.draft.document["version"] = previous
            self._refresh_field("version")
            return False
        return self.save_as(Path(chosen))

    def save_as(self, path: Path) -> bool:
        """Save a new version to path; a refusal is shown and nothing is written."""
        try:
            protocol = self.draft.save_as(path)
        except ProtocolInvalid as exc:
            self._refuse("The protocol was not saved", "\n".join(exc.problems))
            return False
        except DraftError as exc:
            self._refuse("The protocol was not saved", str(exc))
            return False
        except OSError as exc:
            self._refuse("The protocol was not saved", f"{path}: {exc.strerror or exc}")
            return False
        self._refresh_field("version")
        self.validation = Validation(protocol, ())
        self.saved_path = path
        self._saved_data = self.draft.data()
        self._show_validation()
        self.statusBar().showMessage(
            f"Saved {protocol.id} version {protocol.version} to {path} (SHA-256 {protocol.sha256})"
        )
        return True

    def _refresh_field(self, key: str) -> None:
        widget, _ = self._editors[key]
        if isinstance(widget, QLineEdit):
            widget.setText(shown_value(self.draft.value(self.draft.field(key))))

    def choose_report_path(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save the change report", str(Path.home() / "change-report.pdf"), "PDF (*.pdf)"
        )
        if chosen:
            self.write_report(Path(chosen))

    def write_report(self, path: Path) -> bool:
        """Write the change report of the last comparison (waiting for it if need be)."""
        if self.validation.protocol is None:
            return False
        if self.comparison is None or self.comparison.new.sha256 != self.validation.protocol.sha256:
            self.comparison = self.comparer.now(self.validation.protocol)
        from mgdesk.printing.change_report import write_report_pdf

        try:
            write_report_pdf(self.comparison, path, self.field_edits(), str(date.today()))
        except OSError as exc:
            self._refuse("The report was not written", f"{path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Change report written to {path}")
        return True

    def install(self, location: InstallLocation) -> bool:
        """Install the saved file as `mgdesk protocol install` does."""
        if self.saved_path is None:
            return False
        try:
            installed = install_protocol(self.saved_path, location)
        except ProtocolInvalid as exc:
            self._refuse("The protocol was not installed", "\n".join(exc.problems))
            return False
        except InstallError as exc:
            self._refuse("The protocol was not installed", str(exc))
            return False
        self.statusBar().showMessage(
            f"Installed {installed.protocol.id} version {installed.protocol.version} at "
            f"{installed.path}"
        )
        self.installed.emit(installed)
        return True

    def _refuse(self, title: str, text: str) -> None:
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0] if text else ''}")
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setObjectName("refusal")
        box.open()

    @property
    def has_unsaved_changes(self) -> bool:
        return self.draft.data() != self._saved_data

    def ask_unsaved_changes(self, answer: Callable[[str], None]) -> None:
        name = self.draft.path.name if self.draft.path is not None else self.draft.origin
        ask_save_discard_cancel(self, f"the protocol from {name}", answer)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.has_unsaved_changes and not self._closing_settled:
            event.ignore()  # closed again once the question is answered

            def answered(choice: str) -> None:
                if choice == DISCARD or (choice == SAVE and self.choose_save_path()):
                    self._closing_settled = True
                    QTimer.singleShot(0, self, self.close)  # not inside the ignored close

            self.ask_unsaved_changes(answered)
            return
        self.comparer.cancel()
        super().closeEvent(event)


def open_editor(
    file: Path | None,
    in_force: Protocol,
    parent: QWidget | None = None,
    worked: Sequence[WorkedCase] = (),
) -> ProtocolEditor:
    """An editor over file, or over the file of the protocol in force (the bundled default's
    if none is installed). Raises ProtocolInvalid if file is not a JSON document."""
    if file is not None:
        draft = ProtocolDraft.from_file(file)
    else:
        active = active_protocol()
        source = active.path if active.path is not None else None
        draft = (
            ProtocolDraft.from_file(source)
            if source is not None
            else ProtocolDraft(
                files(resources).joinpath("protocols", "default.json").read_bytes(),
                "bundled default",
            )
        )
    editor = ProtocolEditor(draft, in_force, parent, worked=worked)
    if file is None:  # the installed protocol: a new version is not saved among the installs
        editor.save_folder = Path.home()
    editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return editor


def run_editor(file: Path | None, case_paths: Sequence[Path] = ()) -> int:
    """`mgdesk protocol edit [FILE] [--cases PATH ...]`: the editor alone, over FILE or the
    protocol in force, comparing over the worked cases given too."""
    try:
        worked = load_worked_cases(case_paths)
    except CaseFileError as exc:
        sys.stderr.write(f"mgdesk: {exc.message}\n")
        return EXIT_FILE_REFUSED
    app = QApplication.instance() or QApplication(sys.argv[:1] or ["mgdesk"])
    active = active_protocol()
    try:
        editor = open_editor(file, active.protocol, worked=worked)
    except ProtocolInvalid as exc:
        sys.stderr.write("mgdesk: " + "; ".join(exc.problems) + "\n")
        return EXIT_FILE_REFUSED
    editor.show()
    return int(app.exec())
