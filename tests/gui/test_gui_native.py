"""The app as the desktop sees it: its desktop entry name, its window icon, and cases the
system asks it to open (a double-clicked .mgcase: on the command line on Windows and Linux,
a QFileOpenEvent on macOS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gui_support import answering, example_case, make_window
from pytestqt.qtbot import QtBot

from mgdesk.core.protocol import Protocol
from mgdesk.gui.app import CaseOpenRequests, application_icon, open_when_settled
from mgdesk.gui.unsaved_work import DISCARD
from mgdesk.records.casefile import save_case

MILD = "mild-oral-1.4-mg-dl.json"
ROOT = Path(__file__).resolve().parents[2]


def _run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MGDESK_DATA_DIR": str(tmp_path / "data"),
        "MGDESK_SYSTEM_DIR": str(tmp_path / "system"),
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def _run_mgdesk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run_python(
        f"import sys; from mgdesk.__main__ import main; sys.exit(main({list(args)!r}))", tmp_path
    )


def test_the_window_icon_has_every_bundled_size(qtbot: QtBot) -> None:
    icon = application_icon()
    sizes = sorted(size.width() for size in icon.availableSizes())
    assert sizes == [16, 32, 48, 64, 128, 256]
    assert not icon.pixmap(64, 64).isNull()


def test_the_bundled_window_icons_are_the_installers_icons() -> None:
    bundled = sorted((ROOT / "mgdesk" / "resources" / "icons").glob("mgdesk-*.png"))
    assert len(bundled) == 6
    for png in bundled:
        assert png.read_bytes() == (ROOT / "resources" / "icons" / "png" / png.name).read_bytes()


@pytest.mark.slow
def test_the_application_names_its_desktop_entry_and_sets_its_icon(tmp_path: Path) -> None:
    # A second QApplication would abort pytest's, so the application is made in a subprocess.
    probe = (
        "from mgdesk.gui.app import create_application\n"
        "app = create_application(['mgdesk'])\n"
        "print(app.desktopFileName(), app.windowIcon().isNull(), app.applicationName())\n"
    )
    result = _run_python(probe, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["io.github.mgdesk", "False", "mgdesk"]
    desktop_entry = ROOT / "resources" / "linux" / "io.github.mgdesk.desktop"
    assert desktop_entry.is_file()


@pytest.mark.slow
def test_the_application_takes_a_file_open_event_as_a_case_to_open(tmp_path: Path) -> None:
    probe = (
        "from PySide6.QtGui import QFileOpenEvent\n"
        "from mgdesk.gui.app import create_application\n"
        "app = create_application(['mgdesk'])\n"
        "accepted = app.event(QFileOpenEvent('/cases/from finder.mgcase'))\n"
        "print(accepted, app.case_requests.pending)\n"
    )
    result = _run_python(probe, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True /cases/from finder.mgcase"


def test_a_file_open_event_before_the_window_is_ready_waits(qtbot: QtBot) -> None:
    from PySide6.QtGui import QFileOpenEvent

    requests = CaseOpenRequests()
    assert requests.handle(QFileOpenEvent("/cases/a.mgcase"))
    assert requests.pending == Path("/cases/a.mgcase")


def test_a_file_open_event_opens_the_case_in_the_window(
    qtbot: QtBot, protocol: Protocol, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QFileOpenEvent

    window = make_window(qtbot, protocol)
    path = tmp_path / "double-clicked.mgcase"
    save_case(example_case(MILD), path)
    monkeypatch.setattr(window.files, "ask_unsaved_changes", answering(DISCARD))
    requests = CaseOpenRequests()
    requests.open_with(open_when_settled(window))
    assert not requests.handle(QEvent(QEvent.Type.Show))
    assert requests.handle(QFileOpenEvent(str(path)))
    assert window.files.case_path == path
    assert window.form.document()[0]["patient"] == example_case(MILD)["patient"]
    assert window.plan_view.plan is not None


@pytest.mark.slow
def test_a_mgcase_file_given_on_the_command_line_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "from the file manager.mgcase"
    save_case(example_case(MILD), path)
    broken = tmp_path / "broken.mgcase"
    broken.write_text("{", encoding="utf-8")
    opened = _run_mgdesk(tmp_path, "--exit-after-startup", str(path))
    assert opened.returncode == 0, opened.stderr  # 2 when the case could not be opened
    refused = _run_mgdesk(tmp_path, "--exit-after-startup", str(broken))
    assert refused.returncode == 2 and "broken.mgcase" in refused.stderr
