"""build_scripts/ holds plain scripts, not a package: load them by path for the tests.

build.py is loaded under another name, so that neither PyPA's `build` package nor the
build/ work folder can stand in for it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "build_scripts"


def _load(name: str, file: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


freeze = _load("freeze", "freeze.py")  # the name build.py and the spec import it by
build = _load("mgdesk_build_script", "build.py")
signing = sys.modules["signing"]  # imported by build.py from build_scripts/
