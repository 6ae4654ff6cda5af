"""The district-progress view's tables (schema, indexes) and its rows: each projection row as
the statements that write it, and back from a stored row (infra/read_store/progress.py reads
the figures)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from uuid import UUID

from infra.read_store.database import Row, Writer, row_params, upsert_sql
from projections.district_progress import (
    DayTally,
    EntryRow,
    ProgressBatch,
    ProgressUpdate,
    RegisterRow,
    ScannedPage,
)
from projections.progress_assessment import DistrictPlanRow

PROGRESS_VIEW = "district_progress"
PROGRESS_SCHEMA = """
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


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def entry_row(row: Row) -> EntryRow:
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


def plan_row(row: Row) -> DistrictPlanRow:
    return DistrictPlanRow(
        district=row["district"],
        target_date=_date(row["target_date"]),
        completed_on=_date(row["completed_on"]),
    )


def is_new(db: Writer, update: ProgressUpdate) -> bool:
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


def add_tally(db: Writer, tally: DayTally) -> None:
    for stage, n in tally.deltas:
        db.execute(_ADD_TO_DAY, (tally.district, tally.day.isoformat(), stage, n))


_INSERT_PAGE = (
    "INSERT INTO register_pages (register_id, page_number, district) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
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


def apply_update(db: Writer, update: ProgressUpdate) -> None:
    # A rescan names a page that already has a row: the count of pages does not move.
    if isinstance(update, RegisterRow):
        db.execute(_UPSERT_REGISTER, row_params(update))
    elif isinstance(update, ScannedPage):
        db.execute(_INSERT_PAGE, _page_params(update))
    elif isinstance(update, EntryRow):
        db.execute(_UPSERT_ENTRY, _entry_params(update))
    else:
        db.execute(_UPSERT_PLAN, row_params(update))


def apply_batch(db: Writer, batch: ProgressBatch) -> None:
    """The batch's rows, a statement per table for all of them."""
    for sql, rows in (
        (_UPSERT_REGISTER, [row_params(r) for r in batch.registers.values()]),
        (_INSERT_PAGE, [_page_params(p) for p in batch.pages.values()]),
        (_UPSERT_ENTRY, [_entry_params(e) for e in batch.entries.values()]),
        (_UPSERT_PLAN, [row_params(p) for p in batch.plans.values()]),
        (
            _ADD_TO_DAY,
            [(d, day.isoformat(), stage, n) for (d, day, stage), n in batch.tallies.items()],
        ),
    ):
        if rows:
            db.executemany(sql, rows)
