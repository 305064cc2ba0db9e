"""The printable order sheet as a document model: what it says, built from the plan.

No Qt here. build_sheet() decides whether a sheet may be produced at all and gathers
every field it prints; render_html() turns it into the HTML subset that QTextDocument
supports; sheet_text() is the same content as plain text. The wording rules
(check_wording) run over that text before any sheet is produced, so a protocol or plan
that would print "MgSO4", "2.0 g" or "1,000 mL" is refused rather than printed.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from fractions import Fraction

from mgdesk import __version__
from mgdesk.core.case import Case
from mgdesk.core.formatting import display_unit, duration, significant, volume
from mgdesk.core.plan import Order, Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.text import FACILITY_LIMIT, PRESCRIBER_LIMIT, isolated, printable_text_problem
from mgdesk.core.units import Quantity, magnitude_in, quantity

SHEET_TITLE = "Magnesium replacement order sheet"
END_OF_ORDERS = "END OF ORDERS — nothing below this line is an order"
NOT_VALID = "Not valid without the prescriber's signature."
NOT_SITE_APPROVED = "NOT site-approved protocol"
EVALUATION_INSTALL = "protocol installed per user, for evaluation only"
CHECKBOX = "\u2610"  # BALLOT BOX; DejaVu Sans has the glyph
SHA_SHOWN = 12
# Crockford's base 32: no I, L, O or U, so a sheet id read aloud or copied by hand is unambiguous.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ENTERED = "[entered]"
_CITATION = "[citation]"

ROUTES = {
    "oral": "oral (by mouth)",
    "iv": "IV (intravenous)",
    "im": "IM (intramuscular)",
    "subcut": "subcut (subcutaneous)",
}
LEVEL_LABELS = {"stop": "STOP", "caution": "CAUTION", "info": "INFORMATION"}


class SheetRefused(Exception):  # noqa: N818 - the name other modules already use
    """No sheet may be produced yet; each reason is a sentence saying what to do."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(" ".join(self.reasons))


@dataclass(frozen=True)
class SheetField:
    """A label and its value, as printed."""

    label: str
    value: str


@dataclass(frozen=True)
class SheetOrder:
    """One order as printed on the sheet."""

    number: int
    id: str
    role: str
    role_label: str
    emergency: bool
    title: str
    text: str
    details: tuple[SheetField, ...]


@dataclass(frozen=True)
class SheetWarning:
    """A warning as printed on the sheet."""

    code: str
    level: str
    text: str


@dataclass(frozen=True)
class SheetStep:
    """One step of the reasoning pages."""

    number: int
    title: str
    outcome: str
    inputs: tuple[SheetField, ...]
    thresholds: tuple[SheetField, ...]
    rationale: str
    sources: str  # reference numbers, e.g. "[1] [2]"


@dataclass(frozen=True)
class OrderSheet:
    """Everything one printed sheet says. Same case, plan and protocol: same sheet, apart
    from sheet_id and generated_at."""

    sheet_id: str
    generated_at: datetime
    facility: str
    title: str
    population: str
    patient_name: str
    patient_id: str
    patient_details: str
    allergies: str
    weight: str
    labs: tuple[SheetField, ...]
    status: str
    missing: tuple[str, ...]
    emergency_only: bool
    orders: tuple[SheetOrder, ...]
    monitoring: tuple[str, ...]
    warnings: tuple[SheetWarning, ...]
    acknowledged: tuple[SheetWarning, ...]
    prescriber: str | None
    steps: tuple[SheetStep, ...]
    order_sources: tuple[SheetField, ...]
    references: tuple[SheetField, ...]  # "[1]" and the citation, in order of first use
    app_version: str
    protocol_id: str
    protocol_version: str
    protocol_sha256: str
    protocol_approval: str
    site_approved: bool
    review_date: date | None
    past_review: bool
    evaluation_install: bool
    audit_hash: str | None

    @property
    def generated_text(self) -> str:
        return self.generated_at.isoformat(sep=" ", timespec="minutes")

    @property
    def stop_warnings(self) -> tuple[SheetWarning, ...]:
        return tuple(w for w in self.warnings if w.level == "stop")

    @property
    def other_warnings(self) -> tuple[SheetWarning, ...]:
        return tuple(w for w in self.warnings if w.level != "stop")

    def footer_lines(self) -> tuple[str, ...]:
        """The footer printed on every page, one string per line."""
        lines = [
            f"Protocol {self.protocol_id} version {self.protocol_version}"
            f" · SHA-256 {self.protocol_sha256[:SHA_SHOWN]}",
            f"Sheet {self.sheet_id} · generated {self.generated_text} · mgdesk {self.app_version}",
        ]
        if self.audit_hash:
            lines.append(f"Audit entry {self.audit_hash}")
        cautions = []
        if not self.site_approved:
            cautions.append(NOT_SITE_APPROVED)
        if self.evaluation_install:
            cautions.append(EVALUATION_INSTALL)
        if self.past_review and self.review_date is not None:
            cautions.append(
                f"CAUTION: protocol past its review date ({self.review_date.isoformat()})"
            )
        if cautions:
            lines.append(" · ".join(cautions))
        return tuple(lines)


