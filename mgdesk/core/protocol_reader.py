"""Reading values of a protocol document: every problem collected, each naming its place."""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import fields
from fractions import Fraction
from typing import Any

from mgdesk.core.formatting import DISPLAY_UNITS, display_unit
from mgdesk.core.protocol import KIND
from mgdesk.core.units import exact_number, registry, unit

DIMENSIONS = {
    "mass": "g",
    "substance": "mol",
    "volume": "L",
    "time": "min",
    "molar_mass": "g/mol",
    "valence": "eq/mol",
    "mass_concentration": "mg/dL",
    "substance_concentration": "mmol/L",
    "clearance": "mL/min",
    "mass_rate": "mg/min",
    "mass_per_weight": "mg/kg",
    "length": "cm",
    "egfr": "mL/min/1.73 m2",
}

# Physical constants: used in arithmetic, never printed, so any unit of theirs is readable.
ARITHMETIC_ONLY = frozenset({"molar_mass", "valence"})

# Plain numbers, and the range each kind of number must lie in: a count ("sites",
# "doses") is a whole number from 1, since the engine orders that many of something.
MAX_AGE_YEARS = 130
NUMBER_KINDS = ("count", "years", "percent", "bmi")
BMI_RANGE = (10, 60)  # kg/m2: a BMI bound outside it is a typing error


def kinds(schema: type) -> dict[str, str]:
    """Each field of a schema class with the kind of value it holds."""
    return {f.name: f.metadata[KIND] for f in fields(schema)}


class Reader:
    """Collects every problem of a protocol document instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def mapping(self, parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = parent.get(key)
        if not isinstance(value, dict):
            self.problem(f"{where}{key}", "must be an object")
            return {}
        return value

    def text(self, parent: Mapping[str, Any], key: str, where: str, optional: bool = False) -> str:
        value = parent.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{where}{key}", "must be non-empty text")
            return ""
        if len(value) > 2000:
            self.problem(f"{where}{key}", "is longer than 2000 characters")
        return value

    def exact_keys(
        self,
        value: Mapping[str, Any],
        expected: AbstractSet[str],
        where: str,
        optional: AbstractSet[str] = frozenset(),
    ) -> None:
        for key in sorted(set(value) - expected - optional):
            self.problem(f"{where}{key}", "is not a field the engine knows")
        for key in sorted(expected - set(value)):
            self.problem(f"{where}{key}", "is missing")

    def measured(self, doc: Mapping[str, Any], schema: type, where: str) -> dict[str, Any]:
        """The fields of a schema class read from doc, each checked against its kind; a field
        absent or unreadable is reported (and left out, or None)."""
        schema_kinds = kinds(schema)
        self.exact_keys(doc, set(schema_kinds), where)
        return {
            key: self.quantity(doc.get(key), kind, f"{where}{key}")
            for key, kind in schema_kinds.items()
            if key in doc
        }

    def quantity(self, value: Any, kind: str, where: str) -> Any:
        if kind == "text":
            if not isinstance(value, str) or not value.strip():
                self.problem(where, "must be non-empty text")
            return value
        if kind in NUMBER_KINDS:
            return self.number(value, kind, where)
        if not isinstance(value, str):
            self.problem(where, f'must be text of a number and a unit, e.g. "1 {DIMENSIONS[kind]}"')
            return None
        parts = value.strip().split(maxsplit=1)
        try:
            number = exact_number(parts[0]) if parts else None
        except ValueError:  # more digits than Python converts
            number = None
        if number is None or len(parts) != 2:
            self.problem(where, f"{value!r} is not a number followed by a unit")
            return None
        try:
            parsed_unit = unit(parts[1])
        except ValueError:
            self.problem(where, f"{value!r} has an unknown unit")
            return None
        q = registry().Quantity(number, parsed_unit)
        if q.dimensionality != registry().Quantity(1, unit(DIMENSIONS[kind])).dimensionality:
            self.problem(
                where, f"{value!r} has the wrong dimension (expected a {kind.replace('_', ' ')})"
            )
            return None
        try:
            if kind not in ARITHMETIC_ONLY:
                display_unit(q)
        except ValueError:
            offered = units_of(kind)
            choice = offered[0] if len(offered) == 1 else f"one of {', '.join(offered)}"
            self.problem(where, f"{value!r}: mgdesk does not print {parts[1]!r}; use {choice}")
            return None
        return q

    def number(self, value: Any, kind: str, where: str) -> Any:
        """A plain number: a count is a whole number from 1, years from 0 to MAX_AGE_YEARS,
        a percentage from 0 to 100."""
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value != value
            or value in (float("inf"), float("-inf"))
        ):
            self.problem(where, "must be a number")
            return None
        number = Fraction(str(value))
        if kind == "count" and (number.denominator != 1 or number < 1):
            self.problem(where, f"{value!r} must be a whole number, 1 or more")
            return None
        if kind == "years" and not 0 <= number <= MAX_AGE_YEARS:
            self.problem(where, f"{value!r} must be a number of years from 0 to {MAX_AGE_YEARS}")
            return None
        if kind == "bmi" and not BMI_RANGE[0] <= number <= BMI_RANGE[1]:
            self.problem(where, f"{value!r} must be a BMI from {BMI_RANGE[0]} to {BMI_RANGE[1]}")
            return None
        if kind == "percent" and not 0 <= number <= 100:
            self.problem(where, f"{value!r} must be a percentage from 0 to 100")
            return None
        return int(number) if kind == "count" else number


def units_of(kind: str) -> tuple[str, ...]:
    """The units a quantity of kind may be written in: those of its dimension that mgdesk
    prints (another unit of the right dimension would reach a sheet no one could read)."""
    if kind not in DIMENSIONS:
        return ()
    wanted = registry().Quantity(1, unit(DIMENSIONS[kind])).dimensionality
    return tuple(
        u for u in DISPLAY_UNITS if registry().Quantity(1, unit(u)).dimensionality == wanted
    )


def json_problem(exc: ValueError | RecursionError) -> str:
    """Why a protocol file is not JSON, in words (never Python's own message)."""
    if isinstance(exc, RecursionError):
        return "nested far too deeply to be a protocol file"
    if isinstance(exc, json.JSONDecodeError):
        if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):
            return "not valid JSON: the file ends too early (cut short when it was copied or saved)"
        return f"not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg.lower()})"
    return "not valid JSON: it holds a number too long to read"
