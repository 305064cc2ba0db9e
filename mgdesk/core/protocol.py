"""The protocol as data: loaded from a JSON file, validated, then read by the engine.

A site may change thresholds, doses, products, wording, sources and approval metadata;
it may not change the rule structure or the codes. Anything the engine does not know,
any quantity of the wrong dimension and any threshold out of order is refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from importlib.resources import files
from typing import Any

from mgdesk import resources
from mgdesk.core import codes
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.units import Quantity, exact_number, registry, unit

PROTOCOL_FORMAT = "mgdesk-protocol/1"
MAX_PROTOCOL_BYTES = 2_000_000

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
}

# Plain numbers, and the range each kind of number must lie in: a count ("sites",
# "doses") is a whole number from 1, since the engine orders that many of something.
MAX_AGE_YEARS = 130
NUMBER_KINDS = ("count", "years", "percent")

# Every dose the engine reads, with the dimension (or kind of number) of each field.
DOSE_SCHEMA: dict[str, dict[str, str]] = {
    "torsades_with_pulse": {
        "salt_mass": "mass",
        "volume": "volume",
        "diluent": "text",
        "duration": "time",
    },
    "torsades_pulseless": {
        "salt_mass": "mass",
        "volume": "volume",
        "diluent": "text",
        "duration": "time",
        "duration_upto": "time",
    },
    "loading": {"salt_mass": "mass", "volume": "volume", "diluent": "text", "duration": "time"},
    "severe_iv": {"salt_mass": "mass", "volume": "volume", "diluent": "text", "duration": "time"},
    "severe_iv_reduced": {
        "salt_mass": "mass",
        "volume": "volume",
        "diluent": "text",
        "duration": "time",
    },
    "severe_im": {"salt_mass": "mass", "sites": "count"},
    "mild_im": {"salt_mass": "mass", "interval": "time", "doses": "count"},
    "mild_im_reduced": {"salt_mass": "mass", "interval": "time", "doses": "count"},
    "oral_start": {"magnesium": "substance"},
    "oral_escalated": {"magnesium": "substance"},
    "refractory_bag": {
        "magnesium_low": "substance",
        "magnesium_high": "substance",
        "volume": "volume",
        "diluent": "text",
        "duration": "time",
    },
    "refractory_bag_reduced": {
        "magnesium_low": "substance",
        "magnesium_high": "substance",
        "volume": "volume",
        "diluent": "text",
        "duration": "time",
    },
    "alfacalcidol": {"dose": "mass", "guideline_max": "mass"},
}

THRESHOLD_SCHEMA = {
    "magnesium_severe_below": "mass_concentration",
    "magnesium_normal_from": "mass_concentration",
    "magnesium_high_above": "mass_concentration",
    "adult_from_age_years": "years",
    "pregnancy_question_below_age_years": "years",
    "clearance_full_dose_from": "clearance",
    "clearance_emergency_only_below": "clearance",
    "potassium_target": "substance_concentration",
    "potassium_target_torsades": "substance_concentration",
    "iv_max_rate": "mass_rate",
    "iv_max_concentration": "mass_concentration",
    "im_max_per_weight_4h": "mass_per_weight",
    "renal_max_48h": "mass",
    "product_rounding_tolerance_percent": "percent",
}

PLAUSIBILITY_SCHEMA = {
    "magnesium": "mass_concentration",
    "potassium": "substance_concentration",
    "creatinine": "mass_concentration",
    "weight": "mass",
    "creatinine_clearance": "clearance",
    "age_years": "years",
}

CHEMISTRY_SCHEMA = {
    "magnesium_molar_mass": "molar_mass",
    "magnesium_valence": "valence",
    "creatinine_mass_concentration": "mass_concentration",
    "creatinine_substance_concentration": "substance_concentration",
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Approval:
    """Whether and by whom a site approved the protocol, and until when."""

    site_approved: bool
    site: str | None
    approved_by: str | None
    effective_date: date | None
    review_date: date | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "site_approved": self.site_approved,
            "site": self.site,
            "approved_by": self.approved_by,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "review_date": self.review_date.isoformat() if self.review_date else None,
        }


@dataclass(frozen=True)
class Salt:
    """A magnesium salt and its molar mass."""

    key: str
    name: str
    full_name: str
    molar_mass: Quantity
    magnesium_per_formula: int

    @property
    def mass_per_magnesium(self) -> Quantity:
        """Salt mass that carries one mole of magnesium."""
        return self.molar_mass / self.magnesium_per_formula


@dataclass(frozen=True)
class Product:
    """A product on the formulary: its salt and the magnesium in one unit."""

    key: str
    name: str
    salt: Salt
    unit_singular: str
    unit_plural: str
    magnesium_per_unit: Quantity
    is_injection: bool


@dataclass(frozen=True)
class GraphNode:
    """A step of the protocol graph."""

    id: str
    kind: str
    title: str
    question: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class GraphEdge:
    """An outcome of a step, leading to the next."""

    source: str
    target: str
    outcome: str
    label: str


@dataclass(frozen=True)
class Graph:
    """The protocol's steps and the outcomes between them."""

    start: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    def next_node(self, node_id: str, outcome: str) -> str:
        return next(e.target for e in self.edges if e.source == node_id and e.outcome == outcome)


