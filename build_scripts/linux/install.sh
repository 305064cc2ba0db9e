#!/bin/sh
# Installs mgdesk from this unpacked tarball, for all users (as root) or for yourself (--user).
#   sudo ./install.sh                 /opt/mgdesk, /usr/local/bin/mgdesk, menu entry for everyone
#   ./install.sh --user               ~/.local/opt/mgdesk, ~/.local/bin/mgdesk, your menu only
#   [sudo] ./install.sh [--user] --uninstall
# Your cases and settings (~/.local/share/mgdesk) are never touched.
set -eu

APP_ID=io.github.mgdesk
here=$(cd "$(dirname "$0")" && pwd)
scope=system
action=install
for arg in "$@"; do
    case $arg in
        --user) scope=user ;;
        --uninstall) action=uninstall ;;
        -h|--help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

if [ "$scope" = user ]; then
    app="$HOME/.local/opt/mgdesk"
    bin="$HOME/.local/bin"
    share="${XDG_DATA_HOME:-$HOME/.local/share}"
else
    if [ "$(id -u)" -ne 0 ]; then
        echo "install.sh: installing for all users needs root (sudo), or use --user" >&2
        exit 1
    fi
    if [ -e /var/lib/dpkg/info/mgdesk.list ]; then
        echo "install.sh: the mgdesk .deb is installed; remove it first (apt remove mgdesk)" >&2
        exit 1
    fi
    app=/opt/mgdesk
    bin=/usr/local/bin
    share=/usr/local/share
fi

refresh_menus() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$share/applications" || true
    fi
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$share/mime" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$share/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
    fi
}

if [ "$action" = uninstall ]; then
    rm -rf "$app"
    if [ -L "$bin/mgdesk" ]; then rm -f "$bin/mgdesk"; fi
    rm -f "$share/applications/$APP_ID.desktop" "$share/metainfo/$APP_ID.metainfo.xml" \
        "$share/mime/packages/$APP_ID.xml"
    find "$share/icons/hicolor" -name "$APP_ID.*" -delete 2>/dev/null || true
    refresh_menus
    echo "mgdesk removed from $app"
    exit 0
fi

rm -rf "$app"
mkdir -p "$app" "$bin" "$share/applications" "$share/metainfo" "$share/mime/packages"
cp -a "$here/mgdesk/." "$app/"
ln -sfn "$app/mgdesk" "$bin/mgdesk"
# The menu entry names the executable by its full path: ~/.local/bin may not be on PATH.
sed "s|^Exec=mgdesk |Exec=$app/mgdesk |" "$here/share/applications/$APP_ID.desktop" \
    > "$share/applications/$APP_ID.desktop"
cp "$here/share/metainfo/$APP_ID.metainfo.xml" "$share/metainfo/"
cp "$here/share/mime/packages/$APP_ID.xml" "$share/mime/packages/"
cp -R "$here/share/icons" "$share/"
refresh_menus
echo "mgdesk installed in $app; run: $bin/mgdesk self-test"
