"""SqliteProgressView: the district-progress rows and their position in one SQLite file.

One writer (the projection's runner) and many readers: the writer holds its own connection
behind a lock; each reading thread gets its own connection, so under WAL readers neither wait
for the writer nor see half a save. Figures are counted with GROUP BY on covering indexes
(``entries (district, status, second_keyed, published)`` and the like), so a province of
millions of entries is counted from its indexes alone, never from the tables' rows.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from projections.district_progress import (
    DistrictPlanRow,
    DistrictProgress,
    EntryRow,
    ProgressCounts,
    ProgressUpdate,
    ProvinceProgress,
    RegisterRow,
    ScannedPage,
    assess,
    assess_province,
)

_VIEW = "district_progress"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tracking (view TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS registers (
    id TEXT PRIMARY KEY, district TEXT NOT NULL, commune_code TEXT NOT NULL, kind TEXT NOT NULL,
    page_count INTEGER NOT NULL, estimated_entries INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS registers_by_district
    ON registers (district, page_count, estimated_entries);
CREATE TABLE IF NOT EXISTS register_pages (
    register_id TEXT NOT NULL, page_number INTEGER NOT NULL, district TEXT NOT NULL,
    PRIMARY KEY (register_id, page_number)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS register_pages_by_district ON register_pages (district);
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY, register_id TEXT NOT NULL, district TEXT NOT NULL, status TEXT NOT NULL,
    second_keyed INTEGER NOT NULL, published INTEGER NOT NULL, version INTEGER NOT NULL,
    open_discrepancies TEXT NOT NULL, status_before_correction TEXT);
CREATE INDEX IF NOT EXISTS entries_by_stage ON entries (district, status, second_keyed, published);
CREATE TABLE IF NOT EXISTS plan (
    district TEXT PRIMARY KEY, target_date TEXT, completed_on TEXT);
"""

_REGISTERS_BY_DISTRICT = (
    "SELECT district, COUNT(*), SUM(page_count), SUM(estimated_entries) FROM registers "
    "{where} GROUP BY district"
)
_PAGES_BY_DISTRICT = "SELECT district, COUNT(*) FROM register_pages {where} GROUP BY district"
_ENTRIES_BY_DISTRICT = (
    "SELECT district, status, second_keyed, published, COUNT(*) FROM entries "
    "{where} GROUP BY district, status, second_keyed, published"
)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _entry(row: sqlite3.Row) -> EntryRow:
    return EntryRow(
        id=UUID(row["id"]),
        register_id=UUID(row["register_id"]),
        district=row["district"],
        status=row["status"],
        ever_second_keyed=bool(row["second_keyed"]),
        ever_published=bool(row["published"]),
        version=int(row["version"]),
        open_discrepancies=tuple(json.loads(row["open_discrepancies"])),
        status_before_correction=row["status_before_correction"],
    )


def _plan(row: sqlite3.Row) -> DistrictPlanRow:
    return DistrictPlanRow(
        district=row["district"],
        target_date=_date(row["target_date"]),
        completed_on=_date(row["completed_on"]),
    )


