"""Build the Kafka relay of a container (used by `hotich relay` and `hotich serve`)."""

from __future__ import annotations

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from bootstrap.container import Container
from bootstrap.log import build_log
from infra.messaging.leaves import leaves_topic
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import CHECKPOINT_TOPIC, PRODUCER_SETTINGS, KafkaRelay
from infra.store.mapper import SignedEnvelopeMapper

PARTITIONS = 12  # room for a consumer group to grow; districts spread by key


def ensure_topic(bootstrap: str, topic: str, *, partitions: int = PARTITIONS) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=10_000)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def build_relay(container: Container) -> KafkaRelay:
    """The relay of the container's store to HOTICH_KAFKA_BOOTSTRAP (topic created if absent)."""
    settings = container.settings
    if not settings.kafka_bootstrap:
        raise ValueError("HOTICH_KAFKA_BOOTSTRAP: required (host:port of the Kafka broker)")
    ensure_topic(settings.kafka_bootstrap, settings.kafka_topic)
    ensure_topic(settings.kafka_bootstrap, CHECKPOINT_TOPIC, partitions=1)  # one order
    ensure_topic(settings.kafka_bootstrap, leaves_topic(settings.kafka_topic), partitions=1)
    mapper = container.app.mapper
    assert isinstance(mapper, SignedEnvelopeMapper)
    log = build_log(container)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, **PRODUCER_SETTINGS)
    return KafkaRelay(
        container.app.recorder,
        mapper,
        producer,
        SqlPositions(container.db),
        topic=settings.kafka_topic,
        checkpoints=log.notes_after,
        runs=log.runs_between,
        on_close=log.close,
    )
