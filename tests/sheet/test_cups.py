"""Real printing: `mgdesk sheet --printer` on a CUPS queue with the cups-pdf backend.

scripts/setup_cups.sh installs CUPS and cups-pdf if needed, starts cupsd and adds the queue;
this test runs it, prints, waits for the job to complete, and counts the pages of the PDF
that cups-pdf wrote. It skips only when CUPS is not installed and cannot be set up here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from sheet_support import REPO_ROOT, examples_dir, run_sheet_command

QUEUE = "mgdesk-test"
SETUP = REPO_ROOT / "scripts" / "setup_cups.sh"
CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")
JOB_TIMEOUT_S = 90


def cups_installed() -> bool:
    # cupsd lives in /usr/sbin, which is not on the PATH of a user who is not root on Debian.
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return (
        shutil.which("cupsd", path=search) is not None
        and Path("/usr/lib/cups/backend/cups-pdf").exists()
    )


def cups_pdf_folder() -> Path:
    """Where cups-pdf writes a job printed by this user ("Out" in its configuration)."""
    folder = "${HOME}/PDF"
    if CUPS_PDF_CONF.exists():
        for line in CUPS_PDF_CONF.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("Out "):
                folder = line.split(None, 1)[1].strip()
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or "root"
    home = str(Path.home())
    return Path(folder.replace("${HOME}", home).replace("${USER}", user))


@pytest.fixture(scope="module")
def queue() -> str:
    if not cups_installed() and os.geteuid() != 0:
        pytest.skip("CUPS and cups-pdf are not installed (run scripts/setup_cups.sh as root)")
    result = subprocess.run(
        ["bash", str(SETUP)], capture_output=True, text=True, timeout=600, check=False
    )
    if not cups_installed():
        pytest.skip(f"CUPS could not be installed here: {result.stderr.strip()[-500:]}")
    assert result.returncode == 0, f"setup_cups.sh failed:\n{result.stdout}\n{result.stderr}"
    return QUEUE


def wait_for_output(folder: Path, sheet_id: str) -> Path:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        jobs = subprocess.run(
            ["lpstat", "-o", QUEUE], capture_output=True, text=True, check=False
        ).stdout
        found = sorted(folder.glob(f"*{sheet_id}*.pdf")) if folder.is_dir() else []
        if found and not jobs.strip():
            return found[-1]
        time.sleep(0.2)
    log = Path("/var/log/cups/error_log")
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "no CUPS error log"
    raise AssertionError(
        f"no completed job for sheet {sheet_id} in {folder} within {JOB_TIMEOUT_S} s\n{tail}"
    )


def test_a_sheet_prints_on_a_real_cups_queue(queue: str, tmp_path: Path) -> None:
    result = run_sheet_command(
        [
            str(examples_dir() / "mild-oral-1.4-mg-dl.json"),
            "--printer",
            queue,
            "--paper",
            "a4",
            "--facility",
            "St Elsewhere",
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    match = re.search(
        r"order sheet (\S+) \((\d+) pages, a4\) sent to the printer " + queue, result.stdout
    )
    assert match, result.stdout
    sheet_id, pages = match.group(1), int(match.group(2))
    printed = wait_for_output(cups_pdf_folder(), sheet_id)
    completed = subprocess.run(
        ["lpstat", "-W", "completed", "-o", queue], capture_output=True, text=True, check=True
    ).stdout
    assert f"{queue}-" in completed
    reader = PdfReader(printed)
    assert len(reader.pages) == pages
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