def new_sheet_id() -> str:
    """A short, unique, upper-case id such as "7F3K2-Q9XWD": 50 random bits from the
    operating system (as uuid4 uses), in Crockford's base 32."""
    bits = int.from_bytes(os.urandom(7), "big") >> 6
    chars = []
    for _ in range(10):
        bits, digit = divmod(bits, 32)
        chars.append(_ID_ALPHABET[digit])
    return "".join(chars[:5]) + "-" + "".join(chars[5:])


def build_sheet(
    case: Case,
    plan: Plan,
    protocol: Protocol,
    *,
    facility: str,
    prescriber: str | None,
    acknowledged: Collection[str],
    generated_at: datetime,
    sheet_id: str,
    audit_hash: str | None = None,
    evaluation_install: bool = False,
) -> OrderSheet:
    """The sheet for one evaluated case; raises SheetRefused with every reason it cannot be
    printed."""
    blockers = plan_blockers(plan, protocol)
    if blockers:
        raise SheetRefused(blockers)
    reasons = _missing_patient_data(case, plan.emergency_only)
    reasons += _acknowledgement_problems(plan, acknowledged)
    reasons += _unprintable_entries(facility, prescriber)
    if reasons:
        raise SheetRefused(reasons)

    stop_codes = {w.code for w in plan.stop_warnings}
    warnings = tuple(SheetWarning(w.code, w.level, w.text) for w in plan.warnings_by_level())
    patient = case.patient
    summary = plan.protocol
    references = _References(
        protocol, [s.sources for s in plan.steps] + [o.sources for o in plan.orders]
    )
    sheet = OrderSheet(
        sheet_id=sheet_id,
        generated_at=generated_at,
        facility=isolated(facility.strip()) or "facility not set",
        title=f"{SHEET_TITLE}: {protocol.title}",
        population=protocol.population,
        patient_name=isolated(patient.name or ""),
        patient_id=isolated(patient.id or ""),
        patient_details=_patient_details(case),
        allergies=isolated(patient.allergies or ""),
        weight=_weight(patient.weight)
        if patient.weight is not None
        else "not recorded (emergency sheet: every magnesium order on it is an emergency order)",
        labs=_labs(case, plan),
        status=plan.status,
        missing=tuple(m.message for m in plan.missing),
        emergency_only=plan.emergency_only,
        orders=_orders(plan.orders),
        monitoring=tuple(m.text for m in plan.monitoring),
        warnings=warnings,
        acknowledged=tuple(w for w in warnings if w.code in stop_codes),
        prescriber=isolated(prescriber.strip()) if prescriber and prescriber.strip() else None,
        steps=_steps(plan, references),
        order_sources=tuple(
            SheetField(f"{n}. {o.title}", references.cite(o.sources))
            for n, o in enumerate(plan.orders, 1)
            if o.sources
        ),
        references=references.listed(),
        app_version=__version__,
        protocol_id=str(summary["id"]),
        protocol_version=str(summary["version"]),
        protocol_sha256=str(summary["sha256"]),
        protocol_approval=_approval_text(protocol),
        site_approved=bool(summary["site_approved"]),
        review_date=protocol.approval.review_date,
        past_review=protocol.is_past_review(generated_at.date()),
        evaluation_install=evaluation_install,
        audit_hash=audit_hash,
    )
    _refuse_bad_wording(sheet)
    return sheet


def plan_blockers(plan: Plan, protocol: Protocol | None = None) -> tuple[str, ...]:
    """Why no order sheet can be printed for this plan at all, whatever is entered or
    acknowledged: the patient is out of scope, or there is nothing to sign. Empty when a sheet
    may be printed once the patient data and acknowledgements are complete. The one place this
    is decided: build_sheet, the window and the command line all ask it. With the protocol,
    the out-of-scope reason names its population."""
    if plan.status == "out_of_scope":
        population = f" ({protocol.population})" if protocol is not None else ""
        stop = "; ".join(w.text for w in plan.stop_warnings)
        return (
            f"The patient is outside this protocol{population}: no order sheet is printed. "
            f"{stop}".strip(),
        )
    if not plan.orders:
        return ("The plan has no order to sign, so there is no order sheet to print.",)
    return ()


