"""Where the verifiable log's tables are (the event store's SQLite file or PostgreSQL
database) and the connections the log uses there: one writer's transactions, and snapshots to
read from."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from infra.tlog.database import Connection, PostgresTransactions, SqliteTransactions


@dataclass(frozen=True)
class LogPlace:
    """Where the log's tables are: the event store's SQLite file or PostgreSQL database."""

    sqlite_path: Path | None = None
    postgres_url: str | None = None

    def transactions(self) -> SqliteTransactions | PostgresTransactions:
        if self.postgres_url is not None:
            return PostgresTransactions(self.postgres_url)
        assert self.sqlite_path is not None
        return SqliteTransactions(self.sqlite_path)


class LogConnections:
    """The transactions and read snapshots of one log place, opened on first use (thread-safe)."""

    def __init__(self, place: LogPlace) -> None:
        self.place = place
        self._db: SqliteTransactions | PostgresTransactions | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def transaction(self) -> AbstractContextManager[Connection]:
        with self._lock:
            if self._db is None:
                self._db = self.place.transactions()
        return self._db.transaction()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A snapshot to read from: on SQLite a read-only connection of this thread's (WAL
        readers take no lock the keeper or the event store wait for)."""
        if self.place.sqlite_path is None:
            with self.transaction() as pg:
                yield pg
            return
        reader: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if reader is None:
            uri = f"file:{self.place.sqlite_path}?mode=ro"
            reader = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self._local.conn = reader
        reader.execute("BEGIN")
        try:
            yield reader
        finally:
            reader.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
