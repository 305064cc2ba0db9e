"""The default paper of an order sheet: from the locale, never from a printer.

Asking the print system (QPrinterInfo, CUPS) for the default printer's paper can wait a
minute on a print server that does not answer, and reaches whatever server the machine is
configured for: producing a PDF must never depend on it. The rule, from the Unicode CLDR
paper-size data: Letter in the territories that use US Letter (the United States, Canada,
Mexico, the Philippines and some Central and South American countries, LETTER_TERRITORIES)
and wherever the locale measures in US units; A4 everywhere else, and for the C locale.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale

# CLDR supplemental data, paperSize "US-Letter" (ISO 3166 codes).
LETTER_TERRITORIES = frozenset(
    {"BZ", "CA", "CL", "CO", "CR", "GT", "MX", "NI", "PA", "PH", "PR", "SV", "US", "VE"}
)


def paper_for_locale(locale: QLocale) -> str:
    """ "letter" or "a4" for a locale (see the module's rule)."""
    if QLocale.territoryToCode(locale.territory()) in LETTER_TERRITORIES:
        return "letter"
    if locale.measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem:
        return "letter"
    return "a4"


def locale_paper() -> str:
    """The paper of the user's locale (Qt's default locale: the system's unless set)."""
    return paper_for_locale(QLocale())
