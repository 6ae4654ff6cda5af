#!/usr/bin/env bash
# The office tools the delivery tests open exported packages with (tests/e2e/test_delivery_*):
# LibreOffice's `soffice --headless --convert-to csv` reads the workbook as Calc would, and
# poppler's `pdfinfo` counts each PDF's pages.
#
#   office.sh install   install Debian's libreoffice-calc-nogui where `soffice` is absent,
#                       and poppler-utils where `pdfinfo` is absent
#   office.sh check     print both tools' versions; exit 1 if either is missing
set -euo pipefail

SERVICE_NAME=office.sh
# shellcheck source=services/lib/service.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

cmd_install() {
    # the smallest package with `soffice --headless --convert-to` (56 packages, no X11)
    if command -v soffice >/dev/null; then
        say "LibreOffice already installed ($(command -v soffice))"
    else
        apt_install LibreOffice libreoffice-calc-nogui
    fi
    if command -v pdfinfo >/dev/null; then
        say "poppler-utils already installed ($(command -v pdfinfo))"
    else
        apt_install pdfinfo poppler-utils
    fi
}

cmd_check() {
    command -v soffice >/dev/null || die "soffice not found: run 'office.sh install'"
    command -v pdfinfo >/dev/null || die "pdfinfo not found: run 'office.sh install'"
    say "ok: $(soffice --version 2>/dev/null | head -n 1); $(pdfinfo -v 2>&1 | head -n 1)"
}

usage() { usage_from_header 8; }

case "${1:-}" in
    install) cmd_install ;;
    check) cmd_check ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac
