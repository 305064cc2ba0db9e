"""`mgdesk` started for real, in a subprocess (a second QApplication here would abort pytest)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from mgdesk import resources

pytestmark = pytest.mark.slow  # each test starts mgdesk in a subprocess


def run_mgdesk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MGDESK_DATA_DIR": str(tmp_path / "data"),
        "MGDESK_SYSTEM_DIR": str(tmp_path / "system"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    return subprocess.run(
        [sys.executable, "-m", "mgdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def example(name: str) -> str:
    return str(files(resources).joinpath("examples", name))


def test_the_window_starts_and_exits(tmp_path: Path) -> None:
    result = run_mgdesk(tmp_path, "--exit-after-startup")
    assert result.returncode == 0, result.stderr


def test_the_window_starts_with_a_case(tmp_path: Path) -> None:
    result = run_mgdesk(tmp_path, "--exit-after-startup", example("torsades-with-pulse.json"))
    assert result.returncode == 0, result.stderr
    written = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
    assert written == [], "everything mgdesk writes goes under MGDESK_DATA_DIR"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_the_start_makes_the_data_folder_private_and_removes_old_leftovers(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # as an earlier mgdesk left it
    leftover = data / ".audit.sqlite3.queue.jsonl.0badf00d.tmp"  # from a write killed long ago
    leftover.write_bytes(b"queued entries")
    os.utime(leftover, (1_000_000_000, 1_000_000_000))
    result = run_mgdesk(tmp_path, "--exit-after-startup")
    assert result.returncode == 0, result.stderr
    assert not leftover.exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_a_case_that_cannot_be_opened_is_reported(tmp_path: Path) -> None:
    result = run_mgdesk(tmp_path, "--exit-after-startup", str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "missing.json" in result.stderr


def test_the_core_and_the_interface_wait_for_the_first_paint() -> None:
    """What app.run() needs to paint the shell: no core (pint, protocol), no interface modules."""
    probe = (
        "import sys, mgdesk.gui.app; "
        "late = ('mgdesk.core.', 'mgdesk.records.', 'mgdesk.document.', "
        "'mgdesk.gui.case_form', 'mgdesk.gui.plan_view', "
        "'mgdesk.gui.flowchart', 'mgdesk.gui.algorithm_view'); "
        "print(sorted(m for m in sys.modules if m == 'pint' or m.startswith(late)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.stdout.strip() == "['mgdesk.records.paths']"
