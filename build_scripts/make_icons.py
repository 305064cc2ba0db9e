"""Render resources/icons/mgdesk.svg to the PNG, .ico and .icns files the installers use.

Run it after editing the SVG (`python build_scripts/make_icons.py`) and commit the results;
builds read the committed files, so no build needs an image library. Qt's SVG renderer is
used because it exists on every build OS.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
# The window icon the app sets itself (X11 shows no icon otherwise), inside the package.
WINDOW_ICONS = ICONS.parent.parent / "mgdesk" / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
WINDOW_ICON_SIZES = (16, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple's icon types that hold PNG data, with their pixel sizes.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    QImageWriter(buffer, QByteArray(b"PNG")).write(image)
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An .ico whose entries are PNG images (read by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(ICO_SIZES))
    offset = len(header) + 16 * len(ICO_SIZES)
    entries, images = b"", b""
    for size in ICO_SIZES:
        data = pngs[size]
        side = size % 256  # 0 means 256 in an icon directory
        entry = (side, side, 0, 0, 1, 32, len(data), offset + len(images))
        entries += struct.pack("<BBBBHHII", *entry)
        images += data
    return header + entries + images


def icns(pngs: dict[int, bytes]) -> bytes:
    chunks = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "mgdesk.svg"))
    if not renderer.isValid():
        print("mgdesk.svg is not a valid SVG", file=sys.stderr)
        return 1
    pngs = {size: render(renderer, size) for size in {*PNG_SIZES, *(s for _, s in ICNS_TYPES)}}
    (ICONS / "png").mkdir(exist_ok=True)
    for size in PNG_SIZES:
        (ICONS / "png" / f"mgdesk-{size}.png").write_bytes(pngs[size])
    for size in WINDOW_ICON_SIZES:
        (WINDOW_ICONS / f"mgdesk-{size}.png").write_bytes(pngs[size])
    (ICONS / "mgdesk.ico").write_bytes(ico(pngs))
    (ICONS / "mgdesk.icns").write_bytes(icns(pngs))
    print(f"wrote {len(PNG_SIZES)} PNGs, mgdesk.ico and mgdesk.icns in {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
