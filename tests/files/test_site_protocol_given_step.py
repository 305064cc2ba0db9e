"""A site protocol written before step 8f (magnesium already given) was a step of the graph:
the bundled step is put in its graph, `mgdesk protocol check` says so, and its plans walk
the same steps as the bundled protocol's (PROTOCOL.md step 8f; a file never skips it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from files_support import as_1_0, default_protocol_document, protocol_bytes, run_admin
from protocol_documents import without_given_step
from worked_cases import worked_case, worked_case_files

from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, ProtocolInvalid
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol, parse_protocol

STEP_NOTES = (
    "graph.nodes: the step 'magnesium_given' (Magnesium already given, PROTOCOL.md step 8f) "
    "missing, read as the bundled step before 'gi_losses': its 4 edges lead to 'gi_losses', "
    "and the 8 edges that led there lead to it",
    "steps.magnesium_given: missing, read as the bundled rationales",
)


def earlier_1_1() -> dict[str, Any]:
    document = without_given_step(default_protocol_document())
    document["version"] = "1.1.1"
    return document


def write(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / "site.json"
    path.write_bytes(protocol_bytes(document))
    return path


def plan_under(name: str, protocol: Protocol) -> Any:
    return evaluate(parse_case(worked_case(name)["case"], protocol), protocol)


def test_an_earlier_1_1_file_takes_the_bundled_step_and_keeps_its_own_words() -> None:
    protocol = parse_protocol(protocol_bytes(earlier_1_1()))
    assert protocol.read_as_1_0 == ()
    assert protocol.read_as_bundled == STEP_NOTES
    graph = protocol.graph
    node = graph.node("magnesium_given")
    assert (node.kind, node.question) == (
        "decision",
        "Parenteral magnesium given in the last 48 hours?",
    )
    into = {e.source for e in graph.edges if e.target == "magnesium_given"}
    assert into == {n.id for n in graph.nodes if n.id.startswith("tx_")}
    assert not any(e.target == "gi_losses" and e.source != "magnesium_given" for e in graph.edges)
    assert {e.outcome for e in graph.edges if e.source == "magnesium_given"} == {
        "none",
        "counted",
        "limit_reached",
        "im_limit_reached",
    }
    assert graph.node("renal").question == "Creatinine clearance?"  # the site's wording


def test_an_earlier_1_1_file_walks_the_steps_of_the_bundled_protocol() -> None:
    earlier = parse_protocol(protocol_bytes(earlier_1_1()))
    walked = 0
    for path in worked_case_files():
        try:
            plan = plan_under(path.name, earlier)
        except CaseInvalid:
            continue  # a worked case of a field error
        bundled = plan_under(path.name, default_protocol())
        assert plan.path == bundled.path, path.name
        assert plan.steps == bundled.steps, path.name
        assert (plan.orders, plan.warnings) == (bundled.orders, bundled.warnings), path.name
        walked += "magnesium_given" in plan.path
    assert walked >= 10


def test_a_1_0_file_takes_the_step_too_and_y22_reaches_the_limit_there() -> None:
    protocol = parse_protocol(
        protocol_bytes(without_given_step(as_1_0(default_protocol_document())))
    )
    assert protocol.read_as_1_0 and protocol.read_as_bundled[-2:] == STEP_NOTES
    step = next(s for s in plan_under("y22.json", protocol).steps if s.id == "magnesium_given")
    assert step.outcome == "limit_reached"


def test_protocol_check_lists_the_step_an_earlier_1_1_file_takes(tmp_path: Path) -> None:
    status, out, err = run_admin("protocol", "check", str(write(tmp_path, earlier_1_1())))
    assert status == 0, err
    assert "Read as a revision 1.0" not in out
    assert (
        "Read with the bundled value of each field added to revision 1.1 that it lacks:\n"
        + "".join(f"  - {note}\n" for note in STEP_NOTES)
    ) in out
    assert "No outcome differs from the bundled default" in out


def test_protocol_check_lists_the_step_a_1_0_file_takes(tmp_path: Path) -> None:
    path = write(tmp_path, without_given_step(as_1_0(default_protocol_document())))
    status, out, err = run_admin("protocol", "check", str(path))
    assert status == 0, err
    assert "Read as a revision 1.0 protocol" in out
    assert "".join(f"  - {note}\n" for note in STEP_NOTES) in out


def test_a_file_with_the_step_may_not_route_an_action_around_it() -> None:
    document = default_protocol_document()
    edge = next(e for e in document["graph"]["edges"] if e["from"] == "tx_oral_first_line")
    edge["to"] = "gi_losses"
    with pytest.raises(ProtocolInvalid) as refused:
        parse_protocol(protocol_bytes(document))
    assert (
        "graph.edges: step 'treatment', outcome 'oral_first_line' leads to 'gi_losses', not to "
        "the next step 'magnesium_given': a site may not skip or reorder the steps"
    ) in refused.value.problems
