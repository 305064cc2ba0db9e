"""The window's arguments: the usual starts read directly, anything else by argparse."""

from __future__ import annotations

from pathlib import Path

import pytest

from mgdesk.gui.app import StartOptions, parse_options


@pytest.mark.parametrize(
    ("args", "options"),
    [
        ([], StartOptions(None, False)),
        (["case.mgcase"], StartOptions(Path("case.mgcase"), False)),
        (["--exit-after-startup"], StartOptions(None, True)),
        (["case.mgcase", "--exit-after-startup"], StartOptions(Path("case.mgcase"), True)),
    ],
)
def test_the_usual_starts(args: list[str], options: StartOptions) -> None:
    assert parse_options(args) == options


@pytest.mark.parametrize("args", [["--bogus"], ["a.mgcase", "b.mgcase"], ["-x", "a.mgcase"]])
def test_a_mistake_is_explained_and_refused(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_options(args)
    assert exit_.value.code == 2
    assert "usage: mgdesk" in capsys.readouterr().err


def test_an_abbreviated_option_is_understood_as_before() -> None:
    assert parse_options(["--exit-after"]) == StartOptions(None, True)
