"""The pipeline's end-to-end lag at a fixed offered rate: an appending thread saves events one by
one, and each event's lag runs from its save to the commit that made it visible in all three
views, through Kafka (the relay and the runner in threads) or in-process (the polling runner)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from kafka.admin import KafkaAdminClient

from bench.figures import percentile_ms
from bench.kafka_plumbing import close_runner, kafka_runner, new_topics, relay_producer
from bench.signed_store import empty_store
from bench.stamped_views import Key, Models, Stamps, stamped_projections
from bench.workload import workload
from digitization.application import Digitisation
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import POLL_INTERVAL, KafkaRelay
from infra.read_store.chain import SqlChainLedger
from infra.read_store.log_runner import PollingProjectionRunner
from infra.service_db.database import SqlDatabase
from infra.store.seal_checks import SealChecker

APPLIED_TIMEOUT = 180  # seconds to wait for the last event once all are appended


def prebuilt(count: int, seed: int) -> list[Any]:
    return [e for chunk in workload(count, seed=seed) for e in chunk]


def offer(app: Digitisation, events: list[Any], per_second: int, stamps: Stamps) -> str:
    """Save ``events`` one by one at ``per_second`` from a thread, noting each one's append
    time (just before its save, so the save itself counts in the lag), then wait until the
    views applied them all: the figures of the lag, as a line to print after its label."""
    appended: dict[Key, float] = {}

    def run() -> None:
        start = time.monotonic()
        for i, event in enumerate(events):
            delay = start + i / per_second - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            appended[(event.originator_id, event.originator_version)] = time.monotonic()
            app.save(event)

    feed = threading.Thread(target=run, name="appender", daemon=True)
    started = time.monotonic()
    feed.start()
    feed.join()
    achieved = len(events) / (time.monotonic() - started)
    deadline = time.monotonic() + APPLIED_TIMEOUT
    while len(stamps.applied) < len(events) and time.monotonic() < deadline:
        time.sleep(0.05)
    return lag_figures(appended, stamps.applied, per_second, achieved)


def lag_figures(
    appended: dict[Key, float], applied: dict[Key, float], offered: float, achieved: float
) -> str:
    lags = [applied[k] - t for k, t in appended.items() if k in applied]
    if not lags:
        return "nothing applied"
    return (
        f"offered {offered:,.0f} ev/s (achieved {achieved:,.0f})   "
        f"applied {len(lags):,}/{len(appended):,}   lag p50 {percentile_ms(lags, 50):6.0f} ms   "
        f"p99 {percentile_ms(lags, 99):6.0f} ms   max {max(lags) * 1000:6.0f} ms"
    )


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
    producer = relay_producer(servers, topic)
    positions = SqlPositions(SqlDatabase(sqlite_path=work / "pos.sqlite"))
    relay = KafkaRelay(app.recorder, mapper, producer, positions, topic=topic)
    models = Models(work / "views")
    chain = SqlChainLedger(work / "chain.sqlite")
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
    figures = offer(app, events, per_second, stamps)
    relay.stop()
    runner.stop()
    for t in threads:
        t.join(timeout=10)
    close_runner(runner)
    producer.close()
    chain.close()
    models.close()
    app.close()
    return f"  {f'Kafka (relay {POLL_INTERVAL} s poll)':28} {figures}"


def lag_in_process(work: Path, per_second: int, seconds: int, interval: float) -> str:
    events = prebuilt(per_second * seconds, seed=3)
    app, mapper, keys = empty_store(work / "store")
    models = Models(work / "views")
    stamps = Stamps()
    runner = PollingProjectionRunner(  # as infra/web.py builds it
        app,
        stamped_projections(models, stamps),
        decode=SealChecker(mapper, keys),
        interval=interval,
    )
    runner.start()
    figures = offer(app, events, per_second, stamps)
    runner.stop()
    models.close()
    app.close()
    return f"  {f'in-process ({interval} s poll)':28} {figures}"
