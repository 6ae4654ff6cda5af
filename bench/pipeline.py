"""Pipeline benchmark: store → Kafka → read models, against raw kafka-python in the same run.

On a signed SQLite store of N events (built the way bench/append.py builds its verify store) it
times each stage separately: the relay (KafkaRelay, idempotent producer, acks=all, a fresh
12-partition topic), the three envelope projections fed from Kafka (KafkaProjectionRunner with
fresh SQLite views and chain ledger) and the same projections fed in-process from the
notification log. The baseline, on the same broker with the same message bytes, is a raw
kafka-python producer and a raw consumer. Then the end-to-end lag at a fixed offered rate (an
appending thread, the relay and the runner in threads; also the in-process polling path), and
the rebuild rate and peak memory of the in-process projections over the whole store, in a child
process. Timings are printed, never asserted.

    HOTICH_BENCH_KAFKA=127.0.0.1:9092 python -m bench.pipeline \
        [--events 100000] [--rate 1000] [--rate-seconds 20]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bench.append import build_signed_sqlite, env_for, workload
from bootstrap.container import load_admin_units
from bootstrap.settings import DEFAULT_ADMIN_UNITS
from digitization.application import Digitisation
from infra.messaging.consumer import KafkaProjectionRunner, Target, kafka_consumer
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import POLL_INTERVAL, PRODUCER_SETTINGS, KafkaRelay
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.chain import SqlChainLedger
from infra.read_store.live_views import ENVELOPE_MODELS, LiveViews
from infra.read_store.log_runner import PollingProjectionRunner
from infra.read_store.slots import SqlViewSlots
from infra.service_db.database import SqlDatabase
from infra.signing.keyring import Keyring, PublicKeySet
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker
from infra.store.sealing import SignedSealing
from projections.envelope import Envelope

PARTITIONS = 12
REBUILD_TARGET_EVENTS = 1_000_000
REBUILD_WORKERS = 1  # seal-checking worker processes of the rebuild (2 CPUs: it applies, 1 checks)
Key = tuple[UUID, int]  # (aggregate id, version)


# ----- the store --------------------------------------------------------------------------------
def open_store(home: Path) -> tuple[Digitisation, SignedEnvelopeMapper, PublicKeySet]:
    """The signed SQLite store in ``home`` (cipher.key and keys/ as build_signed_sqlite leaves)."""
    key = (home / "cipher.key").read_text().strip()
    keyring = Keyring.open(home / "keys")
    app = Digitisation(
        env_for("sqlite", home, key, None),
        units=load_admin_units(DEFAULT_ADMIN_UNITS),
        sealing=SignedSealing(keyring.signer()),
    )
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    return app, app.mapper, Keyring(home / "keys").public_keys()


def empty_store(home: Path) -> tuple[Digitisation, SignedEnvelopeMapper, PublicKeySet]:
    from eventsourcing.cryptography import AESCipher

    home.mkdir(parents=True, exist_ok=True)
    (home / "cipher.key").write_text(AESCipher.create_key(32))
    return open_store(home)


# ----- views and projections --------------------------------------------------------------------
class Models:
    """The envelope read models as `hotich serve` and `hotich project` open them: LiveViews over
    SQLite files, each view following its slot in the service database (SwitchingView)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.service = SqlDatabase(sqlite_path=directory / "service.sqlite")
        self.live = LiveViews(ReadStoreBackend.sqlite(directory), SqlViewSlots(self.service))

    def projections(self) -> list[Any]:
        return self.live.projections(ENVELOPE_MODELS)

    def projection_types(self) -> list[tuple[Any, Any]]:
        return self.live.projection_types(ENVELOPE_MODELS)

    def close(self) -> None:
        self.live.close()
        self.service.close()


def fresh_models(directory: Path) -> Models:
    """Empty envelope read models in ``directory``."""
    return Models(directory)


class Stamps:
    """When each event became visible in all three views: the keys a batch applied are stamped
    once the batch committed (a reader sees nothing of a batch before that)."""

    def __init__(self) -> None:
        self.applied: dict[Key, float] = {}
        self.pending: list[Key] = []
        self.last = 0.0

    def note(self, envelope: Envelope) -> None:
        self.pending.append((envelope.aggregate_id, envelope.version))

    def commit(self) -> None:
        if self.pending:
            self.last = now = time.monotonic()
            for key in self.pending:
                self.applied.setdefault(key, now)
            self.pending.clear()


