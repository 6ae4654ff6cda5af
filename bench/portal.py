"""Portal benchmark: ID lookups and folded-name searches through the running API, against the
same queries asked of the read store directly.

1. **Fill.** The portal and record-history views are filled with ``--entries`` published entries
   (1,000,000 by default) through their projections (``PortalRecordsProjection``,
   ``RecordHistoryProjection``): envelopes are built in memory, in log order, for catalogued
   books (communes and districts of the admin units CSV), their scanned pages, and each entry's
   ``EntryKeyed`` / ``EntrySecondKeyed`` / ``EntryVerified`` / ``EntryPublished`` — fields drawn
   by the demo's generator (demo/entries.py: Hà Giang's ethnic groups), normalised and checked
   by ``validate_fields`` (personal IDs against sex and year of birth). Envelopes carry hashes but
   no signatures: a projection trusts what its runner checked, and signing 5 million events
   would take longer than the benchmark. One ``batch()`` (transaction) per ``--batch`` events.
   On PostgreSQL the projections run at ~500 ev/s (a round trip per statement), so by default
   (``--pg-fill copy``) the rows they wrote on SQLite are copied into the tables the
   PostgreSQL views create; ``--pg-fill project`` feeds the projections there instead.
   The filled store is kept between runs: SQLite files under ``.bench/portal/`` (hard-linked
   into each run's data directory), and a PostgreSQL database ``<name>_portal_bench`` beside
   ``HOTICH_BENCH_DATABASE_URL``'s, keyed by the size and a hash of the code that makes the rows.
2. **API.** `hotich serve` runs as a child process (HOTICH_DEMO=false; the views on SQLite files,
   or on PostgreSQL through HOTICH_READ_DATABASE_URL; the portal audit in the service database
   as always) with ``--server-workers`` HTTP worker processes (HOTICH_WORKERS; one per CPU by
   default), and a portal user of every district. Requests are sent open-loop at
   ``--rate`` requests/s (each at its scheduled time, latency measured from that time, so
   queueing shows), for ``--seconds``: first ID lookups (``GET /portal/records?personal_id=``,
   5 % IDs that no record holds), then name searches (``GET /portal/records/search?q=``: names
   that exist, spelled as stored, in NFD, without diacritics, in upper case, and with the other
   tone-mark placement, hoà/hòa). Searches inside names ("Thị Hoà", "oà") are timed one at a
   time, through the API and in-process.
   On PostgreSQL both kinds run twice: cold (after the warm-up pass of ``--rate`` requests
   each), then warm, after ``pg_prewarm`` read every table and index of the views into the
   server's buffers.
   Then the **sweep**: open loop at each ``--sweep`` rate in turn (300 to 1,000 req/s), lowest
   first, ``--sweep-seconds`` each, until a rate's p99 leaves the target, a request fails or
   the rate is not reached; it prints the highest rate that held, per query kind (goals of the
   issue: >= 500 req/s for ID lookups, >= 300 for name searches, SQLite, two workers). The
   load generator shares the 2 CPUs with the server, so the highest rate is a lower bound.
3. **Baseline.** The same queries, one after the other, asked of the portal view in this
   process (the page of stored answers each API answer reads).

Figures are printed, never asserted. Targets of the issue (2-core machine): ID lookup p99
<= 25 ms and name search p99 <= 50 ms at 200 requests/s.

This module is the command line and the order of the steps; the books and their envelopes are
in bench/portal_books.py, the filled stores in bench/portal_fill.py, the queries and the check
of their answers in bench/portal_queries.py, the load in bench/http_load.py, the baseline in
bench/portal_direct.py and the printed figures in bench/portal_report.py.

    python -m bench.portal [--entries 1000000] [--backends sqlite,postgres] [--rate 200]
                           [--seconds 20] [--sweep 300,400,...] [--sweep-seconds 10]
                           [--refill]
"""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

from bench.figures import machine
from bench.http_load import Run, Step, connections_per_worker, drive, sequential, sweep
from bench.portal_direct import direct
from bench.portal_fill import PostgresStore, SqliteStore, fill_key
from bench.portal_queries import Query, Samples, check_answers, inside_queries, make_queries
from bench.portal_report import Measured, holds, report
from bench.server import Server
from bench.workspace import bench_dir, exit_on_sigterm, required_env, workdir

PORTAL_USER = "portal.bench"
KINDS = ("id", "name")  # of query
SEQUENTIAL = 200  # requests of the one-at-a-time pass
HEALTHZ = Query("id", "/healthz", {}, "")
SWEEP_SEED = 7  # of the sweep's queries, other than the fixed-rate run's
HELD_AFTER = 2.0  # seconds into a run when the connections each worker holds are counted


