"""One CI definition: the GitHub workflow runs the same scripts as a developer and .ci/run,
so its linters and system packages cannot drift from them.

The workflow is read as text (no YAML parser among the dependencies): jobs are the keys
indented two spaces under `jobs:`, steps the items indented six.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "build.yml"
CI_RUN = ROOT / ".ci" / "run"


def job(name: str) -> str:
    text = WORKFLOW.read_text(encoding="utf-8")
    jobs = text[text.index("\njobs:\n") :]
    found = re.search(rf"^  {name}:\n(.*?)(?=^  \S|\Z)", jobs, re.MULTILINE | re.DOTALL)
    assert found, f"no job {name!r} in {WORKFLOW.name}"
    return found.group(1)


def linux_steps(job_text: str) -> list[str]:
    """The job's steps that run on Linux: those without a condition or with a Linux one."""
    steps = re.split(r"^      - ", job_text, flags=re.MULTILINE)[1:]
    return [
        step for step in steps if "if:" not in step or re.search(r"if: runner\.os == 'Linux'", step)
    ]


def commands(steps: list[str]) -> str:
    return "\n".join(
        line.split("run:", 1)[1] for step in steps for line in step.splitlines() if "run:" in line
    )


def test_the_linux_test_job_runs_scripts_test() -> None:
    assert re.search(r"(^|\s)\./scripts/test(\s|$)", commands(linux_steps(job("test"))))


def test_the_workflow_installs_no_system_packages_of_its_own_for_the_tests() -> None:
    # They are listed once, in scripts/system-packages.sh, which scripts/test runs.
    assert "apt-get" not in job("test")
    assert "pytest" not in commands(linux_steps(job("test")))


def test_the_linux_build_job_runs_the_packaging_script_of_ci_run() -> None:
    script = "build_scripts/ci_build_and_selftest.sh"
    assert script in commands(linux_steps(job("build")))
    assert script in CI_RUN.read_text(encoding="utf-8")
    assert "./scripts/test" in CI_RUN.read_text(encoding="utf-8")
