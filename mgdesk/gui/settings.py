"""Preferences in Qt's settings store, behind a small typed API.

With MGDESK_DATA_DIR set (tests always set it) the store is an INI file in that folder,
and Qt's own per-user settings (a file dialog's recent folders) are pointed there too,
so nothing is written to the real profile.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from mgdesk.core.paths import APP_NAME, data_override, user_data_dir

# The order sheet's paper keys (mgdesk.printing.render); "" follows the printer or the locale.
PAPER_SIZES = ("", "a4", "letter")
SETTINGS_FILE = "settings.ini"


class Settings:
    """Typed access to mgdesk's preferences; values are written through at once."""

    def __init__(self, store: QSettings) -> None:
        self._store = store

    @property
    def location(self) -> str:
        return self._store.fileName()

    def _text(self, key: str) -> str:
        value = self._store.value(key, "")
        return value if isinstance(value, str) else ""

    def _bytes(self, key: str) -> QByteArray:
        value = self._store.value(key)
        return value if isinstance(value, QByteArray) else QByteArray()

    @property
    def facility_name(self) -> str:
        return self._text("sheet/facility_name")

    @facility_name.setter
    def facility_name(self, value: str) -> None:
        self._store.setValue("sheet/facility_name", value.strip())

    @property
    def paper_size(self) -> str:
        value = self._text("sheet/paper_size")
        return value if value in PAPER_SIZES else ""

    @paper_size.setter
    def paper_size(self, value: str) -> None:
        if value not in PAPER_SIZES:
            raise ValueError(f"paper size must be one of {PAPER_SIZES}")
        self._store.setValue("sheet/paper_size", value)

    @property
    def last_prescriber(self) -> str:
        return self._text("sheet/last_prescriber")

    @last_prescriber.setter
    def last_prescriber(self, value: str) -> None:
        self._store.setValue("sheet/last_prescriber", value.strip())

    @property
    def window_geometry(self) -> QByteArray:
        return self._bytes("window/geometry")

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._store.setValue("window/geometry", value)

    def splitter_state(self, name: str) -> QByteArray:
        return self._bytes(f"window/splitter_{name}")

    def set_splitter_state(self, name: str, value: QByteArray) -> None:
        self._store.setValue(f"window/splitter_{name}", value)

    def sync(self) -> None:
        self._store.sync()


def open_settings() -> Settings:
    """The settings store: under MGDESK_DATA_DIR when set, else Qt's per-user location."""
    if data_override() is None:
        return Settings(
            QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME)
        )
    folder = user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    return Settings(QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat))
