"""SqlProgressView: the district-progress rows and their position in one view database.

The database (SQLite or PostgreSQL, infra/read_store/database.py) has one writer and many
readers, who see whole saves. Figures are counted with GROUP BY on covering indexes
(``entries (district, status, second_keyed, published)`` and the like), so a province of
millions of entries is counted from its indexes alone, never from the tables' rows; the figures
a page shows are read in one snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID

from infra.read_store.database import (
    Reader,
    Row,
    TrackedView,
    Writer,
    chunked,
    marks,
    upsert_sql,
    wanted_pairs,
)
from projections.district_progress import (
    DayTally,
    EntryRow,
    ProgressBatch,
    ProgressUpdate,
    RegisterRow,
    ScannedPage,
    TrendPoint,
)
from projections.progress_assessment import (
    DistrictPlanRow,
    DistrictProgress,
    Headline,
    ProgressCounts,
    ProvinceProgress,
    assess,
    assess_province,
)

_VIEW = "district_progress"
_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS daily (
    district TEXT NOT NULL, day TEXT NOT NULL, stage TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (district, day, stage));
"""

_UPSERT_REGISTER = upsert_sql(
    "registers",
    ("id", "district", "commune_code", "kind", "page_count", "estimated_entries"),
    key=("id",),
)
_UPSERT_ENTRY = upsert_sql(
    "entries",
    (
        "id",
        "register_id",
        "district",
        "status",
        "second_keyed",
        "published",
        "version",
        "open_discrepancies",
        "status_before_correction",
    ),
    key=("id",),
)
_UPSERT_PLAN = upsert_sql("plan", ("district", "target_date", "completed_on"), key=("district",))
_ADD_TO_DAY = (
    "INSERT INTO daily (district, day, stage, n) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (district, day, stage) DO UPDATE SET n = daily.n + excluded.n"
)
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


def _entry(row: Row) -> EntryRow:
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


def _plan(row: Row) -> DistrictPlanRow:
    return DistrictPlanRow(
        district=row["district"],
        target_date=_date(row["target_date"]),
        completed_on=_date(row["completed_on"]),
    )


def _is_new(db: Writer, update: ProgressUpdate) -> bool:
    """Whether the book or page is not stored yet (its tally then counts); entries are
    guarded by their version in the projection."""
    if isinstance(update, RegisterRow):
        return not db.query("SELECT 1 FROM registers WHERE id=?", (str(update.id),))
    if isinstance(update, ScannedPage):
        return not db.query(
            "SELECT 1 FROM register_pages WHERE register_id=? AND page_number=?",
            (str(update.register_id), update.page_number),
        )
    return True


def _tally(db: Writer, tally: DayTally) -> None:
    for stage, n in tally.deltas:
        db.execute(_ADD_TO_DAY, (tally.district, tally.day.isoformat(), stage, n))


