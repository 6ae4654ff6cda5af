"""`hotich projections rebuild`: a fresh copy built while the live view serves, then switched
to atomically; the rebuilt view equals the one built incrementally, and the runners carry on
feeding the new copy."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from kafka.admin import KafkaAdminClient

from bootstrap.container import Container, bootstrap
from bootstrap.settings import Settings
from bootstrap.views import read_store_backend
from bootstrap.web import build_web
from infra.messaging.consumer import KafkaProjectionRunner, Target
from infra.read_store.chain import SqlChainLedger
from infra.read_store.history import SqlHistoryView
from infra.read_store.log_runner import PollingProjectionRunner
from infra.read_store.portal import SqlPortalView
from infra.read_store.progress import SqlProgressView
from infra.read_store.rebuild import ViewCopies, rebuild_from_log, rebuild_from_topic
from infra.read_store.slots import SqlViewSlots, SwitchingView
from projections.district_progress import DistrictProgressProjection
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection
from tests.builders import seal_checker
from tests.integration.broker import bootstrap_servers, group_consumer, producer, relay_all
from tests.integration.read_stores import ReadStores
from tests.integration.test_projections_kafka import TODAY, record_workflow
from tests.integration.test_relay_kafka import (
    container,  # noqa: F401 - the fixture
)

VIEWS: dict[str, tuple[type[Any], type[Any]]] = {
    "progress": (SqlProgressView, DistrictProgressProjection),
    "portal": (SqlPortalView, PortalRecordsProjection),
    "history": (SqlHistoryView, RecordHistoryProjection),
}


def copies(directory: Path, name: str) -> ViewCopies:
    view_type, projection = VIEWS[name]

    def drop(generation: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            (directory / f"{generation}.sqlite{suffix}").unlink(missing_ok=True)

    return ViewCopies(
        name=name,
        open_copy=lambda generation: view_type(directory / f"{generation}.sqlite"),
        drop_copy=drop,
        projection=projection,
    )


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a view's file, but its positions."""
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if name != "tracking"
        ]
        return {t: sorted(db.execute(f"SELECT * FROM {t}")) for t in tables}


def live_views(directory: Path, slots: SqlViewSlots) -> dict[str, SwitchingView]:
    return {
        name: SwitchingView(name, slots, copies(directory, name).open_copy, check_every=0)
        for name in VIEWS
    }


def test_a_rebuilt_view_equals_the_incremental_one_and_readers_switch_without_downtime(
    container: Container,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = container.app
    sealed = seal_checker(container)
    slots = SqlViewSlots(container.db)
    views = live_views(tmp_path, slots)
    runner = PollingProjectionRunner(
        app, [VIEWS[name][1](view) for name, view in views.items()], decode=sealed, batch=7
    )
    entries = record_workflow(container)
    runner.catch_up()
    entries += record_workflow(container)
    runner.catch_up()  # the live view is built incrementally, a few events at a time
    portal = views["portal"]
    assert portal.generation == "portal"
    published = [e for e in entries if portal.get_record(e) is not None]
    assert len(published) == 4

    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if len(seen) == 1:  # while the copy is built, the live view serves and is fed
            entries.extend(record_workflow(container))
            runner.catch_up()
            assert portal.generation == "portal"
            assert all(portal.get_record(e) is not None for e in published)

    rebuilt = rebuild_from_log(
        app, copies(tmp_path, "portal"), slots, sealed, progress=progress, batch=5
    )
    assert rebuilt.switch.replaced == "portal"
    assert rebuilt.quarantined == 0
    assert seen[-1][0] == app.recorder.max_notification_id()
    assert len(seen) > 3  # a progress report per batch

    # the rebuilt copy equals the one built incrementally, rows for rows
    generation = rebuilt.switch.generation
    assert dump(tmp_path / f"{generation}.sqlite") == dump(tmp_path / "portal.sqlite")

    # readers move to the new copy, and the runner feeds it from its own position on
    entries += record_workflow(container)
    runner.catch_up()
    assert portal.generation == generation
    assert sum(portal.get_record(e) is not None for e in entries) == 8

    # a clean build of everything equals the switched copy
    clean = copies(tmp_path / "clean", "portal")
    (tmp_path / "clean").mkdir()
    view = clean.open_copy("portal")
    PollingProjectionRunner(app, [PortalRecordsProjection(view)], decode=sealed).catch_up()
    view.close()
    assert dump(tmp_path / "clean" / "portal.sqlite") == dump(tmp_path / f"{generation}.sqlite")

    # a second rebuild keeps the copy it replaces and drops the one before
    second = rebuild_from_log(app, copies(tmp_path, "portal"), slots, sealed)
    assert second.switch.replaced == generation
    assert second.switch.dropped == "portal"
    assert not (tmp_path / "portal.sqlite").exists()
    assert views["progress"].province_progress(TODAY).districts
    for view in views.values():
        view.close()


def test_a_view_fed_from_kafka_is_rebuilt_from_offset_0_and_the_consumer_follows_it(
    container: Container,  # noqa: F811
    tmp_path: Path,
    topic: str,
) -> None:
    keys = container.keyring.public_keys()
    kafka = producer()
    slots = SqlViewSlots(container.db)
    views = live_views(tmp_path, slots)
    consumer = group_consumer()
    live = KafkaProjectionRunner(
        consumer,
        kafka,
        topic,
        [Target(views[name], VIEWS[name][1]) for name in VIEWS],
        keys,
        SqlChainLedger(tmp_path / "chain.sqlite"),
    )
    live.subscribe()
    entries = record_workflow(container) + record_workflow(container)
    relay_all(container, topic)
    live.run_until_idle()

    rebuilt = rebuild_from_topic(
        bootstrap_servers(), topic, copies(tmp_path, "history"), slots, keys
    )
    total = container.app.recorder.max_notification_id()
    assert rebuilt.events == total
    generation = rebuilt.switch.generation
    assert dump(tmp_path / f"{generation}.sqlite") == dump(tmp_path / "history.sqlite")

    # the live consumer moves to the new copy, seeks to its positions and feeds it
    entries += record_workflow(container)
    relay_all(container, topic)
    live.run_until_idle()
    assert views["history"].generation == generation
    assert all(views["history"].history(e) for e in entries)

    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    clean = SqlHistoryView(clean_dir / "history.sqlite")
    sealed = seal_checker(container)
    PollingProjectionRunner(
        container.app, [RecordHistoryProjection(clean)], decode=sealed
    ).catch_up()
    clean.close()
    assert dump(clean_dir / "history.sqlite") == dump(tmp_path / f"{generation}.sqlite")
    # the rebuild's consumer group is gone
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers())
    groups = [str(g) for g in admin.list_groups()]
    admin.close()
    assert not any(f"hotich-rebuild-{generation}" in g for g in groups), groups

    consumer.close()
    kafka.close()
    for view in views.values():
        view.close()