@dataclass(frozen=True)
class Protocol:
    """A validated protocol: constants, thresholds, doses, wording and graph."""

    id: str
    version: str
    title: str
    population: str
    sha256: str
    approval: Approval
    adequate_oral_trial: str
    magnesium_molar_mass: Quantity
    magnesium_valence: Quantity
    creatinine_molar_mass: Quantity
    salts: Mapping[str, Salt]
    products: Mapping[str, Product]
    thresholds: Mapping[str, Any]
    plausibility: Mapping[str, tuple[Any, Any]]
    doses: Mapping[str, Mapping[str, Any]]
    orders: Mapping[str, Mapping[str, Any]]
    warnings: Mapping[str, Mapping[str, Any]]
    monitoring: Mapping[str, Mapping[str, Any]]
    sources: Mapping[str, Mapping[str, str]]
    graph: Graph
    rationales: Mapping[str, Mapping[str, str]]
    origin: str

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]

    def dose(self, name: str) -> Mapping[str, Any]:
        return self.doses[name]

    def is_past_review(self, today: date) -> bool:
        return self.approval.review_date is not None and today > self.approval.review_date

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "sha256": self.sha256,
            **self.approval.as_dict(),
        }


class _Reader:
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
        if kind == "percent" and not 0 <= number <= 100:
            self.problem(where, f"{value!r} must be a percentage from 0 to 100")
            return None
        return int(number) if kind == "count" else number


@functools.cache
def default_protocol() -> Protocol:
    """The bundled default protocol (not approved by any site until a site installs its own)."""
    data = files(resources).joinpath("protocols", "default.json").read_bytes()
    return parse_protocol(data, origin="bundled default")


def parse_protocol(data: bytes, origin: str = "protocol") -> Protocol:
    if len(data) > MAX_PROTOCOL_BYTES:
        raise ProtocolInvalid([f"{origin}: larger than {MAX_PROTOCOL_BYTES} bytes"])
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProtocolInvalid([f"{origin}: not UTF-8 text"]) from None
    except (ValueError, RecursionError) as exc:  # ValueError: also a number too long to convert
        raise ProtocolInvalid([f"{origin}: not valid JSON ({exc})"]) from None
    if not isinstance(document, dict):
        raise ProtocolInvalid([f"{origin}: must be a JSON object"])
    if _has_lone_surrogate(document):
        raise ProtocolInvalid(
            [f"{origin}: contains text that is not valid Unicode (a lone surrogate)"]
        )
    protocol = _build(document, hashlib.sha256(data).hexdigest(), origin)
    return protocol


