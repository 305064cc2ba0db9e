"""The printable order sheet as a document model: what it says, built from the plan.

No Qt here. build_sheet() decides whether a sheet may be produced at all and gathers
every field it prints; sheet_html.render_html() turns it into the HTML subset that
QTextDocument supports; sheet_html.sheet_text() is the same content as plain text. The
wording rules (wording.check_wording) run over that text before any sheet is produced, so
a protocol or plan that would print "MgSO4", "2.0 g" or "1,000 mL" is refused rather than
printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from datetime import date, datetime

from mgdesk import __version__
from mgdesk.core.case import Case
from mgdesk.core.formatting import display_unit, significant
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import GivenSummary, Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.text import FACILITY_LIMIT, PRESCRIBER_LIMIT, isolated, printable_text_problem
from mgdesk.core.units import Quantity, magnitude_in
from mgdesk.document.sheet_orders import SheetField as SheetField  # where others import it
from mgdesk.document.sheet_orders import SheetOrder as SheetOrder
from mgdesk.document.sheet_orders import printed_orders

SHEET_TITLE = "Magnesium replacement order sheet"
END_OF_ORDERS = "END OF ORDERS — nothing below this line is an order"
NOT_VALID = "Not valid without the prescriber's signature."
NOT_SITE_APPROVED = "NOT site-approved protocol"
EVALUATION_INSTALL = "protocol installed per user, for evaluation only"
EVALUATION_FILE = "protocol for evaluation only: not installed"
CHECKBOX = "\u2610"  # BALLOT BOX; DejaVu Sans has the glyph
SHA_SHOWN = 12
# Crockford's base 32: no I, L, O or U, so a sheet id read aloud or copied by hand is unambiguous.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

LEVEL_LABELS = {"stop": "STOP", "caution": "CAUTION", "info": "INFORMATION"}


class SheetRefused(Exception):  # noqa: N818 - the name other modules already use
    """No sheet may be produced yet; each reason is a sentence saying what to do."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(" ".join(self.reasons))


class SheetWarning(Frozen):
    """A warning as printed on the sheet."""

    code: str  # for the audit log and the command line; never printed
    level: str
    text: str

    @property
    def title(self) -> str:
        """What the warning is about: its text up to the first colon or full stop."""
        return re.split(r"[:.](?:\s|$)", self.text, maxsplit=1)[0]


class SheetStep(Frozen):
    """One step of the reasoning pages."""

    number: int
    title: str
    outcome: str
    inputs: tuple[SheetField, ...]
    thresholds: tuple[SheetField, ...]
    rationale: str
    sources: str  # reference numbers, e.g. "[1] [2]"


class OrderSheet(Frozen):
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
    prescriber_registration: str | None
    prescriber_contact: str | None
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
    # A protocol file given for this sheet only (--protocol), whatever approval it claims.
    evaluation_file: bool = False
    # The magnesium given before the assessment, its total and what the 48-hour limit leaves:
    # the attachment states it (the orders already say when a dose was cut to the limit).
    magnesium_given: str | None = None

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
        if self.evaluation_file:
            cautions.append(EVALUATION_FILE)
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
    evaluation_file: bool = False,
    prescriber_registration: str | None = None,
    prescriber_contact: str | None = None,
) -> OrderSheet:
    """The sheet for one evaluated case; raises SheetRefused with every reason it cannot be
    printed."""
    blockers = plan_blockers(plan, protocol)
    if blockers:
        raise SheetRefused(blockers)
    reasons = _missing_patient_data(case, plan.emergency_only)
    reasons += _acknowledgement_problems(plan, acknowledged)
    prescriber, prescriber_registration, prescriber_contact = (
        _stripped(prescriber),
        _stripped(prescriber_registration),
        _stripped(prescriber_contact),
    )
    reasons += _prescriber_problems(
        protocol, prescriber, prescriber_registration, prescriber_contact
    )
    reasons += _unprintable_entries(
        facility, prescriber, prescriber_registration, prescriber_contact
    )
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
        orders=printed_orders(plan, protocol, generated_at.date()),
        monitoring=tuple(m.text for m in plan.monitoring),
        warnings=warnings,
        acknowledged=tuple(w for w in warnings if w.code in stop_codes),
        prescriber=_isolated(prescriber),
        prescriber_registration=_isolated(prescriber_registration),
        prescriber_contact=_isolated(prescriber_contact),
        steps=_steps(plan, references, {o.id: f"order {n}" for n, o in enumerate(plan.orders, 1)}),
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
        evaluation_file=evaluation_file,
        magnesium_given=None if plan.magnesium_given is None else _given(plan.magnesium_given),
    )
    # Imported here: the wording rules read the rendered sheet, built from this module.
    from mgdesk.document.wording import refuse_bad_wording

    refuse_bad_wording(sheet)
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