def _missing_patient_data(case: Case, emergency_only: bool) -> list[str]:
    patient = case.patient
    reasons = []
    if not patient.name or not patient.id:
        absent = " and ".join(n for n, v in (("name", patient.name), ("ID", patient.id)) if not v)
        reasons.append(
            f"The patient's {absent} is not recorded: an order sheet must identify the patient."
        )
    if not patient.allergies:
        reasons.append('Allergies are not recorded: enter them (or "none known") before printing.')
    if patient.weight is None and not emergency_only:
        reasons.append(
            "Weight is not recorded: enter it before printing (only a sheet of emergency orders "
            "alone may be printed without it)."
        )
    return reasons


def _unprintable_entries(facility: str, prescriber: str | None) -> list[str]:
    """What the facility and prescriber names hold that would not print as typed (the
    patient's details were checked with the case)."""
    reasons = []
    problem = printable_text_problem(facility, FACILITY_LIMIT)
    if problem is not None:
        reasons.append(f"The facility name {problem}.")
    problem = printable_text_problem(prescriber or "", PRESCRIBER_LIMIT)
    if problem is not None:
        reasons.append(f"The prescriber's name {problem}.")
    return reasons


def _acknowledgement_problems(plan: Plan, acknowledged: Collection[str]) -> list[str]:
    stop = {w.code: w for w in plan.stop_warnings}
    reasons = []
    for code in sorted(set(acknowledged) - set(stop)):
        allowed = ", ".join(stop) or "none (this plan has no stop-level warning)"
        reasons.append(
            f"{code!r} is not a stop-level warning of this plan, so it cannot be acknowledged "
            f"(stop-level warnings: {allowed})."
        )
    for code, warning in stop.items():
        if code not in acknowledged:
            reasons.append(f"Stop-level warning {code} is not acknowledged: {warning.text}")
    return reasons


def _patient_details(case: Case) -> str:
    patient = case.patient
    details = [f"{significant(patient.age_years, 4)} years", patient.sex]
    if patient.pregnant is False:
        details.append("not pregnant")
    return ", ".join(details)


def _entered(q: Quantity) -> str:
    return f"{significant(q.magnitude, 6)} {display_unit(q)}"


def _weight(weight: Quantity) -> str:
    if display_unit(weight) == "kg":
        return _entered(weight)
    return f"{_entered(weight)} = {significant(magnitude_in(weight, 'kg'))} kg"


def _labs(case: Case, plan: Plan) -> tuple[SheetField, ...]:
    labs = case.labs
    rows = []
    if plan.magnesium is not None:
        level = plan.magnesium
        rows.append(
            SheetField(
                "Magnesium",
                f"{level.shown_text} (entered as {level.entered}); band: {plan.severity}",
            )
        )
    else:
        rows.append(SheetField("Magnesium", "not measured"))
    rows.append(
        SheetField(
            "Potassium", _entered(labs.potassium) if labs.potassium is not None else "not measured"
        )
    )
    rows.append(
        SheetField(
            "Creatinine",
            _entered(labs.creatinine) if labs.creatinine is not None else "not measured",
        )
    )
    clearance = plan.creatinine_clearance
    if clearance is None:
        absent = [
            name
            for name, v in (("creatinine", labs.creatinine), ("weight", case.patient.weight))
            if v is None
        ]
        value = f"unknown: no {' or '.join(absent) or 'value'} recorded, and no measured clearance"
    elif clearance.method == "cockcroft_gault":
        value = (
            f"{clearance.shown}, Cockcroft-Gault with actual body weight: {clearance.arithmetic}"
        )
    else:
        value = f"{clearance.shown}, measured (as entered)"
    rows.append(SheetField("Creatinine clearance", value))
    return tuple(rows)


def _role_label(order: Order, orders: tuple[Order, ...]) -> str:
    if order.role == "alternative":
        primary = next(
            (n for n, o in enumerate(orders, 1) if o.id == order.alternative_to and o is not order),
            None,
        )
        if primary is None:
            return "ALTERNATIVE: give instead of the primary order, never both"
        return f"ALTERNATIVE to order {primary}: give one or the other, never both"
    if order.role == "conditional":
        return "CONDITIONAL: give only when the condition in the order is met"
    return "PRIMARY, EMERGENCY: give now" if order.emergency else "PRIMARY"