def _has_lone_surrogate(document: object) -> bool:
    """Whether any text in the decoded document holds half of a surrogate pair ("\\ud800")."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _build(doc: Mapping[str, Any], sha256: str, origin: str) -> Protocol:
    r = _Reader()
    fmt = doc.get("format")
    if fmt != PROTOCOL_FORMAT:
        raise ProtocolInvalid([f"format: must be {PROTOCOL_FORMAT!r}, found {fmt!r}"])
    top = {
        "format",
        "id",
        "version",
        "title",
        "population",
        "approval",
        "adequate_oral_trial",
        "chemistry",
        "salts",
        "products",
        "thresholds",
        "plausibility",
        "doses",
        "orders",
        "warnings",
        "monitoring",
        "sources",
        "graph",
        "steps",
    }
    r.exact_keys(doc, top, "")
    ident = r.text(doc, "id", "")
    version = r.text(doc, "version", "")
    title = r.text(doc, "title", "")
    population = r.text(doc, "population", "")
    oral_trial = r.text(doc, "adequate_oral_trial", "")

    approval = _approval(r, r.mapping(doc, "approval", ""))

    chem_doc = r.mapping(doc, "chemistry", "")
    r.exact_keys(chem_doc, set(CHEMISTRY_SCHEMA), "chemistry.")
    chem = {
        k: r.quantity(chem_doc.get(k), kind, f"chemistry.{k}")
        for k, kind in CHEMISTRY_SCHEMA.items()
        if k in chem_doc
    }
    for key, value in chem.items():
        if value is not None and value.magnitude <= 0:
            r.problem(f"chemistry.{key}", "must be positive")

    sources_doc = r.mapping(doc, "sources", "")
    sources: dict[str, Mapping[str, str]] = {}
    for key, value in sources_doc.items():
        if not isinstance(value, dict):
            r.problem(f"sources.{key}", "must be an object")
            continue
        r.exact_keys(value, {"citation", "reference"}, f"sources.{key}.")
        sources[key] = {
            "citation": r.text(value, "citation", f"sources.{key}."),
            "reference": r.text(value, "reference", f"sources.{key}."),
        }

    def check_sources(value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            r.problem(where, "must be a list of source ids")
            return ()
        for s in value:
            if s not in sources:
                r.problem(where, f"names an unknown source {s!r}")
        return tuple(value)

    salts = _salts(r, r.mapping(doc, "salts", ""))
    products = _products(r, r.mapping(doc, "products", ""), salts, chem.get("magnesium_molar_mass"))

    thresholds_doc = r.mapping(doc, "thresholds", "")
    r.exact_keys(thresholds_doc, set(THRESHOLD_SCHEMA), "thresholds.")
    thresholds = {
        k: r.quantity(thresholds_doc.get(k), kind, f"thresholds.{k}")
        for k, kind in THRESHOLD_SCHEMA.items()
        if k in thresholds_doc
    }

    plaus_doc = r.mapping(doc, "plausibility", "")
    r.exact_keys(plaus_doc, set(PLAUSIBILITY_SCHEMA), "plausibility.")
    plausibility: dict[str, tuple[Any, Any]] = {}
    for key, kind in PLAUSIBILITY_SCHEMA.items():
        pair = plaus_doc.get(key)
        if not isinstance(pair, list) or len(pair) != 2:
            if key in plaus_doc:
                r.problem(f"plausibility.{key}", "must be a list [low, high]")
            continue
        low = r.quantity(pair[0], kind, f"plausibility.{key}[0]")
        high = r.quantity(pair[1], kind, f"plausibility.{key}[1]")
        if low is not None and high is not None:
            plausibility[key] = (low, high)

    doses_doc = r.mapping(doc, "doses", "")
    r.exact_keys(doses_doc, set(DOSE_SCHEMA), "doses.")
    doses: dict[str, dict[str, Any]] = {}
    for name, fields in DOSE_SCHEMA.items():
        entry = doses_doc.get(name)
        if not isinstance(entry, dict):
            if name in doses_doc:
                r.problem(f"doses.{name}", "must be an object")
            continue
        r.exact_keys(entry, set(fields), f"doses.{name}.")
        doses[name] = {
            f: r.quantity(entry.get(f), kind, f"doses.{name}.{f}")
            for f, kind in fields.items()
            if f in entry
        }

    orders_doc = r.mapping(doc, "orders", "")
    r.exact_keys(orders_doc, set(codes.ORDER_CODES), "orders.")
    orders: dict[str, Mapping[str, Any]] = {}
    for code in codes.ORDER_CODES:
        entry = orders_doc.get(code)
        if not isinstance(entry, dict):
            continue
        where = f"orders.{code}."
        taken = codes.ORDER_FIELDS[code]
        for key in sorted(set(entry) - taken - {"title", "sources"}):
            r.problem(
                f"{where}{key}",
                "is not a field of this order (it takes: "
                f"{', '.join(sorted(taken | {'title', 'sources'}))})",
            )
        r.text(entry, "title", where)
        check_sources(entry.get("sources"), f"{where}sources")
        for key in taken - {"product"}:
            if key in entry:
                r.text(entry, key, where)
        if code in codes.MAGNESIUM_ORDER_CODES:
            product = entry.get("product")
            if not isinstance(product, str) or product not in products:
                r.problem(f"{where}product", f"names an unknown product {product!r}")
        elif "text" not in entry:
            r.problem(f"{where}text", "is missing")
        orders[code] = entry
    for code, product_key in (("mg_oxide_oral", "magnesium_oxide"),):
        product = products.get(str(orders.get(code, {}).get("product")))
        if product is not None and product.salt.key != product_key:
            r.problem(
                f"orders.{code}.product", f"must be a {product_key.replace('_', ' ')} product"
            )
    for code in (
        "mg_sulfate_iv_torsades",
        "mg_sulfate_iv_loading",
        "mg_sulfate_iv_severe",
        "mg_sulfate_im_severe",
        "mg_sulfate_im_mild",
        "mg_sulfate_bag_refractory",
    ):
        product = products.get(str(orders.get(code, {}).get("product")))
        if product is not None and (
            product.salt.key != "magnesium_sulfate_heptahydrate" or not product.is_injection
        ):
            r.problem(f"orders.{code}.product", "must be a magnesium sulfate injection")
    organic = products.get(str(orders.get("mg_organic_oral", {}).get("product")))
    if organic is not None and (
        organic.is_injection
        or organic.salt.key in {"magnesium_oxide", "magnesium_sulfate_heptahydrate"}
    ):
        r.problem("orders.mg_organic_oral.product", "must be an oral organic magnesium salt")

    warnings_doc = r.mapping(doc, "warnings", "")
    r.exact_keys(warnings_doc, set(codes.WARNING_CODES), "warnings.")
    warnings: dict[str, Mapping[str, Any]] = {}
    for code, level in codes.WARNING_CODES.items():
        entry = warnings_doc.get(code)
        if not isinstance(entry, dict):
            continue
        where = f"warnings.{code}."
        r.exact_keys(entry, {"level", "text", "sources"}, where, optional={"text_torsades"})
        if entry.get("level") != level:
            r.problem(
                f"{where}level", f"must be {level!r}: a site may not change a warning's level"
            )
        r.text(entry, "text", where)
        r.text(entry, "text_torsades", where, optional=True)
        check_sources(entry.get("sources"), f"{where}sources")
        warnings[code] = entry

    monitoring_doc = r.mapping(doc, "monitoring", "")
    r.exact_keys(monitoring_doc, set(codes.MONITORING_CODES), "monitoring.")
    monitoring: dict[str, Mapping[str, Any]] = {}
    for code in codes.MONITORING_CODES:
        entry = monitoring_doc.get(code)
        if not isinstance(entry, dict):
            continue
        r.exact_keys(entry, {"text", "sources"}, f"monitoring.{code}.")
        r.text(entry, "text", f"monitoring.{code}.")
        check_sources(entry.get("sources"), f"monitoring.{code}.sources")
        monitoring[code] = entry

    graph = _graph(r, r.mapping(doc, "graph", ""), check_sources)
    steps_doc = r.mapping(doc, "steps", "")
    r.exact_keys(steps_doc, set(codes.STEP_OUTCOMES), "steps.")
    rationales: dict[str, Mapping[str, str]] = {}
    for step, outcomes in codes.STEP_OUTCOMES.items():
        entry = steps_doc.get(step)
        if not isinstance(entry, dict):
            continue
        rationale = r.mapping(entry, "rationale", f"steps.{step}.")
        r.exact_keys(rationale, set(outcomes), f"steps.{step}.rationale.")
        for outcome in outcomes:
            if outcome in rationale:
                r.text(rationale, outcome, f"steps.{step}.rationale.")
        rationales[step] = rationale

    _check_order(r, thresholds, plausibility, doses)
    _check_placeholders(r, doc)
    if r.problems:
        raise ProtocolInvalid(r.problems)

    creatinine_molar_mass = (
        chem["creatinine_mass_concentration"] / chem["creatinine_substance_concentration"]
    )
    return Protocol(
        id=ident,
        version=version,
        title=title,
        population=population,
        sha256=sha256,
        approval=approval,
        adequate_oral_trial=oral_trial,
        magnesium_molar_mass=chem["magnesium_molar_mass"],
        magnesium_valence=chem["magnesium_valence"],
        creatinine_molar_mass=creatinine_molar_mass.to(unit("g/mol")),
        salts=salts,
        products=products,
        thresholds=thresholds,
        plausibility=plausibility,
        doses=doses,
        orders=orders,
        warnings=warnings,
        monitoring=monitoring,
        sources=sources,
        graph=graph,
        rationales=rationales,
        origin=origin,
    )


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _placeholders_filled(path: tuple[str, ...]) -> frozenset[str]:
    """The placeholders the engine fills in the text at this place of the document."""
    if len(path) == 3 and path[0] == "warnings" and path[2] in ("text", "text_torsades"):
        return codes.WARNING_PLACEHOLDERS_EVERYWHERE | codes.WARNING_PLACEHOLDERS.get(
            path[1], frozenset()
        )
    if len(path) == 3 and path[0] == "orders":
        return codes.ORDER_PLACEHOLDERS.get((path[1], path[2]), frozenset())
    return frozenset()


def _check_placeholders(r: _Reader, doc: Mapping[str, Any]) -> None:
    """Every {name} in every text is one the engine fills there: any other would be printed
    as it stands, braces and all."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), doc)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(((*path, str(k)), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(((*path, f"[{i}]"), v) for i, v in enumerate(item))
        elif isinstance(item, str):
            filled = _placeholders_filled(path)
            for name in sorted(set(_PLACEHOLDER.findall(item)) - filled):
                known = ", ".join(f"{{{n}}}" for n in sorted(filled)) or "none"
                r.problem(
                    ".".join(path).replace(".[", "["),
                    f"{{{name}}} is not filled in by the engine here (placeholders here: {known})",
                )


