"""No lost work: an autosave exists only while there are unsaved edits, and survives a kill."""

from __future__ import annotations

import errno
import json
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from files_support import PYTHON, example_case, kill_at_random, read_only

from mgdesk import __version__
from mgdesk.records.autosave import Autosave, AutosaveError, default_autosave_folder

DRAFT = {
    "format": "mgdesk-case/1",
    "patient": {"id": "P-17", "name": "Ada Lovelace", "age_years": "3"},
}


def _crashed_session(folder: Path, document: dict[str, Any], **details: Any) -> None:
    """An autosave left behind as a crashed window leaves it: file kept, lock gone."""
    session = Autosave(folder)
    session.write(document, **details)
    session.close(keep_unsaved=True)


def test_the_autosave_folder_is_per_user(isolated_folders: tuple[Path, Path]) -> None:
    assert default_autosave_folder() == isolated_folders[0] / "autosave"


def test_a_clean_close_leaves_nothing_to_restore(tmp_path: Path) -> None:
    with Autosave(tmp_path) as session:
        session.write(DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
        assert session.path.exists()
    assert list(tmp_path.iterdir()) == []
    assert Autosave(tmp_path).pending() is None


def test_saving_the_case_removes_the_autosave(tmp_path: Path) -> None:
    session = Autosave(tmp_path)
    session.write(DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
    session.discard()  # the case was saved to its file
    assert not session.path.exists()
    assert Autosave(tmp_path).pending() is None
    session.close()


def test_a_session_that_ended_without_closing_is_offered_with_patient_and_time(
    tmp_path: Path,
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    _crashed_session(
        tmp_path,
        DRAFT,
        patient_id="P-17",
        patient_name="Ada Lovelace",
        source_path=Path("/cases/ada.mgcase"),
    )
    record = Autosave(tmp_path).pending()
    assert record is not None
    assert record.document == DRAFT
    assert (record.patient_id, record.patient_name) == ("P-17", "Ada Lovelace")
    assert record.source_path == Path("/cases/ada.mgcase")
    assert record.mgdesk_version == __version__
    assert before <= record.saved_at_utc <= datetime.now(UTC)
    assert record.saved_at_utc.tzinfo is not None
    local = datetime.fromisoformat(record.saved_at_local)
    assert local.utcoffset() is not None and abs(local - record.saved_at_utc) < timedelta(seconds=1)
    text = record.describe()
    assert "Ada Lovelace" in text and "P-17" in text and record.saved_at_local[:10] in text


def test_the_file_records_who_when_and_what(tmp_path: Path) -> None:
    session = Autosave(tmp_path)
    session.write(DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
    raw = json.loads(session.path.read_text(encoding="utf-8"))
    assert raw["format"] == "mgdesk-autosave/1"
    assert raw["saved_at_utc"].endswith("Z")
    assert raw["patient"] == {"id": "P-17", "name": "Ada Lovelace"}
    assert raw["case"] == DRAFT and raw["source_path"] is None
    if sys.platform != "win32":
        assert session.path.stat().st_mode & 0o077 == 0  # patient data: the user's eyes only
    session.close()


def test_the_autosave_of_a_running_window_is_never_offered(tmp_path: Path) -> None:
    running = Autosave(tmp_path)
    running.write(DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
    assert Autosave(tmp_path).pending() is None
    running.close()


def test_restoring_takes_over_the_case_and_removes_the_old_file(tmp_path: Path) -> None:
    _crashed_session(tmp_path, DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
    session = Autosave(tmp_path)
    record = session.pending()
    assert record is not None
    assert session.restore(record) == DRAFT
    assert not record.file.exists()
    assert json.loads(session.path.read_text(encoding="utf-8"))["case"] == DRAFT
    assert Autosave(tmp_path).pending() is None  # now it belongs to a running window
    session.close()
    assert list(tmp_path.iterdir()) == []


def test_declining_discards_the_old_file(tmp_path: Path) -> None:
    _crashed_session(tmp_path, DRAFT, patient_id=None, patient_name=None)
    session = Autosave(tmp_path)
    record = session.pending()
    assert record is not None and "no patient entered" in record.describe()
    session.discard(record)
    assert session.pending() is None
    assert list(tmp_path.iterdir()) == []


def test_the_newest_left_over_case_comes_first(tmp_path: Path) -> None:
    for number in range(3):
        _crashed_session(
            tmp_path,
            {"patient": {"id": f"P-{number}"}},
            patient_id=f"P-{number}",
            patient_name=None,
        )
    files = sorted(
        tmp_path.glob("autosave-*.json"), key=lambda p: json.loads(p.read_text())["patient"]["id"]
    )
    for age, file in enumerate(reversed(files)):  # P-2 newest, P-0 oldest
        raw = json.loads(file.read_text())
        raw["saved_at_utc"] = (datetime.now(UTC) - timedelta(minutes=age)).isoformat()
        file.write_text(json.dumps(raw))
    session = Autosave(tmp_path)
    offered = []
    while (record := session.pending()) is not None:
        offered.append(record.patient_id)
        session.discard(record)
    assert offered == ["P-2", "P-1", "P-0"]


def test_an_unreadable_autosave_is_left_alone(tmp_path: Path) -> None:
    _crashed_session(tmp_path, DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
    file = next(tmp_path.glob("autosave-*.json"))
    file.write_bytes(b"\x00garbage")
    assert Autosave(tmp_path).pending() is None
    assert file.read_bytes() == b"\x00garbage"


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("write", errno.ENOSPC, "is full"),
        ("fsync", errno.ENOSPC, "is full"),
        ("replace", errno.EROFS, "read-only"),
    ],
)
def test_a_failed_autosave_says_why_and_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, code: int, message: str
) -> None:
    session = Autosave(tmp_path)
    session.write(DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
    before = session.path.read_bytes()

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, name, failing)
    with pytest.raises(AutosaveError) as caught:
        session.write(example_case(), patient_id="P-17", patient_name="Ada Lovelace")
    monkeypatch.undo()
    assert message in caught.value.message and "still on screen" in caught.value.message
    assert session.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [session.path.name, f"autosave-{session.session}.lock"]
    )
    session.close()


def test_an_autosave_in_a_real_read_only_folder_says_so(tmp_path: Path) -> None:
    session = Autosave(tmp_path)
    session.write(DRAFT, patient_id="P-17", patient_name="Ada Lovelace")
    before = session.path.read_bytes()
    with read_only(tmp_path), pytest.raises(AutosaveError) as caught:
        session.write(example_case(), patient_id="P-17", patient_name="Ada Lovelace")
    assert "permission denied" in caught.value.message
    assert session.path.read_bytes() == before
    session.close()


# --- Killed while autosaving --------------------------------------------------------------

AUTOSAVE_LOOP = """
import sys
from pathlib import Path
from mgdesk.records.autosave import Autosave
session, counter = Autosave(Path(sys.argv[1])), 0
while True:
    session.write({"patient": {"id": "P-9"}, "counter": counter, "padding": "x" * 200_000},
                  patient_id="P-9", patient_name="Kill Test")
    print(counter, flush=True)
    counter += 1
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killing_the_autosave_at_random_moments_never_corrupts_it(tmp_path: Path) -> None:
    rng = random.Random(4321)
    interrupted = 0
    for _ in range(25):
        written = kill_at_random([PYTHON, "-c", AUTOSAVE_LOOP, str(tmp_path)], rng)
        interrupted += any(p.name.endswith(".tmp") for p in tmp_path.iterdir())

        record = Autosave(tmp_path).pending()
        assert record is not None, "a killed session's autosave must be offered"
        assert record.document["counter"] in (written[-1], written[-1] + 1)
        assert record.document["padding"] == "x" * 200_000
        assert (record.patient_id, record.patient_name) == ("P-9", "Kill Test")
        assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), "pending() tidies up"
        Autosave(tmp_path).discard(record)
        assert list(tmp_path.iterdir()) == []
    print(f"{interrupted} of 25 kills interrupted a write")


def test_an_exact_number_survives_the_autosave(tmp_path: Path) -> None:
    document = {
        "format": "mgdesk-case/1",
        "patient": {"age_years": Decimal("55.99999999999999999")},
    }
    _crashed_session(tmp_path, document, patient_id=None, patient_name=None)
    session = Autosave(tmp_path)
    record = session.pending()
    assert record is not None
    assert record.document["patient"]["age_years"] == Decimal("55.99999999999999999")
    assert '"age_years": 55.99999999999999999' in record.file.read_text(encoding="utf-8")
    session.close()
