"""A protocol file means one thing: no duplicate keys, and an installed protocol is used only
while its bytes are the ones that were checked and installed."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from files_support import REPO_ROOT, approved_protocol, protocol_bytes, run_admin

from mgdesk.commands import evaluate as evaluate_cli
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.core.protocol_loader import parse_protocol
from mgdesk.records.installed_hash import record_installed_hash
from mgdesk.records.site_protocol import active_protocol, installed_protocol_path

DUPLICATE_KEY = REPO_ROOT / "tests" / "data" / "protocols" / "duplicate-key.json"
DUPLICATE_MESSAGE = "the field 'iv_max_rate' appears twice: each field may be given only once"
CASE = json.dumps(
    {
        "format": "mgdesk-case/1",
        "patient": {"age_years": 60, "sex": "male", "weight": "80 kg"},
        "labs": {"magnesium": "1.4 mg/dL", "potassium": "4.2 mmol/L", "creatinine": "1.0 mg/dL"},
    }
).encode()


def evaluate(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = evaluate_cli.run(["evaluate", *args, "-"], io.BytesIO(CASE), out, err)
    return status, out.getvalue(), err.getvalue()


# -- duplicate keys -------------------------------------------------------------------------


def test_a_protocol_with_a_duplicate_key_is_refused_naming_the_key() -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(DUPLICATE_KEY.read_bytes(), origin="site.json")
    assert caught.value.problems == (f"site.json: {DUPLICATE_MESSAGE}",)


def test_a_duplicate_key_is_refused_however_deep() -> None:
    data = protocol_bytes(approved_protocol()).replace(
        b'"name": "magnesium oxide 160 mg capsule",',
        b'"name": "magnesium oxide 160 mg capsule", "name": "magnesium oxide 400 mg",',
    )
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(data, origin="site.json")
    assert "the field 'name' appears twice" in caught.value.problems[0]


def test_check_install_and_evaluate_refuse_a_duplicate_key() -> None:
    status, out, err = run_admin("protocol", "check", str(DUPLICATE_KEY))
    assert status == 2 and DUPLICATE_MESSAGE in err and "No outcome differs" not in out
    status, _, err = run_admin("protocol", "install", str(DUPLICATE_KEY))
    assert status == 2 and DUPLICATE_MESSAGE in err
    assert not installed_protocol_path("machine").exists()
    status, out, err = evaluate("--protocol", str(DUPLICATE_KEY))
    assert status == 2 and out == "" and DUPLICATE_MESSAGE in err


# -- the hash recorded at install ------------------------------------------------------------


def install(tmp_path: Path, *flags: str) -> Path:
    source = tmp_path / "site.json"
    source.write_bytes(protocol_bytes(approved_protocol()))
    status, _, err = run_admin("protocol", "install", str(source), *flags)
    assert status == 0, err
    return installed_protocol_path("user" if flags else "machine")


@pytest.mark.parametrize("flags", [(), ("--user",)], ids=["machine", "user"])
def test_install_records_the_hash_beside_the_file(tmp_path: Path, flags: tuple[str, ...]) -> None:
    installed = install(tmp_path, *flags)
    digest = hashlib.sha256(installed.read_bytes()).hexdigest()
    record = installed.with_name("protocol.json.sha256")
    assert record.read_text(encoding="ascii") == f"{digest}  protocol.json\n"
    active = active_protocol()
    assert (active.path, active.notices) == (installed, ())


@pytest.mark.parametrize("flags", [(), ("--user",)], ids=["machine", "user"])
def test_a_hand_edited_install_is_refused_and_the_user_told(
    tmp_path: Path, flags: tuple[str, ...]
) -> None:
    installed = install(tmp_path, *flags)
    edited = approved_protocol()
    edited["thresholds"]["magnesium_severe_below"] = "1.0 mg/dL"  # still a valid protocol
    installed.write_bytes(protocol_bytes(edited))
    parse_protocol(installed.read_bytes())  # valid: only the hash tells it was edited
    active = active_protocol()
    assert active.location == "bundled"
    (notice,) = active.notices
    assert str(installed) in notice and "was changed after it was installed" in notice
    assert "install it again" in notice and "uses the bundled default instead" in notice
    status, _, err = evaluate()
    assert status == 0 and f"mgdesk: {notice}" in err
    assert notice in run_admin("protocol", "show")[1]


def test_an_install_without_a_recorded_hash_is_refused_until_installed_again(
    tmp_path: Path,
) -> None:
    """A protocol installed by an earlier mgdesk (no hash beside it) or copied in by hand."""
    installed = install(tmp_path)
    installed.with_name("protocol.json.sha256").unlink()
    active = active_protocol()
    assert active.location == "bundled"
    (notice,) = active.notices
    assert "no SHA-256 was recorded when it was installed" in notice
    assert "mgdesk protocol install" in notice
    install(tmp_path)
    assert active_protocol().location == "machine"


def test_a_damaged_hash_record_is_refused(tmp_path: Path) -> None:
    installed = install(tmp_path)
    installed.with_name("protocol.json.sha256").write_text("not a hash\n", encoding="ascii")
    active = active_protocol()
    assert active.location == "bundled" and "is damaged" in active.notices[0]


def test_the_hash_is_of_the_bytes_not_of_another_file(tmp_path: Path) -> None:
    installed = install(tmp_path)
    other = tmp_path / "other.json"
    record_installed_hash(other, installed.read_bytes(), 0o600)
    installed.with_name("protocol.json.sha256").write_bytes(
        other.with_name("other.json.sha256").read_bytes()
    )
    assert active_protocol().location == "bundled"


def test_a_pipe_in_place_of_the_recorded_hash_is_refused_without_waiting(tmp_path: Path) -> None:
    """A named pipe with no writer would block every start if it were opened to wait."""
    installed = install(tmp_path, "--user")
    record = installed.with_name(installed.name + ".sha256")
    record.unlink()
    os.mkfifo(record)
    active = active_protocol()
    assert active.location == "bundled"
    (notice,) = active.notices
    assert "is damaged" in notice and str(record) in notice
