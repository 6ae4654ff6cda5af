#!/usr/bin/env bash
# make test: start the services the suite needs, lint, type-check, run every test, stop what we started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"

# Debian's chromium for the browser tests (Playwright drives it; it never downloads one)
bash services/chromium.sh install
bash services/chromium.sh check
# LibreOffice (soffice --convert-to csv) and pdfinfo for the delivery tests (services/office.sh)
bash services/office.sh install
bash services/office.sh check
# signed extracts: SoftHSM2, pdfsig, the font, the dev CA and its token, veraPDF
bash services/extracts.sh ca
bash services/extracts.sh verapdf
while IFS= read -r line; do export "${line?}"; done < <(bash services/extracts.sh env)
export HOTICH_TEST_DEV_CA="$ROOT/.services/dev-ca" HOTICH_TEST_VERAPDF="$ROOT/.services/verapdf/libs"
bash services/postgres.sh start
trap 'bash services/kafka.sh stop; bash services/s3.sh stop; bash services/postgres.sh stop' EXIT
export HOTICH_TEST_DATABASE_URL="$(bash services/postgres.sh url)"
bash services/s3.sh start
while IFS= read -r line; do export "${line?}"; done < <(bash services/s3.sh env)
bash services/kafka.sh start
HOTICH_TEST_KAFKA="$(bash services/kafka.sh bootstrap)"
export HOTICH_TEST_KAFKA

echo "== ruff"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
echo "== mypy"
"$BIN/mypy"
echo "== import-linter"
"$BIN/lint-imports"
echo "== tools/logcheck (the independent Go verifier the log's tests run; a failed build fails make test)"
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
make --no-print-directory tools/logcheck/logcheck
echo "== pytest"
"$BIN/python" -m pytest -p no:cacheprovider "$@"
