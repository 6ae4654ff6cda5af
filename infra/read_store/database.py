"""ReadDatabase: where a view keeps its tables and positions, in SQLite or in PostgreSQL.

One writer (the projection's runner) and many readers. The writer's statements run on one
connection behind a lock, each save in its own transaction or many in one ``batch()`` (a
runner's poll); readers use their own connections and see a whole transaction or none of it.
While a thread holds a batch, its reads go through the writer, so it sees what it wrote.

Every view database has a ``tracking`` table: the position of a view (or of one stream of it,
``view@stream``), stored by ``write`` in the same transaction as the rows it goes with.

Views write their SQL once, as SQLite takes it; ``PostgresReadDatabase`` translates it
(infra/read_store/dialect.py). Rows are read by column name or by index on both.

* ``SqliteReadDatabase``: one file in WAL mode; each reading thread has its own read-only
  connection; ``:memory:`` serves everything from the one connection.
* ``PostgresReadDatabase``: one schema per view database (its tables are found through the
  connections' ``search_path``); one writer connection and a small pool of read-only
  connections (one SELECT in autocommit, several in a repeatable-read transaction).
  ``write`` locks the view's tracking row, so processes feeding the same view (or the same
  stream of it) take turns, as SQLite's writers do.
"""

from __future__ import annotations

import copy
import sqlite3
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, SupportsIndex, overload

import psycopg
from psycopg.adapt import Buffer, Dumper
from psycopg.rows import RowMaker
from psycopg.sql import SQL, Identifier
from psycopg.types.numeric import NumericLoader
from psycopg_pool import ConnectionPool

from infra.read_store.dialect import postgres_schema, postgres_statement

Params = Sequence[Any] | Mapping[str, Any]

_TRACKING = "CREATE TABLE IF NOT EXISTS tracking (view TEXT PRIMARY KEY, position INTEGER NOT NULL)"
_POSITION = "SELECT position FROM tracking WHERE view=?"
_SET_POSITION = (
    "INSERT INTO tracking (view, position) VALUES (?, ?) "
    "ON CONFLICT (view) DO UPDATE SET position=excluded.position"
)


