"""`mgdesk sheet`: the order sheet of a case as a PDF file or on a printer, without a display.

Refuses (exit 2, nothing written or printed) whatever build_sheet refuses: an invalid case,
a patient out of scope, nothing to sign, missing allergies or weight, a stop-level warning
not acknowledged.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO

from mgdesk.commands.evaluate import InputError, decode_case, read_input, resolve_protocol
from mgdesk.core.case import Case, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, PlanWithheld, ProtocolInvalid
from mgdesk.core.plan import Plan
from mgdesk.core.text import FACILITY_LIMIT, PRESCRIBER_LIMIT, printable_text_problem
from mgdesk.document.sheet import OrderSheet, SheetRefused, build_sheet, new_sheet_id, plan_blockers
from mgdesk.records.audit import AuditLog, AuditLogError, PendingEntry

EXIT_OK = 0
EXIT_OUTPUT_FAILED = 1
EXIT_REFUSED = 2
EXIT_WITHHELD = 3
PAPERS = ("a4", "letter")
AUDIT_HASH_TO_COME = "to come"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgdesk sheet",
        description="Produce the signed-off order sheet of a case: a PDF file or a printed copy.",
    )
    parser.add_argument("case", help="a case file, or - for standard input")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "-o", "--output", type=Path, metavar="OUT.pdf", help="write the sheet to this PDF file"
    )
    target.add_argument("--printer", metavar="NAME", help="print the sheet on this printer")
    parser.add_argument(
        "--paper",
        choices=PAPERS,
        help="paper size (default: the printer's, else Letter in the US locale, else A4)",
    )
    parser.add_argument(
        "--acknowledge",
        action="append",
        default=[],
        metavar="CODE[,CODE...]",
        help="stop-level warning codes the prescriber has read and acknowledges",
    )
    parser.add_argument(
        "--prescriber", help="the prescriber's name, printed under the signature line"
    )
    parser.add_argument(
        "--facility", default="", help="the facility named in the header of every page"
    )
    parser.add_argument(
        "--protocol", type=Path, help="a site protocol file instead of the active one"
    )
    return parser


def run(
    argv: Sequence[str],
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """argv as after `mgdesk`: ["sheet", CASE, ...] (a leading "sheet" is the subcommand)."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    arguments = list(argv)
    args = build_parser().parse_args(arguments[1:] if arguments[:1] == ["sheet"] else arguments)
    unprintable = _unprintable_arguments(args)
    if unprintable:
        return _refuse(stderr, "no order sheet was produced:", unprintable)
    try:
        protocol, evaluation_install = resolve_protocol(args.protocol, stderr)
    except ProtocolInvalid as exc:
        return _refuse(stderr, "the protocol was refused:", exc.problems)
    try:
        case = parse_case(decode_case(read_input(args.case, stdin)), protocol)
        plan = evaluate(case, protocol)
    except InputError as exc:
        return _refuse(stderr, "the case is not valid:", [f"case: {exc}"])
    except CaseInvalid as exc:
        return _refuse(stderr, "the case is not valid:", [str(e) for e in exc.errors])
    except PlanWithheld as exc:
        stderr.write(
            "mgdesk: the plan was withheld because it breaks a safety invariant:\n"
            + "".join(f"  - {v}\n" for v in exc.violations)
        )
        return EXIT_WITHHELD
    acknowledged = [
        code.strip() for given in args.acknowledge for code in given.split(",") if code.strip()
    ]
    try:
        sheet = build_sheet(
            case,
            plan,
            protocol,
            facility=args.facility,
            prescriber=args.prescriber,
            acknowledged=acknowledged,
            generated_at=datetime.now().astimezone(),
            sheet_id=new_sheet_id(),
            # Replaced by the entry's hash once it is recorded (below). The wording rules read
            # either as "[entered]", so they check the footer as printed, and only once.
            audit_hash=AUDIT_HASH_TO_COME,
            evaluation_install=evaluation_install,
        )
    except SheetRefused as exc:
        return _refuse(
            stderr,
            "no order sheet was produced:",
            exc.reasons,
            _acknowledge_hint(plan, acknowledged),
        )
    if args.output is not None and not args.output.parent.is_dir():
        return _refuse(
            stderr,
            "no order sheet was produced:",
            [f"the folder {args.output.parent} does not exist"],
        )
    # The audit entry is written before the sheet exists, so no printed sheet lacks one,
    # and its hash is printed in the footer, so paper anchors the chain.
    log = AuditLog()
    try:
        pending = _prepare_entry(log, sheet, case, plan, protocol.sha256)
    except AuditLogError as exc:
        stderr.write(f"mgdesk: no order sheet was produced: {exc}\n")
        return EXIT_OUTPUT_FAILED
    _tell(stderr, pending.problem)
    return _produce(replace(sheet, audit_hash=pending.hash), args, log, pending, stdout, stderr)


