"""SqlPortalAudit: the portal's audit trail, in the service database (SQLite or PostgreSQL).

One row per answered request in ``hotich_portal_reads`` (who, when, the action, its parameters
and the ids of the records it returned, in the answer's order), and one row per returned
record in ``hotich_portal_read_records`` (the record, when, which request), written in one
transaction: a request is audited whole or not at all. Indexes serve the admin's questions:
by time and by actor (the reads), by record (the read records, clustered by record on SQLite).

Every portal answer waits for its audit rows to be committed, so the write must be cheap: a
commit is shared (group commit). One request at a time writes, for itself and for every
request that came while the previous commit ran, in one transaction; each request returns once
the transaction holding its rows committed, and if it failed, each of them fails (HTTP 503).

* PostgreSQL: the group's rows in one statement (both tables) on a pooled connection;
* SQLite: one connection of its own, in WAL mode with durable commits (``synchronous=FULL``);
  a thread of its own copies the WAL into the file twice a second (no commit waits for it).
  WAL is a property of the file, so the service database's other tables use it too (a commit
  in the default rollback journal costs ~12 ms here, in WAL ~1.5 ms).

The first layout (``hotich_portal_audit``: one row per returned record, each repeating the
request) is moved into these tables when found, then kept as ``hotich_portal_audit_v1``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from digitization.ports import ServiceUnavailableError
from infra.service_db.database import SqlDatabase
from infra.sqlite_file import SqliteFile
from projections.portal_audit import AuditFilter, AuditKey, AuditUnavailableError, PortalRead

_READS = "hotich_portal_reads"
_RECORDS = "hotich_portal_read_records"
_V1 = "hotich_portal_audit"


def _schema(sqlite: bool) -> tuple[str, ...]:
    clustered = " WITHOUT ROWID" if sqlite else ""
    return (
        f"CREATE TABLE IF NOT EXISTS {_READS} (request_id TEXT PRIMARY KEY, at TEXT NOT NULL, "
        "actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, action TEXT NOT NULL, "
        "query TEXT NOT NULL, record_ids TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {_READS}_by_time ON {_READS} (at, request_id)",
        f"CREATE INDEX IF NOT EXISTS {_READS}_by_actor ON {_READS} (actor_id, at, request_id)",
        f"CREATE TABLE IF NOT EXISTS {_RECORDS} (record_id TEXT NOT NULL, at TEXT NOT NULL, "
        f"request_id TEXT NOT NULL, PRIMARY KEY (record_id, at, request_id)){clustered}",
    )


_READ_COLUMNS = ("request_id", "at", "actor_id", "actor_role", "action", "query", "record_ids")
_INSERT_READ = f"INSERT INTO {_READS} ({', '.join(_READ_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_SELECT_READS = f"SELECT {', '.join(f'r.{c}' for c in _READ_COLUMNS)} FROM "  # noqa: S608
_STORE_ERRORS = (sqlite3.Error, psycopg.Error, OSError, ServiceUnavailableError)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _at(moment: dt.datetime) -> str:
    """A fixed-width UTC time: its text order is its time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _insert_records(rows: int) -> str:
    marks = ", ".join(["(?, ?, ?)"] * rows)
    return f"INSERT INTO {_RECORDS} (record_id, at, request_id) VALUES {marks}"  # noqa: S608


class _Rows:
    """One request's rows: its read, and one row per record it returned."""

    def __init__(self, read: PortalRead) -> None:
        at = _at(read.at)
        ids = [str(i) for i in read.record_ids]
        self.read = (
            read.request_id,
            at,
            read.actor_id,
            read.actor_role,
            read.action,
            _json(read.query),
            _json(ids),
        )
        distinct = list(dict.fromkeys(ids))  # an answer holds a record once; its index row once
        self.records = [value for i in distinct for value in (i, at, read.request_id)]
        self.record_count = len(distinct)


class _Waiting:
    """One request's rows, waiting for a transaction to commit them."""

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.done = False
        self.error: BaseException | None = None


