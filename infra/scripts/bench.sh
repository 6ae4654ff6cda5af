#!/usr/bin/env bash
# make bench: start PostgreSQL, run the benchmarks, stop what we started. Figures only, no verdicts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
bash infra/scripts/postgres.sh start
trap 'bash infra/scripts/postgres.sh stop; rm -rf "$ROOT/.bench"' EXIT
# the S3 server for bench.upload (as in test.sh); from here on the trap stops it as well
trap 'bash infra/scripts/s3.sh stop; bash infra/scripts/postgres.sh stop; rm -rf "$ROOT/.bench"' EXIT
bash infra/scripts/s3.sh start
while IFS= read -r line; do export "${line?}"; done < <(bash infra/scripts/s3.sh env)
HOTICH_BENCH_DATABASE_URL="$(bash infra/scripts/postgres.sh url)"
export HOTICH_BENCH_DATABASE_URL
"$ROOT/.venv/bin/python" -m bench.append "$@"
"$ROOT/.venv/bin/python" -m bench.upload
