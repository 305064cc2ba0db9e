"""What mgdesk writes stays a regular, private file; what it reads never hangs or floods it.

Modes are checked with os.stat: root reads files whatever their mode.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from files_support import IS_ROOT, PYTHON, example_case, example_plan, subprocess_env

from mgdesk.commands import evaluate as evaluate_cli
from mgdesk.commands import inputs as command_inputs
from mgdesk.core.errors import ProtocolInvalid
from mgdesk.records import audit
from mgdesk.records.audit import AuditLog, AuditLogError
from mgdesk.records.autosave import Autosave, default_autosave_folder
from mgdesk.records.casefile import CaseFileError, open_case, save_case
from mgdesk.records.paths import tidy_data_dir, user_data_dir
from mgdesk.records.safefile import (
    STALE_TEMPORARY_SECONDS,
    describe_write_error,
    temporary_name_for,
    write_atomically,
)
from mgdesk.records.site_protocol import InstallError, install_protocol, load_protocol

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types and modes")
CASE = example_case()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


# --- Targets that are not regular files are refused, and left as they are ----------------


def _special_targets(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    fifo = tmp_path / "pipe.mgcase"
    os.mkfifo(fifo)
    real = tmp_path / "real.mgcase"
    real.write_bytes(b"the file the link points to")
    link = tmp_path / "link.mgcase"
    link.symlink_to(real)
    dangling = tmp_path / "dangling.mgcase"
    dangling.symlink_to(tmp_path / "nowhere.mgcase")
    folder = tmp_path / "folder.mgcase"
    folder.mkdir()
    return {
        "fifo": (fifo, "named pipe"),
        "link": (link, "symbolic link"),
        "dangling-link": (dangling, "symbolic link"),
        "folder": (folder, "folder"),
    }


@posix_only
@pytest.mark.parametrize("kind", ["fifo", "link", "dangling-link", "folder"])
def test_saving_over_what_is_not_a_regular_file_is_refused_and_leaves_it(
    tmp_path: Path, kind: str
) -> None:
    target, words = _special_targets(tmp_path)[kind]
    before = os.lstat(target)
    with pytest.raises(CaseFileError) as caught:
        save_case(CASE, target)
    assert str(target) in caught.value.message and words in caught.value.message
    after = os.lstat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode)
    assert (tmp_path / "real.mgcase").read_bytes() == b"the file the link points to"
    assert not (tmp_path / "nowhere.mgcase").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(not IS_ROOT, reason="only root can make a device node")
def test_a_device_is_never_written_to_or_replaced(tmp_path: Path) -> None:
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    with pytest.raises(OSError) as caught:
        write_atomically(device, b"patient data")
    assert f"{device} is a device, not a regular file" in describe_write_error(caught.value, device)
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert os.lstat(device).st_rdev == os.makedev(1, 3)


@posix_only
def test_every_writer_refuses_a_link_in_its_place(tmp_path: Path, umask_022: None) -> None:
    data = user_data_dir()
    data.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"untouched")
    (data / "protocol.json").symlink_to(elsewhere)
    source = tmp_path / "source.json"
    source.write_bytes(
        (Path(__file__).parents[2] / "mgdesk/resources/protocols/default.json").read_bytes()
    )
    with pytest.raises(InstallError, match="symbolic link"):
        install_protocol(source, "user")
    assert elsewhere.read_bytes() == b"untouched"
    assert (data / "protocol.json").is_symlink()


# --- Modes: private in the data folder, never more than the umask allows elsewhere -------


@posix_only
def test_a_saved_case_follows_the_umask_and_keeps_a_tighter_mode(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "case.mgcase"
    save_case(CASE, path)
    assert mode_of(path) == 0o644
    path.chmod(0o600)  # the user made it private: saving again keeps it so
    save_case(CASE, path)
    assert mode_of(path) == 0o600
    os.umask(0o077)
    other = tmp_path / "other.mgcase"
    save_case(CASE, other)
    assert mode_of(other) == 0o600


@pytest.mark.slow  # a Python subprocess
@posix_only
def test_a_killed_write_leaves_a_private_temporary_copy(tmp_path: Path, umask_022: None) -> None:
    """The temporary file holds the patient's data before it is renamed: it is 0600."""
    path = tmp_path / "case.mgcase"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from mgdesk.records import safefile\n"
        "def die(*args): os._exit(9)\n"
        "safefile.os.fsync = die\n"  # killed once the bytes are written, before the rename
        "safefile.write_atomically(Path(sys.argv[1]), b'patient data')\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", script, str(path)], env=subprocess_env(), capture_output=True, check=False
    )
    assert result.returncode == 9, result.stderr
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].read_bytes() == b"patient data"
    assert mode_of(leftovers[0]) == 0o600
    assert not path.exists()


