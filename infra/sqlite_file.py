"""One SQLite file's connection for a writer of its own: opened on first use, closed once."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class SqliteFile:
    """A connection to ``path`` in autocommit mode (the caller says BEGIN), shared by the
    caller's threads, in WAL mode and with ``pragmas`` run once when it opens. Not locked: the
    caller serialises its use and its closing."""

    def __init__(self, path: Path, *pragmas: str) -> None:
        self.path = path
        self._pragmas = ("PRAGMA journal_mode=WAL", *pragmas)
        self._conn: sqlite3.Connection | None = None

    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            for pragma in self._pragmas:
                conn.execute(pragma)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
