#!/usr/bin/env bash
# make bench: start PostgreSQL, run the benchmarks, stop what we started. Figures only, no verdicts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
bash infra/scripts/postgres.sh start
trap 'bash infra/scripts/postgres.sh stop; rm -rf "$ROOT/.bench"' EXIT
HOTICH_BENCH_DATABASE_URL="$(bash infra/scripts/postgres.sh url)"
export HOTICH_BENCH_DATABASE_URL
"$ROOT/.venv/bin/python" -m bench.append "$@"