class StampedView:
    """A view whose batches stamp what was applied in them once they committed; every other
    attribute is the view's own. Wraps the first view the runners enter (the last to commit)."""

    def __init__(self, inner: Any, stamps: Stamps) -> None:
        self.inner = inner
        self.stamps = stamps

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        with self.inner.batch():
            yield
        self.stamps.commit()


class Noting:
    """A projection that notes each event it applied, then the projection itself."""

    def __init__(self, inner: Any, stamps: Stamps) -> None:
        self.inner = inner
        self.view = inner.view  # the in-process runner batches the views it finds here
        self.stamps = stamps

    def process(self, envelope: Envelope, position: int) -> None:
        self.inner.process(envelope, position)
        self.stamps.note(envelope)


def stamped_projections(models: Models, stamps: Stamps) -> list[Any]:
    """The three projections as web.py builds them, stamping what each committed batch applied."""
    (first, first_type), *rest = models.projection_types()
    projections = [first_type(StampedView(first, stamps))]
    projections += [projection(view) for view, projection in rest]
    projections[-1] = Noting(projections[-1], stamps)
    return projections


def stamped_targets(models: Models, stamps: Stamps) -> list[Target]:
    """The three targets as `hotich project` builds them, stamping as above."""
    (first, first_type), *rest = models.projection_types()
    *targets, (last, last_type) = [(StampedView(first, stamps), first_type), *rest]
    return [
        *(Target(view, projection) for view, projection in targets),
        Target(last, lambda view: Noting(last_type(view), stamps)),
    ]


# ----- Kafka plumbing ---------------------------------------------------------------------------
def bootstrap() -> str:
    servers = os.environ.get("HOTICH_BENCH_KAFKA", "")
    if not servers:
        sys.exit(
            "HOTICH_BENCH_KAFKA is not set (host:port of the broker): run "
            "`bash services/kafka.sh start` and export "
            "HOTICH_BENCH_KAFKA=$(bash services/kafka.sh bootstrap)"
        )
    return servers


def relay_producer(servers: str) -> KafkaProducer:
    """The relay's producer as bootstrap/relay.py configures it."""
    return KafkaProducer(bootstrap_servers=servers, **PRODUCER_SETTINGS)


def new_topics(admin: KafkaAdminClient, created: list[str], label: str) -> str:
    topic = f"hotich.bench.{label}.{uuid.uuid4().hex[:8]}"
    admin.create_topics(
        [
            NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1),
            NewTopic(f"{topic}.quarantine", num_partitions=1, replication_factor=1),
        ]
    )
    created += [topic, f"{topic}.quarantine"]
    return topic


def kafka_runner(
    servers: str,
    topic: str,
    models: Models,
    chain: SqlChainLedger,
    keys: PublicKeySet,
    stamps: Stamps,
    workers: int = 0,
) -> KafkaProjectionRunner:
    """A KafkaProjectionRunner wired as `hotich project` wires it (its consumer, quarantine
    producer, targets and chain ledger), stamping what it committed; ``workers`` check seals."""
    consumer = kafka_consumer(servers, f"bench-{uuid.uuid4().hex[:8]}")
    runner = KafkaProjectionRunner(
        consumer,
        KafkaProducer(bootstrap_servers=servers, acks="all"),
        topic,
        stamped_targets(models, stamps),
        keys,
        chain,
        check_workers=workers,
    )
    runner.subscribe()
    return runner


def close_runner(runner: KafkaProjectionRunner) -> None:
    runner.close()
    runner.consumer.close()
    if runner.producer is not None:
        runner.producer.close()


# ----- stages -----------------------------------------------------------------------------------
def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def stage_relay(
    app: Digitisation, mapper: SignedEnvelopeMapper, servers: str, topic: str, work: Path
) -> tuple[int, float]:
    producer = relay_producer(servers)
    producer.partitions_for(topic)  # metadata before the clock starts
    relay = KafkaRelay(
        app.recorder,
        mapper,
        producer,
        SqlPositions(SqlDatabase(sqlite_path=work / "pos.sqlite")),
        topic=topic,
    )
    sent = 0
    started = time.perf_counter()
    while done := relay.relay_once():
        sent += done
    seconds = time.perf_counter() - started
    producer.close()
    return sent, seconds


