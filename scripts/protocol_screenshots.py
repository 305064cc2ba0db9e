"""Render the protocol editor and page 1 of a change report to PNG, offscreen, for
docs/site-protocols.md.

    python scripts/protocol_screenshots.py [--out docs/screenshots]

The editor compares the bundled default with a lower severe threshold (and, for the refused
shot, an IV rate above mgdesk's ceiling) over the worked cases in tests/data/cases; the
report is `mgdesk protocol compare` of the bundled default and a copy with a threshold, an
oral dose and the approval changed, page 1 rendered by pdftoppm. Nothing is written outside
the output folder and a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKED_CASES = ROOT / "tests" / "data" / "cases"
SIZE = (1400, 900)
# (field, value) typed into the editor; the report's copy also gets REPORT_EDITS.
THRESHOLD_EDIT = ("thresholds.magnesium_severe_below", "1.0 mg/dL")
REFUSED_EDIT = ("thresholds.iv_max_rate", "200 mg/min")
REPORT_EDITS = (
    THRESHOLD_EDIT,
    ("doses.oral_start.magnesium", "20 mmol"),
    ("approval.site_approved", True),
    ("approval.site", "Example General Hospital"),
    ("approval.approved_by", "Medication Safety Committee (chair: A. Pharmacist)"),
    ("approval.effective_date", "2027-01-04"),
    ("approval.review_date", "2028-01-04"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    options = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="mgdesk-protocol-screenshots-"))
    os.environ["MGDESK_DATA_DIR"] = str(scratch / "data")
    options.out.mkdir(parents=True, exist_ok=True)
    save_editor_shots(options.out)
    save_report_page(options.out, scratch)
    return 0


def save_editor_shots(out: Path) -> None:
    from screenshots import screenshot_app  # beside this script

    from mgdesk import resources
    from mgdesk.core.protocol_loader import default_protocol
    from mgdesk.gui.protocol_editor import ProtocolEditor
    from mgdesk.records.protocol_edit import ProtocolDraft

    app = screenshot_app()
    default = files(resources).joinpath("protocols", "default.json").read_bytes()
    editor = ProtocolEditor(ProtocolDraft(default, "bundled default"), default_protocol())
    editor.resize(*SIZE)
    editor.show()
    editor.use_worked_cases([WORKED_CASES])
    editor.tabs.setCurrentIndex(
        [editor.tabs.tabText(i) for i in range(editor.tabs.count())].index("Thresholds")
    )

    def compared() -> None:
        while editor.comparison is None or editor.comparison_pending:
            app.processEvents()

    editor.set_field(*THRESHOLD_EDIT)
    compared()
    editor.comparison_tree.topLevelItem(0).setExpanded(True)
    app.processEvents()
    shot = out / "protocol-editor.png"
    editor.grab().save(str(shot))
    print(shot)
    editor.set_field(*REFUSED_EDIT)
    app.processEvents()
    shot = out / "protocol-editor-refused.png"
    editor.grab().save(str(shot))
    print(shot)
    editor.set_field(REFUSED_EDIT[0], "150 mg/min")
    editor.tabs.setCurrentIndex(0)  # Approval
    for key, value in REPORT_EDITS:
        if key.startswith("approval."):
            editor.set_field(key, "yes" if value is True else str(value))
    compared()
    app.processEvents()  # the layout the last comparison's text asks for
    shot = out / "protocol-editor-approval.png"
    editor.grab().save(str(shot))
    print(shot)


def save_report_page(out: Path, scratch: Path) -> None:
    from mgdesk import resources
    from mgdesk.records.protocol_edit import ProtocolDraft

    in_force = scratch / "protocol-in-force.json"
    in_force.write_bytes(files(resources).joinpath("protocols", "default.json").read_bytes())
    draft = ProtocolDraft.from_file(in_force)
    for key, value in REPORT_EDITS:
        draft.set_value(draft.field(key), value)
    proposed = scratch / draft.suggested_file_name()
    draft.save_as(proposed)
    report = scratch / "change-report.pdf"
    command = [sys.executable, "-m", "mgdesk", "protocol", "compare", str(in_force)]
    command += [str(proposed), "--cases", str(WORKED_CASES), "-o", str(report)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    page = out / "protocol-change-report-1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", report, page],
        check=True,
    )
    print(f"{page}.png")


if __name__ == "__main__":
    sys.exit(main())
