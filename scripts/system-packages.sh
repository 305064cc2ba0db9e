#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages mgdesk needs to run and to be tested:
# Qt's offscreen and xcb platforms, fonts, CUPS with a PDF printer for the printing
# test, poppler for rendering PDFs, and the Linux packaging validators.
set -euo pipefail

RUNTIME=(libgl1 libegl1 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1
  libfontconfig1 libfreetype6 libdbus-1-3 fontconfig-config fonts-dejavu-core
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libcups2)
TESTING=(cups cups-client printer-driver-cups-pdf poppler-utils desktop-file-utils
  appstream shared-mime-info xvfb)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  # macOS and Windows bring what Qt needs; other Linux systems name these packages otherwise.
  echo "Not Debian or Ubuntu: skipping the system packages (docs/install.md lists what Qt needs)."
  exit 0
fi

wanted=("${RUNTIME[@]}")
[ "${1:-}" = "--runtime-only" ] || wanted+=("${TESTING[@]}")

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "mgdesk needs these system packages; install them as root:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