_INSERT_PAGE = (
    "INSERT INTO register_pages (register_id, page_number, district) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)


def _register_params(row: RegisterRow) -> tuple[Any, ...]:
    return (
        str(row.id),
        row.district,
        row.commune_code,
        row.kind,
        row.page_count,
        row.estimated_entries,
    )


def _page_params(page: ScannedPage) -> tuple[Any, ...]:
    return (str(page.register_id), page.page_number, page.district)


def _entry_params(row: EntryRow) -> tuple[Any, ...]:
    return (
        str(row.id),
        str(row.register_id),
        row.district,
        row.status,
        int(row.ever_second_keyed),
        int(row.ever_published),
        row.version,
        json.dumps(list(row.open_discrepancies)),
        row.status_before_correction,
    )


def _plan_params(row: DistrictPlanRow) -> tuple[Any, ...]:
    return (row.district, _iso(row.target_date), _iso(row.completed_on))


def _apply(db: Writer, update: ProgressUpdate) -> None:
    # A rescan names a page that already has a row: the count of pages does not move.
    if isinstance(update, RegisterRow):
        db.execute(_UPSERT_REGISTER, _register_params(update))
    elif isinstance(update, ScannedPage):
        db.execute(_INSERT_PAGE, _page_params(update))
    elif isinstance(update, EntryRow):
        db.execute(_UPSERT_ENTRY, _entry_params(update))
    else:
        db.execute(_UPSERT_PLAN, _plan_params(update))


def _apply_batch(db: Writer, batch: ProgressBatch) -> None:
    """The batch's rows, a statement per table for all of them."""
    for sql, rows in (
        (_UPSERT_REGISTER, [_register_params(r) for r in batch.registers.values()]),
        (_INSERT_PAGE, [_page_params(p) for p in batch.pages.values()]),
        (_UPSERT_ENTRY, [_entry_params(e) for e in batch.entries.values()]),
        (_UPSERT_PLAN, [_plan_params(p) for p in batch.plans.values()]),
        (
            _ADD_TO_DAY,
            [(d, day.isoformat(), stage, n) for (d, day, stage), n in batch.tallies.items()],
        ),
    ):
        if rows:
            db.executemany(sql, rows)


class SqlProgressView(TrackedView):
    """District progress in a view database; thread-safe for one writer and many readers."""

    NAME = _VIEW
    SCHEMA = _SCHEMA
    READ_INDEXES = ("registers_by_district", "register_pages_by_district", "entries_by_stage")

    # ----- the writer's side (the projection) ---------------------------------------------

    def get_entry(self, entry_id: UUID) -> EntryRow | None:
        rows = self._db.query("SELECT * FROM entries WHERE id=?", (str(entry_id),))
        return _entry(rows[0]) if rows else None

    def get_district_plan(self, district: str) -> DistrictPlanRow | None:
        rows = self._db.query("SELECT * FROM plan WHERE district=?", (district,))
        return _plan(rows[0]) if rows else None

    def get_entries(self, entry_ids: Collection[UUID]) -> dict[UUID, EntryRow]:
        found: dict[UUID, EntryRow] = {}
        for chunk in chunked(str(i) for i in entry_ids):
            sql = f"SELECT * FROM entries WHERE id IN ({marks(len(chunk))})"  # noqa: S608
            for row in self._db.query(sql, chunk):
                entry = _entry(row)
                found[entry.id] = entry
        return found

    def get_district_plans(self, districts: Collection[str]) -> dict[str, DistrictPlanRow]:
        found: dict[str, DistrictPlanRow] = {}
        for chunk in chunked(districts):
            sql = f"SELECT * FROM plan WHERE district IN ({marks(len(chunk))})"  # noqa: S608
            found.update((row["district"], _plan(row)) for row in self._db.query(sql, chunk))
        return found

    def stored_registers(self, register_ids: Collection[UUID]) -> set[UUID]:
        found: set[UUID] = set()
        for chunk in chunked(str(i) for i in register_ids):
            sql = f"SELECT id FROM registers WHERE id IN ({marks(len(chunk))})"  # noqa: S608
            found.update(UUID(row[0]) for row in self._db.query(sql, chunk))
        return found

    def stored_pages(self, pages: Collection[tuple[UUID, int]]) -> set[tuple[UUID, int]]:
        found: set[tuple[UUID, int]] = set()
        for chunk in chunked(pages):
            sql = wanted_pairs(len(chunk)) + (  # noqa: S608 - placeholders only
                "SELECT g.register_id, g.page_number FROM wanted JOIN register_pages AS g "
                "ON g.register_id = wanted.a AND g.page_number = wanted.b"
            )
            params = [value for register_id, page in chunk for value in (str(register_id), page)]
            found.update((UUID(r), int(n)) for r, n in self._db.query(sql, params))
        return found

    def save_batch(self, position: int, batch: ProgressBatch) -> None:
        """Store a batch's rows and figures and ``position`` in one transaction; nothing if
        already seen."""
        self._db.write(self._tracking, position, lambda db: _apply_batch(db, batch))

    def save(
        self, position: int, update: ProgressUpdate | None, tally: DayTally | None = None
    ) -> None:
        """Store ``update`` (and the day's ``tally``) and ``position`` in one transaction;
        nothing if already seen."""

        def apply(db: Writer) -> None:
            if update is not None:
                if tally is not None and _is_new(db, update):
                    _tally(db, tally)
                _apply(db, update)

        self._db.write(self._tracking, position, apply)

    # ----- the readers' side --------------------------------------------------------------
    @staticmethod
    def _counts(
        conn: Reader, district: str | None
    ) -> tuple[dict[str, ProgressCounts], dict[str, DistrictPlanRow]]:
        where, params = ("WHERE district=?", (district,)) if district is not None else ("", ())
        figures: dict[str, dict[str, Any]] = {}

        def of(code: str) -> dict[str, Any]:
            return figures.setdefault(code, {"entries_by_status": {}})

        for code, n, pages, estimated in conn.query(
            _REGISTERS_BY_DISTRICT.format(where=where), params
        ):
            of(code).update(registers=n, pages_expected=pages, entries_expected=estimated)
        for code, n in conn.query(_PAGES_BY_DISTRICT.format(where=where), params):
            of(code)["pages_scanned"] = n
        for code, status, second_keyed, published, n in conn.query(
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
            for row in conn.query(f"SELECT * FROM plan {where}", params)  # noqa: S608
        }
        counts = {code: ProgressCounts(**f) for code, f in figures.items()}
        return counts, plans

    def district_progress(self, district: str, today: dt.date) -> DistrictProgress:
        with self._db.snapshot() as conn:
            counts, plans = self._counts(conn, district)
        return assess(district, counts.get(district, ProgressCounts()), plans.get(district), today)

    def province_progress(
        self, today: dt.date, *, districts: Iterable[str] = ()
    ) -> ProvinceProgress:
        """Every district with books, entries or a plan, and those named in ``districts``."""
        with self._db.snapshot() as conn:
            counts, plans = self._counts(conn, None)
        return assess_province(counts, plans, today, districts)

    def register_progress(self, district: str) -> list[tuple[RegisterRow, ProgressCounts]]:
        """Each book of a district with its own figures (a drill-down: communes, books)."""
        with self._db.snapshot() as conn:
            registers = conn.query(
                "SELECT * FROM registers WHERE district=? ORDER BY commune_code, id", (district,)
            )
            pages = {
                register_id: int(n)
                for register_id, n in conn.query(
                    "SELECT register_id, COUNT(*) FROM register_pages WHERE district=? "
                    "GROUP BY register_id",
                    (district,),
                )
            }
            entries = conn.query(
                "SELECT register_id, status, second_keyed, published, COUNT(*) FROM entries "
                "WHERE district=? GROUP BY register_id, status, second_keyed, published",
                (district,),
            )
        figures: dict[str, dict[str, Any]] = {}
        for register_id, status, second_keyed, published, n in entries:
            f = figures.setdefault(register_id, {"entries_by_status": {}})
            f["entries_by_status"][status] = f["entries_by_status"].get(status, 0) + n
            f["entries_second_keyed"] = f.get("entries_second_keyed", 0) + (
                n if second_keyed else 0
            )
            f["entries_published"] = f.get("entries_published", 0) + (n if published else 0)
        books = []
        for row in registers:
            book = RegisterRow(
                id=UUID(row["id"]),
                district=row["district"],
                commune_code=row["commune_code"],
                kind=row["kind"],
                page_count=int(row["page_count"]),
                estimated_entries=int(row["estimated_entries"]),
            )
            counts = ProgressCounts(
                registers=1,
                pages_expected=book.page_count,
                pages_scanned=pages.get(row["id"], 0),
                entries_expected=book.estimated_entries,
                **figures.get(row["id"], {}),
            )
            books.append((book, counts))
        return books

    def trend(self, districts: Iterable[str] | None = None) -> list[TrendPoint]:
        """Day by day, the figures of ``TREND_STAGES`` at the end of each day on which one
        moved (of the ``districts`` given; None: the whole province)."""
        where = ""
        params: tuple[str, ...] = ()
        if districts is not None:
            codes = tuple(districts)
            if not codes:
                return []
            where = f"WHERE district IN ({', '.join('?' * len(codes))})"
            params = codes
        rows = self._db.query(
            f"SELECT day, stage, SUM(n) FROM daily {where} GROUP BY day, stage ORDER BY day",  # noqa: S608
            params,
        )
        points: list[TrendPoint] = []
        running: dict[str, int] = {}
        for day, stage, n in rows:
            running[stage] = running.get(stage, 0) + int(n)
            when = dt.date.fromisoformat(day)
            if points and points[-1].day == when:
                points[-1] = TrendPoint(when, dict(running))
            else:
                points.append(TrendPoint(when, dict(running)))
        return points

    def headline(self, today: dt.date, *, districts: Iterable[str] = ()) -> Headline:
        """The province's headline figures for today's plan year (presenters word them)."""
        return self.province_progress(today, districts=districts).headline()