def _approval(r: _Reader, doc: Mapping[str, Any]) -> Approval:
    r.exact_keys(
        doc,
        {"site_approved", "site", "approved_by", "effective_date", "review_date", "note"},
        "approval.",
    )
    approved = doc.get("site_approved")
    if not isinstance(approved, bool):
        r.problem("approval.site_approved", "must be true or false")
        approved = False

    def day(key: str) -> date | None:
        value = doc.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            r.problem(f"approval.{key}", "must be an ISO date (YYYY-MM-DD) or null")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            r.problem(f"approval.{key}", f"{value!r} is not a real date")
            return None

    def optional_text(key: str) -> str | None:
        value = doc.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            r.problem(f"approval.{key}", "must be text of at most 200 characters, or null")
            return None
        return value

    effective, review = day("effective_date"), day("review_date")
    site, approved_by = optional_text("site"), optional_text("approved_by")
    if approved:
        for key, value in (
            ("approved_by", approved_by),
            ("effective_date", effective),
            ("review_date", review),
        ):
            if value is None:
                r.problem(f"approval.{key}", "is required for a site-approved protocol")
    if effective and review and review <= effective:
        r.problem("approval.review_date", "must be after the effective date")
    return Approval(
        approved,
        site,
        approved_by,
        effective,
        review,
        r.text(doc, "note", "approval.", optional=True),
    )