class _GroupWriter:
    """Writes the audit rows of concurrent requests together (see the module docstring): one
    request at a time commits, for itself and every request that came while it waited."""

    def __init__(self, commit: Callable[[Sequence[_Rows]], None]) -> None:
        self._commit_rows = commit
        self._waiting: list[_Waiting] = []
        self._waiting_lock = threading.Lock()
        self._write_lock = threading.Lock()  # held by the request committing for all

    def write(self, rows: _Rows) -> None:
        mine = _Waiting(rows)
        with self._waiting_lock:
            self._waiting.append(mine)
        with self._write_lock:
            if not mine.done:  # nobody committed it while this request waited: commit them all
                with self._waiting_lock:
                    group, self._waiting = self._waiting, []
                self._commit(group)
        if mine.error is not None:
            raise mine.error

    def _commit(self, group: Sequence[_Waiting]) -> None:
        try:
            self._commit_rows([waiting.rows for waiting in group])
        except _STORE_ERRORS as e:
            for waiting in group:
                waiting.error = e
        finally:
            for waiting in group:
                waiting.done = True

    def closing(self) -> threading.Lock:
        """Held while the store closes: no commit runs then."""
        return self._write_lock


CHECKPOINT_EVERY = 0.5  # seconds between the audit's WAL checkpoints, off the requests' path


class _SqliteCommits:
    """A group's rows in one transaction of a connection of its own, committed durably. The
    WAL is copied into the file by a thread of its own (a passive checkpoint, which neither
    waits for nor holds up commits), not by the commit that fills it, which would keep every
    request of its group waiting."""

    def __init__(self, path: Path) -> None:
        self._file = SqliteFile(path, "PRAGMA synchronous=FULL", "PRAGMA wal_autocheckpoint=0")
        self._stop = threading.Event()
        self._checkpoints: threading.Thread | None = None

    def _checkpoint(self, path: Path, stop: threading.Event) -> None:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while not stop.wait(CHECKPOINT_EVERY):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    continue  # e.g. the file is busy: the next one copies what this one did not
        finally:
            conn.close()

    def __call__(self, group: Sequence[_Rows]) -> None:
        if self._checkpoints is None:  # the first commit since opened (or closed)
            self._stop = threading.Event()
            self._checkpoints = threading.Thread(
                target=self._checkpoint,
                args=(self._file.path, self._stop),
                name="portal-audit-checkpoints",
                daemon=True,
            )
            self._checkpoints.start()
        conn = self._file.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for rows in group:
                conn.execute(_INSERT_READ, rows.read)
                if rows.record_count:
                    conn.execute(_insert_records(rows.record_count), rows.records)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._checkpoints is not None:
            self._stop.set()
            self._checkpoints.join()
            self._checkpoints = None
        self._file.close()


_MAX_PARAMS = 30_000  # of one PostgreSQL statement (its limit: 65,535)


def _postgres_commits(db: SqlDatabase) -> Callable[[Sequence[_Rows]], None]:
    """A group's rows in one statement per ~30,000 values (each request whole in one)."""

    def commit(group: Sequence[_Rows]) -> None:
        start = 0
        while start < len(group):
            end, params = start, 0
            while end < len(group) and (end == start or params < _MAX_PARAMS):
                params += len(group[end].read) + len(group[end].records)
                end += 1
            _insert_group(db, group[start:end])
            start = end

    return commit


def _insert_group(db: SqlDatabase, group: Sequence[_Rows]) -> None:
    reads = [value for rows in group for value in rows.read]
    records = [value for rows in group for value in rows.records]
    insert_reads = _INSERT_READ.replace("(?, ?, ?, ?, ?, ?, ?)", _marks(len(group), 7))
    count = sum(rows.record_count for rows in group)
    if count:  # one statement: every table's rows or none
        db.execute(
            f"WITH r AS ({insert_reads} RETURNING request_id) {_insert_records(count)}",
            [*reads, *records],
        )
    else:
        db.execute(insert_reads, reads)


def _marks(rows: int, width: int) -> str:
    return ", ".join(["(" + ", ".join("?" * width) + ")"] * rows)


