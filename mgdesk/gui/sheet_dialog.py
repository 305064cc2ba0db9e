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
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

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
    as_typed,
    isolated,
    printable_text_problem,
)
from mgdesk.document.sheet import OrderSheet, SheetRefused, build_sheet, new_sheet_id
from mgdesk.gui.colours import level_tint
from mgdesk.printing.printers import print_to
from mgdesk.printing.render import (
    PAPER_LABELS,
    PrintError,
    load_bundled_fonts,
    page_layout,
    write_pdf,
)
from mgdesk.records.audit import AuditLog, AuditLogError, PendingEntry
from mgdesk.records.safefile import describe_write_error


class SheetRecorder:
    """The audit entries of the sheets made from one case document and its plan."""

    def __init__(self, log: AuditLog, case_document: Mapping[str, Any], plan: Plan) -> None:
        self.log = log
        self._document, self._plan = case_document, plan

    def prepare(self, sheet: OrderSheet) -> PendingEntry:
        """The sheet's entry, written before it is rendered; raises AuditLogError if it
        could be recorded nowhere."""
        return self.log.prepare(
            sheet_id=sheet.sheet_id,
            case_document=self._document,
            plan=self._plan,
            protocol_sha256=sheet.protocol_sha256,
            acknowledged_warnings=[w.code for w in sheet.acknowledged],
            patient_id=as_typed(sheet.patient_id) or None,
        )

    def commit(self, pending: PendingEntry, output: str) -> str | None:
        """Record where the sheet went; returns the problem to show, if any."""
        try:
            return self.log.commit(pending, output)
        except AuditLogError as exc:
            return str(exc)

    def abandon(self, pending: PendingEntry, reason: str) -> str | None:
        """Record why the sheet was not output; returns the problem to show, if any."""
        try:
            return self.log.abandon(pending, reason)
        except AuditLogError as exc:
            return str(exc)


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
    ) -> None:
        """evaluation_install: the protocol is a per-user install (every sheet says so)."""
        super().__init__(parent)
        self.setWindowTitle("Order sheet")
        self.setMinimumWidth(90 * self.fontMetrics().averageCharWidth())
        self._case, self._plan, self._protocol = case, plan, protocol
        self._facility, self._recorder = facility, recorder
        self._evaluation_install = evaluation_install
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
                check = QCheckBox(f"I have read this warning ({warning.code})")
                check.setObjectName(f"acknowledge_{warning.code}")
                text = QLabel(warning.text)
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
        self._prescriber.setPlaceholderText("printed under the signature line (optional)")
        self._prescriber.textChanged.connect(self._refresh)
        form.addRow("Prescriber name:", self._prescriber)
        self._paper = QComboBox()
        self._paper.setObjectName("paper")
        for key, label in PAPER_LABELS.items():
            self._paper.addItem(label, key)
        self._paper.setCurrentIndex(max(0, self._paper.findData(paper)))
        form.addRow("Paper:", self._paper)
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
        self.preview_button = QPushButton("Print preview…")
        self.print_button = QPushButton("Print…")
        self.pdf_button = QPushButton("Export PDF…")
        close_button = QPushButton("Close")
        for button in (self.preview_button, self.print_button, self.pdf_button, close_button):
            buttons.addWidget(button)
        self.preview_button.clicked.connect(self.preview)
        self.print_button.clicked.connect(self.print_sheet)
        self.pdf_button.clicked.connect(self.export_pdf)
        close_button.clicked.connect(self.reject)
        layout.addLayout(buttons)
        self._preview_dialog: QPrintPreviewDialog | None = None
        self._refresh()

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
                "<br>".join(html.escape(o.title) for o in self._plan.orders) or "none",
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

    def _build(self) -> OrderSheet:
        return build_sheet(
            self._case,
            self._plan,
            self._protocol,
            facility=self._facility,
            prescriber=self.prescriber_name() or None,
            acknowledged=self.acknowledged(),
            generated_at=datetime.now().astimezone(),
            sheet_id=new_sheet_id(),
            evaluation_install=self._evaluation_install,
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
        if sheet is None:
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
            print_to(sheet, printer)
        except (PrintError, SheetRefused) as exc:
            self._show_error(str(exc))

    def print_sheet(self) -> None:
        prepared = self._prepare()
        if prepared is None:
            return
        sheet, pending = prepared
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(page_layout(self.paper()))
        if not self._ask_print_settings(printer):
            self._abandon(pending, "the print dialog was cancelled")
            return
        try:
            pages = print_to(sheet, printer)
        except PrintError as exc:
            self._abandon(pending, str(exc))
            self._show_error(str(exc))
            return
        output = printer.outputFileName() or printer.printerName()
        where = "PDF" if printer.outputFileName() else "printer"
        self._commit(pending, f"{where} {output}")
        self._status.setText(f"Sheet {sheet.sheet_id}: {pages} pages sent to {output}.")
        self.sheet_produced.emit(sheet, f"{where}: {output}")

    def export_pdf(self) -> None:
        prepared = self._prepare()
        if prepared is None:
            return
        sheet, pending = prepared
        path = self._ask_pdf_path(f"order-sheet-{sheet.sheet_id}.pdf")
        if path is None:
            self._abandon(pending, "the file dialog was cancelled")
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            pages = write_pdf(sheet, path, self.paper())
        except (PrintError, OSError) as exc:
            reason = describe_write_error(exc, path) if isinstance(exc, OSError) else str(exc)
            self._abandon(pending, reason)
            self._show_error(f"The PDF could not be written: {reason}")
            return
        self._commit(pending, str(path.resolve()))
        self._status.setText(f"Sheet {sheet.sheet_id}: {pages} pages written to {path}.")
        self.sheet_produced.emit(sheet, f"PDF: {path}")

    # -- the audit entry around each output ----------------------------------------------

    def _prepare(self) -> tuple[OrderSheet, PendingEntry | None] | None:
        """The sheet to output, its audit entry already written; None if it may not be."""
        sheet = self._sheet_or_none()
        if sheet is None:
            return None
        if self._recorder is None:
            return sheet, None
        try:
            pending = self._recorder.prepare(sheet)
        except AuditLogError as exc:
            self._tell_audit_problem(f"no order sheet was produced: {exc}")
            return None
        self._tell_audit_problem(pending.problem)
        return replace(sheet, audit_hash=pending.hash), pending

    def _commit(self, pending: PendingEntry | None, output: str) -> None:
        if self._recorder is not None and pending is not None:
            self._tell_audit_problem(self._recorder.commit(pending, output))

    def _abandon(self, pending: PendingEntry | None, reason: str) -> None:
        if self._recorder is not None and pending is not None:
            self._tell_audit_problem(self._recorder.abandon(pending, reason))

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


def _tint(label: QLabel, level: str) -> None:
    """The background of a warning level behind label (the palette's own text on it)."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.Window, level_tint(label.palette(), level).background)
    label.setPalette(palette)
    label.setAutoFillBackground(True)
