"""Runs of events checked by a signed checkpoint: one signature for the run, and a bad event
inside it is still quarantined by name while the rest of the run is applied.

The intruder holds the cipher key (or the broker) but not the signing keys: it changes an
event's content and gives it the hash of its new content, keeping the old signature. The hash
then checks, but the event's leaf is not the log's, so it is checked by its signature, which
fails: that event alone is quarantined, every other event of the run is applied without a
signature check of its own. On SQLite and PostgreSQL, in-process and through Kafka.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bootstrap.container import Container
from bootstrap.log import build_log
from digitization.application import Digitisation
from infra.messaging.consumer import KafkaProjectionRunner, Target, kafka_consumer
from infra.messaging.leaves import KafkaLeafRuns, leaves_consumer, leaves_topic
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import KafkaRelay
from infra.read_store.chain import SqlChainLedger
from infra.read_store.log_runner import PollingProjectionRunner
from infra.signing.keyring import PublicKeySet
from infra.store.envelope import content_hash
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker
from infra.tlog.log import SqlTransparencyLog
from infra.tlog.runs import RunChecker
from projections.district_progress import DistrictProgressProjection
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection
from tests.integration.raw_store import RawStore
from tests.integration.test_projections_kafka import make_views, projections, record_workflow
from tests.integration.test_relay_kafka import bootstrap_servers


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The key ids of every event signature checked from now on."""
    checked: list[str] = []
    is_valid = PublicKeySet.is_valid

    def counting(self: PublicKeySet, key_id: str, signature: bytes, message: bytes) -> bool:
        checked.append(key_id)
        return is_valid(self, key_id, signature, message)

    monkeypatch.setattr(PublicKeySet, "is_valid", counting)
    return checked


@pytest.fixture
def log(container: Container) -> Iterator[SqlTransparencyLog]:
    """The store's verifiable log, as `hotich serve`'s keeper keeps it."""
    with closing(build_log(container)) as kept:
        yield kept


def forged(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope with another name, hashed anew, its old signature kept."""
    changed = json.loads(json.dumps(envelope))
    changed["payload"]["fields"]["child.full_name"] = "Kẻ Giả Mạo"
    changed["hash"] = content_hash(changed)
    return changed


class Checkpointed(NamedTuple):
    app: Digitisation
    mapper: SignedEnvelopeMapper  # the app's, sealing and signing every event
    log: SqlTransparencyLog
    entries: list[uuid.UUID]
    total: int  # how many events


@pytest.fixture
def checkpointed(container: Container, log: SqlTransparencyLog) -> Checkpointed:
    """Two books of entries recorded, the log brought up to them and a checkpoint signed
    covering every event."""
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    entries = record_workflow(container) + record_workflow(container)
    log.catch_up()
    stored = log.sign_checkpoint()
    total = container.app.recorder.max_notification_id() or 0
    assert stored is not None
    assert stored.checkpoint.size == total > 20
    return Checkpointed(app, app.mapper, log, entries, total)


def test_a_forged_event_inside_a_checkpointed_run_is_the_only_one_quarantined(
    container: Container, signatures: list[str], checkpointed: Checkpointed, tmp_path: Path
) -> None:
    app, mapper, log, entries, total = checkpointed
    target = entries[1]  # the keying of the second entry: an event in the middle of the run
    raw = RawStore(container.settings)
    _, state = raw.row(target, 1)
    cipher = mapper.cipher
    assert cipher is not None
    envelope = json.loads(cipher.decrypt(state))
    raw.set_state(target, 1, cipher.encrypt(json.dumps(forged(envelope)).encode()))

    checker = SealChecker(mapper, container.keyring.public_keys(), leaves=log.checked_leaves)
    views = make_views(tmp_path / "views")
    runner = PollingProjectionRunner(app, projections(views), decode=checker, batch=10)
    assert runner.catch_up() == total  # several pages, each a run of the checkpoint
    assert runner.applied == total - 1
    [(position, reason)] = checker.quarantined
    assert reason == f"signature does not check with key {envelope['signature']['key_id']}"
    assert app.recorder.select_notifications(start=position, limit=1)[0].originator_id == target
    assert len(signatures) == 1  # only the forged event fell back to its signature
    _, portal, history = views
    assert [item.version for item in history.history(target)] == [2, 3, 4]
    assert portal.get_record(entries[0]) is not None  # the rest of the run was applied


def test_a_forged_message_inside_a_relayed_run_is_the_only_one_quarantined(
    container: Container, signatures: list[str], checkpointed: Checkpointed, tmp_path: Path
) -> None:
    app, mapper, log, entries, total = checkpointed
    topic = f"hotich.test.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers())
    one = [f"{topic}.quarantine", f"{topic}.checkpoints", leaves_topic(topic)]
    admin.create_topics(
        [
            NewTopic(topic, num_partitions=3, replication_factor=1),
            *(NewTopic(t, num_partitions=1, replication_factor=1) for t in one),
        ]
    )
    kafka = KafkaProducer(bootstrap_servers=bootstrap_servers(), acks="all")
    views = make_views(tmp_path / "views")
    progress, portal, history = views
    chain = SqlChainLedger(tmp_path / "chain.sqlite")
    runner = KafkaProjectionRunner(
        kafka_consumer(bootstrap_servers(), f"g-{uuid.uuid4().hex[:8]}"),
        kafka,
        topic,
        [
            Target(progress, DistrictProgressProjection),
            Target(portal, PortalRecordsProjection),
            Target(history, RecordHistoryProjection),
        ],
        container.keyring.public_keys(),
        chain,
        leaves=KafkaLeafRuns(
            leaves_consumer(bootstrap_servers()), RunChecker(log.signer.verifier()), one[2]
        ),
    )
    try:
        # the intruder sends a forged copy of the second entry's keying, with its headers, in
        # the middle of the stream: the genuine one was consumed before it
        target = next(
            n
            for n in app.recorder.select_notifications(start=1, limit=total)
            if n.originator_id == entries[1] and n.originator_version == 2
        )
        relay = KafkaRelay(
            app.recorder,
            mapper,
            kafka,
            SqlPositions(container.db),
            topic=topic,
            name=topic,  # a position of its own (the service database outlives the test's store)
            batch=target.id,
            checkpoints=log.notes_after,
            checkpoint_topic=one[1],
            runs=log.runs_between,
        )
        assert relay.relay_once() == target.id
        envelope = forged(mapper.open_envelope(target))
        kafka.send(
            topic,
            value=json.dumps(envelope).encode(),
            key=envelope["district"].encode(),
            headers=[
                ("notification_id", str(target.id).encode()),
                ("event_type", envelope["event_type"].encode()),
            ],
        ).get(30)
        while relay.relay_once():  # the rest, then the checkpoint and its run
            pass
        runner.subscribe()
        assert runner.run_until_idle() == total + 1
    finally:
        runner.close()
        runner.consumer.close()
        kafka.close()
        chain.close()
        admin.delete_topics([topic, *one])
        admin.close()
    assert runner.stats.applied == total
    assert runner.stats.quarantined == 1
    assert runner.stats.quarantine_reasons[0].startswith("signature does not check")
    assert len(signatures) == 1  # every genuine event was checked by the run
    assert [item.version for item in history.history(entries[1])] == [1, 2, 3, 4]
