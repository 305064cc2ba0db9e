"""Editing a protocol document without touching its JSON: the model behind the editor window.

A ProtocolDraft holds the protocol file's JSON document and changes it in place, one field at
a time, so every field the editor does not show (the graph, the steps, the chemistry) and the
order of every key are kept. The fields a site may edit are listed from the typed schema
(mgdesk.core.protocol): a field added to a schema class appears here without a change.
Validation is the loader's own (parse_protocol over the bytes the draft would write), so the
editor refuses exactly what `mgdesk protocol check` and `install` refuse, with the same
field-specific messages.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.frozen import Frozen
from mgdesk.core.protocol import (
    Approval,
    Doses,
    Monitoring,
    MonitoringText,
    Orders,
    Plausibility,
    Protocol,
    Source,
    Thresholds,
    WarningText,
)
from mgdesk.core.protocol_loader import MAX_PROTOCOL_BYTES
from mgdesk.core.protocol_reader import DIMENSIONS, NUMBER_KINDS, json_problem, kinds
from mgdesk.records.safefile import read_limited, write_atomically
from mgdesk.records.site_protocol import check_protocol

# A JSON value a field may be set to.
JsonValue = str | int | float | bool | None | list[str]
FieldPath = tuple[str | int, ...]

# The kinds of field a widget edits, besides the measured kinds of protocol_reader.DIMENSIONS
# (a number and a unit) and its NUMBER_KINDS (count, years, percent).
TEXT, OPTIONAL_TEXT, DATE, FLAG, SOURCES, PRODUCT, SALT = (
    "text",
    "optional_text",
    "date",
    "flag",
    "sources",
    "product",
    "salt",
)
# Top-level texts a site words itself (the id is the protocol's identity and stays).
_TOP_TEXTS = ("version", "title", "population", "adequate_oral_trial")
# The keys of a product entry (the loader's document shape) and their kinds.
_PRODUCT_FIELDS = (
    ("name", TEXT),
    ("salt", SALT),
    ("salt_per_unit", "mass"),
    ("magnesium_per_unit", "substance"),
    ("unit_volume", "volume"),
)
_PRODUCT_KEY = re.compile(r"[a-z][a-z0-9_]{0,79}")
# A product gives its magnesium one of two ways; whether it is an injection (unit_volume)
# is fixed, since the orders that name it depend on that.
_PRODUCT_ALTERNATIVES = frozenset({"salt_per_unit", "magnesium_per_unit"})
_INDENT = 1  # as mgdesk/resources/protocols/default.json


class EditableField(Frozen):
    """One value of the document a site may change: where it is and what it is."""

    path: FieldPath
    section: str
    kind: str  # a DIMENSIONS key, a NUMBER_KINDS entry, or one of the kinds above
    optional: bool = False  # may be left empty (absent, or null)

    @property
    def key(self) -> str:
        """The field's place as the loader names it: "doses.loading.salt_mass",
        "plausibility.weight[0]"."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    @property
    def group(self) -> str:
        """The object the field belongs to, e.g. "doses.loading"."""
        parts = [p for p in self.path if isinstance(p, str)]
        return ".".join(parts[:-1]) if len(parts) > 1 else parts[0]

    @property
    def label(self) -> str:
        last = [p for p in self.path if isinstance(p, str)][-1]
        text = last.replace("_", " ")
        if isinstance(self.path[-1], int):
            text += (" (low)", " (high)")[self.path[-1]] if self.path[-1] < 2 else ""
        return text

    @property
    def is_quantity(self) -> bool:
        return self.kind in DIMENSIONS

    @property
    def is_number(self) -> bool:
        return self.kind in NUMBER_KINDS


class FieldChange(Frozen):
    field: EditableField
    before: JsonValue
    after: JsonValue