def _orders(orders: tuple[Order, ...]) -> tuple[SheetOrder, ...]:
    return tuple(
        SheetOrder(
            number=n,
            id=o.id,
            role=o.role,
            role_label=_role_label(o, orders),
            emergency=o.emergency,
            title=o.title,
            text=o.text,
            details=_order_details(o),
        )
        for n, o in enumerate(orders, 1)
    )


def _amount(value: Fraction | tuple[Fraction, Fraction], unit_text: str) -> str:
    if isinstance(value, tuple):
        return f"{significant(value[0])} to {significant(value[1])} {unit_text}"
    return f"{significant(value)} {unit_text}"


def _order_details(order: Order) -> tuple[SheetField, ...]:
    rows = []
    if order.dose is not None:
        dose = order.dose
        rows.append(
            SheetField(
                "Magnesium per dose",
                f"{_amount(dose.mmol, 'mmol')} = {_amount(dose.meq, 'mEq')} = "
                f"{_amount(dose.elemental_mg, 'mg')} elemental magnesium",
            )
        )
        rows.append(
            SheetField("Salt mass per dose", f"{_salt_mass(dose.salt_mass_mg)} {dose.salt}")
        )
    if order.product is not None:
        rows.append(SheetField("Product", order.product.text))
    if order.route is not None:
        rows.append(SheetField("Route", ROUTES.get(order.route, order.route)))
    if order.volume_ml is not None:
        diluted = f"{volume(quantity(order.volume_ml, 'mL'))} {order.diluent or ''}".strip()
        if order.concentration_g_dl is not None:
            diluted += f" (final concentration {significant(order.concentration_g_dl)}%)"
        rows.append(SheetField("Diluent and volume", diluted))
    if order.duration_min is not None:
        rows.append(SheetField("Duration", _duration(order)))
    if order.rate_ml_h is not None and order.rate_mg_min is not None:
        rows.append(SheetField("Rate", _rate(order)))
    if order.frequency:
        rows.append(SheetField("Frequency", order.frequency))
    if order.doses is not None:
        rows.append(SheetField("Number of doses", str(order.doses)))
    return tuple(rows)


def _salt_mass(milligrams: Fraction | tuple[Fraction, Fraction]) -> str:
    high = milligrams[1] if isinstance(milligrams, tuple) else milligrams
    if high < 1000:
        return _amount(milligrams, "mg")
    grams = (
        (milligrams[0] / 1000, milligrams[1] / 1000)
        if isinstance(milligrams, tuple)
        else milligrams / 1000
    )
    return _amount(grams, "g")


def _duration(order: Order) -> str:
    assert order.duration_min is not None
    longest = duration(quantity(order.duration_max_min or order.duration_min, "min"))
    if order.duration_max_min is None:
        return longest
    return f"{significant(order.duration_min)} to {longest}"


def _rate(order: Order) -> str:
    assert order.rate_ml_h is not None and order.rate_mg_min is not None
    if order.duration_max_min is not None and order.volume_ml is not None and order.duration_min:
        slowest = order.duration_min / order.duration_max_min
        return (
            f"{significant(order.rate_ml_h * slowest)} to {significant(order.rate_ml_h)} mL/h; "
            f"{significant(order.rate_mg_min * slowest)} to {significant(order.rate_mg_min)}"
            " mg/min "
            f"(life-threatening exception to the usual maximum)"
        )
    most = "at most " if isinstance(order.mg_mmol, tuple) else ""
    return f"{significant(order.rate_ml_h)} mL/h; {most}{significant(order.rate_mg_min)} mg/min"


class _References:
    """The protocol's sources numbered in order of first use, so each is printed once."""

    def __init__(self, protocol: Protocol, uses: Iterable[Iterable[str]]) -> None:
        self.numbers: dict[str, int] = {}
        self.protocol = protocol
        for source_ids in uses:
            for source_id in source_ids:
                self.numbers.setdefault(source_id, len(self.numbers) + 1)

    def cite(self, source_ids: Iterable[str]) -> str:
        return " ".join(f"[{self.numbers[s]}]" for s in source_ids)

    def listed(self) -> tuple[SheetField, ...]:
        rows = []
        for source_id, number in self.numbers.items():
            source = self.protocol.sources.get(source_id)
            citation = f"{source['citation']} ({source['reference']})" if source else source_id
            rows.append(SheetField(f"[{number}]", citation))
        return tuple(rows)


def _steps(plan: Plan, references: _References) -> tuple[SheetStep, ...]:
    return tuple(
        SheetStep(
            number=n,
            title=s.title,
            outcome=_outcome(s.outcome_label, s.outcome),
            inputs=tuple(SheetField(v.name, v.value) for v in s.inputs),
            thresholds=tuple(SheetField(v.name, v.value) for v in s.thresholds),
            rationale=s.rationale,
            sources=references.cite(s.sources),
        )
        for n, s in enumerate(plan.steps, 1)
    )


