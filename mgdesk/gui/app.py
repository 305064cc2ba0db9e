"""Start the window: `mgdesk [CASE]`, and `--exit-after-startup` for smoke tests and benchmarks.

The window is painted first as a light shell; then the interface is built, the
protocol and the unit registry loaded and the case opened, so none of that delays
the first paint. With --exit-after-startup and no CASE the process ends at that first
paint (the start-up benchmark); with a CASE it ends once the case's plan is painted,
which exercises the whole start-up.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import QApplication

from mgdesk import __version__
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings
from mgdesk.records.paths import APP_NAME, tidy_data_dir

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CASE_NOT_OPENED = 2


class FirstExpose(QObject):
    """Calls back once, after the window has first been exposed (and so painted)."""

    def __init__(self, window: QWindow, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._callback: Callable[[], None] | None = callback
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            self._callback is not None
            and event.type() == QEvent.Type.Expose
            and isinstance(watched, QWindow)
            and watched.isExposed()
        ):
            # The widgets paint while this Expose is handled; the callback runs just after.
            QTimer.singleShot(0, self._callback)
            self._callback = None
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgdesk", description="Decision support for adult hypomagnesemia."
    )
    parser.add_argument("case", nargs="?", type=Path, help="a case file to open")
    parser.add_argument(
        "--exit-after-startup",
        action="store_true",
        help="quit once the window is first painted (with CASE: once the case's plan is "
        "painted); exit status 0, or 2 if CASE could not be opened",
    )
    return parser


def run(args: Sequence[str]) -> int:
    if sys.stderr is None:  # a windowed build has no console
        sys.stderr = io.StringIO()
    if sys.stdout is None:
        sys.stdout = io.StringIO()
    options = build_parser().parse_args(list(args))
    tidy_data_dir()
    # High-DPI: Qt 6 scales by the screen's exact factor (PassThrough) without being asked.
    app = QApplication(sys.argv[:1] or [APP_NAME])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    window = MainWindow(open_settings(), build=False)
    case: Path | None = options.case

    def after_first_paint() -> None:
        if options.exit_after_startup and case is None:
            app.exit(EXIT_OK)
            return
        try:
            opened = window.finish_startup(case)
        except Exception:
            if not options.exit_after_startup:
                raise
            import traceback

            traceback.print_exc()
            app.exit(EXIT_FAILED)
            return
        if not options.exit_after_startup:
            window.files.offer_autosaved_work()  # a question: never asked by the smoke test
            return
        if not opened:
            print(f"mgdesk: {window.statusBar().currentMessage()}", file=sys.stderr)
        window.repaint()
        code = EXIT_OK if opened else EXIT_CASE_NOT_OPENED
        QTimer.singleShot(0, lambda: app.exit(code))

    window.winId()  # creates the native window, so the expose filter is in place before show()
    handle = window.windowHandle()
    assert handle is not None
    FirstExpose(handle, after_first_paint)
    window.show()
    return app.exec()
