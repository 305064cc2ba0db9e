"""Render the main window, the algorithm view and the order sheet dialog to PNG, offscreen.

    python scripts/screenshots.py [--out docs/screenshots] [--scale 2] [--only NAME ...]

Cases come from the shared worked cases (the case is under "case") and the bundled
examples. Nothing is written outside the output folder: settings go to a temporary
MGDESK_DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKED_CASES = ROOT / "tests" / "data" / "cases"
# (name, source, step to select in the algorithm view)
CASES = (
    ("severe-tetany", "worked:v08.json", "treatment"),
    ("torsades-low-potassium", "worked:v06.json", "torsades"),
    ("creatinine-missing", "worked:v29.json", "renal"),
    ("oral-failed", "worked:v19.json", "treatment"),
    ("unit-confusion", "example:high-unit-confusion.json", "magnesium"),
    ("magnesium-without-unit", "worked:v05.json", None),
    ("emergency-invalid-torsades", "invalid:torsades-unprintable-name", None),
    ("emergency-invalid-tetany", "invalid:tetany-potassium-1.2", None),
    ("adjusted-body-weight", "worked:y01.json", "renal"),
    ("magnesium-given-infusion-cut", "worked:y22.json", "magnesium_given"),
)
# Cases whose form is shown scrolled down to the magnesium given (protocol 1.1).
SCROLLED_TO_GIVEN = ("magnesium-given-infusion-cut",)
# Cases not valid as a whole whose emergency orders are shown all the same: (worked case,
# changes as {"section.field": value}).
INVALID_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "torsades-unprintable-name": (
        "v06.json",
        {"patient.name": "Smith, John \u202e", "clinical.torsades": "pulseless"},
    ),
    "tetany-potassium-1.2": ("v08.json", {"labs.potassium": "1.2 mmol/L"}),
}
DARK_CASE = "torsades-low-potassium"
# The clinic sizes, each in light and dark: window-WIDTHxHEIGHT-light.png and -dark.png.
CLINIC_SIZES = ((1024, 700), (1920, 1080))
CLINIC_CASE = "worked:v06.json"  # torsades: the emergency banner, a stop warning, two orders
FULL_CHART_CASE = "oral-failed"


def load_case(source: str) -> dict[str, Any]:
    kind, name = source.split(":", 1)
    if kind == "invalid":
        worked, changes = INVALID_CASES[name]
        document = load_case(f"worked:{worked}")
        for field, value in changes.items():
            section, key = field.split(".")
            document[section][key] = value
        return document
    if kind == "example":
        from mgdesk import resources

        text = files(resources).joinpath("examples", name).read_text(encoding="utf-8")
        document: dict[str, Any] = json.loads(text)
        return document
    case: dict[str, Any] = json.loads((WORKED_CASES / name).read_text(encoding="utf-8"))["case"]
    return case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="device pixel ratio (2 for high-DPI)"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="render only these cases (no sheet dialog)"
    )
    options = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["MGDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="mgdesk-screenshots-")
    if options.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(options.scale)

    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QWidget

    from mgdesk.gui.main_window import MainWindow
    from mgdesk.gui.settings import open_settings

    app = screenshot_app()
    options.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if options.scale == 1.0 else f"@{options.scale:g}x"

    def save(widget: QWidget, name: str) -> None:
        path = options.out / f"{name}{suffix}.png"
        widget.grab().save(str(path))
        print(path)

    from mgdesk.core.protocol_loader import default_protocol

    protocol = default_protocol()
    light = app.palette()
    for name, source, step in CASES:
        if options.only and name not in options.only:
            continue
        for dark in (False, True) if name == DARK_CASE else (False,):
            app.setPalette(dark_palette(QColor, QPalette) if dark else light)
            window = MainWindow(open_settings())
            window.resize(1600, 980)
            window.splitter.setSizes([440, 520, 640])  # not the layout the last shot saved
            window.install_protocol(protocol)
            problems = window.form.load(load_case(source))
            if problems:
                raise SystemExit(f"{source}: {problems}")
            window.show()
            if step is not None:
                window.algorithm.select_node(step)
            app.processEvents()
            if name in SCROLLED_TO_GIVEN:
                given = window.form_view.given.mapTo(window.form_view, QPoint(0, 0))
                window.form_scroll.verticalScrollBar().setValue(given.y() - 40)
                app.processEvents()
            tag = f"{name}-dark" if dark else name
            save(window, f"{tag}-window")
            if source.startswith("invalid:"):  # no plan, so no path to show
                window.close()
                continue
            window.resize(2000, 1300)
            window.splitter.setSizes([400, 450, 1150])
            app.processEvents()
            if step is not None:
                window.algorithm.select_node(step)
            save(window.algorithm, f"{tag}-algorithm")
            if name == FULL_CHART_CASE and not dark:
                save_chart(window, options.out / f"{name}-chart{suffix}.png")
            window.close()
            window.deleteLater()
            app.processEvents()
    app.setPalette(light)
    if options.only:
        return 0
    small = MainWindow(open_settings())
    small.resize(900, 620)
    small.install_protocol(protocol)
    small.form.load(load_case("worked:v08.json"))
    small.show()
    app.processEvents()
    save(small, "small-window")
    small.close()
    for width, height in CLINIC_SIZES:
        for dark in (False, True):
            app.setPalette(dark_palette(QColor, QPalette) if dark else light)
            window = MainWindow(open_settings())
            window.resize(width, height)
            window.install_protocol(protocol)
            window.form.load(load_case(CLINIC_CASE))
            window.show()
            app.processEvents()
            save(window, f"window-{width}x{height}-{'dark' if dark else 'light'}")
            window.close()
            window.deleteLater()
            app.processEvents()
    app.setPalette(light)
    save_sheet_dialog(protocol, save)
    return 0


def screenshot_app() -> Any:
    """The QApplication every screenshot is taken in: the Fusion style and the bundled font, so
    pictures look the same on any machine."""
    from PySide6.QtGui import QFont, QFontDatabase
    from PySide6.QtWidgets import QApplication

    from mgdesk import resources

    app = QApplication([sys.argv[0]])
    app.setStyle("Fusion")
    font_file = files(resources).joinpath("fonts", "DejaVuSans.ttf")
    if font_file.is_file():
        QFontDatabase.addApplicationFontFromData(font_file.read_bytes())
        app.setFont(QFont("DejaVu Sans", 9))
    return app


def save_sheet_dialog(protocol: Any, save: Any) -> None:
    """The order sheet dialog of a torsades case, its stop-level warning not yet acknowledged."""
    from mgdesk.gui.main_window import MainWindow
    from mgdesk.gui.settings import open_settings
    from mgdesk.gui.sheet_dialog import OrderSheetDialog

    settings = open_settings()
    settings.facility_name = "St Elsewhere General Hospital"
    settings.last_prescriber = "Dr Jane Roe"
    settings.paper_size = "a4"
    window = MainWindow(settings)
    window.resize(1600, 980)
    window.install_protocol(protocol)
    window.form.load(load_case("example:torsades-with-pulse.json"))
    window.show()
    window.menus.open_order_sheet()
    dialog = window.findChild(OrderSheetDialog)
    assert dialog is not None
    dialog.resize(dialog.sizeHint().expandedTo(dialog.minimumSizeHint()))
    save(dialog, "order-sheet-dialog")


def save_chart(window: Any, path: Path) -> None:
    """The whole flowchart, not only the part the view shows."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter

    scene = window.algorithm.chart.chart
    area = scene.sceneRect()
    image = QImage(int(area.width()), int(area.height()), QImage.Format.Format_ARGB32)
    image.fill(scene.backgroundBrush().color())
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.render(painter, QRectF(image.rect()), area)
    painter.end()
    image.save(str(path))
    print(path)


def dark_palette(colour: Any, palette_class: Any) -> Any:
    """A dark palette like the ones desktop themes use (roles only; no widget is styled by hand)."""
    palette = palette_class()
    role = palette_class.ColorRole
    for name, value in (
        ("Window", "#2b2b2b"),
        ("WindowText", "#e6e6e6"),
        ("Base", "#1e1e1e"),
        ("AlternateBase", "#2f2f2f"),
        ("Text", "#e6e6e6"),
        ("Button", "#353535"),
        ("ButtonText", "#e6e6e6"),
        ("Highlight", "#3d7fcf"),
        ("HighlightedText", "#ffffff"),
        ("Link", "#8ab4f8"),
        ("PlaceholderText", "#9a9a9a"),
        ("ToolTipBase", "#2b2b2b"),
        ("ToolTipText", "#e6e6e6"),
        ("Mid", "#4a4a4a"),
        ("Dark", "#202020"),
        ("Light", "#505050"),
        ("Midlight", "#404040"),
        ("Shadow", "#000000"),
        ("BrightText", "#ffffff"),
    ):
        palette.setColor(getattr(role, name), colour(value))
    return palette


if __name__ == "__main__":
    sys.exit(main())
