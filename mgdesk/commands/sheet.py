"""`mgdesk sheet`: the order sheet of a case as a PDF file or on a printer, without a display.

Refuses (exit 2, nothing written or printed) whatever build_sheet refuses: an invalid case,
a patient out of scope, nothing to sign, missing allergies or weight, a stop-level warning
not acknowledged.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mgdesk.commands.inputs import InputError, decode_case, read_input, resolve_protocol
from mgdesk.commands.streams import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_WITHHELD,
    standard_error,
    standard_input,
    standard_output,
)
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, PlanWithheld, ProtocolInvalid
from mgdesk.core.plan import Plan
from mgdesk.core.text import FACILITY_LIMIT, PRESCRIBER_LIMIT, printable_text_problem
from mgdesk.document.issue import NotWritten, SheetRecorder, Written, issue_sheet
from mgdesk.document.sheet import OrderSheet, plan_blockers
from mgdesk.records.audit import AuditLog
from mgdesk.records.safefile import target_problem

PAPERS = ("a4", "letter")


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
        help="paper size (default: Letter in the US, Canada and other Letter locales, else A4)",
    )
    parser.add_argument(
        "--acknowledge",
        action="append",
        default=[],
        metavar="CODE[,CODE...]",
        help="stop-level warning codes the prescriber has read and acknowledges",
    )
    # The prescriber's identity, printed in the signature block.
    parser.add_argument(
        "--prescriber",
        metavar="NAME",
        help="the prescriber's printed name, under the signature line (required)",
    )
    parser.add_argument(
        "--prescriber-registration",
        metavar="NUMBER",
        help="the prescriber's registration number (required where the site protocol says so)",
    )
    parser.add_argument(
        "--prescriber-contact",
        metavar="BLEEP",
        help="the prescriber's bleep or phone (required where the site protocol says so)",
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
    stdout = stdout if stdout is not None else standard_output()
    stderr = stderr if stderr is not None else standard_error()
    arguments = list(argv)
    args = build_parser().parse_args(arguments[1:] if arguments[:1] == ["sheet"] else arguments)
    unprintable = _unprintable_arguments(args)
    if unprintable:
        return _refuse(stderr, "no order sheet was produced:", unprintable)
    stdin = stdin if stdin is not None else standard_input()
    try:
        in_use = resolve_protocol(args.protocol, stderr)
    except ProtocolInvalid as exc:
        return _refuse(stderr, "the protocol was refused:", exc.problems)
    protocol = in_use.protocol
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
    destination = _Destination(args.output, args.printer, args.paper)
    issued = issue_sheet(
        case,
        plan,
        protocol,
        facility=args.facility,
        prescriber=args.prescriber,
        prescriber_registration=args.prescriber_registration,
        prescriber_contact=args.prescriber_contact,
        acknowledged=acknowledged,
        write=destination.write,
        recorder=SheetRecorder(AuditLog(), case.document, plan),
        evaluation_install=in_use.evaluation_install,
        evaluation_file=in_use.evaluation_file,
        destination_problems=destination.problems,
    )
    for problem in issued.audit_problems:
        stderr.write(f"mgdesk: audit log: {problem}\n")
    if issued.outcome == "refused":
        name_hint = (
            ["Give the prescriber's printed name with: --prescriber NAME"]
            if not (args.prescriber or "").strip() and not plan_blockers(plan)
            else []
        )
        return _refuse(
            stderr,
            "no order sheet was produced:",
            issued.reasons,
            _acknowledge_hint(plan, acknowledged) + name_hint,
        )
    if issued.outcome == "not recorded":
        stderr.write(f"mgdesk: no order sheet was produced: {issued.reasons[0]}\n")
        return EXIT_FAILED
    if issued.failure is not None:
        if issued.failure.kind == "refused":
            return _refuse(stderr, "no order sheet was produced:", issued.reasons)
        stderr.write(f"mgdesk: the order sheet could not be written: {issued.reasons[0]}\n")
        return EXIT_FAILED
    assert issued.sheet is not None and issued.written is not None
    where = (
        f"written to {args.output}"
        if args.output is not None
        else f"sent to the printer {args.printer}"
    )
    stdout.write(
        f"mgdesk: order sheet {issued.sheet.sheet_id} ({issued.written.pages} pages,"
        f" {destination.paper}) {where}; audit entry {issued.audit_hash}\n"
    )
    return EXIT_OK


@dataclass
class _Destination:
    """A PDF file or a printer; paper is the one asked for, else the default when written."""

    output: Path | None
    printer: str | None
    paper: str | None

    def problems(self) -> list[str]:
        problem = None if self.output is None else target_problem(self.output)
        return [problem] if problem else []

    def write(self, sheet: OrderSheet) -> Written:
        # Qt is imported here, after pint and the core (see mgdesk/printing/__init__.py).
        from mgdesk.printing.render import PrintError, ensure_gui_application, write_pdf

        ensure_gui_application()
        self.paper = paper = self.paper or _default_paper()
        try:
            if self.output is not None:
                return Written(write_pdf(sheet, self.output, paper), str(self.output.resolve()))
            assert self.printer is not None
            return Written(_print(sheet, self.printer, paper), f"printer {self.printer}")
        except PrintError as exc:
            raise NotWritten(str(exc), "refused") from exc
        except OSError as exc:
            raise NotWritten(str(exc.strerror or exc)) from exc


def _default_paper() -> str:
    # From the locale, never the print system: a PDF must not wait for a print server.
    from mgdesk.printing.paper import locale_paper

    return locale_paper()


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
    return EXIT_INVALID


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


if __name__ == "__main__":
    sys.exit(run(["sheet", *sys.argv[1:]]))
