"""The pipeline's end-to-end lag at a fixed offered rate: an appending process saves events one
by one (its own process, so that the relay and the runner do not slow it: the rate offered is
the rate achieved), and each event's lag runs from its save to the commit that made it visible
in all three views, through Kafka (the relay and the runner in threads) or in-process (the
polling runner). Times are CLOCK_MONOTONIC, one clock for every process of the machine.

    python -m bench.pipeline_lag --append STORE --rate 1000 --count 20000 --seed 2 --out FILE
        (the appending process: saves, then writes each event's save time to FILE)"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from kafka.admin import KafkaAdminClient

from bench.figures import percentile_ms
from bench.kafka_plumbing import close_runner, kafka_runner, new_topics, relay_producer
from bench.signed_store import empty_store, open_store
from bench.stamped_views import Key, Models, Stamps, stamped_projections
from bench.workload import workload
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import POLL_INTERVAL, KafkaRelay
from infra.read_store.chain import SqlChainLedger
from infra.read_store.log_runner import PollingProjectionRunner
from infra.service_db.database import SqlDatabase
from infra.store.seal_checks import SealChecker

APPLIED_TIMEOUT = 180  # seconds to wait for the last event once all are appended


def prebuilt(count: int, seed: int) -> list[Any]:
    return [e for chunk in workload(count, seed=seed) for e in chunk]


def append_at_rate(home: Path, per_second: int, count: int, seed: int, out: Path) -> None:
    """The appending process: save ``count`` events of the workload one by one at
    ``per_second``, noting each one's time just before its save (the save counts in the lag);
    then write those times and the rate achieved to ``out``."""
    app, _, _ = open_store(home)
    events = prebuilt(count, seed)
    appended: list[tuple[str, int, float]] = []
    start = time.monotonic()
    for i, event in enumerate(events):
        delay = start + i / per_second - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        appended.append((str(event.originator_id), event.originator_version, time.monotonic()))
        app.save(event)
    achieved = len(events) / (time.monotonic() - start)
    app.close()
    out.write_text(json.dumps({"achieved": achieved, "appended": appended}))


def offer(home: Path, per_second: int, count: int, seed: int, stamps: Stamps) -> str:
    """Save ``count`` events one by one at ``per_second`` from a process of their own, then wait
    until the views applied them all: the figures of the lag, as a line to print after its
    label."""
    out = home.parent / f"appended-{seed}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.pipeline_lag",
            "--append",
            str(home),
            "--rate",
            str(per_second),
            "--count",
            str(count),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
    )
    done = json.loads(out.read_text())
    appended = {(UUID(a), int(v)): t for a, v, t in done["appended"]}
    deadline = time.monotonic() + APPLIED_TIMEOUT
    while len(stamps.applied) < len(appended) and time.monotonic() < deadline:
        time.sleep(0.05)
    return lag_figures(appended, stamps.applied, per_second, done["achieved"])


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
    figures = offer(work / "store", per_second, per_second * seconds, 2, stamps)
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
    figures = offer(work / "store", per_second, per_second * seconds, 3, stamps)
    runner.stop()
    models.close()
    app.close()
    return f"  {f'in-process ({interval} s poll)':28} {figures}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--append", type=Path, required=True)
    parser.add_argument("--rate", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    append_at_rate(args.append, args.rate, args.count, args.seed, args.out)


if __name__ == "__main__":
    main()
