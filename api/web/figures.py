"""The figures the dashboard shows and exports: one computation for the page, CSV and XLSX,
read from the district-progress view exactly as ``GET /progress`` reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from api.deps import Services
from api.web.i18n import Translator
from domain.access import User
from projections.district_progress import RegisterRow, TrendPoint
from projections.progress_assessment import (
    DistrictProgress,
    ProgressCounts,
    ProvinceProgress,
    completion_percent,
)
from projections.readers import ProgressReader

# The stages a district's chart and the exports show, in the workflow's order.
STAGES = (
    "registers",
    "pages_scanned",
    "pages_expected",
    "entries_expected",
    "entries_keyed",
    "entries_second_keyed",
    "entries_in_reconciliation",
    "entries_verified",
    "entries_published",
)


class DashboardReader(ProgressReader, Protocol):
    """What the pages read from the district-progress view beyond ``/progress``."""

    def trend(self, districts: Iterable[str] | None = None) -> list[TrendPoint]: ...

    def register_progress(self, district: str) -> list[tuple[RegisterRow, ProgressCounts]]: ...


@dataclass(frozen=True)
class Figures:
    """Each stage's count (``STAGES``) and how complete the work is."""

    stages: dict[str, int]
    completion_percent: float


@dataclass(frozen=True)
class Row(Figures):
    """One line of the figures: a district (or the province's totals)."""

    code: str
    name: str
    target_date: dt.date | None
    completed_on: dt.date | None
    status: str | None  # None for the totals


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    year: int
    years: list[int]  # plan years with a target, to choose from
    province: str
    headline_vi: str
    headline_en: str
    progress: ProvinceProgress
    rows: list[Row]  # the districts the user works in
    totals: Row
    trend: list[TrendPoint]

    def headline(self, lang: str) -> str:
        return self.headline_vi if lang == "vi" else self.headline_en


def stages_of(counts: ProgressCounts | DistrictProgress) -> dict[str, int]:
    return {stage: int(getattr(counts, stage)) for stage in STAGES}


def reader(services: Services) -> DashboardReader:
    progress = services.progress
    assert hasattr(progress, "trend")  # SqlProgressView (through its SwitchingView)
    return progress  # type: ignore[return-value]


def dashboard(services: Services, user: User, today: dt.date, year: int | None) -> Dashboard:
    units = services.app.units
    names = {d.code: d.name for d in units.districts()}
    progress = services.progress.province_progress(today, districts=names)
    chosen = year if year is not None else progress.plan_year()
    visible = [p for p in progress.districts if user.works_in(p.district)]
    rows = [
        Row(
            code=p.district,
            name=names.get(p.district, p.district),
            stages=stages_of(p),
            completion_percent=p.completion_percent,
            target_date=p.target_date,
            completed_on=p.completed_on,
            status=p.status.value,
        )
        for p in visible
    ]
    seen = sum((p.counts for p in visible), ProgressCounts())
    totals = Row(
        code=units.province.code,
        name=units.province.name,
        stages=stages_of(seen),
        completion_percent=completion_percent(seen),
        target_date=None,
        completed_on=None,
        status=None,
    )
    years = sorted({d.target_date.year for d in progress.districts if d.target_date})
    scope = None if user.works_in("*") else [p.district for p in visible]
    return Dashboard(
        today=today,
        year=chosen,
        years=years,
        province=units.province.name,
        headline_vi=Translator("vi").headline(progress.headline(chosen)),
        headline_en=Translator("en").headline(progress.headline(chosen)),
        progress=progress,
        rows=rows,
        totals=totals,
        trend=reader(services).trend(scope),
    )


@dataclass(frozen=True)
class BookFigures(Figures):
    id: UUID
    commune_code: str
    kind: str
    book_number: str
    years: str


@dataclass(frozen=True)
class CommuneFigures(Figures):
    code: str
    name: str
    books: list[BookFigures]


def communes(services: Services, district: str) -> list[CommuneFigures]:
    """A district's communes (all of them, books or not) with their books' figures."""
    units = services.app.units
    books: dict[str, list[tuple[BookFigures, ProgressCounts]]] = {}
    for row, counts in reader(services).register_progress(district):
        catalogued = services.catalogue.get_register(row.id)
        number = catalogued.book_number if catalogued else "?"
        years = f"{catalogued.year_from}–{catalogued.year_to}" if catalogued else ""
        book = BookFigures(
            id=row.id,
            commune_code=row.commune_code,
            kind=row.kind,
            book_number=number,
            years=years,
            stages=stages_of(counts),
            completion_percent=completion_percent(counts),
        )
        books.setdefault(row.commune_code, []).append((book, counts))
    result = []
    for commune in units.communes_of(district):
        mine = books.get(commune.code, [])
        counts = sum((c for _, c in mine), ProgressCounts())
        result.append(
            CommuneFigures(
                code=commune.code,
                name=commune.name,
                stages=stages_of(counts),
                completion_percent=completion_percent(counts),
                books=[b for b, _ in mine],
            )
        )
    return result


def stage_rows(rows: Sequence[Row]) -> list[list[object]]:
    """The table of the exports: one list per row, in the order of ``export_header``."""
    return [
        [
            r.code,
            r.name,
            *[r.stages[s] for s in STAGES],
            r.completion_percent,
            r.target_date.isoformat() if r.target_date else "",
            r.completed_on.isoformat() if r.completed_on else "",
            r.status or "",
        ]
        for r in rows
    ]
