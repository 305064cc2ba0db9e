"""`mgdesk self-test`: proves that this installation works, frozen or run from source.

It checks the bundled protocol (loads, validates, matches the SHA-256 recorded at build
time, every step of its graph known to the engine and reachable), evaluates the bundled
example cases against their recorded expected results, and renders an order sheet to a
temporary PDF. One line per check; the exit status is 0 only when every check passed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import IO, Any

from mgdesk import __version__, resources
from mgdesk.commands.streams import EXIT_FAILED, EXIT_OK, standard_output
from mgdesk.core import codes
from mgdesk.core.case import Case, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.plan import Plan
from mgdesk.core.protocol_loader import default_protocol

FACILITY = "mgdesk self-test"
PAPER = "a4"
EXPECTED_FILE = "expected.json"
# A page object, not the /Pages tree node.
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


class CheckError(Exception):
    """A check did not pass; the message says why, in one line."""


def run(argv: list[str], stdout: IO[str] | None = None) -> int:
    """Run every check; argv is the command line from the subcommand name on."""
    out = stdout if stdout is not None else standard_output()
    argparse.ArgumentParser(
        prog="mgdesk self-test",
        description="Check that this installation evaluates cases and prints order sheets.",
    ).parse_args(argv[1:])
    how = "frozen" if getattr(sys, "frozen", False) else "from source"
    out.write(f"mgdesk {__version__} self-test ({how}, {sys.executable})\n")
    checks = _checks()
    failed = 0
    for name, check in checks:
        try:
            out.write(f"OK   {name}: {check()}\n")
        except Exception as exc:  # any failure is reported as that check's result
            failed += 1
            reason = str(exc) if isinstance(exc, CheckError) else f"{type(exc).__name__}: {exc}"
            out.write(f"FAIL {name}: {reason}\n")
        out.flush()
    if failed:
        out.write(f"self-test FAILED: {failed} of {len(checks)} checks failed\n")
        return EXIT_FAILED
    out.write(f"self-test passed: {len(checks)} checks\n")
    return EXIT_OK


def _checks() -> list[tuple[str, Callable[[], str]]]:
    try:
        expected: dict[str, Any] = _expected()["examples"]
    except Exception:  # the "examples" check reads the file again and reports why
        expected = {}
    return [
        ("protocol", _check_protocol),
        ("protocol SHA-256", _check_protocol_hash),
        ("protocol graph", _check_graph),
        ("examples", _check_examples_listed),
        *(
            (f"example {name}", _example_check(name, entry))
            for name, entry in sorted(expected.items())
        ),
        ("order sheet PDF", _check_sheet),
    ]


def _check_protocol() -> str:
    protocol = default_protocol()
    return f"{protocol.id} version {protocol.version} loads and validates"


def _check_protocol_hash() -> str:
    record = files(resources).joinpath("protocols", "default.sha256")
    recorded = record.read_text(encoding="utf-8").split()
    actual = default_protocol().sha256
    if not recorded or recorded[0] != actual:
        raise CheckError(
            f"default.json has SHA-256 {actual}, the build recorded "
            f"{recorded[0] if recorded else 'nothing'}: the bundled protocol changed"
        )
    return f"{actual} as recorded at build time"


def _check_graph() -> str:
    graph = default_protocol().graph
    steps = {n.id for n in graph.nodes if n.kind == "decision"}
    unknown = sorted(steps - set(codes.STEP_OUTCOMES))
    absent = sorted(set(codes.STEP_OUTCOMES) - steps)
    reached: set[str] = set()
    pending = [graph.start]
    while pending:
        node = pending.pop()
        if node not in reached:
            reached.add(node)
            pending += [e.target for e in graph.edges if e.source == node]
    unreachable = sorted({n.id for n in graph.nodes} - reached)
    problems = [
        f"{label}: {', '.join(ids)}"
        for label, ids in (
            ("steps the engine does not know", unknown),
            ("engine steps missing", absent),
            ("nodes not reachable from the start", unreachable),
        )
        if ids
    ]
    if problems:
        raise CheckError("; ".join(problems))
    return f"{len(steps)} steps, all known to the engine; {len(graph.nodes)} nodes, all reachable"


def _check_examples_listed() -> str:
    bundled = {
        p.name
        for p in _examples().iterdir()
        if p.name.endswith(".json") and p.name != EXPECTED_FILE
    }
    listed = set(_expected()["examples"])
    problems = [
        f"{label}: {', '.join(sorted(names))}"
        for label, names in (
            ("no expected result for", bundled - listed),
            ("expected result for a missing example", listed - bundled),
        )
        if names
    ]
    if problems:
        raise CheckError("; ".join(problems))
    return f"{len(bundled)} bundled examples, each with an expected result"


def _example_check(name: str, expected: dict[str, Any]) -> Callable[[], str]:
    def check() -> str:
        _case, plan = _evaluated(name)
        primary = [o.id for o in plan.orders if o.role == "primary"]
        missing = sorted(set(expected["required_warnings"]) - set(plan.warning_codes()))
        problems = [
            f"{field} {actual!r}, expected {wanted!r}"
            for field, actual, wanted in (
                ("status", plan.status, expected["status"]),
                ("severity", plan.severity, expected["severity"]),
                ("primary orders", primary, expected["primary_orders"]),
            )
            if actual != wanted
        ]
        if missing:
            problems.append(f"warnings missing: {', '.join(missing)}")
        if problems:
            raise CheckError("; ".join(problems))
        return f"{plan.status}, {plan.severity}, primary orders: {', '.join(primary) or 'none'}"

    return check


def _check_sheet() -> str:
    try:
        from mgdesk.document.sheet import build_sheet, new_sheet_id
        from mgdesk.printing import ensure_gui_application, write_pdf
    except ImportError as exc:
        raise CheckError(f"this build has no order sheet: {exc}") from None
    name = str(_expected()["sheet_example"])
    case, plan = _evaluated(name)
    sheet = build_sheet(
        case,
        plan,
        default_protocol(),
        facility=FACILITY,
        prescriber="mgdesk self-test",
        acknowledged=frozenset(w.code for w in plan.stop_warnings),
        generated_at=datetime.now().astimezone(),
        sheet_id=new_sheet_id(),
    )
    ensure_gui_application()
    with tempfile.TemporaryDirectory(prefix="mgdesk-self-test-") as folder:
        path = Path(folder) / "order-sheet.pdf"
        pages = int(write_pdf(sheet, path, PAPER))
        data = path.read_bytes()
    counted = len(_PAGE_OBJECT.findall(data))
    problems = [
        problem
        for problem, failed in (
            ("it does not start with %PDF-", not data.startswith(b"%PDF-")),
            ("it does not end with %%EOF", not data.rstrip().endswith(b"%%EOF")),
            (
                f"write_pdf reported {pages} pages, the file has {counted}",
                pages < 1 or counted != pages,
            ),
        )
        if failed
    ]
    if problems:
        raise CheckError(f"the PDF for {name} is not valid: {'; '.join(problems)}")
    return f"{name} rendered to a {pages}-page {PAPER.upper()} PDF of {len(data)} bytes"


def _examples() -> Traversable:
    return files(resources).joinpath("examples")


def _expected() -> dict[str, Any]:
    text = _examples().joinpath(EXPECTED_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _evaluated(name: str) -> tuple[Case, Plan]:
    protocol = default_protocol()
    text = _examples().joinpath(name).read_text(encoding="utf-8")
    case = parse_case(json.loads(text, parse_float=Decimal), protocol)
    return case, evaluate(case, protocol)
