"""Site protocols: installing one, and checking one before use.

An administrator installs the site's approved protocol for every user of a workstation
(machine-wide); anyone may install one for themselves only, to evaluate it (per-user).
Which installed protocol is used is decided in mgdesk.records.active_protocol (its names
are importable from here too). The installed file holds the exact bytes that were checked,
so its SHA-256 is the one the pharmacy approved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from importlib.resources import files
from pathlib import Path
from typing import Any

from mgdesk import resources
from mgdesk.core.case import CASE_FORMAT, parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.errors import CaseInvalid, PlanWithheld, ProtocolInvalid
from mgdesk.core.frozen import Frozen
from mgdesk.core.plan import Amount, Order, Plan
from mgdesk.core.protocol import Protocol
from mgdesk.core.protocol_loader import default_protocol, parse_protocol
from mgdesk.records import machine_install

# Where the installed protocols are and which is active, imported from here as well.
from mgdesk.records.active_protocol import LOCATION_LABELS as LOCATION_LABELS
from mgdesk.records.active_protocol import SYSTEM_DIR_VARIABLE as SYSTEM_DIR_VARIABLE
from mgdesk.records.active_protocol import InstallLocation as InstallLocation
from mgdesk.records.active_protocol import active_protocol as active_protocol
from mgdesk.records.active_protocol import installed_protocol_path as installed_protocol_path
from mgdesk.records.active_protocol import load_protocol as load_protocol
from mgdesk.records.active_protocol import machine_data_dir as machine_data_dir
from mgdesk.records.active_protocol import read_protocol_file as read_protocol_file
from mgdesk.records.casefile import MAX_CASE_FILE_BYTES, CaseFileError, case_document_from_bytes
from mgdesk.records.generated_cases import generated_cases
from mgdesk.records.installed_hash import hash_record, hash_record_path, record_installed_hash
from mgdesk.records.paths import private_data_dir
from mgdesk.records.protocol_history import archive_installed_protocol
from mgdesk.records.safefile import describe_write_error, read_limited, write_atomically

# Expected numbers in worked cases are given "to about 1%".
_TOLERANCE = 0.01


class InstallError(Exception):
    """A valid protocol could not be written to its place; the message says what to do."""


class InstalledProtocol(Frozen):
    """A protocol just installed, and where."""

    protocol: Protocol
    location: InstallLocation
    path: Path


def install_protocol(source: Path, location: InstallLocation) -> InstalledProtocol:
    """Check source and, only if it is valid, put it in place atomically.

    Raises ProtocolInvalid listing every problem, including a source that cannot be read
    (the installed protocol is untouched), or InstallError if it cannot be written or a
    machine-wide install is asked for without administrator rights.
    """
    try:
        data = read_protocol_file(source)
    except OSError as exc:
        raise ProtocolInvalid([f"{source}: cannot be read ({exc.strerror or exc})"]) from None
    check = check_protocol(data, str(source))
    if check.protocol is None or check.problems:
        raise ProtocolInvalid(list(check.problems))
    if location == "machine" and not machine_install.is_elevated():
        raise InstallError(f"{source} was not installed: {machine_install.NOT_ELEVATED}.")
    target = installed_protocol_path(location)
    try:
        if location == "machine":  # every user of the workstation reads it
            machine_install.write_machine_wide(target, data)
            machine_install.write_machine_wide(hash_record_path(target), hash_record(target, data))
        else:
            private_data_dir()
            write_atomically(target, data, mode=0o600)
            record_installed_hash(target, data, 0o600)
        # The history is for whoever installs: no wider than the umask allows.
        archive_installed_protocol(
            target, data, check.protocol, 0o644 if location == "machine" else 0o600
        )
    except OSError as exc:
        hint = (
            ""
            if location == "user"
            else (
                " Installing for all users needs administrator rights (sudo, or Run as"
                " administrator); --user installs it for you alone, for evaluation."
            )
        )
        reason = describe_write_error(exc, target)
        raise InstallError(f"cannot install into {target}: {reason}.{hint}") from None
    return InstalledProtocol(check.protocol, location, target)


# --- Checking a protocol against worked cases --------------------------------------------


# Where a case run through a protocol comes from (the change report counts each kind).
GIVEN, EXAMPLE, PROBE, GENERATED = "given", "example", "probe", "generated"


class WorkedCase(Frozen):
    """A case to run through a protocol; expect holds a worked case's expected results."""

    name: str
    document: Mapping[str, Any]
    expect: Mapping[str, Any] | None = None
    source: str = GIVEN  # GIVEN (a worked case or case file given), EXAMPLE, PROBE, GENERATED


