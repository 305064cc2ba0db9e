"""The protocol as the engine reads it: typed, frozen, built once by the loader.

The classes here are also the protocol's schema: each measured field names in its metadata
the dimension (or kind of plain number, or text) a site's value must have, and each
warning its level. The loader (protocol_loader) validates a document by walking these
fields, so there is no second description of the format to keep in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, fields
from datetime import date
from fractions import Fraction
from types import MappingProxyType

from mgdesk.core.frozen import Frozen
from mgdesk.core.units import Quantity

# The metadata keys of the schema: a field's kind of value, and a warning's level.
KIND = "kind"
LEVEL = "level"


def _kind(kind: str) -> Mapping[str, str]:
    return MappingProxyType({KIND: kind})


def _level(level: str) -> Mapping[str, str]:
    return MappingProxyType({LEVEL: level})


MASS = _kind("mass")
SUBSTANCE = _kind("substance")
VOLUME = _kind("volume")
TIME = _kind("time")
TEXT = _kind("text")
COUNT = _kind("count")
YEARS = _kind("years")
STOP, CAUTION, INFO = _level("stop"), _level("caution"), _level("info")


class Approval(Frozen):
    """Whether and by whom a site approved the protocol, and until when."""

    site_approved: bool
    site: str | None
    approved_by: str | None
    effective_date: date | None
    review_date: date | None
    note: str

    def as_dict(self) -> dict[str, str | bool | None]:
        return {
            "site_approved": self.site_approved,
            "site": self.site,
            "approved_by": self.approved_by,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "review_date": self.review_date.isoformat() if self.review_date else None,
        }


class Chemistry(Frozen):
    """The constants the conversions use."""

    magnesium_molar_mass: Quantity = field(metadata=_kind("molar_mass"))
    magnesium_valence: Quantity = field(metadata=_kind("valence"))
    creatinine_mass_concentration: Quantity = field(metadata=_kind("mass_concentration"))
    creatinine_substance_concentration: Quantity = field(metadata=_kind("substance_concentration"))


class Salt(Frozen):
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


class Product(Frozen):
    """A product on the formulary: its salt and the magnesium in one unit."""

    key: str
    name: str
    salt: Salt
    unit_singular: str
    unit_plural: str
    magnesium_per_unit: Quantity
    is_injection: bool


class Thresholds(Frozen):
    """The limits the engine compares against."""

    magnesium_severe_below: Quantity = field(metadata=_kind("mass_concentration"))
    magnesium_normal_from: Quantity = field(metadata=_kind("mass_concentration"))
    magnesium_high_above: Quantity = field(metadata=_kind("mass_concentration"))
    adult_from_age_years: Fraction = field(metadata=YEARS)
    pregnancy_question_below_age_years: Fraction = field(metadata=YEARS)
    clearance_full_dose_from: Quantity = field(metadata=_kind("clearance"))
    clearance_emergency_only_below: Quantity = field(metadata=_kind("clearance"))
    potassium_target: Quantity = field(metadata=_kind("substance_concentration"))
    potassium_target_torsades: Quantity = field(metadata=_kind("substance_concentration"))
    iv_max_rate: Quantity = field(metadata=_kind("mass_rate"))
    iv_max_concentration: Quantity = field(metadata=_kind("mass_concentration"))
    im_max_per_weight_4h: Quantity = field(metadata=_kind("mass_per_weight"))
    renal_max_48h: Quantity = field(metadata=MASS)
    product_rounding_tolerance_percent: Fraction = field(metadata=_kind("percent"))
    # Revision 1.1: the BMI bounds of the Cockcroft-Gault weight rule (kg/m2), and the step
    # to which the half-dose infusion is cut down to the 48-hour allowance.
    bmi_underweight_below: Fraction = field(metadata=_kind("bmi"))
    bmi_overweight_from: Fraction = field(metadata=_kind("bmi"))
    cumulative_infusion_step: Quantity = field(metadata=MASS)


# The weight Cockcroft-Gault uses (PROTOCOL.md step 6): "bmi_rule" (actual, ideal or adjusted
# body weight by BMI, when a height is entered) or "actual" (actual body weight always).
CG_WEIGHT_RULES = ("bmi_rule", "actual")


class Settings(Frozen):
    """The site's choices among the rules the engine knows (revision 1.1)."""

    cockcroft_gault_weight: str
    # Whether mg_sulfate_iv_mild is offered beside every IM mild course.
    mild_iv_alternative: bool


