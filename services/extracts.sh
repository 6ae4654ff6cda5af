#!/usr/bin/env bash
# What signed extracts need in development and tests: SoftHSM2, poppler's pdfsig, the font,
# the NSS tools, the development CA with its token, and veraPDF.
#
#   extracts.sh install   install Debian's softhsm2, poppler-utils, fonts-dejavu-core and
#                         libnss3-tools where absent
#   extracts.sh ca        install if needed, then make the dev CA and its SoftHSM2 token in
#                         .services/dev-ca (once; `ca --fresh` makes them again)
#   extracts.sh env       print the HOTICH_SIGNING_* settings of the dev CA (one per line)
#   extracts.sh verapdf   fetch veraPDF's jars from Maven Central into .services/verapdf/libs (once)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CA_DIR="$ROOT/.services/dev-ca"
VERAPDF_HOME="$ROOT/.services/verapdf"
POM="$ROOT/services/verapdf/pom.xml"
PYTHON="${HOTICH_PYTHON:-$ROOT/.venv/bin/python}"

SERVICE_NAME=extracts.sh
# shellcheck source=services/lib/service.sh
. "$ROOT/services/lib/service.sh"

cmd_install() {
    local missing=()
    [ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
    command -v pdfsig >/dev/null || missing+=(poppler-utils)
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
    command -v certutil >/dev/null || missing+=(libnss3-tools)
    if [ "${#missing[@]}" -eq 0 ]; then
        say "softhsm2, pdfsig, DejaVu and certutil already installed"
        return 0
    fi
    apt_install "${missing[*]}" "${missing[@]}"
}

cmd_ca() {
    cmd_install
    if [ "${1:-}" != --fresh ] && [ -f "$CA_DIR/env" ]; then
        say "dev CA already in $CA_DIR"
        return 0
    fi
    [ -x "$PYTHON" ] || die "$PYTHON not found: run make setup first"
    "$PYTHON" "$ROOT/services/dev_ca.py" "$CA_DIR"
}

cmd_env() {
    [ -f "$CA_DIR/env" ] || die "no dev CA: run 'extracts.sh ca'"
    cat "$CA_DIR/env"
}

pom_hash() { sha256sum "$POM" | cut -c1-64; }

cmd_verapdf() {
    local libs="$VERAPDF_HOME/libs" stamp="$VERAPDF_HOME/libs/.pom.sha256"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(pom_hash)" ]; then
        say "veraPDF already in $libs"
        return 0
    fi
    command -v mvn >/dev/null || die "Maven (mvn) is not installed: veraPDF cannot be fetched"
    local tmp="$VERAPDF_HOME/libs.partial" log="$VERAPDF_HOME/mvn.log"
    mkdir -p "$VERAPDF_HOME"
    rm -rf "$tmp"
    say "fetching veraPDF from Maven Central (once)"
    if ! mvn -q -B -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime </dev/null >"$log" 2>&1; then
        log_tail "$log"
        die "mvn dependency:copy-dependencies failed"
    fi
    compgen -G "$tmp/greenfield-apps-*.jar" >/dev/null || die "no greenfield-apps jar in $tmp"
    rm -rf "$libs"
    mv "$tmp" "$libs"
    pom_hash >"$stamp"
    say "veraPDF in $libs"
}

usage() { usage_from_header 11; }

case "${1:-}" in
    install) cmd_install ;;
    ca) shift && cmd_ca "$@" ;;
    env) cmd_env ;;
    verapdf) cmd_verapdf ;;
    *) usage ;;
esac
