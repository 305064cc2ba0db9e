"""Helpers for the file, protocol and audit tests."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from mgdesk import resources
from mgdesk.commands import admin as admin_cli
from mgdesk.core.case import parse_case
from mgdesk.core.engine import evaluate
from mgdesk.core.plan import Plan
from mgdesk.core.protocol_loader import default_protocol

REPO_ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
EXAMPLES = files(resources).joinpath("examples")


def example_case(name: str = "severe-tetany.json") -> dict[str, Any]:
    document = json.loads(EXAMPLES.joinpath(name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def example_plan(document: dict[str, Any]) -> Plan:
    protocol = default_protocol()
    return evaluate(parse_case(document, protocol), protocol)


def default_protocol_document() -> dict[str, Any]:
    data = files(resources).joinpath("protocols", "default.json").read_bytes()
    document = json.loads(data)
    assert isinstance(document, dict)
    return copy.deepcopy(document)


def as_1_0(document: dict[str, Any]) -> dict[str, Any]:
    """The protocol as a 1.0 file: without the fields revision 1.1 added (its graph as it
    stands: protocol_documents.without_given_step takes out the step 8f became)."""
    document["version"] = "1.0.0"
    del document["settings"]
    del document["doses"]["oral_start_reduced"]
    del document["orders"]["mg_sulfate_iv_mild"]
    del document["warnings"]["cumulative_limit_reached"]
    return document


def protocol_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def approved_protocol(review_date: str = "2099-01-01", version: str = "2.0.0") -> dict[str, Any]:
    document = default_protocol_document()
    document["version"] = version
    document["approval"].update(
        site_approved=True,
        site="Test Clinic",
        approved_by="A. Pharmacist",
        effective_date="2020-01-01",
        review_date=review_date,
    )
    return document


def run_admin(*args: str) -> tuple[int, str, str]:
    """admin_cli.run in this process: (exit status, standard output, standard error)."""
    out, err = io.StringIO(), io.StringIO()
    status = admin_cli.run(list(args), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python that imports mgdesk from this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


PYTHON = sys.executable


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make folder really read-only for this process, or skip the test if that cannot be done.

    chmod does not stop root (tests run as root in CI), so root gets the immutable
    attribute (chattr +i), which does.
    """
    import pytest

    if sys.platform == "win32":
        pytest.skip("no read-only folders for this test on Windows")
    if not IS_ROOT:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if (
        chattr is None
        or subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False).returncode
        != 0
    ):
        pytest.skip("cannot make a folder read-only for root here (no chattr +i)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def kill_at_random(command: list[str], rng: random.Random) -> list[int]:
    """Run command until it reports its first write, kill it at a random moment, and
    return the counters it reported as written."""
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env(), text=True
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    assert first, child.stderr.read() if child.stderr else ""
    try:
        child.wait(timeout=rng.uniform(0, 0.06))
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
    # readline may have buffered more lines than the first: read them through the same
    # buffer (communicate reads the pipe underneath it and would miss them).
    rest = child.stdout.read()
    child.communicate()
    assert child.returncode == -signal.SIGKILL
    return [int(line) for line in (first + rest).split()]
