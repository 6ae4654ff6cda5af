"""Verifiable log benchmark (issue 11): what keeping the log costs the writers, what signing a
checkpoint and serving a proof cost at 1,000,000 leaves, and what checking stored events by a
checkpoint saves over checking each event's signature. Figures and same-run ratios, printed,
never asserted; every target's figure is printed again at the end, one line each.

1. append: single saves (one event per ``app.save``) of ``--events`` workload events into a
   fresh signed store, with the log's keeper running as in `hotich serve` (a LogKeeper thread,
   ``--interval`` seconds) and without a log at all; the two alternate, medians compared; on
   SQLite and on PostgreSQL (HOTICH_BENCH_DATABASE_URL; its tables are dropped first). 8,000
   by default: 2,000 single saves take under a second on SQLite, so the keeper (one round at
   its start, the next a second later) did nothing while they ran.
2. checkpoint: ``--leaves`` synthetic leaves stored (TreeStore.append, batches of 10,000, on a
   fresh SQLite file), then ``Checkpoints.sign_if_grown`` timed after one more leaf each time.
3. proof: GET /log/proof/inclusion at random indexes, size ``--leaves``, sequentially over HTTP
   (uvicorn as `hotich serve` configures it, on a loopback port in a thread of this process,
   httpx keeping its connection) to the real API (api.main.create_app) serving a
   SqlTransparencyLog over that tree. Rounds alternate with, for scale, as many GET /log/key
   (the HTTP stack with next to nothing behind it) and proofs asked of the log in process.
4. check: a signed, encrypted SQLite store of ``--check-events`` events; every event checked by
   its signature (SealChecker, as the projections do) against every event's hash checked and
   the hashes folded into the root of a signed checkpoint, whose signature is verified once.
   Both hand out the checked envelopes; the two alternate, medians compared; then the µs an
   event of each step (read, decrypt, parse, hash, fold, Envelope, Ed25519).

    python -m bench.log [--events 8000] [--leaves 1000000] [--requests 2000]
                        [--check-events 100000] [--repeats 3] [--backends sqlite,postgres]
                        [--parts append,checkpoint,proof,check]

A quick run (seconds): ``--events 200 --leaves 20000 --requests 300 --check-events 2000
--repeats 1 --backends sqlite``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Notification

from api.deps import Services
from api.main import create_app
from bench.figures import (
    Stopwatch,
    alternate,
    machine,
    medians,
    per_second,
    percentile_ms,
)
from bench.signed_store import append, build_signed_sqlite, empty_store, env_for, open_store
from bench.workload import workload
from bench.workspace import BenchError, exit_on_sigterm, required_env, workdir
from bootstrap.container import load_admin_units
from bootstrap.http_protocol import ProblemHttpToolsProtocol
from bootstrap.log import LogKeeper
from bootstrap.settings import DEFAULT_ADMIN_UNITS
from digitization.application import Digitisation
from infra.signing.keyring import Keyring, PublicKeySet
from infra.store.envelope import check_hash
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.scan import POSTGRES_EVENTS_TABLE
from infra.store.seal_checks import SealChecker, envelope_json
from infra.store.sealing import SignedSealing
from infra.tlog.audit import Frontier
from infra.tlog.checkpoint import open_checkpoint
from infra.tlog.checkpoint_store import Checkpoints
from infra.tlog.database import SqliteTransactions
from infra.tlog.hashing import leaf_hash
from infra.tlog.log import SqlTransparencyLog
from infra.tlog.log_place import LogPlace
from infra.tlog.note import Ed25519NoteSigner
from infra.tlog.proofs import verify_inclusion
from infra.tlog.tree_store import Leaf, TreeStore
from projections.envelope import Envelope
from tests.e2e.server import start_in_thread

ORIGIN = "hotich.example/bench"
LOG_TABLES = (
    "hotich_tlog_cosignatures",
    "hotich_tlog_checkpoints",
    "hotich_tlog_tree",
    "hotich_tlog_tiles",
    "hotich_tlog_leaf_runs",
)
LEAF_BATCH = 10_000
READ_BATCH = 1000  # notifications per select, as the projection runners and the keeper read


@dataclass
class Summary:
    """One line per target for the block at the end."""

    lines: list[str] = field(default_factory=list)

    def target(self, what: str, figure: str, met: bool) -> None:
        self.lines.append(f"target {what}: {figure}: {'met' if met else 'NOT met'}")

    def note(self, line: str) -> None:
        self.lines.append(line)


# ----- 1. append with the tree kept / without ------------------------------------------------


def drop_tables(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for table in (POSTGRES_EVENTS_TABLE, *LOG_TABLES):
            conn.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
            )


@dataclass
class AppendSetup:
    backend: str
    events: list[Any]  # the timed saves
    root: Path
    pg_url: str | None
    interval: float
    cipher_key: str = field(default_factory=lambda: AESCipher.create_key(32))
    lags: list[int] = field(default_factory=list)  # leaves the tree lacked when appends ended
    catch_ups: list[float] = field(default_factory=list)  # seconds to bring it up then
    signed: list[int] = field(default_factory=list)  # checkpoints the keeper signed meanwhile


def append_run(setup: AppendSetup, kind: str) -> float:
    """Events/s of single saves into a fresh signed store; ``kept``: the keeper runs."""
    home = Path(tempfile.mkdtemp(dir=setup.root))
    if setup.backend == "postgres":
        assert setup.pg_url
        drop_tables(setup.pg_url)
    keyring = Keyring.open(home / "keys")
    app = Digitisation(
        env_for(setup.backend, home, setup.cipher_key, setup.pg_url),
        units=load_admin_units(DEFAULT_ADMIN_UNITS),
        sealing=SignedSealing(keyring.signer()),
    )
    log: SqlTransparencyLog | None = None
    keeper: LogKeeper | None = None
    if kind == "kept":
        place = (
            LogPlace(postgres_url=setup.pg_url)
            if setup.backend == "postgres"
            else LogPlace(sqlite_path=home / "events.sqlite")
        )
        log = SqlTransparencyLog(place, app, Ed25519NoteSigner.generate(ORIGIN))
        keeper = LogKeeper(log, setup.interval)
        keeper.start()
    try:
        seconds = append(app, setup.events, 1)
        if keeper is not None and log is not None:
            keeper.stop()
            setup.lags.append(len(setup.events) - log.size())
            sizes = [int(note.split("\n")[1]) for note in log.stored_checkpoints()]
            setup.signed.append(sum(size > 0 for size in sizes))
            with Stopwatch() as clock:
                log.catch_up()
            setup.catch_ups.append(clock.seconds)
            if log.size() != len(setup.events):
                raise BenchError(f"the tree holds {log.size()} leaves, not {len(setup.events)}")
    finally:
        if keeper is not None:
            keeper.stop()
        if log is not None:
            log.close()
        app.close()
    return len(setup.events) / seconds


def bench_append(
    backends: list[str], events: int, repeats: int, interval: float, pg_url: str | None
) -> list[tuple[str, float]]:
    batch = [e for chunk in workload(events) for e in chunk]
    print(
        f"1. append: {len(batch):,} workload events as single saves, signed and AES-GCM "
        f"encrypted; kept = a LogKeeper thread (interval {interval:g} s) running meanwhile, "
        f"without = no log; alternating, median of {repeats}",
        flush=True,
    )
    ratios = []
    with workdir("log-append-") as root:
        for backend in backends:
            warm = AppendSetup(backend, batch[:200], root, pg_url, interval)
            for kind in ("without", "kept"):  # imports, caches, connections: not counted
                append_run(warm, kind)
            setup = AppendSetup(backend, batch, root, pg_url, interval)

            def run(kind: str, setup: AppendSetup = setup) -> float:
                return append_run(setup, kind)

            got = medians(alternate(("without", "kept"), repeats, run))
            kept, without = got["kept"], got["without"]
            ratios.append((backend, kept / without))
            print(
                f"   {backend:8} without {without:7,.0f} ev/s   kept {kept:7,.0f} ev/s   "
                f"ratio kept/without {kept / without:4.2f}   (kept: the keeper signed "
                f"{statistics.median(setup.signed):.0f} checkpoints during the saves, the tree "
                f"lacked {statistics.median(setup.lags):,.0f} leaves when they ended and caught "
                f"up in {statistics.median(setup.catch_ups) * 1000:,.0f} ms; medians)",
                flush=True,
            )
    return ratios


# ----- 2. a checkpoint on a tree of 1,000,000 leaves ----------------------------------------


def store_leaves(db: SqliteTransactions, count: int) -> float:
    """Seconds to append ``count`` synthetic leaves (random hashes, notification ids 1..count)."""
    tree = TreeStore()
    with db.transaction() as conn:
        tree.create_tables(conn)
    with Stopwatch() as clock:
        for start in range(0, count, LEAF_BATCH):
            n = min(LEAF_BATCH, count - start)
            digests = os.urandom(32 * n)
            leaves: list[Leaf] = [(start + i + 1, digests[32 * i : 32 * i + 32]) for i in range(n)]
            with db.transaction() as conn:
                tree.append(conn, leaves)
    return clock.seconds


@dataclass
class CheckpointTimes:
    first_ms: float  # the first checkpoint (no earlier one to be consistent with)
    sign_ms: list[float]  # sign_if_grown alone, inside its transaction
    transaction_ms: list[float]  # with BEGIN IMMEDIATE ... COMMIT, as the keeper signs


def bench_checkpoint(db: SqliteTransactions, size: int, runs: int) -> CheckpointTimes:
    tree = TreeStore()
    checkpoints = Checkpoints(tree, Ed25519NoteSigner.generate(ORIGIN))
    with db.transaction() as conn:
        checkpoints.create_tables(conn)
        start = time.perf_counter()
        first = checkpoints.sign_if_grown(conn)
        first_ms = (time.perf_counter() - start) * 1000
    assert first is not None
    assert first.checkpoint.size == size
    times = CheckpointTimes(first_ms, [], [])
    for n in range(runs):
        with db.transaction() as conn:
            tree.append(conn, [(size + n + 1, os.urandom(32))])
        outer = time.perf_counter()
        with db.transaction() as conn:
            inner = time.perf_counter()
            stored = checkpoints.sign_if_grown(conn)
            times.sign_ms.append((time.perf_counter() - inner) * 1000)
        times.transaction_ms.append((time.perf_counter() - outer) * 1000)
        assert stored is not None
        assert stored.checkpoint.size == size + n + 1
    return times


# ----- 3. inclusion proofs through the API, over HTTP ---------------------------------------


def api_services(app: Digitisation, log: SqlTransparencyLog) -> Services:
    """The API's services with only the log real: /log/proof/inclusion touches nothing else."""
    unused = cast(Any, None)
    return Services(
        app=app,
        catalogue=unused,
        public_keys=dict,
        users=unused,
        once=unused,
        progress=unused,
        positions=unused,
        log=log,
    )


