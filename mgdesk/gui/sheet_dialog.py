"""The order sheet dialog: acknowledge stop-level warnings, then preview, print or export.

Every button that produces a sheet stays disabled while build_sheet refuses, and the
reasons are shown in the dialog. Each modal call (print dialog, file dialog, preview,
message box) goes through one small method, so tests can replace it.

With a SheetRecorder, every sheet printed or exported has its audit entry written
before it is rendered (the entry's hash is printed in its footer), and the outcome
after: the printer or file, or why nothing was output. What the audit log could not
take is shown in the dialog, not in a message box, and announced by audit_problem.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mgdesk.core.case import Case
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.text import (
    FACILITY_LIMIT,
    PRESCRIBER_LIMIT,
    isolated,
    printable_text_problem,
)
from mgdesk.document.issue import (
    Issued,
    NotWritten,
    Writer,
    Written,
    issue_sheet,
)
from mgdesk.document.issue import SheetRecorder as SheetRecorder  # the window makes one
from mgdesk.document.locale_text import localised_decimals
from mgdesk.document.sheet import OrderSheet, SheetRefused, build_sheet, new_sheet_id
from mgdesk.gui.colours import level_tint
from mgdesk.gui.labels import at_most_characters
from mgdesk.printing.printers import print_to
from mgdesk.printing.render import (
    PAPER_LABELS,
    PrintError,
    load_bundled_fonts,
    page_layout,
    write_pdf,
)
from mgdesk.printing.spooler import check_print_system
from mgdesk.records.safefile import describe_write_error


class SheetInputs(TypedDict):
    """What a sheet is made of (document.sheet.build_sheet's and document.issue.issue_sheet's
    shared arguments, checked against both by mypy)."""

    case: Case
    plan: Plan
    protocol: Protocol
    facility: str
    prescriber: str | None
    prescriber_registration: str | None
    prescriber_contact: str | None
    acknowledged: list[str]
    evaluation_install: bool


class OrderSheetDialog(QDialog):
    """Produce the order sheet of one evaluated case. facility, prescriber and paper are the
    remembered settings (the caller saves prescriber_name() and paper() afterwards)."""

    sheet_produced = Signal(
        object, str
    )  # the OrderSheet, and where it went ("PDF: path", "printer: name")
    audit_problem = Signal(str)  # what the audit log could not take, for the user to see

    def __init__(
        self,
        parent: QWidget | None,
        case: Case,
        plan: Plan,
        protocol: Protocol,
        *,
        facility: str,
        prescriber: str | None,
        paper: str,
        recorder: SheetRecorder | None = None,
        evaluation_install: bool = False,
        prescriber_registration: str | None = None,
        prescriber_contact: str | None = None,
        decimal_separator: str = ".",
    ) -> None:
        """evaluation_install: the protocol is a per-user install (every sheet says so);
        decimal_separator: the window's, for the sheet's numbers."""
        super().__init__(parent)
        self.setWindowTitle("Order sheet")
        self.setMinimumWidth(90 * self.fontMetrics().averageCharWidth())
        self._case, self._plan, self._protocol = case, plan, protocol
        self._facility, self._recorder = facility, recorder
        self._evaluation_install = evaluation_install
        self._decimal_separator = decimal_separator
        load_bundled_fonts()

        self._acknowledgements: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        self.summary = QLabel(self._summary_html())
        self.summary.setObjectName("summary")
        self.summary.setAccessibleName("What this sheet is for")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        if plan.stop_warnings:
            box = QGroupBox("Stop-level warnings: read each one and tick it to acknowledge")
            box_layout = QVBoxLayout(box)
            for warning in plan.stop_warnings:
                check = QCheckBox("I have read this warning")
                check.setObjectName(f"acknowledge_{warning.code}")
                text = QLabel(localised_decimals(warning.text, decimal_separator))
                text.setWordWrap(True)
                text.setMargin(6)
                _tint(text, "stop")
                box_layout.addWidget(text)
                box_layout.addWidget(check)
                check.toggled.connect(self._refresh)
                self._acknowledgements[warning.code] = check
            layout.addWidget(box)

        form = QFormLayout()
        self._prescriber = QLineEdit(prescriber or "")
        self._prescriber.setObjectName("prescriber")  # tests and tools find widgets by name
        self._prescriber.setMaxLength(PRESCRIBER_LIMIT)
        self._prescriber.setToolTip(at_most_characters(PRESCRIBER_LIMIT))
        self._prescriber.setPlaceholderText("required: printed under the signature line")
        self._prescriber.textChanged.connect(self._refresh)
        form.addRow("Prescriber &name:", self._prescriber)
        rules = protocol.sheet_rules
        self._registration = self._identity_field(
            "prescriber_registration",
            prescriber_registration,
            rules.prescriber_registration_required,
        )
        form.addRow("Registration number:", self._registration)
        self._contact = self._identity_field(
            "prescriber_contact", prescriber_contact, rules.prescriber_contact_required
        )
        form.addRow("Contact (bleep or phone):", self._contact)
        self._paper = QComboBox()
        self._paper.setObjectName("paper")
        for key, label in PAPER_LABELS.items():
            self._paper.addItem(label, key)
        self._paper.setCurrentIndex(max(0, self._paper.findData(paper)))
        form.addRow("Pape&r:", self._paper)
        layout.addLayout(form)

        self._reasons = QLabel()
        self._reasons.setWordWrap(True)
        self._reasons.setObjectName("reasons")
        layout.addWidget(self._reasons)
        self._status = QLabel()
        self._status.setWordWrap(True)
        layout.addWidget(self._status)
        self.audit_notice = QLabel()
        self.audit_notice.setObjectName("audit_notice")
        self.audit_notice.setAccessibleName("Audit log problem")
        self.audit_notice.setWordWrap(True)
        self.audit_notice.setMargin(6)
        self.audit_notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.audit_notice.setVisible(False)
        layout.addWidget(self.audit_notice)

        buttons = QHBoxLayout()
        self.preview_button = QPushButton("Print pre&view…")
        self.print_button = QPushButton("&Print…")
        self.pdf_button = QPushButton("&Export PDF…")
        close_button = QPushButton("&Close")
        for button in (self.preview_button, self.print_button, self.pdf_button, close_button):
            buttons.addWidget(button)
        self.preview_button.clicked.connect(self.preview)
        self.print_button.clicked.connect(self.print_sheet)
        self.pdf_button.clicked.connect(self.export_pdf)
        close_button.clicked.connect(self.reject)
        layout.addLayout(buttons)
        self._preview_dialog: QPrintPreviewDialog | None = None
        self._refresh()

    def _identity_field(self, name: str, value: str | None, required: bool) -> QLineEdit:
        """A line of the prescriber's identity, printed in the signature block."""
        field = QLineEdit(value or "")
        field.setObjectName(name)
        field.setMaxLength(PRESCRIBER_LIMIT)
        field.setToolTip(at_most_characters(PRESCRIBER_LIMIT))
        field.setPlaceholderText(
            "required by this site's protocol" if required else "optional: printed if given"
        )
        field.textChanged.connect(self._refresh)
        return field

    def _summary_html(self) -> str:
        """Whose sheet, for where, with which orders and protocol: checked before signing."""
        patient = self._case.patient
        who = ", ".join(
            p
            for p in (
                patient.name and isolated(patient.name),
                patient.id and f"ID {isolated(patient.id)}",
            )
            if p
        )
        preferences = "in Edit › Preferences"
        if printable_text_problem(self._facility, FACILITY_LIMIT) is not None:
            facility = f"<i>cannot be printed</i> (see below): correct it {preferences}"
        else:
            facility = html.escape(isolated(self._facility)) or (
                f"<i>not set</i>: the sheet will say “facility not set” (set it {preferences})"
            )
        protocol = f"{self._protocol.id} version {self._protocol.version}"
        cautions = [
            text
            for text, shown in (
                ("NOT approved by this site", not self._protocol.approval.site_approved),
                ("evaluation install", self._evaluation_install),
            )
            if shown
        ]
        rows = [
            ("Patient", html.escape(who or "no name or ID entered")),
            ("Facility", facility),
            ("Protocol", html.escape(" · ".join([protocol, *cautions]))),
            (
                "Orders",
                "<br>".join(
                    html.escape(localised_decimals(o.title, self._decimal_separator))
                    for o in self._plan.orders
                )
                or "none",
            ),
        ]
        return (
            "<table>"
            + "".join(
                f"<tr><td valign='top'>{label}:&nbsp;</td><td><b>{value}</b></td></tr>"
                for label, value in rows
            )
            + "</table>"
        )

    # -- state ---------------------------------------------------------------------------

    def prescriber_name(self) -> str:
        return self._prescriber.text().strip()

    def prescriber_registration(self) -> str:
        return self._registration.text().strip()

    def prescriber_contact(self) -> str:
        return self._contact.text().strip()

    def paper(self) -> str:
        return str(self._paper.currentData())

    def acknowledged(self) -> list[str]:
        return [code for code, check in self._acknowledgements.items() if check.isChecked()]

    def refusal_reasons(self) -> tuple[str, ...]:
        """Why no sheet can be produced yet; empty when it can."""
        try:
            self._build()
        except SheetRefused as exc:
            return exc.reasons
        return ()

    def _sheet_inputs(self) -> SheetInputs:
        """What the sheet is made of, as the dialog stands: the same for a preview and for
        the sheet that is issued."""
        return {
            "case": self._case,
            "plan": self._plan,
            "protocol": self._protocol,
            "facility": self._facility,
            "prescriber": self.prescriber_name() or None,
            "prescriber_registration": self.prescriber_registration() or None,
            "prescriber_contact": self.prescriber_contact() or None,
            "acknowledged": self.acknowledged(),
            "evaluation_install": self._evaluation_install,
        }

    def _build(self) -> OrderSheet:
        return build_sheet(
            **self._sheet_inputs(),
            generated_at=datetime.now().astimezone(),
            sheet_id=new_sheet_id(),
        )

    def _refresh(self) -> None:
        reasons = self.refusal_reasons()
        if reasons:
            self._reasons.setText(
                "The order sheet cannot be produced yet:\n" + "\n".join(f"• {r}" for r in reasons)
            )
        else:
            self._reasons.setText("Ready: preview, print or export the order sheet.")
        for button in (self.preview_button, self.print_button, self.pdf_button):
            button.setEnabled(not reasons)

    # -- actions -------------------------------------------------------------------------

    def preview(self) -> None:
        sheet = self._sheet_or_none()
        if sheet is None or self._print_system_silence() is not None:
            return
        # The dialog owns its printer and this dialog keeps the preview (ENGINEERING.md 2.2.4).
        self._preview_dialog = preview = QPrintPreviewDialog(self)
        preview.printer().setPageLayout(page_layout(self.paper()))
        preview.paintRequested.connect(lambda printer: self._paint_preview(sheet, printer))
        # The preview's own Print would bypass the audit log: it hands over to Print… here.
        for action in preview.findChildren(QAction):
            if action.text() == "Print":
                action.triggered.disconnect()
                action.triggered.connect(lambda: self._print_from_preview(preview))
        self._run_preview(preview)

    def _print_from_preview(self, preview: QPrintPreviewDialog) -> None:
        preview.accept()
        QTimer.singleShot(0, self, self.print_sheet)  # once the preview's event loop has ended

    def _paint_preview(self, sheet: OrderSheet, printer: QPrinter) -> None:
        try:
            print_to(sheet, printer, decimal_separator=self._decimal_separator)
        except (PrintError, SheetRefused) as exc:
            self._show_error(str(exc))

    def print_sheet(self) -> None:
        printers: list[QPrinter] = []

        def write(sheet: OrderSheet) -> Written:
            # Asked before Qt's print support is touched: a silent print server would
            # otherwise freeze the window inside QPrinter.
            silence = self._print_system_silence()
            if silence is not None:
                raise NotWritten(silence, "reported")
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setPageLayout(page_layout(self.paper()))
            printers.append(printer)
            if not self._ask_print_settings(printer):
                raise NotWritten("the print dialog was cancelled", "cancelled")
            try:
                pages = print_to(sheet, printer, decimal_separator=self._decimal_separator)
            except PrintError as exc:
                raise NotWritten(str(exc), "refused") from exc
            return Written(pages, " ".join(_printed_to(printer)))

        issued = self._issue(write)
        if issued.failure is not None and issued.failure.kind not in ("cancelled", "reported"):
            self._show_error(issued.failure.reason)
        if issued.sheet is None or issued.written is None:
            return
        where, output = _printed_to(printers[0])
        self._status.setText(
            f"Sheet {issued.sheet.sheet_id}: {issued.written.pages} pages sent to {output}."
        )
        self.sheet_produced.emit(issued.sheet, f"{where}: {output}")

    def _print_system_silence(self) -> str | None:
        """Why the print system cannot be used (shown to the user), or None when it answers.
        Qt's print support would otherwise freeze the window on a silent print server."""
        self._status.setText("Asking the print system…")
        try:
            check_print_system()
        except PrintError as exc:
            self._status.setText(f"{exc}.")
            self._show_error(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
            return str(exc)
        self._status.clear()
        return None

    def export_pdf(self) -> None:
        chosen: list[Path] = []

        def write(sheet: OrderSheet) -> Written:
            path = self._ask_pdf_path(f"order-sheet-{sheet.sheet_id}.pdf")
            if path is None:
                raise NotWritten("the file dialog was cancelled", "cancelled")
            if path.suffix.lower() != ".pdf":
                path = path.with_name(path.name + ".pdf")
            chosen.append(path)
            try:
                pdf_pages = write_pdf(sheet, path, self.paper(), self._decimal_separator)
                return Written(pdf_pages, str(path.resolve()))
            except PrintError as exc:
                raise NotWritten(str(exc), "refused") from exc
            except OSError as exc:
                raise NotWritten(describe_write_error(exc, path)) from exc

        issued = self._issue(write)
        if issued.failure is not None and issued.failure.kind != "cancelled":
            self._show_error(f"The PDF could not be written: {issued.failure.reason}")
        if issued.sheet is None or issued.written is None:
            return
        self._status.setText(
            f"Sheet {issued.sheet.sheet_id}: {issued.written.pages} pages written to {chosen[0]}."
        )
        self.sheet_produced.emit(issued.sheet, f"PDF: {chosen[0]}")

    # -- the audit entry around each output ----------------------------------------------

    def _issue(self, write: Writer) -> Issued:
        """Build, record, write and record the outcome of a sheet; shows what the audit log
        could not take, and the reasons when no sheet may be produced."""
        issued = issue_sheet(**self._sheet_inputs(), write=write, recorder=self._recorder)
        if issued.outcome == "refused":
            self._refresh()
        elif issued.outcome == "not recorded":
            self._tell_audit_problem(f"no order sheet was produced: {issued.reasons[0]}")
        for problem in issued.audit_problems:
            self._tell_audit_problem(problem)
        return issued

    def _tell_audit_problem(self, problem: str | None) -> None:
        if not problem:
            return
        _tint(self.audit_notice, "caution")
        self.audit_notice.setText(f"Audit log: {problem}")
        self.audit_notice.setVisible(True)
        self.audit_problem.emit(problem)

    def _sheet_or_none(self) -> OrderSheet | None:
        try:
            return self._build()
        except SheetRefused:
            self._refresh()
            return None

    # -- modal calls (tests replace these) ----------------------------------------------

    def _run_preview(self, dialog: QPrintPreviewDialog) -> None:
        dialog.exec()

    def _ask_print_settings(self, printer: QPrinter) -> bool:
        return QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted

    def _ask_pdf_path(self, suggested_name: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export the order sheet as PDF", suggested_name, "PDF (*.pdf)"
        )
        return Path(name) if name else None

    def _show_error(self, message: str) -> None:
        QMessageBox.critical(self, "Order sheet", message)


def _printed_to(printer: QPrinter) -> tuple[str, str]:
    """("PDF", its path) when the print dialog chose a file, else ("printer", its name)."""
    if printer.outputFileName():
        return "PDF", printer.outputFileName()
    return "printer", printer.printerName()


def _tint(label: QLabel, level: str) -> None:
    """The background of a warning level behind label (the palette's own text on it)."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.Window, level_tint(label.palette(), level).background)
    label.setPalette(palette)
    label.setAutoFillBackground(True)
