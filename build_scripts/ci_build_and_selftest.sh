#!/usr/bin/env bash
# Builds the Linux bundle and packages with build.py, then proves them as a clinic machine
# would use them: the frozen self-test with no display, the .deb installed with apt (which
# pulls its Depends) and its self-test, headless and on an X display, the installed window
# started on an X display (with a .mgcase case), every library the bundle links found on
# the system, the .mgcase file type, the tarball's per-user install, and the desktop entry
# and AppStream metadata validated. The build dependencies are pinned by constraints.txt.
# CI runs it as root with Python 3.11: .ci/run on Debian 12, the GitHub workflow in an
# ubuntu:22.04 container (PYTHON=python3.11), whose glibc is the oldest the .deb accepts.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}
app_id=io.github.mgdesk
scratch=$(mktemp -d /tmp/mgdesk-ci.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export DEBIAN_FRONTEND=noninteractive
export MGDESK_DATA_DIR="$scratch/data"  # the app writes nothing into the real home

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

step "build tools (binutils for PyInstaller; validators; Xvfb for the display test)"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    binutils desktop-file-utils appstream shared-mime-info xvfb xauth >/dev/null

# PyInstaller follows each Qt plugin's links to the Qt libraries it needs only when the
# plugin's system libraries are there too: without them a clean machine (an ubuntu:22.04
# container) builds a bundle whose xcb plugin lacks libQt6XcbQpa.
step "Qt's system libraries, so that PyInstaller resolves every plugin's Qt libraries"
bash scripts/system-packages.sh --runtime-only
apt-get install -y -qq --no-install-recommends libwayland-client0 libwayland-cursor0 \
    libwayland-egl1 libxcb-sync1 libxcb-xfixes0 libxcb-shm0 libxcb-render0 >/dev/null

step "fresh build environment: mgdesk installed (not editable) and PyInstaller"
"$python" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install -q --upgrade pip
"$scratch/venv/bin/python" -m pip install -q -c build_scripts/constraints.txt "$root" pyinstaller

step "build.py"
rm -rf "$root/dist" "$root/build/pyinstaller" "$root/build/linux"
"$scratch/venv/bin/python" build_scripts/build.py
version=$("$scratch/venv/bin/python" -c 'import sys; sys.path.insert(0, "build_scripts"); import freeze; print(freeze.project_version())')
tarball=$(ls dist/mgdesk-"$version"-linux-*.tar.gz)
deb=$(ls dist/mgdesk_*.deb)
du -sh dist/mgdesk "$tarball" "$deb"

step "bundle contents: no networking, the platform plugins' Qt libraries, licences present"
if find dist/mgdesk \( -iname '*Qt6Network*' -o -iname 'QtNetwork*' -o -name '_ssl*' \) | grep .; then
    fail "the bundle contains a networking module"
fi
for library in libQt6XcbQpa.so.6 libQt6WaylandClient.so.6; do
    [ -n "$(find dist/mgdesk -name "$library")" ] || fail "the bundle lacks $library (a platform plugin cannot load)"
done
for licence in mgdesk pyside6-essentials shiboken6 pint python fonts; do
    [ -n "$(ls dist/mgdesk/_internal/licenses/$licence 2>/dev/null)" ] || fail "no licence for $licence"
done

step "install the .deb with apt (pulls its Depends)"
dpkg --purge mgdesk >/dev/null 2>&1 || true
apt-get install -y -qq "./$deb" >/dev/null
dpkg -s mgdesk | grep -E '^(Version|Status)'
[ "$(readlink -f /usr/bin/mgdesk)" = /opt/mgdesk/mgdesk ] || fail "/usr/bin/mgdesk does not point into /opt/mgdesk"
[ -s /usr/share/doc/mgdesk/copyright ] || fail "no /usr/share/doc/mgdesk/copyright"

# The bundle takes Qt's system libraries (libEGL, xcb...) from the system: on a clean
# machine they are there only once apt has installed the .deb's Depends.
step "frozen self-test, no display"
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM dist/mgdesk/mgdesk self-test

step "installed self-test, no display"
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM mgdesk self-test

step "installed self-test on an X display (the xcb platform plugin and its libraries)"
env -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM xvfb-run -a mgdesk self-test

step "the installed window starts on an X display, alone and with a .mgcase case"
env -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM xvfb-run -a mgdesk --exit-after-startup
cp mgdesk/resources/examples/mild-oral-1.4-mg-dl.json "$scratch/double-clicked.mgcase"
env -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM xvfb-run -a mgdesk --exit-after-startup "$scratch/double-clicked.mgcase"

step ".mgcase files are known to the system and open in mgdesk"
[ -f /usr/share/mime/packages/$app_id.xml ] || fail "no shared-mime-info entry installed"
update-mime-database /usr/share/mime
grep -q '^application/x-mgdesk-case:\*\.mgcase$' /usr/share/mime/globs || fail ".mgcase is not in the MIME database"
grep -q '^MimeType=application/x-mgdesk-case;$' "/usr/share/applications/$app_id.desktop" || fail "the menu entry does not open .mgcase files"

step "every library the installed bundle links is on the system"
missing=$(find /opt/mgdesk -type f \( -name '*.so*' -o -name mgdesk \) -exec ldd {} + 2>/dev/null \
    | grep 'not found' | sort -u || true)
[ -z "$missing" ] || fail "libraries not found (add their packages to DEB_DEPENDS): $missing"

step "desktop entry and AppStream metadata"
desktop-file-validate "/usr/share/applications/$app_id.desktop"
appstreamcli validate --no-net "/usr/share/metainfo/$app_id.metainfo.xml"
[ -f "/usr/share/icons/hicolor/256x256/apps/$app_id.png" ] || fail "no 256 px icon installed"

step "remove the .deb"
apt-get purge -y -qq mgdesk >/dev/null
if [ -e /opt/mgdesk ] || [ -e /usr/bin/mgdesk ]; then fail "apt purge left files behind"; fi

step "tarball: per-user install, self-test, uninstall"
mkdir -p "$scratch/home"
tar -xzf "$tarball" -C "$scratch"
unpacked=$(ls -d "$scratch"/mgdesk-"$version"-linux-*)
HOME="$scratch/home" XDG_DATA_HOME='' "$unpacked/install.sh" --user
desktop-file-validate "$scratch/home/.local/share/applications/$app_id.desktop"
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$scratch/home/.local/bin/mgdesk" self-test
HOME="$scratch/home" XDG_DATA_HOME='' "$unpacked/install.sh" --user --uninstall
[ ! -e "$scratch/home/.local/opt/mgdesk" ] || fail "install.sh --uninstall left the app behind"

step "Linux packages built and verified: $tarball $deb"