def stage_from_kafka(
    servers: str, topic: str, keys: PublicKeySet, work: Path, total: int, workers: int = 0
) -> tuple[int, float, float, int]:
    """Applied, seconds to the last commit, run_until_idle wall, quarantined."""
    models = fresh_models(work)
    chain = SqlChainLedger(work / "chain.sqlite")
    stamps = Stamps()
    runner = kafka_runner(servers, topic, models, chain, keys, stamps, workers)
    started_mono = time.monotonic()
    started = time.perf_counter()
    runner.run_until_idle()
    wall = time.perf_counter() - started
    to_last = (stamps.last or started_mono) - started_mono
    close_runner(runner)
    chain.close()
    models.close()
    assert runner.stats.applied == total, (runner.stats.applied, total)
    return runner.stats.applied, to_last, wall, runner.stats.quarantined


def stage_in_process(
    app: Digitisation, mapper: SignedEnvelopeMapper, keys: PublicKeySet, work: Path, workers: int
) -> tuple[int, float, int]:
    """The three views fed from the log as `hotich serve` feeds them (bootstrap/web.py), the seals
    checked in ``workers`` worker processes (0: in the runner's thread, as `hotich serve`)."""
    models = fresh_models(work)
    decode = SealChecker(mapper, keys, workers=workers)
    runner = PollingProjectionRunner(app, models.projections(), decode=decode)
    started = time.perf_counter()
    done = runner.catch_up()
    seconds = time.perf_counter() - started
    decode.close()
    models.close()
    return done, seconds, len(decode.quarantined)


def raw_consume(servers: str, topic: str, total: int) -> tuple[list[Any], float]:
    """Read ``total`` messages back as a fresh group with the runner's consumer settings, no
    processing: (messages, seconds)."""
    consumer = kafka_consumer(servers, f"raw-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    messages: list[Any] = []
    started = time.perf_counter()
    deadline = time.monotonic() + 120
    while len(messages) < total and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500, max_records=500).values():
            messages.extend(batch)
    seconds = time.perf_counter() - started
    consumer.close()
    return messages, seconds


def raw_produce(servers: str, topic: str, messages: list[Any]) -> float:
    producer = relay_producer(servers)
    producer.partitions_for(topic)
    started = time.perf_counter()
    for m in messages:
        producer.send(topic, value=m.value, key=m.key, headers=list(m.headers))
    producer.flush()
    seconds = time.perf_counter() - started
    producer.close()
    return seconds


# ----- lag at a fixed offered rate --------------------------------------------------------------
def appender(
    app: Digitisation, events: list[Any], per_second: int, appended: dict[Key, float]
) -> threading.Thread:
    """A thread saving ``events`` one by one at ``per_second``; notes each one's append time
    (taken just before its save, so the save itself counts in the lag)."""

    def run() -> None:
        start = time.monotonic()
        for i, event in enumerate(events):
            delay = start + i / per_second - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            appended[(event.originator_id, event.originator_version)] = time.monotonic()
            app.save(event)

    return threading.Thread(target=run, name="appender", daemon=True)


