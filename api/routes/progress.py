"""Managers: digitisation progress by district and for the province, against the plan."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, BeforeValidator, Field

from api.deps import ServicesDep
from api.security import CurrentUser
from api.web.messages import message
from domain.access import Permission, require, require_in_district
from projections.progress_assessment import DistrictProgress, ProgressCounts, ProvinceProgress

router = APIRouter(tags=["progress"])

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """Only a calendar date: pydantic alone reads `today=0` as Unix time 0 (1970-01-01)."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("must be a date like 2023-11-30")
    return value


Today = Annotated[
    dt.date | None,
    BeforeValidator(_iso_date),
    Query(description="the day to judge the plan against; default: today (UTC)"),
]


class StagesPublic(BaseModel):
    registers: int
    pages_scanned: int
    pages_expected: int
    entries_expected: int
    entries_keyed: int
    entries_second_keyed: int
    entries_in_reconciliation: int
    entries_verified: int
    entries_published: int


class DistrictProgressPublic(BaseModel):
    district: str
    name: str
    stages: StagesPublic
    completion_percent: float
    target_date: dt.date | None
    completed_on: dt.date | None
    status: str = Field(description="done, on_track, late or no_target")


class ProvinceProgressPublic(BaseModel):
    today: dt.date
    province: str
    districts_total: int
    districts_done: int
    plan_year: int
    remaining_for_year: int
    targeted_for_year: int
    targeted_done: int
    headline_vi: str
    headline_en: str
    completion_percent: float
    totals: StagesPublic
    districts: list[DistrictProgressPublic]


def _stages(p: DistrictProgress | ProgressCounts) -> StagesPublic:
    """A district's figures, or the province's totals (each stage read by its name)."""
    return StagesPublic.model_validate(p, from_attributes=True)


def _district(p: DistrictProgress, name: str) -> DistrictProgressPublic:
    return DistrictProgressPublic(
        district=p.district,
        name=name,
        stages=_stages(p),
        completion_percent=p.completion_percent,
        target_date=p.target_date,
        completed_on=p.completed_on,
        status=p.status.value,
    )


@router.get("/progress", response_model=ProvinceProgressPublic)
def province_progress(
    user: CurrentUser,
    services: ServicesDep,
    today: Today = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="plan year")] = None,
) -> ProvinceProgressPublic:
    """The province headline ("2 of 11 districts complete") and every district's stages."""
    require(user, Permission.READ)
    units = services.app.units
    day = today or dt.datetime.now(dt.UTC).date()
    names = {d.code: d.name for d in units.districts()}
    progress: ProvinceProgress = services.progress.province_progress(day, districts=names)
    plan = progress.year_plan(year)
    headline = progress.headline(year)
    visible = [p for p in progress.districts if user.works_in(p.district)]
    return ProvinceProgressPublic(
        today=day,
        province=units.province.name,
        districts_total=progress.districts_total,
        districts_done=progress.districts_done,
        plan_year=plan.year,
        remaining_for_year=plan.remaining,
        targeted_for_year=plan.targeted,
        targeted_done=plan.targeted_done,
        headline_vi=message(headline.code, "vi", **headline.params),
        headline_en=message(headline.code, "en", **headline.params),
        completion_percent=progress.completion_percent,
        totals=_stages(progress.totals),
        districts=[_district(p, names.get(p.district, p.district)) for p in visible],
    )


@router.get("/progress/districts/{district}", response_model=DistrictProgressPublic)
def district_progress(
    district: Annotated[str, Path(pattern=r"^\d{3}$")],
    user: CurrentUser,
    services: ServicesDep,
    today: Today = None,
) -> DistrictProgressPublic:
    """One district's stages, completion and plan status."""
    unit = services.app.units.district(district, field="district")
    require_in_district(user, Permission.READ, district)
    day = today or dt.datetime.now(dt.UTC).date()
    return _district(services.progress.district_progress(district, day), unit.name)
