"""Idempotency keys on the real service database (SQLite, PostgreSQL): a claim left by a request
that died is taken over once its lease is over, and only then."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from digitization.idempotency import Answer, Once, RequestInProgressError
from infra.service_db.database import SqlDatabase
from infra.service_db.idempotency import SqlIdempotencyStore
from tests.integration.conftest import postgres_url

T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    if request.param == "postgres":
        database = SqlDatabase(postgres_url=postgres_url())
        database.execute("DROP TABLE IF EXISTS hotich_idempotency")
    else:
        database = SqlDatabase(sqlite_path=tmp_path / "service.sqlite")
    yield database
    database.close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def crashed(once: Once, key: str) -> None:
    """A request that claimed the key and died before it answered (its process was killed)."""

    def dies() -> Answer:
        raise SystemExit("killed")

    store = once.store
    release = store.release
    store.release = lambda user_id, key: None  # type: ignore[method-assign]  # no time to
    try:
        with pytest.raises(SystemExit):
            once.run("clerk", key, "fp", dies)
    finally:
        store.release = release  # type: ignore[method-assign]


def test_a_claim_left_by_a_dead_request_is_taken_over_once_its_lease_is_over(
    db: SqlDatabase,
) -> None:
    clock = Clock()
    once = Once(SqlIdempotencyStore(db), lease=dt.timedelta(seconds=30), clock=clock)
    crashed(once, "k1")
    clock.now = T0 + dt.timedelta(seconds=10)
    with pytest.raises(RequestInProgressError) as waiting:
        once.run("clerk", "k1", "fp", lambda: Answer(201, "{}"))
    assert waiting.value.retry_after == 21  # seconds left of the lease, rounded up
    clock.now = T0 + dt.timedelta(seconds=31)
    answer, replayed = once.run("clerk", "k1", "fp", lambda: Answer(201, '{"id": 1}'))
    assert (answer, replayed) == (Answer(201, '{"id": 1}'), False)
    clock.now = T0 + dt.timedelta(days=1)  # an answered key replays, however late
    assert once.run("clerk", "k1", "fp", lambda: Answer(500, "no")) == (answer, True)


def test_a_claim_from_before_leases_is_taken_over_at_once(db: SqlDatabase) -> None:
    db.execute(
        "CREATE TABLE hotich_idempotency (user_id TEXT NOT NULL, key TEXT NOT NULL, "
        "fingerprint TEXT NOT NULL, status INTEGER, body TEXT, headers TEXT, "
        "created_at TEXT NOT NULL, PRIMARY KEY (user_id, key))"
    )
    db.execute(
        "INSERT INTO hotich_idempotency (user_id, key, fingerprint, created_at) "
        "VALUES ('clerk', 'old', 'fp', '2026-11-01T00:00:00+00:00')"
    )
    once = Once(SqlIdempotencyStore(db), clock=Clock())
    assert once.run("clerk", "old", "fp", lambda: Answer(200, "{}")) == (Answer(200, "{}"), False)