class Validation(Frozen):
    """What the loader makes of the draft: a protocol, or every problem ("where: message")."""

    protocol: Protocol | None
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return self.protocol is not None

    def problems_for(self, field: EditableField) -> tuple[str, ...]:
        """The problems naming this field, or the object it belongs to (a dose above a
        ceiling is reported on the dose)."""
        return tuple(p for p in self.problems if _names(problem_place(p), field))


def problem_place(problem: str) -> str:
    """The "where" of a loader problem "where: message"."""
    return problem.split(": ", 1)[0]


def _names(place: str, field: EditableField) -> bool:
    key = field.key
    return place == key or key.startswith(place + ".") or key.startswith(place + "[")


class DraftError(Exception):
    """The draft cannot be saved where asked; the message says why."""


class ProtocolDraft:
    """A protocol document being edited, and the document it started from."""

    def __init__(self, data: bytes, origin: str, path: Path | None = None) -> None:
        """data: a protocol file's bytes (need not be valid); raises ProtocolInvalid if it is
        not a JSON object at all."""
        try:
            document = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise ProtocolInvalid([f"{origin}: not UTF-8 text"]) from None
        except (ValueError, RecursionError) as exc:
            raise ProtocolInvalid([f"{origin}: {json_problem(exc)}"]) from None
        if not isinstance(document, dict):
            raise ProtocolInvalid([f"{origin}: must be a JSON object"])
        self.document: dict[str, Any] = document
        self.original: dict[str, Any] = json.loads(data.decode("utf-8"))
        self.original_data = data
        self.origin = origin
        self.path = path
        self.fields = editable_fields(document)

    @classmethod
    def from_file(cls, path: Path) -> ProtocolDraft:
        """Raises ProtocolInvalid for a file that cannot be read or is not JSON."""
        try:
            data = read_limited(path, MAX_PROTOCOL_BYTES)
        except OSError as exc:
            raise ProtocolInvalid([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
        return cls(data, str(path), path)

    def field(self, key: str) -> EditableField:
        """The editable field named as the loader names it; KeyError if there is none."""
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def value(self, field: EditableField) -> JsonValue:
        return _lookup(self.document, field.path)

    def original_value(self, field: EditableField) -> JsonValue:
        return _lookup(self.original, field.path)

    def set_value(self, field: EditableField, value: JsonValue) -> None:
        """Set a field in the document (in place, keeping key order). An optional field set to
        None or blank text is removed, or set to null where the loader wants the key."""
        parent: Any = self.document
        for part in field.path[:-1]:
            parent = parent[part]
        last = field.path[-1]
        empty = value is None or (isinstance(value, str) and not value.strip())
        if field.optional and empty:
            if field.kind in (DATE, OPTIONAL_TEXT) and field.section == "Approval":
                parent[last] = None
            elif isinstance(parent, dict):
                parent.pop(last, None)
            return
        parent[last] = list(value) if isinstance(value, list) else value

    def problems_for(self, field: EditableField, validation: Validation) -> tuple[str, ...]:
        """The problems of the field, and for a product's field those of the orders naming
        the product (a product that is no longer a sulfate injection is refused on the
        order that needs one)."""
        own = validation.problems_for(field)
        if field.path[0] != "products":
            return own
        orders = self.document.get("orders")
        naming = [
            f"orders.{code}.product"
            for code, entry in (orders.items() if isinstance(orders, dict) else ())
            if isinstance(entry, dict) and entry.get("product") == field.path[1]
        ]
        return own + tuple(p for p in validation.problems if problem_place(p) in naming)

    def caused_by(self, field: EditableField, validation: Validation) -> tuple[str, ...]:
        """The problems that go away if this field alone is set back to its original value:
        what an edit caused, wherever the loader names it (a lower plausible weight is refused
        on the IM doses it would allow above a ceiling)."""
        if self.value(field) == self.original_value(field) or validation.valid:
            return ()
        edited = self.value(field)
        self.set_value(field, self.original_value(field))
        try:
            without = set(self.validate().problems)
        finally:
            self.set_value(field, edited)
        return tuple(p for p in validation.problems if p not in without)

    def add_product(self, key: str, like: str) -> None:
        """Put a new product on the formulary, a copy of product like under key, for the
        pharmacist to change; raises DraftError for a key that is taken or not a plain name."""
        products = self.document.get("products")
        if not isinstance(products, dict) or like not in products:
            raise DraftError(f"there is no product {like!r} to copy")
        if not _PRODUCT_KEY.fullmatch(key):
            raise DraftError(
                f"{key!r} is not a product key: use lower-case letters, digits and underscores"
            )
        if key in products:
            raise DraftError(f"the formulary already has a product {key!r}")
        products[key] = json.loads(json.dumps(products[like]))
        self.fields = editable_fields(self.document)

    def remove_product(self, key: str) -> None:
        """Take a product off the formulary (an order naming it is then refused by the loader)."""
        products = self.document.get("products")
        if isinstance(products, dict):
            products.pop(key, None)
        self.fields = editable_fields(self.document)

    def data(self) -> bytes:
        """The bytes the draft would be saved as: default.json's layout."""
        return dump_document(self.document)

    def validate(self) -> Validation:
        """The loader's verdict, then the bundled examples run through it: a protocol under
        which the engine withholds a plan is refused, as install refuses it."""
        check = check_protocol(self.data(), self.origin)
        if check.protocol is None or check.problems:
            return Validation(None, check.problems)
        return Validation(check.protocol, ())

    def changes(self) -> list[FieldChange]:
        """Each editable field whose value differs from the document the draft started from
        (a product taken off the formulary: each of its fields, now none)."""
        present = {f.key for f in self.fields}
        gone = [f for f in editable_fields(self.original) if f.key not in present]
        return [
            FieldChange(f, self.original_value(f), self.value(f))
            for f in (*self.fields, *gone)
            if self.original_value(f) != self.value(f)
        ]

    def suggested_file_name(self) -> str:
        """E.g. "mgdesk-default-adult-hypomagnesemia-1.0.1.json"."""
        ident = str(self.document.get("id") or "protocol")
        version = str(self.document.get("version") or "")
        name = f"{ident}-{version}" if version else ident
        return re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".json"

    def ensure_new_version(self) -> str:
        """Give the draft a version after the original's if it still has the original's."""
        version = str(self.document.get("version", ""))
        if version == str(self.original.get("version", "")):
            self.document["version"] = next_version(version)
        return str(self.document["version"])

    def save_as(self, path: Path) -> Protocol:
        """Write the draft to a new file with a new version; never over the file it came from.

        Raises ProtocolInvalid (nothing written) if the loader refuses it, DraftError if the
        path is the original file, OSError if it cannot be written.
        """
        if self.path is not None and _same_file(path, self.path):
            raise DraftError(
                f"{path} is the protocol the draft came from: save the new version under a "
                "new name, so the earlier version stays readable"
            )
        previous = self.document.get("version")
        self.ensure_new_version()
        validation = self.validate()
        if validation.protocol is None:
            self.document["version"] = previous
            raise ProtocolInvalid(list(validation.problems))
        write_atomically(path, self.data(), mode=0o644)
        return validation.protocol


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def document_changes(old: bytes, new: bytes, origin: str) -> list[FieldChange]:
    """The editable fields that differ between two protocol files (new's fields listed).
    Raises ProtocolInvalid if either is not a JSON object."""
    draft = ProtocolDraft(new, origin)
    draft.original = ProtocolDraft(old, origin).document
    return draft.changes()


def shown_value(value: JsonValue) -> str:
    """A field's value as the editor and the change report show it."""
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def next_version(version: str) -> str:
    """The version after this one: its last number one higher ("1.0.0" -> "1.0.1")."""
    match = re.search(r"(\d+)(\D*)$", version)
    if match is None:
        return f"{version}.1" if version else "1"
    return f"{version[: match.start(1)]}{int(match.group(1)) + 1}{match.group(2)}"


def dump_document(document: Mapping[str, Any]) -> bytes:
    """A protocol document as default.json is written (one-space indent, UTF-8 text)."""
    return (json.dumps(document, ensure_ascii=False, indent=_INDENT) + "\n").encode("utf-8")


def _lookup(document: Any, path: FieldPath) -> JsonValue:
    value = document
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return None
        elif not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if not isinstance(value, dict) else None


# -- the editable fields, from the schema ------------------------------------------------


def editable_fields(document: Mapping[str, Any]) -> tuple[EditableField, ...]:
    """Every field of the document a site may change, in the order the editor shows them.

    Keyed entries (products, sources) are listed as the document has them; the rest come from
    the schema classes, so a field added to one appears without a change here.
    """
    found: list[EditableField] = []
    found += _dataclass_fields(Approval, ("approval",), "Approval")
    found += [EditableField((key,), "Protocol", TEXT) for key in _TOP_TEXTS]
    found += [
        EditableField(("thresholds", key), "Thresholds", kind)
        for key, kind in kinds(Thresholds).items()
    ]
    found += [
        EditableField(("plausibility", key, end), "Plausibility", kind)
        for key, kind in kinds(Plausibility).items()
        for end in (0, 1)
    ]
    for name, shape in get_type_hints(Doses).items():
        found += [
            EditableField(("doses", name, key), "Doses", kind) for key, kind in kinds(shape).items()
        ]
    products = document.get("products")
    for key, entry in (products or {}).items() if isinstance(products, dict) else ():
        present = entry if isinstance(entry, dict) else {}
        found += [EditableField(("products", key, "unit", end), "Products", TEXT) for end in (0, 1)]
        found += [
            EditableField(
                ("products", key, name), "Products", kind, optional=name in _PRODUCT_ALTERNATIVES
            )
            for name, kind in _PRODUCT_FIELDS
            if name in present or name in ("name", "salt")
        ]
    for code, shape in get_type_hints(Orders).items():
        found += _dataclass_fields(shape, ("orders", code), "Orders")
    for code in _codes(document, "warnings"):
        found += _dataclass_fields(WarningText, ("warnings", code), "Warnings", skip={"level"})
    shapes = get_type_hints(Monitoring)
    for code in _codes(document, "monitoring"):
        shape = shapes.get(code, MonitoringText)
        found += _dataclass_fields(shape, ("monitoring", code), "Monitoring")
    sources = document.get("sources")
    for key in sources if isinstance(sources, dict) else ():
        found += _dataclass_fields(Source, ("sources", key), "Sources")
    return tuple(found)


def _codes(document: Mapping[str, Any], section: str) -> list[str]:
    value = document.get(section)
    return list(value) if isinstance(value, dict) else []


def _dataclass_fields(
    shape: type, where: FieldPath, section: str, skip: frozenset[str] | set[str] = frozenset()
) -> list[EditableField]:
    """The fields of a wording class (an order, a warning, approval metadata) by their types:
    a str is text, "str | None" optional text, a date a date, a tuple the sources, an int a
    count."""
    hints = get_type_hints(shape)
    listed = []
    for item in fields(shape):
        if item.name in skip or item.name == "code":
            continue
        hint = hints[item.name]
        optional = _is_optional(hint)
        core = next(a for a in get_args(hint) if a is not type(None)) if optional else hint
        if item.name == "product":
            kind = PRODUCT
        elif get_origin(core) is tuple:
            kind = SOURCES
        elif core is bool:
            kind = FLAG
        elif core is int:
            kind = "count"
        elif getattr(core, "__name__", "") == "date":
            kind = DATE
        else:
            kind = OPTIONAL_TEXT if optional else TEXT
        listed.append(EditableField((*where, item.name), section, kind, optional=optional))
    return listed


def _is_optional(hint: Any) -> bool:
    union = get_origin(hint) in (Union, types.UnionType)
    return union and type(None) in get_args(hint)
