"""The frozen mgdesk against a frozen bare PySide6 window: bundle size and start-up time.

    <build environment's python> benchmarks/bundle.py [--rebuild] [--runs N]

The bare app (a QMainWindow with a QLabel, shown until exposed, then quit) is frozen with
the same exclusions as mgdesk (build_scripts/freeze.py), so the comparison measures what
mgdesk adds. Limits: the mgdesk bundle at most 1.15x the bare one's size, and its start-up
(`mgdesk --exit-after-startup`, offscreen) at most 1.2x the bare app's, medians of runs
taken side by side. An existing dist/mgdesk and bare bundle are reused unless --rebuild.
Run it with the build environment's Python (mgdesk pip-installed, PyInstaller).
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

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "build_scripts"
BENCH = ROOT / "build" / "bench"
EXE = ".exe" if sys.platform == "win32" else ""
APP = ROOT / "dist" / "mgdesk"
BARE = BENCH / "dist" / "bare"
SIZE_LIMIT = 1.15
STARTUP_LIMIT = 1.2

BARE_APP = """\
import sys

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


class QuitWhenExposed(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            QTimer.singleShot(0, QApplication.quit)
        return False


app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(QLabel("bare"))
window.winId()
window.windowHandle().installEventFilter(QuitWhenExposed(window))
window.show()
sys.exit(app.exec())
"""

# The same Analysis options, Qt trimming, strip and UPX settings as build_scripts/mgdesk.spec.
BARE_SPEC = """\
import sys

sys.path.insert(0, {scripts!r})
import freeze

a = Analysis([{script!r}], excludes=list(freeze.EXCLUDED_MODULES), optimize=1)
a.binaries = [e for e in a.binaries if freeze.keep(e)]
a.datas = [e for e in a.datas if freeze.keep(e)]
pyz = PYZ(a.pure)
exe = EXE(pyz, a.scripts, [], exclude_binaries=True, name="bare", console=True, upx=False)
COLLECT(exe, a.binaries, a.datas, strip=sys.platform.startswith("linux"), upx=False, name="bare")
"""


def build_bare() -> None:
    BENCH.mkdir(parents=True, exist_ok=True)
    script = BENCH / "bare_app.py"
    script.write_text(BARE_APP, encoding="utf-8")
    spec = BENCH / "bare.spec"
    spec.write_text(BARE_SPEC.format(scripts=str(SCRIPTS), script=str(script)), encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            BENCH / "dist",
            "--workpath",
            BENCH / "work",
            spec,
        ],
        cwd=BENCH,
        check=True,
    )


def build_app() -> None:
    subprocess.run([sys.executable, str(SCRIPTS / "build.py"), "--bundle-only"], check=True)


def size(folder: Path) -> int:
    """Bytes on disk in a bundle, each file once (PyInstaller links duplicates)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def wall_time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed


def verdict(ratio: float, limit: float) -> str:
    return "PASS" if ratio <= limit else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rebuild", action="store_true", help="freeze both apps again")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each app")
    args = parser.parse_args()
    if args.rebuild or not (APP / f"mgdesk{EXE}").exists():
        build_app()
    if args.rebuild or not (BARE / f"bare{EXE}").exists():
        build_bare()

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["MGDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="mgdesk-bench-")
    app_command = [str(APP / f"mgdesk{EXE}"), "--exit-after-startup"]
    if subprocess.run(app_command, env=env, capture_output=True).returncode != 0:
        print(
            "notice: this build has no working --exit-after-startup; timing `mgdesk --version`, "
            "which does not start Qt, so the start-up ratio says little"
        )
        app_command = [str(APP / f"mgdesk{EXE}"), "--version"]
    bare_command = [str(BARE / f"bare{EXE}")]

    app_times: list[float] = []
    bare_times: list[float] = []
    for run in range(args.runs + 2):  # the first two warm the disk cache and are not counted
        bare_time, app_time = wall_time(bare_command, env), wall_time(app_command, env)
        if run >= 2:
            bare_times.append(bare_time)
            app_times.append(app_time)

    app_size, bare_size = size(APP), size(BARE)
    size_ratio = app_size / bare_size
    app_median, bare_median = statistics.median(app_times), statistics.median(bare_times)
    startup_ratio = app_median / bare_median
    print(
        f"bundle size: mgdesk {app_size / 1e6:.1f} MB, bare {bare_size / 1e6:.1f} MB, "
        f"ratio {size_ratio:.3f} (limit {SIZE_LIMIT}): {verdict(size_ratio, SIZE_LIMIT)}"
    )
    print(
        f"start-up, median of {args.runs}, offscreen ({' '.join(app_command[1:])}): "
        f"mgdesk {app_median * 1000:.0f} ms, bare {bare_median * 1000:.0f} ms, ratio "
        f"{startup_ratio:.3f} (limit {STARTUP_LIMIT}): {verdict(startup_ratio, STARTUP_LIMIT)}"
    )
    return 0 if size_ratio <= SIZE_LIMIT and startup_ratio <= STARTUP_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
