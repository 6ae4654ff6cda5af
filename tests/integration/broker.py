"""The Kafka broker the integration tests share (HOTICH_TEST_KAFKA, started by `make test`): its
address, a producer, a topic of a test's own, a store relayed to a topic, and what a topic
holds read from its start."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bootstrap.container import Container
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import KafkaRelay
from infra.store.mapper import SignedEnvelopeMapper


def bootstrap_servers() -> str:
    servers = os.environ.get("HOTICH_TEST_KAFKA")
    if not servers:
        pytest.fail("HOTICH_TEST_KAFKA is not set: run `make test`, which starts the Kafka broker")
    return servers


def producer() -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers(), enable_idempotence=True, acks="all", linger_ms=5
    )


@contextmanager
def new_topic() -> Iterator[str]:
    """A topic of three partitions of the test's own and its quarantine topic, deleted
    afterwards."""
    name = f"hotich.test.{uuid.uuid4().hex[:12]}"
    topics = [
        NewTopic(name, num_partitions=3, replication_factor=1),
        NewTopic(f"{name}.quarantine", num_partitions=1, replication_factor=1),
    ]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers())
    admin.create_topics(topics)
    try:
        yield name
    finally:
        admin.delete_topics([t.name for t in topics])
        admin.close()


def relay_all(container: Container, topic: str) -> int:
    """Every event of the container's store not relayed yet sent to ``topic``; how many."""
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    kafka = producer()
    relay = KafkaRelay(app.recorder, app.mapper, kafka, SqlPositions(container.db), topic=topic)
    sent = 0
    while batch := relay.relay_once():
        sent += batch
    kafka.close()
    return sent


def group_consumer() -> KafkaConsumer:
    """A consumer in a new group for a KafkaProjectionRunner, which commits the offsets; the
    group starts at the first offset."""
    return KafkaConsumer(
        bootstrap_servers=bootstrap_servers(),
        group_id=f"g-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


def from_the_start(topic: str) -> KafkaConsumer:
    """A consumer of every partition of ``topic`` from the first offset, in no group (a group
    needs the broker's group coordinator, which a fresh broker under load may take seconds to
    elect, and these reads commit nothing); its iteration ends once no message came for 3 s."""
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )


def consume_all(topic: str, expected: int) -> list[tuple[int, bytes, dict[str, bytes], bytes]]:
    """Up to ``expected`` messages of ``topic``: partition, key, headers and value each."""
    consumer = from_the_start(topic)
    messages = []
    for message in consumer:
        headers = dict(message.headers)
        messages.append((message.partition, message.key, headers, message.value))
        if len(messages) >= expected:
            break
    consumer.close()
    return messages
