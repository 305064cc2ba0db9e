"""Signing and notarisation: the command lines, Inno Setup's escaping, notarytool's verdict,
the hdiutil retry, and secrets kept out of what a build prints."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from packaging_support import build, signing

SIGNTOOL = r"C:\Kits\signtool.exe"


def test_no_key_means_an_unsigned_build() -> None:
    assert signing.windows_sign_command(SIGNTOOL, {}) is None


def test_a_signing_service_signs_through_its_dlib() -> None:
    command = signing.windows_sign_command(
        SIGNTOOL,
        {
            "MGDESK_WINDOWS_SIGN_DLIB": r"C:\ts\Azure.CodeSigning.Dlib.dll",
            "MGDESK_WINDOWS_SIGN_DMDF": r"C:\ts\metadata.json",
        },
    )
    assert command is not None and command.secrets == ()
    assert command.arguments == (
        SIGNTOOL,
        "sign",
        "/dlib",
        r"C:\ts\Azure.CodeSigning.Dlib.dll",
        "/dmdf",
        r"C:\ts\metadata.json",
        "/fd",
        "SHA256",
        "/tr",
        signing.DEFAULT_TIMESTAMP_URL,
        "/td",
        "SHA256",
    )


def test_a_certificate_on_a_hardware_token_is_chosen_by_thumbprint() -> None:
    command = signing.windows_sign_command(
        SIGNTOOL,
        {"MGDESK_WINDOWS_CERT_SHA1": "0123abcd", "MGDESK_WINDOWS_TIMESTAMP_URL": "http://ts"},
    )
    assert command is not None
    assert command.arguments[2:4] == ("/sha1", "0123abcd")
    assert command.arguments[-4:] == ("/tr", "http://ts", "/td", "SHA256")


def test_a_pfx_file_needs_its_password_which_is_a_secret() -> None:
    command = signing.windows_sign_command(
        SIGNTOOL, {"MGDESK_WINDOWS_CERT_PFX": "c.pfx", "MGDESK_WINDOWS_CERT_PASSWORD": "pa$$word"}
    )
    assert command is not None and command.secrets == ("pa$$word",)
    assert command.arguments[2:6] == ("/f", "c.pfx", "/p", "pa$$word")
    with pytest.raises(signing.SigningError, match="MGDESK_WINDOWS_CERT_PASSWORD"):
        signing.windows_sign_command(SIGNTOOL, {"MGDESK_WINDOWS_CERT_PFX": "c.pfx"})
    with pytest.raises(signing.SigningError, match="MGDESK_WINDOWS_SIGN_DMDF"):
        signing.windows_sign_command(SIGNTOOL, {"MGDESK_WINDOWS_SIGN_DLIB": "x.dll"})


def test_inno_setup_gets_each_argument_quoted_and_each_dollar_doubled() -> None:
    command = signing.SignCommand((r"C:\Program Files\signtool.exe", "/p", "a$b$$c"), ("a$b$$c",))
    assert signing.inno_sign_tool(command) == (
        r"$qC:\Program Files\signtool.exe$q $q/p$q $qa$$b$$$$c$q $f"
    )


def test_a_double_quote_in_a_signing_argument_is_refused() -> None:
    with pytest.raises(signing.SigningError, match="double quote"):
        signing.inno_sign_tool(signing.SignCommand(("signtool", 'pass"word')))


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            '{"id": "a1", "status": "Accepted", "message": "Processing complete"}',
            ("a1", "Accepted"),
        ),
        ('{"id": "b2", "status": "Invalid", "message": "Processing complete"}', ("b2", "Invalid")),
    ],
)
def test_notarytool_json_gives_the_submission_and_its_status(
    output: str, expected: tuple[str, str]
) -> None:
    assert signing.notarization_result(output) == expected


@pytest.mark.parametrize("output", ["Error: HTTP status code: 401", "[]", '{"id": "c3"}'])
def test_notarytool_output_without_a_status_is_an_error(output: str) -> None:
    with pytest.raises(signing.SigningError):
        signing.notarization_result(output)


def test_an_invalid_notarisation_fails_the_build_with_apples_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[list[str]] = []

    def notarytool(command: list[str], secrets: list[str]) -> str:
        ran.append(list(command))
        if command[2] == "submit":
            return '{"id": "sub-1", "status": "Invalid"}'
        return '{"issues": [{"message": "The binary is not signed."}]}'

    monkeypatch.setattr(build, "run_captured", notarytool)
    credentials = ["--apple-id", "me@example.org", "--team-id", "T", "--password", "s3cret"]
    with pytest.raises(build.BuildError, match="Invalid"):
        build.notarize(Path("mgdesk.dmg"), credentials, ["s3cret"])
    assert ran[0][:4] == ["xcrun", "notarytool", "submit", "mgdesk.dmg"]
    assert ran[0][-3:] == ["--wait", "--output-format", "json"]
    assert ran[1][:4] == ["xcrun", "notarytool", "log", "sub-1"]


def test_an_accepted_notarisation_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "run_captured", lambda c, s: '{"id": "x", "status": "Accepted"}')
    build.notarize(Path("mgdesk.zip"), ["--keychain-profile", "p"], [])


def test_the_app_specific_password_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments, secrets = signing.notary_arguments(
        {
            "MGDESK_MACOS_APPLE_ID": "me@example.org",
            "MGDESK_MACOS_TEAM_ID": "T",
            "MGDESK_MACOS_APP_PASSWORD": "abcd-efgh",
        }
    )
    assert secrets == ["abcd-efgh"] and "abcd-efgh" in arguments
    build.run_captured(["echo", *arguments], secrets)
    printed = capsys.readouterr().out
    assert "abcd-efgh" not in printed and "***" in printed and "me@example.org" in printed


def test_a_keychain_profile_holds_no_secret_in_the_command() -> None:
    assert signing.notary_arguments({"MGDESK_MACOS_NOTARY_PROFILE": "mgdesk"}) == (
        ["--keychain-profile", "mgdesk"],
        [],
    )


def _busy() -> subprocess.CalledProcessError:
    return subprocess.CalledProcessError(
        1, ["hdiutil"], "", "hdiutil: create failed - Resource busy"
    )


def test_a_busy_hdiutil_is_tried_again_with_growing_waits() -> None:
    failures = [_busy(), _busy()]
    waits: list[float] = []

    def create() -> None:
        if failures:
            raise failures.pop()

    signing.with_retries(create, 5, 5.0, build.hdiutil_busy, sleep=waits.append)
    assert waits == [5.0, 10.0] and failures == []


def test_hdiutil_gives_up_after_the_last_attempt() -> None:
    waits: list[float] = []

    def create() -> None:
        raise _busy()

    with pytest.raises(subprocess.CalledProcessError):
        signing.with_retries(create, 3, 1.0, build.hdiutil_busy, sleep=waits.append)
    assert waits == [1.0, 2.0]


def test_other_failures_are_not_retried() -> None:
    waits: list[float] = []

    def create() -> None:
        raise subprocess.CalledProcessError(1, ["hdiutil"], "", "no space left on device")

    with pytest.raises(subprocess.CalledProcessError):
        signing.with_retries(create, 5, 1.0, build.hdiutil_busy, sleep=waits.append)
    assert waits == []


def test_pyinstaller_runs_with_bundle_signing_errors_fatal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given: dict[str, object] = {}
    monkeypatch.setattr(build, "WORK", tmp_path)
    monkeypatch.setattr(build, "run", lambda command, **options: given.update(options))
    build.pyinstaller()
    env = given["env"]
    assert isinstance(env, dict) and env["PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR"] == "1"
