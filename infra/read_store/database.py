"""ReadDatabase: where a view keeps its tables and positions, in SQLite or in PostgreSQL.

One writer (the projection's runner) and many readers. The writer's statements run on one
connection behind a lock, each save in its own transaction or many in one ``batch()`` (a
runner's poll); readers use their own connections and see a whole transaction or none of it.
While a thread holds a batch, its reads go through the writer, so it sees what it wrote.

Every view database has a ``tracking`` table: the position of a view (or of one stream of it,
``view@stream``), stored by ``write`` in the same transaction as the rows it goes with.

A view's commits do not wait for the disk (SQLite ``synchronous=NORMAL`` in WAL mode,
PostgreSQL ``synchronous_commit=off``): a crash of the machine may undo its last batches, rows
and position together, and they are then applied again from the position that was kept (a
commit waiting for the disk cost ~10 ms here, a batch per view per poll). What must not go back
further than what was built on it (the chain ledger) asks for ``durable`` commits.

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
import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar
from uuid import UUID

Params = Sequence[Any] | Mapping[str, Any]

TRACKING_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS tracking (view TEXT PRIMARY KEY, position INTEGER NOT NULL)"
)
POSITION_SQL = "SELECT position FROM tracking WHERE view=?"
SET_POSITION_SQL = (
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


IN_CHUNK = 500  # values of one ``IN (...)`` list (well under either engine's limit)


_T = TypeVar("_T")


def chunked(values: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    """``values`` in lists of at most ``size``."""
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def marks(count: int, width: int = 1) -> str:
    """``?, ?, ?`` for ``count`` values; with ``width`` > 1, ``(?, ?), (?, ?)`` row values."""
    one = "?" if width == 1 else f"({', '.join('?' * width)})"
    return ", ".join([one] * count)


def wanted_pairs(count: int) -> str:
    """``WITH wanted(a, b) AS (VALUES (?, ?), ...)``: ``count`` pairs to join a table on. Both
    engines look each pair up in the table's index this way, where SQLite scans the whole table
    for ``(a, b) IN (VALUES ...)``."""
    return f"WITH wanted(a, b) AS (VALUES {marks(count, 2)}) "


def upsert_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """``INSERT`` a whole row, replacing the row with the same ``key`` (both engines)."""
    others = [c for c in columns if c not in key]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{c}=excluded.{c}" for c in others)
    )


def sql_value(value: Any) -> Any:
    """A value as both engines take it: a UUID as text, a date or time in ISO 8601."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_params(row: Any) -> tuple[Any, ...]:
    """A dataclass row's fields in their order, as the parameters of its ``INSERT``."""
    return tuple(sql_value(getattr(row, f.name)) for f in fields(row))


class ReadDatabase(ABC):
    """One view database; see the module docstring. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # the writer connection's
        self._batch_owner: int | None = None
        self._positions: dict[str, int] = {}  # the batch's new positions, stored at its end
        self._claimed: dict[str, int] = {}  # positions read (and locked) in the batch

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
        rows = self._writer_query(POSITION_SQL, (view,))
        return int(rows[0][0]) if rows else 0

    @abstractmethod
    def _read(self) -> AbstractContextManager[Reader]:
        """A read transaction on a reader connection."""

    def _read_one(self) -> AbstractContextManager[Reader]:
        """A reader connection for one SELECT (a statement sees one state by itself)."""
        return self._read()

    @abstractmethod
    def bulk_load(self, loading: bool) -> None:
        """While ``loading`` (a rebuild fills a copy no one reads yet), keep less in memory."""

    @abstractmethod
    def durable(self) -> None:
        """Make every later commit wait until it is on disk."""

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
                        self._writer_executemany(SET_POSITION_SQL, list(self._positions.items()))
                finally:
                    self._batch_owner = None
                    self._positions = {}
                    self._claimed = {}

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
        """The view's position; in this thread's batch, its tracking row is locked first (a
        batch that reads, folds and writes sees no other writer of the view in between)."""
        if self.in_batch():
            with self._lock:
                return self._held_position(view)
        rows = self.query(POSITION_SQL, (view,))
        return int(rows[0][0]) if rows else 0

    def _held_position(self, view: str) -> int:
        """The view's position in the batch: as the batch set it, or read with the lock."""
        known = self._positions.get(view, self._claimed.get(view))
        if known is None:
            known = self._claimed[view] = self._locked_position(view)
        return known

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
            if position <= self._held_position(view):
                return
            apply(self)
            self._positions[view] = position  # stored when the batch ends, in its transaction


def open_database(where: ReadDatabase | Path | str) -> ReadDatabase:
    """A view's database: as given, or the SQLite file at a path."""
    if isinstance(where, ReadDatabase):
        return where
    from infra.read_store.sqlite_database import SqliteReadDatabase  # it builds on this module

    return SqliteReadDatabase(where)


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
    # indexes of SCHEMA only the readers use (none of the projection's reads and writes): a
    # rebuild fills a fresh copy without them and makes them at the end, sorting once
    READ_INDEXES: ClassVar[tuple[str, ...]] = ()

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

    def _first(self, of_row: Callable[[Row], _T], sql: str, params: Params = ()) -> _T | None:
        """What ``of_row`` makes of the first row ``sql`` answers, or None."""
        rows = self._db.query(sql, params)
        return of_row(rows[0]) if rows else None

    def _row_by_id(self, of_row: Callable[[Row], _T], table: str, row_id: UUID) -> _T | None:
        """What ``of_row`` makes of the row of ``table`` whose ``id`` is ``row_id``, or None."""
        sql = f"SELECT * FROM {table} WHERE id=?"  # noqa: S608
        return self._first(of_row, sql, (str(row_id),))

    def _rows_by_ids(self, table: str, row_ids: Iterable[UUID]) -> Iterator[Row]:
        """The rows of ``table`` whose ``id`` is one of ``row_ids`` (one query a chunk of ids)."""
        for chunk in chunked(str(i) for i in row_ids):
            sql = f"SELECT * FROM {table} WHERE id IN ({marks(len(chunk))})"  # noqa: S608
            yield from self._db.query(sql, chunk)

    def batch(self) -> AbstractContextManager[None]:
        """Many saves in one transaction (a runner's batch); readers see all or none of it."""
        return self._db.batch()

    def start_bulk_load(self) -> None:
        """A rebuild fills this copy, which no one reads yet: without the readers' indexes
        (made by :meth:`end_bulk_load`, sorting once) and with a small writer cache."""
        self._db.bulk_load(True)
        for index in self.READ_INDEXES:
            self._db.execute(f"DROP INDEX IF EXISTS {index}")

    def end_bulk_load(self) -> None:
        self._db.create(self.SCHEMA)
        self._db.bulk_load(False)

    def for_stream(self, stream: str) -> Self:
        """The same view, with its position kept per stream (e.g. one Kafka partition)."""
        other = copy.copy(self)
        other._tracking = f"{self.NAME}@{stream}"
        return other

    def position(self) -> int:
        return self._db.position(self._tracking)

    def close(self) -> None:
        self._db.close()
