"""Durable positions (relay, consumers) in the service database, one row per name."""

from __future__ import annotations

from infra.service_db.database import SqlDatabase

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hotich_positions (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
)


class SqlPositions:
    def __init__(self, db: SqlDatabase) -> None:
        self._db = db
        db.execute(_SCHEMA)

    def get(self, name: str) -> int:
        rows = self._db.execute("SELECT position FROM hotich_positions WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    def set(self, name: str, position: int) -> None:
        self._db.execute(
            "INSERT INTO hotich_positions (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (name, position),
        )
