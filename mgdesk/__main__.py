"""Entry point. `mgdesk [CASE]` opens the window; subcommands run headless."""

from __future__ import annotations

import atexit
import gc
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

# Subcommand -> module whose run(argv) handles it. Imported only when used, so the
# window's start-up never pays for the command line and vice versa.
COMMANDS = {
    "evaluate": "mgdesk.commands.evaluate",
    "sheet": "mgdesk.commands.sheet",
    "self-test": "mgdesk.commands.selftest",
    "protocol": "mgdesk.commands.admin",
    "audit": "mgdesk.commands.admin",
}

USAGE = """\
usage: mgdesk [CASE]                      open the window (with a case file)
       mgdesk --exit-after-startup [CASE] open the window, wait until painted, exit
       mgdesk evaluate CASE [--format text|json|jsonl] [--protocol FILE]
       mgdesk sheet CASE (-o OUT.pdf | --printer NAME) --prescriber NAME
                    [--prescriber-registration TEXT] [--prescriber-contact TEXT]
                    [--acknowledge CODE[,CODE...]] [--facility NAME]
                    [--paper a4|letter] [--protocol FILE]
       mgdesk protocol install FILE [--user] | check FILE [--cases PATH ...] | show
       mgdesk protocol compare OLD NEW [-o REPORT.pdf] [--cases PATH ...] [--generated N]
       mgdesk protocol edit [FILE] [--cases PATH ...]
       mgdesk audit list [--db PATH] [--last N] [--json]
       mgdesk audit verify [--db PATH] [--sheet HASH]
       mgdesk self-test
       mgdesk --version

Each command takes --help. Decision support for clinicians treating adults with
hypomagnesemia: the prescriber reviews the basis of every order and stays responsible."""

# Written to the console the windowed program (mgdesk-gui.exe) attached to: the shell that
# started it does not wait for it, so its output arrives after the prompt.
WINDOWED_NOTE = (
    "mgdesk: mgdesk-gui.exe is the window program; the prompt does not wait for it. Run "
    "commands with mgdesk.exe (in the same folder) to wait for them and get their exit status.\n"
)


def without_process_serial_number(args: Sequence[str]) -> list[str]:
    """args less the -psn_0_12345 that macOS Finder may pass to an app it launches."""
    return [arg for arg in args if not arg.startswith("-psn_")]


def attach_to_parent_console(
    attach: Callable[[], bool], open_console: Callable[[], IO[str]]
) -> bool:
    """Give a program without standard streams its parent's console, if it has one.

    True if attached: sys.stdout and sys.stderr then write to that console.
    """
    if sys.stdout is not None or sys.stderr is not None or not attach():
        return False
    sys.stdout, sys.stderr = open_console(), open_console()
    sys.stderr.write(WINDOWED_NOTE)
    return True


def _attach_windows_parent_console() -> bool:
    if sys.platform == "win32":
        import ctypes

        attach_parent_process = -1
        return bool(ctypes.windll.kernel32.AttachConsole(attach_parent_process))
    return False


def _open_windows_console() -> IO[str]:
    return Path("CONOUT$").open("w", encoding="utf-8", errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    args = without_process_serial_number(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        # mgdesk-gui.exe started from a prompt: show the command's output there. Started
        # otherwise (no console), the command runs with its output discarded.
        attach_to_parent_console(_attach_windows_parent_console, _open_windows_console)
    if args[:2] == ["protocol", "edit"]:  # a window: the command line layer has no Qt widgets
        from mgdesk.commands.admin import parse_arguments
        from mgdesk.commands.streams import standard_error
        from mgdesk.gui.protocol_editor import run_editor

        sys.stderr = standard_error()  # a file it refuses is named there, in UTF-8
        parsed = parse_arguments(args)
        return parsed if isinstance(parsed, int) else run_editor(parsed.file, parsed.cases)
    if args and args[0] in COMMANDS:
        if argv is None:  # mgdesk owns the process, not a test calling main()
            # A command is one short run whose objects, most of them the tens of thousands
            # pint and Qt create on import, live until it ends: the cycle collector's passes
            # over them reclaim nothing and cost `mgdesk sheet` about 15 ms while it runs and
            # 40 ms more at exit. Evaluations leave no reference cycles, so a long batch
            # (evaluate --format jsonl) does not grow either. At exit each command has closed
            # what it wrote (the PDF renamed into place, the audit database committed and
            # closed), stdout and stderr are still flushed, and the system takes the memory back.
            gc.disable()
            atexit.register(gc.freeze)
        module = importlib.import_module(COMMANDS[args[0]])
        return int(module.run(args))
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if args and args[0] == "--version":
        from mgdesk import __version__

        print(f"mgdesk {__version__}")
        return 0
    from mgdesk.gui.app import run as run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
