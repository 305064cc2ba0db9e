"""The order sheet dialog: acknowledge stop-level warnings, then preview, print or export.

Every button that produces a sheet stays disabled while build_sheet refuses, and the
reasons are shown in the dialog. Each modal call (print dialog, file dialog, preview,
message box) goes through one small method, so tests can replace it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
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
from mgdesk.core.sheet import OrderSheet, SheetRefused, build_sheet, new_sheet_id
from mgdesk.printing.printers import print_to
from mgdesk.printing.render import (
    PAPER_LABELS,
    PrintError,
    load_bundled_fonts,
    page_layout,
    write_pdf,
)


class OrderSheetDialog(QDialog):
    """Produce the order sheet of one evaluated case. facility, prescriber and paper are the
    remembered settings (the caller saves prescriber_name() and paper() afterwards)."""

    sheet_produced = Signal(
        object, str
    )  # the OrderSheet, and where it went ("PDF: path", "printer: name")

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
        audit_hash: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Order sheet")
        self._case, self._plan, self._protocol = case, plan, protocol
        self._facility, self._audit_hash = facility, audit_hash
        load_bundled_fonts()

        self._acknowledgements: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        if plan.stop_warnings:
            box = QGroupBox("Stop-level warnings: read each one and tick it to acknowledge")
            box_layout = QVBoxLayout(box)
            for warning in plan.stop_warnings:
                check = QCheckBox(f"I have read this warning ({warning.code})")
                check.setObjectName(f"acknowledge_{warning.code}")
                text = QLabel(warning.text)
                text.setWordWrap(True)
                box_layout.addWidget(text)
                box_layout.addWidget(check)
                check.toggled.connect(self._refresh)
                self._acknowledgements[warning.code] = check
            layout.addWidget(box)

        form = QFormLayout()
        self._prescriber = QLineEdit(prescriber or "")
        self._prescriber.setPlaceholderText("printed under the signature line (optional)")
        self._prescriber.textChanged.connect(self._refresh)
        form.addRow("Prescriber name:", self._prescriber)
        self._paper = QComboBox()
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
            audit_hash=self._audit_hash,
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
        self._preview_dialog = QPrintPreviewDialog(self)
        self._preview_dialog.printer().setPageLayout(page_layout(self.paper()))
        self._preview_dialog.paintRequested.connect(
            lambda printer: self._paint_preview(sheet, printer)
        )
        self._run_preview(self._preview_dialog)

    def _paint_preview(self, sheet: OrderSheet, printer: QPrinter) -> None:
        try:
            print_to(sheet, printer)
        except (PrintError, SheetRefused) as exc:
            self._show_error(str(exc))

    def print_sheet(self) -> None:
        sheet = self._sheet_or_none()
        if sheet is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(page_layout(self.paper()))
        if not self._ask_print_settings(printer):
            return
        try:
            pages = print_to(sheet, printer)
        except PrintError as exc:
            self._show_error(str(exc))
            return
        self._status.setText(
            f"Sheet {sheet.sheet_id}: {pages} pages sent to {printer.printerName()}."
        )
        self.sheet_produced.emit(sheet, f"printer: {printer.printerName()}")

    def export_pdf(self) -> None:
        sheet = self._sheet_or_none()
        if sheet is None:
            return
        path = self._ask_pdf_path(f"order-sheet-{sheet.sheet_id}.pdf")
        if path is None:
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            pages = write_pdf(sheet, path, self.paper())
        except (PrintError, OSError) as exc:
            self._show_error(f"The PDF could not be written: {exc}")
            return
        self._status.setText(f"Sheet {sheet.sheet_id}: {pages} pages written to {path}.")
        self.sheet_produced.emit(sheet, f"PDF: {path}")

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