def wait_applied(applied: dict[Key, float], total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(applied) < total and time.monotonic() < deadline:
        time.sleep(0.05)


def lag_line(
    label: str,
    appended: dict[Key, float],
    applied: dict[Key, float],
    offered: float,
    achieved: float,
) -> str:
    lags = sorted(applied[k] - t for k, t in appended.items() if k in applied)
    if not lags:
        return f"  {label:28} nothing applied"

    def pct(p: float) -> float:
        return lags[min(len(lags) - 1, max(0, round(p * len(lags)) - 1))] * 1000

    return (
        f"  {label:28} offered {offered:,.0f} ev/s (achieved {achieved:,.0f})   "
        f"applied {len(lags):,}/{len(appended):,}   lag p50 {pct(0.50):6.0f} ms   "
        f"p99 {pct(0.99):6.0f} ms   max {lags[-1] * 1000:6.0f} ms"
    )


def prebuilt(count: int, seed: int) -> list[Any]:
    return [e for chunk in workload(count, seed=seed) for e in chunk]


def lag_kafka(
    servers: str,
    admin: KafkaAdminClient,
    created: list[str],
    work: Path,
    per_second: int,
    seconds: int,
) -> str:
    events = prebuilt(per_second * seconds, seed=2)
    app, mapper, keys = empty_store(work / "store")
    topic = new_topics(admin, created, "lag")
    producer = relay_producer(servers)
    producer.partitions_for(topic)
    positions = SqlPositions(SqlDatabase(sqlite_path=work / "pos.sqlite"))
    relay = KafkaRelay(app.recorder, mapper, producer, positions, topic=topic)
    models = fresh_models(work / "views")
    chain = SqlChainLedger(work / "chain.sqlite")
    appended: dict[Key, float] = {}
    stamps = Stamps()
    runner = kafka_runner(servers, topic, models, chain, keys, stamps)
    joined = time.monotonic() + 30
    while not runner.consumer.assignment() and time.monotonic() < joined:
        runner.poll_once(timeout_ms=200)  # join the group before the clock starts
    threads = [
        threading.Thread(target=relay.run, name="relay", daemon=True),  # as hotich serve runs it
        threading.Thread(target=runner.run, name="consumer", daemon=True),
    ]
    for t in threads:
        t.start()
    feed = appender(app, events, per_second, appended)
    started = time.monotonic()
    feed.start()
    feed.join()
    achieved = len(events) / (time.monotonic() - started)
    wait_applied(stamps.applied, len(events), 180)
    relay.stop()
    runner.stop()
    for t in threads:
        t.join(timeout=10)
    close_runner(runner)
    producer.close()
    chain.close()
    models.close()
    app.close()
    label = f"Kafka (relay {POLL_INTERVAL} s poll)"
    return lag_line(label, appended, stamps.applied, per_second, achieved)


def lag_in_process(work: Path, per_second: int, seconds: int, interval: float) -> str:
    events = prebuilt(per_second * seconds, seed=3)
    app, mapper, keys = empty_store(work / "store")
    models = fresh_models(work / "views")
    appended: dict[Key, float] = {}
    stamps = Stamps()
    runner = PollingProjectionRunner(  # as bootstrap/web.py builds it
        app,
        stamped_projections(models, stamps),
        decode=SealChecker(mapper, keys),
        interval=interval,
    )
    runner.start()
    feed = appender(app, events, per_second, appended)
    started = time.monotonic()
    feed.start()
    feed.join()
    achieved = len(events) / (time.monotonic() - started)
    wait_applied(stamps.applied, len(events), 180)
    runner.stop()
    models.close()
    app.close()
    return lag_line(
        f"in-process ({interval} s poll)", appended, stamps.applied, per_second, achieved
    )


# ----- rebuild, in a child process for its own peak memory --------------------------------------
def rebuild_child(home: Path, views_dir: Path) -> None:
    app, mapper, keys = open_store(home)
    done, seconds, quarantined = stage_in_process(app, mapper, keys, views_dir, REBUILD_WORKERS)
    app.close()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # stopped by now
    print(
        json.dumps(
            {
                "events": done,
                "seconds": seconds,
                "maxrss_mb": maxrss_mb,
                "worker_mb": worker_mb,
                "quarantined": quarantined,
            }
        )
    )


def rebuild(home: Path, work: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.pipeline", "--rebuild-child", str(home), str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"rebuild child failed ({out.returncode}):\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ----- main -------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--rate-seconds", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument("--rebuild-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rebuild_child:
        rebuild_child(Path(args.rebuild_child[0]), Path(args.rebuild_child[1]))
        return
    servers = bootstrap()
    root = Path(os.environ.get("HOTICH_BENCH_DIR", ".bench"))
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root))
    admin = KafkaAdminClient(bootstrap_servers=servers)
    created: list[str] = []
    try:
        run(args, servers, admin, created, work)
    finally:
        if created:
            admin.delete_topics(created)
        admin.close()


