"""Build mgdesk's onedir bundle and this OS's package into dist/.

    python build_scripts/build.py                 bundle and package
    python build_scripts/build.py --bundle-only   dist/mgdesk/ only

Run it with the Python of a build environment that has mgdesk pip-installed (not editable)
and PyInstaller: `pip install . pyinstaller` (ENGINEERING.md 5.4). PyInstaller does not
cross-compile, so each OS builds its own package:

- Linux: dist/mgdesk-<version>-linux-<arch>.tar.gz and dist/mgdesk_<version>_<debarch>.deb
  (dpkg-deb). Build on the oldest glibc you support.
- Windows: dist/mgdesk-<version>-windows-x86_64-setup.exe (Inno Setup 6's ISCC; set
  MGDESK_ISCC if it is not on PATH or in Program Files). Signed with signtool, the
  executables and the installer, when a key is given (signing.py: a signing service's
  dlib, a certificate in the store by thumbprint, or a .pfx file).
- macOS: dist/mgdesk-<version>-macos-<arch>.dmg holding mgdesk.app. Signed (hardened
  runtime, any signing error fatal) when MGDESK_MACOS_SIGN_IDENTITY names a "Developer ID
  Application" identity in the keychain; notarised (status "Accepted" or the build fails
  with the notary log) and stapled when MGDESK_MACOS_NOTARY_PROFILE (a notarytool
  keychain profile) or MGDESK_MACOS_APPLE_ID, MGDESK_MACOS_TEAM_ID and
  MGDESK_MACOS_APP_PASSWORD are set as well.

Without signing credentials the package is built unsigned, with a notice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent))
import freeze
import signing

ROOT = freeze.ROOT
DIST = ROOT / "dist"
WORK = ROOT / "build"
SPEC = ROOT / "build_scripts" / "mgdesk.spec"
LINUX_RESOURCES = ROOT / "resources" / "linux"
ICONS = ROOT / "resources" / "icons"
ISS = ROOT / "build_scripts" / "windows" / "mgdesk.iss"
APP_ID = freeze.APP_ID

# What the bundle loads from the system (everything it links outside itself, from readelf;
# see freeze.SYSTEM_LIBRARY_DIRS), plus fontconfig's configuration and a font. Names are
# Debian 12 / Ubuntu 22.04's; "t64" names are the 64-bit time_t renames of later releases.
DEB_DEPENDS = (
    "libstdc++6",
    "libgcc-s1",
    "zlib1g",
    "libbz2-1.0",
    "liblzma5",
    "libzstd1",
    "libffi8",
    "libuuid1",
    "libsqlite3-0",
    "libglib2.0-0t64 | libglib2.0-0",
    "libdbus-1-3",
    "libfontconfig1",
    "libfreetype6",
    "fontconfig-config",
    "fonts-dejavu-core",
    "libgl1",
    "libegl1",
    "libx11-6",
    "libx11-xcb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-glx0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libwayland-client0",
    "libwayland-cursor0",
    "libwayland-egl1",
    "libcups2t64 | libcups2",
)
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
HDIUTIL_ATTEMPTS = 5
# Debian requires a maintainer's address; replace it with the project's real contact.
DEB_MAINTAINER = f"{freeze.PUBLISHER} <mgdesk@users.noreply.github.com>"


class BuildError(Exception):
    """The build cannot go on; the message says what to do."""


# -- pure helpers -----------------------------------------------------------------------------


def machine_arch(machine: str) -> str:
    """The architecture in artifact names: x86_64 or arm64/aarch64, as each OS spells it."""
    return {"amd64": "x86_64", "x64": "x86_64"}.get(machine.lower(), machine.lower())


def debian_arch(arch: str) -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch)


def debian_version(version: str) -> str:
    """A PEP 440 version as Debian orders it: pre-releases sort before the release ("~")."""
    v = Version(version)
    text = ".".join(str(n) for n in v.release)
    if v.pre:
        text += f"~{v.pre[0]}{v.pre[1]}"
    if v.dev is not None:
        text += f"~dev{v.dev}"
    if v.post is not None:
        text += f"+post{v.post}"
    return text


def artifact_name(kind: str, version: str, arch: str) -> str:
    """The file name of each package: kind is tar.gz, deb, setup.exe or dmg."""
    names = {
        "tar.gz": f"mgdesk-{version}-linux-{arch}.tar.gz",
        "deb": f"mgdesk_{debian_version(version)}_{debian_arch(arch)}.deb",
        "setup.exe": f"mgdesk-{version}-windows-{arch}-setup.exe",
        "dmg": f"mgdesk-{version}-macos-{arch}.dmg",
    }
    return names[kind]


def deb_control(version: str, arch: str, installed_kib: int, glibc: str) -> str:
    """The DEBIAN/control file; glibc is the build machine's, the oldest the bundle runs on."""
    depends = ", ".join((f"libc6 (>= {glibc})", *DEB_DEPENDS))
    return (
        "Package: mgdesk\n"
        f"Version: {debian_version(version)}\n"
        f"Architecture: {debian_arch(arch)}\n"
        f"Maintainer: {DEB_MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {depends}\n"
        "Section: science\n"
        "Priority: optional\n"
        "Description: decision support for treating adult hypomagnesemia\n"
        " mgdesk follows a documented protocol to propose magnesium orders, doses,\n"
        " rates, monitoring and warnings for an adult with low magnesium, and prints\n"
        " an order sheet for the prescriber to sign. It works offline.\n"
        " .\n"
        " The application is a self-contained bundle in /opt/mgdesk; run\n"
        " `mgdesk self-test` to check an installation.\n"
    )


