"""Read stores for tests: view databases on SQLite files or on the real PostgreSQL server, each
empty when a test first opens it, closed and dropped when the test ends."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from infra.read_store.backend import ReadStoreBackend
from infra.read_store.database import ReadDatabase

KINDS = ("sqlite", "postgres")
# what `hotich serve` and `hotich project` open, and rebuilt copies of them
SERVICE_VIEWS = ("catalogue", "progress", "portal", "history", "chain")


@dataclass
class ReadStores:
    """A back-end whose view databases start empty in each test (see the module docstring)."""

    kind: str
    backend: ReadStoreBackend
    opened: dict[str, list[ReadDatabase]] = field(default_factory=dict)

    def database(self, name: str) -> ReadDatabase:
        """View database ``name``: emptied when first opened in this test, shared after that."""
        if name not in self.opened:
            self.backend.drop(name)
            self.opened[name] = []
        db = self.backend.database(name)
        self.opened[name].append(db)
        return db

    def dump(self, name: str) -> dict[str, list[str]]:
        """Every row of every table of view database ``name``, in a stable order."""
        if self.backend.url is None:
            with closing(sqlite3.connect(self.backend.path(name))) as conn:
                tables = [
                    r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                ]
                return {
                    t: sorted(repr(tuple(row)) for row in conn.execute(f"SELECT * FROM {t}"))
                    for t in sorted(tables)
                }
        with psycopg.connect(self.backend.url) as pg:
            tables = [
                r[0]
                for r in pg.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (name,),
                )
            ]
            return {
                t: sorted(
                    repr(tuple(row))
                    for row in pg.execute(
                        sql.SQL("SELECT * FROM {}").format(sql.Identifier(name, t))
                    )
                )
                for t in sorted(tables)
            }

    def close(self) -> None:
        """Close every database opened through this object, and drop them."""
        for name, databases in self.opened.items():
            for db in databases:
                db.close()
            self.backend.drop(name)
        self.opened.clear()


def read_stores(kind: str, directory: Path) -> ReadStores:
    """``kind`` "sqlite": files in ``directory``; "postgres": schemas of the test database."""
    if kind == "postgres":
        from tests.integration.conftest import postgres_url  # conftest imports this module

        return ReadStores(kind, ReadStoreBackend.postgres(postgres_url()))
    return ReadStores(kind, ReadStoreBackend.sqlite(directory))


def drop_service_views(url: str) -> None:
    """Drop the views a service opens on PostgreSQL (with their rebuilt copies): a fresh store."""
    backend = ReadStoreBackend.postgres(url)
    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            str(r[0])
            for r in conn.execute("SELECT nspname FROM pg_namespace")
            if str(r[0]).split("__")[0] in SERVICE_VIEWS
        ]
    for name in names:
        backend.drop(name)
