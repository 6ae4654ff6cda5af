"""SqliteCatalogueView: the catalogue's rows and position in one SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any
from uuid import UUID

from projections.catalogue import EntryRow, RegisterRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tracking (view TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS registers (
    id TEXT PRIMARY KEY, district TEXT NOT NULL, commune_code TEXT NOT NULL, kind TEXT NOT NULL,
    year_from INTEGER NOT NULL, year_to INTEGER NOT NULL, book_number TEXT NOT NULL,
    page_count INTEGER NOT NULL, estimated_entries INTEGER NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS registers_by_district ON registers (district, commune_code, id);
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY, register_id TEXT NOT NULL, district TEXT NOT NULL,
    commune_code TEXT NOT NULL, kind TEXT NOT NULL, entry_number INTEGER NOT NULL,
    status TEXT NOT NULL, subject_name TEXT, subject_key TEXT, version INTEGER NOT NULL,
    open_discrepancies INTEGER NOT NULL, status_before_correction TEXT, published INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_district ON entries (district, register_id, entry_number);
"""
_VIEW = "catalogue"
_REGISTER_COLUMNS = [f.name for f in fields(RegisterRow)]
_ENTRY_COLUMNS = [f.name for f in fields(EntryRow)]


def _to_db(row: RegisterRow | EntryRow) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, UUID) else v) for k, v in asdict(row).items()}


def _entry(row: sqlite3.Row) -> EntryRow:
    data = dict(row)
    data.update(
        id=UUID(data["id"]),
        register_id=UUID(data["register_id"]),
        published=bool(data["published"]),
    )
    return EntryRow(**data)


def _register(row: sqlite3.Row) -> RegisterRow:
    data = dict(row)
    data["id"] = UUID(data["id"])
    return RegisterRow(**data)


class SqliteCatalogueView:
    """Registers and entries by district; thread-safe for one writer and many readers."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if self._path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock, closing(self._conn.execute(sql, params)) as cursor:
            return cursor.fetchall()

    def position(self) -> int:
        rows = self._query("SELECT position FROM tracking WHERE view=?", (_VIEW,))
        return int(rows[0][0]) if rows else 0

    def save(self, position: int, *, register: RegisterRow | None, entry: EntryRow | None) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if position <= self._position_in_transaction():
                    self._conn.execute("ROLLBACK")
                    return
                if register is not None:
                    cols = ",".join(_REGISTER_COLUMNS)
                    marks = ",".join(f":{c}" for c in _REGISTER_COLUMNS)
                    self._conn.execute(
                        f"INSERT OR REPLACE INTO registers ({cols}) VALUES ({marks})",  # noqa: S608
                        _to_db(register),
                    )
                if entry is not None:
                    cols = ",".join(_ENTRY_COLUMNS)
                    marks = ",".join(f":{c}" for c in _ENTRY_COLUMNS)
                    self._conn.execute(
                        f"INSERT OR REPLACE INTO entries ({cols}) VALUES ({marks})",  # noqa: S608
                        _to_db(entry),
                    )
                self._conn.execute(
                    "INSERT INTO tracking (view, position) VALUES (?, ?) "
                    "ON CONFLICT (view) DO UPDATE SET position=excluded.position",
                    (_VIEW, position),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _position_in_transaction(self) -> int:
        row = self._conn.execute("SELECT position FROM tracking WHERE view=?", (_VIEW,)).fetchone()
        return int(row[0]) if row else 0

    def get_entry(self, entry_id: UUID) -> EntryRow | None:
        rows = self._query("SELECT * FROM entries WHERE id=?", (str(entry_id),))
        return _entry(rows[0]) if rows else None

    def get_register(self, register_id: UUID) -> RegisterRow | None:
        rows = self._query("SELECT * FROM registers WHERE id=?", (str(register_id),))
        return _register(rows[0]) if rows else None

    def list_registers(self, district: str, *, after: str | None, limit: int) -> list[RegisterRow]:
        rows = self._query(
            "SELECT * FROM registers WHERE district=? AND (commune_code || '/' || id) > ? "
            "ORDER BY commune_code, id LIMIT ?",
            (district, after or "", limit),
        )
        return [_register(r) for r in rows]

    def list_entries(
        self, district: str, *, status: str | None, after: tuple[str, int] | None, limit: int
    ) -> list[EntryRow]:
        reg, number = after if after else ("", 0)
        rows = self._query(
            "SELECT * FROM entries WHERE district=? AND (? IS NULL OR status=?) "
            "AND (register_id > ? OR (register_id = ? AND entry_number > ?)) "
            "ORDER BY register_id, entry_number LIMIT ?",
            (district, status, status, reg, reg, number, limit),
        )
        return [_entry(r) for r in rows]

    def count_entries(self, district: str, *, status: str | None) -> int:
        rows = self._query(
            "SELECT COUNT(*) FROM entries WHERE district=? AND (? IS NULL OR status=?)",
            (district, status, status),
        )
        return int(rows[0][0])
