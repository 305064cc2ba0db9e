"""The About box: version, active protocol, intended use, licences of what is bundled."""

from __future__ import annotations

import html
from importlib.resources import files
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from mgdesk import __version__, resources

if TYPE_CHECKING:
    from mgdesk.core.protocol import Protocol

INTENDED_USE = (
    "mgdesk gives clinicians decision support for treating hypomagnesemia in adults. "
    "It is not for children or pregnant patients. It does not replace clinical judgement: "
    "the prescriber reviews the basis of every order and stays responsible for it."
)
FONT_LICENCE = ("fonts", "LICENSE-DejaVu.txt")


def about_html(protocol: Protocol | None, installed_as: str | None = None) -> str:
    """The About text; protocol is None while it is still loading or could not be loaded."""
    parts = [
        f"<h2>mgdesk {html.escape(__version__)}</h2>",
        "<p>Offline decision support for the treatment of adult hypomagnesemia.</p>",
        f"<h3>Intended use</h3><p>{html.escape(INTENDED_USE)}</p>",
        "<h3>Active protocol</h3>",
        _protocol_html(protocol, installed_as),
        "<h3>Licences</h3><ul>",
        "<li>mgdesk: MIT licence.</li>",
        f"<li>Qt {html.escape(qVersion())} and PySide6 {html.escape(PySide6.__version__)} "
        "(Qt for Python): "
        "GNU Lesser General Public License version 3 (LGPL v3). You may replace the Qt and PySide6 "
        "libraries this copy of mgdesk uses with your own builds.</li>",
        "<li>DejaVu fonts: the Bitstream Vera font licence, DejaVu changes in the public domain "
        "(text below).</li>",
        "<li>pint: BSD 3-clause licence. Python: Python Software Foundation licence.</li></ul>",
    ]
    licence = files(resources).joinpath(*FONT_LICENCE)
    if licence.is_file():
        text = html.escape(licence.read_text(encoding="utf-8"))
        parts.append(f"<h3>DejaVu font licence</h3><pre>{text}</pre>")
    return "".join(parts)


def _protocol_html(protocol: Protocol | None, installed_as: str | None) -> str:
    if protocol is None:
        return "<p>No protocol is loaded.</p>"
    approval = protocol.approval
    rows = [
        ("Identifier", protocol.id),
        ("Version", protocol.version),
        ("Title", protocol.title),
        ("SHA-256", protocol.sha256),
    ]
    if installed_as:
        rows.append(("Installed as", installed_as))
    if approval.site_approved:
        rows += [
            ("Approved for", approval.site or "this site"),
            ("Approved by", approval.approved_by or ""),
            ("Effective", str(approval.effective_date or "")),
            ("Review by", str(approval.review_date or "")),
        ]
    else:
        rows.append(("Approval", "NOT approved by this site. " + approval.note))
    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(v)}</b></td></tr>" for k, v in rows
    )
    return f"<table cellpadding='2'>{body}</table>"


class AboutDialog(QDialog):
    def __init__(
        self,
        protocol: Protocol | None,
        installed_as: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About mgdesk")
        self.text = QTextBrowser()
        self.text.setAccessibleName("About mgdesk")
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(about_html(protocol, installed_as))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 560)
