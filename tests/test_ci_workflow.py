"""One CI definition: the GitHub workflow runs the same scripts as a developer and .ci/run,
so its linters and system packages cannot drift from them.

The workflow is read as text (no YAML parser among the dependencies): jobs are the keys
indented two spaces under `jobs:`, steps the items indented six.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

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


# GitHub-hosted runner labels that exist today. macos-13 and macos-14 are retired (a job
# asking for them never starts); ubuntu-22.04 retires in 2027, so Linux builds run in an
# ubuntu:22.04 container on a newer runner instead. Update this list from GitHub's list of
# runner images when a label is added or retired.
RUNNER_LABELS = {
    "ubuntu-24.04",
    "ubuntu-24.04-arm",
    "windows-2022",
    "windows-2025",
    "macos-15",
    "macos-15-intel",
}


def runner_labels() -> set[str]:
    """Every label a job or a matrix entry asks for (runs-on: and matrix os: values)."""
    text = WORKFLOW.read_text(encoding="utf-8")
    values = re.findall(r"\bos:\s*(\[[^\]]*\]|[^,}\n]+)", text)
    values += re.findall(r"runs-on:\s*(\S+)", text)
    found: set[str] = set()
    for value in values:
        found |= {label.strip().strip("'\"") for label in value.strip("[]").split(",")}
    return {label for label in found if not label.startswith("${{")}


def test_the_workflow_asks_only_for_runner_labels_that_exist() -> None:
    labels = runner_labels()
    assert labels, "no runner label found"
    assert labels <= RUNNER_LABELS, f"retired or unknown runner labels: {labels - RUNNER_LABELS}"


def test_every_os_is_tested_and_built_on_both_mac_architectures() -> None:
    for name in ("test", "build"):
        labels = set(re.findall(r"os: ([\w.-]+)", job(name)))
        assert {"windows-2022", "macos-15", "macos-15-intel"} <= labels, name
        assert any(label.startswith("ubuntu-") for label in labels), name


def test_linux_packages_are_built_in_an_ubuntu_22_04_container() -> None:
    build = job("build")
    assert re.search(r'container: "ubuntu:22\.04"', build)
    assert "container: ${{ matrix.container }}" in build


def test_the_deb_is_installed_and_self_tested_in_clean_containers() -> None:
    install = job("install-linux")
    assert "needs: build" in install
    assert {"ubuntu:22.04", "debian:12"} <= set(re.findall(r'"(\w+:[\d.]+)"', install))
    assert "container: ${{ matrix.container }}" in install
    run = install.split("steps:", 1)[1]
    assert "apt-get install -y -qq ./dist/mgdesk_*.deb" in run
    assert "mgdesk self-test" in run and "xvfb-run -a mgdesk --exit-after-startup" in run
    # Nothing built or installed before the .deb: a clean system but for the package.
    before_deb = run.split("./dist/mgdesk_*.deb")[0]
    assert "pip" not in before_deb and "system-packages" not in before_deb


def test_tests_run_with_the_real_display_plugins() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "QT_QPA_PLATFORM: offscreen" not in text
    test = job("test")
    assert "xvfb-run" in commands(linux_steps(test))
    assert {"xcb", "windows", "cocoa"} <= set(re.findall(r"qpa: (\w+)", test))


def test_each_packaged_app_is_started_with_its_window() -> None:
    build = job("build")
    assert "mgdesk-gui.exe -ArgumentList '--exit-after-startup'" in build
    assert "Contents/MacOS/mgdesk --exit-after-startup" in build
    script = (ROOT / "build_scripts" / "ci_build_and_selftest.sh").read_text(encoding="utf-8")
    assert "xvfb-run -a mgdesk --exit-after-startup" in script


def test_builds_install_the_pinned_build_dependencies() -> None:
    script = (ROOT / "build_scripts" / "ci_build_and_selftest.sh").read_text(encoding="utf-8")
    for text in (job("build"), script):
        assert "-c build_scripts/constraints.txt" in text


def test_the_runner_label_check_catches_a_retired_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    retired = tmp_path / "build.yml"
    retired.write_text(
        "jobs:\n  t:\n    strategy:\n      matrix:\n        os: [macos-13, ubuntu-24.04]\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "WORKFLOW", retired)
    assert runner_labels() == {"macos-13", "ubuntu-24.04"}