class CaseOutcome(Frozen):
    """What a protocol makes of one case, in the terms a reviewer compares."""

    status: str  # the plan's status, or "rejected", "withheld", "failed"
    severity: str | None = None
    orders: tuple[tuple[str, str], ...] = ()  # (order id, role), in plan order
    mg_mmol: tuple[tuple[str, str], ...] = ()  # (order id, magnesium per dose in mmol)
    # (order id, ((field, value as printed), ...)): every field of an order that reaches paper
    order_fields: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # why a case was rejected or a plan withheld


class ProtocolCheck(Frozen):
    """The result of checking a protocol: problems make it invalid; changes are for review."""

    protocol: Protocol | None
    problems: tuple[str, ...]
    changes: tuple[str, ...]
    cases_run: int

    @property
    def valid(self) -> bool:
        return self.protocol is not None and not self.problems


def _probe(
    name: str, patient: Mapping[str, Any], labs: Mapping[str, Any], **clinical: Any
) -> WorkedCase:
    document = {"format": CASE_FORMAT, "patient": patient, "labs": labs, "clinical": clinical}
    return WorkedCase(f"revision 1.1 probe: {name}", document, source=PROBE)


_MAN = {"age_years": 50, "sex": "male", "weight": "80 kg"}
_MILD = {"magnesium": "1.4 mg/dL", "potassium": "4.2 mmol/L"}
# Cases that show what revision 1.1 changed (where a protocol is read as a 1.0 file).
REVISION_1_1_PROBES = (
    _probe("mild, clearance 25 mL/min", _MAN, {**_MILD, "creatinine_clearance": "25 mL/min"}),
    _probe("mild with cramps", _MAN, {**_MILD, "creatinine": "1.0 mg/dL"}, symptoms=["cramps"]),
    _probe("mild, no height", _MAN, {**_MILD, "creatinine": "1.0 mg/dL"}),
    _probe(
        "severe, woman of 80, 120 kg, 160 cm, creatinine 2.5 mg/dL",
        {"age_years": 80, "sex": "female", "weight": "120 kg", "height": "160 cm"},
        {"magnesium": "1.0 mg/dL", "potassium": "4.2 mmol/L", "creatinine": "2.5 mg/dL"},
    ),
)


def bundled_examples() -> list[WorkedCase]:
    """The example cases shipped with mgdesk (other files in their folder are skipped)."""
    folder = files(resources).joinpath("examples")
    examples = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            document = json.loads(entry.read_bytes().decode("utf-8"))
            if isinstance(document, dict) and document.get("format") == CASE_FORMAT:
                examples.append(WorkedCase(entry.name, document, source=EXAMPLE))
    return examples


def protocol_cases(worked: Sequence[WorkedCase] = (), generated: int = 0) -> list[WorkedCase]:
    """The cases a protocol is tried on, by `protocol check` and `protocol compare` and in the
    editor alike: the worked cases given, the bundled examples, the revision 1.1 probes, then
    generated cases ("generated #1" ..., seeded: the same every run)."""
    drawn = [
        WorkedCase(f"generated #{number}", case, source=GENERATED)
        for number, case in enumerate(generated_cases(generated), start=1)
    ]
    return [*worked, *bundled_examples(), *REVISION_1_1_PROBES, *drawn]


def load_worked_cases(paths: Sequence[Path]) -> list[WorkedCase]:
    """Case files, or worked cases ({"case": ..., "expect": ...}); a folder gives its *.json.

    Raises CaseFileError for a file that is neither.
    """
    cases: list[WorkedCase] = []
    for path in paths:
        members = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for member in members:
            try:
                data = read_limited(member, MAX_CASE_FILE_BYTES)
            except OSError as exc:
                raise CaseFileError(f"Could not open {member}: {exc.strerror or exc}.") from None
            cases.append(_worked_case(member, data))
    return cases


def _worked_case(path: Path, data: bytes) -> WorkedCase:
    try:
        raw = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raw = None
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("case"), dict)
        and isinstance(raw.get("expect"), dict)
    ):
        return WorkedCase(path.name, raw["case"], raw["expect"])
    return WorkedCase(path.name, case_document_from_bytes(data, str(path)))


