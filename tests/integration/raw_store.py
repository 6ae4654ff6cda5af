"""Direct access to the events table, as an intruder with database access would have."""

from __future__ import annotations

import sqlite3
from contextlib import closing
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
        if self.url is None:
            with (
                closing(sqlite3.connect(self.path)) as live,
                closing(sqlite3.connect(self._copy)) as copy,
            ):
                live.backup(copy)
            return
        for table in ("{table}", *LOG_TABLES):
            self._exec(f"DROP TABLE IF EXISTS snapshot_{table}", ())
            self._exec(f"CREATE TABLE snapshot_{table} AS SELECT * FROM {table}", ())

    def restore(self) -> None:
        if self.url is None:
            with (
                closing(sqlite3.connect(self._copy)) as copy,
                closing(sqlite3.connect(self.path)) as live,
            ):
                copy.backup(live)
            return
        for table in ("{table}", *LOG_TABLES):
            self._exec(f"DELETE FROM {table}", ())
            self._exec(f"INSERT INTO {table} SELECT * FROM snapshot_{table}", ())

    @property
    def _copy(self) -> str:
        return f"{self.path}.snapshot"
