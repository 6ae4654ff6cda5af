"""SqliteReadDatabase: a view database in one SQLite file (see infra/read_store/database.py)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from infra.read_store.database import (
    TRACKING_SCHEMA,
    Params,
    ReadDatabase,
    Reader,
    Row,
)

_READER_MMAP_BYTES = 1 << 30  # at most this much of the file mapped (address space, not memory)
_WRITER_CACHE_KIB = 64 * 1024
_BULK_CACHE_KIB = 16 * 1024  # a rebuild's copy: written in event order, not read (memory bound)


class _SqliteReader:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with closing(self._conn.execute(sql, params)) as cursor:
            return cursor.fetchall()


class SqliteReadDatabase(ReadDatabase):
    """A view database in one SQLite file (WAL), or in memory (``:memory:``)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = str(path)
        self._memory = self.path == ":memory:"
        self._writer = self._connect()
        if not self._memory:
            # Commits wait for the WAL, not for the disk (synchronous=NORMAL): see
            # ReadDatabase.durable; the chain ledger asks for durable commits.
            self._writer.execute("PRAGMA journal_mode=WAL")
            self._writer.execute("PRAGMA synchronous=NORMAL")
            # the writer's page cache: a batch's index pages stay in it (SQLite's default 2 MB
            # is a fraction of a province's name indexes)
            self._writer.execute(f"PRAGMA cache_size=-{_WRITER_CACHE_KIB}")
        self._writer.execute(TRACKING_SCHEMA)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqliteReadDatabase({self.path!r})"

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def bulk_load(self, loading: bool) -> None:
        with self._lock:
            kib = _BULK_CACHE_KIB if loading else _WRITER_CACHE_KIB
            self._writer.execute(f"PRAGMA cache_size=-{kib}")

    def durable(self) -> None:
        with self._lock:
            self._writer.execute("PRAGMA synchronous=FULL")

    def create(self, schema: str) -> None:
        with self._lock:
            self._writer.executescript(schema)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._writer.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._writer.execute("ROLLBACK")
            raise
        self._writer.execute("COMMIT")

    def _writer_query(self, sql: str, params: Params) -> list[Row]:
        with closing(self._writer.execute(sql, params)) as cursor:
            return cursor.fetchall()

    def _writer_execute(self, sql: str, params: Params) -> None:
        self._writer.execute(sql, params).close()

    def _writer_executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._writer.executemany(sql, rows).close()

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            # pages read from the OS's cache in place, not copied in by a read() call each
            conn.execute(f"PRAGMA mmap_size={_READER_MMAP_BYTES}")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[Reader]:
        if self._memory:  # one connection is the whole database
            with self._lock:
                yield _SqliteReader(self._writer)
            return
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            yield _SqliteReader(conn)
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._lock:
            self._writer.close()
