"""Administration from the command line: site protocols and the audit log.

    mgdesk protocol install FILE [--user]
    mgdesk protocol check FILE [--cases PATH ...]   (compared with the protocol in force)
    mgdesk protocol compare OLD NEW [-o REPORT.pdf] [--cases PATH ...] [--generated N]
    mgdesk protocol show
    mgdesk protocol edit [FILE] [--cases PATH ...]   (the editor window; see mgdesk.__main__)
    mgdesk audit list [--db PATH] [--last N] [--json]
    mgdesk audit verify [--db PATH] [--sheet HASH]

Exit status: 0 done; 1 a verification failed, or a protocol could not be written;
2 invalid input (a protocol that is refused, an input file that cannot be read, a malformed
argument).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import IO

from mgdesk.commands.streams import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    standard_error,
    standard_output,
)
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.document.change_report import FieldEdit, report_text
from mgdesk.records.audit import AuditLog, AuditLogError
from mgdesk.records.audit_chain import AuditEntry, ChainReport, normalize_hash
from mgdesk.records.casefile import CaseFileError
from mgdesk.records.protocol_compare import GENERATED_CASES, compare_protocols
from mgdesk.records.protocol_edit import document_changes, shown_value
from mgdesk.records.protocol_history import installed_history
from mgdesk.records.site_protocol import (
    LOCATION_LABELS,
    InstallError,
    InstallLocation,
    active_protocol,
    check_protocol,
    install_protocol,
    installed_protocol_path,
    load_worked_cases,
    protocol_cases,
    read_protocol_file,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mgdesk", description="mgdesk administration.")
    commands = parser.add_subparsers(dest="command", required=True)

    protocol = commands.add_parser("protocol", help="install, check or show the site protocol")
    protocol_actions = protocol.add_subparsers(dest="action", required=True)
    install = protocol_actions.add_parser(
        "install", help="check a protocol file and install it for all users of this computer"
    )
    install.add_argument("file", type=Path)
    install.add_argument(
        "--user",
        action="store_true",
        help="install for yourself only, to evaluate it (per-user install)",
    )
    check = protocol_actions.add_parser(
        "check",
        help="check a protocol file and show, case by case, how its orders and outcomes "
        "differ from the protocol in force",
    )
    check.add_argument("file", type=Path)
    _add_cases_option(check)
    compare = protocol_actions.add_parser(
        "compare",
        help="show, case by case, what changes from protocol OLD to protocol NEW "
        "(worked cases, the bundled examples and generated cases)",
    )
    compare.add_argument("old", type=Path)
    compare.add_argument("new", type=Path)
    compare.add_argument(
        "-o", "--output", type=Path, metavar="REPORT.pdf", help="also write the change report"
    )
    _add_cases_option(compare)
    compare.add_argument(
        "--generated",
        type=_count,
        default=GENERATED_CASES,
        metavar="N",
        help=f"how many generated cases to run (default {GENERATED_CASES})",
    )
    protocol_actions.add_parser(
        "show", help="show the active protocol, where it comes from, and earlier installs"
    )
    edit = protocol_actions.add_parser(
        "edit",
        help="open the protocol editor window over FILE (default: the protocol in force), "
        "comparing it with the protocol in force",
    )
    edit.add_argument("file", type=Path, nargs="?")
    _add_cases_option(edit)

    audit = commands.add_parser("audit", help="list or verify the audit log of printed sheets")
    audit_actions = audit.add_subparsers(dest="action", required=True)
    listing = audit_actions.add_parser("list", help="show the entries of the audit log")
    listing.add_argument("--db", type=Path, help="the audit log (default: your data folder)")
    listing.add_argument("--last", type=int, metavar="N", help="only the last N entries")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    verify = audit_actions.add_parser("verify", help="check that no entry was altered")
    verify.add_argument("--db", type=Path, help="the audit log (default: your data folder)")
    verify.add_argument(
        "--sheet", metavar="HASH", help="check that the hash printed on a sheet is in the log"
    )
    return parser


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace | int:
    """The arguments of a command, or its exit status once argparse has printed the usage
    problem (or the help)."""
    try:
        return build_parser().parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID


def _add_cases_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cases",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="also run these case files or worked cases (a folder: its *.json)",
    )


def run(argv: Sequence[str], stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    out = stdout if stdout is not None else standard_output()
    err = stderr if stderr is not None else standard_error()
    args = parse_arguments(argv)
    if isinstance(args, int):
        return args
    if args.command == "protocol":
        if args.action == "install":
            return _install(args.file, args.user, out, err)
        if args.action == "check":
            return _check(args.file, args.cases, out, err)
        if args.action == "compare":
            return _compare(args, out, err)
        if args.action == "edit":
            err.write("mgdesk: `mgdesk protocol edit` opens a window: run it as `mgdesk`\n")
            return EXIT_INVALID
        return _show(out)
    log = AuditLog(args.db)
    if args.action == "list":
        return _list(log, args.last, args.json, out, err)
    return _verify(log, args.sheet, out, err)


def _install(file: Path, per_user: bool, out: IO[str], err: IO[str]) -> int:
    location: InstallLocation = "user" if per_user else "machine"
    try:
        installed = install_protocol(file, location)
    except ProtocolInvalid as exc:
        err.write(
            f"mgdesk: {file} was refused; the installed protocol is unchanged:\n"
            + "".join(f"  - {p}\n" for p in exc.problems)
        )
        return EXIT_INVALID
    except InstallError as exc:
        err.write(f"mgdesk: {exc}\n")
        return EXIT_FAILED
    protocol = installed.protocol
    out.write(
        f"Installed protocol {protocol.id} version {protocol.version} as the "
        f"{LOCATION_LABELS[location]}: {installed.path}\n"
        f"SHA-256: {protocol.sha256}\n"
    )
    for caution in _approval_cautions(protocol):
        out.write(f"Caution: {caution}\n")
    user_install = installed_protocol_path("user")
    if location == "machine" and user_install.exists():
        out.write(
            f"Note: your own per-user install at {user_install} still takes precedence for you.\n"
        )
    return EXIT_OK


def _approval_cautions(protocol: Protocol) -> list[str]:
    cautions = []
    if not protocol.approval.site_approved:
        cautions.append(
            "this protocol is not marked as approved by the site (approval.site_approved is false)."
        )
    if protocol.is_past_review(date.today()):
        cautions.append(f"this protocol is past its review date ({protocol.approval.review_date}).")
    return cautions


def _check(file: Path, case_paths: list[Path], out: IO[str], err: IO[str]) -> int:
    try:
        data = read_protocol_file(file)
        cases = load_worked_cases(case_paths)
    except OSError as exc:
        err.write(f"mgdesk: cannot read {file}: {exc.strerror or exc}\n")
        return EXIT_INVALID
    except CaseFileError as exc:
        err.write(f"mgdesk: {exc.message}\n")
        return EXIT_INVALID
    in_force = active_protocol()
    for notice in in_force.notices:
        err.write(f"mgdesk: {notice}\n")
    result = check_protocol(data, str(file), cases, in_force.protocol)
    if result.protocol is None or result.problems:
        err.write(
            f"mgdesk: {file} is not a valid protocol:\n"
            + "".join(f"  - {p}\n" for p in result.problems)
        )
        return EXIT_INVALID
    protocol = result.protocol
    out.write(
        f"{file} is a valid protocol: {protocol.id} version {protocol.version}\n"
        f"SHA-256: {protocol.sha256}\n"
    )
    for caution in _approval_cautions(protocol):
        out.write(f"Caution: {caution}\n")
    if protocol.read_as_1_0:
        out.write(
            "Read as a revision 1.0 protocol: it lacks these fields of revision 1.1:\n"
            + "".join(f"  - {note}\n" for note in protocol.read_as_1_0)
        )
    if protocol.read_as_bundled:
        out.write(
            "Read with the bundled value of each field added to revision 1.1 that it lacks:\n"
            + "".join(f"  - {note}\n" for note in protocol.read_as_bundled)
        )
    current = in_force.protocol
    compared = (
        in_force.installed_as
        if in_force.location == "bundled"
        else f"protocol in force ({current.id} version {current.version}, {in_force.installed_as})"
    )
    if result.changes:
        out.write(
            f"Outcomes and order fields that differ from the {compared} "
            f"({result.cases_run} cases run):\n" + "".join(f"  - {c}\n" for c in result.changes)
        )
    else:
        out.write(f"No outcome differs from the {compared} ({result.cases_run} cases run).\n")
    return EXIT_OK


def _show(out: IO[str]) -> int:
    active = active_protocol()
    protocol, approval = active.protocol, active.protocol.approval
    where = f"{active.installed_as} at {active.path}" if active.path else active.installed_as
    rows = [
        ("Protocol", protocol.title),
        ("Id", protocol.id),
        ("Version", protocol.version),
        ("SHA-256", protocol.sha256),
        (
            "Site approved",
            ("yes" if approval.site_approved else "no")
            + (f" ({approval.site})" if approval.site else ""),
        ),
        ("Approved by", approval.approved_by or "-"),
        ("Effective date", str(approval.effective_date or "-")),
        ("Review date", str(approval.review_date or "-")),
        ("Installed", where),
    ]
    out.write("".join(f"{name + ':':<16}{value}\n" for name, value in rows))
    if approval.note:
        out.write(f"{'Note:':<16}{approval.note}\n")
    for notice in active.notices:
        out.write(f"{notice}\n")
    for location in ("machine", "user"):
        history = installed_history(installed_protocol_path(location))
        if history:
            out.write(f"Installed history ({LOCATION_LABELS[location]}), oldest first:\n")
        for entry in history:
            found = entry.protocol
            name = f"{found.id} version {found.version}" if found else entry.problem
            out.write(f"  {entry.path.name}: {name}; SHA-256 {entry.sha256 or '-'}\n")
    return EXIT_OK


def _count(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of cases (0 or more)")
    return number


def _compare(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    protocols: list[Protocol] = []
    contents: list[bytes] = []
    for file in (args.old, args.new):
        try:
            contents.append(read_protocol_file(file))
            protocols.append(parse_protocol(contents[-1], origin=str(file)))
        except OSError as exc:
            err.write(f"mgdesk: cannot read {file}: {exc.strerror or exc}\n")
            return EXIT_INVALID
        except ProtocolInvalid as exc:
            err.write(
                f"mgdesk: {file} is not a valid protocol:\n"
                + "".join(f"  - {p}\n" for p in exc.problems)
            )
            return EXIT_INVALID
    try:
        worked = load_worked_cases(args.cases)
    except CaseFileError as exc:
        err.write(f"mgdesk: {exc.message}\n")
        return EXIT_INVALID
    comparison = compare_protocols(
        protocols[0], protocols[1], protocol_cases(worked, args.generated)
    )
    edits = [
        FieldEdit(change.field.key, shown_value(change.before), shown_value(change.after))
        for change in document_changes(contents[0], contents[1], str(args.new))
    ]
    out.write("".join(f"Field {e.field}: {e.before} -> {e.after}\n" for e in edits))
    out.write(report_text(comparison))
    if args.output is not None:
        from mgdesk.printing.change_report import write_report_pdf

        try:
            pages = write_report_pdf(comparison, args.output, edits, generated_on=str(date.today()))
        except OSError as exc:
            err.write(f"mgdesk: cannot write {args.output}: {exc.strerror or exc}\n")
            return EXIT_FAILED
        out.write(f"Change report ({pages} pages): {args.output}\n")
    return EXIT_OK


def _list(log: AuditLog, last: int | None, as_json: bool, out: IO[str], err: IO[str]) -> int:
    if last is not None and last < 1:
        err.write("mgdesk: --last needs a number of entries from 1 up\n")
        return EXIT_INVALID
    try:
        entries = log.entries()
    except AuditLogError as exc:
        err.write(f"mgdesk: {exc}\n")
        return EXIT_FAILED
    shown = entries[-last:] if last else entries
    queued = log.queued()
    if as_json:
        document = {"log": str(log.path), "entries": [e.as_dict() for e in shown], "queued": queued}
        out.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        return EXIT_OK
    out.write(f"Audit log {log.path}: {len(entries)} entries\n")
    if shown:
        table = [("#", "time (UTC)", "kind", "sheet", "hash", "details")]
        table += [(str(e.seq), e.time, e.kind, e.sheet_id, e.hash[:16], _details(e)) for e in shown]
        widths = [max(len(row[i]) for row in table) for i in range(5)]
        for row in table:
            out.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                + "  "
                + row[5]
                + "\n"
            )
    if queued:
        out.write(f"{len(queued)} entries wait in {_queue_place(log)}, not yet in the log.\n")
    return EXIT_OK


def _details(entry: AuditEntry) -> str:
    if entry.kind == "outcome":
        if entry.result == "output":
            return f"output to {entry.output}"
        return f"not output: {entry.note or 'no reason given'}"
    parts = [f"protocol {(entry.protocol_sha256 or '-')[:12]}"]
    try:
        warnings = json.loads(entry.acknowledged_warnings or "[]")
    except ValueError:
        warnings = [entry.acknowledged_warnings]
    if warnings:
        parts.append("acknowledged: " + ", ".join(str(w) for w in warnings))
    if entry.patient_id:
        parts.append(f"patient {entry.patient_id}")
    if entry.note:
        parts.append(entry.note)
    return "; ".join(parts)


def _verify(log: AuditLog, sheet: str | None, out: IO[str], err: IO[str]) -> int:
    if sheet is not None:
        return _verify_sheet(log, sheet, out, err)
    try:
        report = log.verify()
    except AuditLogError as exc:
        err.write(f"mgdesk: {exc}\n")
        return EXIT_FAILED
    _report_queue(log, report, out, err)
    if report.first_bad is not None:
        err.write(
            f"mgdesk: the audit log {log.path} has been tampered with or damaged: "
            f"{report.first_bad}.\n"
        )
        return EXIT_FAILED
    out.write(f"Audit log {log.path}: {report.entries} entries; the chain is intact.\n")
    return EXIT_OK


def _verify_sheet(log: AuditLog, sheet: str, out: IO[str], err: IO[str]) -> int:
    printed = normalize_hash(sheet)
    if printed is None:
        err.write(f"mgdesk: {sheet!r} is not a sheet hash (64 hexadecimal digits)\n")
        return EXIT_INVALID
    try:
        lookup = log.find_sheet(printed)
    except AuditLogError as exc:
        err.write(f"mgdesk: {exc}\n")
        return EXIT_FAILED
    _report_queue(log, lookup.chain, out, err)
    entry = lookup.entry
    if lookup.verified and entry is not None:
        out.write(
            f"The sheet {printed} is entry {entry.seq} of {log.path} "
            f"(sheet {entry.sheet_id}, {entry.time}); the chain is intact up to it.\n"
        )
        return EXIT_OK
    if lookup.state == "queued":
        err.write(
            f"mgdesk: the sheet {printed} waits in {_queue_place(log)}: it is not in the log "
            "yet (it is added when mgdesk next prints or exports with the log available).\n"
        )
    elif lookup.state == "absent":
        err.write(
            f"mgdesk: the sheet {printed} is not in the audit log {log.path}: its entry "
            "was removed, or the sheet was not printed with this log.\n"
        )
    elif not lookup.content_matches:
        err.write(f"mgdesk: the entry of the sheet {printed} does not match what was printed.\n")
    elif not lookup.anchored:
        err.write(
            f"mgdesk: the sheet {printed} was printed while the log was busy, after an entry "
            "that is no longer in the log: the log before it was rewritten.\n"
        )
    else:
        err.write(
            f"mgdesk: the sheet {printed} is in the log, but the chain is broken before it: "
            f"{lookup.chain.first_bad}.\n"
        )
    return EXIT_FAILED


def _report_queue(log: AuditLog, report: ChainReport, out: IO[str], err: IO[str]) -> None:
    if report.waiting:
        out.write(f"{report.waiting} entries wait in {_queue_place(log)}, not yet in the log.\n")
    if report.queue_problem:
        err.write(f"mgdesk: {report.queue_problem}\n")


def _queue_place(log: AuditLog) -> str:
    """Where queued entries are: the queue, or (while another program held the queue's lock)
    files of their own beside it, all named <log>.queue*.jsonl."""
    return f"the audit queue ({log.path}.queue*.jsonl)"
