"""Fuzzed hostile protocol files: a raised ceiling, a dose above one, or a duplicate key, in
any unit and beside any other change, is never installed and never gives a traceback."""

from __future__ import annotations

import copy
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from files_support import approved_protocol, run_admin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.records.site_protocol import install_protocol, installed_protocol_path

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = approved_protocol()

# threshold: (its ceiling in a unit, the same unit's factor to other units)
THRESHOLDS = {
    "iv_max_rate": (Decimal(150), {"mg/min": 1, "g/min": Decimal("0.001"), "g/h": Decimal("0.06")}),
    "iv_max_concentration": (Decimal(20), {"g/dL": 1, "g/L": 10, "mg/mL": 10}),
    "renal_max_48h": (Decimal(20), {"g": 1, "mg": 1000, "kg": Decimal("0.001")}),
    "im_max_per_weight_4h": (Decimal(250), {"mg/kg": 1, "g/kg": Decimal("0.001")}),
}
# Read from the protocol, so that an IV dose added to it is fuzzed too: every salt mass given
# in a diluent over a time (the pulseless push, given over "1 to 2 minutes", has its own
# ceiling), and every bag dosed in mmol.
INFUSIONS = tuple(
    name
    for name, dose in BASE["doses"].items()
    if {"salt_mass", "volume", "duration"} <= dose.keys() and "duration_upto" not in dose
)
BAGS = tuple(
    name for name, dose in BASE["doses"].items() if {"volume", "magnesium_high"} <= dose.keys()
)
SULFATE_MG_PER_MMOL = Decimal("246.47")
# The salt mass of each infusion in mg, from the base document ("2 g", "2.5 g").
SALT_MG = {
    name: Decimal(BASE["doses"][name]["salt_mass"].removesuffix(" g")) * 1000 for name in INFUSIONS
}
factors = st.decimals(min_value=Decimal("1.001"), max_value=Decimal(1000), places=3)
shares = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.999"), places=3)


@st.composite
def raised_threshold(draw: st.DrawFn) -> tuple[tuple[str, ...], str]:
    key = draw(st.sampled_from(sorted(THRESHOLDS)))
    ceiling, units = THRESHOLDS[key]
    unit = draw(st.sampled_from(sorted(units)))
    value = ceiling * draw(factors) * Decimal(units[unit])
    return ("thresholds", key), f"{value.normalize():f} {unit}"


@st.composite
def dose_above_a_ceiling(draw: st.DrawFn) -> tuple[tuple[str, ...], str]:
    kind = draw(st.sampled_from(["fast", "strong", "im", "bag"]))
    if kind == "im":  # above 250 mg/kg at the lightest plausible weight, 20 kg
        return ("doses", "severe_im", "salt_mass"), f"{(5 * draw(factors)).normalize():f} g"
    if kind == "bag":  # its largest amount in 1000 mL over 12 h: above 150 mg/min, 20 g/dL
        name = draw(st.sampled_from(BAGS))
        fastest = Decimal(150 * 12 * 60) / SULFATE_MG_PER_MMOL
        return ("doses", name, "magnesium_high"), f"{(fastest * draw(factors)).normalize():f} mmol"
    name = draw(st.sampled_from(INFUSIONS))
    salt = SALT_MG[name]
    if kind == "fast":  # quicker than 150 mg/min
        minutes = salt / 150 * draw(shares)
        return ("doses", name, "duration"), f"{minutes.normalize():f} min"
    millilitres = salt / 200 * draw(shares)  # stronger than 20 g/dL = 200 mg/mL
    return ("doses", name, "volume"), f"{millilitres.normalize():f} mL"


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


harmless = st.sampled_from(
    [
        (("version",), "9.9.9"),
        (("thresholds", "iv_max_rate"), "100 mg/min"),
        (("doses", "oral_start", "magnesium"), "10 mmol"),
        (("approval", "site_approved"), False),
        (("title",), "Site protocol"),
    ]
)


@st.composite
def hostile_protocols(draw: st.DrawFn) -> bytes:
    """The approved default with one or more hostile edits, perhaps beside a harmless one,
    perhaps with a key given twice."""
    document = copy.deepcopy(BASE)
    for path, value in draw(st.lists(harmless, max_size=2)):
        _set(document, path, value)
    hostile = draw(st.lists(raised_threshold() | dose_above_a_ceiling(), max_size=3))
    for path, value in hostile:
        _set(document, path, value)
    text = json.dumps(document, indent=1)
    if not hostile or draw(st.booleans()):
        section = draw(st.sampled_from(["thresholds", "doses", "approval", "orders", "chemistry"]))
        key = draw(st.sampled_from(sorted(document[section])))
        value = draw(st.sampled_from([document[section][key], "1 mg", None, 0]))
        opening = f'"{section}": {{'
        text = text.replace(opening, f"{opening}{json.dumps(key)}: {json.dumps(value)}, ", 1)
    return text.encode("utf-8")


@FUZZ
@given(hostile_protocols())
def test_hostile_protocols_are_refused_and_never_installed(data: bytes) -> None:
    try:
        parse_protocol(data, origin="fuzz")
    except ProtocolInvalid as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
    else:
        raise AssertionError("a hostile protocol was accepted")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "hostile.json"
        source.write_bytes(data)
        for location in ("user", "machine"):
            try:
                install_protocol(source, location)
            except ProtocolInvalid:
                pass
            else:
                raise AssertionError("a hostile protocol was installed")
            assert not installed_protocol_path(location).exists()
        status, out, err = run_admin("protocol", "check", str(source))
        assert status == 2 and "is a valid protocol" not in out
        assert "Traceback" not in err and "mgdesk:" in err