def test_hotich_projections_rebuild_moves_a_serving_api_to_the_new_copy(
    settings: Settings, backend: str
) -> None:
    """On SQLite files and on PostgreSQL schemas (the views follow the event store)."""
    from typer.testing import CliRunner

    from cli.main import app as cli

    served = bootstrap(settings)
    entries = record_workflow(served) + record_workflow(served)
    web = build_web(served, poll_interval=0.05)
    for runner in web.runners:
        runner.catch_up()
    portal = web.live.view("portal")
    assert portal.generation == "portal"
    before = [portal.get_record(e) for e in entries]
    assert sum(r is not None for r in before) == 4

    rebuilt = CliRunner().invoke(cli, ["projections", "rebuild", "portal"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "live copy now portal__" in rebuilt.output
    assert "(was portal)" in rebuilt.output
    generation = SqlViewSlots(served.db).current("portal")

    # the API's readers and its runner move to the new copy (on the next slot check)
    assert portal.refresh()
    assert portal.generation == generation
    assert [portal.get_record(e) for e in entries] == before
    entries += record_workflow(served)
    for runner in web.runners:
        runner.catch_up()
    assert sum(portal.get_record(e) is not None for e in entries) == 6

    listed = CliRunner().invoke(cli, ["projections", "list"])
    assert listed.exit_code == 0, listed.output
    assert generation in listed.output

    # the switched copy equals a clean build of the whole log
    stores = ReadStores(backend, read_store_backend(settings))
    clean = SqlPortalView(stores.database("clean_portal"))
    sealed = seal_checker(served)
    PollingProjectionRunner(served.app, [PortalRecordsProjection(clean)], decode=sealed).catch_up()
    without_positions = {"tracking"}

    def rows(name: str) -> dict[str, list[str]]:
        return {t: r for t, r in stores.dump(name).items() if t not in without_positions}

    assert rows("clean_portal") == rows(generation)

    # a second rebuild keeps the copy it replaces and drops the first one
    again = CliRunner().invoke(cli, ["projections", "rebuild", "portal"])
    assert again.exit_code == 0, again.output
    assert f"(was {generation}; dropped portal)" in again.output
    assert rows("portal") == {}

    refused = CliRunner().invoke(cli, ["projections", "rebuild", "portals"])
    assert refused.exit_code == 2
    assert "no read model 'portals'" in refused.output
    stores.close()
    web.close()
    served.close()