def check_protocol(
    data: bytes,
    origin: str,
    cases: Sequence[WorkedCase] = (),
    in_force: Protocol | None = None,
) -> ProtocolCheck:
    """Validate a protocol file's bytes, then run the protocol cases (no generated ones:
    `protocol compare` runs those) through it.

    Problems: anything that makes the file invalid, including a plan the engine withholds
    or cannot produce under it. Changes: every outcome that differs from the protocol in
    force (the bundled default unless given: status, severity, order ids and roles, mg_mmol,
    every order field that reaches paper, warning codes), and every expected result of a
    worked case that the protocol does not give.
    """
    current = in_force or default_protocol()
    try:
        candidate = parse_protocol(data, origin=origin)
    except ProtocolInvalid as exc:
        return ProtocolCheck(None, exc.problems, (), 0)
    problems: list[str] = []
    changes: list[str] = []
    worked = protocol_cases(cases)
    for case in worked:
        before, _ = run_case(case.document, current)
        after, plan = run_case(case.document, candidate)
        if after.status in ("withheld", "failed"):
            problems.extend(f"{case.name}: the plan is {after.status}: {e}" for e in after.errors)
            continue
        changes.extend(f"{case.name}: {d}" for d in differences(before, after))
        if case.expect is not None:
            unmet = unmet_expectations(case.expect, after, plan)
            changes.extend(f"{case.name}: not as expected: {u}" for u in unmet)
    return ProtocolCheck(candidate, tuple(problems), tuple(changes), len(worked))


def run_case(document: Mapping[str, Any], protocol: Protocol) -> tuple[CaseOutcome, Plan | None]:
    try:
        plan = evaluate(parse_case(dict(document), protocol), protocol)
    except CaseInvalid as exc:
        return CaseOutcome("rejected", errors=tuple(str(e) for e in exc.errors)), None
    except PlanWithheld as exc:
        return CaseOutcome("withheld", errors=exc.violations), None
    except Exception as exc:  # a protocol that trips the engine is reported, not a crash
        failure = f"the engine failed ({type(exc).__name__}: {exc})"
        return CaseOutcome("failed", errors=(failure,)), None
    outcome = CaseOutcome(
        status=plan.status,
        severity=plan.severity,
        orders=tuple((o.id, o.role) for o in plan.orders),
        mg_mmol=tuple((o.id, _amount(o.mg_mmol)) for o in plan.orders if o.mg_mmol is not None),
        order_fields=tuple((o.id, printed_fields(o)) for o in plan.orders),
        warnings=tuple(sorted(plan.warning_codes())),
    )
    return outcome, plan


def printed_fields(order: Order) -> tuple[tuple[str, str], ...]:
    """The fields of an order that reach paper, as text (mmol is compared as mg_mmol)."""
    dose, product = order.dose, order.product

    def shown(value: Amount | int | str | None) -> str:
        if value is None:
            return "none"
        return value if isinstance(value, str) else _amount(value)

    return (
        ("route", shown(order.route)),
        ("salt mass (mg)", shown(dose.salt_mass_mg if dose else None)),
        ("mEq", shown(dose.meq if dose else None)),
        ("elemental mg", shown(dose.elemental_mg if dose else None)),
        ("product", shown(product.text if product else None)),
        ("diluent", shown(order.diluent)),
        ("volume (mL)", shown(order.volume_ml)),
        ("concentration (%)", shown(order.concentration_g_dl)),
        ("duration (min)", shown(order.duration_min)),
        ("duration up to (min)", shown(order.duration_max_min)),
        ("rate (mL/h)", shown(order.rate_ml_h)),
        ("rate (mg/min)", shown(order.rate_mg_min)),
        ("frequency", shown(order.frequency)),
        ("number of doses", shown(order.doses)),
        ("review day", shown(order.review_day)),
        ("title", order.title),
        ("text", order.text),
        ("said beside it", shown(order.beside)),
        ("to complete", "; ".join(order.to_complete) or "none"),
    )


def _amount(value: Amount | int) -> str:
    if isinstance(value, tuple):
        return f"{_amount(value[0])} to {_amount(value[1])}"
    return f"{float(value):g}"


