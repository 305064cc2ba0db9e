"""Settings that cannot be trusted: a damaged file is put aside, a wrong type reads as default."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from gui_support import make_window
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.gui.settings import RECENT_FILES_KEPT, open_settings


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"[sheet\nfacility_name=Ward 7\n[[[\n", id="unbalanced-section"),
        pytest.param(b"[sheet]\nfacility_name=Ward 7\n" + b"\x00" * 64, id="nul-block"),
        pytest.param(b"[sheet]\nfacility_name=\xff\xfe\xfa\n", id="not-utf8"),
    ],
)
def test_a_damaged_settings_file_is_kept_aside_and_defaults_used(
    qtbot: QtBot, protocol: Protocol, data_dir: Path, garbage: bytes
) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "settings.ini").write_bytes(garbage)
    settings = open_settings()
    assert settings.facility_name == ""
    aside = list(data_dir.glob("settings.ini.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert len(settings.notices) == 1 and str(aside[0]) in settings.notices[0]
    settings.facility_name = "Ward 8"  # the fresh file works
    settings.sync()
    assert open_settings().facility_name == "Ward 8"
    assert open_settings().notices == ()

    (data_dir / "settings.ini").write_bytes(garbage)  # the window shows the notice
    window = make_window(qtbot, protocol)
    assert len(list(data_dir.glob("settings.ini.corrupt-*"))) == 2  # the first one kept too
    assert window.notices.isVisible()
    assert "settings file" in window.notices.label.text()
    assert "damaged" in window.notices.label.text()


def test_a_setting_of_the_wrong_type_reads_as_its_default(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "settings.ini").write_text(
        "[sheet]\n"
        "facility_name=@ByteArray(Ward 7)\n"
        "paper_size=A3\n"
        "last_prescriber=@Size(1 2)\n"
        "[audit]\n"
        "record_patient_id=maybe\n"
        "[files]\n"
        "recent=@Rect(1 2 3 4)\n"
        "[window]\n"
        "geometry=not bytes\n",
        encoding="utf-8",
    )
    settings = open_settings()
    assert settings.notices == ()
    assert settings.facility_name == ""
    assert settings.paper_size == ""
    assert settings.last_prescriber == ""
    assert settings.record_patient_id is False
    assert settings.recent_files == []
    assert settings.window_geometry.isEmpty()


def test_record_patient_id_is_off_unless_the_site_turns_it_on(data_dir: Path) -> None:
    assert open_settings().record_patient_id is False
    settings = open_settings()
    settings.record_patient_id = True
    settings.sync()
    assert open_settings().record_patient_id is True


def test_recent_files_are_newest_first_unique_and_bounded(tmp_path: Path) -> None:
    settings = open_settings()
    paths = [tmp_path / f"case-{n}.mgcase" for n in range(RECENT_FILES_KEPT + 3)]
    for path in paths:
        settings.add_recent_file(path)
    settings.add_recent_file(paths[-2])
    recent = open_settings().recent_files
    assert recent[0] == paths[-2] and recent[1] == paths[-1]
    assert len(recent) == RECENT_FILES_KEPT == len(set(recent))
    settings.recent_files = [paths[0]]
    assert open_settings().recent_files == [paths[0]]  # one entry reads back as a list
    settings.remove_recent_files([paths[0]])
    assert open_settings().recent_files == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_the_settings_file_and_its_folder_are_private(data_dir: Path) -> None:
    """Modes are read with os.stat: root reads any file whatever its mode."""
    previous = os.umask(0o022)
    try:
        settings = open_settings()
        settings.facility_name = "Ward 8"
        settings.sync()
        written = data_dir / "settings.ini"
        written.chmod(0o644)  # as an earlier mgdesk left it
        settings = open_settings()
        settings.facility_name = "Ward 9"
        settings.sync()
    finally:
        os.umask(previous)
    assert open_settings().facility_name == "Ward 9"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