def _outcome(label: str, code: str) -> str:
    words = code.replace("_", " ")
    if not label or re.sub(r"\W", "", label) == re.sub(r"\W", "", words):
        return label or words
    return f"{label} ({words})"


def _approval_text(protocol: Protocol) -> str:
    a = protocol.approval
    if a.site_approved:
        parts = [
            f"Approved for {a.site}" if a.site else "Site-approved",
            f"by {a.approved_by}" if a.approved_by else "",
            f"effective {a.effective_date.isoformat()}" if a.effective_date else "",
            f"review due {a.review_date.isoformat()}" if a.review_date else "",
        ]
        return " ".join(p for p in parts if p) + "."
    return f"{NOT_SITE_APPROVED}. {a.note}".strip()


# -- wording ------------------------------------------------------------------------------

_SALTS = (
    r"(?:oxide|sulfate|sulphate|glycerophosphate|aspartate|chloride|citrate|lactate|gluconate"
    r"|hydroxide|carbonate|pidolate)"
)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

WORDING_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i:(?<!\w)(?:mgso[4₄]?|mso4|mgo|mgcl2|mag)(?!\w))|(?<!\w)(?:Mg|MS)(?!\w)"),
        "abbreviated drug name {found!r}: write the generic name in full "
        "(for example magnesium sulfate)",
    ),
    (
        re.compile(r"(?<![\d.])\d+\.\d*0(?!\d|\.\d)"),
        "trailing zero in {found!r}: write 2 g, not 2.0 g",
    ),
    (re.compile(r"(?<![\w.])\.\d+"), "no leading zero in {found!r}: write 0.25, not .25"),
    (re.compile(r"[µμ]g(?!\w)|(?i:(?<!\w)ug(?!\w))"), "{found!r}: write mcg"),
    (re.compile(r"(?i)(?<!\w)c\.?c\.?(?!\w)"), "{found!r}: write mL, not cc"),
    (re.compile(r"(?i)(?<!\w)(?:sc|sq|subq|s\.c\.|s\.q\.)(?!\w)"), "{found!r}: write subcut"),
    (
        re.compile(r"(?i:(?<!\w)q\.?o?\.?d\.?(?!\w))|(?<!\w)OD(?!\w)"),
        "{found!r}: write daily (or every other day) in full",
    ),
    (re.compile(r"(?<!\w)(?:U|IU|u|I\.U\.)(?!\w)"), "{found!r}: write units in full"),
    (
        re.compile(r"\d[,\u00a0\u2009\u202f'’]\d"),
        "thousands separator or decimal comma in {found!r}: write 1000 mL and 2.5 g",
    ),
    (
        re.compile(
            r"(?<![\d.])(?:\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})|\d{1,2}\.\d{1,2}\.\d{4}"
            r"|\d{4}/\d{1,2}/\d{1,2})(?!\d|\.\d)"
        ),
        "date {found!r}: write dates as YYYY-MM-DD",
    ),
    (
        re.compile(
            rf"(?i)(?<!\w)(?:\d{{1,2}}\s+{_MONTHS},?\s+\d{{2,4}}|{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}})(?!\w)"
        ),
        "date {found!r}: write dates as YYYY-MM-DD",
    ),
    (
        re.compile(r"(?i)(?<!\w)\d{1,2}(?:[:.]\d{2})?\s*[ap]\.?m\.?(?!\w)"),
        "time {found!r}: write times in 24-hour form (14:30)",
    ),
    (
        re.compile(
            rf"(?i)elemental(?!\s+magnesium(?!\s+{_SALTS})\b)|{_SALTS}\s*[(,:]?\s*elemental"
        ),
        "{found!r}: only magnesium itself is elemental; a salt mass is never called elemental",
    ),
)


def check_wording(text: str) -> list[str]:
    """Every breach of the wording rules in text, as sentences; empty when it reads right."""
    problems: list[str] = []
    for pattern, message in WORDING_RULES:
        for match in pattern.finditer(text):
            problem = message.format(found=match.group(0))
            if problem not in problems:
                problems.append(problem)
    return problems


