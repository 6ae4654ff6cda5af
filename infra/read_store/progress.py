"""SqlProgressView: the district-progress rows and their position in one view database.

The database (SQLite or PostgreSQL, infra/read_store/database.py) has one writer and many
readers, who see whole saves. Figures are counted with GROUP BY on covering indexes
(``entries (district, status, second_keyed, published)`` and the like), so a province of
millions of entries is counted from its indexes alone, never from the tables' rows; the figures
a page shows are read in one snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from typing import Any
from uuid import UUID

from infra.read_store.database import (
    Reader,
    Row,
    TrackedView,
    Writer,
    chunked,
    marks,
    wanted_pairs,
)
from infra.read_store.progress_rows import (
    PROGRESS_SCHEMA,
    PROGRESS_VIEW,
    add_tally,
    apply_batch,
    apply_update,
    entry_row,
    is_new,
    plan_row,
)
from projections.district_progress import (
    DayTally,
    EntryRow,
    ProgressBatch,
    ProgressUpdate,
    RegisterRow,
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

_REGISTERS_BY_DISTRICT = (
    "SELECT district, COUNT(*), SUM(page_count), SUM(estimated_entries) FROM registers "
    "{where} GROUP BY district"
)
_PAGES_BY_DISTRICT = "SELECT district, COUNT(*) FROM register_pages {where} GROUP BY district"
_ENTRIES_BY_DISTRICT = (
    "SELECT district, status, second_keyed, published, COUNT(*) FROM entries "
    "{where} GROUP BY district, status, second_keyed, published"
)


def _add_entries(
    figures: dict[str, Any], status: str, second_keyed: Any, published: Any, n: int
) -> None:
    """Add ``n`` entries of one status (second-keyed, published or not) to ``figures``."""
    figures["entries_by_status"][status] = figures["entries_by_status"].get(status, 0) + n
    figures["entries_second_keyed"] = figures.get("entries_second_keyed", 0) + (
        n if second_keyed else 0
    )
    figures["entries_published"] = figures.get("entries_published", 0) + (n if published else 0)


class SqlProgressView(TrackedView):
    """District progress in a view database; thread-safe for one writer and many readers."""

    NAME = PROGRESS_VIEW
    SCHEMA = PROGRESS_SCHEMA
    READ_INDEXES = ("registers_by_district", "register_pages_by_district", "entries_by_stage")

    # ----- the writer's side (the projection) ---------------------------------------------

    def get_entry(self, entry_id: UUID) -> EntryRow | None:
        return self._row_by_id(entry_row, "entries", entry_id)

    def get_district_plan(self, district: str) -> DistrictPlanRow | None:
        rows = self._db.query("SELECT * FROM plan WHERE district=?", (district,))
        return plan_row(rows[0]) if rows else None

    def _rows_in(self, select: str, values: Iterable[Any]) -> Iterator[Row]:
        """The rows of ``select`` (``… IN ({marks})``) for all ``values``, asked in chunks."""
        for chunk in chunked(values):
            yield from self._db.query(select.format(marks=marks(len(chunk))), chunk)

    def get_entries(self, entry_ids: Collection[UUID]) -> dict[UUID, EntryRow]:
        sql = "SELECT * FROM entries WHERE id IN ({marks})"
        entries = (entry_row(row) for row in self._rows_in(sql, (str(i) for i in entry_ids)))
        return {entry.id: entry for entry in entries}

    def get_district_plans(self, districts: Collection[str]) -> dict[str, DistrictPlanRow]:
        sql = "SELECT * FROM plan WHERE district IN ({marks})"
        return {row["district"]: plan_row(row) for row in self._rows_in(sql, districts)}

    def stored_registers(self, register_ids: Collection[UUID]) -> set[UUID]:
        sql = "SELECT id FROM registers WHERE id IN ({marks})"
        return {UUID(row[0]) for row in self._rows_in(sql, (str(i) for i in register_ids))}

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
        self._db.write(self._tracking, position, lambda db: apply_batch(db, batch))

    def save(
        self, position: int, update: ProgressUpdate | None, tally: DayTally | None = None
    ) -> None:
        """Store ``update`` (and the day's ``tally``) and ``position`` in one transaction;
        nothing if already seen."""

        def apply(db: Writer) -> None:
            if update is not None:
                if tally is not None and is_new(db, update):
                    add_tally(db, tally)
                apply_update(db, update)

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
            _add_entries(of(code), status, second_keyed, published, n)
        plans = {
            row["district"]: plan_row(row)
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
            _add_entries(f, status, second_keyed, published, n)
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
            where = f"WHERE district IN ({marks(len(codes))})"
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
