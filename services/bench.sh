#!/usr/bin/env bash
# make bench: start PostgreSQL, the S3 server and Kafka, run the benchmarks, stop what we started.
# Figures and ratios only, no verdicts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
trap 'bash services/kafka.sh stop; bash services/s3.sh stop; bash services/postgres.sh stop; rm -rf "$ROOT/.bench"' EXIT
bash services/postgres.sh start
bash services/s3.sh start
while IFS= read -r line; do export "${line?}"; done < <(bash services/s3.sh env)
bash services/kafka.sh start
HOTICH_BENCH_DATABASE_URL="$(bash services/postgres.sh url)"
HOTICH_BENCH_KAFKA="$(bash services/kafka.sh bootstrap)"
export HOTICH_BENCH_DATABASE_URL HOTICH_BENCH_KAFKA
"$ROOT/.venv/bin/python" -m bench.append "$@"
"$ROOT/.venv/bin/python" -m bench.log
"$ROOT/.venv/bin/python" -m bench.upload
"$ROOT/.venv/bin/python" -m bench.pipeline
"$ROOT/.venv/bin/python" -m bench.portal
