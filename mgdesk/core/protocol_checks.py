"""Checks of a protocol as a whole: the step graph, thresholds in order, placeholders."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import fields
from fractions import Fraction
from typing import Any, get_type_hints

from mgdesk.core import codes
from mgdesk.core.protocol import (
    KIND,
    MONITORING_CODES,
    Graph,
    GraphEdge,
    GraphNode,
    Monitoring,
    MonitoringText,
)
from mgdesk.core.protocol_reader import Reader
from mgdesk.core.text import printable_text_problem

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _placeholders_filled(path: tuple[str, ...]) -> frozenset[str]:
    """The placeholders the engine fills in the text at this place of the document."""
    if len(path) == 3 and path[0] == "warnings" and path[2] in ("text", "text_torsades"):
        return codes.WARNING_PLACEHOLDERS_EVERYWHERE | codes.WARNING_PLACEHOLDERS.get(
            path[1], frozenset()
        )
    if len(path) == 3 and path[0] == "orders":
        return codes.ORDER_PLACEHOLDERS.get((path[1], path[2]), frozenset())
    return frozenset()


def check_texts(r: Reader, doc: Mapping[str, Any]) -> None:
    """Every text prints as it is written: it holds no direction control, invisible or
    control character (core.text: a direction override in a diluent printed "IV over 15
    minutes (400 mL/h, 133 mg/min)" as "(nim/gm 331 ,h/Lm 004) setunim 51 revo VI"), and
    every {name} in it is one the engine fills there (any other would be printed as it
    stands, braces and all)."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), doc)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(((*path, str(k)), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(((*path, f"[{i}]"), v) for i, v in enumerate(item))
        elif isinstance(item, str):
            unprintable = printable_text_problem(item)
            named = set(_PLACEHOLDER.findall(item)) if "{" in item else set()
            if unprintable is None and not named:
                continue  # most texts: nothing to look up (every protocol load checks them all)
            where = ".".join(path).replace(".[", "[")
            if unprintable is not None:
                r.problem(where, unprintable)
            filled = _placeholders_filled(path)
            for name in sorted(named - filled):
                known = ", ".join(f"{{{n}}}" for n in sorted(filled)) or "none"
                r.problem(
                    where,
                    f"{{{name}}} is not filled in by the engine here (placeholders here: {known})",
                )


def read_monitoring(
    r: Reader, doc: Mapping[str, Any], check_sources: Callable[[Any, str], tuple[str, ...]]
) -> dict[str, Any]:
    """Each monitoring instruction: its text, sources and (the oral recheck) the measured
    values its class adds, such as the day an oral course is reviewed."""
    r.exact_keys(doc, set(MONITORING_CODES), "monitoring.")
    shapes: dict[str, type[MonitoringText]] = get_type_hints(Monitoring)
    monitoring: dict[str, Any] = {}
    for code in MONITORING_CODES:
        entry = doc.get(code)
        if not isinstance(entry, dict):
            continue
        where = f"monitoring.{code}."
        measured = {f.name: f.metadata[KIND] for f in fields(shapes[code]) if KIND in f.metadata}
        r.exact_keys(entry, {"text", "sources", *measured}, where)
        text = r.text(entry, "text", where)
        sources = check_sources(entry.get("sources"), f"{where}sources")
        values = {
            key: r.quantity(entry[key], kind, f"{where}{key}")
            for key, kind in measured.items()
            if key in entry
        }
        if all(values.get(key) is not None for key in measured):  # else a problem is named
            monitoring[code] = shapes[code](code, text, sources, **values)
    return monitoring


def read_graph(
    r: Reader, doc: Mapping[str, Any], check_sources: Callable[[Any, str], tuple[str, ...]]
) -> Graph:
    r.exact_keys(doc, {"start", "nodes", "edges"}, "graph.")
    nodes_doc, edges_doc = doc.get("nodes"), doc.get("edges")
    if not isinstance(nodes_doc, list) or not isinstance(edges_doc, list):
        r.problem("graph", "needs lists of nodes and edges")
        return Graph("", (), ())
    nodes: list[GraphNode] = []
    for i, n in enumerate(nodes_doc):
        where = f"graph.nodes[{i}]."
        if not isinstance(n, dict):
            r.problem(where.rstrip("."), "must be an object")
            continue
        r.exact_keys(n, {"id", "kind", "title"}, where, optional={"question", "sources"})
        if n.get("kind") not in ("decision", "action", "end"):
            r.problem(f"{where}kind", "must be decision, action or end")
        sources = check_sources(n["sources"], f"{where}sources") if "sources" in n else ()
        nodes.append(
            GraphNode(
                str(n.get("id")),
                str(n.get("kind")),
                r.text(n, "title", where),
                n.get("question"),
                sources,
            )
        )
    ids = [n.id for n in nodes]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        r.problem("graph.nodes", f"node {dup!r} appears twice")
    decisions = {n.id for n in nodes if n.kind == "decision"}
    for step in codes.STEP_OUTCOMES:
        if step not in decisions:
            r.problem("graph.nodes", f"the engine's step {step!r} is missing")
    for step in sorted(decisions - set(codes.STEP_OUTCOMES)):
        r.problem("graph.nodes", f"step {step!r} is not a step the engine knows")
    edges: list[GraphEdge] = []
    for i, e in enumerate(edges_doc):
        where = f"graph.edges[{i}]."
        if not isinstance(e, dict):
            r.problem(where.rstrip("."), "must be an object")
            continue
        r.exact_keys(e, {"from", "to", "outcome", "label"}, where)
        edge = GraphEdge(
            str(e.get("from")), str(e.get("to")), str(e.get("outcome")), str(e.get("label", ""))
        )
        for end in (edge.source, edge.target):
            if end not in ids:
                r.problem(where.rstrip("."), f"names an unknown node {end!r}")
        edges.append(edge)
    for node in nodes:
        outs = [e.outcome for e in edges if e.source == node.id]
        if node.kind == "decision":
            expected = set(codes.STEP_OUTCOMES.get(node.id, ()))
            for missing in sorted(expected - set(outs)):
                r.problem("graph.edges", f"step {node.id!r} has no edge for outcome {missing!r}")
            for extra in sorted(set(outs) - expected):
                r.problem(
                    "graph.edges",
                    f"step {node.id!r} has an outcome the engine does not know: {extra!r}",
                )
        elif node.kind == "action" and outs != ["next"]:
            r.problem(
                "graph.edges", f"action {node.id!r} needs exactly one edge with outcome 'next'"
            )
        elif node.kind == "end" and outs:
            r.problem("graph.edges", f"end node {node.id!r} cannot have outgoing edges")
        if len(outs) != len(set(outs)):
            r.problem("graph.edges", f"node {node.id!r} has two edges for one outcome")
    start = doc.get("start")
    if start not in ids:
        r.problem("graph.start", f"names an unknown node {start!r}")
    elif not r.problems:
        _check_acyclic(r, str(start), edges)
        if not r.problems:
            _check_step_order(r, str(start), nodes, edges)
    return Graph(str(start), tuple(nodes), tuple(edges))


# Outcomes that end the walk; every other outcome of a step leads to the next step.
_FINAL_OUTCOMES = {("scope", "pediatric"), ("scope", "pregnancy"), ("monitoring", "done")}


def _check_step_order(
    r: Reader, start: str, nodes: list[GraphNode], edges: list[GraphEdge]
) -> None:
    """The graph visits the engine's steps in the engine's order, skipping none.

    A site words the steps and the actions between them, but the rule structure is the
    engine's: a graph that skips a step (say, renal function) or reorders them is refused.
    """
    kinds = {n.id: n.kind for n in nodes}
    steps = list(codes.STEP_OUTCOMES)
    if start != steps[0]:
        r.problem("graph.start", f"must be the step {steps[0]!r}, not {start!r}")
    for index, step in enumerate(steps):
        for outcome in codes.STEP_OUTCOMES[step]:
            target = next(e.target for e in edges if e.source == step and e.outcome == outcome)
            passed: set[str] = set()
            while kinds.get(target) == "action" and target not in passed:
                passed.add(target)
                target = next(e.target for e in edges if e.source == target)
            final = (step, outcome) in _FINAL_OUTCOMES
            if final and kinds.get(target) != "end":
                r.problem(
                    "graph.edges",
                    f"step {step!r}, outcome {outcome!r} must lead to an end node, not {target!r}",
                )
            elif not final and target != steps[index + 1]:
                r.problem(
                    "graph.edges",
                    f"step {step!r}, outcome {outcome!r} leads to {target!r}, not to the next step "
                    f"{steps[index + 1]!r}: a site may not skip or reorder the steps",
                )


def _check_acyclic(r: Reader, start: str, edges: list[GraphEdge]) -> None:
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for e in edges:
            if e.source != node:
                continue
            if state.get(e.target) == 1:
                r.problem("graph.edges", f"the graph loops back to {e.target!r}")
            elif e.target not in state:
                visit(e.target)
        state[node] = 2

    visit(start)


def check_order(
    r: Reader,
    t: Mapping[str, Any],
    plaus: Mapping[str, tuple[Any, Any]],
    doses: Mapping[str, Mapping[str, Any]],
) -> None:
    """Thresholds in order, positive doses: the checks a site's edit must still pass."""

    def lt(a: str, b: str, message: str, strict: bool = True) -> None:
        if t.get(a) is None or t.get(b) is None:
            return
        ok = t[a] < t[b] if strict else t[a] <= t[b]
        if not ok:
            r.problem(f"thresholds.{a}", message)

    lt("magnesium_severe_below", "magnesium_normal_from", "must be below magnesium_normal_from")
    lt("magnesium_normal_from", "magnesium_high_above", "must be below magnesium_high_above")
    lt(
        "clearance_emergency_only_below",
        "clearance_full_dose_from",
        "must be below clearance_full_dose_from",
        strict=False,
    )
    lt(
        "potassium_target",
        "potassium_target_torsades",
        "must not be above potassium_target_torsades",
        strict=False,
    )
    lt(
        "bmi_underweight_below",
        "bmi_overweight_from",
        "must not be above bmi_overweight_from",
        strict=False,
    )
    lt(
        "adult_from_age_years",
        "pregnancy_question_below_age_years",
        "must be below pregnancy_question_below_age_years",
    )
    for key, value in t.items():
        if value is not None and getattr(value, "magnitude", value) <= 0:
            r.problem(f"thresholds.{key}", "must be positive")
    for key, (low, high) in plaus.items():
        if not low < high:
            r.problem(f"plausibility.{key}", "low must be below high")
        if getattr(low, "magnitude", low) < 0:
            r.problem(f"plausibility.{key}", "low cannot be negative")
    mg = plaus.get("magnesium")
    if (
        mg
        and t.get("magnesium_severe_below") is not None
        and t.get("magnesium_high_above") is not None
        and not (mg[0] < t["magnesium_severe_below"] and t["magnesium_high_above"] < mg[1])
    ):
        r.problem("plausibility.magnesium", "must span the magnesium thresholds")
    for name, values in doses.items():
        for field, value in values.items():
            magnitude = getattr(value, "magnitude", value)
            if isinstance(magnitude, Fraction) and magnitude <= 0:
                r.problem(f"doses.{name}.{field}", "must be positive")
    for name in ("refractory_bag", "refractory_bag_reduced"):
        bag = doses.get(name, {})
        if (
            bag.get("magnesium_low") is not None
            and bag.get("magnesium_high") is not None
            and not bag["magnesium_low"] <= bag["magnesium_high"]
        ):
            r.problem(f"doses.{name}.magnesium_low", "must not be above magnesium_high")