@dataclass
class Served:
    url: str
    stop: Callable[[], None]


def serve(app: Any) -> Served:
    """uvicorn on a free loopback port in a thread, as `hotich serve` configures it."""
    url, stop = start_in_thread(app, http=ProblemHttpToolsProtocol, timeout=30, error=BenchError)
    return Served(url, stop)


KINDS = ("proof over HTTP", "/log/key over HTTP", "proof in process")


@dataclass
class ProofRun:
    url: str
    spent: dict[str, list[list[float]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )  # seconds of each request, a list a round
    checked: int = 0  # proofs checked against the root (every 97th request over HTTP)
    leaf_hash_wrong: int = 0  # of those, answers whose "leaf_hash" is not the tree's leaf


def bench_proofs(home: Path, size: int, requests: int, warm_up: int, rounds: int) -> ProofRun:
    """Rounds of ``requests`` sequential inclusion proofs at random leaves over HTTP (after
    ``warm_up`` uncounted), alternating with, for scale, as many GET /log/key (the HTTP stack
    with next to nothing behind it) and as many proofs asked of the log directly."""
    app, _, _ = empty_store(home)  # the tree's file is the (empty) event store's
    signer = Ed25519NoteSigner.generate(ORIGIN)
    log = SqlTransparencyLog(LogPlace(sqlite_path=home / "events.sqlite"), app, signer)
    tree = TreeStore()
    mine = sqlite3.connect(home / "events.sqlite")  # the bench's own view of the tree
    root = tree.root(mine, size)  # where the proofs must lead
    served = serve(create_app(api_services(app, log)))
    run = ProofRun(served.url)
    rng = random.Random(11)
    try:
        with httpx.Client(base_url=served.url, timeout=30) as client:

            def proof_over_http(check: bool) -> float:
                index = rng.randrange(size)
                start = time.perf_counter()
                response = client.get("/log/proof/inclusion", params={"index": index, "size": size})
                took = time.perf_counter() - start
                if response.status_code != 200:
                    raise BenchError(f"HTTP {response.status_code}: {response.text[:300]}")
                if check:  # untimed
                    body = response.json()
                    proof = [base64.b64decode(h) for h in body["hashes"]]
                    leaf = tree.leaf_hash(mine, index)
                    if not verify_inclusion(leaf, index, size, proof, root):
                        raise BenchError(f"the proof of leaf {index} does not lead to the root")
                    run.checked += 1
                    run.leaf_hash_wrong += base64.b64decode(body["leaf_hash"]) != leaf
                return took

            def key_over_http() -> float:
                start = time.perf_counter()
                response = client.get("/log/key")
                took = time.perf_counter() - start
                if response.status_code != 200:
                    raise BenchError(f"/log/key: HTTP {response.status_code}")
                return took

            def proof_in_process() -> float:
                index = rng.randrange(size)
                start = time.perf_counter()
                log.inclusion_proof(index, size)
                return time.perf_counter() - start

            for _ in range(warm_up):
                proof_over_http(check=False)
                key_over_http()

            def measure(kind: str) -> float:
                if kind == KINDS[0]:
                    spent = [proof_over_http(check=n % 97 == 0) for n in range(requests)]
                elif kind == KINDS[1]:
                    spent = [key_over_http() for _ in range(requests)]
                else:
                    spent = [proof_in_process() for _ in range(requests)]
                run.spent[kind].append(spent)
                return percentile_ms(spent, 99)

            alternate(KINDS, rounds, measure)
    finally:
        served.stop()
        mine.close()
        log.close()
        app.close()
    return run


def report_proofs(run: ProofRun) -> tuple[float, str]:
    """Prints the figures; the median of the rounds' p99 over HTTP and how it was measured."""
    for kind in KINDS:
        rounds = run.spent[kind]
        pooled = [t for spent in rounds for t in spent]
        p99s = [percentile_ms(spent, 99) for spent in rounds]
        print(
            f"   {kind:19} p50 {percentile_ms(pooled, 50):5.2f} ms   p99 by round "
            f"{' / '.join(f'{p:.2f}' for p in p99s)} ms, median {statistics.median(p99s):.2f} ms"
            f"   pooled p99 {percentile_ms(pooled, 99):.2f} ms, max {max(pooled) * 1000:.2f} ms",
            flush=True,
        )
    if run.leaf_hash_wrong:
        print(
            f"   NOTE: {run.leaf_hash_wrong} of the {run.checked} answers checked carry a "
            '"leaf_hash" that is not the tree\'s leaf hash (the audit paths are right)',
            flush=True,
        )
    rounds = run.spent[KINDS[0]]
    p99 = statistics.median(percentile_ms(spent, 99) for spent in rounds)
    p50 = percentile_ms([t for spent in rounds for t in spent], 50)
    how = (
        f"median of {len(rounds)} rounds' p99 (p50 {p50:.2f} ms), {len(rounds[0]):,} sequential "
        "GETs a round over HTTP on loopback"
    )
    return p99, how


# ----- 4. checking stored events: by signature, by checkpoint -------------------------------


def notifications(app: Digitisation) -> Iterator[Notification]:
    after = 0
    while batch := app.recorder.select_notifications(start=after + 1, limit=READ_BATCH):
        yield from batch
        after = batch[-1].id


@dataclass
class CheckSetup:
    app: Digitisation
    mapper: SignedEnvelopeMapper
    checker: SealChecker
    note: str  # the signed checkpoint over every stored event
    verifier: Any
    events: int


def by_signature(setup: CheckSetup) -> float:
    """Events/s: each opened and its hash and signature checked (SealChecker, one thread)."""
    count = 0
    with Stopwatch() as clock:
        for notification in notifications(setup.app):
            if setup.checker(notification) is not None:
                count += 1
    if count != setup.events or setup.checker.quarantined:
        raise BenchError(f"{len(setup.checker.quarantined)} events failed their signature")
    return per_second(count, clock.seconds)


def by_checkpoint(setup: CheckSetup) -> float:
    """Events/s: each opened and its hash checked against its content, the hashes folded into
    a root compared with the signed checkpoint's, whose signature is verified once."""
    frontier = Frontier()
    with Stopwatch() as clock:
        checkpoint, _, _ = open_checkpoint(setup.note, setup.verifier)
        for notification in notifications(setup.app):
            raw = envelope_json(setup.mapper, notification)
            envelope = json.loads(raw)
            frontier.add(leaf_hash(check_hash(envelope, raw=raw)))
            Envelope.from_json(envelope)  # what the projection is handed, as SealChecker does
        if frontier.size != checkpoint.size or frontier.root() != checkpoint.root:
            raise BenchError("the stored events do not give the checkpoint's root")
    return per_second(frontier.size, clock.seconds)


def pieces(setup: CheckSetup, keys: PublicKeySet) -> dict[str, float]:
    """µs an event of each step, one step at a time over a batch of READ_BATCH events, batch
    after batch (as the checks stream them)."""
    seconds: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        """The time since the last lap goes to step ``name`` ("": to none)."""
        nonlocal mark
        now = time.perf_counter()
        if name:
            seconds[name] = seconds.get(name, 0.0) + now - mark
        mark = now

    frontier = Frontier()
    after, count = 0, 0
    while True:
        lap("")
        batch = setup.app.recorder.select_notifications(start=after + 1, limit=READ_BATCH)
        lap("read")
        if not batch:
            break
        raws = [envelope_json(setup.mapper, x) for x in batch]
        lap("decrypt")
        parsed = [json.loads(r) for r in raws]
        lap("parse JSON")
        hashes = [check_hash(e, raw=r) for e, r in zip(parsed, raws, strict=True)]
        lap("hash check")
        for digest in hashes:
            frontier.add(leaf_hash(digest))
        lap("fold into the root")
        for envelope in parsed:
            Envelope.from_json(envelope)
        lap("Envelope.from_json")
        signed = [
            (e["signature"]["key_id"], base64.b64decode(e["signature"]["value"]), h)
            for e, h in zip(parsed, hashes, strict=True)
        ]
        lap("")
        for key_id, value, digest in signed:
            keys.is_valid(key_id, value, digest)
        lap("Ed25519 verification")
        after, count = batch[-1].id, count + len(batch)
    return {name: spent / count * 1e6 for name, spent in seconds.items()}


def bench_check(home: Path, events: int, repeats: int) -> tuple[float, float]:
    with Stopwatch() as clock:
        build_signed_sqlite(home, events)
    app, mapper, keys = open_store(home)
    signer = Ed25519NoteSigner.generate(ORIGIN)
    log = SqlTransparencyLog(LogPlace(sqlite_path=home / "events.sqlite"), app, signer)
    try:
        with Stopwatch() as keeping:
            log.catch_up()
            stored = log.sign_checkpoint()
        assert stored is not None
        count = stored.checkpoint.size
        print(
            f"   built {count:,} events in {clock.seconds:.1f} s; the tree and its checkpoint "
            f"in {keeping.seconds:.1f} s",
            flush=True,
        )
        setup = CheckSetup(
            app, mapper, SealChecker(mapper, keys), stored.note, signer.verifier(), count
        )
        kinds = {"signature": by_signature, "checkpoint": by_checkpoint}
        got = medians(alternate(tuple(kinds), repeats, lambda k: kinds[k](setup)))
        us = pieces(setup, keys)
    finally:
        log.close()
        app.close()
    print(
        f"   by signature {got['signature']:9,.0f} ev/s   by checkpoint {got['checkpoint']:9,.0f} "
        f"ev/s   ratio checkpoint/signature {got['checkpoint'] / got['signature']:4.1f}x   "
        f"(median of {repeats}, alternating)"
    )
    print("   µs an event, step by step: " + ", ".join(f"{k} {v:.1f}" for k, v in us.items()))
    opening = us["read"] + us["decrypt"] + us["parse JSON"]
    hash_only = us["hash check"] + us["fold into the root"]
    with_signature = us["hash check"] + us["Ed25519 verification"]
    print(
        f"   the checks alone: hash + fold {hash_only:.1f} µs vs hash + signature "
        f"{with_signature:.1f} µs an event ({with_signature / hash_only:.1f}x); both open every "
        f"event first ({opening:.1f} µs: read, decrypt, parse) and build its Envelope "
        f"({us['Envelope.from_json']:.1f} µs)"
    )
    return got["signature"], got["checkpoint"]


# ----- the run ----------------------------------------------------------------------------------


def describe_ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.2f} ms, max {max(values):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", default="append,checkpoint,proof,check")
    parser.add_argument("--events", type=int, default=8000, help="single saves per append run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind, alternating")
    parser.add_argument("--interval", type=float, default=1.0, help="the keeper's, in seconds")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", type=int, default=20, help="checkpoints timed")
    parser.add_argument("--requests", type=int, default=2000, help="inclusion proofs timed")
    parser.add_argument("--warm-up", type=int, default=100, help="requests not counted")
    parser.add_argument("--check-events", type=int, default=100_000)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    backends = args.backends.split(",")
    pg_url = None
    if "append" in parts and "postgres" in backends:
        hint = "run `make bench`, which starts PostgreSQL, or --backends sqlite"
        [pg_url] = required_env("HOTICH_BENCH_DATABASE_URL", hint=hint)
    exit_on_sigterm()
    summary = Summary()

    if "append" in parts:
        for backend, kept_ratio in bench_append(
            backends, args.events, args.repeats, args.interval, pg_url
        ):
            summary.target(
                f"append kept/without, single saves, {backend} >= 0.9",
                f"{kept_ratio:.2f}",
                kept_ratio >= 0.9,
            )

    if parts & {"checkpoint", "proof"}:
        with workdir("log-tree-") as home:
            db = SqliteTransactions(home / "events.sqlite")
            try:
                seconds = store_leaves(db, args.leaves)
                print(
                    f"2. {args.leaves:,} synthetic leaves stored on SQLite in batches of "
                    f"{LEAF_BATCH:,}: {seconds:.1f} s ({per_second(args.leaves, seconds):,.0f} "
                    "leaves/s)",
                    flush=True,
                )
                if "checkpoint" in parts:
                    times = bench_checkpoint(db, args.leaves, args.checkpoints)
                    print(
                        f"   checkpoint at {args.leaves:,} leaves: the first {times.first_ms:.2f} "
                        f"ms; then one leaf more each time, {len(times.sign_ms)} runs: "
                        f"sign_if_grown {describe_ms(times.sign_ms)}; with its transaction "
                        f"(BEGIN IMMEDIATE ... COMMIT, as the keeper) "
                        f"{describe_ms(times.transaction_ms)}",
                        flush=True,
                    )
                    worst = max(times.transaction_ms)
                    summary.target(
                        f"checkpoint at {args.leaves:,} leaves <= 50 ms",
                        f"p50 {statistics.median(times.transaction_ms):.2f} ms, max "
                        f"{worst:.2f} ms (sign_if_grown with its transaction, SQLite)",
                        worst <= 50,
                    )
            finally:
                db.close()
            if "proof" in parts:
                print(
                    f"3. inclusion proofs at size {args.leaves:,}, random leaves, sequential: "
                    f"{args.repeats} rounds of {args.requests:,} requests of each kind, "
                    "alternating; over HTTP = uvicorn (as hotich serve) in a thread on a loopback "
                    f"port, httpx keeping its connection, after {args.warm_up} uncounted",
                    flush=True,
                )
                run = bench_proofs(home, args.leaves, args.requests, args.warm_up, args.repeats)
                p99, how = report_proofs(run)
                summary.target(
                    f"inclusion proof at {args.leaves:,} leaves over HTTP, p99 <= 5 ms",
                    f"p99 {p99:.2f} ms ({how}; checked {run.checked} against the root)",
                    p99 <= 5,
                )

    if "check" in parts:
        print(f"4. checking {args.check_events:,} stored events (signed, AES-GCM):", flush=True)
        with workdir("log-check-") as home:
            signature, checkpoint = bench_check(home, args.check_events, args.repeats)
        faster = checkpoint / signature
        summary.target(
            f"checking {args.check_events:,} stored events by checkpoint vs by signature >= 10x",
            f"{faster:.1f}x ({checkpoint:,.0f} vs {signature:,.0f} ev/s)",
            faster >= 10,
        )

    print()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"bench/log.py figures ({machine()}; load average at the end {load}):")
    for line in summary.lines:
        print(f"  {line}")


if __name__ == "__main__":
    main()