def _salts(r: _Reader, doc: Mapping[str, Any]) -> dict[str, Salt]:
    salts: dict[str, Salt] = {}
    for key, entry in doc.items():
        where = f"salts.{key}."
        if not isinstance(entry, dict):
            r.problem(f"salts.{key}", "must be an object")
            continue
        r.exact_keys(entry, {"name", "full_name", "molar_mass", "magnesium_per_formula"}, where)
        molar_mass = r.quantity(entry.get("molar_mass"), "molar_mass", f"{where}molar_mass")
        per_formula = entry.get("magnesium_per_formula")
        if (
            isinstance(per_formula, bool)
            or not isinstance(per_formula, int)
            or not 1 <= per_formula <= 6
        ):
            r.problem(f"{where}magnesium_per_formula", "must be a whole number from 1 to 6")
            per_formula = 1
        if molar_mass is not None and molar_mass.magnitude <= 0:
            r.problem(f"{where}molar_mass", "must be positive")
        if molar_mass is not None and molar_mass.magnitude > 0:
            salts[key] = Salt(
                key,
                r.text(entry, "name", where),
                r.text(entry, "full_name", where),
                molar_mass,
                per_formula,
            )
    for required in ("magnesium_sulfate_heptahydrate", "magnesium_oxide"):
        if required not in salts and required not in doc:
            r.problem(f"salts.{required}", "is missing")
    return salts