class Row(Protocol):
    """A result row: ``row["name"]``, ``row[0]``, unpacking and ``dict(row)`` all work."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> list[str]: ...


class Reader(Protocol):
    def query(self, sql: str, params: Params = ()) -> list[Row]: ...


class Writer(Reader, Protocol):
    def execute(self, sql: str, params: Params = ()) -> None: ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...


def upsert_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """``INSERT`` a whole row, replacing the row with the same ``key`` (both engines)."""
    others = [c for c in columns if c not in key]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{c}=excluded.{c}" for c in others)
    )


class ReadDatabase(ABC):
    """One view database; see the module docstring. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # the writer connection's
        self._batch_owner: int | None = None
        self._positions: dict[str, int] = {}  # the batch's new positions, stored at its end

    # ----- what each engine provides --------------------------------------------------------
    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """A transaction on the writer connection (the lock is held)."""

    @abstractmethod
    def _writer_query(self, sql: str, params: Params) -> list[Row]: ...

    @abstractmethod
    def _writer_execute(self, sql: str, params: Params) -> None: ...

    @abstractmethod
    def _writer_executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    def _locked_position(self, view: str) -> int:
        """The view's position, read in the writer's transaction (the engine's lock held)."""
        rows = self._writer_query(_POSITION, (view,))
        return int(rows[0][0]) if rows else 0

    @abstractmethod
    def _read(self) -> AbstractContextManager[Reader]:
        """A read transaction on a reader connection."""

    def _read_one(self) -> AbstractContextManager[Reader]:
        """A reader connection for one SELECT (a statement sees one state by itself)."""
        return self._read()

    @abstractmethod
    def create(self, schema: str) -> None:
        """Create the view's tables and indexes (``CREATE ... IF NOT EXISTS`` statements)."""

    @abstractmethod
    def close(self) -> None: ...

    # ----- transactions ---------------------------------------------------------------------
    def in_batch(self) -> bool:
        """Whether this thread holds the writer's transaction."""
        return self._batch_owner == threading.get_ident()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many writes in one transaction (the runner's batch); readers see all or none of it.
        Nested batches of one thread are part of the outer one; an exception rolls it back."""
        with self._lock:
            if self.in_batch():
                yield
                return
            with self._transaction():
                self._batch_owner = threading.get_ident()
                try:
                    yield
                    if self._positions:  # once per view, not once per write
                        self._writer_executemany(_SET_POSITION, list(self._positions.items()))
                finally:
                    self._batch_owner = None
                    self._positions = {}

    # ----- reads ----------------------------------------------------------------------------
    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """One SELECT: from a reader, or from the writer inside this thread's batch."""
        if self.in_batch():
            with self._lock:
                return self._writer_query(sql, params)
        with self._read_one() as reader:
            return reader.query(sql, params)

    @contextmanager
    def snapshot(self) -> Iterator[Reader]:
        """Several SELECTs that see one state of the database."""
        if self.in_batch():
            with self._lock:
                yield self
        else:
            with self._read() as reader:
                yield reader

    def position(self, view: str) -> int:
        if self.in_batch() and view in self._positions:
            return self._positions[view]
        rows = self.query(_POSITION, (view,))
        return int(rows[0][0]) if rows else 0

    # ----- writes ---------------------------------------------------------------------------
    def execute(self, sql: str, params: Params = ()) -> None:
        with self.batch():  # its own transaction, or part of this thread's batch
            self._writer_execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with self.batch():
            self._writer_executemany(sql, rows)

    def write(self, view: str, position: int, apply: Callable[[Writer], None]) -> None:
        """Run ``apply`` and store ``position`` in one transaction, unless already past it."""
        with self.batch():
            known = self._positions.get(view)
            if position <= (self._locked_position(view) if known is None else known):
                return
            apply(self)
            self._positions[view] = position  # stored when the batch ends, in its transaction


def open_database(where: ReadDatabase | Path | str) -> ReadDatabase:
    """A view's database: as given, or the SQLite file at a path."""
    return where if isinstance(where, ReadDatabase) else SqliteReadDatabase(where)


_SCHEMA_VERSIONS = (
    "CREATE TABLE IF NOT EXISTS view_schemas (view TEXT PRIMARY KEY, version INTEGER NOT NULL)"
)


class ViewSchemaError(RuntimeError):
    """A view's tables were made by a hotich whose tables differ: the view must be rebuilt."""


class TrackedView:
    """What every view has: its tables in a ReadDatabase (created if missing) and its position
    under its name, or under ``name@stream`` for a copy made by :meth:`for_stream`.

    The database also keeps the version of the tables it holds (``view_schemas``): a copy
    made with other tables is refused (ViewSchemaError) rather than read wrongly; `hotich
    projections rebuild` makes a fresh copy with this version's tables.
    """

    NAME: ClassVar[str]  # the tracking row's name
    SCHEMA: ClassVar[str]  # CREATE TABLE/INDEX IF NOT EXISTS statements
    SCHEMA_VERSION: ClassVar[int] = 1  # bumped when SCHEMA changes the tables of a filled view

    def __init__(self, database: ReadDatabase | Path | str) -> None:
        self._db = open_database(database)
        self._check_schema_version()
        self._db.create(self.SCHEMA)
        self._tracking = self.NAME

    def _check_schema_version(self) -> None:
        self._db.create(_SCHEMA_VERSIONS)
        rows = self._db.query("SELECT version FROM view_schemas WHERE view = ?", (self.NAME,))
        if rows:
            found = int(rows[0][0])
        elif self._db.query(
            "SELECT 1 FROM tracking WHERE view = ? OR view LIKE ?", (self.NAME, f"{self.NAME}@%")
        ):
            found = 1  # filled before versions were kept
        else:  # a new copy: its tables are this version's
            self._db.execute(
                "INSERT INTO view_schemas (view, version) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (self.NAME, self.SCHEMA_VERSION),
            )
            return
        if found != self.SCHEMA_VERSION:
            raise ViewSchemaError(
                f"the {self.NAME} tables in {self._db!r} are of version {found}, this hotich "
                f"reads version {self.SCHEMA_VERSION}: rebuild the read model "
                "(`hotich projections rebuild NAME`) to make a copy it reads"
            )

    def batch(self) -> AbstractContextManager[None]:
        """Many saves in one transaction (a runner's batch); readers see all or none of it."""
        return self._db.batch()

    def for_stream(self, stream: str) -> Self:
        """The same view, with its position kept per stream (e.g. one Kafka partition)."""
        other = copy.copy(self)
        other._tracking = f"{self.NAME}@{stream}"
        return other

    def position(self) -> int:
        return self._db.position(self._tracking)

    def close(self) -> None:
        self._db.close()


# ----- SQLite ---------------------------------------------------------------------------------
_READER_MMAP_BYTES = 1 << 30  # at most this much of the file mapped (address space, not memory)
_WRITER_CACHE_KIB = 64 * 1024


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
            # Durable commits (synchronous=FULL, SQLite's default): a chain ledger must keep
            # every hash it accepted before the views it guards store their positions.
            self._writer.execute("PRAGMA journal_mode=WAL")
            # the writer's page cache: a batch's index pages stay in it (SQLite's default 2 MB
            # is a fraction of a province's name indexes)
            self._writer.execute(f"PRAGMA cache_size=-{_WRITER_CACHE_KIB}")
        self._writer.execute(_TRACKING)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqliteReadDatabase({self.path!r})"

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

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


# ----- PostgreSQL -----------------------------------------------------------------------------
_LOCK_CLASS = 0x686F7469  # "hoti": the first key of the read stores' advisory locks
_LOCK_POSITION = f"{_POSITION} FOR UPDATE"
_ADD_POSITION = "INSERT INTO tracking (view, position) VALUES (?, 0) ON CONFLICT DO NOTHING"


class _PgRow(tuple[Any, ...]):
    """A row of a result: a tuple whose items are also found by column name."""

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    @overload
    def __getitem__(self, key: SupportsIndex | str, /) -> Any: ...

    @overload
    def __getitem__(self, key: slice, /) -> tuple[Any, ...]: ...

    def __getitem__(self, key: SupportsIndex | str | slice, /) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self._index[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=512)
def _row_type(names: tuple[str, ...]) -> type[_PgRow]:
    index = {name: i for i, name in enumerate(names)}
    return type("Row", (_PgRow,), {"__slots__": (), "_names": names, "_index": index})


def _rows(cursor: psycopg.Cursor[Any]) -> RowMaker[_PgRow]:
    return _row_type(tuple(column.name for column in cursor.description or ()))


class _WholeNumericLoader(NumericLoader):
    """``numeric`` (e.g. ``SUM`` of a ``BIGINT``) as int when whole, as SQLite returns it."""

    def load(self, data: Buffer) -> int | Decimal:  # type: ignore[override]
        value = super().load(data)
        return int(value) if value == value.to_integral_value() else value


class _BoolAsIntDumper(Dumper):
    """True and False stored as 1 and 0, as SQLite stores them (columns are integers)."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj: Any) -> Buffer:
        return b"1" if obj else b"0"


def _adapt(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("numeric", _WholeNumericLoader)
    conn.adapters.register_dumper(bool, _BoolAsIntDumper)


def _lock_key(schema: str) -> int:
    return zlib.crc32(schema.encode()) - (1 << 31)  # an int4


class _PgReader:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._conn.cursor(row_factory=_rows) as cursor:
            cursor.execute(postgres_statement(sql), params)
            return list(cursor.fetchall())


class PostgresReadDatabase(ReadDatabase):
    """A view database in its own schema of a PostgreSQL database."""

    def __init__(self, url: str, schema: str, *, readers: int = 8) -> None:
        super().__init__()
        self.url = url
        self.schema = schema
        self._readers = readers
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._writer = self._connect_writer()
        with self._lock, self._writer.transaction():
            self._lock_schema()  # two processes creating one schema at once: one waits
            self._writer.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(self._ident()))
            self._writer.execute(postgres_schema(_TRACKING)[0].encode())

    def __repr__(self) -> str:
        return f"PostgresReadDatabase(schema={self.schema!r})"

    def _ident(self) -> Identifier:
        return Identifier(self.schema)

    def _set_search_path(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(SQL("SET search_path TO {}").format(self._ident()))

    def _connect_writer(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.url, autocommit=True)
        _adapt(conn)
        self._set_search_path(conn)
        return conn

    def _configure_reader(self, conn: psycopg.Connection[Any]) -> None:
        """Readers run a single SELECT in autocommit (one round trip: no BEGIN, no COMMIT)
        and several in a repeatable-read transaction (``snapshot``); read only either way."""
        _adapt(conn)
        conn.autocommit = True
        self._set_search_path(conn)
        conn.execute("SET default_transaction_read_only = on")
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True

    def _reader_pool(self) -> ConnectionPool:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self._readers,
                    configure=self._configure_reader,
                    name=f"read-store-{self.schema}",
                    open=True,
                )
            return self._pool

    def _lock_schema(self) -> None:
        """Wait for others changing this schema's tables (until this transaction ends)."""
        self._writer.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, _lock_key(self.schema))
        )

    def create(self, schema: str) -> None:
        with self._lock, self._writer.transaction():
            self._lock_schema()
            for statement in postgres_schema(schema):
                self._writer.execute(statement.encode())

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._writer.broken or self._writer.closed:  # e.g. the server restarted
            self._writer = self._connect_writer()
        with self._writer.transaction():
            yield

    def _locked_position(self, view: str) -> int:
        """Locks the tracking row: another writer of this view waits until this one commits
        (and then finds the position this one stored)."""
        rows = self._writer_query(_LOCK_POSITION, (view,))
        if not rows:  # the view's first save: make the row to lock
            self._writer_execute(_ADD_POSITION, (view,))
            rows = self._writer_query(_LOCK_POSITION, (view,))
        return int(rows[0][0])

    def _writer_query(self, sql: str, params: Params) -> list[Row]:
        return _PgReader(self._writer).query(sql, params)

    def _writer_execute(self, sql: str, params: Params) -> None:
        self._writer.execute(postgres_statement(sql), params)

    def _writer_executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with self._writer.cursor() as cursor:
            cursor.executemany(postgres_statement(sql), rows)

    @contextmanager
    def _read(self) -> Iterator[Reader]:
        with self._reader_pool().connection() as conn, conn.transaction():
            yield _PgReader(conn)

    @contextmanager
    def _read_one(self) -> Iterator[Reader]:
        with self._reader_pool().connection() as conn:
            yield _PgReader(conn)

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        with self._lock:
            self._writer.close()
