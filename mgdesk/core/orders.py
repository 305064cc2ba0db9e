"""Building the orders of a plan: doses, product rounding and order text.

Pure functions of the protocol and the engine's decisions: the engine (engine.py) walks
the steps and decides which order to give; these work out what the order says. A dose a
product cannot give within the rounding tolerance is reported back (Built.roundings) for
the engine to warn about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from fractions import Fraction

from mgdesk.core.codes import ROUTE_ABBREVIATIONS
from mgdesk.core.dosing import (
    Amounts,
    Rounding,
    UnitsOf,
    dose_of,
    dose_of_salt,
    dose_text,
    product_use,
    with_text,
)
from mgdesk.core.formatting import (
    decimals,
    duration,
    mass,
    plain_quantity,
    significant,
    volume,
)
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import Dose, Order, ProductUse
from mgdesk.core.protocol import (
    InfusionDose,
    IntramuscularCourse,
    OralOrder,
    Product,
    Protocol,
    PushDose,
    RefractoryBagDose,
    SulfateOrder,
)
from mgdesk.core.units import Quantity, magnitude_in, quantity

# Orders appear in this sequence (PROTOCOL.md, "Order sequence in the plan").
ORDER_SEQUENCE = {
    "mg_sulfate_iv_torsades": 0,
    "mg_sulfate_iv_loading": 1,
    "sodium_chloride_iv_rehydration": 2,
    "mg_sulfate_iv_severe": 3,
    "mg_sulfate_im_severe": 3,
    "mg_sulfate_im_mild": 3,
    "mg_sulfate_iv_mild": 3,
    "mg_oxide_oral": 3,
    "mg_organic_oral": 3,
    "mg_sulfate_bag_refractory": 3,
    "alfacalcidol_oral": 5,
    "potassium_replacement": 6,
}
ROLE_SEQUENCE = {"primary": 0, "alternative": 1, "conditional": 1}
# Why a dose is reduced: renal function known to be impaired, or not known at all (then only
# the emergency half-dose infusion is given).
REDUCED_FOR_IMPAIRMENT = "reduced dose for renal impairment"
REDUCED_FOR_UNKNOWN = "reduced dose because renal function is unknown"


class Built(Frozen):
    """A magnesium order as built, with the product roundings its doses needed."""

    order: Order
    roundings: tuple[Rounding, ...] = ()


def in_plan_order(orders: Iterable[Order]) -> tuple[Order, ...]:
    return tuple(sorted(orders, key=lambda o: (ORDER_SEQUENCE[o.id], ROLE_SEQUENCE[o.role])))


def with_safety_codes(order: Order, *, digoxin: bool, rounded: bool) -> Order:
    """A magnesium order with the warnings and monitoring its route calls for: the antidote
    and toxicity checks with parenteral magnesium, the digoxin interaction, the recheck, and
    the product rounding if its product cannot give the dose exactly."""
    warnings = list(order.warnings)
    monitoring = list(order.monitoring)
    if order.is_parenteral:
        warnings.append("calcium_antidote_available")
        monitoring += ["recheck_mg_parenteral", "toxicity_signs"]
        if digoxin:
            warnings.append("digoxin_interaction")
    else:
        monitoring.append("recheck_mg_oral")
    if rounded:
        warnings.append("product_dose_rounding")
    return replace(order, warnings=merged((), warnings), monitoring=merged((), monitoring))


def merged(existing: tuple[str, ...], extra: list[str]) -> tuple[str, ...]:
    """The codes of existing, then those of extra not already there."""
    codes = list(existing)
    for code in extra:
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def limits_wording(protocol: Protocol) -> dict[str, str]:
    """The protocol's limits as warnings quote them."""
    t = protocol.thresholds
    return {
        "renal_max_48h": mass(t.renal_max_48h),
        "iv_max_rate": plain_quantity(t.iv_max_rate),
        "iv_max_concentration": f"{significant(magnitude_in(t.iv_max_concentration, 'g/dL'))}%",
    }


def sulfate(protocol: Protocol) -> Product:
    """The magnesium sulfate injection every sulfate order measures out."""
    return protocol.orders.mg_sulfate_iv_severe.product


