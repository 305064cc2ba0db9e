"""Site protocols: install, the active protocol and its notices, check, show."""

from __future__ import annotations

import errno
import hashlib
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from files_support import (
    approved_protocol,
    as_1_0,
    default_protocol_document,
    protocol_bytes,
    read_only,
    run_admin,
)
from worked_cases import CASES_DIR

from mgdesk.__main__ import main
from mgdesk.core.protocol_loader import default_protocol
from mgdesk.records.site_protocol import active_protocol, check_protocol, machine_data_dir


def _file(tmp_path: Path, document: dict[str, Any], name: str = "site.json") -> Path:
    path = tmp_path / name
    path.write_bytes(protocol_bytes(document))
    return path


def _broken() -> dict[str, Any]:
    document = default_protocol_document()
    document["warnings"]["renal_crcl_below_20"]["level"] = "caution"
    document["thresholds"]["magnesium_severe_below"] = "1.2 mmol"
    del document["orders"]["mg_oxide_oral"]
    return document


def _withholding() -> dict[str, Any]:
    """Valid as a file, but its own IV rate limit is below its severe infusion's rate (a site
    may lower a ceiling): the engine withholds those plans."""
    document = approved_protocol()
    document["thresholds"]["iv_max_rate"] = "20 mg/min"
    return document


def test_the_bundled_default_is_active_when_nothing_is_installed() -> None:
    active = active_protocol()
    assert active.location == "bundled" and active.path is None and active.notices == ()
    assert active.protocol is default_protocol()
    assert active.installed_as == "bundled default"
    assert active.protocol.approval.site_approved is False


def test_a_machine_wide_install_becomes_active(
    tmp_path: Path, isolated_folders: tuple[Path, Path]
) -> None:
    source = _file(tmp_path, approved_protocol())
    status, out, err = run_admin("protocol", "install", str(source))
    assert status == 0, err
    installed = isolated_folders[1] / "protocol.json"
    assert installed.read_bytes() == source.read_bytes()
    assert machine_data_dir() == isolated_folders[1]
    assert "machine-wide install" in out and str(installed) in out
    active = active_protocol()
    assert (active.location, active.path, active.notices) == ("machine", installed, ())
    protocol = active.protocol
    assert protocol.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (protocol.version, protocol.approval.approved_by) == ("2.0.0", "A. Pharmacist")
    assert protocol.approval.review_date == date(2099, 1, 1)
    assert active.installed_as == "machine-wide install"


def test_a_per_user_install_is_marked_as_evaluation_and_comes_first(
    tmp_path: Path, isolated_folders: tuple[Path, Path]
) -> None:
    assert run_admin("protocol", "install", str(_file(tmp_path, approved_protocol())))[0] == 0
    status, out, _ = run_admin(
        "protocol",
        "install",
        "--user",
        str(_file(tmp_path, approved_protocol(version="3.0-eval"), "eval.json")),
    )
    assert status == 0 and "per-user (evaluation) install" in out
    active = active_protocol()
    assert active.location == "user" and active.path == isolated_folders[0] / "protocol.json"
    assert active.protocol.version == "3.0-eval"
    assert active.installed_as == "per-user (evaluation) install"
    shown = run_admin("protocol", "show")[1]
    assert "per-user (evaluation) install" in shown and "3.0-eval" in shown
    again = run_admin("protocol", "install", str(_file(tmp_path, approved_protocol())))[1]
    assert "per-user install" in again and "takes precedence" in again


def test_an_invalid_protocol_is_refused_with_every_problem_and_the_old_one_stays(
    tmp_path: Path, isolated_folders: tuple[Path, Path]
) -> None:
    assert run_admin("protocol", "install", str(_file(tmp_path, approved_protocol())))[0] == 0
    installed = isolated_folders[1] / "protocol.json"
    before = installed.read_bytes()
    status, out, err = run_admin(
        "protocol", "install", str(_file(tmp_path, _broken(), "broken.json"))
    )
    assert status == 2 and out == ""
    assert "refused" in err and "unchanged" in err
    for problem in ("renal_crcl_below_20", "magnesium_severe_below", "mg_oxide_oral"):
        assert problem in err
    assert "Traceback" not in err
    assert installed.read_bytes() == before
    # history/ keeps the copy of the first (valid) install; nothing of the refused one.
    assert sorted(p.name for p in isolated_folders[1].iterdir()) == [
        "history",
        "protocol.json",
        "protocol.json.sha256",
    ]
    assert len(list((isolated_folders[1] / "history").iterdir())) == 1
    assert active_protocol().location == "machine"


@pytest.mark.parametrize("content", [b"{not json", b"", b"\x00\x01", b"[]"])
def test_a_file_that_is_not_a_protocol_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.json"
    path.write_bytes(content)
    status, _, err = run_admin("protocol", "install", str(path))
    assert status == 2 and "refused" in err and "Traceback" not in err
    assert run_admin("protocol", "check", str(path))[0] == 2


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    status, _, err = run_admin("protocol", "install", str(tmp_path / "absent.json"))
    assert status == 2 and "cannot be read" in err
    status, _, err = run_admin("protocol", "check", str(tmp_path / "absent.json"))
    assert status == 2 and "cannot read" in err


