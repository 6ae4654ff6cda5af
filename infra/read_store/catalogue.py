"""SqlCatalogueView: the catalogue's rows and position in one view database (SQLite or
PostgreSQL, infra/read_store/database.py)."""

from __future__ import annotations

from dataclasses import fields
from uuid import UUID

from infra.read_store.database import (
    Row,
    TrackedView,
    Writer,
    row_params,
    upsert_sql,
)
from projections.catalogue import EntryRow, RegisterRow

_SCHEMA = """
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
_UPSERT_REGISTER = upsert_sql("registers", _REGISTER_COLUMNS, key=("id",))
_UPSERT_ENTRY = upsert_sql("entries", _ENTRY_COLUMNS, key=("id",))


def _entry(row: Row) -> EntryRow:
    data = dict(row)
    data.update(
        id=UUID(data["id"]),
        register_id=UUID(data["register_id"]),
        published=bool(data["published"]),
    )
    return EntryRow(**data)


def _register(row: Row) -> RegisterRow:
    data = dict(row)
    data["id"] = UUID(data["id"])
    return RegisterRow(**data)


def _entries_of(district: str, status: str | None) -> tuple[str, tuple[str, ...]]:
    """The condition for a district's entries, in one status or in any."""
    if status is None:
        return "district=?", (district,)
    return "district=? AND status=?", (district, status)


class SqlCatalogueView(TrackedView):
    """Registers and entries by district; thread-safe for one writer and many readers."""

    NAME = _VIEW
    SCHEMA = _SCHEMA
    READ_INDEXES = ("registers_by_district", "entries_by_district")

    def save(self, position: int, *, register: RegisterRow | None, entry: EntryRow | None) -> None:
        def apply(db: Writer) -> None:
            if register is not None:
                db.execute(_UPSERT_REGISTER, row_params(register))
            if entry is not None:
                db.execute(_UPSERT_ENTRY, row_params(entry))

        self._db.write(self._tracking, position, apply)

    def get_entry(self, entry_id: UUID) -> EntryRow | None:
        return self._row_by_id(_entry, "entries", entry_id)

    def get_register(self, register_id: UUID) -> RegisterRow | None:
        return self._row_by_id(_register, "registers", register_id)

    def list_registers(self, district: str, *, after: str | None, limit: int) -> list[RegisterRow]:
        rows = self._db.query(
            "SELECT * FROM registers WHERE district=? AND (commune_code || '/' || id) > ? "
            "ORDER BY commune_code, id LIMIT ?",
            (district, after or "", limit),
        )
        return [_register(r) for r in rows]

    def list_entries(
        self, district: str, *, status: str | None, after: tuple[str, int] | None, limit: int
    ) -> list[EntryRow]:
        reg, number = after if after else ("", 0)
        where, params = _entries_of(district, status)
        rows = self._db.query(
            f"SELECT * FROM entries WHERE {where} "  # noqa: S608
            "AND (register_id > ? OR (register_id = ? AND entry_number > ?)) "
            "ORDER BY register_id, entry_number LIMIT ?",
            (*params, reg, reg, number, limit),
        )
        return [_entry(r) for r in rows]

    def count_entries(self, district: str, *, status: str | None) -> int:
        where, params = _entries_of(district, status)
        rows = self._db.query(f"SELECT COUNT(*) FROM entries WHERE {where}", params)  # noqa: S608
        return int(rows[0][0])