def _roundings(*found: Rounding | None) -> tuple[Rounding, ...]:
    return tuple(r for r in found if r is not None)


def with_note(text: str, note: str | None) -> str:
    """The order's text with the protocol's note for it, if any: a site's note is never lost."""
    return f"{text}; {note}" if note is not None else text


def fill(template: str, values: dict[str, str]) -> str:
    """Fill {name} placeholders (the protocol loader refuses any the engine does not fill)."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


# -- IV magnesium sulfate --------------------------------------------------------------


def torsades_infusion(protocol: Protocol) -> Built:
    return _sulfate_infusion(
        protocol,
        "mg_sulfate_iv_torsades",
        protocol.orders.mg_sulfate_iv_torsades,
        protocol.doses.torsades_with_pulse,
        emergency=True,
        frequency="once, now",
    )


def loading_infusion(protocol: Protocol, infusion_follows: bool) -> Built:
    """The loading dose, which refers to the severe infusion that follows it (unless the
    48-hour allowance withholds that infusion)."""
    built = _sulfate_infusion(
        protocol,
        "mg_sulfate_iv_loading",
        protocol.orders.mg_sulfate_iv_loading,
        protocol.doses.loading,
        emergency=True,
        frequency="once, then the infusion below" if infusion_follows else "once",
    )
    if not infusion_follows:
        return built
    return Built(replace(built.order, refers_to="mg_sulfate_iv_severe"), built.roundings)


def severe_infusion(
    protocol: Protocol,
    *,
    reduced: bool,
    emergency: bool,
    cut_to: Quantity | None = None,
    renal: str = "",
) -> Built:
    """The severe infusion; cut_to: the salt mass the 48-hour allowance leaves (a smaller
    dose in the same volume over the same duration); renal: the renal step's outcome, which
    says why a dose is reduced ("unknown": not known, rather than known to be impaired)."""
    doses = protocol.doses
    d = doses.severe_iv_reduced if reduced else doses.severe_iv
    if cut_to is not None:
        d = replace(d, salt_mass=cut_to)
    built = _sulfate_infusion(
        protocol,
        "mg_sulfate_iv_severe",
        protocol.orders.mg_sulfate_iv_severe,
        d,
        emergency=emergency,
        frequency="once",
        reduced=reduced,
        renal_unknown=renal == "unknown",
    )
    if cut_to is None:
        return built
    text = f"{built.order.text}; cut to what remains of the 48-hour limit"
    return Built(replace(built.order, text=text), built.roundings)


def mild_infusion(protocol: Protocol, *, reduced: bool) -> Built:
    """The IV alternative to the IM mild course (if IV access is available)."""
    doses = protocol.doses
    built = _sulfate_infusion(
        protocol,
        "mg_sulfate_iv_mild",
        protocol.orders.mg_sulfate_iv_mild,
        doses.mild_iv_reduced if reduced else doses.mild_iv,
        emergency=False,
        frequency="once",
        reduced=reduced,
    )
    order = replace(built.order, role="alternative", alternative_to="mg_sulfate_im_mild")
    return Built(order, built.roundings)


def _sulfate_infusion(
    protocol: Protocol,
    order_id: str,
    entry: SulfateOrder,
    d: InfusionDose,
    *,
    emergency: bool,
    frequency: str,
    reduced: bool = False,
    renal_unknown: bool = False,
) -> Built:
    dose = dose_of_salt(d.salt_mass, sulfate(protocol), protocol)
    use, rounding = product_use(sulfate(protocol), dose.mmol, protocol)
    minutes = magnitude_in(d.duration, "min")
    rate_mg_min = magnitude_in(d.salt_mass, "mg") / minutes
    rate_ml_h = magnitude_in(d.volume, "mL") / minutes * 60
    text = (
        f"magnesium sulfate {mass(d.salt_mass)} ({dose_text(dose)}; {use.text}) "
        f"in {volume(d.volume)} {d.diluent} IV over {duration(d.duration)} "
        f"({significant(rate_ml_h)} mL/h, {significant(rate_mg_min)} mg/min), {frequency}"
    )
    if reduced:
        text += f"; {REDUCED_FOR_UNKNOWN if renal_unknown else REDUCED_FOR_IMPAIRMENT}"
    order = _iv_sulfate(
        order_id, entry, d, dose, use, text, frequency, emergency, "iv_rate_and_dilution"
    )
    return Built(order, _roundings(rounding))


def torsades_push(protocol: Protocol) -> Built:
    """The pulseless torsades push (faster than the usual limit: the life-threatening
    exception)."""
    d = protocol.doses.torsades_pulseless
    dose = dose_of_salt(d.salt_mass, sulfate(protocol), protocol)
    use, rounding = product_use(sulfate(protocol), dose.mmol, protocol)
    fastest = magnitude_in(d.duration, "min")
    rate_mg_min = magnitude_in(d.salt_mass, "mg") / fastest
    route = "iv_io"  # in pulseless arrest, intraosseous where no vein can be found
    text = (
        f"magnesium sulfate {mass(d.salt_mass)} ({dose_text(dose)}; {use.text}) "
        f"diluted to {volume(d.volume)} with {d.diluent}, {ROUTE_ABBREVIATIONS[route]} push over "
        f"{significant(fastest)} to {duration(d.duration_upto)} "
        f"(up to {significant(rate_mg_min)} mg/min: life-threatening exception), once, now"
    )
    order = _iv_sulfate(
        "mg_sulfate_iv_torsades",
        protocol.orders.mg_sulfate_iv_torsades,
        d,
        dose,
        use,
        text,
        "once, now",
        True,
        "rate_exception_life_threatening",
    )
    return Built(replace(order, route=route), _roundings(rounding))


def _iv_sulfate(
    order_id: str,
    entry: SulfateOrder,
    d: InfusionDose | PushDose,
    dose: Amounts,
    use: UnitsOf,
    text: str,
    frequency: str,
    emergency: bool,
    warning: str,
) -> Order:
    """One IV magnesium sulfate order from its dose (a push gives its slowest duration as
    duration_upto; its rates are those of the fastest)."""
    minutes = magnitude_in(d.duration, "min")
    slowest = magnitude_in(d.duration_upto, "min") if isinstance(d, PushDose) else None
    return Order(
        id=order_id,
        role="primary",
        route="iv",
        title=entry.title,
        text=with_note(text, entry.note),
        drug="magnesium sulfate",
        mg_mmol=dose.mmol,
        dose=with_text(dose.dose()),
        product=use.use(),
        diluent=d.diluent,
        volume_ml=magnitude_in(d.volume, "mL"),
        duration_min=minutes,
        duration_max_min=slowest,
        rate_ml_h=magnitude_in(d.volume, "mL") / minutes * 60,
        rate_mg_min=magnitude_in(d.salt_mass, "mg") / minutes,
        concentration_g_dl=magnitude_in(d.salt_mass / d.volume, "g/dL"),
        frequency=frequency,
        doses=1,
        emergency=emergency,
        warnings=(warning,),
        sources=entry.sources,
    )


# -- IM magnesium sulfate --------------------------------------------------------------


def im_severe_fits(protocol: Protocol, weight: Quantity, im_given_g: Fraction) -> bool:
    """Whether the IM severe dose, with the IM given in the last 4 hours, stays within the
    protocol's maximum per kg in 4 hours."""
    limit = protocol.thresholds.im_max_per_weight_4h * weight
    dose = magnitude_in(protocol.doses.severe_im.salt_mass, "g")
    return dose + im_given_g <= magnitude_in(limit, "g")


