"""Pipeline benchmark: store → Kafka → read models, against raw kafka-python in the same run.

On a signed SQLite store of N events (built the way bench/append.py builds its verify store,
with its verifiable log brought up to it and a checkpoint signed) it times each stage
separately: the relay (KafkaRelay, idempotent producer, acks=all, a fresh 12-partition topic,
then the checkpoint and its runs of leaves), the three envelope projections fed from Kafka
(KafkaProjectionRunner with fresh SQLite views and chain ledger, checking the events by the
runs of leaves) and the same projections fed in-process from the notification log (checked by
the stored tree's runs). The baseline, on the same broker with the same message bytes, is a
raw kafka-python producer and a raw consumer. Then the end-to-end lag at a fixed offered rate
(an appending process, the relay and the runner in threads; also the in-process polling path),
and `hotich projections rebuild progress portal history` of the whole store, run as users run
it: its rate and the peak memory of all its processes, as it prints them; with
HOTICH_BENCH_DATABASE_URL, also with the store and the views on PostgreSQL (a database of its
own, made and dropped on that server). Timings are printed, never asserted.

    HOTICH_BENCH_KAFKA=127.0.0.1:9092 python -m bench.pipeline \
        [--events 100000] [--rate 1000] [--rate-seconds 20] [--only rebuild]
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path
from typing import Any

from kafka.admin import KafkaAdminClient

from bench.figures import Stopwatch, machine, per_second, ratio
from bench.kafka_plumbing import (
    PARTITIONS,
    bootstrap,
    checkpoints_topic,
    close_runner,
    kafka_runner,
    leaf_runs,
    new_topics,
    relay_producer,
)
from bench.pipeline_lag import lag_in_process, lag_kafka
from bench.pipeline_rebuild import rebuild, rebuild_line
from bench.signed_store import build_signed_sqlite, open_store, transparency_log
from bench.stamped_views import Models, Stamps
from bench.workspace import exit_on_sigterm, workdir
from digitization.application import Digitisation
from infra.messaging.consumer import kafka_consumer
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import KafkaRelay
from infra.read_store.chain import SqlChainLedger
from infra.read_store.log_runner import PollingProjectionRunner
from infra.service_db.database import SqlDatabase
from infra.signing.keyring import PublicKeySet
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker
from infra.tlog.log import SqlTransparencyLog

RUNS = "runs/signatures"  # events checked by runs of leaves, against each by its signature


# ----- stages -----------------------------------------------------------------------------------
def stage_relay(
    app: Digitisation,
    mapper: SignedEnvelopeMapper,
    log: SqlTransparencyLog,
    servers: str,
    topic: str,
    work: Path,
) -> tuple[int, float]:
    """The relay as `hotich relay` builds it: the events, then the log's checkpoint and its
    runs of leaves."""
    producer = relay_producer(servers, topic)
    relay = KafkaRelay(
        app.recorder,
        mapper,
        producer,
        SqlPositions(SqlDatabase(sqlite_path=work / "pos.sqlite")),
        topic=topic,
        checkpoints=log.notes_after,
        checkpoint_topic=checkpoints_topic(topic),
        runs=log.runs_between,
    )
    sent = 0
    with Stopwatch() as clock:
        while done := relay.relay_once():
            sent += done
    producer.close()
    return sent, clock.seconds


def stage_from_kafka(
    servers: str,
    topic: str,
    keys: PublicKeySet,
    log: SqlTransparencyLog | None,
    work: Path,
    total: int,
    workers: int = 0,
) -> tuple[int, float, float, int]:
    """Applied, seconds to the last commit, run_until_idle wall, quarantined; ``log``: the
    events are checked by its runs of leaves (None: each by its signature)."""
    models = Models(work)
    chain = SqlChainLedger(work / "chain.sqlite")
    stamps = Stamps()
    leaves = leaf_runs(servers, topic, log.signer.verifier()) if log is not None else None
    runner = kafka_runner(servers, topic, models, chain, keys, stamps, workers, leaves)
    started_mono = time.monotonic()
    with Stopwatch() as clock:
        runner.run_until_idle()
    wall = clock.seconds
    to_last = (stamps.last or started_mono) - started_mono
    close_runner(runner)
    chain.close()
    models.close()
    assert runner.stats.applied == total, (runner.stats.applied, total)
    return runner.stats.applied, to_last, wall, runner.stats.quarantined


def stage_in_process(
    app: Digitisation,
    mapper: SignedEnvelopeMapper,
    keys: PublicKeySet,
    log: SqlTransparencyLog | None,
    work: Path,
    workers: int,
) -> tuple[int, float, int]:
    """The three views fed from the log as `hotich serve` feeds them (bootstrap/web.py): the
    events checked by the stored tree's runs (``log``; None: each by its signature), in
    ``workers`` worker processes (0: in the runner's thread, as `hotich serve`)."""
    models = Models(work)
    leaves = log.checked_leaves if log is not None else None
    decode = SealChecker(mapper, keys, workers=workers, leaves=leaves)
    runner = PollingProjectionRunner(app, models.projections(), decode=decode)
    with Stopwatch() as clock:
        done = runner.catch_up()
    decode.close()
    models.close()
    return done, clock.seconds, decode.quarantines.count


def raw_consume(servers: str, topic: str, total: int) -> tuple[list[Any], float]:
    """Read ``total`` messages back as a fresh group with the runner's consumer settings, no
    processing: (messages, seconds)."""
    consumer = kafka_consumer(servers, f"raw-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    messages: list[Any] = []
    deadline = time.monotonic() + 120
    with Stopwatch() as clock:
        while len(messages) < total and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500, max_records=500).values():
                messages.extend(batch)
    consumer.close()
    return messages, clock.seconds


def raw_produce(servers: str, topic: str, messages: list[Any]) -> float:
    producer = relay_producer(servers, topic)
    with Stopwatch() as clock:
        for m in messages:
            producer.send(topic, value=m.value, key=m.key, headers=list(m.headers))
        producer.flush()
    producer.close()
    return clock.seconds


# ----- main -------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--rate-seconds", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument(
        "--only",
        choices=["rebuild", "stages"],
        help="rebuild: build the store, then only rebuild (no Kafka); stages: no lag, no rebuild",
    )
    parser.add_argument(
        "--store",
        type=Path,
        help="the store's directory: built there with --events if it has no store yet, kept "
        "afterwards (a 1,000,000-event store takes minutes to build)",
    )
    args = parser.parse_args()
    if args.only == "rebuild":
        with workdir("pipeline-") as work:
            only_rebuild(args, work)
        return
    servers = bootstrap()
    exit_on_sigterm()
    admin = KafkaAdminClient(bootstrap_servers=servers)
    created: list[str] = []
    try:
        with workdir("pipeline-") as work:
            run(args, servers, admin, created, work)
    finally:
        if created:
            admin.delete_topics(created)
        admin.close()