class QuantityRange(Frozen):
    """The plausible values of a measured input: low to high, both included."""

    low: Quantity
    high: Quantity


class YearsRange(Frozen):
    low: Fraction
    high: Fraction


class Plausibility(Frozen):
    """The range each input must lie in: a value outside it is a typing or unit error."""

    magnesium: QuantityRange = field(metadata=_kind("mass_concentration"))
    potassium: QuantityRange = field(metadata=_kind("substance_concentration"))
    creatinine: QuantityRange = field(metadata=_kind("mass_concentration"))
    weight: QuantityRange = field(metadata=MASS)
    creatinine_clearance: QuantityRange = field(metadata=_kind("clearance"))
    age_years: YearsRange = field(metadata=YEARS)
    height: QuantityRange = field(metadata=_kind("length"))
    egfr: QuantityRange = field(metadata=_kind("egfr"))
    # One entry of the magnesium already given, as magnesium sulfate heptahydrate.
    magnesium_given: QuantityRange = field(metadata=MASS)


# -- doses: one class for each shape of dose -------------------------------------------


class InfusionDose(Frozen):
    """Magnesium sulfate in a bag, given IV over a duration."""

    salt_mass: Quantity = field(metadata=MASS)
    volume: Quantity = field(metadata=VOLUME)
    diluent: str = field(metadata=TEXT)
    duration: Quantity = field(metadata=TIME)


class PushDose(Frozen):
    """Magnesium sulfate pushed IV/IO over duration (the fastest) to duration_upto."""

    salt_mass: Quantity = field(metadata=MASS)
    volume: Quantity = field(metadata=VOLUME)
    diluent: str = field(metadata=TEXT)
    duration: Quantity = field(metadata=TIME)
    duration_upto: Quantity = field(metadata=TIME)


class IntramuscularDose(Frozen):
    """One IM dose of magnesium sulfate, divided between sites."""

    salt_mass: Quantity = field(metadata=MASS)
    sites: int = field(metadata=COUNT)


class IntramuscularCourse(Frozen):
    """A course of IM doses of magnesium sulfate at an interval."""

    salt_mass: Quantity = field(metadata=MASS)
    interval: Quantity = field(metadata=TIME)
    doses: int = field(metadata=COUNT)


class OralDose(Frozen):
    """A daily amount of oral magnesium."""

    magnesium: Quantity = field(metadata=SUBSTANCE)


class RefractoryBagDose(Frozen):
    """Magnesium sulfate added to a saline bag: an amount from low to high."""

    magnesium_low: Quantity = field(metadata=SUBSTANCE)
    magnesium_high: Quantity = field(metadata=SUBSTANCE)
    volume: Quantity = field(metadata=VOLUME)
    diluent: str = field(metadata=TEXT)
    duration: Quantity = field(metadata=TIME)


class AlfacalcidolDose(Frozen):
    dose: Quantity = field(metadata=MASS)
    guideline_max: Quantity = field(metadata=MASS)


class Doses(Frozen):
    """Every dose the engine orders (the field's type is the dose's shape)."""

    torsades_with_pulse: InfusionDose
    torsades_pulseless: PushDose
    loading: InfusionDose
    severe_iv: InfusionDose
    severe_iv_reduced: InfusionDose
    severe_im: IntramuscularDose
    mild_im: IntramuscularCourse
    mild_im_reduced: IntramuscularCourse
    oral_start: OralDose
    oral_start_reduced: OralDose
    oral_escalated: OralDose
    mild_iv: InfusionDose
    mild_iv_reduced: InfusionDose
    refractory_bag: RefractoryBagDose
    refractory_bag_reduced: RefractoryBagDose
    alfacalcidol: AlfacalcidolDose


# -- orders: their wording, each field one the engine prints ----------------------------


