"""Reading a protocol: JSON in, a validated, typed Protocol out.

A site may change thresholds, doses, products, wording, sources and approval metadata;
it may not change the rule structure or the codes. Anything the engine does not know,
any quantity of the wrong dimension and any threshold out of order is refused. What a
protocol holds, and the dimension of each value, is read from the classes of
mgdesk.core.protocol.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import fields
from datetime import date
from fractions import Fraction
from importlib.resources import files
from typing import Any, get_type_hints

from mgdesk import resources
from mgdesk.core import codes
from mgdesk.core.case import reject_duplicate_keys
from mgdesk.core.ceilings import check_ceilings
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.protocol import (
    CG_WEIGHT_RULES,
    MAGNESIUM_ORDER_CODES,
    ORDER_CODES,
    ORDER_COMMON_FIELDS,
    WARNING_CODES,
    Approval,
    Chemistry,
    Doses,
    Monitoring,
    Orders,
    Plausibility,
    Product,
    Protocol,
    QuantityRange,
    Salt,
    Settings,
    SheetRules,
    Source,
    Thresholds,
    Warnings,
    WarningText,
    YearsRange,
)
from mgdesk.core.protocol_checks import (
    check_order,
    check_texts,
    read_graph,
    read_monitoring,
)
from mgdesk.core.protocol_reader import Reader, json_problem, kinds
from mgdesk.core.protocol_revision import with_later_fields, with_revision_1_1_fields
from mgdesk.core.units import quantity, unit

# Physical constants a protocol states but may not change (to within a rounding): a wrong
# molar mass would make every dose's mmol, mEq and elemental figures wrong.
PHYSICAL_CONSTANTS = {
    "magnesium_molar_mass": ("24.305", "g/mol"),
    "magnesium_valence": ("2", "eq/mol"),
    "creatinine_substance_concentration": ("88.4", "umol/L"),
    "creatinine_mass_concentration": ("1", "mg/dL"),
}
PHYSICAL_TOLERANCE = Fraction(1, 100)

PROTOCOL_FORMAT = "mgdesk-protocol/1"
MAX_PROTOCOL_BYTES = 2_000_000

_DOSE_SHAPES: dict[str, type] = get_type_hints(Doses)
_ORDER_SHAPES: dict[str, type] = get_type_hints(Orders)
# The fields each order takes besides its title and sources: the engine prints every one
# of them, so a field it would not print (a note that would vanish) is refused.
ORDER_FIELDS = {
    code: frozenset(f.name for f in fields(shape)) - ORDER_COMMON_FIELDS
    for code, shape in _ORDER_SHAPES.items()
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@functools.cache
def default_protocol() -> Protocol:
    """The bundled default protocol (not approved by any site until a site installs its own)."""
    data = files(resources).joinpath("protocols", "default.json").read_bytes()
    return parse_protocol(data, origin="bundled default")


def parse_protocol(data: bytes, origin: str = "protocol") -> Protocol:
    if len(data) > MAX_PROTOCOL_BYTES:
        raise ProtocolInvalid([f"{origin}: larger than {MAX_PROTOCOL_BYTES} bytes"])
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_once_each)
    except UnicodeDecodeError:
        raise ProtocolInvalid([f"{origin}: not UTF-8 text"]) from None
    except _DuplicateKeyError as exc:  # json.loads would keep the last, silently
        raise ProtocolInvalid([f"{origin}: {exc}: each field may be given only once"]) from None
    except (ValueError, RecursionError) as exc:  # ValueError: also a number too long to convert
        raise ProtocolInvalid([f"{origin}: {json_problem(exc)}"]) from None
    if not isinstance(document, dict):
        raise ProtocolInvalid([f"{origin}: must be a JSON object"])
    if _has_lone_surrogate(document):
        raise ProtocolInvalid(
            [f"{origin}: contains text that is not valid Unicode (a lone surrogate)"]
        )
    protocol = _build(document, hashlib.sha256(data).hexdigest(), origin)
    return protocol


class _DuplicateKeyError(ValueError):
    """A field given twice in one object of the protocol file."""


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    try:
        return reject_duplicate_keys(pairs)
    except ValueError as exc:
        raise _DuplicateKeyError(str(exc)) from None


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


def _build(original: Mapping[str, Any], sha256: str, origin: str) -> Protocol:
    r = Reader()
    fmt = original.get("format")
    if fmt != PROTOCOL_FORMAT:
        raise ProtocolInvalid([f"format: must be {PROTOCOL_FORMAT!r}, found {fmt!r}"])
    doc, read_as_1_0 = with_revision_1_1_fields(original)
    doc, read_as_bundled = with_later_fields(doc)
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
        "settings",
    }
    r.exact_keys(doc, top, "", optional={"sheet"})
    ident = r.text(doc, "id", "")
    version = r.text(doc, "version", "")
    title = r.text(doc, "title", "")
    population = r.text(doc, "population", "")
    oral_trial = r.text(doc, "adequate_oral_trial", "")

    approval = _approval(r, r.mapping(doc, "approval", ""))
    settings = _settings(r, r.mapping(doc, "settings", ""))

    chem = r.measured(r.mapping(doc, "chemistry", ""), Chemistry, "chemistry.")
    for key, value in chem.items():
        if value is not None and value.magnitude <= 0:
            r.problem(f"chemistry.{key}", "must be positive")
        elif value is not None and key in PHYSICAL_CONSTANTS:
            expected = quantity(*PHYSICAL_CONSTANTS[key])
            if abs(value / expected - 1) > PHYSICAL_TOLERANCE:
                r.problem(
                    f"chemistry.{key}",
                    f"must be {PHYSICAL_CONSTANTS[key][0]} {PHYSICAL_CONSTANTS[key][1]}: it is "
                    "a physical constant, which no site changes",
                )

    sources_doc = r.mapping(doc, "sources", "")
    sources: dict[str, Source] = {}
    for key, value in sources_doc.items():
        if not isinstance(value, dict):
            r.problem(f"sources.{key}", "must be an object")
            continue
        r.exact_keys(value, {"citation", "reference"}, f"sources.{key}.")
        sources[key] = Source(
            r.text(value, "citation", f"sources.{key}."),
            r.text(value, "reference", f"sources.{key}."),
        )

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

    thresholds = r.measured(r.mapping(doc, "thresholds", ""), Thresholds, "thresholds.")

    plaus_doc = r.mapping(doc, "plausibility", "")
    plausibility_kinds = kinds(Plausibility)
    r.exact_keys(plaus_doc, set(plausibility_kinds), "plausibility.")
    plausibility: dict[str, tuple[Any, Any]] = {}
    for key, kind in plausibility_kinds.items():
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
    r.exact_keys(doses_doc, set(_DOSE_SHAPES), "doses.")
    doses: dict[str, dict[str, Any]] = {}
    for name, shape in _DOSE_SHAPES.items():
        entry = doses_doc.get(name)
        if not isinstance(entry, dict):
            if name in doses_doc:
                r.problem(f"doses.{name}", "must be an object")
            continue
        doses[name] = r.measured(entry, shape, f"doses.{name}.")

    orders_doc = r.mapping(doc, "orders", "")
    r.exact_keys(orders_doc, set(ORDER_CODES), "orders.")
    orders: dict[str, Mapping[str, Any]] = {}
    for code in ORDER_CODES:
        entry = orders_doc.get(code)
        if not isinstance(entry, dict):
            continue
        where = f"orders.{code}."
        taken = ORDER_FIELDS[code]
        for key in sorted(set(entry) - taken - ORDER_COMMON_FIELDS):
            r.problem(
                f"{where}{key}",
                "is not a field of this order (it takes: "
                f"{', '.join(sorted(taken | ORDER_COMMON_FIELDS))})",
            )
        r.text(entry, "title", where)
        check_sources(entry.get("sources"), f"{where}sources")
        for key in sorted(taken - {"product"}):
            if key in entry:
                r.text(entry, key, where)
        if code in MAGNESIUM_ORDER_CODES:
            product = entry.get("product")
            if not isinstance(product, str) or product not in products:
                r.problem(f"{where}product", f"names an unknown product {product!r}")
        elif "text" not in entry:
            r.problem(f"{where}text", "is missing")
        orders[code] = entry
    _check_order_products(r, orders, products)

    warnings_doc = r.mapping(doc, "warnings", "")
    r.exact_keys(warnings_doc, set(WARNING_CODES), "warnings.")
    warnings: dict[str, WarningText] = {}
    for code, level in WARNING_CODES.items():
        entry = warnings_doc.get(code)
        if not isinstance(entry, dict):
            continue
        where = f"warnings.{code}."
        r.exact_keys(entry, {"level", "text", "sources"}, where, optional={"text_torsades"})
        if entry.get("level") != level:
            r.problem(
                f"{where}level", f"must be {level!r}: a site may not change a warning's level"
            )
        warnings[code] = WarningText(
            code,
            level,
            r.text(entry, "text", where),
            r.text(entry, "text_torsades", where, optional=True) or None,
            check_sources(entry.get("sources"), f"{where}sources"),
        )

    monitoring = read_monitoring(r, r.mapping(doc, "monitoring", ""), check_sources)
    graph = read_graph(r, r.mapping(doc, "graph", ""), check_sources)
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

    sheet_rules = _sheet_rules(r, doc.get("sheet", {}))
    check_order(r, thresholds, plausibility, doses)
    sulfate = salts.get("magnesium_sulfate_heptahydrate")
    per_magnesium = sulfate.mass_per_magnesium if sulfate is not None else None
    check_ceilings(r.problem, thresholds, plausibility, doses, per_magnesium)
    check_texts(r, doc)
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
        thresholds=Thresholds(**thresholds),
        plausibility=_plausibility(plausibility),
        doses=Doses(**{name: _DOSE_SHAPES[name](**values) for name, values in doses.items()}),
        orders=Orders(**{code: _order(code, entry, products) for code, entry in orders.items()}),
        warnings=Warnings(**warnings),
        monitoring=Monitoring(**monitoring),
        sources=sources,
        graph=graph,
        rationales=rationales,
        origin=origin,
        settings=settings,
        read_as_1_0=read_as_1_0,
        read_as_bundled=read_as_bundled,
        sheet_rules=sheet_rules,
    )


def _settings(r: Reader, doc: Mapping[str, Any]) -> Settings:
    r.exact_keys(doc, {"cockcroft_gault_weight", "mild_iv_alternative"}, "settings.")
    rule = doc.get("cockcroft_gault_weight")
    if rule not in CG_WEIGHT_RULES:
        r.problem(
            "settings.cockcroft_gault_weight", f"must be one of: {', '.join(CG_WEIGHT_RULES)}"
        )
        rule = "actual"
    mild_iv = doc.get("mild_iv_alternative")
    if not isinstance(mild_iv, bool):
        r.problem("settings.mild_iv_alternative", "must be true or false")
        mild_iv = False
    return Settings(str(rule), mild_iv)


def _plausibility(ranges: Mapping[str, tuple[Any, Any]]) -> Plausibility:
    values: dict[str, Any] = {
        key: (YearsRange if key == "age_years" else QuantityRange)(low, high)
        for key, (low, high) in ranges.items()
    }
    return Plausibility(**values)


def _order(code: str, entry: Mapping[str, Any], products: Mapping[str, Product]) -> Any:
    """The typed order from its validated entry: the product named is looked up."""
    shape = _ORDER_SHAPES[code]
    values = {
        f.name: products[entry[f.name]] if f.name == "product" else entry[f.name]
        for f in fields(shape)
        if f.name in entry
    }
    values["sources"] = tuple(entry["sources"])
    return shape(**values)


def _check_order_products(
    r: Reader, orders: Mapping[str, Mapping[str, Any]], products: Mapping[str, Product]
) -> None:
    """Each order names a product of the right salt and form."""
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
        "mg_sulfate_iv_mild",
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


def _sheet_rules(r: Reader, doc: Any) -> SheetRules:
    """The optional "sheet" section: which prescriber details every sheet must carry."""
    if not isinstance(doc, dict):
        r.problem("sheet", "must be an object")
        return SheetRules()
    keys = {"prescriber_registration_required", "prescriber_contact_required"}
    r.exact_keys(doc, set(), "sheet.", optional=keys)
    flags = {}
    for key in keys:
        value = doc.get(key, False)
        if not isinstance(value, bool):
            r.problem(f"sheet.{key}", "must be true or false")
            value = False
        flags[key] = value
    return SheetRules(**flags)


def _approval(r: Reader, doc: Mapping[str, Any]) -> Approval:
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


def _salts(r: Reader, doc: Mapping[str, Any]) -> dict[str, Salt]:
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
    r: Reader, doc: Mapping[str, Any], salts: Mapping[str, Salt], mg_molar_mass: Any
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