def test_a_protocol_that_makes_the_engine_withhold_plans_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, _withholding())
    status, _, err = run_admin("protocol", "check", str(path))
    assert status == 2 and "withheld" in err and "severe-tetany.json" in err
    assert run_admin("protocol", "install", str(path))[0] == 2
    assert active_protocol().location == "bundled"


def test_installing_machine_wide_without_rights_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _file(tmp_path, approved_protocol())
    original = os.open

    def denied(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    status, _, err = run_admin("protocol", "install", str(source))
    monkeypatch.undo()
    assert status == 1
    assert "permission denied" in err and "administrator" in err and "--user" in err
    assert active_protocol().location == "bundled"


def test_installing_into_a_real_read_only_folder_leaves_the_old_protocol(
    tmp_path: Path, isolated_folders: tuple[Path, Path]
) -> None:
    assert run_admin("protocol", "install", str(_file(tmp_path, approved_protocol())))[0] == 0
    with read_only(isolated_folders[1]):
        status, _, err = run_admin(
            "protocol", "install", str(_file(tmp_path, approved_protocol(version="9"), "new.json"))
        )
    assert status == 1 and "permission denied" in err
    assert active_protocol().protocol.version == "2.0.0"


def test_an_installed_file_that_became_invalid_is_reported_and_the_next_one_used(
    tmp_path: Path, isolated_folders: tuple[Path, Path]
) -> None:
    run_admin("protocol", "install", str(_file(tmp_path, approved_protocol())))
    run_admin(
        "protocol",
        "install",
        "--user",
        str(_file(tmp_path, approved_protocol(version="3"), "u.json")),
    )
    user_file, machine_file = (folder / "protocol.json" for folder in isolated_folders)
    user_file.write_bytes(user_file.read_bytes()[:500])  # damaged, e.g. a disk error
    active = active_protocol()
    assert active.location == "machine" and active.protocol.version == "2.0.0"
    (notice,) = active.notices
    assert str(user_file) in notice and "not valid" in notice
    assert "uses the machine-wide install instead" in notice

    machine_file.write_bytes(protocol_bytes(_broken()))
    active = active_protocol()
    assert active.location == "bundled" and len(active.notices) == 2
    assert "renal_crcl_below_20" in active.notices[1] and str(machine_file) in active.notices[1]
    assert all("uses the bundled default instead" in n for n in active.notices)
    shown = run_admin("protocol", "show")[1]
    assert all(n in shown for n in active.notices)


def test_an_unreadable_installed_file_is_reported(isolated_folders: tuple[Path, Path]) -> None:
    (isolated_folders[1] / "protocol.json").mkdir(parents=True)  # a folder where the file should be
    active = active_protocol()
    assert active.location == "bundled"
    assert "cannot be read" in active.notices[0]


def test_a_protocol_past_its_review_date_is_cautioned_everywhere(tmp_path: Path) -> None:
    source = _file(tmp_path, approved_protocol(review_date="2021-01-01"))
    status, out, _ = run_admin("protocol", "install", str(source))
    assert status == 0 and "Caution" in out and "past its review date" in out
    active = active_protocol()
    assert active.location == "machine"
    assert any("past its review date (2021-01-01)" in n for n in active.notices)
    shown = run_admin("protocol", "show")[1]
    assert "Caution" in shown and "2021-01-01" in shown
    assert active_protocol(today=date(2020, 12, 31)).notices == ()


def test_protocol_show_prints_what_identifies_the_active_protocol(tmp_path: Path) -> None:
    status, out, _ = run_admin("protocol", "show")
    protocol = default_protocol()
    assert status == 0
    for text in (
        protocol.id,
        protocol.version,
        protocol.sha256,
        "bundled default",
        "Site approved:  no",
    ):
        assert text in out
    run_admin("protocol", "install", str(_file(tmp_path, approved_protocol())))
    out = run_admin("protocol", "show")[1]
    for text in (
        "A. Pharmacist",
        "2020-01-01",
        "2099-01-01",
        "yes (Test Clinic)",
        "machine-wide install",
    ):
        assert text in out
    assert main(["protocol", "show"]) == 0  # wired into `mgdesk`


def test_protocol_check_of_the_default_reports_no_change() -> None:
    path = Path(str(default_protocol().origin))
    assert not path.exists()  # the default is inside the package; check a copy of its bytes
    result = check_protocol(protocol_bytes(default_protocol_document()), "copy")
    assert result.valid and result.changes == () and result.cases_run >= 5


def test_protocol_check_reports_every_changed_outcome_and_exits_0(tmp_path: Path) -> None:
    document = approved_protocol()
    document["thresholds"]["magnesium_severe_below"] = "1.5 mg/dL"
    status, out, err = run_admin("protocol", "check", str(_file(tmp_path, document)))
    assert status == 0, err
    assert "is a valid protocol" in out and "differ from the bundled default (9 cases run)" in out
    for change in (
        "mild-oral-1.4-mg-dl.json: severity mild -> severe",
        "mild-oral-1.4-mg-dl.json: order added: mg_sulfate_iv_severe (primary)",
        "mild-oral-1.4-mg-dl.json: order removed: mg_oxide_oral (primary)",
        "mild-oral-1.4-mg-dl.json: warning added: calcium_antidote_available",
        "oral-failed-stoma.json: warning removed: monitor_calcium_alfacalcidol",
    ):
        assert f"  - {change}\n" in out


def test_protocol_check_reports_a_changed_dose(tmp_path: Path) -> None:
    document = approved_protocol()
    document["doses"]["oral_start"]["magnesium"] = "16 mmol"
    status, out, _ = run_admin("protocol", "check", str(_file(tmp_path, document)))
    assert status == 0
    assert "  - mild-oral-1.4-mg-dl.json: mg_mmol of mg_oxide_oral: 12 -> 16\n" in out
    assert "severity" not in out


def test_protocol_check_of_the_default_says_nothing_differs(tmp_path: Path) -> None:
    path = tmp_path / "copy.json"
    path.write_bytes(protocol_bytes(default_protocol_document()))
    status, out, _ = run_admin("protocol", "check", str(path))
    assert status == 0 and "No outcome differs" in out
    assert "not marked as approved" in out


def test_protocol_check_refuses_an_invalid_file_with_every_problem(tmp_path: Path) -> None:
    status, out, err = run_admin("protocol", "check", str(_file(tmp_path, _broken())))
    assert status == 2 and out == ""
    assert all(p in err for p in ("renal_crcl_below_20", "magnesium_severe_below", "mg_oxide_oral"))


def test_protocol_check_runs_worked_cases_with_their_expectations(tmp_path: Path) -> None:
    default_copy = tmp_path / "copy.json"
    default_copy.write_bytes(protocol_bytes(default_protocol_document()))
    status, out, _ = run_admin("protocol", "check", str(default_copy), "--cases", str(CASES_DIR))
    assert status == 0 and "No outcome differs" in out and "not as expected" not in out

    document = default_protocol_document()
    document["doses"]["oral_start"]["magnesium"] = "16 mmol"
    status, out, _ = run_admin(
        "protocol", "check", str(_file(tmp_path, document)), "--cases", str(CASES_DIR)
    )
    assert status == 0
    assert "v01.json: not as expected: mg_mmol of mg_oxide_oral is 16, expected 12" in out


def test_protocol_check_refuses_cases_that_are_not_cases(tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text('{"todo": 1}', encoding="utf-8")
    path = _file(tmp_path, approved_protocol())
    status, _, err = run_admin("protocol", "check", str(path), "--cases", str(notes))
    assert status == 2 and "not an mgdesk case file" in err


@pytest.mark.parametrize(
    "args",
    [["protocol"], ["protocol", "install"], ["protocol", "frob"], ["audit", "list", "--last", "x"]],
)
def test_bad_arguments_exit_2_without_a_traceback(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_admin(*args)[0] == 2
    assert "usage:" in capsys.readouterr().err


def test_protocol_check_of_a_1_0_file_says_how_it_is_read_and_what_1_1_changes(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, as_1_0(default_protocol_document()))
    status, out, err = run_admin("protocol", "check", str(path))
    assert status == 0, err
    assert "Read as a revision 1.0 protocol" in out
    for note in (
        "settings: missing, read as 1.0's rules",
        "doses.oral_start_reduced: missing, read as doses.oral_start",
        "orders.mg_sulfate_iv_mild: missing, read as the bundled order",
        "warnings.cumulative_limit_reached: missing, read as the bundled wording",
    ):
        assert f"  - {note}" in out
    for change in (
        "revision 1.1 probe: mild, clearance 25 mL/min: mg_mmol of mg_oxide_oral: 8 -> 12",
        "revision 1.1 probe: mild with cramps: order removed: mg_sulfate_iv_mild (alternative)",
        "revision 1.1 probe: mild, no height: warning removed: cockcroft_gault_actual_weight",
    ):
        assert f"  - {change}\n" in out
    assert "9 cases run" in out


def test_protocol_check_of_a_1_1_file_runs_no_probe(tmp_path: Path) -> None:
    status, out, _ = run_admin("protocol", "check", str(_file(tmp_path, approved_protocol())))
    assert status == 0 and "Read as a revision 1.0" not in out and "probe" not in out


def test_protocol_check_of_an_earlier_1_1_file_names_the_review_day_it_takes(
    tmp_path: Path,
) -> None:
    """A 1.1 file written before the oral review day was a field: it is not read as 1.0."""
    document = default_protocol_document()
    del document["monitoring"]["recheck_mg_oral"]["review_day"]
    status, out, err = run_admin("protocol", "check", str(_file(tmp_path, document)))
    assert status == 0, err
    assert "Read as a revision 1.0" not in out and "probe" not in out
    assert (
        "Read with the bundled value of each field added to revision 1.1 that it lacks:\n"
        "  - monitoring.recheck_mg_oral.review_day: missing, read as the bundled 7\n"
    ) in out
