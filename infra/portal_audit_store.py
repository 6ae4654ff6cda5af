"""SqlPortalAudit: the portal's audit trail, in the service database (SQLite or PostgreSQL).

One row per record an answer returned (``seq`` 0, 1, ...), or one row with no record for an
answer that returned none; the rows of one request share its id, time, actor and query, and are
written in one transaction: a request is audited whole or not at all. Indexes serve the
admin's questions: by time, by actor, by record.

Every portal answer waits for its audit rows to be committed, so the write must be cheap:

* PostgreSQL: one multi-row ``INSERT`` on a pooled connection (the server commits concurrent
  transactions together);
* SQLite: one connection of its own, in WAL mode with durable commits (``synchronous=FULL``),
  commits the rows of every request waiting at that moment in one transaction (group commit);
  each request returns once the transaction holding its rows committed. WAL is a property of
  the file, so the service database's other tables use it too (a commit in the default
  rollback journal costs ~12 ms here, in WAL ~1.5 ms).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from api.audit import AuditFilter, AuditKey, AuditUnavailableError, PortalRead
from infra.sql import SqlDatabase

_TABLE = "hotich_portal_audit"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} (request_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, action TEXT NOT NULL, "
    "query TEXT NOT NULL, record_id TEXT, PRIMARY KEY (request_id, seq))",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_by_time ON {_TABLE} (at, request_id)",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_by_actor ON {_TABLE} (actor_id, at)",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_by_record ON {_TABLE} (record_id, at)",
)
_COLUMNS = "request_id, seq, at, actor_id, actor_role, action, query, record_id"
_STORE_ERRORS = (sqlite3.Error, psycopg.Error, OSError)


def _at(moment: dt.datetime) -> str:
    """A fixed-width UTC time: its text order is its time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _insert(rows: int) -> str:
    marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES {marks}"  # noqa: S608


class _Waiting:
    """One request's rows, waiting for a transaction to commit them."""

    def __init__(self, params: list[Any], rows: int) -> None:
        self.params = params
        self.rows = rows
        self.done = False
        self.error: BaseException | None = None


class _SqliteGroupWriter:
    """Writes the audit rows of concurrent requests in one transaction (see the docstring)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._waiting: list[_Waiting] = []
        self._waiting_lock = threading.Lock()
        self._write_lock = threading.Lock()  # held by the request committing for all

    def write(self, params: list[Any], rows: int) -> None:
        mine = _Waiting(params, rows)
        with self._waiting_lock:
            self._waiting.append(mine)
        with self._write_lock:
            if not mine.done:  # nobody committed it while this request waited: commit them all
                with self._waiting_lock:
                    group, self._waiting = self._waiting, []
                self._commit(group)
        if mine.error is not None:
            raise mine.error

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self._path, check_same_thread=False, isolation_level=None, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._conn = conn
        return self._conn

    def _commit(self, group: Sequence[_Waiting]) -> None:
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for waiting in group:
                    conn.execute(_insert(waiting.rows), waiting.params)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except _STORE_ERRORS as e:
            for waiting in group:
                waiting.error = e
        finally:
            for waiting in group:
                waiting.done = True

    def close(self) -> None:
        with self._write_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class SqlPortalAudit:
    def __init__(self, db: SqlDatabase) -> None:
        self._db = db
        for statement in _SCHEMA:
            db.execute(statement)
        path = db.sqlite_path
        self._sqlite = _SqliteGroupWriter(path) if path is not None else None

    def record(self, read: PortalRead) -> None:
        at = _at(read.at)
        query = json.dumps(read.query, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        head = (read.request_id, at, read.actor_id, read.actor_role, read.action, query)
        ids: list[str | None] = [str(i) for i in read.record_ids] or [None]
        rows = [(head[0], seq, *head[1:], record_id) for seq, record_id in enumerate(ids)]
        params = [value for row in rows for value in row]
        try:
            if self._sqlite is not None:
                self._sqlite.write(params, len(rows))
            else:
                self._db.execute(_insert(len(rows)), params)
        except _STORE_ERRORS as e:
            raise AuditUnavailableError(f"the portal audit could not be written: {e}") from e

    def close(self) -> None:
        """Close the SQLite writer's connection (it opens again if written to)."""
        if self._sqlite is not None:
            self._sqlite.close()

    def list_reads(
        self, where: AuditFilter, *, after: AuditKey | None, limit: int
    ) -> list[tuple[AuditKey, PortalRead]]:
        # one row per request: the row of the asked record, or the request's first row
        clauses: list[str] = ["record_id = ?" if where.record is not None else "seq = 0"]
        params: list[object] = [str(where.record)] if where.record is not None else []
        if where.actor is not None:
            clauses.append("actor_id = ?")
            params.append(where.actor)
        if where.since is not None:
            clauses.append("at >= ?")
            params.append(_at(where.since))
        if where.until is not None:
            clauses.append("at < ?")
            params.append(_at(where.until))
        if after is not None:
            clauses.append("(at < ? OR (at = ? AND request_id < ?))")
            params += [after.at, after.at, after.request_id]
        try:
            heads = self._db.execute(
                f"SELECT request_id, at FROM {_TABLE} WHERE {' AND '.join(clauses)} "  # noqa: S608
                "ORDER BY at DESC, request_id DESC LIMIT ?",
                [*params, limit],
            )
            if not heads:
                return []
            marks = ", ".join("?" * len(heads))
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM {_TABLE} WHERE request_id IN ({marks}) "  # noqa: S608
                "ORDER BY request_id, seq",
                [h[0] for h in heads],
            )
        except _STORE_ERRORS as e:
            raise AuditUnavailableError(f"the portal audit could not be read: {e}") from e
        by_request: dict[str, list[tuple[object, ...]]] = {}
        for row in rows:
            by_request.setdefault(str(row[0]), []).append(tuple(row))
        reads = []
        for request_id, at in heads:
            group = by_request[str(request_id)]
            _, _, _, actor_id, actor_role, action, query, _ = group[0]
            reads.append(
                (
                    AuditKey(str(at), str(request_id)),
                    PortalRead(
                        request_id=str(request_id),
                        at=dt.datetime.fromisoformat(str(at)),
                        actor_id=str(actor_id),
                        actor_role=str(actor_role),
                        action=str(action),
                        query=json.loads(str(query)),
                        record_ids=tuple(UUID(str(r[7])) for r in group if r[7] is not None),
                    ),
                )
            )
        return reads
