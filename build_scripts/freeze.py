"""What the spec, build.py and the bundle benchmark share.

The project's name and version (read, never repeated), the parts of Qt that a widgets app
leaves out, and the licences that ship inside the bundle. Imported by mgdesk.spec, so it
uses only the standard library and `packaging` (a PyInstaller dependency).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "io.github.mgdesk"
# The oldest macOS the app runs on: PySide6-Essentials' macOS wheels (constraints.txt) need 13.
MACOS_MINIMUM = "13.0"
# Case files: the extension, MIME type (Linux) and uniform type (macOS) of a saved case.
CASE_EXTENSION = "mgcase"
CASE_MIME_TYPE = "application/x-mgdesk-case"
CASE_TYPE_IDENTIFIER = f"{APP_ID}.case"
CASE_TYPE_NAME = "mgdesk case"
PUBLISHER = "mgdesk developers"
LICENSES = ROOT / "resources" / "licenses"

# Python modules an offline widgets app never imports. Analysis(excludes=...) keeps them out of
# the import graph; the frozen self-test proves nothing needed went missing.
EXCLUDED_MODULES = (
    # Qt modules for networking, QML/Quick and PDF viewing.
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    # Network clients and servers, and asyncio's event loop (Qt runs the app's loop).
    "asyncio",
    "ssl",
    "_ssl",
    "socketserver",
    "http.server",
    "http.cookiejar",
    "urllib.request",
    "xmlrpc",
    "ftplib",
    "smtplib",
    "imaplib",
    "poplib",
    "nntplib",
    "telnetlib",
    "webbrowser",
    # OpenSSL's libcrypto serves only TLS here: hashlib falls back to its built-in SHA-2.
    "_hashlib",
    # Development tools.
    "tkinter",
    "pydoc",
    "unittest",
    "doctest",
)

# Qt libraries and plugins that linked-library analysis pulls back in even when the Python
# module is excluded (ENGINEERING.md 5.2). Matched against the path inside the bundle, with
# the names each OS uses (libQt6Network.so.6, Qt6Network.dll, QtNetwork.framework).
DROPPED = re.compile(
    r"Qt6?(Network|Qml\w*|Quick\w*|VirtualKeyboard\w*|Pdf\w*|WaylandCompositor\w*|EglF[Ss]\w*)\b"
    r"|/plugins/(tls|networkinformation|qmltooling|generic|egldeviceintegrations|sqldrivers)/"
    r"|/plugins/platforminputcontexts/\w*virtualkeyboard"
    r"|/plugins/imageformats/(?!\w*qsvg)"  # only SVG icons; PNG is built into QtGui
    r"|/plugins/platformthemes/\w*gtk3"
    r"|/plugins/platforms/\w*(vnc|eglfs|linuxfb|minimal|vkkhrdisplay)"
    r"|PySide6/(Qt/)?translations/"  # Qt's own .qm files: the app ships no translations
    r"|opengl32sw"  # Windows software OpenGL, for QML and OpenGL widgets only
)

# Linux: the distribution's own libraries (X11 and xcb, fontconfig, GLib, CUPS, libstdc++)
# come from the system through the package's Depends, not copied from the build machine: an
# older bundled libstdc++ breaks newer graphics drivers, and an old fontconfig misreads the
# system's configuration. The bundle keeps Python and what the wheels ship (Qt, ICU).
SYSTEM_LIBRARY_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def project_name(root: Path = ROOT) -> str:
    return str(_pyproject(root)["project"]["name"])


def project_version(root: Path = ROOT) -> str:
    """The string pyproject's dynamic version names, read from the source, not imported."""
    attr = str(_pyproject(root)["tool"]["setuptools"]["dynamic"]["version"]["attr"])
    module, name = attr.rsplit(".", 1)
    path = root.joinpath(*module.split("."))
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ValueError(f"{source} assigns no string {name}")


def numeric_version(version: str) -> tuple[int, int, int, int]:
    """The four numbers Windows version resources and installers accept ("0.1.0rc1" -> 0.1.0.0)."""
    release = [*Version(version).release, 0, 0, 0][:4]
    return release[0], release[1], release[2], release[3]


def _pyproject(root: Path) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def keep(entry: Sequence[str]) -> bool:
    """False for a TOC entry (dest, src, typecode) that the bundle leaves out."""
    dest, src, typecode = entry[0], entry[1], entry[2]
    if DROPPED.search("/" + dest.replace("\\", "/")):
        return False
    return not (
        sys.platform.startswith("linux")
        and typecode == "BINARY"
        and src.startswith(SYSTEM_LIBRARY_DIRS)
        and not Path(src).name.startswith("libpython")
    )


def runtime_distributions(top: str) -> list[metadata.Distribution]:
    """The installed distribution `top` and everything it requires at run time, depth first."""
    found: dict[str, metadata.Distribution] = {}
    pending = [top]
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        dist = metadata.distribution(name)
        found[name] = dist
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                pending.append(req.name)
    return list(found.values())


# The licence texts of distributions whose installed metadata carries none: the Qt wheels, and
# mgdesk itself when installed editable (as in a development environment).
LICENSE_FALLBACKS = {
    "mgdesk": (ROOT / "LICENSE",),
    "pyside6-essentials": (LICENSES / "LGPL-3.0.txt", LICENSES / "GPL-3.0.txt"),
    "shiboken6": (LICENSES / "LGPL-3.0.txt", LICENSES / "GPL-3.0.txt"),
}
_LICENSE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)


def license_datas(top: str, package_datas: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(source, destination folder) pairs that put every bundled licence under licenses/.

    One folder per distribution, Python's own licence, and the licences that ship among the
    package's data (the fonts' licence lands in licenses/fonts). Raises LookupError when a
    bundled distribution has no licence text at all.
    """
    datas: list[tuple[str, str]] = []
    for dist in runtime_distributions(top):
        name = canonicalize_name(dist.metadata["Name"])
        files = [
            Path(str(dist.locate_file(f)))
            for f in dist.files or ()
            if ".dist-info" in f.parts[0] and _LICENSE_NAME.match(f.name)
        ]
        files = files or list(LICENSE_FALLBACKS.get(name, ()))
        if not files:
            raise LookupError(f"{name} ships no licence: add it to LICENSE_FALLBACKS")
        datas += [(str(f), f"licenses/{name}") for f in files]
    datas.append((str(python_license()), "licenses/python"))
    datas += [
        (src, f"licenses/{Path(src).parent.name}")
        for src, _ in package_datas
        if _LICENSE_NAME.match(Path(src).name)
    ]
    datas.append((str(LICENSES / "README.txt"), "licenses"))
    return datas


def python_license() -> Path:
    """CPython's licence: the bundle carries the interpreter and its standard library."""
    base = Path(sys.base_prefix)
    candidates = (
        base / "LICENSE.txt",
        base / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "LICENSE.txt",
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise LookupError(f"no LICENSE.txt for this Python under {base}")
