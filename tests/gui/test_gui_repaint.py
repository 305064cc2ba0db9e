"""What an edit leaves on screen is what a full repaint draws: the window repaints only what
changed after an edit, and must never leave a stale pixel behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gui_support import pick, set_checked, type_text
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from test_gui_form import enter_mild_man

from mgdesk.gui.main_window import MainWindow


def on_screen(window: MainWindow) -> QImage:
    """The window as last painted (the offscreen platform's backing store)."""
    QApplication.processEvents()
    QApplication.processEvents()
    return window.screen().grabWindow(window.winId()).toImage()


def repainted(window: MainWindow, format_of: QImage) -> QImage:
    return window.grab().toImage().convertToFormat(format_of.format())


def test_edits_that_move_the_form_leave_no_stale_pixels(qtbot: QtBot, window: MainWindow) -> None:
    enter_mild_man(qtbot, window)
    edits = [
        lambda: type_text(qtbot, window, "labs.potassium", "abc"),  # an error: the form grows
        lambda: type_text(qtbot, window, "patient.weight", "-"),  # another
        lambda: type_text(qtbot, window, "labs.potassium", "4.2"),  # gone: the form shrinks
        lambda: type_text(qtbot, window, "patient.weight", "80"),
        lambda: pick(qtbot, window.form_view.unit_pickers["labs.magnesium"], "mmol/L"),
        lambda: type_text(qtbot, window, "labs.magnesium", "0.3"),  # a longer note
        lambda: set_checked(qtbot, window.form_view.symptoms["seizure"], True),  # the banner
        lambda: type_text(qtbot, window, "labs.creatinine", ""),  # no plan: notes go
        lambda: set_checked(qtbot, window.form_view.symptoms["seizure"], False),
    ]
    for edit in edits:
        edit()
        shown = on_screen(window)
        assert shown == repainted(window, shown)


class PaintCounter(QObject):
    """Counts the paint events a widget receives."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.count += event.type() == QEvent.Type.Paint
        return False


def test_a_reworded_headline_repaints_the_headline_not_the_orders(
    qtbot: QtBot, window: MainWindow
) -> None:
    enter_mild_man(qtbot, window)
    on_screen(window)
    orders = PaintCounter(window.plan_view.details)
    headline = PaintCounter(window.plan_view.status)
    # Qt's tab widget, which holds the plan column, repainted all of it for any new wording.
    window.plan_view.status.setText("Plan complete, reworded")
    shown = on_screen(window)
    assert (headline.count, orders.count) == (1, 0)
    assert shown == repainted(window, shown)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
def test_painting_the_window_starts_no_worker_thread(tmp_path: Path) -> None:
    # Qt hands large fills to a thread pool unless told not to; the hand-off made edits slower.
    probe = (
        "import os\n"
        "from mgdesk.gui.app import create_application\n"
        "from mgdesk.gui.main_window import MainWindow\n"
        "from mgdesk.gui.settings import open_settings\n"
        "app = create_application(['mgdesk'])\n"
        "window = MainWindow(open_settings())\n"
        "window.resize(1600, 1000)\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "window.show()\n"
        "app.processEvents()\n"
        "window.grab()\n"
        "print(before, len(os.listdir('/proc/self/task')))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MGDESK_DATA_DIR": str(tmp_path)}
    env.pop("QT_NO_GUI_THREADPOOL", None)
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split()[-2:]
    assert after == before
