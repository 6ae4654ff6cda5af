"""A small SQL seam: the same statements on the embedded SQLite file or on PostgreSQL.

Statements use ``?`` placeholders; they are rewritten to ``%s`` for psycopg.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg


class SqlDatabase:
    """Runs one statement per connection use; good for small admin tables, not hot paths."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres_url: str | None = None) -> None:
        if (sqlite_path is None) == (postgres_url is None):
            raise ValueError("give exactly one of sqlite_path and postgres_url")
        self.sqlite_path = sqlite_path
        self.postgres_url = postgres_url
        self._lock = threading.Lock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.postgres_url is not None:
            with psycopg.connect(self.postgres_url, autocommit=True) as conn:
                cursor = conn.execute(sql.replace("?", "%s").encode(), params)
                return list(cursor.fetchall()) if cursor.description else []
        assert self.sqlite_path is not None
        with self._lock, closing(sqlite3.connect(self.sqlite_path, timeout=30)) as db, db:
            return list(db.execute(sql, params).fetchall())

    @property
    def is_postgres(self) -> bool:
        return self.postgres_url is not None