def im_severe(
    protocol: Protocol, weight: Quantity | None, im_given_g: Fraction = Fraction(0)
) -> tuple[str, Built | None, bool]:
    """The IM alternative to the severe infusion where the weight allows it (counting the IM
    magnesium given in the last 4 hours), and either way why, for the trace (full doses only:
    the caller leaves it out on reduced doses); and whether it was left out only because of
    the IM given (the weight alone allowed it), which step 8f reports."""
    if weight is None:
        return "not listed: no weight recorded", None, False
    d = protocol.doses.severe_im
    per_weight = protocol.thresholds.im_max_per_weight_4h
    limit = per_weight * weight
    compared = f"{plain_quantity(per_weight)} x {plain_quantity(weight)} = {mass(limit)}"
    given = quantity(im_given_g, "g")
    if im_given_g > 0:
        compared += f" with {mass(given)} given IM in the last 4 hours"
    if not im_severe_fits(protocol, weight, im_given_g):
        left_out_by_given = im_severe_fits(protocol, weight, Fraction(0))
        return f"not listed: {mass(d.salt_mass)} exceeds {compared}", None, left_out_by_given
    product = sulfate(protocol)
    dose = dose_of_salt(d.salt_mass, product, protocol)
    use, rounding = product_use(product, dose.mmol, protocol)
    entry = protocol.orders.mg_sulfate_im_severe
    where = f"divided between {d.sites} sites" if d.sites > 1 else "into 1 site"
    note = f"; {entry.note}" if entry.note is not None else ""
    text = (
        f"magnesium sulfate {mass(d.salt_mass)} ({dose_text(dose)}; {use.text}) IM, "
        f"{where}, once{note} "
        f"(within the maximum of {plain_quantity(per_weight)} in 4 hours: "
        f"{mass(limit)} for {plain_quantity(weight)})"
    )
    order = Order(
        id="mg_sulfate_im_severe",
        role="alternative",
        alternative_to="mg_sulfate_iv_severe",
        route="im",
        title=entry.title,
        text=text,
        drug="magnesium sulfate",
        mg_mmol=dose.mmol,
        dose=with_text(dose.dose()),
        product=use.use(),
        frequency="once",
        doses=1,
        sources=entry.sources,
    )
    listed = Built(order, _roundings(rounding))
    return f"listed: {mass(d.salt_mass)} is within {compared}", listed, False


