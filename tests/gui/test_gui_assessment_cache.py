"""The core's recent answers are reused only for the very same input and protocol."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gui_support import shared_case

from mgdesk.core.protocol import Protocol
from mgdesk.gui.assessment import Assessment, assess
from mgdesk.gui.assessment_cache import KEPT, AssessmentCache
from mgdesk.gui.main_window import MainWindow


def test_the_same_input_is_answered_once(protocol: Protocol) -> None:
    cache, calls = AssessmentCache(), []
    document = shared_case("v01.json")["case"]

    def evaluate() -> Assessment:
        calls.append(1)
        return assess(document, protocol)

    first = cache.get(document, [], evaluate)
    assert cache.get(dict(document), [], evaluate) is first
    assert len(calls) == 1
    cache.clear()
    cache.get(document, [], evaluate)
    assert len(calls) == 2


def test_a_number_and_its_text_are_different_inputs(protocol: Protocol) -> None:
    cache = AssessmentCache()
    as_text: dict[str, Any] = {"patient": {"age_years": "50"}}
    as_number: dict[str, Any] = {"patient": {"age_years": Decimal("50")}}
    first = cache.get(as_text, [], lambda: assess(as_text, protocol))
    second = cache.get(as_number, [], lambda: assess(as_number, protocol))
    assert first is not second


def test_only_the_last_inputs_are_kept(protocol: Protocol) -> None:
    cache, calls = AssessmentCache(), []
    for number in range(KEPT + 1):
        document = {"n": number}
        cache.get(document, [], lambda d=document: calls.append(d) or assess(d, protocol))
    cache.get({"n": 0}, [], lambda: calls.append("again") or assess({}, protocol))
    assert calls[-1] == "again"


def test_a_new_protocol_is_asked_again(window: MainWindow, protocol: Protocol) -> None:
    assert window.form.load(shared_case("v01.json")["case"]) == []
    shown = window.assessment
    window.install_protocol(protocol)
    assert window.assessment is not shown and window.assessment == shown
