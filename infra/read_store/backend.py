"""ReadStoreBackend: where the views live, and each view's database by name.

A view database is named by a ``[a-z0-9_]+`` string: ``portal``, or a rebuilt copy's generation
``portal__20261128t041200``. Nothing here knows which names exist.

* SQLite (a directory): ``name`` is the file ``<directory>/<name>.sqlite`` (with its ``-wal`` and
  ``-shm`` files);
* PostgreSQL (a URL): ``name`` is the schema ``<name>`` of that database.

Names that would take the place of something else are refused: ``events`` and ``service`` (the
event store's and the service database's files in the data directory), ``public``,
``information_schema`` and ``pg_*`` (PostgreSQL's own schemas).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from infra.read_store.database import ReadDatabase
from infra.read_store.postgres_database import PostgresReadDatabase
from infra.read_store.sqlite_database import SqliteReadDatabase

_NAME = re.compile(r"[a-z0-9_]+")
RESERVED_NAMES = frozenset({"events", "service", "public", "information_schema"})


def check_name(name: str) -> str:
    """``name`` if it can name a view database on both back-ends, else ValueError."""
    if not _NAME.fullmatch(name) or len(name) > 63:  # 63: PostgreSQL's longest identifier
        raise ValueError(f"a view database is named by 1 to 63 of [a-z0-9_], not {name!r}")
    if name in RESERVED_NAMES or name.startswith("pg_"):
        raise ValueError(f"{name!r} names something else than a view database")
    return name


@dataclass(frozen=True)
class ReadStoreBackend:
    """Either a SQLite directory or a PostgreSQL URL (see the module docstring)."""

    directory: Path | None = None
    url: str | None = None
    timeout: float = 3.0  # PostgreSQL: seconds a read waits for a connection (then 503)

    def __post_init__(self) -> None:
        if (self.directory is None) == (self.url is None):
            raise ValueError("a read store is either a SQLite directory or a PostgreSQL URL")

    @classmethod
    def sqlite(cls, directory: Path) -> ReadStoreBackend:
        return cls(directory=directory)

    @classmethod
    def postgres(cls, url: str, *, timeout: float = 3.0) -> ReadStoreBackend:
        return cls(url=url, timeout=timeout)

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    def __repr__(self) -> str:  # never the URL: it may hold a password
        return "ReadStoreBackend(postgres)" if self.url else f"ReadStoreBackend({self.directory})"

    def path(self, name: str) -> Path:
        """The SQLite file of view database ``name``."""
        assert self.directory is not None
        return self.directory / f"{check_name(name)}.sqlite"

    def database(self, name: str) -> ReadDatabase:
        """Open view database ``name`` (created if new); the caller closes it."""
        if self.url is not None:
            return PostgresReadDatabase(self.url, check_name(name), timeout=self.timeout)
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteReadDatabase(path)

    def drop(self, name: str) -> None:
        """Delete view database ``name`` and everything in it (nothing if it does not exist).
        Close its views first: on PostgreSQL a view's open transaction makes this wait."""
        check_name(name)
        if self.url is not None:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
                )
            return
        path = self.path(name)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
