"""build_scripts/freeze.py: the name and version the spec reads, what the bundle leaves out,
and the licences it carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_support import freeze

import mgdesk


def test_the_spec_reads_the_name_and_version_of_this_project() -> None:
    assert freeze.project_name() == "mgdesk"
    assert freeze.project_version() == mgdesk.__version__


def test_the_version_is_read_from_the_module_pyproject_names(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\ndynamic = ["version"]\n'
        '[tool.setuptools.dynamic]\nversion = { attr = "demo.about.__version__" }\n'
    )
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "about.py").write_text('NAME = "x"\n__version__ = "2.3.0rc1"\n')
    assert freeze.project_name(tmp_path) == "demo"
    assert freeze.project_version(tmp_path) == "2.3.0rc1"


def test_a_version_that_is_not_a_plain_string_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n'
        '[tool.setuptools.dynamic]\nversion = { attr = "demo.__version__" }\n'
    )
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text("__version__ = compute()\n")
    with pytest.raises(ValueError, match="assigns no string __version__"):
        freeze.project_version(tmp_path)


@pytest.mark.parametrize(
    "version, numbers",
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("2.0.1rc2", (2, 0, 1, 0)),
        ("1.2.3.4.5", (1, 2, 3, 4)),
    ],
)
def test_windows_version_numbers(version: str, numbers: tuple[int, int, int, int]) -> None:
    assert freeze.numeric_version(version) == numbers


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt6Network.so.6",
        "PySide6/Qt6Network.dll",
        "PySide6/Qt/lib/QtNetwork.framework/Versions/A/QtNetwork",
        "PySide6/QtNetwork.abi3.so",
        "PySide6/Qt/lib/libQt6Qml.so.6",
        "PySide6/Qt/lib/libQt6QuickWidgets.so.6",
        "PySide6/Qt/lib/libQt6Pdf.so.6",
        "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/plugins/imageformats/qgif.dll",
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6\\plugins\\platforms\\qminimal.dll",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/translations/qtbase_fr.qm",
        "PySide6/opengl32sw.dll",
    ],
)
def test_unused_qt_parts_are_left_out(dest: str) -> None:
    assert not freeze.keep((dest, "/venv/site-packages/" + dest, "BINARY"))


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "PySide6/Qt/lib/libQt6PrintSupport.so.6",
        "PySide6/Qt/lib/libicudata.so.73",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
        "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "mgdesk/resources/fonts/DejaVuSans.ttf",
        "mgdesk/resources/translations/mgdesk_de.qm",
    ],
)
def test_what_the_app_uses_stays(dest: str) -> None:
    assert freeze.keep((dest, "/venv/site-packages/" + dest, "BINARY"))


def test_on_linux_the_systems_own_libraries_come_from_the_system(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lib = "/usr/lib/x86_64-linux-gnu/"
    monkeypatch.setattr(freeze.sys, "platform", "linux")
    assert not freeze.keep(("libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "BINARY"))
    assert not freeze.keep(("libfontconfig.so.1", lib + "libfontconfig.so.1", "BINARY"))
    assert freeze.keep(("libpython3.11.so.1.0", lib + "libpython3.11.so.1.0", "BINARY"))
    extension = "python3.11/lib-dynload/_ctypes.so"
    assert freeze.keep((extension, "/usr/lib/" + extension, "EXTENSION"))
    monkeypatch.setattr(freeze.sys, "platform", "darwin")
    assert freeze.keep(("libz.1.dylib", "/usr/lib/libz.1.dylib", "BINARY"))


def test_every_bundled_distribution_ships_its_licence(tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "LICENSE-DejaVu.txt").write_text("Bitstream Vera")
    (fonts / "DejaVuSans.ttf").write_bytes(b"")
    package = [
        (str(fonts / name), "mgdesk/resources/fonts")
        for name in ("LICENSE-DejaVu.txt", "DejaVuSans.ttf")
    ]
    datas = freeze.license_datas("mgdesk", package)
    folders = {dest for _, dest in datas}
    assert {
        "licenses/mgdesk",
        "licenses/pyside6-essentials",
        "licenses/shiboken6",
        "licenses/pint",
        "licenses/python",
        "licenses/fonts",
        "licenses",
    } <= folders
    names = {(dest, Path(src).name) for src, dest in datas}
    assert ("licenses/pyside6-essentials", "LGPL-3.0.txt") in names
    assert ("licenses/pyside6-essentials", "GPL-3.0.txt") in names
    assert ("licenses/fonts", "DejaVuSans.ttf") not in names
    assert all(Path(src).is_file() for src, _ in datas)
