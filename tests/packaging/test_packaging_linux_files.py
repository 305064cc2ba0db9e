"""The Linux menu entry, AppStream metadata, icons and tarball installer."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from packaging_support import build, freeze

import mgdesk

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "resources" / "linux"
DESKTOP = LINUX / "io.github.mgdesk.desktop"
METAINFO = LINUX / "io.github.mgdesk.metainfo.xml"
MIME = LINUX / "io.github.mgdesk.xml"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
ICONS = ROOT / "resources" / "icons"


def test_the_desktop_entry_is_valid() -> None:
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_the_desktop_entry_names_the_icon_and_categories() -> None:
    entry = dict(line.split("=", 1) for line in DESKTOP.read_text().splitlines() if "=" in line)
    assert entry["Icon"] == "io.github.mgdesk"
    assert entry["Exec"].split()[0] == "mgdesk"
    assert entry["Categories"] == "Science;MedicalSoftware;Qt;"


def test_the_desktop_entry_opens_mgdesk_cases() -> None:
    entry = dict(line.split("=", 1) for line in DESKTOP.read_text().splitlines() if "=" in line)
    assert entry["MimeType"] == f"{freeze.CASE_MIME_TYPE};"
    assert entry["Exec"].endswith(" %f")  # the double-clicked file is the CASE argument


def test_the_shared_mime_info_entry_names_mgcase_files() -> None:
    root = ET.parse(MIME).getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    (mime_type,) = root.findall(f"{MIME_NS}mime-type")
    assert mime_type.get("type") == freeze.CASE_MIME_TYPE
    globs = [g.get("pattern") for g in mime_type.findall(f"{MIME_NS}glob")]
    assert globs == [f"*.{freeze.CASE_EXTENSION}"]
    parent = mime_type.find(f"{MIME_NS}sub-class-of")
    assert parent is not None and parent.get("type") == "application/json"


def test_the_shared_mime_info_entry_is_accepted_by_update_mime_database(tmp_path: Path) -> None:
    if shutil.which("update-mime-database") is None:
        pytest.skip("update-mime-database is not installed (apt-get install shared-mime-info)")
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy2(MIME, packages)
    result = subprocess.run(
        ["update-mime-database", str(tmp_path / "mime")],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_DATA_DIRS": str(tmp_path)},  # else: a note that it is not used
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert "*.mgcase" in (tmp_path / "mime" / "globs2").read_text()


def test_the_metainfo_is_well_formed_with_this_id_and_version() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.tag == "component" and component.get("type") == "desktop-application"
    assert component.findtext("id") == "io.github.mgdesk"
    assert component.findtext("launchable") == DESKTOP.name
    newest = component.find("releases/release")
    assert newest is not None and newest.get("version") == mgdesk.__version__


def test_the_metainfo_passes_appstream_validation() -> None:
    if shutil.which("appstreamcli") is None:
        pytest.skip("appstreamcli is not installed (apt-get install appstream)")
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_each_png_icon_has_the_size_its_name_says() -> None:
    for size in build.ICON_SIZES:
        assert png_size((ICONS / "png" / f"mgdesk-{size}.png").read_bytes()) == (size, size)


def test_the_windows_and_macos_icons_hold_png_images() -> None:
    ico = (ICONS / "mgdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 6
    size, offset = struct.unpack("<II", ico[6 + 16 * (count - 1) + 8 : 6 + 16 * count])
    assert png_size(ico[offset : offset + size]) == (256, 256)
    icns = (ICONS / "mgdesk.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic10" in icns  # 1024 px, for Retina displays


@pytest.mark.skipif(sys.platform == "win32", reason="install.sh is a POSIX shell script")
def test_the_tarball_installs_for_one_user_and_uninstalls(tmp_path: Path) -> None:
    unpacked = tmp_path / "mgdesk-0.1.0-linux-x86_64"
    (unpacked / "mgdesk" / "_internal").mkdir(parents=True)
    program = unpacked / "mgdesk" / "mgdesk"
    program.write_text('#!/bin/sh\necho frozen mgdesk "$@"\n')
    program.chmod(0o755)
    build.stage_linux_share(unpacked / "share")
    shutil.copy2(ROOT / "build_scripts" / "linux" / "install.sh", unpacked)
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": ""}

    subprocess.run(
        [str(unpacked / "install.sh"), "--user"], env=env, check=True, capture_output=True
    )
    app = home / ".local" / "opt" / "mgdesk"
    entry = home / ".local" / "share" / "applications" / "io.github.mgdesk.desktop"
    assert f"Exec={app}/mgdesk %f" in entry.read_text().splitlines()
    assert (home / ".local/share/icons/hicolor/scalable/apps/io.github.mgdesk.svg").is_file()
    assert (home / ".local/share/mime/packages/io.github.mgdesk.xml").is_file()
    launched = subprocess.run(
        [str(home / ".local" / "bin" / "mgdesk"), "self-test"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert launched.stdout == "frozen mgdesk self-test\n"

    subprocess.run(
        [str(unpacked / "install.sh"), "--user", "--uninstall"],
        env=env,
        check=True,
        capture_output=True,
    )
    assert not app.exists() and not entry.exists()
    assert not (home / ".local" / "bin" / "mgdesk").exists()
    assert not (home / ".local/share/mime/packages/io.github.mgdesk.xml").exists()
    assert not list((home / ".local/share/icons").rglob("io.github.mgdesk.*"))
