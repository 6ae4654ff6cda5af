"""The relay when the broker dies: `hotich relay --once` exits with an error in bounded time
(it waited forever in the producer's close), and the continuous relay logs the outage once
and carries on when the broker is back, sending nothing twice. On a broker of the test's own
(tests/integration/own_services.py), SIGKILLed and started again on its data.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from bootstrap.container import Container
from infra.messaging.positions import SqlPositions
from tests.builders import catalogue_book, fresh_container
from tests.integration.own_services import ROOT, OwnService, kill_kafka, own_kafka

EXIT_BOUND = 60.0  # seconds `hotich relay --once` may take to give up (15 s ack + 5 s close)
OUTAGE_LINE = re.compile(r"relay: .*retrying from position")


@pytest.fixture(scope="module")
def broker() -> Iterator[OwnService]:
    kafka = own_kafka()
    with kafka.held():
        kafka.start()
        yield kafka


def bootstrap_servers(broker: OwnService) -> str:
    return f"127.0.0.1:{broker.env['HOTICH_KAFKA_PORT']}"


@pytest.fixture
def container(tmp_path: Path, broker: OwnService) -> Iterator[Container]:
    broker.ensure_running()
    topic = f"hotich.outage.{uuid.uuid4().hex[:12]}"  # the relay creates it
    with fresh_container(
        tmp_path / "home", kafka_bootstrap=bootstrap_servers(broker), kafka_topic=topic
    ) as c:
        yield c


def record(container: Container, events: int) -> int:
    """``events`` books catalogued (an event each); the log's head."""
    for _ in range(events):
        book = uuid.uuid4().hex[:10]
        catalogue_book(container.app, book, year_from=1991, page_count=10, estimated_entries=3)
    return container.app.recorder.max_notification_id() or 0


def relay_env(container: Container) -> dict[str, str]:
    """The environment of `hotich relay` on the container's store and topic."""
    settings = container.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}
    env.update(
        HOTICH_HOME=str(settings.home),
        HOTICH_KAFKA_BOOTSTRAP=str(settings.kafka_bootstrap),
        HOTICH_KAFKA_TOPIC=settings.kafka_topic,
    )
    return env


def relay_command(container: Container, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", "relay", *args],
            cwd=ROOT,
            env=relay_env(container),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:.0f} s: {what}"
        time.sleep(0.01)


def relayed_ids(container: Container, broker: OwnService) -> Counter[int]:
    """How many times each notification id is on the topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers(broker), enable_auto_commit=False)
    try:
        topic = container.settings.kafka_topic
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        seen: Counter[int] = Counter()
        deadline = time.monotonic() + 60
        while any(consumer.position(p) < ends[p] for p in partitions):
            assert time.monotonic() < deadline, "the topic could not be read to its end"
            for batch in consumer.poll(timeout_ms=1000).values():
                for message in batch:
                    seen[int(dict(message.headers)["notification_id"])] += 1
        return seen
    finally:
        consumer.close()


def test_relay_once_exits_with_an_error_when_the_broker_dies_mid_relay(
    container: Container, broker: OwnService, tmp_path: Path
) -> None:
    head = record(container, 4000)  # four batches of 1,000
    positions = SqlPositions(container.db)
    log = tmp_path / "relay.log"
    relay = relay_command(container, "--once", log=log)
    try:
        wait_until(lambda: positions.get("relay") > 0, "the first batch acknowledged")
        relay.send_signal(signal.SIGSTOP)  # the broker dies in the middle of the relay
        kill_kafka(broker)
        relay.send_signal(signal.SIGCONT)
        started = time.monotonic()
        try:
            code = relay.wait(timeout=EXIT_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"hotich relay --once still waits {EXIT_BOUND:.0f} s after the broker died")
        took = time.monotonic() - started
    finally:
        if relay.poll() is None:
            relay.kill()
    output = log.read_text()
    print(f"  hotich relay --once, broker SIGKILLed: exit {code} after {took:.1f} s")
    assert code == 1, output
    reached = positions.get("relay")
    assert 0 < reached < head
    assert f"position {reached}" in output, output
    assert "run it again" in output, output

    broker.start("--keep-data")
    again = subprocess.run(
        [sys.executable, "-m", "cli.main", "relay", "--once"],
        cwd=ROOT,
        env=relay_env(container),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert positions.get("relay") == head
    seen = relayed_ids(container, broker)
    assert set(seen) == set(range(1, head + 1))  # nothing lost
    twice = {notification for notification, count in seen.items() if count > 1}
    assert all(notification > reached for notification in twice)  # at least once: only
    assert max(seen.values()) <= 2  # what the broker had not acknowledged, once again


def test_the_relay_logs_an_outage_once_and_carries_on_sending_nothing_twice(
    container: Container, broker: OwnService, tmp_path: Path
) -> None:
    head = record(container, 50)
    positions = SqlPositions(container.db)
    log = tmp_path / "relay.log"
    relay = relay_command(container, log=log)
    try:
        wait_until(lambda: positions.get("relay") == head, "the log relayed")
        kill_kafka(broker)
        head = record(container, 50)  # clerks go on working
        wait_until(lambda: OUTAGE_LINE.search(log.read_text()) is not None, "the outage logged")
        time.sleep(35)  # two more attempts at least (each waits 15 s for acknowledgements)
        assert len(OUTAGE_LINE.findall(log.read_text())) == 1, log.read_text()
        assert positions.get("relay") == head - 50

        broker.start("--keep-data")
        wait_until(lambda: positions.get("relay") == head, "the relay carried on", seconds=120)
        wait_until(lambda: "working again" in log.read_text(), "the end of the outage logged")
    finally:
        relay.send_signal(signal.SIGINT)
        try:
            relay.wait(timeout=30)
        except subprocess.TimeoutExpired:
            relay.kill()
    seen = relayed_ids(container, broker)
    assert set(seen) == set(range(1, head + 1))
    assert max(seen.values()) == 1, {n: c for n, c in seen.items() if c > 1}
