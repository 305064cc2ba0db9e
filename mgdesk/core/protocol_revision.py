"""Reading a site protocol written for revision 1.0 of PROTOCOL.md under revision 1.1.

A 1.0 file lacks the fields 1.1 added. Each one it leaves out is filled in before the file
is validated, so that the file keeps 1.0's behaviour where 1.1 changed a rule, and takes
the bundled wording where 1.1 only added something to say:

- settings: Cockcroft-Gault with actual body weight (1.0's rule), and no IV alternative to
  the IM mild course (a site approved only the orders its file holds);
- doses.oral_start_reduced: the file's own oral start dose (1.0 did not reduce it);
- thresholds, plausibility, the IV mild order and its doses, and the new warnings: the
  bundled default's (the IV mild order written in the product of the file's IM mild order).

Each filled field is reported (Protocol.read_as_1_0), and `mgdesk protocol check` lists it.

A 1.1 file written before a field was added to 1.1 (LATER_FIELDS) takes the bundled value of
that field, reported apart (Protocol.read_as_bundled): the file is not read as 1.0. So does a
graph written before step 8f (magnesium already given) became a step of its own: the bundled
step is put between the treatment and the GI losses, so that no file skips it silently.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Collection, Mapping
from importlib.resources import files
from typing import Any

from mgdesk import resources

SETTINGS_1_0 = {"cockcroft_gault_weight": "actual", "mild_iv_alternative": False}
NEW_THRESHOLDS = ("bmi_underweight_below", "bmi_overweight_from", "cumulative_infusion_step")
NEW_PLAUSIBILITY = ("height", "egfr", "magnesium_given")
NEW_DOSES = ("mild_iv", "mild_iv_reduced")
NEW_ORDER = "mg_sulfate_iv_mild"
NEW_WARNINGS = (
    "cockcroft_gault_actual_weight",
    "ideal_weight_not_defined",
    "egfr_used_for_renal_function",
    "parenteral_magnesium_given",
    "cumulative_limit_reached",
)


# Fields added to revision 1.1 after sites wrote files for it: the day an oral course is
# reviewed (PROTOCOL.md step 10: the oral recheck at day 7).
LATER_FIELDS = (("monitoring", "recheck_mg_oral", "review_day"),)
# The step added to revision 1.1's graph after sites wrote files for it (PROTOCOL.md step 8f),
# and the step whose edges it now takes in: every edge into it leads to the new step first.
LATER_STEP = "magnesium_given"
LATER_STEP_BEFORE = "gi_losses"


@functools.cache
def _bundled() -> Mapping[str, Any]:
    data = files(resources).joinpath("protocols", "default.json").read_bytes()
    document: Mapping[str, Any] = json.loads(data.decode("utf-8"))
    return document


def with_revision_1_1_fields(doc: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The document with every 1.1 field it lacks filled in, and a note for each one filled.

    A section that is not an object is left as it is, for the loader to report. doc is not
    changed: a section is copied only to fill it in, and the bundled default is read only
    then (a 1.1 file, such as the bundled default itself, lacks nothing).
    """
    filled = dict(doc)
    notes: list[str] = []
    if "settings" not in filled:
        filled["settings"] = dict(SETTINGS_1_0)
        notes.append(
            "settings: missing, read as 1.0's rules: Cockcroft-Gault with actual body weight "
            "(cockcroft_gault_weight: actual), no IV alternative to the IM mild course "
            "(mild_iv_alternative: false)"
        )
    for section, keys in (("thresholds", NEW_THRESHOLDS), ("plausibility", NEW_PLAUSIBILITY)):
        target = _to_fill(filled, section, keys)
        if target is None:
            continue
        for key in keys:
            if key not in target:
                target[key] = copy.deepcopy(_bundled()[section][key])
                notes.append(
                    f"{section}.{key}: missing, read as the bundled {json.dumps(target[key])}"
                )
    doses = _to_fill(filled, "doses", ("oral_start_reduced", *NEW_DOSES))
    if doses is not None:
        if "oral_start_reduced" not in doses and "oral_start" in doses:
            doses["oral_start_reduced"] = copy.deepcopy(doses["oral_start"])
            notes.append(
                "doses.oral_start_reduced: missing, read as doses.oral_start "
                "(1.0 did not reduce the oral start dose at clearance 20 to under 30)"
            )
        for key in NEW_DOSES:
            if key not in doses:
                doses[key] = copy.deepcopy(_bundled()["doses"][key])
                notes.append(f"doses.{key}: missing, read as the bundled dose")
    needed_sources: set[str] = set()
    orders = _to_fill(filled, "orders", (NEW_ORDER,))
    if orders is not None:
        order = copy.deepcopy(_bundled()["orders"][NEW_ORDER])
        im_mild = orders.get("mg_sulfate_im_mild")
        if isinstance(im_mild, dict) and "product" in im_mild:
            order["product"] = im_mild["product"]
        orders[NEW_ORDER] = order
        needed_sources.update(order["sources"])
        notes.append(f"orders.{NEW_ORDER}: missing, read as the bundled order")
    warnings = _to_fill(filled, "warnings", NEW_WARNINGS)
    if warnings is not None:
        for code in NEW_WARNINGS:
            if code not in warnings:
                warnings[code] = copy.deepcopy(_bundled()["warnings"][code])
                needed_sources.update(warnings[code]["sources"])
                notes.append(f"warnings.{code}: missing, read as the bundled wording")
    sources = _to_fill(filled, "sources", needed_sources)
    if sources is not None:
        for key in sorted(needed_sources - set(sources)):
            sources[key] = copy.deepcopy(_bundled()["sources"][key])
            notes.append(f"sources.{key}: missing, read as the bundled source")
    return filled, tuple(notes)