class SqlPortalAudit:
    def __init__(self, db: SqlDatabase) -> None:
        self._db = db
        for statement in _schema(sqlite=not db.is_postgres):
            db.execute(statement)
        path = db.sqlite_path
        self._sqlite = _SqliteCommits(path) if path is not None else None
        self._writer = _GroupWriter(self._sqlite or _postgres_commits(db))
        if self._table_exists(_V1):
            self._move_first_layout()

    def record(self, read: PortalRead) -> None:
        rows = _Rows(read)
        try:
            self._writer.write(rows)
        except _STORE_ERRORS as e:
            raise AuditUnavailableError(f"the portal audit could not be written: {e}") from e

    def close(self) -> None:
        """Close the SQLite writer's connection (it opens again if written to)."""
        if self._sqlite is not None:
            with self._writer.closing():
                self._sqlite.close()

    def list_reads(
        self, where: AuditFilter, *, after: AuditKey | None, limit: int
    ) -> list[tuple[AuditKey, PortalRead]]:
        # by record: its index rows (x), newest first; else the reads (r) themselves
        clauses: list[str] = []
        params: list[object] = []
        if where.record is not None:
            table, keyed = f"{_RECORDS} AS x JOIN {_READS} AS r ON r.request_id = x.request_id", "x"
            clauses.append("x.record_id = ?")
            params.append(str(where.record))
        else:
            table, keyed = f"{_READS} AS r", "r"
        if where.actor is not None:
            clauses.append("r.actor_id = ?")
            params.append(where.actor)
        if where.since is not None:
            clauses.append(f"{keyed}.at >= ?")
            params.append(_at(where.since))
        if where.until is not None:
            clauses.append(f"{keyed}.at < ?")
            params.append(_at(where.until))
        if after is not None:
            clauses.append(f"({keyed}.at < ? OR ({keyed}.at = ? AND {keyed}.request_id < ?))")
            params += [after.at, after.at, after.request_id]
        try:
            rows = self._db.execute(
                f"{_SELECT_READS}{table} WHERE {' AND '.join(clauses) or '1 = 1'} "
                f"ORDER BY {keyed}.at DESC, {keyed}.request_id DESC LIMIT ?",
                [*params, limit],
            )
        except _STORE_ERRORS as e:
            raise AuditUnavailableError(f"the portal audit could not be read: {e}") from e
        return [
            (
                AuditKey(str(at), str(request_id)),
                PortalRead(
                    request_id=str(request_id),
                    at=dt.datetime.fromisoformat(str(at)),
                    actor_id=str(actor_id),
                    actor_role=str(actor_role),
                    action=str(action),
                    query=json.loads(str(query)),
                    record_ids=tuple(UUID(i) for i in json.loads(str(record_ids))),
                ),
            )
            for request_id, at, actor_id, actor_role, action, query, record_ids in rows
        ]

    # ----- the first layout -----------------------------------------------------------------
    def _table_exists(self, name: str) -> bool:
        if self._db.is_postgres:
            return self._db.execute("SELECT to_regclass(?)", [name])[0][0] is not None
        return bool(
            self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]
            )
        )

    def _move_first_layout(self) -> None:
        """Copy the first layout's requests into these tables (again if interrupted: a request
        already copied is left as it is), then keep the old table under another name."""
        done = ""
        while True:
            rows = self._db.execute(
                f"SELECT request_id, seq, at, actor_id, actor_role, action, query, record_id "  # noqa: S608
                f"FROM {_V1} WHERE request_id IN (SELECT DISTINCT request_id FROM {_V1} "
                "WHERE request_id > ? ORDER BY request_id LIMIT 500) ORDER BY request_id, seq",
                [done],
            )
            if not rows:
                break
            requests: dict[str, list[tuple[Any, ...]]] = {}
            for row in rows:
                requests.setdefault(str(row[0]), []).append(tuple(row))
            for request_id, group in requests.items():
                _, _, at, actor_id, actor_role, action, query, _ = group[0]
                ids = [str(r[7]) for r in group if r[7] is not None]
                self._db.execute(
                    f"{_INSERT_READ} ON CONFLICT (request_id) DO NOTHING",
                    [request_id, at, actor_id, actor_role, action, query, _json(ids)],
                )
                for record_id in dict.fromkeys(ids):
                    self._db.execute(
                        f"{_insert_records(1)} ON CONFLICT DO NOTHING", [record_id, at, request_id]
                    )
                done = request_id
        self._db.execute(f"ALTER TABLE {_V1} RENAME TO {_V1}_v1")