def run(
    args: argparse.Namespace, servers: str, admin: KafkaAdminClient, created: list[str], work: Path
) -> None:
    home = work / "store"
    started = time.perf_counter()
    build_signed_sqlite(home, args.events)
    app, mapper, keys = open_store(home)
    total = app.recorder.max_notification_id() or 0
    print(
        f"pipeline: signed SQLite store of {total:,} events built in "
        f"{time.perf_counter() - started:.1f} s; broker {servers}, {PARTITIONS} partitions, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )

    print("stages (each timed on its own):", flush=True)
    topic = new_topics(admin, created, "relay")
    sent, relay_s = stage_relay(app, mapper, servers, topic, work)
    messages, raw_consume_s = raw_consume(servers, topic, sent)
    raw_topic = new_topics(admin, created, "raw")
    raw_produce_s = raw_produce(servers, raw_topic, messages)
    size = sum(len(m.value) for m in messages) / max(1, len(messages))
    del messages
    applied, kafka_s, kafka_wall, quarantined = stage_from_kafka(
        servers, topic, keys, work / "from-kafka", sent
    )
    applied_w, kafka_w_s, _, kafka_w_q = stage_from_kafka(
        servers, topic, keys, work / "from-kafka-by-worker", sent, workers=1
    )
    done, local_s, local_q = stage_in_process(app, mapper, keys, work / "from-log", 0)
    done_w, worker_s, worker_q = stage_in_process(app, mapper, keys, work / "by-worker", 1)
    app.close()

    relay_rate, raw_p = rate(sent, relay_s), rate(sent, raw_produce_s)
    kafka_rate, raw_c = rate(applied, kafka_s), rate(sent, raw_consume_s)
    print(
        f"  relay store→Kafka            {relay_rate:9,.0f} ev/s  ({relay_s:6.2f} s)   "
        f"raw producer {raw_p:9,.0f} ev/s   ratio relay/raw {relay_rate / raw_p:4.2f}   "
        f"(avg message {size:,.0f} B)"
    )
    print(
        f"  projections from Kafka       {kafka_rate:9,.0f} ev/s  ({kafka_s:6.2f} s to the "
        f"last apply; run_until_idle {kafka_wall:.2f} s)   raw consumer {raw_c:9,.0f} ev/s   "
        f"ratio projected/raw {kafka_rate / raw_c:4.2f}   quarantined {quarantined}"
    )
    kafka_w_rate = rate(applied_w, kafka_w_s)
    print(
        f"    seals checked by a worker  {kafka_w_rate:9,.0f} ev/s  ({kafka_w_s:6.2f} s)   "
        f"ratio to the runner's thread {kafka_w_rate / kafka_rate:4.2f}   quarantined {kafka_w_q}"
    )
    print(
        f"  projections in-process       {rate(done, local_s):9,.0f} ev/s  ({local_s:6.2f} s)   "
        f"ratio Kafka-fed/in-process {kafka_rate / rate(done, local_s):4.2f}   "
        f"quarantined {local_q}"
    )
    worker_rate = rate(done_w, worker_s)
    print(
        f"    seals checked by a worker  {worker_rate:9,.0f} ev/s  ({worker_s:6.2f} s)   "
        f"ratio to the runner's thread {worker_rate / rate(done, local_s):4.2f}   "
        f"quarantined {worker_q}"
    )
    e2e = rate(sent, relay_s + kafka_s)  # the stages timed one after the other, not overlapped
    print(
        f"  end to end (relay, then Kafka projections) {e2e:9,.0f} ev/s   "
        f"target ≥ 5,000: {'met' if e2e >= 5000 else 'NOT met'}",
        flush=True,
    )

    print(
        f"lag at {args.rate:,} ev/s offered for {args.rate_seconds} s (single saves, "
        "append → applied to all three views):",
        flush=True,
    )
    kafka_line = lag_kafka(
        servers, admin, created, work / "lag-kafka", args.rate, args.rate_seconds
    )
    print(kafka_line, flush=True)
    print(
        lag_in_process(work / "lag-local", args.rate, args.rate_seconds, args.poll_interval),
        flush=True,
    )
    print("  target: p99 ≤ 1,000 ms", flush=True)

    r = rebuild(home, work / "rebuild")
    rebuild_rate = rate(r["events"], r["seconds"])
    print(
        f"rebuild in-process from scratch (child process, seals checked by {REBUILD_WORKERS} "
        f"worker): {r['events']:,} events, {rebuild_rate:,.0f} ev/s ({r['seconds']:.1f} s), "
        f"peak memory {r['maxrss_mb']:,.0f} MB max RSS (its worker {r['worker_mb']:,.0f} MB); "
        f"target ≥ 10,000 ev/s for {REBUILD_TARGET_EVENTS:,} events: "
        f"{'met' if rebuild_rate >= 10_000 else 'NOT met'}"
        + (
            f" (measured on {r['events']:,} events, not {REBUILD_TARGET_EVENTS:,}: "
            "run with --events 1000000 for the target figure)"
            if r["events"] < REBUILD_TARGET_EVENTS
            else ""
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
