#!/usr/bin/env bash
# Install and start CUPS with a cups-pdf queue, for tests/sheet/test_cups.py (real printing).
# Debian/Ubuntu, as root, non-interactive. Safe to run again: it only adds what is missing,
# and once all is in place it succeeds as any user (the printing test runs it again).
# The queue's PDFs land in the folder named by "Out" in /etc/cups/cups-pdf.conf
# (Debian: ${HOME}/PDF of the user who printed, so /root/PDF for root).
set -euo pipefail

QUEUE="${MGDESK_CUPS_QUEUE:-mgdesk-test}"
# Talk to this machine's own scheduler through its socket: with no local cupsd, the CUPS
# tools fall back to localhost:631, which may be another system's cupsd (a container's
# host) that refuses us. The printing test's clients use the socket too once it exists.
export CUPS_SERVER=/run/cups/cups.sock
export LC_ALL=C  # the checks below read lpstat's English words

scheduler_running() { lpstat -r 2>/dev/null | grep -q "scheduler is running"; }
queue_ready() {
    lpstat -p "$QUEUE" 2>/dev/null | grep -q "enabled" &&
        lpstat -a "$QUEUE" 2>/dev/null | grep -q "^$QUEUE accepting"
}

if [ -e /usr/lib/cups/backend/cups-pdf ] && scheduler_running && queue_ready; then
    lpstat -p "$QUEUE"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup_cups.sh: run as root (it installs packages and starts cupsd)" >&2
    exit 1
fi

if ! command -v cupsd >/dev/null || ! command -v lpadmin >/dev/null || [ ! -e /usr/lib/cups/backend/cups-pdf ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q cups cups-client cups-bsd printer-driver-cups-pdf libcups2
fi

if ! scheduler_running; then
    # No systemd in containers and CI: start the daemon directly (it detaches itself).
    cupsd
    for _ in $(seq 1 100); do
        scheduler_running && break
        sleep 0.1
    done
fi
scheduler_running || { echo "setup_cups.sh: cupsd did not start" >&2; exit 1; }

if ! lpstat -p "$QUEUE" >/dev/null 2>&1; then
    model="$(lpinfo -m | awk '/CUPS-PDF_opt\.ppd/ {print $1; exit}')"
    if [ -z "$model" ]; then
        echo "setup_cups.sh: the cups-pdf driver is not listed by lpinfo -m" >&2
        exit 1
    fi
    lpadmin -p "$QUEUE" -E -v cups-pdf:/ -m "$model" -o printer-error-policy=abort-job
fi
cupsenable "$QUEUE"
cupsaccept "$QUEUE"
lpstat -p "$QUEUE"