def with_later_fields(doc: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """doc with each of LATER_FIELDS it lacks taken from the bundled protocol, and a note for
    each one taken. doc's sections are not changed: one is replaced by a copy to fill in."""
    notes: list[str] = []
    for section, entry, key in LATER_FIELDS:
        entries = doc.get(section)
        target = entries.get(entry) if isinstance(entries, dict) else None
        if isinstance(entries, dict) and isinstance(target, dict) and key not in target:
            value = copy.deepcopy(_bundled()[section][entry][key])
            doc[section] = {**entries, entry: {**target, key: value}}
            notes.append(
                f"{section}.{entry}.{key}: missing, read as the bundled {json.dumps(value)}"
            )
    notes += _with_later_step(doc)
    return doc, tuple(notes)


def _with_later_step(doc: dict[str, Any]) -> list[str]:
    """Puts the bundled LATER_STEP into doc's graph where it lacks the node (its node, its
    edges, the edges into LATER_STEP_BEFORE led to it), its rationales into doc's steps and
    the sources it cites into doc's sources; a note for each. A graph or steps section that is
    not an object is left as it is, for the loader to report."""
    notes: list[str] = []
    cited: list[str] = []
    graph = doc.get("graph")
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    edges = graph.get("edges") if isinstance(graph, dict) else None
    if (
        isinstance(graph, dict)
        and isinstance(nodes, list)
        and isinstance(edges, list)
        and not any(isinstance(n, dict) and n.get("id") == LATER_STEP for n in nodes)
    ):
        bundled = _bundled()["graph"]
        node = copy.deepcopy(next(n for n in bundled["nodes"] if n["id"] == LATER_STEP))
        own = [copy.deepcopy(e) for e in bundled["edges"] if e["from"] == LATER_STEP]
        into = [
            i
            for i, e in enumerate(edges)
            if isinstance(e, dict) and e.get("to") == LATER_STEP_BEFORE
        ]
        rerouted = [{**e, "to": LATER_STEP} if i in into else e for i, e in enumerate(edges)]
        ids = [n.get("id") if isinstance(n, dict) else None for n in nodes]
        at = ids.index("treatment") + 1 if "treatment" in ids else len(nodes)
        doc["graph"] = {**graph, "nodes": [*nodes[:at], node, *nodes[at:]], "edges": rerouted + own}
        cited = node.get("sources", [])
        notes.append(
            f"graph.nodes: the step {LATER_STEP!r} ({node['title']}, PROTOCOL.md step 8f) missing, "
            f"read as the bundled step before {LATER_STEP_BEFORE!r}: its {len(own)} edges "
            f"lead to {LATER_STEP_BEFORE!r}, and the {len(into)} edges that led there lead to it"
        )
    steps = doc.get("steps")
    if isinstance(steps, dict) and LATER_STEP not in steps:
        doc["steps"] = {**steps, LATER_STEP: copy.deepcopy(_bundled()["steps"][LATER_STEP])}
        notes.append(f"steps.{LATER_STEP}: missing, read as the bundled rationales")
    sources = doc.get("sources")
    if isinstance(sources, dict) and any(key not in sources for key in cited):
        doc["sources"] = own_sources = dict(sources)
        for key in cited:
            if key not in own_sources:
                own_sources[key] = copy.deepcopy(_bundled()["sources"][key])
                notes.append(f"sources.{key}: missing, read as the bundled source")
    return notes


def _to_fill(doc: dict[str, Any], section: str, keys: Collection[str]) -> dict[str, Any] | None:
    """doc[section], replaced in doc by a copy to fill in, if it is an object lacking one of
    keys; else None (nothing to fill in there)."""
    target = doc.get(section)
    if not isinstance(target, dict) or all(key in target for key in keys):
        return None
    doc[section] = own = dict(target)
    return own
