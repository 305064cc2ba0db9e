"""Every test runs with its own data and machine-wide folders, so no test reads or writes a
real profile, audit log or installed site protocol (subprocesses inherit the variables)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_mgdesk_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    base = tmp_path_factory.mktemp("mgdesk-folders")
    monkeypatch.setenv("MGDESK_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("MGDESK_SYSTEM_DIR", str(base / "system"))
    return base
