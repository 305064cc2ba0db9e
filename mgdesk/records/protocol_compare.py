"""What a new protocol changes, before it changes: two protocols over the same cases.

The cases are site_protocol.protocol_cases, as `protocol check` runs them, with a few thousand
generated cases (records/generated_cases.py, seeded: the same every run). Each case's outcome under
each protocol is compared in the terms `mgdesk protocol check` uses (status, severity,
orders and their roles, magnesium per dose, every order field that reaches paper, warning
codes); the changes are listed case by case and grouped by the change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from mgdesk.core.frozen import Frozen
from mgdesk.core.protocol import Protocol
from mgdesk.records.site_protocol import (
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


class Baseline:
    """The outcomes of the protocol in force over the cases, computed once for many drafts."""

    def __init__(self, protocol: Protocol, cases: Sequence[WorkedCase]) -> None:
        self.protocol = protocol
        self.cases = tuple(cases)
        self.outcomes: tuple[CaseOutcome, ...] = tuple(
            run_case(case.document, protocol)[0] for case in self.cases
        )

    def compare(
        self, candidate: Protocol, cancelled: Callable[[], bool] = lambda: False
    ) -> Comparison | None:
        """The comparison with candidate, or None if cancelled part way (a newer edit)."""
        changed: list[CaseChange] = []
        for case, before in zip(self.cases, self.outcomes, strict=True):
            if cancelled():
                return None
            after, _ = run_case(case.document, candidate)
            found = differences(before, after)
            if found:
                changed.append(CaseChange(case.name, tuple(found)))
        return Comparison(
            ProtocolIdentity.of(self.protocol),
            ProtocolIdentity.of(candidate),
            len(self.cases),
            tuple(changed),
        )


def compare_protocols(
    old: Protocol, new: Protocol, cases: Sequence[WorkedCase] | None = None
) -> Comparison:
    comparison = Baseline(
        old, protocol_cases(generated=GENERATED_CASES) if cases is None else cases
    ).compare(new)
    assert comparison is not None  # never cancelled
    return comparison


class BackgroundComparison:
    """Comparisons of drafts with the protocol in force, one at a time on a worker thread, so
    that typing never waits for them; a newer draft cancels the comparison under way.

    It holds nothing of its caller's: a window handed to the worker could be released there
    for the last time, and a Qt object destroyed off the GUI thread crashes the process.
    """

    def __init__(self, in_force: Protocol, generated: int, thread_name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self._baseline = self._executor.submit(
            lambda: Baseline(in_force, protocol_cases(generated=generated))
        )
        self._newer = threading.Event()
        self._stopped = threading.Event()
        self._pending: Future[Comparison | None] | None = None

    def start(self, candidate: Protocol) -> None:
        self.cancel()
        newer, stopped, baseline = threading.Event(), self._stopped, self._baseline
        self._newer = newer
        self._pending = self._executor.submit(
            lambda: baseline.result().compare(candidate, lambda: newer.is_set() or stopped.is_set())
        )

    def cancel(self) -> None:
        self._newer.set()
        self._pending = None

    @property
    def pending(self) -> bool:
        """Started and not yet taken."""
        return self._pending is not None

    @property
    def done(self) -> bool:
        return self._pending is not None and self._pending.done()

    def take(self) -> Comparison | None:
        """The finished comparison, once (None if there is none, or a newer draft cancelled it)."""
        pending, self._pending = self._pending, None
        return pending.result() if pending is not None and pending.done() else None

    def now(self, candidate: Protocol) -> Comparison:
        """The comparison with candidate, waiting for it here."""
        comparison = self._baseline.result().compare(candidate)
        assert comparison is not None  # never cancelled
        return comparison

    def stop(self) -> None:
        """No more comparisons: the one under way ends at its next case, the thread after it."""
        self._stopped.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