def run(
    args: argparse.Namespace, servers: str, admin: KafkaAdminClient, created: list[str], work: Path
) -> None:
    home = store(args, work)
    app, mapper, keys = open_store(home)
    total = app.recorder.max_notification_id() or 0
    print(
        f"pipeline: {total:,} events; broker {servers}, {PARTITIONS} partitions; "
        f"machine {machine()}",
        flush=True,
    )

    log = transparency_log(home, app)
    print("stages (each timed on its own):", flush=True)
    topic = new_topics(admin, created, "relay")
    sent, relay_s = stage_relay(app, mapper, log, servers, topic, work)
    messages, raw_consume_s = raw_consume(servers, topic, sent)
    raw_topic = new_topics(admin, created, "raw")
    raw_produce_s = raw_produce(servers, raw_topic, messages)
    size = sum(len(m.value) for m in messages) / max(1, len(messages))
    del messages
    applied, kafka_s, kafka_wall, quarantined = stage_from_kafka(
        servers, topic, keys, log, work / "from-kafka", sent
    )
    applied_s, kafka_s_s, _, kafka_s_q = stage_from_kafka(
        servers, topic, keys, None, work / "from-kafka-signed", sent
    )
    done, local_s, local_q = stage_in_process(app, mapper, keys, log, work / "from-log", 0)
    done_s, signed_s, signed_q = stage_in_process(app, mapper, keys, None, work / "signed", 0)
    log.close()
    app.close()

    relay_rate, raw_p = per_second(sent, relay_s), per_second(sent, raw_produce_s)
    kafka_rate, raw_c = per_second(applied, kafka_s), per_second(sent, raw_consume_s)
    print(
        f"  relay store→Kafka            {relay_rate:9,.0f} ev/s  ({relay_s:6.2f} s)   "
        f"raw producer {raw_p:9,.0f} ev/s   {ratio('relay/raw', relay_rate, raw_p)}   "
        f"(avg message {size:,.0f} B)"
    )
    print(
        f"  projections from Kafka       {kafka_rate:9,.0f} ev/s  ({kafka_s:6.2f} s to the "
        f"last apply; run_until_idle {kafka_wall:.2f} s)   raw consumer {raw_c:9,.0f} ev/s   "
        f"{ratio('projected/raw', kafka_rate, raw_c)}   quarantined {quarantined}"
    )
    kafka_s_rate = per_second(applied_s, kafka_s_s)
    print(
        f"    each checked by signature  {kafka_s_rate:9,.0f} ev/s  ({kafka_s_s:6.2f} s)   "
        f"{ratio(RUNS, kafka_rate, kafka_s_rate)}   quarantined {kafka_s_q}"
    )
    local_rate = per_second(done, local_s)
    print(
        f"  projections in-process       {local_rate:9,.0f} ev/s  ({local_s:6.2f} s)   "
        f"{ratio('Kafka-fed/in-process', kafka_rate, local_rate)}   quarantined {local_q}"
    )
    signed_rate = per_second(done_s, signed_s)
    print(
        f"    each checked by signature  {signed_rate:9,.0f} ev/s  ({signed_s:6.2f} s)   "
        f"{ratio(RUNS, local_rate, signed_rate)}   quarantined {signed_q}"
    )
    e2e = per_second(
        sent, relay_s + kafka_s
    )  # the stages timed one after the other, not overlapped
    print(
        f"  end to end (relay, then Kafka projections) {e2e:9,.0f} ev/s   "
        f"target ≥ 5,000: {'met' if e2e >= 5000 else 'NOT met'}",
        flush=True,
    )

    if args.only == "stages":
        return
    print(
        f"lag at {args.rate:,} ev/s offered for {args.rate_seconds} s (single saves, "
        "append → applied to all three views):",
        flush=True,
    )
    print(
        lag_kafka(servers, admin, created, work / "lag-kafka", args.rate, args.rate_seconds),
        flush=True,
    )
    print(
        lag_in_process(work / "lag-local", args.rate, args.rate_seconds, args.poll_interval),
        flush=True,
    )
    print("  target: p99 ≤ 1,000 ms", flush=True)

    for backend in ("sqlite", "postgres"):
        print(rebuild_line(rebuild(home, work, backend)), flush=True)


def store(args: argparse.Namespace, work: Path) -> Path:
    """The signed store: built in the work directory, or kept at --store."""
    home: Path = args.store or work / "store"
    if (home / "events.sqlite").exists():
        print(f"pipeline: the signed SQLite store in {home}", flush=True)
        return home
    with Stopwatch() as clock:
        build_signed_sqlite(home, args.events)
    print(f"pipeline: signed SQLite store of {args.events:,} events built in {clock.seconds:.1f} s")
    return home


def only_rebuild(args: argparse.Namespace, work: Path) -> None:
    home = store(args, work)
    for backend in ("sqlite", "postgres"):
        print(rebuild_line(rebuild(home, work, backend)), flush=True)


if __name__ == "__main__":
    main()
