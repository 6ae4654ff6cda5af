"""A small SQL seam: the same statements on the embedded SQLite file or on PostgreSQL.

Statements use ``?`` placeholders; they are rewritten to ``%s`` for psycopg. PostgreSQL
connections come from a small pool (opened on first use), so a request does not log in anew.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool


class SqlDatabase:
    """Runs one statement per call, in its own transaction; for small service tables."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres_url: str | None = None) -> None:
        if (sqlite_path is None) == (postgres_url is None):
            raise ValueError("give exactly one of sqlite_path and postgres_url")
        self.sqlite_path = sqlite_path
        self.postgres_url = postgres_url
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None

    def _postgres(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                assert self.postgres_url is not None
                self._pool = ConnectionPool(
                    self.postgres_url,
                    min_size=1,
                    max_size=8,
                    kwargs={"autocommit": True},
                    open=True,
                )
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.postgres_url is not None:
            with self._postgres().connection() as conn:
                cursor = conn.execute(sql.replace("?", "%s").encode(), params)
                return list(cursor.fetchall()) if cursor.description else []
        assert self.sqlite_path is not None
        with self._lock, closing(sqlite3.connect(self.sqlite_path, timeout=30)) as db, db:
            return list(db.execute(sql, params).fetchall())

    @property
    def is_postgres(self) -> bool:
        return self.postgres_url is not None
