"""The machine-wide protocol: only an administrator installs it, and every user can read it."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from files_support import approved_protocol, protocol_bytes, run_admin

from mgdesk.records import machine_install
from mgdesk.records.site_protocol import active_protocol


def _site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.json"
    path.write_bytes(protocol_bytes(approved_protocol()))
    return path


@pytest.fixture
def restrictive_umask() -> Iterator[None]:
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_machine_wide_install_is_refused_without_administrator_rights(
    tmp_path: Path, isolated_folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(machine_install, "is_elevated", lambda: False)
    status, out, err = run_admin("protocol", "install", str(_site_file(tmp_path)))
    assert status == 1 and out == ""
    assert "administrator rights" in err and "sudo" in err and "--user" in err
    assert not isolated_folders[1].exists()
    assert active_protocol().location == "bundled"


def test_a_per_user_install_needs_no_administrator_rights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(machine_install, "is_elevated", lambda: False)
    status, _, err = run_admin("protocol", "install", "--user", str(_site_file(tmp_path)))
    assert status == 0, err
    assert active_protocol().location == "user"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
@pytest.mark.usefixtures("restrictive_umask")
def test_the_machine_wide_install_is_world_readable_under_umask_027(
    tmp_path: Path, isolated_folders: tuple[Path, Path]
) -> None:
    status, _, err = run_admin("protocol", "install", str(_site_file(tmp_path)))
    assert status == 0, err
    folder = isolated_folders[1]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "protocol.json").stat().st_mode) == 0o644
    # The hash it is checked against at every start is read by every user too.
    assert stat.S_IMODE((folder / "protocol.json.sha256").stat().st_mode) == 0o644


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
@pytest.mark.usefixtures("restrictive_umask")
def test_reinstalling_repairs_a_folder_an_earlier_install_left_unreadable(
    tmp_path: Path, isolated_folders: tuple[Path, Path]
) -> None:
    folder = isolated_folders[1]
    folder.mkdir(mode=0o750)
    (folder / "protocol.json").write_bytes(b"{}")
    (folder / "protocol.json").chmod(0o640)
    assert run_admin("protocol", "install", str(_site_file(tmp_path)))[0] == 0
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "protocol.json").stat().st_mode) == 0o644


def test_the_umask_is_restored_after_a_machine_wide_install(
    tmp_path: Path, restrictive_umask: None
) -> None:
    assert run_admin("protocol", "install", str(_site_file(tmp_path)))[0] == 0
    current = os.umask(0o027)
    assert current == 0o027


@pytest.mark.skipif(sys.platform == "win32", reason="the POSIX check")
def test_elevated_means_root_on_linux_and_macos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real check, not the fixture's administrator
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert machine_install.is_elevated() is False
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert machine_install.is_elevated() is True


def test_on_windows_the_folder_gets_the_installers_owner_and_access_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYSTEMROOT", r"C:\Windows")
    folder = r"C:\ProgramData\mgdesk"
    owner, access = machine_install.windows_folder_acl_commands(Path(folder))
    # The system's icacls, never an icacls.exe a user left in the current folder.
    icacls = r"C:\Windows\System32\icacls.exe"
    # A user who created the folder first would own it, and could change its access list.
    assert owner[:4] == [icacls, folder, "/setowner", "*S-1-5-32-544"]
    # Administrators and SYSTEM full control, Users read and execute only, for every file.
    assert access[:3] == [icacls, folder, "/inheritance:r"]
    assert access[3:7] == [
        "/grant:r",
        "*S-1-5-32-544:(OI)(CI)F",
        "*S-1-5-18:(OI)(CI)F",
        "*S-1-5-32-545:(OI)(CI)RX",
    ]