def _unprintable_arguments(args: argparse.Namespace) -> list[str]:
    """The printed names given as options that would not print as typed, each naming its
    option."""
    problems = []
    for option, value, limit in (
        ("--prescriber", args.prescriber, PRESCRIBER_LIMIT),
        ("--facility", args.facility, FACILITY_LIMIT),
    ):
        problem = printable_text_problem(value or "", limit)
        if problem is not None:
            problems.append(f"{option} {problem}")
    return problems


def _prepare_entry(
    log: AuditLog, sheet: OrderSheet, case: Case, plan: Plan, sha256: str
) -> PendingEntry:
    return log.prepare(
        sheet_id=sheet.sheet_id,
        case_document=case.document,
        plan=plan,
        protocol_sha256=sha256,
        acknowledged_warnings=[w.code for w in sheet.acknowledged],
        patient_id=case.patient.id,
    )


def _produce(
    sheet: OrderSheet,
    args: argparse.Namespace,
    log: AuditLog,
    pending: PendingEntry,
    stdout: IO[str],
    stderr: IO[str],
) -> int:
    # Qt is imported here, after pint and the core (see mgdesk/printing/__init__.py).
    from mgdesk.printing.render import PrintError, ensure_gui_application, write_pdf

    ensure_gui_application()
    paper = args.paper or _default_paper()
    try:
        if args.output is not None:
            pages = write_pdf(sheet, args.output, paper)
            where, output = f"written to {args.output}", str(args.output.resolve())
        else:
            pages = _print(sheet, args.printer, paper)
            where, output = f"sent to the printer {args.printer}", f"printer {args.printer}"
    except PrintError as exc:
        _tell(stderr, log.abandon(pending, str(exc)))
        return _refuse(stderr, "no order sheet was produced:", [str(exc)])
    except OSError as exc:
        _tell(stderr, log.abandon(pending, str(exc.strerror or exc)))
        stderr.write(f"mgdesk: the order sheet could not be written: {exc.strerror or exc}\n")
        return EXIT_OUTPUT_FAILED
    _tell(stderr, log.commit(pending, output))
    stdout.write(
        f"mgdesk: order sheet {sheet.sheet_id} ({pages} pages, {paper}) {where};"
        f" audit entry {pending.hash}\n"
    )
    return EXIT_OK


def _tell(stderr: IO[str], audit_problem: str | None) -> None:
    if audit_problem:
        stderr.write(f"mgdesk: audit log: {audit_problem}\n")


def _default_paper() -> str:
    # Qt's print support is loaded only when a printer is involved, not for a PDF.
    from mgdesk.printing.printers import default_paper

    return default_paper()


def _print(sheet: OrderSheet, printer: str, paper: str) -> int:
    from mgdesk.printing.printers import print_sheet

    return print_sheet(sheet, printer, paper)


def _acknowledge_hint(plan: Plan, acknowledged: list[str]) -> list[str]:
    pending = [w.code for w in plan.stop_warnings if w.code not in acknowledged]
    if not pending or plan_blockers(plan):
        return []
    codes = ",".join(w.code for w in plan.stop_warnings)
    return [
        f"After reading each stop-level warning above, acknowledge them with: --acknowledge {codes}"
    ]


def _refuse(stderr: IO[str], title: str, reasons: Sequence[str], hints: Sequence[str] = ()) -> int:
    stderr.write(
        f"mgdesk: {title}\n"
        + "".join(f"  - {r}\n" for r in reasons)
        + "".join(f"{h}\n" for h in hints)
    )
    return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(run(["sheet", *sys.argv[1:]]))
