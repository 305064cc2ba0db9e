"""What a new protocol changes, before it changes: two protocols over the same cases.

The cases are site_protocol.protocol_cases, as `protocol check` runs them, with a few thousand
generated cases (records/generated_cases.py, seeded: the same every run). Each case's outcome under
each protocol is compared in the terms `mgdesk protocol check` uses (status, severity,
orders and their roles, magnesium per dose, every order field that reaches paper, warning
codes); the changes are listed case by case and grouped by the change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from mgdesk.core.frozen import Frozen
from mgdesk.core.protocol import Protocol
from mgdesk.records.site_protocol import (
    EXAMPLE,
    GENERATED,
    GIVEN,
    PROBE,
    CaseOutcome,
    WorkedCase,
    differences,
    protocol_cases,
    run_case,
)

GENERATED_CASES = 2000


class ProtocolIdentity(Frozen):
    """How the report names a protocol: id, version and SHA-256 of its file."""

    id: str
    version: str
    sha256: str
    title: str

    @classmethod
    def of(cls, protocol: Protocol) -> ProtocolIdentity:
        return cls(protocol.id, protocol.version, protocol.sha256, protocol.title)

    @property
    def text(self) -> str:
        return f"{self.id} version {self.version} (SHA-256 {self.sha256})"


class CaseChange(Frozen):
    """How one case's outcome differs between the two protocols."""

    case: str
    changes: tuple[str, ...]


class Comparison(Frozen):
    old: ProtocolIdentity
    new: ProtocolIdentity
    cases_run: int
    by_case: tuple[CaseChange, ...]
    # How many of the cases run came from each source (site_protocol.GIVEN ...), in that
    # order: the report says which cases were run, worked cases given or none.
    sources: tuple[tuple[str, int], ...] = ()

    def count_of(self, source: str) -> int:
        return dict(self.sources).get(source, 0)

    @property
    def changed_cases(self) -> int:
        return len(self.by_case)

    def by_change(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each change with the cases it happens in, the most common first."""
        groups: dict[str, list[str]] = {}
        for entry in self.by_case:
            for change in entry.changes:
                groups.setdefault(change, []).append(entry.case)
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
        return [(change, tuple(cases)) for change, cases in ordered]


class StepwiseComparison:
    """Comparisons of drafts with the protocol in force, made a few cases at a time on the
    caller's thread, so that a window answers between the steps; a newer draft starts over.
    The in-force outcomes are computed once, as far as a comparison has needed them.

    No worker thread: Python code on a thread beside Qt's crashed the editor's tests with
    PySide6 (twice, in garbage collection and in plain Python), however little it shared.
    """

    def __init__(self, in_force: Protocol, cases: Sequence[WorkedCase]) -> None:
        self._in_force = in_force
        self._cases = tuple(cases)
        self._sources = tuple(
            (source, sum(case.source == source for case in self._cases))
            for source in (GIVEN, EXAMPLE, PROBE, GENERATED)
        )
        self._before: list[CaseOutcome] = []
        self._candidate: Protocol | None = None
        self._next = 0
        self._changed: list[CaseChange] = []

    @property
    def pending(self) -> bool:
        """A comparison is started and not yet finished."""
        return self._candidate is not None

    def start(self, candidate: Protocol) -> None:
        self._candidate, self._next, self._changed = candidate, 0, []

    def cancel(self) -> None:
        self._candidate = None

    def step(self, seconds: float) -> Comparison | None:
        """Compare cases for about seconds (one at least); the comparison once it is finished
        (it is then no longer pending), else None."""
        candidate = self._candidate
        if candidate is None:
            return None
        deadline = time.monotonic() + seconds
        while self._next < len(self._cases):
            self._compare(self._cases[self._next], candidate)
            self._next += 1
            if time.monotonic() >= deadline and self._next < len(self._cases):
                return None
        self._candidate = None
        return Comparison(
            ProtocolIdentity.of(self._in_force),
            ProtocolIdentity.of(candidate),
            len(self._cases),
            tuple(self._changed),
            self._sources,
        )

    def now(self, candidate: Protocol) -> Comparison:
        """The whole comparison with candidate, made here."""
        self.start(candidate)
        comparison = self.step(math.inf)
        assert comparison is not None  # no deadline: finished
        return comparison

    def _compare(self, case: WorkedCase, candidate: Protocol) -> None:
        if self._next == len(self._before):
            self._before.append(run_case(case.document, self._in_force)[0])
        after, _ = run_case(case.document, candidate)
        found = differences(self._before[self._next], after)
        if found:
            self._changed.append(CaseChange(case.name, tuple(found)))


def compare_protocols(
    old: Protocol, new: Protocol, cases: Sequence[WorkedCase] | None = None
) -> Comparison:
    chosen = protocol_cases(generated=GENERATED_CASES) if cases is None else cases
    return StepwiseComparison(old, chosen).now(new)
