"""What a new protocol changes, before it changes: two protocols over the same cases.

The cases are the worked cases given, every bundled example and a few thousand generated
cases (records/generated_cases.py, seeded: the same every run). Each case's outcome under
each protocol is compared in the terms `mgdesk protocol check` uses (status, severity,
orders and their roles, magnesium per dose, every order field that reaches paper, warning
codes); the changes are listed case by case and grouped by the change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mgdesk.core.frozen import Frozen
from mgdesk.core.protocol import Protocol
from mgdesk.records.generated_cases import generated_cases
from mgdesk.records.site_protocol import (
    CaseOutcome,
    WorkedCase,
    bundled_examples,
    differences,
    run_case,
)

GENERATED_CASES = 2000


def comparison_cases(
    worked: Sequence[WorkedCase] = (), generated: int = GENERATED_CASES
) -> list[WorkedCase]:
    """The worked cases, the bundled examples, then the generated cases ("generated #1" ...)."""
    drawn = [
        WorkedCase(f"generated #{number}", case)
        for number, case in enumerate(generated_cases(generated), start=1)
    ]
    return [*worked, *bundled_examples(), *drawn]


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
    comparison = Baseline(old, comparison_cases() if cases is None else cases).compare(new)
    assert comparison is not None  # never cancelled
    return comparison