def _anonymised(sheet: OrderSheet) -> OrderSheet:
    """The sheet without what people typed (names, ids, allergies), identifiers and the
    bibliographic citations, which are quoted as published: the wording rules are for the
    words that instruct. An MRN such as "12/05/77" or a patient called "Mag" is printed
    exactly as entered."""
    return replace(
        sheet,
        facility=_ENTERED,
        patient_name=_ENTERED,
        patient_id=_ENTERED,
        allergies=_ENTERED,
        prescriber=_ENTERED if sheet.prescriber else None,
        sheet_id=_ENTERED,
        audit_hash=_ENTERED if sheet.audit_hash else None,
        app_version=_ENTERED,
        protocol_version=_ENTERED,
        references=tuple(replace(f, value=_CITATION) for f in sheet.references),
    )


@functools.lru_cache(maxsize=16)
def _wording_problems(anonymised: OrderSheet) -> tuple[str, ...]:
    """Cached by what the rules read: build_sheet checks a sheet, and render_html checks it
    again before printing, by then with another sheet id or its audit entry's hash."""
    return tuple(check_wording(sheet_text(anonymised)))


def _refuse_bad_wording(sheet: OrderSheet) -> None:
    problems = _wording_problems(_anonymised(sheet))
    if problems:
        raise SheetRefused(
            [f"The sheet's wording breaks a rule, so it is not printed: {p}." for p in problems]
        )


# -- HTML ---------------------------------------------------------------------------------


WORD_JOINER = "\u2060"
_UNIT_SLASH = re.compile(r"(?<=[A-Za-zµ])/(?=[A-Za-zµ])")


def _e(text: str) -> str:
    """Escaped for HTML, with a word joiner after the slash of a unit, so that "mEq/L" is
    never split across two lines (Qt may break a line after any slash)."""
    escaped = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )
    return _UNIT_SLASH.sub("/" + WORD_JOINER, escaped)


STYLE = """
body { font-family: 'DejaVu Sans'; font-size: 10pt; color: #000000; }
p { margin-top: 0px; margin-bottom: 3px; }
h3 { margin-top: 7px; margin-bottom: 3px; }
p.banner { font-size: 11pt; font-weight: bold; }
p.small { font-size: 10pt; }
td.end { font-size: 11pt; font-weight: bold; border-width: 2px; }
td { font-size: 10pt; vertical-align: top; }
td.label { font-weight: bold; }
td.orderhead { font-size: 11pt; font-weight: bold; background-color: #e8e8e8; }
span.box { font-size: 16pt; font-weight: normal; }
span.role { font-size: 10pt; font-weight: bold; }
"""


def page_label(page: int, page_count: int) -> str:
    """What the painter writes at the top right of every page."""
    return f"page {page} of {page_count}"


def render_header_html(sheet: OrderSheet) -> str:
    """The header printed on every page; the top right cell is left for page_label()."""
    return (
        f"<html><head><style>{STYLE}</style></head><body>"
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f'<td width="75%"><b>{_e(sheet.facility)}</b></td><td width="25%"></td></tr></table>'
        f'<p class="banner">{_e(sheet.title)}</p>'
        f"<p>{_e(sheet.population)}</p>"
        f"<p><b>Patient: {_e(sheet.patient_name)} · ID: {_e(sheet.patient_id)}</b></p>"
        "<hr/></body></html>"
    )


def render_footer_html(sheet: OrderSheet) -> str:
    lines = [_e(line) for line in sheet.footer_lines()]
    lines = [
        f"<b>{line}</b>" if NOT_SITE_APPROVED in line or "CAUTION" in line else line
        for line in lines
    ]
    return (
        f"<html><head><style>{STYLE}</style></head><body><hr/>"
        + "".join(f'<p class="small">{line}</p>' for line in lines)
        + "</body></html>"
    )


def render_html(sheet: OrderSheet) -> str:
    """The body of the sheet (everything between header and footer), escaped field by field.

    Raises SheetRefused if its wording breaks a rule (a sheet built by hand is checked too).
    """
    _refuse_bad_wording(sheet)
    return _body_html(sheet)


def _rows(fields: Iterable[SheetField], label_width: str = "27%") -> str:
    return "".join(
        f'<tr><td class="label" width="{label_width}">{_e(f.label)}</td><td>{_e(f.value)}</td></tr>'
        for f in fields
    )


SHORT_VALUE = 32  # characters: two short fields of these kinds share a row of a grid
PAIRED_LABELS = frozenset(
    {
        "Age and sex",
        "Weight",
        "Potassium",
        "Creatinine",
        "Route",
        "Frequency",
        "Duration",
        "Rate",
        "Number of doses",
    }
)


