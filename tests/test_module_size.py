"""No module of mgdesk grows past 600 lines: a module that large holds more than one thing
and is split before it lands (issue #9)."""

from __future__ import annotations

from pathlib import Path

MGDESK = Path(__file__).resolve().parents[1] / "mgdesk"
MAX_LINES = 600


def test_no_module_is_over_600_lines() -> None:
    lengths = {
        path.relative_to(MGDESK).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in MGDESK.rglob("*.py")
    }
    assert "core/engine.py" in lengths
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}