def _unprintable_entries(
    facility: str, prescriber: str | None, registration: str | None, contact: str | None
) -> list[str]:
    """What the facility and prescriber entries hold that would not print as typed (the
    patient's details were checked with the case)."""
    reasons = []
    for label, value, limit in (
        ("The facility name", facility, FACILITY_LIMIT),
        ("The prescriber's name", prescriber, PRESCRIBER_LIMIT),
        ("The prescriber's registration number", registration, PRESCRIBER_LIMIT),
        ("The prescriber's contact", contact, PRESCRIBER_LIMIT),
    ):
        problem = printable_text_problem(value or "", limit)
        if problem is not None:
            reasons.append(f"{label} {problem}.")
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
            reasons.append(f"Stop-level warning not acknowledged: {warning.text}")
    return reasons


def _stripped(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def _isolated(text: str | None) -> str | None:
    """A printed entry as typed, a right-to-left one isolated from the text around it."""
    return isolated(text) if text else None


def _prescriber_problems(
    protocol: Protocol, name: str | None, registration: str | None, contact: str | None
) -> list[str]:
    """The prescriber's printed name is always required; the registration number and the
    contact (bleep or phone) when the site's protocol requires them."""
    rules = protocol.sheet_rules
    reasons = []
    if name is None:
        reasons.append(
            "The prescriber's printed name is not entered: enter it (it is printed under the "
            "signature line, so the pharmacist knows whom to call)."
        )
    if registration is None and rules.prescriber_registration_required:
        reasons.append(
            "The prescriber's registration number is not entered: this site's protocol "
            "requires it on every sheet."
        )
    if contact is None and rules.prescriber_contact_required:
        reasons.append(
            "The prescriber's contact (bleep or phone) is not entered: this site's protocol "
            "requires it on every sheet."
        )
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
    return _with_unit(weight, "kg")


def _with_unit(q: Quantity, unit: str) -> str:
    """q as entered, and in unit when entered in another ("70 in = 178 cm")."""
    if display_unit(q) == unit:
        return _entered(q)
    return f"{_entered(q)} = {significant(magnitude_in(q, unit))} {unit}"


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
        value = f"unknown: {plan.clearance_unknown_reason or 'the renal step was not reached'}"
    elif clearance.method == "cockcroft_gault":
        value = f"{clearance.described()}; {clearance.arithmetic}"
    else:
        value = clearance.described()
    # An eGFR is not a creatinine clearance (PROTOCOL.md): never printed under that name.
    label = "Renal function" if clearance and clearance.method == "egfr" else "Creatinine clearance"
    rows.append(SheetField(label, value))
    if plan.body_size is not None and case.patient.height is not None:
        height = _with_unit(case.patient.height, "cm")
        rows.append(SheetField("Body size", f"height {height}; {plan.body_size.shown}"))
    return tuple(rows)


def _given(given: GivenSummary) -> str:
    """Each dose given before the assessment, then the plan's total and allowance."""
    doses = "; ".join(
        f"{entry.entered} {entry.route.upper()} {_minutes(entry.time)}"
        + ("" if entry.in_48h else " (before the 48 hours: not counted)")
        for entry in given.entries
    )
    shown = f"{doses}: {given.shown}" if doses else given.shown
    # The 48 hours end at the assessment, which may be hours before the sheet is printed.
    return f"{shown} (assessed {_minutes(given.assessed_at)})"


def _minutes(iso_time: str) -> str:
    """A time of the case as the sheet prints times: "2026-12-03 08:00+00:00"."""
    return datetime.fromisoformat(iso_time).isoformat(sep=" ", timespec="minutes")


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
            citation = f"{source.citation} ({source.reference})" if source else source_id
            rows.append(SheetField(f"[{number}]", citation))
        return tuple(rows)


# The reasoning is printed in words: ISMP lists "<" and ">" among the error-prone symbols.
_IN_WORDS = (
    (re.compile(r"(?<![\w.])(\d[\d.]*) to < "), r"from \1 to under "),
    (re.compile(r">= ?"), "at least "),
    (re.compile(r"<= ?"), "at most "),
    (re.compile(r"< ?"), "below "),
    (re.compile(r"> ?"), "above "),
)
_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def in_words(text: str, names: dict[str, str] | None = None) -> str:
    """text with comparison symbols written as words, and each internal order code that it
    names replaced by the order's number on the sheet."""
    for pattern, words in _IN_WORDS:
        text = pattern.sub(words, text)
    if names:
        text = _CODE.sub(lambda m: names.get(m.group(0), m.group(0).replace("_", " ")), text)
    return text


def _steps(plan: Plan, references: _References, names: dict[str, str]) -> tuple[SheetStep, ...]:
    def fields(values: Iterable[tuple[str, str]]) -> tuple[SheetField, ...]:
        return tuple(SheetField(in_words(n, names), in_words(v, names)) for n, v in values)

    return tuple(
        SheetStep(
            number=n,
            title=in_words(s.title),
            outcome=in_words(_outcome(s.outcome_label, s.outcome)),
            inputs=fields((v.name, v.value) for v in s.inputs),
            thresholds=fields((v.name, v.value) for v in s.thresholds),
            rationale=in_words(s.rationale, names),
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