def _grid(fields: Iterable[SheetField]) -> str:
    """Label/value rows in four columns: consecutive short fields share a row, so an order
    block stays compact; a long value spans the row."""
    pending = list(fields)
    rows = []
    while pending:
        first = pending.pop(0)
        label = f'<td class="label" width="26%">{_e(first.label)}</td>'
        if pending and all(
            f.label in PAIRED_LABELS and len(f.value) <= SHORT_VALUE for f in (first, pending[0])
        ):
            second = pending.pop(0)
            rows.append(
                f'<tr>{label}<td width="24%">{_e(first.value)}</td>'
                f'<td class="label" width="20%">{_e(second.label)}</td>'
                f'<td width="30%">{_e(second.value)}</td></tr>'
            )
        else:
            rows.append(f'<tr>{label}<td colspan="3">{_e(first.value)}</td></tr>')
    return "".join(rows)


def _table(body: str, border: int = 1, padding: int = 2) -> str:
    return (
        f'<table width="100%" border="{border}" cellspacing="0" cellpadding="{padding}" '
        'style="border-collapse:collapse; border-color:#000000; border-style:solid;">'
        f"{body}</table>"
    )


def _body_html(sheet: OrderSheet) -> str:
    parts = [f"<html><head><style>{STYLE}</style></head><body>"]
    if sheet.status == "incomplete":
        missing = "; ".join(sheet.missing) or "see the reasoning page"
        parts.append(
            _table(
                '<tr><td><p class="banner">INCOMPLETE PLAN</p>'
                f"<p>Routine treatment cannot be decided until these are recorded: {_e(missing)}. "
                "Only the orders on this sheet may be given now.</p></td></tr>",
                border=3,
                padding=6,
            )
        )
        parts.append("<p></p>")
    if sheet.emergency_only:
        parts.append(
            '<p class="banner">EMERGENCY SHEET: every magnesium order on it is an emergency'
            " order.</p>"
        )

    parts.append(_heading("Patient and safety data"))
    safety = [
        SheetField("Patient", f"{sheet.patient_name} · ID {sheet.patient_id}"),
        SheetField("Allergies", sheet.allergies),
        SheetField("Age and sex", sheet.patient_details),
        SheetField("Weight", sheet.weight),
        *sheet.labs,
    ]
    parts.append(_table(_grid(safety)))

    if sheet.stop_warnings:
        parts.append(_heading("Stop-level warnings: read before acting"))
        for w in sheet.stop_warnings:
            parts.append(
                _table(
                    f"<tr><td><b>STOP ({_e(w.code)}):</b> {_e(w.text)}</td></tr>",
                    border=3,
                    padding=5,
                )
            )
            parts.append("<p></p>")

    parts.append(_heading(f"Orders: {len(sheet.orders)} (tick each order when acted on)"))
    parts.extend(_order_html(order, len(sheet.orders)) for order in sheet.orders)

    parts.append(_signature_html(sheet))

    parts.append(_heading("Monitoring and hold criteria"))
    monitoring = sheet.monitoring or ("None beyond usual care.",)
    parts.append(_table("".join(f"<tr><td>{_e(m)}</td></tr>" for m in monitoring)))
    if sheet.other_warnings:
        parts.append(_heading("Cautions and information"))
        parts.append(
            _table(
                "".join(
                    f'<tr><td class="label" width="18%">{LEVEL_LABELS[w.level]}</td>'
                    f"<td>{_e(w.text)} ({_e(w.code)})</td></tr>"
                    for w in sheet.other_warnings
                )
            )
        )

    parts.append(
        _heading(
            "How the plan was reached (reasoning: nothing on this page is an order)", new_page=True
        )
    )
    steps = "".join(_step_html(step) for step in sheet.steps)
    if sheet.order_sources:
        listed = "<br/>".join(f"{_e(f.label)}: {_e(f.value)}" for f in sheet.order_sources)
        steps += f"<tr><td><b>Orders</b><br/>and their sources</td><td>{listed}</td></tr>"
    parts.append(_table(steps))
    parts.append(_heading("Sources"))
    parts.append(_table(_rows(sheet.references, "7%")))
    parts.append(_heading("Protocol"))
    parts.append(
        _table(
            _rows(
                [
                    SheetField("Protocol", f"{sheet.protocol_id} version {sheet.protocol_version}"),
                    SheetField("SHA-256", _grouped(sheet.protocol_sha256)),
                    SheetField("Approval", sheet.protocol_approval),
                ],
                "30%",
            )
        )
    )
    parts.append("</body></html>")
    return "".join(parts)


