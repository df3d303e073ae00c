#!/bin/sh
# Install Debian's headless Chromium for the end-to-end test. Idempotent: exits at once when
# /usr/bin/chromium already runs. Playwright's own browser download is never used (no network
# at test time beyond the distribution's package mirror, and only when the browser is missing).
set -eu
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && "$CHROMIUM" --version >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "setup_browser: $CHROMIUM is missing and installing it needs root (no passwordless sudo)." >&2
        echo "setup_browser: run as root: apt-get install -y chromium chromium-driver" >&2
        exit 3
    fi
else
    SUDO=""
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_browser: $CHROMIUM is missing and this system has no apt-get; install Chromium by hand." >&2
    exit 3
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation >/dev/null 2>&1 || {
    $SUDO apt-get update -qq >/dev/null 2>&1
    $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation >/dev/null
}
"$CHROMIUM" --version
