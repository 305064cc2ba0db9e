"""The window never uses a hand-edited installed protocol silently: it says so and uses the
bundled default."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from gui_support import make_window
from pytestqt.qtbot import QtBot

from mgdesk import resources
from mgdesk.records.installed_hash import record_installed_hash


def test_a_hand_edited_install_is_shown_and_not_used(qtbot: QtBot, data_dir: Path) -> None:
    document = json.loads(files(resources).joinpath("protocols", "default.json").read_bytes())
    installed = json.dumps(document).encode("utf-8")
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "protocol.json"
    target.write_bytes(installed)
    record_installed_hash(target, installed, 0o600)  # as `mgdesk protocol install --user` does
    document["thresholds"]["magnesium_severe_below"] = "1.0 mg/dL"
    target.write_bytes(json.dumps(document).encode("utf-8"))  # edited by hand afterwards
    window = make_window(qtbot, None)
    assert window.finish_startup()
    assert window.protocol is not None and window.protocol.origin == "bundled default"
    assert "bundled default" in window.protocol_label.text()
    banner = window.approval_banner.text()
    assert window.approval_banner.isVisible()
    assert "was changed after it was installed" in banner and str(target) in banner
