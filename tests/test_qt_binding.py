"""The Qt binding must not corrupt the interpreter: PySide6 6.12.0 on Python 3.11 drops a
reference to None on every call of a method returning nothing, and a long-running window
then aborts with "Fatal Python error: none_dealloc"."""

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QObject
o = QObject()
before = sys.getrefcount(None)
for _ in range(20000):
    o.setObjectName("x")
print(sys.getrefcount(None) - before)
"""


def test_calling_qt_many_times_leaves_none_intact() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert abs(int(result.stdout.strip())) < 100