def im_mild(protocol: Protocol, *, reduced: bool) -> Built:
    d: IntramuscularCourse = protocol.doses.mild_im_reduced if reduced else protocol.doses.mild_im
    product = sulfate(protocol)
    dose = dose_of_salt(d.salt_mass, product, protocol)
    use, rounding = product_use(product, dose.mmol, protocol)
    entry = protocol.orders.mg_sulfate_im_mild
    interval = duration(d.interval)
    total = dose.meq * d.doses
    frequency = f"every {interval} for {d.doses} doses"
    text = (
        f"magnesium sulfate {mass(d.salt_mass)} ({dose_text(dose)}; {use.text}) IM "
        f"{frequency} ({significant(dose.mmol * d.doses)} mmol, {significant(total)} mEq in all)"
    )
    if reduced:
        text += "; reduced course for renal impairment"
    order = Order(
        id="mg_sulfate_im_mild",
        role="primary",
        route="im",
        title=entry.title,
        text=with_note(text, entry.note),
        drug="magnesium sulfate",
        mg_mmol=dose.mmol,
        dose=with_text(dose.dose()),
        product=use.use(),
        frequency=frequency,
        doses=d.doses,
        sources=entry.sources,
    )
    return Built(order, _roundings(rounding))


# -- oral magnesium, the refractory bag ---------------------------------------------------


def oral(
    protocol: Protocol,
    order_id: str,
    entry: OralOrder,
    role: str,
    mmol: Fraction,
    *,
    escalate: bool,
    alternative_to: str | None = None,
) -> Built:
    product = entry.product
    dose = dose_of(product, mmol, protocol)
    use, rounding = product_use(product, mmol, protocol)
    salt = protocol.salts[product.salt.key]
    timing = entry.timing or "daily"
    text = (
        f"{salt.name} {significant(mmol)} mmol magnesium ({significant(dose.meq)} mEq, "
        f"{significant(dose.elemental_mg)} mg elemental magnesium; "
        f"salt {mass(quantity(dose.salt_mass_mg, 'mg'))} {salt.name}): "
        f"{use.text} orally {timing}"
    )
    if escalate and entry.escalation is not None:
        escalated = protocol.doses.oral_escalated.magnesium
        text += "; " + fill(entry.escalation, {"escalated": plain_quantity(escalated)})
    order = Order(
        id=order_id,
        role=role,
        alternative_to=alternative_to,
        route="oral",
        title=entry.title,
        text=with_note(text, entry.note),
        drug=salt.name,
        mg_mmol=mmol,
        dose=with_text(dose.dose()),
        product=use.use(),
        frequency=timing,
        sources=entry.sources,
        review_day=protocol.monitoring.recheck_mg_oral.review_day,
    )
    return Built(order, _roundings(rounding))


