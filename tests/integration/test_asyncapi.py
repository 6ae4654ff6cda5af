"""The AsyncAPI document of hotich.events.v1 describes the messages the relay really sends."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import jsonschema
from kafka.admin import KafkaAdminClient, NewTopic

from bootstrap.container import Container
from domain.actor import Actor, Role
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import KafkaRelay
from tests.integration.test_relay_kafka import (
    bootstrap_servers,
    consume_all,
    container,  # noqa: F401 - the fixture
    producer,
    record_some,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def test_real_messages_match_the_asyncapi_document(container: Container) -> None:  # noqa: F811
    doc = json.loads(DOC.read_text("utf-8"))
    assert doc["asyncapi"].startswith("3.")
    assert doc["channels"]["events"]["address"] == "hotich.events.v1"
    message = doc["components"]["messages"]["SignedEvent"]
    schemas = doc["components"]["schemas"]
    envelope_schema = {**schemas["Envelope"], "$defs": schemas}
    headers_schema = schemas["Headers"]
    key_pattern = re.compile(message["bindings"]["kafka"]["key"]["pattern"])

    record_some(container, books=2)
    container.app.set_plan_target(
        actor=Actor("admin.tinh", Role.ADMIN), district_code="026", target_date="2024-12-31"
    )
    total = container.app.recorder.max_notification_id()
    topic = f"hotich.test.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers())
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    kafka = producer()
    relay = KafkaRelay(
        container.app.recorder, container.app.mapper, kafka, SqlPositions(container.db), topic=topic
    )
    while relay.relay_once():
        pass
    kafka.close()

    messages = consume_all(topic, total)
    assert len(messages) == total
    seen_types = set()
    for _, key, headers, value in messages:
        envelope = json.loads(value)
        jsonschema.validate(envelope, envelope_schema)
        jsonschema.validate({k: v.decode() for k, v in headers.items()}, headers_schema)
        assert key_pattern.fullmatch(key.decode())
        seen_types.add(envelope["aggregate_type"])
    assert seen_types == {"Register", "CivilRecord", "DigitisationPlan"}
    admin.delete_topics([topic])
    admin.close()
