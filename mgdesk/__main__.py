"""Entry point. `mgdesk [CASE]` opens the window; subcommands run headless."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# Subcommand -> module whose run(argv) handles it. Imported only when used, so the
# window's start-up never pays for the command line and vice versa.
COMMANDS = {
    "evaluate": "mgdesk.cli",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[args[0]])
        return int(module.run(args))
    if args and args[0] in ("-h", "--help", "--version"):
        from mgdesk.cli import run

        return run(args)
    from mgdesk.gui.app import run as run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