class SulfateOrder(Frozen):
    """A magnesium sulfate injection order (IV or IM)."""

    title: str
    sources: tuple[str, ...]
    product: Product
    note: str | None = None


class OralOrder(Frozen):
    title: str
    sources: tuple[str, ...]
    product: Product
    timing: str | None = None
    escalation: str | None = None
    note: str | None = None


class BagOrder(Frozen):
    """Magnesium sulfate added to a saline bag (refractory deficiency); its note is said
    beside the IV order, not in it (the subcut option)."""

    title: str
    sources: tuple[str, ...]
    product: Product
    frequency: str | None = None
    note: str | None = None


class TextOrder(Frozen):
    """An order whose text the protocol words in full."""

    title: str
    sources: tuple[str, ...]
    text: str


class AlfacalcidolOrder(Frozen):
    """Alfacalcidol: the dose to give, and beside it (not part of the order) the note on
    changing it."""

    title: str
    sources: tuple[str, ...]
    text: str
    note: str | None = None


class PotassiumOrder(Frozen):
    """A prompt for the prescriber to order potassium to its target: text_torsades (if
    given) with torsades, text otherwise."""

    title: str
    sources: tuple[str, ...]
    text: str
    target_torsades_range: str | None = None
    text_torsades: str | None = None


class Orders(Frozen):
    """Every order the engine gives: the fields are the order codes."""

    mg_sulfate_iv_torsades: SulfateOrder
    mg_sulfate_iv_loading: SulfateOrder
    sodium_chloride_iv_rehydration: TextOrder
    mg_sulfate_iv_severe: SulfateOrder
    mg_sulfate_im_severe: SulfateOrder
    mg_sulfate_im_mild: SulfateOrder
    mg_sulfate_iv_mild: SulfateOrder
    mg_oxide_oral: OralOrder
    mg_organic_oral: OralOrder
    alfacalcidol_oral: AlfacalcidolOrder
    mg_sulfate_bag_refractory: BagOrder
    potassium_replacement: PotassiumOrder


ORDER_CODES = tuple(f.name for f in fields(Orders))
MAGNESIUM_ORDER_CODES = frozenset(code for code in ORDER_CODES if code.startswith("mg_"))
# Every order's fields besides these: the fields a site may give it.
ORDER_COMMON_FIELDS = frozenset({"title", "sources"})


# -- warnings and monitoring -------------------------------------------------------------


class WarningText(Frozen):
    """A warning's level, wording (with a torsades wording, if any) and sources."""

    code: str
    level: str
    text: str
    text_torsades: str | None
    sources: tuple[str, ...]


class Warnings(Frozen):
    """Every warning the engine gives; each field's metadata is the level a site may not
    change."""

    out_of_scope_pediatric: WarningText = field(metadata=STOP)
    out_of_scope_pregnancy: WarningText = field(metadata=STOP)
    heart_block_contraindication: WarningText = field(metadata=STOP)
    myasthenia_gravis_contraindication: WarningText = field(metadata=STOP)
    digoxin_interaction: WarningText = field(metadata=CAUTION)
    torsades_do_not_delay: WarningText = field(metadata=STOP)
    rate_exception_life_threatening: WarningText = field(metadata=CAUTION)
    volume_depletion_correct_first: WarningText = field(metadata=STOP)
    renal_function_unknown: WarningText = field(metadata=STOP)
    renal_crcl_below_20: WarningText = field(metadata=STOP)
    max_20g_per_48h: WarningText = field(metadata=STOP)
    renal_crcl_below_30: WarningText = field(metadata=CAUTION)
    cockcroft_gault_not_valid: WarningText = field(metadata=INFO)
    hypokalemia_correct_concurrently: WarningText = field(metadata=CAUTION)
    potassium_unknown: WarningText = field(metadata=INFO)
    gi_losses_may_worsen: WarningText = field(metadata=CAUTION)
    possible_unit_confusion: WarningText = field(metadata=CAUTION)
    not_hypomagnesemic: WarningText = field(metadata=INFO)
    above_normal_range: WarningText = field(metadata=CAUTION)
    calcium_antidote_available: WarningText = field(metadata=CAUTION)
    iv_rate_and_dilution: WarningText = field(metadata=INFO)
    monitor_calcium_alfacalcidol: WarningText = field(metadata=CAUTION)
    subcut_off_label: WarningText = field(metadata=CAUTION)
    refer_specialist: WarningText = field(metadata=INFO)
    review_causative_drugs: WarningText = field(metadata=INFO)
    product_dose_rounding: WarningText = field(metadata=INFO)
    cockcroft_gault_actual_weight: WarningText = field(metadata=INFO)
    ideal_weight_not_defined: WarningText = field(metadata=INFO)
    egfr_used_for_renal_function: WarningText = field(metadata=INFO)
    parenteral_magnesium_given: WarningText = field(metadata=INFO)
    cumulative_limit_reached: WarningText = field(metadata=STOP)

    def by_code(self, code: str) -> WarningText:
        """The warning a plan or an order names by its code."""
        if code not in WARNING_CODES:
            raise KeyError(code)
        entry: WarningText = getattr(self, code)
        return entry


