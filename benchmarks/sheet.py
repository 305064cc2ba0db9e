"""`mgdesk sheet` as a whole process, against a floor measured in the same run.

The floor is what any such command pays: start Python, import pint and load a small
definitions file, start a QGuiApplication (offscreen) and write a one-page HTML document to
PDF. `mgdesk sheet` must take at most 1.3 times the floor (medians, runs interleaved).

    python benchmarks/sheet.py [--runs 9]

Prints both medians, the ratio and PASS or FAIL; exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT = 1.3
PACKAGE = Path(__file__).resolve().parents[1] / "mgdesk"
CASE = PACKAGE / "resources" / "examples" / "mild-oral-1.4-mg-dl.json"

DEFINITIONS = """\
milli- = 1e-3 = m-
gram = [mass] = g
liter = [volume] = L = litre
mole = [substance] = mol
minute = [time] = min
hour = 60 * minute = h
equivalent = [charge] = eq
"""

FLOOR = """\
import os, sys
import pint
registry = pint.UnitRegistry(None, cache_folder=None)
registry.load_definitions(sys.argv[1])
assert registry.Quantity(1000, "mg").to("g").magnitude == 1
from PySide6.QtCore import QMarginsF, QRectF, QSizeF
from PySide6.QtGui import (QGuiApplication, QPageLayout, QPageSize, QPainter, QPdfWriter,
                           QTextDocument)
app = QGuiApplication([])
writer = QPdfWriter(sys.argv[2])
writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                 QPageLayout.Orientation.Portrait,
                                 QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
writer.setResolution(300)
document = QTextDocument()
document.documentLayout().setPaintDevice(writer)
document.setDocumentMargin(0)
document.setHtml("<p><b>Order sheet</b></p>"
                 "<table border=1><tr><td>magnesium sulfate</td><td>2 g</td></tr></table>")
document.setPageSize(QSizeF(writer.width(), writer.height()))
painter = QPainter(writer)
document.drawContents(painter, QRectF(0, 0, writer.width(), writer.height()))
painter.end()
"""


def sheet_command(output: Path) -> list[str]:
    from mgdesk.__main__ import COMMANDS

    prefix = ["-m", "mgdesk", "sheet"] if "sheet" in COMMANDS else ["-m", "mgdesk.commands.sheet"]
    return [
        sys.executable,
        *prefix,
        str(CASE),
        "-o",
        str(output),
        "--paper",
        "a4",
        "--prescriber",
        "Dr Jane Roe",
    ]


def timed(command: list[str], environment: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory(prefix="mgdesk-bench-") as name:
        folder = Path(name)
        definitions = folder / "units.txt"
        definitions.write_text(DEFINITIONS, encoding="utf-8")
        floor_script = folder / "floor.py"
        floor_script.write_text(FLOOR, encoding="utf-8")
        floor = [sys.executable, str(floor_script), str(definitions), str(folder / "floor.pdf")]
        sheet = sheet_command(folder / "sheet.pdf")
        # mgdesk's bytecode, as an installed copy has it (pip and PyInstaller compile it, as
        # pip did pint's): where PYTHONDONTWRITEBYTECODE is set, each run would otherwise
        # compile whichever of its modules lack a current .pyc, and time that instead.
        compileall.compile_dir(PACKAGE, quiet=1)
        timed(floor, environment)  # warm the file cache for both
        timed(sheet, environment)
        floor_times, sheet_times = [], []
        for _ in range(runs):
            floor_times.append(timed(floor, environment))
            sheet_times.append(timed(sheet, environment))
    floor_median, sheet_median = statistics.median(floor_times), statistics.median(sheet_times)
    ratio = sheet_median / floor_median
    verdict = "PASS" if ratio <= LIMIT else "FAIL"
    command = " ".join(sheet[1:3])
    print(f"floor (pint, Qt, one-page PDF): {floor_median * 1000:.0f} ms, median of {runs}")
    print(f"{command} (whole process): {sheet_median * 1000:.0f} ms, median of {runs}")
    print(f"ratio {ratio:.2f} (limit {LIMIT}): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
