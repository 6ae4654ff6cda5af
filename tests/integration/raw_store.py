"""Direct access to the events table, as an intruder with database access would have."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from uuid import UUID

import psycopg

from bootstrap.settings import Settings
from infra.store.scan import POSTGRES_EVENTS_TABLE, SQLITE_EVENTS_TABLE


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