def _products(
    r: _Reader, doc: Mapping[str, Any], salts: Mapping[str, Salt], mg_molar_mass: Any
) -> dict[str, Product]:
    products: dict[str, Product] = {}
    for key, entry in doc.items():
        where = f"products.{key}."
        if not isinstance(entry, dict):
            r.problem(f"products.{key}", "must be an object")
            continue
        r.exact_keys(
            entry,
            {"name", "salt", "unit"},
            where,
            optional={"salt_per_unit", "magnesium_per_unit", "unit_volume"},
        )
        salt = salts.get(str(entry.get("salt")))
        if salt is None:
            r.problem(f"{where}salt", f"names an unknown salt {entry.get('salt')!r}")
            continue
        unit_names = entry.get("unit")
        if not (
            isinstance(unit_names, list)
            and len(unit_names) == 2
            and all(isinstance(u, str) and u for u in unit_names)
        ):
            r.problem(f"{where}unit", 'must be ["singular", "plural"]')
            continue
        if ("salt_per_unit" in entry) == ("magnesium_per_unit" in entry):
            r.problem(
                where.rstrip("."), "needs exactly one of salt_per_unit and magnesium_per_unit"
            )
            continue
        if "salt_per_unit" in entry:
            salt_mass = r.quantity(entry["salt_per_unit"], "mass", f"{where}salt_per_unit")
            if salt_mass is None or mg_molar_mass is None:
                continue
            magnesium = (salt_mass / salt.mass_per_magnesium).to(unit("mmol"))
        else:
            magnesium = r.quantity(
                entry["magnesium_per_unit"], "substance", f"{where}magnesium_per_unit"
            )
            if magnesium is None:
                continue
        if magnesium.magnitude <= 0:
            r.problem(where.rstrip("."), "must contain some magnesium")
            continue
        injection = "unit_volume" in entry
        if injection and r.quantity(entry["unit_volume"], "volume", f"{where}unit_volume") is None:
            continue
        products[key] = Product(
            key,
            r.text(entry, "name", where),
            salt,
            unit_names[0],
            unit_names[1],
            magnesium,
            injection,
        )
    return products


