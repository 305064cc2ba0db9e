"""Start-up: `mgdesk --exit-after-startup` against a bare PySide6 window, whole processes.

    python benchmarks/gui_startup.py [--runs 11]

Both run with this Python (use the venv's own python: a pyenv shim adds ~75 ms to
every start), offscreen, alternating so that machine load hits both alike. The bare
window is a QMainWindow with one QLabel, shown until exposed. The floor: mgdesk's
median at most 1.25 times the bare window's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT = 1.25
BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(QLabel("bare"))
window.winId()


class Exposed(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            QTimer.singleShot(0, app.quit)
        return False


exposed = Exposed()
window.windowHandle().installEventFilter(exposed)
window.show()
sys.exit(app.exec())
"""


def mgdesk_command() -> list[str]:
    script = Path(sys.executable).with_name("mgdesk")
    if script.is_file():
        return [str(script), "--exit-after-startup"]
    return [sys.executable, "-m", "mgdesk", "--exit-after-startup"]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    options = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mgdesk-bench-"))
    bare = folder / "bare_window.py"
    bare.write_text(BARE_WINDOW, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MGDESK_DATA_DIR": str(folder / "data")}
    commands = {"bare": [sys.executable, str(bare)], "mgdesk": mgdesk_command()}
    for command in commands.values():  # warm the file cache and the .pyc files
        timed(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(options.runs):
        for name, command in commands.items():
            times[name].append(timed(command, env))
    bare_median = statistics.median(times["bare"])
    mgdesk_median = statistics.median(times["mgdesk"])
    ratio = mgdesk_median / bare_median
    verdict = "PASS" if ratio <= LIMIT else "FAIL"
    print(f"bare PySide6 window: {bare_median * 1000:.0f} ms median of {options.runs}")
    name = Path(commands["mgdesk"][0]).name
    print(f"{name} --exit-after-startup: {mgdesk_median * 1000:.0f} ms median")
    print(f"ratio {ratio:.2f} (limit {LIMIT}): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
