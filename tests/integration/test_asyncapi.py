"""The AsyncAPI document of hotich.events.v1 describes the messages the relay really sends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from bootstrap.container import Container
from domain.actor import Actor, Role
from tests.integration.broker import consume_all, relay_all
from tests.integration.test_relay_kafka import (
    container,  # noqa: F401 - the fixture
    record_some,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def test_real_messages_match_the_asyncapi_document(
    container: Container,  # noqa: F811
    topic: str,
) -> None:
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
    relay_all(container, topic)

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