# Licence texts Debian already ships in /usr/share/common-licenses (Policy 12.5).
COMMON_LICENSES = {"LGPL-3.0.txt": "LGPL-3", "GPL-3.0.txt": "GPL-3"}


def deb_copyright(licenses: Path) -> str:
    """/usr/share/doc/mgdesk/copyright: every bundled component's licence, from licenses/."""
    parts = [
        "mgdesk\n\n"
        "This package installs mgdesk and, in /opt/mgdesk/_internal, the Python interpreter\n"
        "and libraries it runs on. Each component's licence follows; the same texts are in\n"
        "/opt/mgdesk/_internal/licenses.\n"
    ]
    for folder in sorted(p for p in licenses.iterdir() if p.is_dir()):
        parts.append(f"\n{'=' * 78}\n{folder.name}\n{'=' * 78}\n")
        for text in sorted(folder.iterdir()):
            if text.name in COMMON_LICENSES:
                parts.append(
                    f"\n{text.name}: on Debian systems, the complete text is in "
                    f"/usr/share/common-licenses/{COMMON_LICENSES[text.name]}.\n"
                )
            else:
                body = text.read_text(encoding="utf-8", errors="replace")
                parts.append(f"\n{text.name}:\n\n{body}")
    return "".join(parts)


def glibc_version() -> str:
    """This machine's glibc ("2.36"): a bundle built here needs at least that."""
    name, _, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").partition(" ")
    if name != "glibc" or not version:
        raise BuildError("cannot tell this machine's glibc version")
    return version


# -- the build --------------------------------------------------------------------------------


def masked(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def run(
    command: Sequence[str | Path],
    cwd: Path | None = None,
    secrets: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> None:
    """Echo a command (with its secrets masked), then run it; raises if it fails."""
    print("+", masked(" ".join(str(c) for c in command), secrets), flush=True)
    subprocess.run([str(c) for c in command], check=True, cwd=cwd, env=env)


def run_captured(command: Sequence[str | Path], secrets: Sequence[str] = ()) -> str:
    """run(), keeping the output (shown, masked) to read; CalledProcessError carries it."""
    print("+", masked(" ".join(str(c) for c in command), secrets), flush=True)
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    print(masked(result.stdout + result.stderr, secrets), end="", flush=True)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(
            result.returncode, [str(c) for c in command], result.stdout, result.stderr
        )
    return result.stdout


def hdiutil_busy(failure: Exception) -> bool:
    """hdiutil create now and then fails with "Resource busy" on a freshly written folder."""
    return isinstance(failure, subprocess.CalledProcessError) and "Resource busy" in (
        f"{failure.stdout or ''}{failure.stderr or ''}"
    )


def preflight(version: str) -> None:
    """Refuse to build from a stale or editable install, or with an unrecorded protocol."""
    try:
        dist = metadata.distribution("mgdesk")
    except metadata.PackageNotFoundError:
        raise BuildError("mgdesk is not installed here: pip install . pyinstaller") from None
    direct = dist.read_text("direct_url.json")
    if direct and json.loads(direct).get("dir_info", {}).get("editable"):
        raise BuildError("mgdesk is installed editable: pip install . (not -e), ENGINEERING.md 5.4")
    if dist.version != version:
        raise BuildError(
            f"the installed mgdesk is {dist.version}, the source {version}: pip install . again"
        )
    protocol = ROOT / "mgdesk" / "resources" / "protocols"
    recorded = (protocol / "default.sha256").read_text(encoding="utf-8").split()[0]
    actual = hashlib.sha256((protocol / "default.json").read_bytes()).hexdigest()
    if recorded != actual:
        raise BuildError(
            "default.json changed but default.sha256 did not: after review, record "
            "it with `sha256sum default.json > default.sha256` in "
            "mgdesk/resources/protocols"
        )


def pyinstaller() -> None:
    WORK.mkdir(exist_ok=True)
    # Without it, PyInstaller only warns when it cannot sign a binary of the macOS bundle.
    env = {**os.environ, "PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR": "1"}
    # Run from build/, so that `python -m` does not put the source tree ahead of the
    # installed package on sys.path.
    run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--distpath",
            DIST,
            "--workpath",
            WORK / "pyinstaller",
            SPEC,
        ],
        cwd=WORK,
        env=env,
    )


