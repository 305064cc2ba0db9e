"""The Qt binding must not corrupt the interpreter: PySide6 6.12.0 on Python 3.11 drops a
reference to None on every call of a method returning nothing (and to True on every
Signal.emit(True)), and a long-running window
then aborts with "Fatal Python error: none_dealloc"."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a fresh interpreter in a subprocess

PROBE = """
import sys
from PySide6.QtCore import QObject, Signal

class Emitter(QObject):
    changed = Signal(bool)

o = Emitter()
o.changed.connect(lambda value: None)
before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(20000):
    o.setObjectName("x")
    o.changed.emit(True)
print(sys.getrefcount(None) - before[0], sys.getrefcount(True) - before[1])
"""


def test_calling_qt_many_times_leaves_none_intact() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    none_drift, true_drift = (int(n) for n in result.stdout.split())
    assert abs(none_drift) < 100 and abs(true_drift) < 100
