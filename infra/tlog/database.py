"""The log's SQL on a caller's connection: the same statements on SQLite and on PostgreSQL.

The tree is appended inside whatever transaction the caller holds (the one storing the events,
or a sequencer's own), so every function here takes a connection or a cursor of the caller's:
``sqlite3`` (stdlib) or psycopg 3. Statements are written with ``?`` placeholders, rewritten to
``%s`` for psycopg; rows come back as tuples whatever row factory the caller's connection uses
(eventsourcing's PostgreSQL connections return dicts).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from infra.sqlite_file import SqliteFile

Connection = sqlite3.Connection | sqlite3.Cursor | psycopg.Connection[Any] | psycopg.Cursor[Any]
Transaction = Callable[[], AbstractContextManager[Connection]]  # commits on exit, else rolls back


class Sql:
    """A caller's connection, seen the same way on both databases."""

    __slots__ = ("_pg", "_sqlite", "is_postgres")

    def __init__(self, conn: Connection) -> None:
        self._pg: psycopg.Connection[Any] | None = None
        self._sqlite: sqlite3.Connection | None = None
        if isinstance(conn, sqlite3.Cursor):
            self._sqlite = conn.connection  # same connection, so the caller's transaction
        elif isinstance(conn, sqlite3.Connection):
            self._sqlite = conn
        elif isinstance(conn, psycopg.Cursor):
            self._pg = conn.connection
        elif isinstance(conn, psycopg.Connection):
            self._pg = conn
        else:
            raise TypeError(f"not a sqlite3 or psycopg connection or cursor: {type(conn)!r}")
        self.is_postgres = self._pg is not None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._pg is not None:
            with self._pg.cursor(row_factory=tuple_row) as cur:
                cur.execute(_pg(sql), params)
                return cur.fetchall()
        assert self._sqlite is not None
        return [tuple(row) for row in self._sqlite.execute(sql, params).fetchall()]

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self._pg is not None:
            self._pg.execute(_pg(sql), params)
        else:
            assert self._sqlite is not None
            self._sqlite.execute(sql, params)

    def run_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if not params:
            return
        if self._pg is not None:
            with self._pg.cursor() as cur:
                cur.executemany(_pg(sql), params)
        else:
            assert self._sqlite is not None
            self._sqlite.executemany(sql, params)


_PG_STATEMENTS: dict[str, bytes] = {}


def _pg(sql: str) -> bytes:
    """The statement with psycopg's placeholders (our SQL holds no literal ``?`` or ``%``)."""
    found = _PG_STATEMENTS.get(sql)
    if found is None:
        found = _PG_STATEMENTS[sql] = sql.replace("?", "%s").encode()
    return found


class SqliteTransactions:
    """Transactions on one SQLite file, for a sequencer or a reader of its own.

    One connection, used by one transaction at a time; ``BEGIN IMMEDIATE`` takes the write lock
    before the first read, so the tree state a transaction reads is the one it extends.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = SqliteFile(path)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._file.connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._file.close()


class PostgresTransactions:
    """Transactions on a PostgreSQL database, from a small pool of its own."""

    def __init__(self, url: str, *, max_size: int = 4) -> None:
        self._pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def close(self) -> None:
        self._pool.close()