# Each warning code with its level, from the schema above.
WARNING_CODES: Mapping[str, str] = MappingProxyType(
    {f.name: f.metadata[LEVEL] for f in fields(Warnings)}
)


class MonitoringText(Frozen):
    code: str
    text: str
    sources: tuple[str, ...]


class OralRecheckText(MonitoringText):
    """The recheck after oral magnesium, and the day of the course (the issue date day 0)
    on which an oral order is reviewed: continued, changed or stopped."""

    review_day: int = field(metadata=COUNT)


class Monitoring(Frozen):
    """Every monitoring instruction, in the order a plan lists them: the fields are the
    monitoring codes."""

    recheck_mg_oral: OralRecheckText
    recheck_mg_parenteral: MonitoringText
    toxicity_signs: MonitoringText
    recheck_potassium: MonitoringText
    monitor_calcium: MonitoringText
    ecg_monitoring: MonitoringText
    fluid_balance: MonitoringText

    def entries(self) -> tuple[MonitoringText, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


MONITORING_CODES = tuple(f.name for f in fields(Monitoring))


class Source(Frozen):
    citation: str
    reference: str


# -- the step graph ----------------------------------------------------------------------


class GraphNode(Frozen):
    """A step of the protocol graph."""

    id: str
    kind: str
    title: str
    question: str | None
    sources: tuple[str, ...]


class GraphEdge(Frozen):
    """An outcome of a step, leading to the next."""

    source: str
    target: str
    outcome: str
    label: str


class Graph(Frozen):
    """The protocol's steps and the outcomes between them."""

    start: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    def next_node(self, node_id: str, outcome: str) -> str:
        return next(e.target for e in self.edges if e.source == node_id and e.outcome == outcome)


class SheetRules(Frozen):
    """What the site requires on each printed sheet beyond the prescriber's printed name
    (always required): the optional "sheet" section of a protocol."""

    prescriber_registration_required: bool = False
    prescriber_contact_required: bool = False


class Protocol(Frozen):
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
    thresholds: Thresholds
    plausibility: Plausibility
    doses: Doses
    orders: Orders
    warnings: Warnings
    monitoring: Monitoring
    sources: Mapping[str, Source]
    graph: Graph
    # The rationale of each step's outcome: rationales[step][outcome].
    rationales: Mapping[str, Mapping[str, str]]
    origin: str
    settings: Settings
    # The revision 1.1 fields a site's 1.0 file leaves out, each with how it was read.
    read_as_1_0: tuple[str, ...] = ()
    # The fields added to 1.1 that a site's earlier 1.1 file leaves out, each with its value.
    read_as_bundled: tuple[str, ...] = ()
    sheet_rules: SheetRules = SheetRules()

    def is_past_review(self, today: date) -> bool:
        return self.approval.review_date is not None and today > self.approval.review_date

    def summary(self) -> dict[str, str | bool | None]:
        return {
            "id": self.id,
            "version": self.version,
            "sha256": self.sha256,
            **self.approval.as_dict(),
        }