class SqliteProgressView:
    """District progress in SQLite (WAL); thread-safe for one writer and many readers."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._memory = self._path == ":memory:"
        self._lock = threading.RLock()
        self._conn = self._connect()
        if not self._memory:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # Safe under WAL: a crash may lose the last saves, never corrupt; the position is
            # lost with them, so those events are simply delivered again.
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._tracking = _VIEW
        self._batch: dict[str, int | None] = {"owner": None}  # shared with stream copies

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many saves in one transaction (the runner's batch); readers see all or none of it."""
        with self._lock:
            if self._batch["owner"] == threading.get_ident():
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._batch["owner"] = threading.get_ident()
            try:
                yield
            except BaseException:
                self._batch["owner"] = None
                self._conn.execute("ROLLBACK")
                raise
            self._batch["owner"] = None
            self._conn.execute("COMMIT")

    def for_stream(self, stream: str) -> SqliteProgressView:
        """The same view, with its position kept per stream (e.g. one Kafka partition)."""
        other = copy.copy(self)
        other._tracking = f"{_VIEW}@{stream}"
        return other

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def close(self) -> None:
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._conn.close()

    # ----- the writer's side (the projection) ---------------------------------------------
    def _one(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Row | None:
        with self._lock, closing(self._conn.execute(sql, params)) as cursor:
            row: sqlite3.Row | None = cursor.fetchone()
            return row

    def position(self) -> int:
        row = self._one("SELECT position FROM tracking WHERE view=?", (self._tracking,))
        return int(row[0]) if row else 0

    def get_entry(self, entry_id: UUID) -> EntryRow | None:
        row = self._one("SELECT * FROM entries WHERE id=?", (str(entry_id),))
        return _entry(row) if row else None

    def get_district_plan(self, district: str) -> DistrictPlanRow | None:
        row = self._one("SELECT * FROM plan WHERE district=?", (district,))
        return _plan(row) if row else None

    def save(self, position: int, update: ProgressUpdate | None) -> None:
        """Store ``update`` and ``position`` in one transaction; nothing if already seen."""
        with self.batch():  # its own transaction, or part of the runner's batch
            row = self._conn.execute(
                "SELECT position FROM tracking WHERE view=?", (self._tracking,)
            ).fetchone()
            if row is not None and position <= int(row[0]):
                return
            if update is not None:
                self._apply(update)
            self._conn.execute(
                "INSERT INTO tracking (view, position) VALUES (?, ?) "
                "ON CONFLICT (view) DO UPDATE SET position=excluded.position",
                (self._tracking, position),
            )

    def _apply(self, update: ProgressUpdate) -> None:
        execute = self._conn.execute
        if isinstance(update, RegisterRow):
            execute(
                "INSERT OR REPLACE INTO registers "
                "(id, district, commune_code, kind, page_count, estimated_entries) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    str(update.id),
                    update.district,
                    update.commune_code,
                    update.kind,
                    update.page_count,
                    update.estimated_entries,
                ),
            )
        elif isinstance(update, ScannedPage):
            # A rescan names a page that already has a row: the count of pages does not move.
            execute(
                "INSERT OR IGNORE INTO register_pages (register_id, page_number, district) "
                "VALUES (?, ?, ?)",
                (str(update.register_id), update.page_number, update.district),
            )
        elif isinstance(update, EntryRow):
            execute(
                "INSERT OR REPLACE INTO entries (id, register_id, district, status, "
                "second_keyed, published, version, open_discrepancies, status_before_correction) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(update.id),
                    str(update.register_id),
                    update.district,
                    update.status,
                    int(update.ever_second_keyed),
                    int(update.ever_published),
                    update.version,
                    json.dumps(list(update.open_discrepancies)),
                    update.status_before_correction,
                ),
            )
        else:
            execute(
                "INSERT OR REPLACE INTO plan (district, target_date, completed_on) "
                "VALUES (?, ?, ?)",
                (update.district, _iso(update.target_date), _iso(update.completed_on)),
            )

    # ----- the readers' side --------------------------------------------------------------
    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query in it sees the same saved state."""
        if self._memory:  # one connection is the whole database
            with self._lock:
                yield self._conn
            return
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _counts(
        self, conn: sqlite3.Connection, district: str | None
    ) -> tuple[dict[str, ProgressCounts], dict[str, DistrictPlanRow]]:
        where, params = ("WHERE district=?", (district,)) if district is not None else ("", ())
        figures: dict[str, dict[str, Any]] = {}

        def of(code: str) -> dict[str, Any]:
            return figures.setdefault(code, {"entries_by_status": {}})

        for code, n, pages, estimated in conn.execute(
            _REGISTERS_BY_DISTRICT.format(where=where), params
        ):
            of(code).update(registers=n, pages_expected=pages, entries_expected=estimated)
        for code, n in conn.execute(_PAGES_BY_DISTRICT.format(where=where), params):
            of(code)["pages_scanned"] = n
        for code, status, second_keyed, published, n in conn.execute(
            _ENTRIES_BY_DISTRICT.format(where=where), params
        ):
            f = of(code)
            f["entries_by_status"][status] = f["entries_by_status"].get(status, 0) + n
            f["entries_second_keyed"] = f.get("entries_second_keyed", 0) + (
                n if second_keyed else 0
            )
            f["entries_published"] = f.get("entries_published", 0) + (n if published else 0)
        plans = {
            row["district"]: _plan(row)
            for row in conn.execute(f"SELECT * FROM plan {where}", params)  # noqa: S608
        }
        counts = {code: ProgressCounts(**f) for code, f in figures.items()}
        return counts, plans

    def district_progress(self, district: str, today: dt.date) -> DistrictProgress:
        with self._snapshot() as conn:
            counts, plans = self._counts(conn, district)
        return assess(district, counts.get(district, ProgressCounts()), plans.get(district), today)

    def province_progress(
        self, today: dt.date, *, districts: Iterable[str] = ()
    ) -> ProvinceProgress:
        """Every district with books, entries or a plan, and those named in ``districts``."""
        with self._snapshot() as conn:
            counts, plans = self._counts(conn, None)
        return assess_province(counts, plans, today, districts)

    def headline(self, today: dt.date, *, lang: str = "vi", districts: Iterable[str] = ()) -> str:
        """The province's headline for today's plan year, in Vietnamese ("vi") or English."""
        progress = self.province_progress(today, districts=districts)
        return progress.headline_vi() if lang == "vi" else progress.headline_en()
