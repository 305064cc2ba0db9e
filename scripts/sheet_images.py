"""Redraw the order-sheet images in docs/ from the bundled examples, as `mgdesk sheet` prints
them (the README shows them; redraw them whenever the sheet or the protocol changes).

    .venv/bin/python scripts/sheet_images.py     # needs pdftoppm (poppler-utils)

Each sheet acknowledges the stop-level warnings of its plan, as a prescriber must first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "mgdesk" / "resources" / "examples"
DOCS = ROOT / "docs"
PRESCRIBER = [
    "--prescriber",
    "Dr Jane Roe",
    "--prescriber-registration",
    "GMC 7654321",
    "--prescriber-contact",
    "bleep 4321",
    "--facility",
    "St Elsewhere General Hospital",
]
# 100 pixels per inch: an A4 page 827 pixels wide, a Letter page 850.
RESOLUTION = "100"


def example(name: str, **labs: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    case["labs"].update(labs)
    return case


# (image name, case, paper, pages to draw: 1 = the orders, 2 = the reasoning attachment)
SHEETS: list[tuple[str, dict[str, Any], str, tuple[int, ...]]] = [
    ("order-sheet-page1", example("mild-oral-1.4-mg-dl.json"), "a4", (1,)),
    ("order-sheet-reasoning", example("mild-oral-1.4-mg-dl.json"), "a4", (2,)),
    ("order-sheet-mild-letter-page1", example("mild-oral-1.4-mg-dl.json"), "letter", (1,)),
    ("order-sheet-torsades-a4-page1", example("torsades-with-pulse.json"), "a4", (1,)),
    ("order-sheet-torsades-page1", example("torsades-with-pulse.json"), "letter", (1,)),
    (
        "order-sheet-severe-renal-a4-page1",
        example("severe-tetany.json", creatinine="2.5 mg/dL"),
        "a4",
        (1,),
    ),
    (
        "order-sheet-severe-renal-letter-page1",
        example("severe-tetany.json", creatinine="2.5 mg/dL"),
        "letter",
        (1,),
    ),
    ("order-sheet-four-orders-a4-page1", example("oral-failed-stoma.json"), "a4", (1,)),
    ("order-sheet-four-orders-letter-page1", example("oral-failed-stoma.json"), "letter", (1,)),
]


def mgdesk(*args: str, stdin: str, data: Path) -> str:
    # A data folder of its own: the sheets' audit entries are not the user's.
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", MGDESK_DATA_DIR=str(data))
    return subprocess.run(
        [sys.executable, "-m", "mgdesk", *args],
        input=stdin,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def stop_warnings(case_text: str, data: Path) -> list[str]:
    plan = json.loads(mgdesk("evaluate", "--format", "json", "-", stdin=case_text, data=data))
    return [w["code"] for w in plan["warnings"] if w["level"] == "stop"]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mgdesk-sheet-images-") as folder:
        data = Path(folder) / "data"
        for name, case, paper, pages in SHEETS:
            text = json.dumps(case)
            pdf = Path(folder) / f"{name}.pdf"
            acknowledged = stop_warnings(text, data)
            extra = ["--acknowledge", ",".join(acknowledged)] if acknowledged else []
            options = ["-o", str(pdf), "--paper", paper, *PRESCRIBER, *extra]
            mgdesk("sheet", "-", *options, stdin=text, data=data)
            for page in pages:
                stem = Path(folder) / f"{name}-{page}"
                only = ["-f", str(page), "-l", str(page), "-singlefile"]
                subprocess.run(
                    ["pdftoppm", "-png", "-r", RESOLUTION, *only, str(pdf), str(stem)], check=True
                )
                stem.with_suffix(".png").replace(DOCS / f"{name}.png")
            print(f"docs/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