def refractory_bag(protocol: Protocol, *, reduced: bool) -> Built:
    doses = protocol.doses
    d: RefractoryBagDose = doses.refractory_bag_reduced if reduced else doses.refractory_bag
    product = sulfate(protocol)
    low = magnitude_in(d.magnesium_low, "mmol")
    high = magnitude_in(d.magnesium_high, "mmol")
    low_dose, high_dose = dose_of(product, low, protocol), dose_of(product, high, protocol)
    low_use, low_rounding = product_use(product, low, protocol)
    high_use, high_rounding = product_use(product, high, protocol)
    minutes = magnitude_in(d.duration, "min")
    rate_mg_min = high_dose.salt_mass_mg / minutes
    rate_ml_h = magnitude_in(d.volume, "mL") / minutes * 60
    entry = protocol.orders.mg_sulfate_bag_refractory
    frequency = entry.frequency or "daily"
    salt_low = quantity(low_dose.salt_mass_mg, "mg")
    salt_high = quantity(high_dose.salt_mass_mg, "mg")
    unit_g = magnitude_in(salt_high, "g") >= 1

    def span(low_value: Fraction, high_value: Fraction) -> str:
        return f"{significant(low_value)} to {significant(high_value)}"

    salt_text = (
        f"{span(magnitude_in(salt_low, 'g'), magnitude_in(salt_high, 'g'))} g"
        if unit_g
        else f"{span(low_dose.salt_mass_mg, high_dose.salt_mass_mg)} mg"
    )
    millilitres = f"{decimals(low_use.units, 1)} to {decimals(high_use.units, 1)} mL"
    text = (
        f"magnesium sulfate {span(low, high)} mmol "
        f"({span(low_dose.meq, high_dose.meq)} mEq, "
        f"{span(low_dose.elemental_mg, high_dose.elemental_mg)} mg elemental magnesium; "
        f"salt {salt_text} magnesium sulfate; {millilitres} of {product.name}) "
        f"added to {volume(d.volume)} {d.diluent}, IV over {duration(d.duration)} "
        f"({significant(rate_ml_h)} mL/h, at most {significant(rate_mg_min)} mg/min), "
        f"{frequency}"
    )
    if reduced:
        text += f"; {REDUCED_FOR_IMPAIRMENT}"
    dose = Dose(
        product.salt.full_name,
        (low_dose.salt_mass_mg, high_dose.salt_mass_mg),
        (low, high),
        (low_dose.meq, high_dose.meq),
        (low_dose.elemental_mg, high_dose.elemental_mg),
        "",
    )
    use = ProductUse(
        product.key,
        product.name,
        (low_use.units, high_use.units),
        product.unit_plural,
        (low_use.mmol, high_use.mmol),
        f"{millilitres} of {product.name}",
    )
    order = Order(
        id="mg_sulfate_bag_refractory",
        role="primary",
        route="iv",
        title=entry.title,
        text=text,
        beside=entry.note,
        drug="magnesium sulfate",
        mg_mmol=(low, high),
        dose=with_text(dose),
        product=use,
        diluent=d.diluent,
        volume_ml=magnitude_in(d.volume, "mL"),
        duration_min=minutes,
        rate_ml_h=rate_ml_h,
        rate_mg_min=rate_mg_min,
        concentration_g_dl=high_dose.salt_mass_mg / 1000 / magnitude_in(d.volume, "dL"),
        frequency=frequency,
        warnings=("iv_rate_and_dilution", "subcut_off_label", "refer_specialist"),
        sources=entry.sources,
    )
    return Built(order, _roundings(low_rounding, high_rounding))


def orders_by_node(
    produced: Mapping[str, Sequence[str]], orders: Sequence[Order]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """For the flowchart: the ids of the orders each node produced that the plan kept."""
    kept_ids = {o.id for o in orders}
    return tuple(
        (node, kept)
        for node, ids in produced.items()
        if (kept := tuple(i for i in ids if i in kept_ids))
    )
