"""The spec, run with stand-ins for PyInstaller's build classes: what it asks PyInstaller for."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from packaging_support import freeze

import mgdesk

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "build_scripts" / "mgdesk.spec"


class Recorder:
    """A PyInstaller build class stand-in: remembers its arguments."""

    made: list[Recorder]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.made.append(self)


class FakeAnalysis(Recorder):
    """What an Analysis found: one unused Qt library and one Qt translation among them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scripts: list[Any] = []
        self.pure: list[Any] = []
        self.datas = [("PySide6/Qt/translations/qtbase_de.qm", "/x/qtbase_de.qm", "DATA")]
        self.binaries = [
            ("PySide6/Qt/lib/libQt6Network.so.6", "/venv/libQt6Network.so.6", "BINARY"),
            ("PySide6/Qt/lib/libQt6Gui.so.6", "/venv/libQt6Gui.so.6", "BINARY"),
        ]


def run_spec(monkeypatch: pytest.MonkeyPatch, platform: str) -> dict[str, list[Any]]:
    """Execute the spec as PyInstaller would on platform; returns what each class was given."""
    made: dict[str, list[Any]] = {}
    classes = {
        name: type(name, (base,), {"made": made.setdefault(name, [])})
        for name, base in (
            ("Analysis", FakeAnalysis),
            ("PYZ", Recorder),
            ("EXE", Recorder),
            ("COLLECT", Recorder),
            ("BUNDLE", Recorder),
            ("VSVersionInfo", Recorder),
        )
    }
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = lambda package: [  # type: ignore[attr-defined]
        (str(ROOT / "mgdesk/resources/protocols/default.json"), "mgdesk/resources/protocols")
    ]
    hooks.collect_submodules = lambda package: [f"{package}.cli"]  # type: ignore[attr-defined]
    versioninfo = types.ModuleType("PyInstaller.utils.win32.versioninfo")
    for name in (
        "FixedFileInfo",
        "StringFileInfo",
        "StringStruct",
        "StringTable",
        "VarFileInfo",
        "VarStruct",
    ):
        setattr(versioninfo, name, lambda *a, **k: (a, k))
    versioninfo.VSVersionInfo = classes["VSVersionInfo"]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.win32.versioninfo", versioninfo)
    monkeypatch.setattr(freeze, "license_datas", lambda top, datas: [])
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec puts its own folder first
    spec_globals = {"SPECPATH": str(SPEC.parent), **classes}
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), spec_globals)
    return made


def test_the_linux_build_is_one_console_executable_without_unused_qt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = run_spec(monkeypatch, "linux")
    (exe,) = made["EXE"]
    assert exe.kwargs["name"] == "mgdesk"
    assert exe.kwargs["console"] is True
    assert exe.kwargs["upx"] is False
    (coll,) = made["COLLECT"]
    assert coll.kwargs["name"] == "mgdesk"
    assert coll.kwargs["strip"] is True
    assert not made["BUNDLE"]
    (analysis,) = made["Analysis"]
    assert analysis.args[0] == [str(Path(mgdesk.__file__).with_name("__main__.py"))]
    assert "PySide6.QtNetwork" in analysis.kwargs["excludes"]
    assert [b[0] for b in analysis.binaries] == ["PySide6/Qt/lib/libQt6Gui.so.6"]
    assert analysis.datas == []


def test_the_macos_app_carries_the_project_version(monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec(monkeypatch, "darwin")
    (bundle,) = made["BUNDLE"]
    plist = bundle.kwargs["info_plist"]
    assert bundle.kwargs["version"] == mgdesk.__version__
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == mgdesk.__version__
    assert plist["LSMinimumSystemVersion"] == freeze.MACOS_MINIMUM == "13.0"
    assert plist["NSHighResolutionCapable"] is True
    assert plist["LSBackgroundOnly"] is False
    assert bundle.kwargs["bundle_identifier"] == "io.github.mgdesk"
    assert bundle.kwargs["icon"].endswith("mgdesk.icns")
    (exe,) = made["EXE"]
    assert exe.kwargs["entitlements_file"].endswith("entitlements.plist")


def test_windows_gets_a_console_and_a_windowed_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec(monkeypatch, "win32")
    exes = {e.kwargs["name"]: e.kwargs for e in made["EXE"]}
    assert exes["mgdesk"]["console"] is True
    assert exes["mgdesk-gui"]["console"] is False
    assert all(e["icon"].endswith("mgdesk.ico") for e in exes.values())
    assert made["VSVersionInfo"]
    (coll,) = made["COLLECT"]
    assert coll.kwargs["strip"] is False


def test_the_macos_app_is_windowed_and_opens_case_files(monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec(monkeypatch, "darwin")
    (exe,) = made["EXE"]
    assert exe.kwargs["console"] is False  # Finder's -psn_ argument is dropped
    plist = made["BUNDLE"][0].kwargs["info_plist"]
    (document,) = plist["CFBundleDocumentTypes"]
    assert document["LSItemContentTypes"] == ["io.github.mgdesk.case"]
    assert document["CFBundleTypeRole"] == "Editor" and document["LSHandlerRank"] == "Owner"
    (exported,) = plist["UTExportedTypeDeclarations"]
    assert exported["UTTypeIdentifier"] == "io.github.mgdesk.case"
    assert exported["UTTypeTagSpecification"]["public.filename-extension"] == ["mgcase"]
    assert "public.json" in exported["UTTypeConformsTo"]


def test_the_minimum_macos_is_the_one_the_pinned_qt_needs_and_the_docs_state() -> None:
    constraints = (ROOT / "build_scripts" / "constraints.txt").read_text(encoding="utf-8")
    pinned = re.search(r"^PySide6-Essentials==(\d+)\.(\d+)", constraints, re.MULTILINE)
    assert pinned, "constraints.txt pins PySide6-Essentials"
    # PySide6 6.10 and later ship macOS wheels for macOS 13 and later only.
    assert (int(pinned[1]), int(pinned[2])) < (6, 10) or freeze.MACOS_MINIMUM == "13.0"
    docs = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    major = freeze.MACOS_MINIMUM.split(".")[0]
    assert f"macOS {major} (Ventura) or later" in docs
    assert not re.search(r"macOS (10|11|12)\b", docs)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"macOS {major}+" in readme
