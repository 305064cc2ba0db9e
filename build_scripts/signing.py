"""Code signing and notarisation for build.py: the command lines, escaping and checks.

Windows signs with signtool from one of (MGDESK_WINDOWS_ names):
- SIGN_DLIB and SIGN_DMDF: a signing service's signtool plug-in and its metadata file
  (Azure Trusted Signing, or a cloud HSM vendor's dlib), the key never leaves the service;
- CERT_SHA1: the thumbprint of a certificate in the Windows certificate store, whose key
  may live on a hardware token or a cloud key provider (its CSP/KSP is installed);
- CERT_PFX and CERT_PASSWORD: a .pfx file (only older certificates exist as files).
macOS notarises with notarytool and accepts only the status "Accepted": notarytool exits 0
for an "Invalid" submission too, so the status is read from its JSON and the log fetched.
No secret is ever printed: build.run masks them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_TIMESTAMP_URL = "http://timestamp.digicert.com"
NOTARY_ACCEPTED = "Accepted"


class SigningError(Exception):
    """Signing or notarisation cannot go on; the message says why."""


@dataclass(frozen=True)
class SignCommand:
    """A signtool command line (without the files) and the secrets in it, to mask."""

    arguments: tuple[str, ...]
    secrets: tuple[str, ...] = ()


def windows_credentials(environment: Mapping[str, str]) -> tuple[list[str], list[str]] | None:
    """signtool's options choosing the key, and the secrets among them; None when unsigned."""
    get = environment.get
    if get("MGDESK_WINDOWS_SIGN_DLIB") or get("MGDESK_WINDOWS_SIGN_DMDF"):
        dlib, dmdf = get("MGDESK_WINDOWS_SIGN_DLIB"), get("MGDESK_WINDOWS_SIGN_DMDF")
        if not (dlib and dmdf):
            raise SigningError("set both MGDESK_WINDOWS_SIGN_DLIB and MGDESK_WINDOWS_SIGN_DMDF")
        return ["/dlib", dlib, "/dmdf", dmdf], []
    if thumbprint := get("MGDESK_WINDOWS_CERT_SHA1"):
        return ["/sha1", thumbprint], []
    pfx, password = get("MGDESK_WINDOWS_CERT_PFX"), get("MGDESK_WINDOWS_CERT_PASSWORD")
    if pfx or password:
        if not (pfx and password):
            raise SigningError("set both MGDESK_WINDOWS_CERT_PFX and MGDESK_WINDOWS_CERT_PASSWORD")
        return ["/f", pfx, "/p", password], [password]
    return None


def windows_sign_command(signtool: str, environment: Mapping[str, str]) -> SignCommand | None:
    """`signtool sign` with the key from the environment, SHA-256 and an RFC 3161 timestamp."""
    credentials = windows_credentials(environment)
    if credentials is None:
        return None
    options, secrets = credentials
    timestamp = environment.get("MGDESK_WINDOWS_TIMESTAMP_URL") or DEFAULT_TIMESTAMP_URL
    arguments = (signtool, "sign", *options, "/fd", "SHA256", "/tr", timestamp, "/td", "SHA256")
    return SignCommand(arguments, tuple(secrets))


def inno_sign_tool(command: SignCommand) -> str:
    """The command as an Inno Setup sign tool (ISCC /Sname=...): each argument quoted with
    $q, a literal $ written $$, and $f for the file to sign."""
    quoted = []
    for argument in command.arguments:
        if '"' in argument:
            raise SigningError(
                "a signing argument holds a double quote, which signtool cannot take"
            )
        quoted.append("$q" + argument.replace("$", "$$") + "$q")
    return " ".join([*quoted, "$f"])


def notary_arguments(environment: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """notarytool's credentials and the secrets among them; ([], []) when none are set."""
    if profile := environment.get("MGDESK_MACOS_NOTARY_PROFILE"):
        return ["--keychain-profile", profile], []
    apple_id, team, password = (
        environment.get(f"MGDESK_MACOS_{key}") for key in ("APPLE_ID", "TEAM_ID", "APP_PASSWORD")
    )
    if apple_id and team and password:
        return ["--apple-id", apple_id, "--team-id", team, "--password", password], [password]
    return [], []


def notary_submit_command(archive: str, credentials: Sequence[str]) -> list[str]:
    return [
        "xcrun",
        "notarytool",
        "submit",
        archive,
        *credentials,
        "--wait",
        "--output-format",
        "json",
    ]


def notary_log_command(submission: str, credentials: Sequence[str]) -> list[str]:
    return ["xcrun", "notarytool", "log", submission, *credentials]


def notarization_result(output: str) -> tuple[str, str]:
    """(submission id, status) from `notarytool submit --wait --output-format json`."""
    try:
        result = json.loads(output)
    except ValueError:
        raise SigningError(f"notarytool did not answer in JSON: {output.strip()[:200]}") from None
    if not isinstance(result, dict) or not isinstance(result.get("status"), str):
        raise SigningError(f"notarytool gave no status: {output.strip()[:200]}")
    return str(result.get("id", "")), result["status"]


def with_retries(
    action: Callable[[], None],
    attempts: int,
    wait_seconds: float,
    retry_on: Callable[[Exception], bool],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run action; when it fails in a way retry_on accepts, wait and try again, up to
    attempts times in all (the waits doubling). The last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            action()
            return
        except Exception as failure:
            if attempt == attempts or not retry_on(failure):
                raise
            print(f"attempt {attempt} of {attempts} failed ({failure}); trying again", flush=True)
            sleep(wait_seconds * 2 ** (attempt - 1))
