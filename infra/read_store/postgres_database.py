"""PostgresReadDatabase: a view database in one PostgreSQL schema (see
infra/read_store/database.py)."""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar, SupportsIndex, overload

import psycopg
from psycopg.adapt import Buffer, Dumper
from psycopg.rows import RowMaker
from psycopg.sql import SQL, Identifier
from psycopg.types.numeric import NumericLoader
from psycopg_pool import ConnectionPool

from infra.outages import RECONNECT_TIMEOUT, IdleCheck, database_unavailable
from infra.read_store.database import (
    POSITION_SQL,
    TRACKING_SCHEMA,
    Params,
    ReadDatabase,
    Reader,
    Row,
)
from infra.read_store.dialect import postgres_schema, postgres_statement

READ_STORE = "read store"
_LOCK_CLASS = 0x686F7469  # "hoti": the first key of the read stores' advisory locks
_LOCK_POSITION = f"{POSITION_SQL} FOR UPDATE"
_ADD_POSITION = "INSERT INTO tracking (view, position) VALUES (?, 0) ON CONFLICT DO NOTHING"


# Rows of one multi-row INSERT: one statement for many rows is one parse, plan and round trip
# on the server instead of one each (psycopg's executemany pipelines them, but each is still
# executed alone).
MULTI_ROWS = 250
_INSERT = re.compile(
    r"(INSERT INTO \w+ \(([\w, ]+)\)) VALUES \(\?(?:, \?)*\)"
    r"((?: ON CONFLICT(?: \(([\w, ]+)\))? DO (?:NOTHING|UPDATE SET .*))?)",
    re.DOTALL,
)


@lru_cache(maxsize=256)
def _multi_row(sql: str) -> tuple[str, int, str, tuple[int, ...]] | None:
    """An ``INSERT ... VALUES (?, ...) [ON CONFLICT ...]`` as (head, columns, tail, the key
    columns' indexes when it updates on conflict); None for any other statement."""
    found = _INSERT.fullmatch(sql)
    if found is None:
        return None
    head, columns, tail, key = found.groups()
    names = [c.strip() for c in columns.split(",")]
    if sql.count("?") != len(names):
        return None
    updates = "DO UPDATE" in tail
    if updates and not key:
        return None
    indexes = tuple(names.index(c.strip()) for c in key.split(",")) if updates else ()
    return postgres_statement(head).decode(), len(names), postgres_statement(tail).decode(), indexes


def _keys_unique(multi: tuple[str, int, str, tuple[int, ...]], rows: list[Params]) -> bool:
    """Whether no two rows update the same row (PostgreSQL refuses that in one statement)."""
    key = multi[3]
    if not key:
        return True
    seen = {tuple(row[i] for i in key) for row in rows}  # type: ignore[index]
    return len(seen) == len(rows)


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

    def __init__(self, url: str, schema: str, *, readers: int = 8, timeout: float = 3.0) -> None:
        super().__init__()
        self.url = url
        self.schema = schema
        self._readers = readers
        self.timeout = timeout  # seconds a read waits for a connection: then 503
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._durable = False
        self._writer = self._connect_writer()
        with self._lock, self._writer.transaction():
            self._lock_schema()  # two processes creating one schema at once: one waits
            self._writer.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(self._ident()))
            self._writer.execute(postgres_schema(TRACKING_SCHEMA)[0].encode())

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
        conn.execute(f"SET synchronous_commit = {'on' if self._durable else 'off'}")
        return conn

    def bulk_load(self, loading: bool) -> None:
        pass  # the server's memory is the server's

    def durable(self) -> None:
        with self._lock:
            self._durable = True
            self._writer.execute("SET synchronous_commit = on")

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
                    kwargs={"connect_timeout": max(2, round(self.timeout))},
                    configure=self._configure_reader,
                    # an idle connection the server closed (it restarted) is replaced, not used
                    check=IdleCheck(),
                    timeout=self.timeout,
                    reconnect_timeout=RECONNECT_TIMEOUT,
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
        rows = list(rows)
        multi = _multi_row(sql)
        if multi is not None and len(rows) > 1 and _keys_unique(multi, rows):
            head, width, tail, _ = multi
            with self._writer.cursor() as cursor:
                for start in range(0, len(rows), MULTI_ROWS):
                    chunk = rows[start : start + MULTI_ROWS]
                    values = ", ".join([f"({', '.join(['%s'] * width)})"] * len(chunk))
                    statement = f"{head} VALUES {values}{tail}".encode()
                    cursor.execute(statement, [value for row in chunk for value in row])
            return
        with self._writer.cursor() as cursor:
            cursor.executemany(postgres_statement(sql), rows)

    @contextmanager
    def _read(self) -> Iterator[Reader]:
        with (
            database_unavailable(READ_STORE),
            self._reader_pool().connection() as conn,
            conn.transaction(),
        ):
            yield _PgReader(conn)

    @contextmanager
    def _read_one(self) -> Iterator[Reader]:
        with database_unavailable(READ_STORE), self._reader_pool().connection() as conn:
            yield _PgReader(conn)

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        with self._lock:
            self._writer.close()
