"""The Kafka projector of `hotich project`: the envelope read models fed by a consumer group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bootstrap.container import service_database
from bootstrap.log import log_verifier
from bootstrap.settings import Settings
from bootstrap.views import live_views
from infra.messaging.consumer import KafkaProjectionRunner, Target, kafka_consumer
from infra.messaging.leaves import KafkaLeafRuns, leaves_consumer, leaves_topic
from infra.read_store.chain import SqlChainLedger
from infra.read_store.live_views import ENVELOPE_MODELS, LiveViews
from infra.service_db.database import SqlDatabase
from infra.signing.keyring import Keyring
from infra.tlog.runs import RunChecker


@dataclass
class Projector:
    """A runner and what it holds open; :meth:`close` releases all of it."""

    runner: KafkaProjectionRunner
    consumer: Any
    producer: Any
    views: LiveViews
    chain: SqlChainLedger
    service_db: SqlDatabase

    def close(self) -> None:
        self.runner.close()
        self.consumer.close()
        self.producer.close()
        self.views.close()
        self.chain.close()
        self.service_db.close()


def build_projector(settings: Settings, group: str) -> Projector:
    """The projector of HOTICH_KAFKA_BOOTSTRAP's topic as consumer group ``group``."""
    from kafka import KafkaProducer

    if not settings.kafka_bootstrap:
        raise ValueError("HOTICH_KAFKA_BOOTSTRAP: required (host:port of the Kafka broker)")
    settings.home.mkdir(parents=True, exist_ok=True)
    keys = Keyring(settings.keys_dir).public_keys()
    service_db = service_database(settings)
    views = live_views(settings, service_db)  # follows rebuilt copies
    chain = SqlChainLedger(views.backend.database("chain"))
    consumer = kafka_consumer(settings.kafka_bootstrap, group)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    verifier = log_verifier(settings)
    leaves = (  # without the log's key, every envelope's signature is checked
        KafkaLeafRuns(
            leaves_consumer(settings.kafka_bootstrap),
            RunChecker(verifier),
            leaves_topic(settings.kafka_topic),
        )
        if verifier is not None
        else None
    )
    runner = KafkaProjectionRunner(
        consumer,
        producer,
        settings.kafka_topic,
        [Target(view, projection) for view, projection in views.projection_types(ENVELOPE_MODELS)],
        keys,
        chain,
        leaves=leaves,
    )
    return Projector(runner, consumer, producer, views, chain, service_db)
