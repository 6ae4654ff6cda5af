#!/usr/bin/env bash
# make test: start the services the suite needs, lint, type-check, run every test, stop what we started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"

# Debian's chromium for the browser tests (Playwright drives it; it never downloads one)
bash infra/scripts/chromium.sh install
bash infra/scripts/chromium.sh check
bash infra/scripts/postgres.sh start
trap 'bash infra/scripts/kafka.sh stop; bash infra/scripts/s3.sh stop; bash infra/scripts/postgres.sh stop' EXIT
export HOTICH_TEST_DATABASE_URL="$(bash infra/scripts/postgres.sh url)"
bash infra/scripts/s3.sh start
while IFS= read -r line; do export "${line?}"; done < <(bash infra/scripts/s3.sh env)
bash infra/scripts/kafka.sh start
HOTICH_TEST_KAFKA="$(bash infra/scripts/kafka.sh bootstrap)"
export HOTICH_TEST_KAFKA

echo "== ruff"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
echo "== mypy"
"$BIN/mypy"
echo "== pytest"
"$BIN/python" -m pytest -p no:cacheprovider "$@"