def differences(before: CaseOutcome, after: CaseOutcome) -> list[str]:
    """Each way the outcome changed, in words."""
    found: list[str] = []
    for name in ("status", "severity"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            found.append(f"{name} {old} -> {new}")
    if before.errors != after.errors:
        found.extend(f"no longer: {e}" for e in before.errors if e not in after.errors)
        found.extend(f"now: {e}" for e in after.errors if e not in before.errors)
    old_roles, new_roles = dict(before.orders), dict(after.orders)
    for order, role in after.orders:
        if order not in old_roles:
            found.append(f"order added: {order} ({role})")
        elif old_roles[order] != role:
            found.append(f"order {order}: role {old_roles[order]} -> {role}")
    found.extend(
        f"order removed: {order} ({role})"
        for order, role in before.orders
        if order not in new_roles
    )
    old_mmol = dict(before.mg_mmol)
    for order, mmol in after.mg_mmol:
        if order in old_mmol and old_mmol[order] != mmol:
            found.append(f"mg_mmol of {order}: {old_mmol[order]} -> {mmol}")
    old_fields = dict(before.order_fields)
    for order, fields in after.order_fields:
        for (name, new), (_, old) in zip(fields, old_fields.get(order, fields), strict=True):
            if old != new:
                found.append(f"order {order}: {name} {old!r} -> {new!r}")
    found.extend(f"warning added: {w}" for w in after.warnings if w not in before.warnings)
    found.extend(f"warning removed: {w}" for w in before.warnings if w not in after.warnings)
    return found


def unmet_expectations(
    expect: Mapping[str, Any], outcome: CaseOutcome, plan: Plan | None
) -> list[str]:
    """The expected results of a worked case (see shared cases' README) that are not met."""
    if expect.get("exit") == 2:
        field = str(expect.get("error_field", ""))
        if outcome.status != "rejected":
            return [
                f"the case should be rejected (naming {field or 'a field'}), "
                f"but it is {outcome.status}"
            ]
        if field and not any(field in e.split(":", 1)[0] for e in outcome.errors):
            return [f"the rejection should name {field}: {'; '.join(outcome.errors)}"]
        return []
    if plan is None:
        reasons = "; ".join(outcome.errors)
        return [f"the case should be evaluated, but it is {outcome.status}: {reasons}"]
    unmet: list[str] = []
    for name in ("status", "severity"):
        if name in expect and expect[name] != getattr(plan, name):
            unmet.append(f"{name} is {getattr(plan, name)}, expected {expect[name]}")
    ids = [o.id for o in plan.orders]
    primary = sorted(o.id for o in plan.orders if o.role == "primary")
    if "primary" in expect and sorted(expect["primary"]) != primary:
        unmet.append(f"primary orders are {primary}, expected {sorted(expect['primary'])}")
    unmet.extend(f"order {o} is missing" for o in expect.get("present", ()) if o not in ids)
    unmet.extend(f"order {o} should not be there" for o in expect.get("absent", ()) if o in ids)
    codes = plan.warning_codes()
    unmet.extend(f"warning {w} is missing" for w in expect.get("warnings", ()) if w not in codes)
    unmet.extend(
        f"warning {w} should not be there" for w in expect.get("no_warnings", ()) if w in codes
    )
    monitoring = [m.code for m in plan.monitoring]
    unmet.extend(
        f"monitoring {m} is missing" for m in expect.get("monitoring", ()) if m not in monitoring
    )
    for order_id, expected in dict(expect.get("mg_mmol", {})).items():
        order = plan.order(order_id)
        if order is None or order.mg_mmol is None or not _close(order.mg_mmol, expected):
            found = _amount(order.mg_mmol) if order and order.mg_mmol is not None else "none"
            unmet.append(f"mg_mmol of {order_id} is {found}, expected {expected}")
    first = ids[0] if ids else "none"
    if "first_order" in expect and first != expect["first_order"]:
        unmet.append(f"the first order is {first}, expected {expect['first_order']}")
    if "magnesium_mg_dL" in expect:
        level = plan.magnesium.mg_dl if plan.magnesium else None
        if level is None or not _close(level, expect["magnesium_mg_dL"]):
            unmet.append(
                f"magnesium is {_shown(level)} mg/dL, expected {expect['magnesium_mg_dL']}"
            )
    if "crcl" in expect:
        clearance = plan.creatinine_clearance.ml_min if plan.creatinine_clearance else None
        if clearance is None or not _close(clearance, expect["crcl"]):
            unmet.append(
                f"creatinine clearance is {_shown(clearance)} mL/min, expected {expect['crcl']}"
            )
    return unmet


def _close(actual: Amount, expected: object) -> bool:
    if isinstance(actual, tuple):
        return (
            isinstance(expected, list)
            and len(expected) == 2
            and all(_close(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool) or not isinstance(expected, int | Decimal):
        return False
    wanted = float(expected)
    return abs(float(actual) - wanted) <= _TOLERANCE * max(abs(wanted), 1e-9)


def _shown(value: Fraction | None) -> str:
    return "none" if value is None else f"{float(value):.4g}"
