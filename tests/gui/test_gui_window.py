"""The window around the parts: settings, layout, About, preferences, files, palettes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gui_support import action, make_window, shared_case
from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsTextItem
from pytestqt.qtbot import QtBot

from mgdesk import __version__
from mgdesk.core.protocol import Protocol
from mgdesk.core.text import FACILITY_LIMIT
from mgdesk.gui.about import AboutDialog
from mgdesk.gui.colours import contrast_ratio, level_tint
from mgdesk.gui.main_window import MainWindow
from mgdesk.gui.preferences import PreferencesDialog
from mgdesk.gui.settings import open_settings
from mgdesk.records.installed_hash import record_installed_hash

DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#3d7fcf",
    QPalette.ColorRole.Link: "#8ab4f8",
}


def test_settings_live_under_the_data_folder(data_dir: Path) -> None:
    settings = open_settings()
    assert Path(settings.location).parent == data_dir
    settings.facility_name = "  St Elsewhere  "
    settings.last_prescriber = "Dr A. Test"
    settings.paper_size = "letter"
    settings.sync()
    again = open_settings()
    assert (again.facility_name, again.last_prescriber, again.paper_size) == (
        "St Elsewhere",
        "Dr A. Test",
        "letter",
    )
    with pytest.raises(ValueError):
        again.paper_size = "A3"
    assert (data_dir / "settings.ini").is_file()


def test_qt_user_settings_are_redirected_too(data_dir: Path) -> None:
    open_settings()
    qt_own = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "QtProject")
    assert Path(qt_own.fileName()).is_relative_to(data_dir)


def test_window_geometry_and_splitters_are_remembered(qtbot: QtBot, protocol: Protocol) -> None:
    window = make_window(qtbot, protocol)
    # The offscreen screen is small: a size it can hold comes back exactly.
    size = QSize(window.minimumWidth(), 700)
    window.resize(size)
    window.splitter.setSizes([450, 350, 500])
    sizes = window.splitter.sizes()
    window.close()
    again = MainWindow(open_settings())  # no resize: the saved geometry is what it gets
    qtbot.addWidget(again)
    again.install_protocol(protocol)
    again.show()
    qtbot.waitExposed(again)
    assert again.size() == size
    assert again.splitter.sizes() == sizes


def test_the_order_sheet_action_is_named_disabled_and_on_ctrl_p(window: MainWindow) -> None:
    sheet = window.menus.order_sheet_action
    assert sheet.objectName() == "order_sheet_action"
    assert sheet.shortcut() == QKeySequence("Ctrl+P")
    assert not sheet.isEnabled()


def test_current_case_and_plan_is_there_only_with_a_plan(qtbot: QtBot, window: MainWindow) -> None:
    assert window.current_case_and_plan() is None
    with qtbot.waitSignal(window.assessment_shown, timeout=1000):
        assert window.form.load(shared_case("v01.json")["case"]) == []
    current = window.current_case_and_plan()
    assert current is not None
    case, plan = current
    assert plan is window.plan_view.plan and case.patient.age_years == 50


def test_main_actions_have_shortcuts(window: MainWindow) -> None:
    for text in (
        "New case",
        "Open case…",
        "Save case",
        "Save case as…",
        "Order sheet…",
        "Quit",
        "Case form",
        "Plan",
        "Algorithm steps",
        "Previous step",
        "Next step",
        "Zoom in",
        "Zoom out",
        "About mgdesk",
        "Preferences…",
    ):
        assert not action(window, text).shortcut().isEmpty(), text


def test_about_tells_version_protocol_use_and_licences(
    qtbot: QtBot, window: MainWindow, protocol: Protocol
) -> None:
    dialog = AboutDialog(protocol, "bundled default", window)
    qtbot.addWidget(dialog)
    text = " ".join(dialog.text.toPlainText().split())
    for expected in (
        __version__,
        protocol.id,
        protocol.version,
        protocol.sha256,
        "NOT approved by this site",
        "decision support",
        "adults",
        "prescriber",
        "stays responsible",
        "LGPL",
        "PySide6",
        "DejaVu",
        "Bitstream Vera",
        "bundled default",
    ):
        assert expected in text, expected


def test_about_opens_without_blocking(qtbot: QtBot, window: MainWindow) -> None:
    action(window, "About mgdesk").trigger()  # the guard fails the test if this were exec()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.close()


def test_preferences_are_saved_on_accept(qtbot: QtBot, window: MainWindow) -> None:
    dialog = PreferencesDialog(window.settings, window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.facility, "Ward 7")
    dialog.paper.setCurrentIndex(dialog.paper.findData("a4"))
    assert not dialog.record_patient_id.isChecked()  # off unless the site asks for it
    dialog.record_patient_id.setChecked(True)
    dialog.accept()
    assert open_settings().facility_name == "Ward 7"
    assert open_settings().paper_size == "a4"
    assert open_settings().record_patient_id


def test_the_facility_name_takes_no_more_than_the_sheet_prints(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = PreferencesDialog(window.settings, window)
    qtbot.addWidget(dialog)
    assert dialog.facility.maxLength() == FACILITY_LIMIT


def test_a_case_is_saved_and_opened_again(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.form.load(shared_case("v16.json")["case"]) == []
    plan = window.plan_view.plan
    path = tmp_path / "saved.json"
    assert window.files.save_case_file(path)
    window.files.new_case()
    assert window.plan_view.plan is None
    assert window.files.open_case_file(path)
    assert window.plan_view.plan == plan
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "mgdesk-case/1"


def test_a_file_that_is_not_a_case_changes_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    assert window.form.load(shared_case("v01.json")["case"]) == []
    before = window.form.document()
    for name, content in (
        ("broken.json", "{not json"),
        ("nan.json", '{"labs": NaN}'),
        ("list.json", "[]"),
    ):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert not window.files.open_case_file(path)
        assert window.form.document() == before
        assert name in window.notices.label.text()
    assert not window.files.open_case_file(tmp_path / "missing.json")
    assert "there is no such file" in window.notices.label.text()
    assert window.notices.isVisible()


def test_colours_read_well_on_light_and_dark_palettes(qtbot: QtBot, protocol: Protocol) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    dark = QPalette(light)
    for role, value in DARK.items():
        dark.setColor(role, QColor(value))
    try:
        for palette in (light, dark):
            app.setPalette(palette)
            window = make_window(qtbot, protocol)
            assert window.form.load(shared_case("v06.json")["case"]) == []
            text = window.palette().color(QPalette.ColorRole.Text)
            for level in ("stop", "caution", "info"):
                tint = level_tint(window.palette(), level)
                assert contrast_ratio(text, tint.background) >= 7, level
                assert contrast_ratio(tint.accent, tint.background) >= 4.5, level
            banner = window.emergency_banner
            assert (
                contrast_ratio(
                    banner.palette().color(QPalette.ColorRole.WindowText),
                    banner.palette().color(QPalette.ColorRole.Window),
                )
                >= 7
            )
            assert tint.background.name() in window.plan_view.details.toHtml()
            window.close()
    finally:
        app.setPalette(light)


def test_the_active_site_protocol_is_used_and_its_approval_shown(
    qtbot: QtBot, data_dir: Path
) -> None:
    from importlib.resources import files

    from mgdesk import resources

    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    document["approval"].update(
        site_approved=True,
        site="Ward 7",
        approved_by="Pharmacy",
        effective_date="2026-01-01",
        review_date="2099-01-01",
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    installed = (json.dumps(document)).encode("utf-8")
    (data_dir / "protocol.json").write_bytes(installed)
    record_installed_hash(
        data_dir / "protocol.json", installed, 0o600
    )  # as `protocol install` does
    window = make_window(qtbot, None)
    assert window.finish_startup()
    assert window.protocol is not None and window.protocol.approval.site_approved
    assert "per-user" in window.protocol_label.text()
    assert "site-approved" in window.protocol_label.text()
    assert window.evaluation_install
    # Approved, but installed for this user only: the banner says it is an evaluation install.
    assert window.approval_banner.isVisible()
    assert "Evaluation install" in window.approval_banner.text()
    assert "not approved" not in window.approval_banner.text()


def test_a_broken_site_protocol_is_skipped_with_a_notice(qtbot: QtBot, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "protocol.json").write_text("{broken", encoding="utf-8")
    window = make_window(qtbot, None)
    assert window.finish_startup()
    banner = window.approval_banner
    assert banner.isVisible()
    assert "not approved by this site" in banner.text()
    assert "is not used" in banner.text()


def test_a_draft_is_saved_and_reopened_as_typed(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    assert window.form.load(shared_case("v05.json")["case"]) == []  # magnesium without a unit
    draft, _ = window.form.document()
    path = tmp_path / "draft.mgcase"
    assert window.files.save_case_file(path)
    window.files.new_case()
    assert window.files.open_case_file(path)
    assert window.form.document()[0] == draft
    assert window.plan_view.plan is None


def test_switching_to_a_dark_palette_recolours_what_is_shown(
    qtbot: QtBot, window: MainWindow
) -> None:
    from mgdesk.gui.colours import invalid_colour

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    dark = QPalette(light)
    for role, value in DARK.items():
        dark.setColor(role, QColor(value))
    assert window.form.load(shared_case("v06.json")["case"]) == []
    window.form_view.line_edits["labs.potassium"].setText("33")
    try:
        app.setPalette(dark)
        error = window.form_view.rows["labs.potassium"].error
        qtbot.waitUntil(
            lambda: error.palette().color(QPalette.ColorRole.WindowText) == invalid_colour(dark)
        )
        window.form_view.line_edits["labs.potassium"].setText("3.3")
        assert level_tint(dark, "stop").background.name() in window.plan_view.details.toHtml()
        chart = window.algorithm.chart.chart
        assert chart is not None
        assert chart.backgroundBrush().color() == dark.color(QPalette.ColorRole.Base)
        # Each edge's label is kept per wording: the one shown is in the dark colours, and
        # no label in the light ones is left on the chart.
        window.form_view.line_edits["labs.potassium"].setText("")
        window.form_view.line_edits["labs.potassium"].setText("3.3")
        labels = [item for item in chart.items() if isinstance(item, QGraphicsTextItem)]
        shown = [label for label in labels if label.isVisible()]
        dark_text = dark.color(QPalette.ColorRole.Text)
        assert all(label.defaultTextColor() == dark_text for label in labels)
        assert {group.label for group in chart.groups} <= set(shown)
        assert len([label for label in shown if label.parentItem() is None]) == len(chart.groups)
    finally:
        app.setPalette(light)


def site_protocol(**approval: object) -> dict[str, object]:
    from importlib.resources import files

    from mgdesk import resources

    document: dict[str, Any] = json.loads(
        files(resources).joinpath("protocols", "default.json").read_bytes()
    )
    document["approval"].update(approval)
    return document


def test_a_protocol_past_its_review_date_is_cautioned_on_screen(
    qtbot: QtBot, data_dir: Path, tmp_path: Path
) -> None:
    machine = tmp_path / "mgdesk-system"  # the conftest's machine-wide folder
    machine.mkdir(parents=True, exist_ok=True)
    installed = json.dumps(
        site_protocol(
            site_approved=True,
            site="Ward 7",
            approved_by="Pharmacy",
            effective_date="2020-01-01",
            review_date="2021-01-01",
        )
    ).encode("utf-8")
    (machine / "protocol.json").write_bytes(installed)
    record_installed_hash(machine / "protocol.json", installed, 0o644)  # as `protocol install` does
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "protocol.json").write_text('{"not": "a protocol"}', encoding="utf-8")
    window = make_window(qtbot, None)
    assert window.finish_startup()
    label, banner = window.protocol_label.text(), window.approval_banner.text()
    assert window.protocol is not None
    for expected in (window.protocol.id, window.protocol.version, window.protocol.sha256[:12]):
        assert expected in label
    assert "machine-wide install" in label and "site-approved" in label
    assert not window.evaluation_install and "Evaluation install" not in banner
    assert "past its review date (2021-01-01)" in banner
    assert "per-user (evaluation) install of the protocol" in banner and "is not used" in banner
    assert window.approval_banner.isVisible()