def _signature_html(sheet: OrderSheet) -> str:
    printed_name = _e(sheet.prescriber) if sheet.prescriber else ""
    if sheet.acknowledged:
        acknowledged = (
            "<b>Stop-level warnings acknowledged by the prescriber before printing:</b>"
            + "".join(f"<br/>• {_e(w.code)}: {_e(w.text)}" for w in sheet.acknowledged)
        )
    else:
        acknowledged = "<b>Stop-level warnings acknowledged:</b> none (this plan has none)."
    return (
        _table(
            f'<tr><td colspan="2">{acknowledged}</td></tr>'
            '<tr><td width="55%"><b>Prescriber signature</b><br/><br/></td>'
            f"<td><b>Printed name</b><br/>{printed_name}</td></tr>"
            "<tr><td><b>Date</b> (YYYY-MM-DD)<br/><br/></td>"
            "<td><b>Time</b> (24-hour, HH:MM)<br/><br/></td></tr>"
            f'<tr><td colspan="2"><b>{_e(NOT_VALID.upper())}</b> '
            "The prescriber reviews the basis of every order "
            "(reasoning page) and stays responsible for it.</td></tr>",
            border=2,
            padding=3,
        )
        + "<p></p>"
        + _table(
            '<tr><td width="55%"><b>Pharmacist verification</b><br/><br/></td>'
            "<td><b>Date and time</b><br/><br/></td></tr>"
        )
    )


def _order_html(order: SheetOrder, count: int) -> str:
    """One order as one table, so it is never split across pages; the last one carries the
    END OF ORDERS rule, so no blank space after the last order can take a handwritten one."""
    head = (
        f'<tr><td class="orderhead" colspan="4"><span class="box">{CHECKBOX}</span> '
        f"{order.number}. {_e(order.title)} &nbsp; "
        f'<span class="role">[{_e(order.role_label)}]</span>'
        f'<span class="role"> &nbsp; (order {order.number} of {count})</span></td></tr>'
    )
    end = (
        f'<tr><td class="end" colspan="4" align="center">{_e(END_OF_ORDERS)}</td></tr>'
        if order.number == count
        else ""
    )
    return _table(head + _grid([SheetField("Order", order.text), *order.details]) + end) + "<p></p>"


def _heading(text: str, new_page: bool = False) -> str:
    """A section heading. An <h3> (Qt gives it 12 pt bold; CSS font sizes on headings are
    ignored), so the painter can find it by its heading level and keep it with its table."""
    style = ' style="page-break-before: always;"' if new_page else ""
    return f"<h3{style}>{_e(text)}</h3>"


def _step_html(step: SheetStep) -> str:
    lines = []
    if step.inputs:
        lines.append(
            "<b>Inputs:</b> " + "; ".join(f"{_e(f.label)}: {_e(f.value)}" for f in step.inputs)
        )
    if step.thresholds:
        lines.append(
            "<b>Thresholds:</b> "
            + "; ".join(f"{_e(f.label)}: {_e(f.value)}" for f in step.thresholds)
        )
    lines.append(f"<b>Why:</b> {_e(step.rationale)}")
    if step.sources:
        lines.append(f"<b>Sources:</b> {_e(step.sources)}")
    return (
        f'<tr><td width="27%"><b>{step.number}. {_e(step.title)}</b>'
        f"<br/>Outcome: {_e(step.outcome)}</td>"
        f"<td>{'<br/>'.join(lines)}</td></tr>"
    )


# -- plain text ---------------------------------------------------------------------------


# sheet_text reads the markup this module writes (not arbitrary HTML) with a few patterns:
# the html.parser module would add its import time to every command-line run.
_STYLE_ELEMENT = re.compile(r"<style>.*?</style>", re.DOTALL)
_LINE_TAG = re.compile(r"</?(?:p|h3|tr|table|hr|br)\b[^>]*>")
_CELL_TAG = re.compile(r"<td\b[^>]*>")
_ANY_TAG = re.compile(r"<[^>]*>")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&nbsp;": " ", "&amp;": "&"}
_ENTITY = re.compile("|".join(re.escape(entity) for entity in _ENTITIES))


def html_text(markup: str) -> str:
    """The text a reader sees in this module's markup, one line per paragraph or table row."""
    text = _STYLE_ELEMENT.sub("", markup)
    text = _ANY_TAG.sub("", _CELL_TAG.sub(" ", _LINE_TAG.sub("\n", text)))
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text).replace(WORD_JOINER, "")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def sheet_text(sheet: OrderSheet) -> str:
    """The plain text of what is printed: header (without page numbers), body and footer."""
    return (
        "\n".join(
            (
                html_text(render_header_html(sheet)),
                html_text(_body_html(sheet)),
                html_text(render_footer_html(sheet)),
            )
        )
        + "\n"
    )


def _grouped(digest: str) -> str:
    """A long hash in groups of eight, so it wraps between groups and reads back aloud."""
    return " ".join(digest[i : i + 8] for i in range(0, len(digest), 8))
