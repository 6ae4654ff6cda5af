"""Durable positions (relay, consumers) in the service database, one row per name."""

from __future__ import annotations

from infra.service_db.database import NamedRows


class SqlPositions(NamedRows):
    table = "hotich_positions"
    schema = (
        "CREATE TABLE IF NOT EXISTS hotich_positions "
        "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
    )

    def get(self, name: str) -> int:
        position = self._cell("position", name)
        return int(position) if position is not None else 0

    def set(self, name: str, position: int) -> None:
        self._db.execute(
            "INSERT INTO hotich_positions (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (name, position),
        )