def _graph(r: _Reader, doc: Mapping[str, Any], check_sources: Any) -> Graph:
    r.exact_keys(doc, {"start", "nodes", "edges"}, "graph.")
    nodes_doc, edges_doc = doc.get("nodes"), doc.get("edges")
    if not isinstance(nodes_doc, list) or not isinstance(edges_doc, list):
        r.problem("graph", "needs lists of nodes and edges")
        return Graph("", (), ())
    nodes: list[GraphNode] = []
    for i, n in enumerate(nodes_doc):
        where = f"graph.nodes[{i}]."
        if not isinstance(n, dict):
            r.problem(where.rstrip("."), "must be an object")
            continue
        r.exact_keys(n, {"id", "kind", "title"}, where, optional={"question", "sources"})
        if n.get("kind") not in ("decision", "action", "end"):
            r.problem(f"{where}kind", "must be decision, action or end")
        sources = check_sources(n["sources"], f"{where}sources") if "sources" in n else ()
        nodes.append(
            GraphNode(
                str(n.get("id")),
                str(n.get("kind")),
                r.text(n, "title", where),
                n.get("question"),
                sources,
            )
        )
    ids = [n.id for n in nodes]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        r.problem("graph.nodes", f"node {dup!r} appears twice")
    decisions = {n.id for n in nodes if n.kind == "decision"}
    for step in codes.STEP_OUTCOMES:
        if step not in decisions:
            r.problem("graph.nodes", f"the engine's step {step!r} is missing")
    for step in sorted(decisions - set(codes.STEP_OUTCOMES)):
        r.problem("graph.nodes", f"step {step!r} is not a step the engine knows")
    edges: list[GraphEdge] = []
    for i, e in enumerate(edges_doc):
        where = f"graph.edges[{i}]."
        if not isinstance(e, dict):
            r.problem(where.rstrip("."), "must be an object")
            continue
        r.exact_keys(e, {"from", "to", "outcome", "label"}, where)
        edge = GraphEdge(
            str(e.get("from")), str(e.get("to")), str(e.get("outcome")), str(e.get("label", ""))
        )
        for end in (edge.source, edge.target):
            if end not in ids:
                r.problem(where.rstrip("."), f"names an unknown node {end!r}")
        edges.append(edge)
    for node in nodes:
        outs = [e.outcome for e in edges if e.source == node.id]
        if node.kind == "decision":
            expected = set(codes.STEP_OUTCOMES.get(node.id, ()))
            for missing in sorted(expected - set(outs)):
                r.problem("graph.edges", f"step {node.id!r} has no edge for outcome {missing!r}")
            for extra in sorted(set(outs) - expected):
                r.problem(
                    "graph.edges",
                    f"step {node.id!r} has an outcome the engine does not know: {extra!r}",
                )
        elif node.kind == "action" and outs != ["next"]:
            r.problem(
                "graph.edges", f"action {node.id!r} needs exactly one edge with outcome 'next'"
            )
        elif node.kind == "end" and outs:
            r.problem("graph.edges", f"end node {node.id!r} cannot have outgoing edges")
        if len(outs) != len(set(outs)):
            r.problem("graph.edges", f"node {node.id!r} has two edges for one outcome")
    start = doc.get("start")
    if start not in ids:
        r.problem("graph.start", f"names an unknown node {start!r}")
    elif not r.problems:
        _check_acyclic(r, str(start), edges)
        if not r.problems:
            _check_step_order(r, str(start), nodes, edges)
    return Graph(str(start), tuple(nodes), tuple(edges))


# Outcomes that end the walk; every other outcome of a step leads to the next step.
_FINAL_OUTCOMES = {("scope", "pediatric"), ("scope", "pregnancy"), ("monitoring", "done")}


