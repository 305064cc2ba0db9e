"""The windowed programs' command lines: Finder's -psn_ argument is ignored on macOS, and
mgdesk-gui.exe started from a Windows prompt writes a command's output to that console."""

from __future__ import annotations

import io
import sys

import pytest

from mgdesk import __main__ as entry


def test_the_process_serial_number_finder_may_pass_is_ignored() -> None:
    assert entry.without_process_serial_number(["-psn_0_1234567"]) == []
    assert entry.without_process_serial_number(["-psn_0_99", "case.mgcase"]) == ["case.mgcase"]
    assert entry.without_process_serial_number(["--version"]) == ["--version"]


def test_mgdesk_with_a_process_serial_number_starts_as_without(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert entry.main(["-psn_0_1234567", "--version"]) == 0
    assert capsys.readouterr().out.startswith("mgdesk ")


def test_a_windowed_program_started_from_a_prompt_writes_to_that_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    console = io.StringIO()
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert entry.attach_to_parent_console(lambda: True, lambda: console)
    assert sys.stdout is console and sys.stderr is console
    assert "mgdesk.exe" in console.getvalue() and "does not wait" in console.getvalue()


def test_a_windowed_program_started_without_a_console_stays_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert not entry.attach_to_parent_console(lambda: False, io.StringIO)
    assert sys.stdout is None and sys.stderr is None


def test_a_console_program_keeps_its_own_streams() -> None:
    attached: list[bool] = []
    assert not entry.attach_to_parent_console(lambda: attached.append(True) or True, io.StringIO)
    assert attached == []
