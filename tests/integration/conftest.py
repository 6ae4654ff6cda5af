"""Integration fixtures: the same behaviour suite against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.settings import Settings, get_settings
from infra.store.scan import POSTGRES_EVENTS_TABLE
from tests.integration.broker import new_topic
from tests.integration.raw_store import LOG_TABLES
from tests.integration.read_stores import KINDS, ReadStores, drop_service_views, read_stores


def postgres_url() -> str:
    url = os.environ.get("HOTICH_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "HOTICH_TEST_DATABASE_URL is not set: run the suite with `make test`, which starts "
            "PostgreSQL (the PostgreSQL tests never skip)"
        )
    return url


def reset_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(
                psycopg.sql.Identifier(POSTGRES_EVENTS_TABLE)
            )
        )
        conn.execute("DROP TABLE IF EXISTS hotich_view_slots")  # which copy of a view is live
        conn.execute("DROP TABLE IF EXISTS hotich_positions")  # the relay's, of another store
        for table in LOG_TABLES:  # the verifiable log, in the event store's database
            conn.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
            )
    drop_service_views(url)  # the views follow the event store into its database


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=KINDS)
def read_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadStores]:
    """View databases on SQLite files, or in schemas of the real PostgreSQL server."""
    with closing(read_stores(str(request.param), tmp_path / "views")) as stores:
        yield stores


@pytest.fixture
def settings(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A fresh, encrypted store on the backend; set in the environment too, for the CLI."""
    monkeypatch.setenv("HOTICH_HOME", str(tmp_path / "home"))
    if backend == "postgres":
        url = postgres_url()
        reset_postgres(url)
        monkeypatch.setenv("HOTICH_DATABASE_URL", url)
    else:
        monkeypatch.delenv("HOTICH_DATABASE_URL", raising=False)
    monkeypatch.delenv("HOTICH_CIPHER_KEY", raising=False)
    get_settings.cache_clear()
    settings = get_settings()
    init_home(settings, encrypt=True)
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def topic() -> Iterator[str]:
    """A topic of the test's own on the shared Kafka broker, with its quarantine topic
    (tests/integration/broker.py). test_kafka_faults.py has its own, on a broker of its own."""
    with new_topic() as name:
        yield name


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    with closing(bootstrap(settings)) as c:
        yield c
