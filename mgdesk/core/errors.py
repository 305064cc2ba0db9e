"""Errors the core reports: each names the field it is about and says what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError(Exception):
    """One problem with one input field; field is a dotted path such as "labs.magnesium"."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class CaseInvalid(Exception):
    """A case document with one or more field errors; nothing is evaluated."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)


class ProtocolInvalid(Exception):
    """A protocol file that cannot be used; the previous protocol stays active."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


class PlanWithheld(Exception):
    """The engine produced a plan that breaks a safety invariant, so it is not shown."""

    def __init__(self, violations: list[str]) -> None:
        super().__init__("; ".join(violations))
        self.violations = tuple(violations)
