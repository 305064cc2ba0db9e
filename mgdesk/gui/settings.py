"""Preferences in Qt's settings store, behind a small typed API.

With MGDESK_DATA_DIR set (tests always set it) the store is an INI file in that folder,
and Qt's own per-user settings (a file dialog's recent folders) are pointed there too,
so nothing is written to the real profile. The settings file is readable by its user only.

A damaged settings file never stops the window: it is renamed aside
(settings.ini.corrupt-<timestamp>, kept for inspection), the defaults are used, and
Settings.notices says so for the window to show. A value of the wrong type (edited by
hand, or written by another version) reads as its default.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from mgdesk.records.paths import APP_NAME, data_override, make_private_file, private_data_dir

# The order sheet's paper keys (mgdesk.printing.render); "" follows the locale (never a printer).
PAPER_SIZES = ("", "a4", "letter")
# The decimal separator of the window and the sheet; "" follows the system locale.
DECIMAL_SEPARATORS = ("", ".", ",")
SETTINGS_FILE = "settings.ini"
RECENT_FILES_KEPT = 8


class Settings:
    """Typed access to mgdesk's preferences; values are written through at once."""

    def __init__(self, store: QSettings, notices: tuple[str, ...] = ()) -> None:
        self._store = store
        self.notices = notices  # what the user must be told about the store itself

    @property
    def location(self) -> str:
        return self._store.fileName()

    def _text(self, key: str) -> str:
        value = self._store.value(key, "")
        return value if isinstance(value, str) else ""

    def _bytes(self, key: str) -> QByteArray:
        value = self._store.value(key)
        return value if isinstance(value, QByteArray) else QByteArray()

    def _flag(self, key: str, default: bool) -> bool:
        # INI files hold text: a flag comes back as "true" or "false".
        value = self._store.value(key, default)
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(str(value).lower(), default)

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

    def sheet_paper(self) -> str:
        """The paper of a new order sheet: the one chosen, else the locale's
        (mgdesk.printing.paper). Never asks a printer: that may wait a minute on CUPS."""
        from mgdesk.printing.paper import locale_paper  # not needed for the first paint

        return self.paper_size or locale_paper()

    @property
    def decimal_separator(self) -> str:
        value = self._text("display/decimal_separator")
        return value if value in DECIMAL_SEPARATORS else ""

    @decimal_separator.setter
    def decimal_separator(self, value: str) -> None:
        if value not in DECIMAL_SEPARATORS:
            raise ValueError(f"decimal separator must be one of {DECIMAL_SEPARATORS}")
        self._store.setValue("display/decimal_separator", value)

    @property
    def last_prescriber(self) -> str:
        return self._text("sheet/last_prescriber")

    @last_prescriber.setter
    def last_prescriber(self, value: str) -> None:
        self._store.setValue("sheet/last_prescriber", value.strip())

    @property
    def last_prescriber_registration(self) -> str:
        return self._text("sheet/last_prescriber_registration")

    @last_prescriber_registration.setter
    def last_prescriber_registration(self, value: str) -> None:
        self._store.setValue("sheet/last_prescriber_registration", value.strip())

    @property
    def last_prescriber_contact(self) -> str:
        return self._text("sheet/last_prescriber_contact")

    @last_prescriber_contact.setter
    def last_prescriber_contact(self, value: str) -> None:
        self._store.setValue("sheet/last_prescriber_contact", value.strip())

    @property
    def record_patient_id(self) -> bool:
        """The site's choice to store the patient id in the audit log (off unless chosen)."""
        return self._flag("audit/record_patient_id", False)

    @record_patient_id.setter
    def record_patient_id(self, value: bool) -> None:
        self._store.setValue("audit/record_patient_id", bool(value))

    @property
    def recent_files(self) -> list[Path]:
        """Case files opened or saved, newest first."""
        value = self._store.value("files/recent", [])
        names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [Path(n) for n in names if isinstance(n, str) and n][:RECENT_FILES_KEPT]

    @recent_files.setter
    def recent_files(self, paths: list[Path]) -> None:
        unique = list(dict.fromkeys(str(p) for p in paths))[:RECENT_FILES_KEPT]
        self._store.setValue("files/recent", unique)

    def add_recent_file(self, path: Path) -> None:
        self.recent_files = [path, *self.recent_files]

    def remove_recent_files(self, paths: list[Path]) -> None:
        self.recent_files = [p for p in self.recent_files if p not in paths]

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
        return _checked(
            lambda: QSettings(
                QSettings.Format.NativeFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME
            )
        )
    folder = private_data_dir()
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    return _checked(lambda: QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat))


def _checked(open_store: Callable[[], QSettings]) -> Settings:
    """The store, or a fresh one if its file is damaged (the damaged file renamed aside)."""
    store = _private(open_store())
    file = Path(store.fileName())
    if store.status() == QSettings.Status.AccessError:
        return Settings(
            store,
            (
                f"The settings file {file} cannot be read: mgdesk uses its defaults, and "
                "changes to the settings may not be kept.",
            ),
        )
    if store.status() != QSettings.Status.FormatError and not _damaged(file):
        return Settings(store)
    del store  # unchanged, so it writes nothing back
    from datetime import datetime  # only for a damaged file: not on the way to the first paint

    stamp = f"{datetime.now():%Y%m%dT%H%M%S}"
    aside = file.with_name(f"{file.name}.corrupt-{stamp}")
    for number in range(2, 100):  # never over an earlier damaged file
        if not aside.exists():
            break
        aside = file.with_name(f"{file.name}.corrupt-{stamp}-{number}")
    try:
        file.rename(aside)
    except OSError as exc:
        kept = f"it could not be renamed aside ({exc.strerror or exc}) and is left as it is"
    else:
        kept = f"it is kept as {aside} for inspection"
    return Settings(
        _private(open_store()),
        (f"The settings file {file} was damaged: mgdesk uses its defaults, and {kept}.",),
    )


def _private(store: QSettings) -> QSettings:
    """store, its file made readable by this user only before Qt writes it (Qt keeps the
    mode of the file it replaces, and gives a new one the umask's)."""
    file = Path(store.fileName())
    if sys.platform != "win32" and file.suffix.lower() in (".ini", ".conf"):
        with contextlib.suppress(OSError):  # the store still works, as the umask allows
            make_private_file(file)
    return store


def _damaged(file: Path) -> bool:
    """What Qt's INI reader lets through: NUL bytes (a block lost in a crash) or non-UTF-8."""
    if file.suffix.lower() not in (".ini", ".conf"):
        return False  # a native store that is not a file (the Windows registry)
    try:
        data = file.read_bytes()
    except OSError:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\x00" in data
