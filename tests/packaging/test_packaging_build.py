"""build_scripts/build.py's pure parts: artifact names, the Debian control and copyright files."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_support import build


@pytest.mark.parametrize(
    "kind, arch, name",
    [
        ("tar.gz", "x86_64", "mgdesk-0.1.0-linux-x86_64.tar.gz"),
        ("deb", "x86_64", "mgdesk_0.1.0_amd64.deb"),
        ("deb", "aarch64", "mgdesk_0.1.0_arm64.deb"),
        ("setup.exe", "x86_64", "mgdesk-0.1.0-windows-x86_64-setup.exe"),
        ("dmg", "arm64", "mgdesk-0.1.0-macos-arm64.dmg"),
        ("dmg", "x86_64", "mgdesk-0.1.0-macos-x86_64.dmg"),
    ],
)
def test_artifact_names(kind: str, arch: str, name: str) -> None:
    assert build.artifact_name(kind, "0.1.0", arch) == name


@pytest.mark.parametrize(
    "machine, arch",
    [
        ("x86_64", "x86_64"),
        ("AMD64", "x86_64"),
        ("arm64", "arm64"),
        ("aarch64", "aarch64"),
    ],
)
def test_each_os_spelling_of_the_machine_gives_one_arch(machine: str, arch: str) -> None:
    assert build.machine_arch(machine) == arch


@pytest.mark.parametrize(
    "version, debian",
    [
        ("0.1.0", "0.1.0"),
        ("1.0.0rc1", "1.0.0~rc1"),
        ("1.0.0.dev3", "1.0.0~dev3"),
        ("1.0.0b2", "1.0.0~b2"),
        ("1.0.0.post1", "1.0.0+post1"),
    ],
)
def test_debian_versions_sort_pre_releases_first(version: str, debian: str) -> None:
    assert build.debian_version(version) == debian


def test_the_control_file_names_the_package_and_its_system_libraries() -> None:
    control = build.deb_control("0.1.0rc1", "x86_64", 101288, "2.35")
    fields = dict(line.split(": ", 1) for line in control.splitlines() if not line.startswith(" "))
    assert fields["Package"] == "mgdesk"
    assert fields["Version"] == "0.1.0~rc1"
    assert fields["Architecture"] == "amd64"
    assert fields["Installed-Size"] == "101288"
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert depends[0] == "libc6 (>= 2.35)"
    for package in (
        "libgl1",
        "libegl1",
        "libfontconfig1",
        "libxkbcommon0",
        "libxkbcommon-x11-0",
        "libxcb-cursor0",
        "libxcb-icccm4",
        "libxcb-image0",
        "libxcb-keysyms1",
        "libxcb-render-util0",
        "libxcb-shape0",
        "libxcb-xkb1",
        "libdbus-1-3",
        "fonts-dejavu-core",
        "fontconfig-config",
    ):
        assert package in depends
    assert "libcups2t64 | libcups2" in depends
    description = control.split("Description: ", 1)[1].splitlines()
    assert description[0] and all(line.startswith(" ") for line in description[1:])
    assert control.endswith("\n")


def test_the_copyright_file_holds_every_licence_or_its_common_licenses_path(tmp_path: Path) -> None:
    mit, lgpl = tmp_path / "mgdesk" / "LICENSE", tmp_path / "pyside6-essentials" / "LGPL-3.0.txt"
    for path, text in (
        (mit, "MIT License\nCopyright (c) 2026 mgdesk developers\n"),
        (lgpl, "GNU LESSER GENERAL PUBLIC LICENSE"),
    ):
        path.parent.mkdir()
        path.write_text(text)
    (tmp_path / "README.txt").write_text("not a component")
    text = build.deb_copyright(tmp_path)
    assert "MIT License\nCopyright (c) 2026 mgdesk developers" in text
    assert "/usr/share/common-licenses/LGPL-3" in text
    assert "GNU LESSER GENERAL PUBLIC LICENSE" not in text
    assert text.index("mgdesk\n====") < text.index("pyside6-essentials\n====")
