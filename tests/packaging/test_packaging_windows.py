"""The Windows installer script: the machine-wide folder only administrators may change, and
.mgcase files opening in mgdesk. Read as text: Inno Setup does not run here."""

from __future__ import annotations

import re
from pathlib import Path

from packaging_support import freeze

from mgdesk.records import machine_install

ROOT = Path(__file__).resolve().parents[2]
ISS = (ROOT / "build_scripts" / "windows" / "mgdesk.iss").read_text(encoding="utf-8")


def section(name: str) -> list[str]:
    found = re.search(rf"^\[{name}\]\n(.*?)(?=^\[|\Z)", ISS, re.MULTILINE | re.DOTALL)
    assert found, f"no [{name}] section"
    return [line for line in found.group(1).splitlines() if line and not line.startswith(";")]


def test_the_machine_wide_folder_is_made_by_the_installer_for_administrators_only() -> None:
    (folder,) = section("Dirs")
    assert 'Name: "{commonappdata}\\mgdesk"' in folder
    assert "Permissions: admins-full system-full users-readexec" in folder
    assert "Check: IsAdminInstallMode" in folder


def test_the_installer_gives_the_folder_the_access_list_mgdesk_itself_sets() -> None:
    icacls = [line for line in section("Run") if "icacls.exe" in line]
    for line, command in zip(
        icacls, machine_install.windows_folder_acl_commands(Path("X")), strict=True
    ):
        parameters = re.search(r'Parameters: """\{commonappdata\}\\mgdesk"" (.*?)";', line)
        assert parameters and parameters.group(1) == " ".join(command[2:])
        assert "Check: IsAdminInstallMode" in line and "waituntilterminated" in line


def test_mgcase_files_open_in_the_window_program() -> None:
    registry = "\n".join(section("Registry"))
    extension = f".{freeze.CASE_EXTENSION}"
    assert (
        f'Subkey: "Software\\Classes\\{extension}"; ValueType: string; ValueName: ""; '
        'ValueData: "mgdesk.case"' in registry
    )
    assert f'ValueData: "{freeze.CASE_MIME_TYPE}"' in registry
    assert 'ValueData: """{app}\\mgdesk-gui.exe"" ""%1"""' in registry
    assert all(line.startswith("Root: HKA;") for line in section("Registry"))
    assert "ChangesAssociations=yes" in section("Setup")


def test_the_installer_is_signed_with_the_sign_tool_build_py_defines() -> None:
    setup = section("Setup")
    assert "SignTool=mgdesksign" in setup and "SignedUninstaller=yes" in setup
