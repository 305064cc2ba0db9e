"""Every test here gets its own per-user data folder and machine-wide folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mgdesk.records.paths import DATA_DIR_VARIABLE
from mgdesk.records.site_protocol import SYSTEM_DIR_VARIABLE


@pytest.fixture(autouse=True)
def isolated_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Path]]:
    user, machine = tmp_path / "user-data", tmp_path / "machine-data"
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(user))
    monkeypatch.setenv(SYSTEM_DIR_VARIABLE, str(machine))
    yield user, machine
