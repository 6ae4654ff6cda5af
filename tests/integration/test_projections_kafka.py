"""Projections fed from Kafka as a consumer group equal the same projections fed from the log;
redelivery and re-sent duplicates change nothing; a tampered message is quarantined. The views
and the chain ledger are on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from bootstrap.container import Container
from infra.messaging.consumer import KafkaProjectionRunner, Target
from infra.messaging.positions import SqlPositions
from infra.messaging.relay import KafkaRelay
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.chain import SqlChainLedger
from infra.read_store.envelope_models import EnvelopeReadModels
from infra.read_store.history import SqlHistoryView
from infra.read_store.portal import SqlPortalView
from infra.read_store.progress import SqlProgressView
from infra.store.envelope import seal
from infra.store.mapper import SignedEnvelopeMapper
from projections.district_progress import DistrictProgressProjection
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection
from tests.builders import catalogue_book, keyed, published, seal_checker, verified
from tests.integration.broker import (
    bootstrap_servers,
    from_the_start,
    group_consumer,
    producer,
    relay_all,
)
from tests.integration.read_stores import ReadStores, drop_service_views
from tests.integration.test_relay_kafka import (
    BIRTH,
    container,  # noqa: F401 - the fixture
)

TODAY = dt.date(2023, 6, 1)
Views = tuple[SqlProgressView, SqlPortalView, SqlHistoryView]


def make_views(where: Path | ReadStores, prefix: str = "") -> Views:
    """The three views: SQLite files in a directory, or ``<prefix><view>`` of a read store."""
    if isinstance(where, Path):
        where.mkdir(parents=True, exist_ok=True)
        return (
            SqlProgressView(where / "progress.sqlite"),
            SqlPortalView(where / "portal.sqlite"),
            SqlHistoryView(where / "history.sqlite"),
        )
    return (
        SqlProgressView(where.database(f"{prefix}progress")),
        SqlPortalView(where.database(f"{prefix}portal")),
        SqlHistoryView(where.database(f"{prefix}history")),
    )


def projections(views: Views) -> list[Any]:
    progress, portal, history = views
    return [
        DistrictProgressProjection(progress),
        PortalRecordsProjection(portal),
        RecordHistoryProjection(history),
    ]


def targets(views: Views) -> list[Target]:
    """The three views, each with its projection, for a KafkaProjectionRunner."""
    progress, portal, history = views
    return [
        Target(progress, DistrictProgressProjection),
        Target(portal, PortalRecordsProjection),
        Target(history, RecordHistoryProjection),
    ]


def snapshot(views: Views, entry_ids: list[uuid.UUID]) -> tuple[Any, ...]:
    progress, portal, history = views
    return (
        progress.province_progress(TODAY),
        [portal.get_record(i) for i in entry_ids],
        [history.history(i) for i in entry_ids],
    )


def record_workflow(container: Container) -> list[uuid.UUID]:  # noqa: F811
    """A new book of four entries: two published, one verified, one keyed."""
    app = container.app
    book = f"k{uuid.uuid4().hex[:6]}"
    register = catalogue_book(app, book, year_from=1991, page_count=10, estimated_entries=4).id
    return [
        published(app, register, 1, BIRTH),
        published(app, register, 2, BIRTH),
        verified(app, register, 3, BIRTH),
        keyed(app, register, 4, BIRTH),
    ]


def fed_from_the_log(container: Container, views: Views) -> None:  # noqa: F811
    """The projections of ``views`` fed every event of the store, checked, in process."""
    app = container.app
    decode = seal_checker(container)
    total = app.recorder.max_notification_id()
    for notification in app.recorder.select_notifications(start=1, limit=total):
        envelope = decode(notification)
        assert envelope is not None
        for projection in projections(views):
            projection.process(envelope, notification.id)


def runner(
    container: Container,  # noqa: F811
    topic: str,
    views: Views,
    chain: SqlChainLedger,
) -> KafkaProjectionRunner:
    run = KafkaProjectionRunner(
        group_consumer(), producer(), topic, targets(views), container.keyring.public_keys(), chain
    )
    run.subscribe()
    return run


def test_kafka_fed_views_equal_log_fed_views_and_redelivery_changes_nothing(
    container: Container,  # noqa: F811
    read_store: ReadStores,
    topic: str,
) -> None:
    entry_ids = record_workflow(container)
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    total = app.recorder.max_notification_id()

    # the reference: the same projections fed in-process from the notification log
    reference = make_views(read_store, "from_log_")
    fed_from_the_log(container, reference)

    positions = SqlPositions(container.db)
    kafka = producer()
    relay = KafkaRelay(app.recorder, app.mapper, kafka, positions, topic=topic)
    while relay.relay_once():
        pass

    from_kafka = make_views(read_store, "from_kafka_")
    chain = SqlChainLedger(read_store.database("chain"))
    first = runner(container, topic, from_kafka, chain)
    assert first.run_until_idle() == total
    assert snapshot(from_kafka, entry_ids) == snapshot(reference, entry_ids)
    first.consumer.close()

    # the relay crashed before storing its position: everything is sent again, new offsets
    positions.set("relay", 0)
    while relay.relay_once():
        pass
    second = runner(container, topic, from_kafka, chain)
    assert second.run_until_idle() == total  # only the duplicates: seeks to the views' positions
    assert snapshot(from_kafka, entry_ids) == snapshot(reference, entry_ids)

    # redelivery of messages already applied (a rebalance before the commit) is dropped
    replay = from_the_start(topic)
    for message in replay:
        second.handle(message.partition, message.offset, message.key, message.value)
    replay.close()
    assert snapshot(from_kafka, entry_ids) == snapshot(reference, entry_ids)

    # a tampered message is quarantined with its reason, and not applied
    _, state = next(
        (n.originator_version, n)
        for n in app.recorder.select_notifications(start=1, limit=total)
        if n.originator_id == entry_ids[0] or str(n.originator_id) == str(entry_ids[0])
    )
    envelope = app.mapper.open_envelope(state)
    envelope["payload"]["fields"]["child.full_name"] = "Kẻ Giả Mạo"
    kafka.send(topic, value=json.dumps(envelope).encode(), key=b"026")
    kafka.flush()
    assert second.run_until_idle() == 1
    assert second.stats.quarantined == 1
    assert "hash does not match" in second.stats.quarantine_reasons[0]
    assert snapshot(from_kafka, entry_ids) == snapshot(reference, entry_ids)

    # validly signed (the intruder holds the signing key) but off the chain: a fork and a gap
    signer = container.keyring.signer()
    body = {k: v for k, v in envelope.items() if k not in ("hash", "signature")}
    latest = app.get_entry(entry_ids[0]).version
    fork = seal({**body, "version": latest + 1, "prev_hash": "0" * 64}, signer)
    gap = seal({**body, "version": latest + 5, "prev_hash": "0" * 64}, signer)
    for forged in (fork, gap):
        kafka.send(topic, value=json.dumps(forged).encode(), key=b"026")
    kafka.flush()
    assert second.run_until_idle() == 2
    assert second.stats.quarantined == 3
    assert "prev_hash does not match" in second.stats.quarantine_reasons[1]
    assert "was never seen" in second.stats.quarantine_reasons[2]
    assert snapshot(from_kafka, entry_ids) == snapshot(reference, entry_ids)

    quarantine = from_the_start(f"{topic}.quarantine")
    held = list(quarantine)
    assert len(held) == 3
    assert dict(held[0].headers)["reason"].startswith(b"hash does not match")
    quarantine.close()
    second.consumer.close()
    kafka.close()


def test_hotich_project_feeds_the_views_where_the_settings_put_them(
    container: Container,  # noqa: F811
    read_store: ReadStores,
    tmp_path: Path,
    topic: str,
) -> None:
    """SQLite files in HOTICH_HOME, or the schemas of HOTICH_READ_DATABASE_URL."""
    from typer.testing import CliRunner

    from cli.main import app as cli

    entry_ids = record_workflow(container)
    reference = make_views(tmp_path / "from-log")
    fed_from_the_log(container, reference)
    relay_all(container, topic)

    url = read_store.backend.url
    if url is not None:
        drop_service_views(url)
    env = {
        "HOTICH_HOME": str(container.settings.home),
        "HOTICH_KAFKA_BOOTSTRAP": bootstrap_servers(),
        "HOTICH_KAFKA_TOPIC": topic,
        "HOTICH_DATABASE_URL": None,
        "HOTICH_READ_DATABASE_URL": url,
    }
    group = f"p-{uuid.uuid4().hex[:8]}"
    done = CliRunner().invoke(cli, ["project", "--until-idle", "--group", group], env=env)
    assert done.exit_code == 0, done.output
    assert "quarantined 0" in done.output

    where = (
        ReadStoreBackend.postgres(url) if url else ReadStoreBackend.sqlite(container.settings.home)
    )
    models = EnvelopeReadModels.open(where)
    chain = where.database("chain")
    try:
        fed = (models.progress, models.portal, models.history)
        assert snapshot(fed, entry_ids) == snapshot(reference, entry_ids)
        total = container.app.recorder.max_notification_id()
        assert chain.query("SELECT COUNT(*) FROM chain")[0][0] == total
        if url is None:
            assert (container.settings.home / "portal.sqlite").exists()
    finally:
        models.close()
        chain.close()
        for view in reference:
            view.close()
        if url is not None:
            drop_service_views(url)
