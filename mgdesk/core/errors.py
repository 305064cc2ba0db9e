"""Errors the core reports: each names the field it is about and says what to do."""

from __future__ import annotations

from mgdesk.core.frozen import Frozen


class FieldError(Frozen, Exception):
    """One problem with one input field; field is a dotted path such as "labs.magnesium"."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


# The three exception names below are the core's published API (the GUI, the printing and the
# command line catch them by name), so they keep their names rather than take an Error suffix.


class CaseInvalid(Exception):  # noqa: N818
    """A case document with one or more field errors; nothing is evaluated."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)


class ProtocolInvalid(Exception):  # noqa: N818
    """A protocol file that cannot be used; the previous protocol stays active."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


class PlanWithheld(Exception):  # noqa: N818
    """The engine produced a plan that breaks a safety invariant, so it is not shown."""

    def __init__(self, violations: list[str]) -> None:
        super().__init__("; ".join(violations))
        self.violations = tuple(violations)