@posix_only
def test_the_data_folder_and_its_files_are_private(tmp_path: Path, umask_022: None) -> None:
    document = example_case()
    log = AuditLog()
    pending = log.prepare(
        sheet_id="S1",
        case_document=document,
        plan=example_plan(document),
        protocol_sha256="0" * 64,
        acknowledged_warnings=[],
    )
    log.commit(pending, "printer")
    with Autosave(default_autosave_folder()) as session:
        session.write(document, patient_id="A-1", patient_name="Doe")
        autosave_file = session.path
        assert mode_of(autosave_file) == 0o600
    source = tmp_path / "protocol.json"
    source.write_bytes(
        (Path(__file__).parents[2] / "mgdesk/resources/protocols/default.json").read_bytes()
    )
    user_install = install_protocol(source, "user").path
    data = user_data_dir()
    assert mode_of(data) == 0o700
    assert mode_of(data / "autosave") == 0o700
    assert mode_of(data / "audit.sqlite3") == 0o600
    assert mode_of(user_install) == 0o600
    journal = [p for p in data.iterdir() if p.name.startswith("audit.sqlite3-")]
    assert all(mode_of(p) == 0o600 for p in journal)


@posix_only
def test_the_machine_wide_install_stays_readable_by_all(
    tmp_path: Path, umask_022: None, isolated_folders: tuple[Path, Path]
) -> None:
    source = tmp_path / "protocol.json"
    source.write_bytes(
        (Path(__file__).parents[2] / "mgdesk/resources/protocols/default.json").read_bytes()
    )
    installed = install_protocol(source, "machine").path
    assert mode_of(installed) == 0o644


@posix_only
def test_the_next_start_makes_an_old_data_folder_private_and_removes_leftovers(
    umask_022: None,
) -> None:
    data = user_data_dir()
    (data / "autosave").mkdir(parents=True)
    data.chmod(0o755)  # as an earlier mgdesk left it
    old = data.stat().st_mtime - STALE_TEMPORARY_SECONDS - 60
    leftovers = [
        data / temporary_name_for(data / "audit.sqlite3.queue.jsonl"),
        data / temporary_name_for(data / "protocol.json"),
        data / "autosave" / temporary_name_for(data / "autosave" / "autosave-0123.json"),
    ]
    for leftover in leftovers:
        leftover.write_bytes(b"patient data")
        os.utime(leftover, (old, old))
    young = data / temporary_name_for(data / "protocol.json")
    young.write_bytes(b"a write in progress")
    unrelated = data / ".notes.txt.tmp"
    unrelated.write_bytes(b"not mgdesk's")
    os.utime(unrelated, (old, old))
    tidy_data_dir()
    assert mode_of(data) == 0o700
    assert [p for p in leftovers if p.exists()] == []
    assert young.exists() and unrelated.exists()


# --- Reading: at most the limit plus one byte, whatever the file is ----------------------


def run_with_memory_capped(script: str) -> subprocess.CompletedProcess[str]:
    """Run script in a Python limited to 1 GB of memory: reading without a limit (as mgdesk
    once did) ends there in a MemoryError instead of exhausting the machine."""
    capped = "import resource\nresource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    return subprocess.run(
        [PYTHON, "-c", capped + script],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # a Python subprocess
