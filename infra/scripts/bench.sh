#!/usr/bin/env bash
# make bench: start PostgreSQL, the S3 server and Kafka, run the benchmarks, stop what we started.
# Figures and ratios only, no verdicts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
trap 'bash infra/scripts/kafka.sh stop; bash infra/scripts/s3.sh stop; bash infra/scripts/postgres.sh stop; rm -rf "$ROOT/.bench"' EXIT
bash infra/scripts/postgres.sh start
bash infra/scripts/s3.sh start
while IFS= read -r line; do export "${line?}"; done < <(bash infra/scripts/s3.sh env)
bash infra/scripts/kafka.sh start
HOTICH_BENCH_DATABASE_URL="$(bash infra/scripts/postgres.sh url)"
HOTICH_BENCH_KAFKA="$(bash infra/scripts/kafka.sh bootstrap)"
export HOTICH_BENCH_DATABASE_URL HOTICH_BENCH_KAFKA
"$ROOT/.venv/bin/python" -m bench.append "$@"
"$ROOT/.venv/bin/python" -m bench.upload
"$ROOT/.venv/bin/python" -m bench.pipeline
"$ROOT/.venv/bin/python" -m bench.portal
