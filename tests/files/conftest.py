"""Every test here gets its own per-user data folder and machine-wide folder, and runs as an
administrator would (elevated) unless it says otherwise, so installing machine-wide works
without root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mgdesk.records import machine_install
from mgdesk.records.paths import DATA_DIR_VARIABLE
from mgdesk.records.site_protocol import SYSTEM_DIR_VARIABLE


@pytest.fixture(autouse=True)
def isolated_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Path]]:
    user, machine = tmp_path / "user-data", tmp_path / "machine-data"
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(user))
    monkeypatch.setenv(SYSTEM_DIR_VARIABLE, str(machine))
    monkeypatch.setattr(machine_install, "is_elevated", lambda: True)
    yield user, machine
