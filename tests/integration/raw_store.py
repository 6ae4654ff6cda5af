"""Direct access to the events table, as an intruder with database access would have."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from uuid import UUID

import psycopg

from bootstrap.settings import Settings
from infra.store.scan import POSTGRES_EVENTS_TABLE, SQLITE_EVENTS_TABLE

LOG_TABLES = (
    "hotich_tlog_cosignatures",
    "hotich_tlog_checkpoints",
    "hotich_tlog_leaf_runs",
    "hotich_tlog_tiles",
    "hotich_tlog_tree",
)

# PostgreSQL: what copies a table to its snapshot, and back ({t}: the table)
TO_SNAPSHOT = (
    "DROP TABLE IF EXISTS snapshot_{t}",
    "CREATE TABLE snapshot_{t} AS SELECT * FROM {t}",
)
FROM_SNAPSHOT = ("DELETE FROM {t}", "INSERT INTO {t} SELECT * FROM snapshot_{t}")


class RawStore:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.path = settings.sqlite_path

    def _exec(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        if self.url:
            sql = sql.replace("?", "%s").replace("{table}", POSTGRES_EVENTS_TABLE)
            with psycopg.connect(self.url, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute(sql.encode(), params)  # type: ignore[call-overload]
                return list(cur.fetchall()) if cur.description else []
        sql = sql.replace("{table}", SQLITE_EVENTS_TABLE)
        with closing(sqlite3.connect(self.path)) as conn, conn:
            return list(conn.execute(sql, params).fetchall())

    def _id(self, aggregate_id: UUID) -> object:
        return aggregate_id if self.url else aggregate_id.hex

    def row(self, aggregate_id: UUID, version: int) -> tuple[str, bytes]:
        [(topic, state)] = self._exec(
            "SELECT topic, state FROM {table} WHERE originator_id=? AND originator_version=?",
            (self._id(aggregate_id), version),
        )
        return str(topic), bytes(state)  # type: ignore[arg-type]

    def set_state(self, aggregate_id: UUID, version: int, state: bytes) -> None:
        self._exec(
            "UPDATE {table} SET state=? WHERE originator_id=? AND originator_version=?",
            (state, self._id(aggregate_id), version),
        )

    def delete(self, aggregate_id: UUID, version: int) -> None:
        self._exec(
            "DELETE FROM {table} WHERE originator_id=? AND originator_version=?",
            (self._id(aggregate_id), version),
        )

    def insert(self, aggregate_id: UUID, version: int, topic: str, state: bytes) -> None:
        self._exec(
            "INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "VALUES (?,?,?,?)",
            (self._id(aggregate_id), version, topic, state),
        )

    def count_events(self, aggregate_id: UUID) -> int:
        [(count,)] = self._exec(
            "SELECT COUNT(*) FROM {table} WHERE originator_id=?", (self._id(aggregate_id),)
        )
        return int(str(count))

    def delete_aggregate(self, aggregate_id: UUID) -> None:
        self._exec("DELETE FROM {table} WHERE originator_id=?", (self._id(aggregate_id),))

    def delete_newest(self, count: int) -> None:
        """The newest ``count`` events, by notification order."""
        column = "notification_id" if self.url else "rowid"
        self._exec(
            f"DELETE FROM {{table}} WHERE {column} > (SELECT MAX({column}) - ? FROM {{table}})",
            (count,),
        )

    def wipe_log(self) -> None:
        """The verifiable log's tables, as an intruder covering their tracks would drop them."""
        for table in LOG_TABLES:
            self._exec(f"DROP TABLE IF EXISTS {table}", ())

    def snapshot(self) -> None:
        """A copy of the whole database, to put back later (a store restored from a backup)."""
        self._copy_over(self.path, self._snapshot_path, TO_SNAPSHOT)

    def restore(self) -> None:
        """The database as it was at the last snapshot."""
        self._copy_over(self._snapshot_path, self.path, FROM_SNAPSHOT)

    def _copy_over(self, source: Path, target: Path, statements: tuple[str, str]) -> None:
        """SQLite: the file ``source`` copied over ``target``; PostgreSQL: ``statements`` on the
        events table and each of the log's."""
        if self.url is None:
            with (
                closing(sqlite3.connect(source)) as read,
                closing(sqlite3.connect(target)) as write,
            ):
                read.backup(write)
            return
        for table in ("{table}", *LOG_TABLES):
            for statement in statements:
                self._exec(statement.format(t=table), ())

    @property
    def _snapshot_path(self) -> Path:
        return Path(f"{self.path}.snapshot")