def stage_linux_share(share: Path) -> None:
    """Menu entry, icons, AppStream metadata and the .mgcase file type, as under /usr/share.

    Installed by the .deb, dpkg's triggers of desktop-file-utils and shared-mime-info
    update the menu and file-type databases.
    """
    (share / "applications").mkdir(parents=True)
    shutil.copy2(LINUX_RESOURCES / f"{APP_ID}.desktop", share / "applications")
    (share / "mime" / "packages").mkdir(parents=True)
    shutil.copy2(LINUX_RESOURCES / f"{APP_ID}.xml", share / "mime" / "packages")
    (share / "metainfo").mkdir()
    shutil.copy2(LINUX_RESOURCES / f"{APP_ID}.metainfo.xml", share / "metainfo")
    for size in ICON_SIZES:
        folder = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy2(ICONS / "png" / f"mgdesk-{size}.png", folder / f"{APP_ID}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(ICONS / "mgdesk.svg", scalable / f"{APP_ID}.svg")


def _root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def package_linux(version: str, arch: str) -> list[Path]:
    bundle = DIST / "mgdesk"
    stage = WORK / "linux"
    shutil.rmtree(stage, ignore_errors=True)

    top = f"mgdesk-{version}-linux-{arch}"
    stage_linux_share(stage / "tar" / "share")
    tarball = DIST / artifact_name("tar.gz", version, arch)
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{top}/mgdesk", filter=_root_owned)
        tar.add(stage / "tar" / "share", arcname=f"{top}/share", filter=_root_owned)
        tar.add(
            ROOT / "build_scripts" / "linux" / "install.sh",
            arcname=f"{top}/install.sh",
            filter=_root_owned,
        )

    root = stage / "deb"
    shutil.copytree(bundle, root / "opt" / "mgdesk", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "mgdesk").symlink_to("/opt/mgdesk/mgdesk")
    stage_linux_share(root / "usr" / "share")
    doc = root / "usr" / "share" / "doc" / "mgdesk"
    doc.mkdir(parents=True)
    copyright_text = deb_copyright(bundle / "_internal" / "licenses")
    (doc / "copyright").write_text(copyright_text, encoding="utf-8")
    installed = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir())
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        deb_control(version, arch, -(-installed // 1024), glibc_version()), encoding="utf-8"
    )
    for path in root.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    deb = DIST / artifact_name("deb", version, arch)
    # xz, not zstd (Ubuntu's default), so that every Debian release's dpkg can read it.
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", root, deb])
    return [tarball, deb]


def find_tool(variable: str, names: Sequence[str], globs: Sequence[str]) -> Path:
    """A build tool from an environment variable, PATH, or its usual install folders."""
    if os.environ.get(variable):
        return Path(os.environ[variable])
    for name in names:
        if found := shutil.which(name):
            return Path(found)
    for pattern in globs:
        anchor = Path(pattern).anchor
        matches = sorted(Path(anchor).glob(pattern[len(anchor) :]))
        if matches:
            return matches[-1]  # the newest SDK version sorts last
    raise BuildError(f"{names[0]} was not found: install it or set {variable}")


def package_windows(version: str, arch: str) -> list[Path]:
    bundle = DIST / "mgdesk"
    sign: signing.SignCommand | None = None
    if signing.windows_credentials(os.environ) is not None:
        signtool = find_tool(
            "MGDESK_SIGNTOOL",
            ["signtool"],
            [r"C:\Program Files (x86)\Windows Kits\10\bin\10.*\x64\signtool.exe"],
        )
        sign = signing.windows_sign_command(str(signtool), os.environ)
    if sign is not None:
        executables = [bundle / "mgdesk.exe", bundle / "mgdesk-gui.exe"]
        run([*sign.arguments, *executables], secrets=sign.secrets)
        run([sign.arguments[0], "verify", "/pa", *executables])
    else:
        print(
            "notice: no Windows signing key is set (see build_scripts/signing.py): the "
            "installer is not signed (SmartScreen will warn; see docs/install.md)",
            flush=True,
        )
    iscc = find_tool(
        "MGDESK_ISCC", ["ISCC", "iscc"], [r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"]
    )
    setup = DIST / artifact_name("setup.exe", version, arch)
    defines = [
        f"/DVersion={version}",
        f"/DNumericVersion={'.'.join(map(str, freeze.numeric_version(version)))}",
        f"/DSourceDir={bundle}",
        f"/DRoot={ROOT}",
        f"/O{DIST}",
        f"/F{setup.stem}",
    ]
    if sign is not None:
        # Inno Setup signs the installer and its uninstaller with this command.
        defines += ["/DSign", "/Smgdesksign=" + signing.inno_sign_tool(sign)]
    run([iscc, *defines, ISS], secrets=sign.secrets if sign else ())
    if sign is not None:
        run([sign.arguments[0], "verify", "/pa", setup])
    return [setup]


def notarize(archive: Path, credentials: Sequence[str], secrets: Sequence[str]) -> None:
    """Submit archive and wait; anything but "Accepted" fails the build, with Apple's log."""
    output = run_captured(signing.notary_submit_command(str(archive), credentials), secrets)
    submission, status = signing.notarization_result(output)
    if status != signing.NOTARY_ACCEPTED:
        if submission:
            run_captured(signing.notary_log_command(submission, credentials), secrets)
        raise BuildError(f"notarisation of {archive.name} ended {status!r}, not Accepted")


def package_macos(version: str, arch: str) -> list[Path]:
    app = DIST / "mgdesk.app"
    identity = os.environ.get("MGDESK_MACOS_SIGN_IDENTITY")
    notary, notary_secrets = signing.notary_arguments(os.environ)
    if identity:
        # The spec's codesign_identity signed every binary and the bundle, hardened runtime.
        run(["codesign", "--verify", "--deep", "--strict", "--verbose=2", app])
        run(["codesign", "-dv", "--verbose=4", app])
        if notary:
            archive = WORK / "mgdesk-notarize.zip"
            run(["ditto", "-c", "-k", "--keepParent", app, archive])
            notarize(archive, notary, notary_secrets)
            run(["xcrun", "stapler", "staple", app])
            run(["spctl", "--assess", "--type", "execute", "--verbose=2", app])
        else:
            print(
                "notice: no notarisation credentials: the app is signed, not notarised", flush=True
            )
    else:
        print(
            "notice: MGDESK_MACOS_SIGN_IDENTITY not set: the app is ad-hoc signed only "
            "(Gatekeeper will warn; see docs/install.md)",
            flush=True,
        )
    stage = WORK / "dmg"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    run(["ditto", app, stage / "mgdesk.app"])
    (stage / "Applications").symlink_to("/Applications")
    dmg = DIST / artifact_name("dmg", version, arch)
    dmg.unlink(missing_ok=True)
    create = [
        "hdiutil",
        "create",
        "-volname",
        f"mgdesk {version}",
        "-srcfolder",
        stage,
        "-fs",
        "HFS+",
        "-format",
        "UDZO",
        "-ov",
        dmg,
    ]
    signing.with_retries(lambda: run_captured(create), HDIUTIL_ATTEMPTS, 5.0, hdiutil_busy)
    if identity:
        run(["codesign", "--sign", identity, "--timestamp", dmg])
        if notary:
            notarize(dmg, notary, notary_secrets)
            run(["xcrun", "stapler", "staple", dmg])
            run(
                [
                    "spctl",
                    "--assess",
                    "--type",
                    "open",
                    "--context",
                    "context:primary-signature",
                    "--verbose=2",
                    dmg,
                ]
            )
    return [dmg]


PACKAGERS = {"linux": package_linux, "win32": package_windows, "darwin": package_macos}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--bundle-only", action="store_true", help="build dist/mgdesk/ and no package"
    )
    args = parser.parse_args(argv)
    version = freeze.project_version()
    arch = machine_arch(platform.machine())
    try:
        preflight(version)
        pyinstaller()
        if args.bundle_only:
            return 0
        packager = PACKAGERS.get("linux" if sys.platform.startswith("linux") else sys.platform)
        if packager is None:
            raise BuildError(f"no package format for {sys.platform}")
        for artifact in packager(version, arch):
            print(f"built {artifact.relative_to(ROOT)} ({artifact.stat().st_size / 1e6:.1f} MB)")
    except (BuildError, signing.SigningError) as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"build.py: {exc.cmd[0]} failed with exit status {exc.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
