"""Start the window: `mgdesk [CASE]`, and `--exit-after-startup` for smoke tests and benchmarks.

The window is painted first as a light shell; then the data folder is tidied, the interface
built, the protocol and the unit registry loaded and the case opened, so none of that delays
the first paint. With --exit-after-startup and no CASE the process ends at that first
paint (the start-up benchmark); with a CASE it ends once the case's plan is painted,
which exercises the whole start-up.

The application names its desktop entry (the Wayland app id, matched to the menu entry
and its icon) and sets its window icon itself: X11 shows none otherwise. A case the
system asks to open (macOS: a double-clicked .mgcase, a file dropped on the Dock icon)
arrives as a QFileOpenEvent; Windows and Linux pass it on the command line instead.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QEvent, QObject, QSize, QTimer
from PySide6.QtGui import QFileOpenEvent, QIcon, QWindow
from PySide6.QtWidgets import QApplication

from mgdesk import __version__, resources
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.settings import open_settings
from mgdesk.records.paths import APP_NAME, tidy_data_dir

if TYPE_CHECKING:
    import argparse

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CASE_NOT_OPENED = 2
# The reverse-DNS name of the desktop entry and metainfo (io.github.mgdesk.desktop).
DESKTOP_FILE_NAME = "io.github.mgdesk"
WINDOW_ICON_SIZES = (16, 32, 48, 64, 128, 256)


def application_icon() -> QIcon:
    """The app's icon at each bundled size; Qt reads a file only when a size is needed (its
    size is given, so not even a file's header is read before the first paint)."""
    icon = QIcon()
    # The resources are files beside their package (a wheel, and the installers' onedir
    # bundle); importlib.resources would add its imports to the start-up.
    folder = Path(resources.__file__).with_name("icons")
    for size in WINDOW_ICON_SIZES:
        icon.addFile(str(folder / f"mgdesk-{size}.png"), QSize(size, size))
    return icon


class CaseOpenRequests:
    """Cases the system asks to open: kept until the window is ready, then opened in it."""

    def __init__(self) -> None:
        self.pending: Path | None = None
        self._open: Callable[[Path], object] | None = None

    def open_with(self, open_case: Callable[[Path], object]) -> None:
        """From now on each request is opened with open_case."""
        self._open = open_case

    def handle(self, event: QEvent) -> bool:
        """Take a QFileOpenEvent (True); any other event is not for this (False)."""
        if not isinstance(event, QFileOpenEvent) or event.type() != QEvent.Type.FileOpen:
            return False
        path = Path(event.file())
        if self._open is None:
            self.pending = path
        else:
            self._open(path)
        return True


class MgdeskApplication(QApplication):
    def __init__(self, arguments: Sequence[str]) -> None:
        super().__init__(list(arguments))
        self.case_requests = CaseOpenRequests()

    def event(self, event: QEvent) -> bool:
        return self.case_requests.handle(event) or super().event(event)


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


def create_application(arguments: Sequence[str]) -> MgdeskApplication:
    """The QApplication, named as the desktop entry and the settings know it, with its icon."""
    # Qt's raster engine hands each large fill to a pool of threads and waits for them; the
    # hand-off costs more than the fill (an edit took a third longer on a busy 2-core machine).
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = MgdeskApplication(arguments)
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(application_icon())
    return app


def build_parser() -> argparse.ArgumentParser:
    import argparse

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
    options = parse_options(args)
    # High-DPI: Qt 6 scales by the screen's exact factor (PassThrough) without being asked.
    app = create_application(sys.argv[:1] or [APP_NAME])
    window = MainWindow(open_settings(), build=False)

    def after_first_paint() -> None:
        tidy_data_dir()  # before the autosaves are looked at, but after the first paint
        case: Path | None = options.case or app.case_requests.pending
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
            app.case_requests.open_with(open_when_settled(window))
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


class StartOptions(NamedTuple):
    case: Path | None
    exit_after_startup: bool


def parse_options(args: Sequence[str]) -> StartOptions:
    """The usual starts (nothing, a case, --exit-after-startup) are read directly; anything
    else goes to argparse, which explains a mistake (and first looks up its translations,
    which a usual start need not wait for)."""
    flags = [a for a in args if a.startswith("-")]
    cases = [a for a in args if not a.startswith("-")]
    if flags in ([], ["--exit-after-startup"]) and len(cases) <= 1:
        return StartOptions(Path(cases[0]) if cases else None, bool(flags))
    options = build_parser().parse_args(list(args))
    return StartOptions(options.case, options.exit_after_startup)


def open_when_settled(window: MainWindow) -> Callable[[Path], None]:
    """Open a case in window once its unsaved changes are saved or discarded."""

    def open_case(path: Path) -> None:
        # The system brings the app to the front with the request; no raise() needed.
        window.files.settle_unsaved_changes(lambda: window.files.open_case_file(path))

    return open_case
