"""Kafka as the pipeline benchmark uses it: the broker (HOTICH_BENCH_KAFKA), fresh topics, the
relay's producer, and a KafkaProjectionRunner wired as `hotich project` wires it."""

from __future__ import annotations

import uuid

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bench.stamped_views import Models, Stamps, stamped_targets
from bench.workspace import required_env
from infra.messaging.consumer import KafkaProjectionRunner, kafka_consumer
from infra.messaging.leaves import KafkaLeafRuns, leaves_consumer, leaves_topic
from infra.messaging.relay import PRODUCER_SETTINGS
from infra.read_store.chain import SqlChainLedger
from infra.signing.keyring import PublicKeySet
from infra.tlog.note import NoteVerifier
from infra.tlog.runs import RunChecker

PARTITIONS = 12


def bootstrap() -> str:
    hint = (
        "host:port of the broker: run `bash services/kafka.sh start` and export "
        "HOTICH_BENCH_KAFKA=$(bash services/kafka.sh bootstrap)"
    )
    [servers] = required_env("HOTICH_BENCH_KAFKA", hint=hint)
    return servers


def relay_producer(servers: str, topic: str) -> KafkaProducer:
    """The relay's producer as infra/messaging/wiring.py configures it, with the topic's
    metadata fetched (before any clock starts)."""
    producer = KafkaProducer(bootstrap_servers=servers, **PRODUCER_SETTINGS)
    producer.partitions_for(topic)
    return producer


def new_topics(admin: KafkaAdminClient, created: list[str], label: str) -> str:
    """A fresh events topic, with its quarantine, checkpoints and leaves topics."""
    topic = f"hotich.bench.{label}.{uuid.uuid4().hex[:8]}"
    ones = [f"{topic}.quarantine", checkpoints_topic(topic), leaves_topic(topic)]
    admin.create_topics(
        [
            NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1),
            *(NewTopic(t, num_partitions=1, replication_factor=1) for t in ones),
        ]
    )
    created += [topic, *ones]
    return topic


def checkpoints_topic(topic: str) -> str:
    return f"{topic}.checkpoints"


def leaf_runs(servers: str, topic: str, verifier: NoteVerifier) -> KafkaLeafRuns:
    """The runs of leaves the relay published beside ``topic``, as `hotich project` reads them."""
    return KafkaLeafRuns(leaves_consumer(servers), RunChecker(verifier), leaves_topic(topic))


def kafka_runner(
    servers: str,
    topic: str,
    models: Models,
    chain: SqlChainLedger,
    keys: PublicKeySet,
    stamps: Stamps,
    workers: int = 0,
    leaves: KafkaLeafRuns | None = None,
) -> KafkaProjectionRunner:
    """A KafkaProjectionRunner wired as `hotich project` wires it (its consumer, quarantine
    producer, targets, chain ledger and the log's runs of leaves), stamping what it committed;
    ``workers`` check seals."""
    consumer = kafka_consumer(servers, f"bench-{uuid.uuid4().hex[:8]}")
    runner = KafkaProjectionRunner(
        consumer,
        KafkaProducer(bootstrap_servers=servers, acks="all"),
        topic,
        stamped_targets(models, stamps),
        keys,
        chain,
        check_workers=workers,
        leaves=leaves,
    )
    runner.subscribe()
    return runner


def close_runner(runner: KafkaProjectionRunner) -> None:
    runner.close()
    runner.consumer.close()
    if runner.producer is not None:
        runner.producer.close()