def _check_step_order(
    r: _Reader, start: str, nodes: list[GraphNode], edges: list[GraphEdge]
) -> None:
    """The graph visits the engine's steps in the engine's order, skipping none.

    A site words the steps and the actions between them, but the rule structure is the
    engine's: a graph that skips a step (say, renal function) or reorders them is refused.
    """
    kinds = {n.id: n.kind for n in nodes}
    steps = list(codes.STEP_OUTCOMES)
    if start != steps[0]:
        r.problem("graph.start", f"must be the step {steps[0]!r}, not {start!r}")
    for index, step in enumerate(steps):
        for outcome in codes.STEP_OUTCOMES[step]:
            target = next(e.target for e in edges if e.source == step and e.outcome == outcome)
            passed: set[str] = set()
            while kinds.get(target) == "action" and target not in passed:
                passed.add(target)
                target = next(e.target for e in edges if e.source == target)
            final = (step, outcome) in _FINAL_OUTCOMES
            if final and kinds.get(target) != "end":
                r.problem(
                    "graph.edges",
                    f"step {step!r}, outcome {outcome!r} must lead to an end node, not {target!r}",
                )
            elif not final and target != steps[index + 1]:
                r.problem(
                    "graph.edges",
                    f"step {step!r}, outcome {outcome!r} leads to {target!r}, not to the next step "
                    f"{steps[index + 1]!r}: a site may not skip or reorder the steps",
                )


def _check_acyclic(r: _Reader, start: str, edges: list[GraphEdge]) -> None:
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for e in edges:
            if e.source != node:
                continue
            if state.get(e.target) == 1:
                r.problem("graph.edges", f"the graph loops back to {e.target!r}")
            elif e.target not in state:
                visit(e.target)
        state[node] = 2

    visit(start)


def _check_order(
    r: _Reader,
    t: Mapping[str, Any],
    plaus: Mapping[str, tuple[Any, Any]],
    doses: Mapping[str, Mapping[str, Any]],
) -> None:
    """Thresholds in order, positive doses: the checks a site's edit must still pass."""

    def lt(a: str, b: str, message: str, strict: bool = True) -> None:
        if t.get(a) is None or t.get(b) is None:
            return
        ok = t[a] < t[b] if strict else t[a] <= t[b]
        if not ok:
            r.problem(f"thresholds.{a}", message)

    lt("magnesium_severe_below", "magnesium_normal_from", "must be below magnesium_normal_from")
    lt("magnesium_normal_from", "magnesium_high_above", "must be below magnesium_high_above")
    lt(
        "clearance_emergency_only_below",
        "clearance_full_dose_from",
        "must be below clearance_full_dose_from",
        strict=False,
    )
    lt(
        "potassium_target",
        "potassium_target_torsades",
        "must not be above potassium_target_torsades",
        strict=False,
    )
    lt(
        "adult_from_age_years",
        "pregnancy_question_below_age_years",
        "must be below pregnancy_question_below_age_years",
    )
    for key, value in t.items():
        if value is not None and getattr(value, "magnitude", value) <= 0:
            r.problem(f"thresholds.{key}", "must be positive")
    for key, (low, high) in plaus.items():
        if not low < high:
            r.problem(f"plausibility.{key}", "low must be below high")
        if getattr(low, "magnitude", low) < 0:
            r.problem(f"plausibility.{key}", "low cannot be negative")
    mg = plaus.get("magnesium")
    if (
        mg
        and t.get("magnesium_severe_below") is not None
        and t.get("magnesium_high_above") is not None
        and not (mg[0] < t["magnesium_severe_below"] and t["magnesium_high_above"] < mg[1])
    ):
        r.problem("plausibility.magnesium", "must span the magnesium thresholds")
    for name, fields in doses.items():
        for field, value in fields.items():
            magnitude = getattr(value, "magnitude", value)
            if isinstance(magnitude, Fraction) and magnitude <= 0:
                r.problem(f"doses.{name}.{field}", "must be positive")
    for name in ("refractory_bag", "refractory_bag_reduced"):
        bag = doses.get(name, {})
        if (
            bag.get("magnesium_low") is not None
            and bag.get("magnesium_high") is not None
            and not bag["magnesium_low"] <= bag["magnesium_high"]
        ):
            r.problem(f"doses.{name}.magnesium_low", "must not be above magnesium_high")
