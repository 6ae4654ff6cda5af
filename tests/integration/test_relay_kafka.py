"""The relay publishes the stored log to a real Kafka broker: in order, signed, nothing lost."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bootstrap.container import Container
from bootstrap.log import build_log
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import KafkaRelay
from infra.store.envelope import check_seal
from tests.builders import catalogue_book, fresh_container, keyed
from tests.integration.broker import bootstrap_servers, consume_all, producer

BIRTH = {
    "child.full_name": "Lò Văn Páo",
    "child.sex": "nam",
    "child.birth_date": "1991",
    "registration_date": "02/02/1992",
}


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    with fresh_container(tmp_path / "home") as c:
        yield c


def record_some(container: Container, books: int) -> None:
    """``books`` books of three keyed entries each, in districts 026 and 024 by turns."""
    for book in range(books):
        commune = "00718" if book % 2 else "00694"
        register = catalogue_book(
            container.app,
            f"r{uuid.uuid4().hex[:6]}",
            commune_code=commune,
            year_from=1991,
            page_count=10,
            estimated_entries=3,
        )
        for number in (1, 2, 3):
            keyed(container.app, register.id, number, BIRTH)


def test_the_relay_publishes_every_event_once_in_order_and_signed(
    container: Container, topic: str
) -> None:
    record_some(container, books=4)  # 4 registers + 12 entries, in two districts
    total = container.app.recorder.max_notification_id()
    positions = SqlPositions(container.db)
    kafka = producer()
    relay = KafkaRelay(
        container.app.recorder, container.app.mapper, kafka, positions, topic=topic, batch=7
    )
    while relay.relay_once():
        pass
    assert relay.position == total

    messages = consume_all(topic, total)
    assert len(messages) == total
    keys = container.keyring.public_keys()
    by_partition: dict[int, list[int]] = {}
    for partition, key, headers, value in messages:
        envelope = json.loads(value)
        check_seal(envelope, keys)  # what is published is the signed envelope, in plaintext
        assert key == envelope["district"].encode()
        assert headers["event_type"] == envelope["event_type"].encode()
        by_partition.setdefault(partition, []).append(int(headers["notification_id"]))
    for ids in by_partition.values():
        assert ids == sorted(ids)  # each district's events keep the log's order
    assert sorted(i for ids in by_partition.values() for i in ids) == list(range(1, total + 1))

    # a new relay resumes from the stored position: nothing twice, the new events follow
    record_some(container, books=1)
    again = KafkaRelay(container.app.recorder, container.app.mapper, kafka, positions, topic=topic)
    assert again.relay_once() == container.app.recorder.max_notification_id() - total
    assert again.relay_once() == 0
    kafka.close()


def test_the_position_does_not_move_when_the_broker_does_not_acknowledge(
    container: Container, topic: str
) -> None:
    record_some(container, books=1)
    positions = SqlPositions(container.db)
    # the topic does not exist (and is not created automatically): no acknowledgement comes
    dead = KafkaProducer(
        bootstrap_servers=bootstrap_servers(),
        acks="all",
        enable_idempotence=True,
        max_block_ms=2000,
    )
    relay = KafkaRelay(
        container.app.recorder,
        container.app.mapper,
        dead,
        positions,
        topic="hotich.no-such-topic",
        ack_timeout=2.0,
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - kafka-python raises several kinds
        relay.relay_once()
    assert relay.position == 0
    dead.close(timeout=1)


def test_hotich_relay_once_publishes_the_store_and_resumes(container: Container) -> None:
    from typer.testing import CliRunner

    from cli.main import app as cli

    record_some(container, books=2)
    total = container.app.recorder.max_notification_id()
    topic = f"hotich.test.{uuid.uuid4().hex[:12]}"  # the command creates it
    env = {
        "HOTICH_HOME": str(container.settings.home),
        "HOTICH_KAFKA_BOOTSTRAP": bootstrap_servers(),
        "HOTICH_KAFKA_TOPIC": topic,
    }
    first = CliRunner().invoke(cli, ["relay", "--once"], env=env)
    assert first.exit_code == 0, first.output
    assert f"relayed {total} events; position {total}" in first.output
    second = CliRunner().invoke(cli, ["relay", "--once"], env=env)
    assert f"relayed 0 events; position {total}" in second.output
    assert len(consume_all(topic, total + 1)) == total
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers())
    admin.delete_topics([topic])
    admin.close()


def test_the_relay_publishes_the_logs_checkpoints_in_order_after_their_events(
    container: Container, topic: str
) -> None:
    """Each checkpoint the log signed goes to the checkpoints topic once, after the events it
    covers; a later checkpoint follows once signed, even with no new event to relay."""
    checkpoint_topic = f"{topic}.checkpoints"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers())
    admin.create_topics([NewTopic(checkpoint_topic, num_partitions=1, replication_factor=1)])
    log = build_log(container)
    try:
        record_some(container, books=1)
        log.catch_up()
        first = log.sign_checkpoint()
        relay = KafkaRelay(
            container.app.recorder,
            container.app.mapper,
            producer(),
            SqlPositions(container.db),
            topic=topic,
            checkpoints=log.notes_after,
            checkpoint_topic=checkpoint_topic,
        )
        while relay.relay_once():
            pass
        record_some(container, books=1)
        while relay.relay_once():
            pass
        log.catch_up()
        second = log.sign_checkpoint()
        assert relay.relay_once() == 0  # no event to relay: the checkpoint alone goes
        assert first is not None
        assert second is not None
        published = consume_all(checkpoint_topic, 3)
        assert [value.decode() for _, _, _, value in published] == [first.note, second.note]
        assert [key for _, key, _, _ in published] == [b"hotich.example/ha-giang"] * 2
    finally:
        log.close()
        admin.delete_topics([checkpoint_topic])
        admin.close()
