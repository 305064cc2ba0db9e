"""Protocol documents as sites wrote them for earlier versions, for the tests of every layer."""

from __future__ import annotations

from typing import Any


def without_given_step(document: dict[str, Any]) -> dict[str, Any]:
    """The protocol as a file written before step 8f (magnesium already given) was a step of
    its graph (bundled versions up to 1.1.1): no such node, edges or rationales, the treatment
    actions leading to the GI losses, and the renal question of those files."""
    graph = document["graph"]
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "magnesium_given"]
    graph["edges"] = [e for e in graph["edges"] if e["from"] != "magnesium_given"]
    for edge in graph["edges"]:
        if edge["to"] == "magnesium_given":
            edge["to"] = "gi_losses"
    next(n for n in graph["nodes"] if n["id"] == "renal")["question"] = "Creatinine clearance?"
    del document["steps"]["magnesium_given"]
    return document
