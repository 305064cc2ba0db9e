"""The layers hold: the core, the records and the documents never import Qt, and the core
reads no files (ENGINEERING.md: the import contract)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from core_support import REPO_ROOT

import mgdesk.core
import mgdesk.document
import mgdesk.records

pytestmark = pytest.mark.slow  # fresh interpreters and lint-imports in subprocesses

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
QT = ("PySide6", "shiboken6", "mgdesk.gui")


def test_importing_every_qt_free_module_loads_no_qt() -> None:
    modules = sorted(
        f"{package.__name__}.{m.name}"
        for package in (mgdesk.core, mgdesk.records, mgdesk.document)
        for m in pkgutil.iter_modules(package.__path__)
    )
    assert {"mgdesk.core.engine", "mgdesk.records.audit", "mgdesk.document.sheet"} <= set(modules)
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import mgdesk.commands.evaluate\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    offending = [m for m in loaded if m.split(".")[0] in QT or m.startswith(QT)]
    assert offending == []


def test_the_import_linter_contracts_are_kept() -> None:
    """lint-imports with the project's contracts (pyproject.toml, [tool.importlinter])."""
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stdout = " ".join(done.stdout.split())
    assert "over records, over the core KEPT" in stdout
    assert "Decisions, records and documents never import Qt KEPT" in stdout
    assert "The core reads no files, databases, processes or network: decisions only KEPT" in stdout
    assert " 0 broken" in done.stdout
