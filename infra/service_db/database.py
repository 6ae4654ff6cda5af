"""A small SQL seam: the same statements on the embedded SQLite file or on PostgreSQL.

Statements use ``?`` placeholders; they are rewritten to ``%s`` for psycopg. PostgreSQL
connections come from a small pool (opened on first use), so a request does not log in anew;
a pooled connection idle for a second is checked before use (one the server closed as it
restarted is replaced),
and a statement waits at most ``timeout`` seconds for one: with the server down, or SQLite
locked or full, ``execute`` raises ServiceUnavailableError("service database") (503).
On SQLite each thread keeps a connection of its own (opened on its first statement), so
statements of concurrent requests neither wait for one another in Python nor open the file
and read its schema anew; SQLite's own locking orders the writes.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, ClassVar

from psycopg_pool import ConnectionPool

from infra.outages import RECONNECT_TIMEOUT, IdleCheck, database_unavailable

SERVICE_DATABASE = "service database"


class _ThreadConnection:
    """One thread's SQLite connection; closed when the thread ends or the database closes."""

    def __init__(self, conn: sqlite3.Connection, generation: int) -> None:
        self.conn = conn
        self.generation = generation

    def __del__(self) -> None:  # the thread ended (its locals went) or close() dropped it
        self.conn.close()


class SqlDatabase:
    """Runs one statement per call, in its own transaction; for small service tables."""

    def __init__(
        self,
        *,
        sqlite_path: Path | None = None,
        postgres_url: str | None = None,
        timeout: float = 3.0,
    ) -> None:
        if (sqlite_path is None) == (postgres_url is None):
            raise ValueError("give exactly one of sqlite_path and postgres_url")
        self.sqlite_path = sqlite_path
        self.postgres_url = postgres_url
        self.timeout = timeout
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._local = threading.local()
        self._sqlite: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()  # live threads'
        self._generation = 0  # close() starts a new one: threads then connect again

    def _postgres(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                assert self.postgres_url is not None
                self._pool = ConnectionPool(
                    self.postgres_url,
                    min_size=1,
                    max_size=8,
                    kwargs={"autocommit": True, "connect_timeout": max(2, round(self.timeout))},
                    check=IdleCheck(),  # a connection idle for 1 s is checked first
                    timeout=self.timeout,
                    reconnect_timeout=RECONNECT_TIMEOUT,
                    open=True,
                )
            return self._pool

    def _sqlite_connection(self) -> sqlite3.Connection:
        mine: _ThreadConnection | None = getattr(self._local, "conn", None)
        if mine is not None and mine.generation == self._generation:
            return mine.conn
        assert self.sqlite_path is not None
        conn = sqlite3.connect(self.sqlite_path, timeout=30, check_same_thread=False)
        with self._lock:
            mine = _ThreadConnection(conn, self._generation)
            self._sqlite.add(mine)
            self._local.conn = mine
        return conn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        with self._lock:
            self._generation += 1
            for mine in list(self._sqlite):
                mine.conn.close()  # this thread's and others': each connects again if used
            self._sqlite.clear()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with database_unavailable(SERVICE_DATABASE):
            if self.postgres_url is not None:
                with self._postgres().connection() as conn:
                    cursor = conn.execute(sql.replace("?", "%s").encode(), params)
                    return list(cursor.fetchall()) if cursor.description else []
            db = self._sqlite_connection()
            with db, closing(db.execute(sql, params)) as rows:  # commits, or rolls back
                return list(rows.fetchall())

    @property
    def is_postgres(self) -> bool:
        return self.postgres_url is not None

    def columns(self, table: str) -> set[str]:
        """The column names of ``table`` (empty when there is no such table)."""
        if self.postgres_url is not None:
            sql = (
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = current_schema()"
            )
        else:
            sql = "SELECT name FROM pragma_table_info(?)"
        return {str(row[0]) for row in self.execute(sql, (table,))}


class NamedRows:
    """A table of the service database with one row per name (created on first use)."""

    table: ClassVar[str]
    schema: ClassVar[str]

    def __init__(self, db: SqlDatabase) -> None:
        self._db = db
        db.execute(self.schema)

    def _cell(self, column: str, name: str) -> Any:
        """``column`` of the row named ``name`` (None: no such row, or NULL there)."""
        sql = f"SELECT {column} FROM {self.table} WHERE name = ?"  # noqa: S608 (our own names)
        rows = self._db.execute(sql, (name,))
        return rows[0][0] if rows else None