def measure(store: SqliteStore | PostgresStore, args: argparse.Namespace, work: Path) -> Measured:
    """The store filled (or found in the cache), served, and its queries timed: open loop,
    one at a time through the API, and asked of the views in this process."""
    samples = store.prepare(args)
    queries = make_queries(samples, int(args.rate * args.seconds))
    server = Server(
        work, {**store.server_env(work / "home"), "HOTICH_WORKERS": str(args.server_workers)}
    )
    runs: dict[str, Run] = {}
    held: dict[str, list[int]] = {}

    def count(kind: str) -> None:
        held[kind] = connections_per_worker(server.pid, server.port)

    with server.running("portal bench"):
        token = server.add_user(PORTAL_USER, "portal", districts="*", name="Cổng DVC")
        with server.client(token) as client:
            check_answers(client, queries)
            for kind in KINDS:  # warm-up
                drive(server.url, token, queries[kind][: int(args.rate)], args.rate, args.workers)
            alone = {kind: sequential(client, queries[kind][:SEQUENTIAL]) for kind in KINDS}
            inside = inside_queries(samples, SEQUENTIAL)
            alone["inside"] = sequential(client, inside)
            floor = sequential(client, [HEALTHZ] * SEQUENTIAL)
        passes = [""]
        if isinstance(store, PostgresStore):
            passes.append(" warm")  # again, once the views are in the server's buffers
        for warm in passes:
            if warm:
                print(f"  {store.prewarm()}", flush=True)
            for kind in KINDS:
                watch = threading.Timer(HELD_AFTER, count, (kind + warm,))
                watch.start()
                runs[kind + warm] = drive(server.url, token, queries[kind], args.rate, args.workers)
                watch.join()
        steps = {kind: highest_rate(server.url, token, kind, samples, args) for kind in KINDS}
    baselines = {kind: direct(store.backend(), queries[kind]) for kind in KINDS}
    baselines["inside"] = direct(store.backend(), inside)
    return Measured(runs=runs, held=held, alone=alone, floor=floor, direct=baselines, sweep=steps)


def highest_rate(
    url: str, token: str, kind: str, samples: Samples, args: argparse.Namespace
) -> list[Step]:
    """Open loop at each ``--sweep`` rate, lowest first, ``--sweep-seconds`` each, until p99
    leaves the target (or requests fail, or the rate is not reached); fresh queries for the
    sweep (another seed), the same for every step."""
    if not args.sweep:
        return []
    most = int(max(args.sweep) * args.sweep_seconds)
    queries = make_queries(samples, most, seed=SWEEP_SEED)[kind]
    return sweep(
        lambda rate: drive(
            url, token, queries[: int(rate * args.sweep_seconds)], rate, args.workers
        ),
        args.sweep,
        lambda run: holds(kind, run),
    )


def rates(text: str) -> list[float]:
    try:
        found = sorted(float(r) for r in text.split(",") if r.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"rates: numbers separated by commas, not {text!r}"
        ) from None
    if any(r <= 0 for r in found):
        raise argparse.ArgumentTypeError("rates: each above 0")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000, help="published entries")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--rate", type=float, default=200.0, help="offered requests/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="per query kind")
    parser.add_argument("--workers", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="HTTP worker processes of hotich serve (HOTICH_WORKERS; default: one per CPU)",
    )
    parser.add_argument("--batch", type=int, default=20_000, help="events per fill transaction")
    parser.add_argument("--per-book", type=int, default=250, help="entries per book")
    parser.add_argument(
        "--pg-fill",
        choices=("copy", "project"),
        default="copy",
        help="PostgreSQL: copy the rows the projections wrote on SQLite (minutes), or feed the "
        "projections on PostgreSQL (a round trip per statement: hours for 1,000,000)",
    )
    parser.add_argument(
        "--sweep",
        type=rates,
        default=rates("300,400,500,650,800,1000"),
        help="rates (req/s) tried in turn, once the views are warm, for the highest at which "
        "each p99 stays within target; '' for none",
    )
    parser.add_argument("--sweep-seconds", type=float, default=10.0, help="per sweep rate")
    parser.add_argument("--refill", action="store_true", help="fill again, ignoring the cache")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - {"sqlite", "postgres"}:
        parser.error("--backends: sqlite, postgres or sqlite,postgres")
    if args.entries < 100 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--entries >= 100, --rate > 0 and --seconds > 0, please")
    url = ""
    if "postgres" in backends:
        hint = "run `make bench`, or --backends sqlite"
        [url] = required_env("HOTICH_BENCH_DATABASE_URL", hint=hint)
    exit_on_sigterm()
    print(
        f"portal bench: machine {machine()}; hotich: `hotich serve` "
        f"with {args.server_workers} HTTP worker process(es) (HOTICH_WORKERS) beside the one "
        "that feeds the views; the load generator (threads on keep-alive connections) in this "
        "process; other work on the machine makes figures noisy",
        flush=True,
    )
    key = fill_key(args.entries, args.per_book)
    cache = bench_dir() / "portal"
    cache.mkdir(exist_ok=True)
    summaries: list[str] = []
    for name in backends:
        store: SqliteStore | PostgresStore = (
            SqliteStore(cache, key)
            if name == "sqlite"
            else PostgresStore(url, key, SqliteStore(cache, key))
        )
        with workdir("run-", under=cache) as work:
            summaries.append(report(store.label, args, measure(store, args, work)))
    for line in summaries:
        print(line, flush=True)


if __name__ == "__main__":
    main()