@posix_only
def test_evaluate_refuses_an_endless_device_as_too_large() -> None:
    result = run_with_memory_capped(
        "import sys\n"
        "from mgdesk.commands.evaluate import run\n"
        "sys.exit(run(['evaluate', '/dev/zero']))\n"
    )
    assert result.returncode == 2, result.stderr
    assert "/dev/zero is too large to be a case file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # a Python subprocess
@posix_only
def test_a_protocol_from_an_endless_device_is_refused() -> None:
    result = run_with_memory_capped(
        "from mgdesk.core.errors import ProtocolInvalid\n"
        "from mgdesk.records.site_protocol import load_protocol\n"
        "try:\n"
        "    load_protocol('/dev/zero')\n"
        "except ProtocolInvalid as exc:\n"
        "    print(exc.problems)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "/dev/zero: larger than 2000000 bytes" in result.stdout


class EndlessInput(io.RawIOBase):
    """Standard input that never ends; counts what was read."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.given > 3 * command_inputs.MAX_INPUT_BYTES:
            raise AssertionError("read far past the limit")
        count = len(buffer)
        buffer[:count] = b"\x00" * count
        self.given += count
        return count


def test_standard_input_is_read_only_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command_inputs, "MAX_INPUT_BYTES", 100_000)
    endless = EndlessInput()
    out, err = io.StringIO(), io.StringIO()
    code = evaluate_cli.run(
        ["evaluate", "-", "--format", "json"], io.BufferedReader(endless), out, err
    )
    assert code == 2
    assert "standard input is larger than 100000 bytes" in err.getvalue()
    assert endless.given <= 100_001 + io.DEFAULT_BUFFER_SIZE


@posix_only
@pytest.mark.timeout(60)
def test_a_named_pipe_without_a_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "case.mgcase"
    os.mkfifo(fifo)
    with pytest.raises(CaseFileError, match="empty"):
        open_case(fifo)
    with pytest.raises(ProtocolInvalid):
        load_protocol(fifo)
    out, err = io.StringIO(), io.StringIO()
    assert evaluate_cli.run(["evaluate", str(fifo)], io.BytesIO(b""), out, err) == 2
    assert "is empty" in err.getvalue()


@pytest.mark.slow  # mgdesk in a subprocess
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_pipe_with_a_writer_is_read_as_it_arrives() -> None:
    """`mgdesk evaluate <(cat case.json)`: a pipe is opened without waiting, then read."""
    case = Path(__file__).parents[2] / "mgdesk/resources/examples/severe-tetany.json"
    result = subprocess.run(
        ["bash", "-c", '"$0" -m mgdesk evaluate <(sleep 0.5; cat "$1")', PYTHON, str(case)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Severity: severe" in result.stdout


@posix_only
def test_a_case_file_from_an_endless_device_is_refused() -> None:
    with pytest.raises(CaseFileError, match="too large"):
        open_case(Path("/dev/zero"))


def test_every_write_removes_old_leftovers_of_its_file(tmp_path: Path) -> None:
    """A killed export leaves a temporary copy of the sheet; the next export removes it."""
    sheet = tmp_path / "order-sheet.pdf"
    stale = tmp_path / temporary_name_for(sheet)
    stale.write_bytes(b"%PDF- half a sheet")
    old = stale.stat().st_mtime - STALE_TEMPORARY_SECONDS - 60
    os.utime(stale, (old, old))
    write_atomically(sheet, b"%PDF- the sheet")
    assert sorted(tmp_path.iterdir()) == [sheet]


def test_an_audit_queue_larger_than_mgdesk_writes_is_refused_not_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit, "MAX_QUEUE_BYTES", 1000)
    log = AuditLog()
    log.queue_path.parent.mkdir(parents=True)
    log.queue_path.write_bytes(b'{"not": "an entry"}\n' * 100)
    with pytest.raises(AuditLogError, match="larger than 1000 bytes"):
        log.queued()
