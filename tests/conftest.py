"""Every test runs with its own data and machine-wide folders, so no test reads or writes a
real profile, audit log or installed site protocol (subprocesses inherit the variables)."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# System tests, slow by nature: packaging tools and real printing through CUPS.
SLOW_PATHS = (TESTS / "packaging", TESTS / "sheet" / "test_cups.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the system tests slow by where they live, so `pytest -m "not slow"` skips them."""
    for item in items:
        if any(item.path == slow or slow in item.path.parents for slow in SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_mgdesk_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    base = tmp_path_factory.mktemp("mgdesk-folders")
    monkeypatch.setenv("MGDESK_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("MGDESK_SYSTEM_DIR", str(base / "system"))
    return base
