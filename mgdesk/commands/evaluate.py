"""The command line: evaluate cases to text, JSON or JSON Lines, without a display."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from mgdesk import __version__
from mgdesk.commands.inputs import InputError, decode_case, read_input, resolve_protocol
from mgdesk.commands.streams import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_WITHHELD,
    standard_error,
    standard_input,
    standard_output,
)
from mgdesk.core.case import Case, parse_case
from mgdesk.core.emergency import EmergencyPlan, emergency_orders
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, FieldError, PlanWithheld, ProtocolInvalid
from mgdesk.core.plan import Plan
from mgdesk.core.protocol import Protocol
from mgdesk.document.report import emergency_report, text_report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgdesk", description="Decision support for adult hypomagnesemia."
    )
    parser.add_argument("--version", action="version", version=f"mgdesk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="evaluate a case and print the plan")
    ev.add_argument("case", help="a case file, or - for standard input")
    ev.add_argument(
        "--format",
        choices=("text", "json", "jsonl"),
        default="text",
        help="text (default) for a person; json for one plan; jsonl for one case per line",
    )
    ev.add_argument("--protocol", type=Path, help="a site protocol file instead of the active one")
    return parser


def run(
    argv: Sequence[str],
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    stdout = stdout if stdout is not None else standard_output()
    stderr = stderr if stderr is not None else standard_error()
    args = build_parser().parse_args(list(argv))
    stdin = stdin if stdin is not None else standard_input()
    try:
        in_use = resolve_protocol(args.protocol, stderr)
    except ProtocolInvalid as exc:
        stderr.write(
            "mgdesk: the protocol was refused:\n" + "".join(f"  - {p}\n" for p in exc.problems)
        )
        return EXIT_INVALID
    protocol = in_use.protocol
    try:
        data = read_input(args.case, stdin)
    except InputError as exc:
        return _report_errors([FieldError("case", str(exc))], args.format, stdout, stderr)
    if args.format == "jsonl":
        return _evaluate_lines(data, protocol, in_use.evaluation_file, stdout, stderr)
    try:
        document = decode_case(data)
        case = parse_case(document, protocol)
        plan = evaluate(case, protocol)
    except InputError as exc:
        return _report_errors([FieldError("case", str(exc))], args.format, stdout, stderr)
    except CaseInvalid as exc:
        emergency = emergency_orders(document, protocol)
        return _report_errors(list(exc.errors), args.format, stdout, stderr, emergency)
    except PlanWithheld as exc:
        stderr.write(
            "mgdesk: the plan was withheld because it breaks a safety invariant:\n"
            + "".join(f"  - {v}\n" for v in exc.violations)
        )
        return EXIT_WITHHELD
    if args.format == "json":
        plan_json = _plan_json(plan, in_use.evaluation_file)
        stdout.write(json.dumps(plan_json, ensure_ascii=False, indent=1) + "\n")
    else:
        stdout.write(
            text_report(plan, _patient_label(case), evaluation_file=in_use.evaluation_file)
        )
    return EXIT_OK


def _patient_label(case: Case) -> str:
    """As validated (trimmed), as the sheet prints it."""
    return ", ".join(part for part in (case.patient.name, case.patient.id) if part)


def _plan_json(plan: Plan, evaluation_file: bool) -> dict[str, Any]:
    """The plan's JSON; a protocol given with --protocol is marked in it, whatever approval
    the file claims, as the text report and the sheet mark it."""
    document = plan.as_dict()
    if evaluation_file:
        document["protocol"] = {**document["protocol"], "evaluation_only": True}
    return document


def _evaluate_lines(
    data: bytes, protocol: Protocol, evaluation_file: bool, stdout: IO[str], stderr: IO[str]
) -> int:
    """One output line per case line. Exit 2 if any line is not a valid case; else 3 if any
    plan was withheld; else 0."""
    invalid = withheld = False
    for number, line in _lines(data):
        emergency: EmergencyPlan | None = None
        try:
            document = decode_case(line)
            plan: Plan = evaluate(parse_case(document, protocol), protocol)
            plan_json = _plan_json(plan, evaluation_file)
            stdout.write(json.dumps(plan_json, ensure_ascii=False, separators=(",", ":")) + "\n")
            continue
        except InputError as exc:
            errors = [FieldError("case", str(exc))]
        except CaseInvalid as exc:
            errors = list(exc.errors)
            emergency = emergency_orders(document, protocol)
        except PlanWithheld as exc:
            withheld = True
            stdout.write(
                json.dumps({"line": number, "withheld": list(exc.violations)}, ensure_ascii=False)
                + "\n"
            )
            for violation in exc.violations:
                stderr.write(f"line {number}: plan withheld: {violation}\n")
            continue
        invalid = True
        stdout.write(json.dumps(_error_report(errors, emergency, line=number), ensure_ascii=False))
        stdout.write("\n")
        for e in errors:
            stderr.write(f"line {number}: {e}\n")
    if invalid:
        return EXIT_INVALID
    return EXIT_WITHHELD if withheld else EXIT_OK


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.strip():
            yield number, line


def _report_errors(
    errors: list[FieldError],
    fmt: str,
    stdout: IO[str],
    stderr: IO[str],
    emergency: EmergencyPlan | None = None,
) -> int:
    """The errors on stderr; on stdout, the emergency orders that do not wait for them."""
    stderr.write("mgdesk: the case is not valid:\n" + "".join(f"  - {e}\n" for e in errors))
    if fmt in ("json", "jsonl"):
        stdout.write(json.dumps(_error_report(errors, emergency), ensure_ascii=False) + "\n")
    elif emergency is not None:
        stdout.write(emergency_report(emergency))
    return EXIT_INVALID


def _error_report(
    errors: list[FieldError], emergency: EmergencyPlan | None, line: int | None = None
) -> dict[str, Any]:
    """{"line": N, "errors": [...]}, with the emergency orders and their warnings if any."""
    report: dict[str, Any] = {} if line is None else {"line": line}
    report["errors"] = [e.as_dict() for e in errors]
    if emergency is not None:
        report.update(emergency.as_dict())
    return report
