#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser), driven by Playwright for Python.
# Playwright never downloads a browser here: the tests launch /usr/bin/chromium.
#
#   chromium.sh install   install the Debian `chromium` package if /usr/bin/chromium is absent
#   chromium.sh check     start it headless once (about:blank) and print its version; exit 1 if it fails
#   chromium.sh path      print the executable's path
set -euo pipefail

CHROMIUM="${HOTICH_CHROMIUM:-/usr/bin/chromium}"

SERVICE_NAME=chromium.sh
# shellcheck source=services/lib/service.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

cmd_install() {
    if [ -x "$CHROMIUM" ]; then
        say "Chromium already installed ($CHROMIUM)"
        return 0
    fi
    [ "$CHROMIUM" = /usr/bin/chromium ] || die "HOTICH_CHROMIUM=$CHROMIUM is not an executable"
    apt_install Chromium chromium fonts-liberation
    [ -x "$CHROMIUM" ] || die "apt-get installed chromium but $CHROMIUM is missing"
    say "installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
}

# Start it the way the tests do (headless, no network of its own) and load a blank page.
cmd_check() {
    [ -x "$CHROMIUM" ] || die "$CHROMIUM not found: run 'chromium.sh install'"
    local sandbox=() profile
    is_root && sandbox=(--no-sandbox)   # Chromium refuses to run as root with its sandbox
    profile="$(mktemp -d -t hotich-chromium-XXXXXX)"
    if ! timeout 60 "$CHROMIUM" --headless "${sandbox[@]}" --user-data-dir="$profile" \
        --disable-gpu --disable-dev-shm-usage --disable-background-networking \
        --disable-component-update --no-first-run --dump-dom about:blank >/dev/null 2>"$profile.log"; then
        tail -n 20 "$profile.log" >&2 || true
        rm -rf "$profile" "$profile.log"
        die "$CHROMIUM did not start headless"
    fi
    rm -rf "$profile" "$profile.log"
    say "ok: $("$CHROMIUM" --version 2>/dev/null)"
}

usage() { usage_from_header 8; }

case "${1:-}" in
    install) cmd_install ;;
    check) cmd_check ;;
    path) echo "$CHROMIUM" ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac
