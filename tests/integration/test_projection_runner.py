"""The runners with the seal checks in a worker process (``SealChecker(workers=1)``,
``KafkaProjectionRunner(check_workers=1)``): the views come out as when every envelope is
checked in the runner's own thread, while the worker checks the next batch (in-process) or the
next chunk of a poll (Kafka); a tampered event is quarantined by the worker with its reason,
and not applied."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bootstrap.container import Container
from infra.messaging import consumer as consumer_module
from infra.messaging.consumer import KafkaProjectionRunner, kafka_consumer
from infra.read_store.chain import SqlChainLedger
from infra.read_store.log_runner import PollingProjectionRunner
from tests.builders import seal_checker
from tests.integration.broker import bootstrap_servers, producer, relay_all
from tests.integration.raw_store import RawStore
from tests.integration.test_projections_kafka import (
    make_views,
    projections,
    record_workflow,
    snapshot,
    targets,
)
from tests.integration.test_relay_kafka import (
    container,  # noqa: F401 - the fixture
)


def test_views_checked_by_a_worker_equal_views_checked_in_the_runners_thread(
    container: Container,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = container.app
    entries = record_workflow(container) + record_workflow(container)
    in_thread = make_views(tmp_path / "in-thread")
    reference = PollingProjectionRunner(
        app, projections(in_thread), decode=seal_checker(container), batch=7
    )
    reference.catch_up()
    checked = seal_checker(container, workers=1)
    try:
        by_worker = make_views(tmp_path / "by-worker")
        runner = PollingProjectionRunner(app, projections(by_worker), decode=checked, batch=7)
        assert runner.catch_up() == app.recorder.max_notification_id()  # many batches
        assert snapshot(by_worker, entries) == snapshot(in_thread, entries)

        entries += record_workflow(container)
        assert runner.catch_up() == reference.catch_up() > 0  # from where the views are
        assert snapshot(by_worker, entries) == snapshot(in_thread, entries)
        assert runner.applied == reference.applied == app.recorder.max_notification_id()
        assert checked.quarantined == []
    finally:
        checked.close()


def test_a_tampered_event_is_quarantined_by_the_worker_and_not_applied(
    container: Container,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = container.app
    entries = record_workflow(container)
    checked = seal_checker(container, workers=1)
    cipher = checked.mapper.cipher
    assert cipher is not None  # the store is encrypted at rest
    raw = RawStore(container.settings)
    # a changed event, encrypted again: its hash fails
    _, state = raw.row(entries[0], 2)
    plain = cipher.decrypt(state)
    changed = plain.replace(b'"occurred_at":"2', b'"occurred_at":"1', 1)
    assert changed != plain
    raw.set_state(entries[0], 2, cipher.encrypt(changed))
    # changed ciphertext: it does not decrypt
    _, state = raw.row(entries[1], 1)
    raw.set_state(entries[1], 1, state[:-1] + bytes([state[-1] ^ 1]))

    try:
        views = make_views(tmp_path)
        runner = PollingProjectionRunner(app, projections(views), decode=checked, batch=5)
        total = app.recorder.max_notification_id()
        assert runner.catch_up() == total
    finally:
        checked.close()
    assert runner.applied == total - 2
    reasons = [reason for _, reason in checked.quarantined]
    assert len(reasons) == 2
    assert "hash does not match" in reasons[0]
    assert "cannot open the envelope" in reasons[1]
    _, _, history = views
    assert 2 not in [item.version for item in history.history(entries[0])]
    assert 1 not in [item.version for item in history.history(entries[1])]


def test_kafka_fed_views_checked_by_a_worker_equal_log_fed_views(
    container: Container,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    topic: str,
) -> None:
    monkeypatch.setattr(consumer_module, "CHECK_CHUNK", 3)  # a poll in many chunks
    app = container.app
    entries = record_workflow(container) + record_workflow(container)
    from_log = make_views(tmp_path / "from-log")
    PollingProjectionRunner(app, projections(from_log), decode=seal_checker(container)).catch_up()

    relay_all(container, topic)
    # a forged copy of the last event: its hash fails in the worker
    last = app.recorder.select_notifications(start=app.recorder.max_notification_id(), limit=1)
    forged = app.mapper.open_envelope(last[0])
    forged["actor"]["id"] = "clerk.026.9"
    kafka = producer()
    kafka.send(topic, value=json.dumps(forged).encode(), key=forged["district"].encode())
    kafka.close()

    from_kafka = make_views(tmp_path / "from-kafka")
    chain = SqlChainLedger(tmp_path / "chain.sqlite")
    runner = KafkaProjectionRunner(
        kafka_consumer(bootstrap_servers(), f"g-{uuid.uuid4().hex[:8]}"),
        None,
        topic,
        targets(from_kafka),
        container.keyring.public_keys(),
        chain,
        check_workers=1,
    )
    try:
        runner.subscribe()
        total = app.recorder.max_notification_id()
        assert runner.run_until_idle() == total + 1
    finally:
        runner.close()
        runner.consumer.close()
    assert runner.stats.applied == total
    assert runner.stats.quarantined == 1
    assert "hash does not match" in runner.stats.quarantine_reasons[0]
    assert snapshot(from_kafka, entries) == snapshot(from_log, entries)
